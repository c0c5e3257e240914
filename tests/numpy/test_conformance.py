"""np functions against NumPy on hypothesis-drawn inputs: values, shapes and dtypes agree,
including 0-d, empty and broadcasting shapes. (Creation defaults differ on purpose, MXNet's
float32: see test_ndarray.py.)"""

import numpy as onp
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gluonlite.numpy as np
from tests.ops.sampling import broadcast_pair, floats, shapes

DTYPES = ["float32", "float64"]


def _arr(x):
    return np.array(x, dtype=x.dtype)


def check(got, want, rtol=None):
    """Same type of result (array vs scalar), shape, dtype and values."""
    want = onp.asarray(want)
    assert isinstance(got, np.ndarray), type(got)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    if rtol is None:
        rtol = 2e-6 if want.dtype == onp.float32 else 1e-12
    onp.testing.assert_allclose(got.asnumpy(), want, rtol=rtol, atol=rtol, equal_nan=True)


# ---- elementwise ------------------------------------------------------------------------------
UNARY = [
    ("exp", -2, 2), ("log", 0.1, 3), ("log1p", -0.5, 3), ("expm1", -2, 2), ("log2", 0.1, 3),
    ("log10", 0.1, 3), ("sqrt", 0, 3), ("cbrt", -3, 3), ("square", -2, 2),
    ("reciprocal", 0.5, 3), ("abs", -2, 2), ("absolute", -2, 2), ("sign", -2, 2),
    ("sin", -3, 3), ("cos", -3, 3), ("tan", -1, 1), ("tanh", -3, 3), ("sinh", -2, 2),
    ("cosh", -2, 2), ("arcsin", -0.9, 0.9), ("arccos", -0.9, 0.9), ("arctan", -3, 3),
    ("arcsinh", -3, 3), ("arccosh", 1.1, 3), ("arctanh", -0.9, 0.9), ("floor", -3, 3),
    ("ceil", -3, 3), ("rint", -3, 3), ("trunc", -3, 3), ("fix", -3, 3), ("negative", -2, 2),
    ("positive", -2, 2), ("exp2", -2, 2), ("degrees", -3, 3), ("radians", -90, 90),
    ("rad2deg", -3, 3), ("deg2rad", -90, 90), ("isnan", -2, 2), ("isinf", -2, 2),
    ("isfinite", -2, 2), ("logical_not", -1, 1), ("round", -3, 3), ("around", -3, 3),
]  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("name", "lo", "hi"), UNARY)
@given(data=st.data())
def test_unary(name, lo, hi, dtype, data):
    x = floats(data.draw, data.draw(shapes(0, 3, min_side=0)), lo, hi).astype(dtype)
    rtol = 1e-5 if dtype == "float32" and name in ("sinh", "cosh", "tan", "exp2") else None
    check(getattr(np, name)(_arr(x)), getattr(onp, name)(x), rtol)


@pytest.mark.parametrize("name", ["abs", "sign", "square", "negative", "isnan", "logical_not"])
def test_unary_on_integers(name):
    x = onp.array([[-3, 0, 2]], dtype="int32")
    check(getattr(np, name)(np.array(x)), getattr(onp, name)(x))


BINARY = [
    ("add", None), ("subtract", None), ("multiply", None), ("divide", 0.0),
    ("true_divide", 0.0), ("power", None), ("maximum", None), ("minimum", None),
    ("hypot", None), ("arctan2", 0.0), ("equal", None), ("not_equal", None),
    ("greater", None), ("greater_equal", None), ("less", None), ("less_equal", None),
    ("logical_and", None), ("logical_or", None), ("logical_xor", None), ("logaddexp", None),
    ("floor_divide", 0.0), ("mod", 0.0), ("remainder", 0.0), ("float_power", None),
]  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("name", "away"), BINARY)
@given(data=st.data())
def test_binary_broadcasting(name, away, dtype, data):
    sa, sb = broadcast_pair(data.draw)
    lo = 0.1 if name in ("power", "float_power") else -2
    a = floats(data.draw, sa, lo, 2).astype(dtype)
    b = floats(data.draw, sb, -2, 2, away_from=away, gap=0.2).astype(dtype)
    if name in ("equal", "not_equal", "greater_equal", "less_equal"):
        b = onp.broadcast_to(onp.round(b), sb).copy()
        a = onp.round(a)
    rtol = 1e-5 if dtype == "float32" and name in ("power", "float_power", "mod") else None
    check(getattr(np, name)(_arr(a), _arr(b)), getattr(onp, name)(a, b), rtol)


