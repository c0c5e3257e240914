"""MXNet's shape operators (ndarray/mx_shape.py): reshape codes, flatten, squeeze, concat,
split, slice, pad, broadcast forms... against NumPy formulas and MXNet's documented examples."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import gluonlite as gl
from gluonlite import autograd, nd
from gluonlite.ndarray.mx_shape import mx_reshape_shape
from gluonlite.ops import P


def _x(shape):
    return np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)


# ---- reshape ------------------------------------------------------------------------------------
# (input shape, spec, reverse, output shape): the examples of MXNet's reshape documentation
RESHAPE_DOCS = [
    ((2, 3, 4), (4, 0, 2), False, (4, 3, 2)),
    ((2, 3, 4), (2, 0, 0), False, (2, 3, 4)),
    ((2, 3, 4), (6, 1, -1), False, (6, 1, 4)),
    ((2, 3, 4), (3, -1, 8), False, (3, 1, 8)),
    ((2, 3, 4), (-1,), False, (24,)),
    ((2, 3, 4), (-2,), False, (2, 3, 4)),
    ((2, 3, 4), (2, -2), False, (2, 3, 4)),
    ((2, 3, 4), (-2, 1, 1), False, (2, 3, 4, 1, 1)),
    ((2, 3, 4), (-3, 4), False, (6, 4)),
    ((2, 3, 4, 5), (-3, -3), False, (6, 20)),
    ((2, 3, 4), (0, -3), False, (2, 12)),
    ((2, 3, 4), (-3, -2), False, (6, 4)),
    ((2, 3, 4), (-4, 1, 2, -2), False, (1, 2, 3, 4)),
    ((2, 3, 4), (2, -4, -1, 3, -2), False, (2, 1, 3, 4)),
    ((2, 3, 4), (0, -1), False, (2, 12)),
    ((10, 5, 4), (-1, 0), False, (40, 5)),
    ((10, 5, 4), (-1, 0), True, (50, 4)),
    ((6, 4), (-4, 2, -1, 0), True, (2, 3, 4)),
    ((2, 3, 4), (-1, 2, 2), True, (6, 2, 2)),
    ((6, 4), (-4, 2, -1, 0), False, (2, 3, 4)),
]


@pytest.mark.parametrize("src,spec,reverse,want", RESHAPE_DOCS, ids=repr)
def test_reshape_codes(src, spec, reverse, want):
    assert mx_reshape_shape(src, spec, reverse) == want
    x = nd.array(_x(src))
    got = nd.reshape(x, shape=spec, reverse=reverse)
    assert got.shape == want
    np.testing.assert_array_equal(got.asnumpy(), _x(src).reshape(want))


def test_reshape_call_forms():
    x = nd.array(_x((2, 3, 4)))
    assert x.reshape(6, 4).shape == (6, 4)
    assert x.reshape((6, 4)).shape == (6, 4)
    assert x.reshape([0, -1]).shape == (2, 12)
    assert x.reshape(shape=(-3, -2)).shape == (6, 4)
    assert x.reshape(-1).shape == (24,)
    assert x.reshape(np.int64(24)).shape == (24,)
    assert nd.reshape(x, (4, -1)).shape == (4, 6)
    assert nd.Reshape(x, shape=(0, 0, 2, 2)).shape == (2, 3, 2, 2)
    out = nd.zeros((24,))
    nd.reshape(x, shape=(-1,), out=out)
    np.testing.assert_array_equal(out.asnumpy(), np.arange(24))


def test_reshape_is_a_view():
    x = nd.zeros((2, 3))
    y = x.reshape(3, 2)
    y._data[0, 0] = 5
    assert x.asnumpy()[0, 0] == 5


@pytest.mark.parametrize("spec", [(5, 5), (4, 0, 3), (-1, 5), (2, 3, 4, 2)], ids=repr)
def test_reshape_error_names_both_shapes(spec):
    x = nd.zeros((2, 3, 4))
    with pytest.raises(gl.errors.ShapeError) as info:
        x.reshape(spec)
    text = str(info.value)
    assert "(2, 3, 4)" in text and "24" in text and "reshape" in text


@pytest.mark.parametrize(
    "spec", [(-1, -1), (-4, -1, -1), (-3,), (0, 0, 0, 0), (-4, 5, -1, 0, 0), (-5, 4)], ids=repr
)
def test_reshape_bad_codes(spec):
    with pytest.raises(ValueError, match="reshape"):
        nd.zeros((2, 3, 4)).reshape(spec)


@given(hnp.array_shapes(min_dims=1, max_dims=4, max_side=4), st.data())
def test_reshape_plain_and_zero_codes_match_numpy(src, data):
    """0 copies the source dim at that position and -1 infers: NumPy's reshape after that."""
    spec = [data.draw(st.sampled_from([0, n])) for n in src]
    if data.draw(st.booleans()):
        spec[data.draw(st.integers(0, len(spec) - 1))] = -1
    want = np.zeros(src).reshape([n if s == 0 else s for s, n in zip(spec, src)]).shape
    assert nd.zeros(src).reshape(spec).shape == want


def test_reshape_gradient():
    x = nd.array(_x((2, 3, 4)))
    x.attach_grad()
    with autograd.record():
        y = x.reshape(-4, 1, 2, -3) * nd.array(_x((1, 2, 12)))
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), _x((2, 3, 4)))


def test_reshape_like():
    x = nd.zeros((2, 3, 4))
    assert nd.reshape_like(x, nd.zeros((6, 4))).shape == (6, 4)
    assert x.reshape_like(nd.zeros((5, 12)), lhs_begin=1, lhs_end=3, rhs_begin=1).shape == (2, 12)
    with pytest.raises(gl.errors.ShapeError, match=r"\(2, 3, 4\)"):
        nd.reshape_like(x, nd.zeros((5,)))


# ---- axis shuffles ------------------------------------------------------------------------------
def test_flatten_expand_squeeze():
    x = nd.zeros((2, 3, 4))
    assert nd.flatten(x).shape == (2, 12) and x.flatten().shape == (2, 12)
    assert nd.Flatten(nd.zeros((5,))).shape == (5, 1)
    assert nd.expand_dims(x, axis=1).shape == (2, 1, 3, 4)
    assert x.expand_dims(-1).shape == (2, 3, 4, 1)
    assert nd.squeeze(nd.zeros((1, 3, 1))).shape == (3,)
    assert nd.zeros((1, 3, 1)).squeeze(axis=0).shape == (3, 1)
    assert nd.squeeze(nd.zeros((1, 3, 1)), axis=(0, 2)).shape == (3,)
    assert nd.squeeze(nd.zeros((1, 1))).shape == (1,)  # MXNet keeps (1,), never 0-d
    with pytest.raises(gl.errors.ShapeError, match="size 3"):
        nd.squeeze(nd.zeros((1, 3)), axis=1)


def test_transpose_swapaxes_moveaxis():
    a = _x((2, 3, 4))
    x = nd.array(a)
    np.testing.assert_array_equal(nd.transpose(x).asnumpy(), a.T)
    np.testing.assert_array_equal(nd.transpose(x, axes=(1, 0, 2)).asnumpy(), a.transpose(1, 0, 2))
    np.testing.assert_array_equal(x.transpose(2, 0, 1).asnumpy(), a.transpose(2, 0, 1))
    np.testing.assert_array_equal(x.transpose((2, 0, 1)).asnumpy(), a.transpose(2, 0, 1))
    np.testing.assert_array_equal(nd.transpose(x, axes=()).asnumpy(), a.T)
    np.testing.assert_array_equal(nd.swapaxes(x, 0, 2).asnumpy(), a.swapaxes(0, 2))
    np.testing.assert_array_equal(nd.SwapAxis(x, dim1=1, dim2=2).asnumpy(), a.swapaxes(1, 2))
    np.testing.assert_array_equal(x.swapaxes(0, 1).asnumpy(), a.swapaxes(0, 1))
    np.testing.assert_array_equal(nd.moveaxis(x, 0, -1).asnumpy(), np.moveaxis(a, 0, -1))


# ---- broadcasting -------------------------------------------------------------------------------
def test_broadcast_forms():
    a = _x((2, 1, 3))
    x = nd.array(a)
    assert nd.broadcast_to(x, shape=(2, 4, 3)).shape == (2, 4, 3)
    np.testing.assert_array_equal(
        x.broadcast_to((0, 4, 0)).asnumpy(), np.broadcast_to(a, (2, 4, 3))
    )
    assert nd.broadcast_like(x, nd.zeros((2, 5, 3))).shape == (2, 5, 3)
    assert x.broadcast_like(nd.zeros((7, 5)), lhs_axes=(1,), rhs_axes=(0,)).shape == (2, 7, 3)
    assert nd.broadcast_axis(x, axis=1, size=6).shape == (2, 6, 3)
    assert x.broadcast_axes(axis=(1,), size=(2,)).shape == (2, 2, 3)
    with pytest.raises(gl.errors.ShapeError, match="size 1"):
        nd.broadcast_axis(x, axis=0, size=4)
    with pytest.raises(gl.errors.ShapeError, match="broadcast"):
        nd.broadcast_to(x, (3, 4, 3))