@pytest.mark.parametrize("name", ["add", "multiply", "subtract", "maximum", "power", "divide"])
@pytest.mark.parametrize("scalar", [2, 0.5])
def test_python_scalars_keep_the_array_dtype(name, scalar):
    """NEP 50: a Python scalar takes the array's dtype, on both sides."""
    x = onp.array([0.5, 1.5, 2.0], dtype="float32")
    check(getattr(np, name)(np.array(x), scalar), getattr(onp, name)(x, scalar))
    check(getattr(np, name)(scalar, np.array(x)), getattr(onp, name)(scalar, x))


def test_only_scalars_give_numpys_scalar():
    assert np.add(1.0, 4.0) == 5.0 and not isinstance(np.add(1.0, 4.0), np.ndarray)
    assert np.exp(0.0) == 1.0


def test_mixed_dtypes_promote_as_numpy():
    a, b = onp.arange(3, dtype="int32"), onp.ones(3, dtype="float32")
    check(np.add(np.array(a), np.array(b)), a + b)
    check(np.true_divide(np.array(a), np.array(a + 1)), a / (a + 1))


def test_array_likes_are_converted():
    x = onp.array([1.0, -2.0, 3.0], dtype="float32")
    check(np.maximum(np.array(x), [0.0, 0.0, 0.0]), onp.maximum(x, onp.zeros(3, "float32")))
    check(np.add(x, np.array(x)), x + x)


@given(data=st.data())
def test_clip_and_where(data):
    s1, s2 = broadcast_pair(data.draw)
    x = floats(data.draw, s1, -3, 3).astype("float32")
    y = floats(data.draw, s2, -3, 3).astype("float32")
    check(np.clip(_arr(x), -1, 1.5), onp.clip(x, -1, 1.5))
    check(np.clip(_arr(x), None, 0.5), onp.clip(x, None, 0.5))
    check(np.where(_arr(x) > 0, _arr(x), _arr(y)), onp.where(x > 0, x, y))
    check(np.where(_arr(x) > 0, _arr(x), 0.0), onp.where(x > 0, x, onp.float32(0)))
    check(np.clip(_arr(x), _arr(y), 2.0), onp.clip(x, y, 2.0))


def test_round_decimals_and_nan_to_num():
    x = onp.array([0.125, 2.5, -1.555, 3.5], dtype="float64")
    check(np.round(np.array(x), 2), onp.round(x, 2))
    check(np.round(np.array(x)), onp.round(x))
    y = onp.array([onp.nan, onp.inf, -onp.inf, 1.0], dtype="float32")
    check(np.nan_to_num(np.array(y)), onp.nan_to_num(y))
    check(np.isposinf(np.array(y)), onp.isposinf(y))
    check(np.isneginf(np.array(y)), onp.isneginf(y))


# ---- reductions -------------------------------------------------------------------------------
def _axis(data, ndim):
    if ndim == 0:
        return data.draw(st.sampled_from([None, ()]))
    choice = st.one_of(
        st.none(),
        st.integers(-ndim, ndim - 1),
        st.lists(st.integers(0, ndim - 1), unique=True, min_size=1, max_size=ndim).map(tuple),
    )
    return data.draw(choice)


REDUCTIONS = ["sum", "mean", "max", "min", "prod", "std", "var", "amax", "amin", "all", "any"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", REDUCTIONS)
@given(data=st.data())
def test_reductions(name, dtype, data):
    empty_ok = name in ("sum", "prod", "all", "any")
    x = floats(data.draw, data.draw(shapes(0, 3, min_side=0 if empty_ok else 1)), -2, 2)
    x = x.astype(dtype)
    axis = _axis(data, x.ndim)
    keepdims = data.draw(st.booleans())
    want = getattr(onp, name)(x, axis=axis, keepdims=keepdims)
    check(getattr(np, name)(_arr(x), axis=axis, keepdims=keepdims), want, 1e-5)
    method = getattr(_arr(x), name, None) if name not in ("amax", "amin") else None
    if method is not None:
        check(method(axis=axis, keepdims=keepdims), want, 1e-5)


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "max", "var", "cumsum"])
def test_integer_reductions_follow_numpy_dtypes(name):
    x = onp.arange(1, 7, dtype="int32").reshape(2, 3)
    check(getattr(np, name)(np.array(x)), getattr(onp, name)(x))
    check(getattr(np, name)(np.array(x), axis=1), getattr(onp, name)(x, axis=1))


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@given(data=st.data())
def test_arg_reductions(name, data):
    x = floats(data.draw, data.draw(shapes(0, 3)), -2, 2).astype("float32")
    axis = (
        data.draw(st.none() | st.integers(-max(x.ndim, 1), max(x.ndim, 1) - 1)) if x.ndim else None
    )
    check(getattr(np, name)(_arr(x), axis=axis), getattr(onp, name)(x, axis=axis))
    check(getattr(_arr(x), name)(axis=axis), getattr(onp, name)(x, axis=axis))


@given(data=st.data())
def test_cumsum_count_nonzero_average(data):
    x = floats(data.draw, data.draw(shapes(1, 3, min_side=0)), -2, 2).astype("float32")
    axis = data.draw(st.none() | st.integers(0, x.ndim - 1))
    check(np.cumsum(_arr(x), axis=axis), onp.cumsum(x, axis=axis), 1e-5)
    check(np.count_nonzero(_arr(x > 0.5), axis=axis), onp.count_nonzero(x > 0.5, axis=axis))
    if x.size and axis is not None:
        w = floats(data.draw, (x.shape[axis],), 0.5, 1.5).astype("float32")
        check(
            np.average(_arr(x), axis=axis, weights=_arr(w)),
            onp.average(x, axis=axis, weights=w),
            1e-5,
        )


def test_full_reductions_are_0d():
    x = np.ones((2, 3))
    for r in (x.sum(), x.mean(), x.max(), np.prod(x), x.argmax(), np.linalg.norm(x)):
        assert isinstance(r, np.ndarray) and r.shape == ()


# ---- shape manipulation -----------------------------------------------------------------------
@given(data=st.data())
def test_reshape_transpose_swap_move(data):
    x = floats(data.draw, data.draw(shapes(1, 4, min_side=0)), -2, 2).astype("float32")
    a = _arr(x)
    check(np.reshape(a, (-1,)), x.reshape(-1))
    check(a.reshape(x.size, 1), x.reshape(x.size, 1))
    check(a.reshape((1, -1)), x.reshape(1, -1))
    perm = tuple(data.draw(st.permutations(range(x.ndim))))
    check(np.transpose(a, perm), onp.transpose(x, perm))
    check(a.transpose(perm), x.transpose(perm))
    check(a.T, x.T)
    i, j = data.draw(st.integers(0, x.ndim - 1)), data.draw(st.integers(-x.ndim, x.ndim - 1))
    check(np.swapaxes(a, i, j), onp.swapaxes(x, i, j))
    check(np.moveaxis(a, i, j), onp.moveaxis(x, i, j))
    check(np.expand_dims(a, j), onp.expand_dims(x, j))
    check(np.squeeze(np.expand_dims(a, 0)), onp.squeeze(onp.expand_dims(x, 0)))
    check(np.ravel(a), onp.ravel(x))
    check(a.flatten(), x.flatten())
    check(np.flip(a, i), onp.flip(x, i))
    check(np.flip(a), onp.flip(x))
    check(np.atleast_2d(a), onp.atleast_2d(x))
    check(np.atleast_3d(a), onp.atleast_3d(x))


def test_squeeze_to_0d_and_broadcast_to_zero():
    check(np.squeeze(np.ones((1, 1))), onp.squeeze(onp.ones((1, 1), "float32")))
    check(
        np.broadcast_to(np.ones((1, 3)), (0, 3)),
        onp.broadcast_to(onp.ones((1, 3), "float32"), (0, 3)),
    )
    b = np.broadcast_arrays(np.ones((2, 1)), np.zeros(3))
    assert [t.shape for t in b] == [(2, 3), (2, 3)]


@given(data=st.data())
def test_join_and_split(data):
    shape = data.draw(shapes(1, 3, min_side=1))
    xs = [floats(data.draw, shape, -2, 2).astype("float32") for _ in range(3)]
    arrs = [_arr(x) for x in xs]
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    check(np.concatenate(arrs, axis=axis), onp.concatenate(xs, axis=axis))
    check(np.concatenate(arrs, axis=None), onp.concatenate(xs, axis=None))
    check(np.stack(arrs, axis=axis), onp.stack(xs, axis=axis))
    check(np.vstack(arrs), onp.vstack(xs))
    check(np.hstack(arrs), onp.hstack(xs))
    check(np.dstack(arrs), onp.dstack(xs))
    check(np.column_stack(arrs), onp.column_stack(xs))
    check(np.append(arrs[0], arrs[1], axis=0), onp.append(xs[0], xs[1], axis=0))
    big = onp.concatenate(xs, axis=0)
    for got, want in zip(np.split(_arr(big), 3), onp.split(big, 3)):
        check(got, want)
    cuts = sorted(data.draw(st.lists(st.integers(0, big.shape[0]), max_size=3)))
    for got, want in zip(np.split(_arr(big), cuts), onp.split(big, cuts)):
        check(got, want)
    n = data.draw(st.integers(1, 4))
    for got, want in zip(np.array_split(_arr(big), n), onp.array_split(big, n)):
        check(got, want)