def test_broadcast_gradient_sums():
    x = nd.array(_x((2, 1)))
    x.attach_grad()
    with autograd.record():
        y = nd.broadcast_axis(x, axis=1, size=3)
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [[3], [3]])


def test_tile_and_repeat():
    a = _x((2, 3))
    x = nd.array(a)
    np.testing.assert_array_equal(nd.tile(x, reps=(2, 1, 2)).asnumpy(), np.tile(a, (2, 1, 2)))
    np.testing.assert_array_equal(x.tile(2).asnumpy(), np.tile(a, 2))
    np.testing.assert_array_equal(nd.repeat(x, repeats=2, axis=1).asnumpy(), np.repeat(a, 2, 1))
    np.testing.assert_array_equal(x.repeat(3).asnumpy(), np.repeat(a, 3))


# ---- joining and splitting ----------------------------------------------------------------------
def test_concat_and_stack():
    a, b = _x((2, 3)), _x((2, 2))
    np.testing.assert_array_equal(
        nd.concat(nd.array(a), nd.array(b)).asnumpy(), np.concatenate([a, b], 1)
    )
    np.testing.assert_array_equal(
        nd.Concat(nd.array(a), nd.array(a), dim=0).asnumpy(), np.concatenate([a, a], 0)
    )
    np.testing.assert_array_equal(
        nd.concatenate([nd.array(a), nd.array(a)]).asnumpy(), np.concatenate([a, a])
    )
    np.testing.assert_array_equal(
        nd.stack(nd.array(a), nd.array(a), axis=1).asnumpy(), np.stack([a, a], 1)
    )
    with pytest.raises(gl.errors.ShapeError, match="concatenate"):
        nd.concat(nd.array(a), nd.array(b), dim=0)
    with pytest.raises(gl.errors.ShapeError, match="stack"):
        nd.stack(nd.array(a), nd.array(b))


def test_concat_gradient_keeps_each_dtype():
    a = nd.ones((2, 2), dtype="float32")
    b = nd.ones((2, 1), dtype="float64")
    a.attach_grad()
    b.attach_grad()
    with autograd.record():
        y = nd.concat(a, b) * nd.array([[1.0, 2.0, 3.0]], dtype="float64")
    y.backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64
    np.testing.assert_array_equal(a.grad.asnumpy(), [[1, 2], [1, 2]])
    np.testing.assert_array_equal(b.grad.asnumpy(), [[3], [3]])


def test_split():
    a = _x((2, 6))
    x = nd.array(a)
    parts = nd.split(x, num_outputs=3)
    assert isinstance(parts, list) and len(parts) == 3
    for got, want in zip(parts, np.split(a, 3, axis=1)):
        np.testing.assert_array_equal(got.asnumpy(), want)
    whole = nd.split(x, num_outputs=1, axis=0)
    assert isinstance(whole, nd.NDArray) and whole.shape == (2, 6)
    rows = x.split(2, axis=0, squeeze_axis=True)
    assert [r.shape for r in rows] == [(6,), (6,)]
    assert [p.shape for p in nd.SliceChannel(x, 2)] == [(2, 3), (2, 3)]
    assert [p.shape for p in nd.split_v2(x, (1, 4), axis=1)] == [(2, 1), (2, 3), (2, 2)]
    with pytest.raises(gl.errors.ShapeError, match="4 equal parts"):
        nd.split(x, 4)
    with pytest.raises(gl.errors.ShapeError, match="squeeze_axis"):
        nd.split(x, 2, squeeze_axis=True)


def test_split_gradient():
    x = nd.array(_x((2, 4)))
    x.attach_grad()
    with autograd.record():
        p, q = nd.split(x, 2)
        y = p * 2 + q * 3
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [[2, 2, 3, 3], [2, 2, 3, 3]])


# ---- flipping and slicing -----------------------------------------------------------------------
def test_flip():
    a = _x((2, 3))
    np.testing.assert_array_equal(nd.flip(nd.array(a), axis=1).asnumpy(), a[:, ::-1])
    np.testing.assert_array_equal(nd.reverse(nd.array(a), axis=(0, 1)).asnumpy(), a[::-1, ::-1])
    np.testing.assert_array_equal(nd.array(a).flip(0).asnumpy(), a[::-1])


def test_slice_forms():
    a = _x((3, 4, 5))
    x = nd.array(a)
    np.testing.assert_array_equal(nd.slice(x, begin=(0, 1), end=(2, 3)).asnumpy(), a[0:2, 1:3])
    np.testing.assert_array_equal(x.slice((None, 1), (None, None), (None, 2)).asnumpy(), a[:, 1::2])
    np.testing.assert_array_equal(nd.slice(x, (2,), (None,), (-1,)).asnumpy(), a[2::-1])
    np.testing.assert_array_equal(nd.slice_axis(x, axis=1, begin=1, end=None).asnumpy(), a[:, 1:])
    np.testing.assert_array_equal(x.slice_axis(-1, -3, -1).asnumpy(), a[..., -3:-1])
    np.testing.assert_array_equal(nd.slice_like(x, nd.zeros((2, 2, 2))).asnumpy(), a[:2, :2, :2])
    np.testing.assert_array_equal(
        nd.slice_like(x, nd.zeros((2, 2, 2)), axes=(0, -1)).asnumpy(), a[:2, :, :2]
    )
    with pytest.raises(ValueError, match="one length"):
        nd.slice(x, (0, 1), (2,))


def test_slice_is_a_view_and_differentiable():
    x = nd.array(_x((3, 4)))
    assert np.shares_memory(nd.slice_axis(x, 0, 1, 2)._data, x._data)
    x.attach_grad()
    with autograd.record():
        y = nd.slice(x, (1, None), (None, None), (None, 2))
    y.backward()
    want = np.zeros((3, 4))
    want[1:, ::2] = 1
    np.testing.assert_array_equal(x.grad.asnumpy(), want)


# ---- padding ------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["constant", "edge", "reflect"])
def test_pad_modes_with_flat_pad_width(mode):
    a = _x((1, 2, 3, 4))
    flat = (0, 0, 0, 0, 1, 2, 2, 1)
    kw = {"constant_value": 7.0} if mode == "constant" else {}
    got = nd.pad(nd.array(a), mode=mode, pad_width=flat, **kw)
    want = np.pad(
        a, ((0, 0), (0, 0), (1, 2), (2, 1)), mode=mode, **({"constant_values": 7.0} if kw else {})
    )
    np.testing.assert_array_equal(got.asnumpy(), want)


@pytest.mark.parametrize("mode", ["edge", "reflect"])
def test_pad_gradient(mode):
    a = _x((1, 1, 3, 4)) / 10
    x = nd.array(a, dtype="float64")
    x.attach_grad()
    w = np.random.RandomState(0).rand(1, 1, 6, 6)
    with autograd.record():
        y = P.sum(x.pad(mode, (0, 0, 0, 0, 1, 2, 2, 0)) * nd.array(w, dtype="float64"))
    y.backward()
    # the pad is linear: its gradient is sum over output cells of w times d out / d x
    want = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        e = np.zeros_like(a)
        e[idx] = 1
        want[idx] = (np.pad(e, ((0, 0), (0, 0), (1, 2), (2, 0)), mode=mode) * w).sum()
    np.testing.assert_allclose(x.grad.asnumpy(), want)


def test_pad_errors():
    with pytest.raises(gl.errors.ShapeError, match="pad_width needs 4"):
        nd.pad(nd.zeros((2, 2)), mode="constant", pad_width=(1, 1))
    with pytest.raises(ValueError, match="mode"):
        nd.pad(nd.zeros((2, 2)), mode="wrap", pad_width=(1, 1, 1, 1))


# ---- diag and depth/space -----------------------------------------------------------------------
@pytest.mark.parametrize("k", [-1, 0, 2])
def test_diag(k):
    v = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    np.testing.assert_array_equal(nd.diag(nd.array(v), k=k).asnumpy(), np.diag(v, k))
    m = _x((3, 4))
    np.testing.assert_array_equal(nd.diag(nd.array(m), k=k).asnumpy(), np.diag(m, k))
    t = _x((2, 3, 4))
    for axes in [(0, 1), (1, 2), (0, 2), (2, 0)]:
        np.testing.assert_array_equal(
            nd.diag(nd.array(t), k=k, axis1=axes[0], axis2=axes[1]).asnumpy(),
            np.diagonal(t, k, *axes),
        )


def test_depth_to_space_and_back():
    a = _x((1, 8, 2, 3))
    b = 2
    x = nd.array(a)
    d2s = nd.depth_to_space(x, b)
    want = a.reshape(1, b, b, 2, 2, 3).transpose(0, 3, 4, 1, 5, 2).reshape(1, 2, 4, 6)
    np.testing.assert_array_equal(d2s.asnumpy(), want)
    np.testing.assert_array_equal(nd.space_to_depth(d2s, b).asnumpy(), a)
    with pytest.raises(gl.errors.ShapeError, match="divisible"):
        nd.depth_to_space(nd.zeros((1, 6, 2, 2)), 2)