@given(data=st.data())
def test_tile_repeat_roll_pad_diff(data):
    x = floats(data.draw, data.draw(shapes(1, 3, min_side=1)), -2, 2).astype("float32")
    a = _arr(x)
    reps = tuple(data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)))
    check(np.tile(a, reps), onp.tile(x, reps))
    r = data.draw(st.integers(0, 3))
    check(np.repeat(a, r), onp.repeat(x, r))
    check(np.repeat(a, r, axis=0), onp.repeat(x, r, axis=0))
    counts = data.draw(st.lists(st.integers(0, 2), min_size=x.shape[0], max_size=x.shape[0]))
    check(np.repeat(a, counts, axis=0), onp.repeat(x, counts, axis=0))
    shift = data.draw(st.integers(-5, 5))
    check(np.roll(a, shift), onp.roll(x, shift))
    check(np.roll(a, shift, axis=-1), onp.roll(x, shift, axis=-1))
    width = data.draw(st.integers(0, 2))
    for mode in ("constant", "edge", "reflect"):
        if mode == "reflect" and min(x.shape) == 1 and width:
            continue
        check(np.pad(a, width, mode=mode), onp.pad(x, width, mode=mode))
    check(np.diff(a, axis=0), onp.diff(x, axis=0))


@given(data=st.data())
def test_take_sort_search(data):
    x = floats(data.draw, data.draw(shapes(1, 3, min_side=1)), -2, 2).astype("float32")
    a = _arr(x)
    idx = data.draw(st.lists(st.integers(-x.shape[0], x.shape[0] - 1), max_size=4))
    check(
        np.take(a, onp.array(idx, dtype="int64"), axis=0),
        onp.take(x, onp.array(idx, "int64"), axis=0),
    )
    check(np.take(a, onp.array(idx, dtype="int64")), onp.take(x, onp.array(idx, "int64")))
    check(np.sort(a), onp.sort(x))
    check(np.sort(a, axis=None), onp.sort(x, axis=None))
    check(a.sort(axis=0), onp.sort(x, axis=0))
    check(np.argsort(a), onp.argsort(x, kind="stable"))
    check(np.argsort(a, axis=0), onp.argsort(x, axis=0, kind="stable"))
    order = onp.argsort(x, axis=-1)
    check(np.take_along_axis(a, np.array(order), -1), onp.take_along_axis(x, order, -1))
    r = onp.round(x)
    for got, want in zip(
        np.unique(_arr(r), return_counts=True, return_index=True),
        onp.unique(r, return_counts=True, return_index=True),
    ):
        check(got, want)
    for got, want in zip(np.nonzero(_arr(x > 0)), onp.nonzero(x > 0)):
        check(got, want)
    check(np.argwhere(_arr(x > 0)), onp.argwhere(x > 0))


@given(data=st.data())
def test_diagonals_and_triangles(data):
    x = floats(data.draw, data.draw(shapes(2, 3, min_side=1)), -2, 2).astype("float32")
    k = data.draw(st.integers(-2, 2))
    a = _arr(x)
    check(np.diagonal(a, k), onp.diagonal(x, k))
    check(np.trace(a, k), onp.trace(x, k), 1e-5)
    check(np.tril(a, k), onp.tril(x, k))
    check(np.triu(a, k), onp.triu(x, k))
    if x.ndim == 2:
        check(np.diag(a, k), onp.diag(x, k))
        v = x[0]
        check(np.diag(_arr(v), k), onp.diag(v, k))


def test_meshgrid_matches_numpy():
    x, y, z = onp.arange(3.0), onp.arange(2.0), onp.arange(4.0)
    for indexing in ("xy", "ij"):
        got = np.meshgrid(np.array(x), np.array(y), np.array(z), indexing=indexing)
        for g, w in zip(got, onp.meshgrid(x, y, z, indexing=indexing)):
            check(g, w)
        sparse = np.meshgrid(np.array(x), np.array(y), indexing=indexing, sparse=True)
        for g, w in zip(sparse, onp.meshgrid(x, y, indexing=indexing, sparse=True)):
            check(g, w)


# ---- products and norms -----------------------------------------------------------------------
@given(data=st.data())
def test_dot_all_ranks(data):
    n = data.draw(st.integers(1, 3))
    a_dims = data.draw(st.integers(0, 3))
    b_dims = data.draw(st.integers(0, 3))
    a_shape = tuple(data.draw(st.integers(1, 3)) for _ in range(max(a_dims - 1, 0))) + (
        (n,) if a_dims else ()
    )
    b_lead = tuple(data.draw(st.integers(1, 3)) for _ in range(max(b_dims - 2, 0)))
    b_shape = (
        () if b_dims == 0 else ((n,) if b_dims == 1 else b_lead + (n, data.draw(st.integers(1, 3))))
    )
    a = floats(data.draw, a_shape, -2, 2)
    b = floats(data.draw, b_shape, -2, 2)
    check(np.dot(_arr(a), _arr(b)), onp.dot(a, b))
    check(_arr(a).dot(_arr(b)), onp.dot(a, b))
    if a_dims and b_dims and not (a_dims == 1 and b_dims > 2):
        check(
            np.inner(_arr(a), _arr(b.swapaxes(-1, -2) if b_dims > 1 else b)),
            onp.inner(a, b.swapaxes(-1, -2) if b_dims > 1 else b),
        )


@given(data=st.data())
def test_matmul_tensordot_outer_einsum(data):
    batch = data.draw(shapes(0, 2, max_side=3))
    n, m, k = (data.draw(st.integers(1, 3)) for _ in range(3))
    a = floats(data.draw, batch + (n, k), -2, 2)
    b = floats(data.draw, (k, m), -2, 2)
    check(np.matmul(_arr(a), _arr(b)), onp.matmul(a, b))
    check(_arr(a) @ _arr(b), a @ b)
    check(np.tensordot(_arr(a), _arr(b), axes=1), onp.tensordot(a, b, axes=1))
    check(np.tensordot(_arr(b), _arr(b), axes=([0], [0])), onp.tensordot(b, b, axes=([0], [0])))
    check(np.outer(_arr(a), _arr(b)), onp.outer(a, b))
    check(np.vdot(_arr(b), _arr(b)), onp.vdot(b, b))
    check(np.einsum("ij,jk->ik", _arr(b.T), _arr(b)), onp.einsum("ij,jk->ik", b.T, b))
    check(np.einsum("ij,jk", _arr(b.T), _arr(b)), onp.einsum("ij,jk", b.T, b))


NORMS = [(None, None), (None, 0), (1, 0), (2, -1), (onp.inf, 0), (-onp.inf, 1), (0, 1),
         (3, 0), ("fro", (0, 1)), (1, (0, 1)), (-1, (1, 0)), (onp.inf, (0, 1)),
         (-onp.inf, (0, 1)), (None, (0, 1))]  # fmt: skip


@pytest.mark.parametrize(("ord", "axis"), NORMS)
@pytest.mark.parametrize("keepdims", [False, True])
@given(data=st.data())
def test_linalg_norm(ord, axis, keepdims, data):
    x = floats(data.draw, data.draw(shapes(2, 3, min_side=1)), -2, 2, away_from=0.0)
    x = x.astype("float32")
    want = onp.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)
    check(np.linalg.norm(_arr(x), ord=ord, axis=axis, keepdims=keepdims), want, 1e-5)


def test_linalg_norm_without_axis_and_integers():
    v = onp.array([3.0, -4.0], dtype="float32")
    for ord in (None, 1, 2, onp.inf):
        check(np.linalg.norm(np.array(v), ord), onp.linalg.norm(v, ord))
    m = onp.arange(6, dtype="int64").reshape(2, 3)
    check(np.linalg.norm(np.array(m)), onp.linalg.norm(m))
    check(np.linalg.norm(np.array(m), "fro"), onp.linalg.norm(m, "fro"))


def test_linalg_products():
    a = onp.arange(4.0).reshape(2, 2)
    check(np.linalg.matrix_power(np.array(a, dtype="float64"), 3), onp.linalg.matrix_power(a, 3))
    check(np.linalg.matrix_power(np.array(a, dtype="float64"), 0), onp.linalg.matrix_power(a, 0))
    check(np.linalg.multi_dot([np.array(a, dtype="float64")] * 3), onp.linalg.multi_dot([a] * 3))
