"""NDArray indexing (``x[key]``, ``x[key] = v``) and MXNet's gather/ordering operators
(take, pick, one_hot, topk, sort, argsort, gather_nd, scatter_nd, boolean_mask)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gluonlite as gl
from gluonlite import autograd, nd
from gluonlite.ops import P


def _x(shape=(3, 4, 5), dtype="float32"):
    return np.arange(int(np.prod(shape)), dtype=dtype).reshape(shape)


# ---- reading ------------------------------------------------------------------------------------
BASIC_KEYS = [
    (1,),
    (-1,),
    (slice(None),),
    (slice(1, 3),),
    (slice(None, None, 2),),
    (slice(None, None, -1),),
    (1, slice(None, 3)),
    (Ellipsis, 2),
    (None, 1),
    (slice(0, 2), None, Ellipsis, slice(1, -1, 2)),
    (1, 2),
    (1, Ellipsis, 4),
    (np.int64(2), slice(np.int32(1), None)),
    (),
    (Ellipsis,),
]


@pytest.mark.parametrize("key", BASIC_KEYS, ids=repr)
def test_basic_indexing_matches_numpy(key):
    a = _x()
    got = nd.array(a)[key]
    want = a[key]
    assert got.shape == want.shape
    np.testing.assert_array_equal(got.asnumpy(), want)


@pytest.mark.parametrize("key", [(1, 2, 3), (-1, 0, 0), (Ellipsis, 1, 2, 3)], ids=repr)
def test_scalar_result_has_shape_1(key):
    """MXNet's nd has no 0-d arrays: a full integer index gives shape (1,)."""
    a = _x()
    got = nd.array(a)[key]
    assert got.shape == (1,)
    assert got.asscalar() == a[key]


def test_iterating_a_vector_gives_shape_1_elements():
    items = list(nd.array([1.0, 2.0, 3.0]))
    assert [i.shape for i in items] == [(1,)] * 3
    assert [i.asscalar() for i in items] == [1.0, 2.0, 3.0]


ADVANCED_KEYS = [
    ([0, 2],),
    ([[0, 1], [2, 2]],),
    ([0, 0, 2], slice(1, 3)),
    (slice(None), [3, 1]),
    ([0, 1], [1, 2]),
    ([0, 1], slice(None), [4, 0]),
    (1, [0, 3], slice(None, None, 2)),
    (Ellipsis, [-1, 0]),
    ([2, -1], None),
]


@pytest.mark.parametrize("key", ADVANCED_KEYS, ids=repr)
@pytest.mark.parametrize("as_", ["list", "numpy", "ndarray"])
def test_advanced_indexing_matches_numpy(key, as_):
    a = _x()
    conv = {
        "list": lambda k: k,
        "numpy": np.asarray,
        "ndarray": lambda k: nd.array(k, dtype="int64"),
    }
    nkey = tuple(conv[as_](k) if isinstance(k, list) else k for k in key)
    np.testing.assert_array_equal(
        nd.array(a)[nkey].asnumpy(),
        a[tuple(np.asarray(k) if isinstance(k, list) else k for k in key)],
    )


def test_float32_index_arrays_are_integer_indices():
    """MXNet's default dtype is float32, and index arrays arrive as float32."""
    a = _x((5, 2))
    got = nd.array(a)[nd.array([4, 0, 4])]
    np.testing.assert_array_equal(got.asnumpy(), a[[4, 0, 4]])


@pytest.mark.parametrize(
    "make", [lambda m: nd.array(m, dtype=bool), np.asarray, list], ids=["ndarray", "numpy", "list"]
)
def test_boolean_mask(make):
    a = _x((4, 3))
    mask = [True, False, True, True]
    np.testing.assert_array_equal(nd.array(a)[make(mask)].asnumpy(), a[np.array(mask)])
    full = a % 2 == 0
    np.testing.assert_array_equal(nd.array(a)[nd.array(full, dtype=bool)].asnumpy(), a[full])
    np.testing.assert_array_equal(
        nd.array(a)[:, np.array([True, False, True])].asnumpy(), a[:, [True, False, True]]
    )


@given(st.data())
def test_random_keys_match_numpy(data):
    a = _x((3, 4, 2))
    key = tuple(
        data.draw(
            st.one_of(
                st.integers(-n, n - 1),
                st.slices(n),
                st.none(),
                st.lists(st.integers(-n, n - 1), min_size=2, max_size=2),
            )
        )
        for n in a.shape[: data.draw(st.integers(0, 3))]
    )
    want = a[tuple(np.asarray(k) if isinstance(k, list) else k for k in key)]
    got = nd.array(a)[key].asnumpy()
    assert got.shape == (want.shape or (1,))
    np.testing.assert_array_equal(got, np.reshape(want, got.shape))


def test_basic_indexing_returns_a_view():
    x = nd.array(_x((4, 3)))
    x[1:3][:] = 5
    assert (x.asnumpy()[1:3] == 5).all() and x.asnumpy()[0, 1] == 1
    row = x[0]
    row[:] = -1
    assert (x.asnumpy()[0] == -1).all()
    assert np.shares_memory(x[:, 1]._data, x._data)
    assert np.shares_memory(x[2, 1]._data, x._data)  # even the (1,)-shaped scalar result


def test_advanced_indexing_copies():
    x = nd.array(_x((4, 3)))
    y = x[[0, 1]]
    y[:] = 7
    assert x.asnumpy()[0, 0] == 0


@pytest.mark.parametrize("key", [(5,), (0, 0, 0), ([0, 9],)], ids=repr)
def test_out_of_range_index_names_the_op(key):
    x = nd.zeros((3, 4))
    with pytest.raises(gl.errors.MXNetIndexError, match="getitem"):
        x[key]


def test_bad_index_type_is_an_index_error():
    with pytest.raises(IndexError, match="valid"):
        nd.zeros((3,))["a"]
    with pytest.raises(IndexError, match="non-integer"):
        nd.zeros((3,))[[0.5]]


def test_getitem_gradient():
    a = nd.array(_x((3, 4)))
    a.attach_grad()
    with autograd.record():
        loss = (
            P.sum(a[1:, ::2] * 2)
            + P.sum(a[[0, 0, 2], 1:2] * 3)
            + P.sum(a[nd.array(_x((3, 4)) > 10, dtype=bool)])
        )
    loss.backward()
    want = np.zeros((3, 4))
    want[1:, ::2] += 2
    want[0, 1] += 3 * 2  # index 0 repeats: its gradients add up
    want[2, 1] += 3
    want[_x((3, 4)) > 10] += 1
    np.testing.assert_array_equal(a.grad.asnumpy(), want)


# ---- writing ------------------------------------------------------------------------------------
SET_CASES = [
    ((1,), 7.0),
    ((slice(None), 2), np.array([1.0, 2.0, 3.0])),
    ((0, slice(1, None, 2)), 2.5),
    (([0, 2], slice(1, 3)), np.array([[1.0, 2.0], [3.0, 4.0]])),
    ((slice(None),), np.arange(4.0)),
    ((1, 1), np.array([9.0])),
    ((np.array([True, False, True]),), -1.0),
]


@pytest.mark.parametrize("key,value", SET_CASES, ids=repr)
@pytest.mark.parametrize("as_nd", [False, True])
def test_setitem_in_place_matches_numpy(key, value, as_nd):
    a = _x((3, 4))
    x = nd.array(a)
    buffer = x._data
    x[key] = nd.array(value) if as_nd and isinstance(value, np.ndarray) else value
    a[key + (Ellipsis,)] = value  # (plain NumPy 2 refuses a (1,) value for a[1, 1])
    np.testing.assert_array_equal(x.asnumpy(), a)
    assert x._data is buffer  # written in place


def test_setitem_list_value_and_cast():
    x = nd.zeros((2, 3), dtype="int32")
    x[0] = [1.7, 2.2, 3.9]
    assert x.dtype == np.int32
    np.testing.assert_array_equal(x.asnumpy()[0], [1, 2, 3])


def test_setitem_on_a_broadcast_view_copies_first():
    src = nd.array([1.0, 2.0, 3.0])
    b = nd.broadcast_to(src, (2, 3))
    b[0, 0] = 9
    np.testing.assert_array_equal(b.asnumpy(), [[9, 2, 3], [1, 2, 3]])
    np.testing.assert_array_equal(src.asnumpy(), [1, 2, 3])


def test_setitem_scalar_region_from_shape_1_array():
    """``x[0] = y[0]`` (both (1,)-shaped in MXNet) must work on a vector."""
    x = nd.zeros((3,))
    y = nd.array([4.0, 5.0])
    x[0] = y[1]
    assert x.asnumpy()[0] == 5


def test_setitem_under_recording_sends_gradients_to_value_and_rest():
    a = nd.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    v = nd.array([10.0, 20.0])
    a.attach_grad()
    v.attach_grad()
    with autograd.record():
        b = a * 1
        before = b._data
        b[0, 1:] = v * a[1, :2]
        loss = P.sum(b * b)
    assert b._data is not before  # rebound, not written in place
    loss.backward()
    np.testing.assert_allclose(v.grad.asnumpy(), [2 * 40 * 4, 2 * 100 * 5])
    np.testing.assert_allclose(a.grad.asnumpy(), [[2, 0, 0], [8 + 800, 10 + 4000, 12]])


def test_setitem_under_recording_with_a_mask_and_a_scalar():
    a = nd.array([1.0, -2.0, 3.0, -4.0])
    a.attach_grad()
    with autograd.record():
        b = a * 2
        b[nd.array([False, True, False, True], dtype=bool)] = 0
    b.backward()
    np.testing.assert_array_equal(b.asnumpy(), [2, 0, 6, 0])
    np.testing.assert_array_equal(a.grad.asnumpy(), [2, 0, 2, 0])


def test_setitem_repeated_indices_last_write_wins_in_gradient():
    x = nd.zeros((3,))
    v = nd.array([1.0, 2.0, 3.0])
    v.attach_grad()
    with autograd.record():
        y = x + 0
        y[nd.array([0, 0, 2], dtype="int64")] = v
        out = y * nd.array([5.0, 6.0, 7.0])
    out.backward()
    np.testing.assert_array_equal(y.asnumpy(), [2, 0, 3])
    np.testing.assert_array_equal(v.grad.asnumpy(), [0, 5, 7])


def test_setitem_into_a_leaf_under_recording_is_refused():
    a = nd.ones((3,))
    a.attach_grad()
    with autograd.record(), pytest.raises(gl.errors.MXNetRuntimeError, match="attach_grad"):
        a[0] = 2.0
    a[0] = 2.0  # outside recording it is an ordinary write
    assert a.asnumpy()[0] == 2


def test_setitem_shape_mismatch_names_the_op():
    with pytest.raises(gl.errors.ShapeError, match="index_update"):
        nd.zeros((3, 4))[0] = nd.ones((3,))


# ---- MXNet gather operators ---------------------------------------------------------------------
def test_take_modes_and_float_indices():
    a = _x((4, 3))
    idx = nd.array([[0, 5], [-1, 2.7]])
    np.testing.assert_array_equal(
        nd.take(nd.array(a), idx).asnumpy(), np.take(a, [[0, 5], [-1, 2]], axis=0, mode="clip")
    )
    np.testing.assert_array_equal(
        nd.array(a).take(idx, axis=1, mode="wrap").asnumpy(),
        np.take(a, [[0, 5], [-1, 2]], axis=1, mode="wrap"),
    )


def test_take_gradient_accumulates_repeats():
    w = nd.array(_x((4, 2)))
    w.attach_grad()
    with autograd.record():
        out = nd.take(w, nd.array([1, 1, 3]))
    out.backward()
    np.testing.assert_array_equal(w.grad.asnumpy(), [[0, 0], [2, 2], [0, 0], [1, 1]])


@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_pick(axis, keepdims):
    a = _x((3, 4))
    ax = axis % 2
    n = a.shape[ax]
    index = np.arange(a.shape[1 - ax]) % n
    want = np.take_along_axis(a, np.expand_dims(index, ax), ax)
    got = nd.pick(nd.array(a), nd.array(index), axis=axis, keepdims=keepdims)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got.asnumpy(), want if keepdims else want.squeeze(ax))


def test_pick_clips_and_wraps_and_differentiates():
    data = nd.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    np.testing.assert_array_equal(nd.pick(data, nd.array([0, 7, -3])).asnumpy(), [1, 4, 5])
    np.testing.assert_array_equal(
        nd.pick(data, nd.array([0, 3, -1]), mode="wrap").asnumpy(), [1, 4, 6]
    )
    data.attach_grad()
    with autograd.record():
        y = data.pick(nd.array([1, 0, 1]))
    y.backward()
    np.testing.assert_array_equal(data.grad.asnumpy(), [[0, 1], [1, 0], [0, 1]])


def test_one_hot():
    got = nd.one_hot(nd.array([1, 0, 2, 5, -1]), 3)
    assert got.dtype == np.float32 and got.shape == (5, 3)
    np.testing.assert_array_equal(
        got.asnumpy(), [[0, 1, 0], [1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0]]
    )
    got = nd.array([[0, 1]]).one_hot(2, on_value=5, off_value=-1, dtype="int32")
    assert got.dtype == np.int32 and got.shape == (1, 2, 2)
    np.testing.assert_array_equal(got.asnumpy(), [[[5, -1], [-1, 5]]])


DATA = np.array([[3.0, 1.0, 4.0, 1.5], [9.0, 2.0, 6.0, 5.0]], dtype=np.float32)


def test_topk_return_types():
    x = nd.array(DATA)
    idx = nd.topk(x, k=2)
    assert idx.dtype == np.float32
    np.testing.assert_array_equal(idx.asnumpy(), [[2, 0], [0, 2]])
    np.testing.assert_array_equal(nd.topk(x, k=2, ret_typ="value").asnumpy(), [[4, 3], [9, 6]])
    values, indices = nd.topk(x, k=1, ret_typ="both", is_ascend=True)
    np.testing.assert_array_equal(values.asnumpy(), [[1], [2]])
    np.testing.assert_array_equal(indices.asnumpy(), [[1], [1]])
    mask = x.topk(k=2, ret_typ="mask")
    assert mask.dtype == np.float32 and mask.shape == DATA.shape
    np.testing.assert_array_equal(mask.asnumpy(), [[1, 0, 1, 0], [1, 0, 1, 0]])
    assert nd.topk(x, k=1, dtype="int32").dtype == np.int32


def test_topk_axis_none_axis_0_and_all():
    x = nd.array(DATA)
    np.testing.assert_array_equal(nd.topk(x, axis=None, k=3, ret_typ="value").asnumpy(), [9, 6, 5])
    np.testing.assert_array_equal(nd.topk(x, axis=0, k=1).asnumpy(), [[1, 1, 1, 1]])
    assert nd.topk(x, k=0, ret_typ="value").shape == (2, 4)  # k < 1: everything, sorted
    with pytest.raises(ValueError, match="ret_typ"):
        nd.topk(x, ret_typ="values")
    with pytest.raises(ValueError, match="k=5"):
        nd.topk(x, k=5)


def test_topk_values_gradient():
    x = nd.array(DATA)
    x.attach_grad()
    with autograd.record():
        v = nd.topk(x, k=2, ret_typ="value")
    v.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [[1, 0, 1, 0], [1, 0, 1, 0]])


def test_sort_and_argsort():
    x = nd.array(DATA)
    np.testing.assert_array_equal(nd.sort(x).asnumpy(), np.sort(DATA))
    np.testing.assert_array_equal(x.sort(axis=0, is_ascend=False).asnumpy(), -np.sort(-DATA, 0))
    got = nd.argsort(x)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got.asnumpy(), np.argsort(DATA))
    np.testing.assert_array_equal(
        x.argsort(is_ascend=False, dtype="int64").asnumpy(), np.argsort(-DATA, kind="stable")
    )
    np.testing.assert_array_equal(nd.sort(x, axis=None).asnumpy(), np.sort(DATA, axis=None))


def test_gather_nd_and_scatter_nd():
    data = _x((3, 4))
    indices = np.array([[0, 2, 2], [1, 3, 0]])
    got = nd.gather_nd(nd.array(data), nd.array(indices))
    np.testing.assert_array_equal(got.asnumpy(), data[tuple(indices)])
    rows = nd.gather_nd(nd.array(data), nd.array([[2, 0]]))
    np.testing.assert_array_equal(rows.asnumpy(), data[[2, 0]])

    v = nd.array([1.0, 2.0, 3.0])
    v.attach_grad()
    with autograd.record():
        out = nd.scatter_nd(v, nd.array(indices), shape=(3, 4))
    want = np.zeros((3, 4))
    want[tuple(indices)] = [1, 2, 3]
    np.testing.assert_array_equal(out.asnumpy(), want)
    out.backward()
    np.testing.assert_array_equal(v.grad.asnumpy(), [1, 1, 1])


def test_nd_boolean_mask():
    data = _x((3, 2))
    got = nd.boolean_mask(nd.array(data), nd.array([1, 0, 1]))
    np.testing.assert_array_equal(got.asnumpy(), data[[0, 2]])
    got = nd.boolean_mask(nd.array(data), nd.array([0, 1]), axis=1)
    np.testing.assert_array_equal(got.asnumpy(), data[:, [1]])


def test_second_order_through_getitem_and_take():
    """Gradient rules are registered ops, so gradients of gradients work."""
    x = nd.array([1.0, 2.0, 3.0], dtype="float64")
    x.attach_grad()
    idx = nd.array([0, 0, 2], dtype="int64")
    with autograd.record():
        y = P.sum(P.power(x[idx], 3)) + P.sum(P.power(nd.take(x, nd.array([1])), 2))
        (g,) = autograd.grad([y], [x], create_graph=True)
        z = P.sum(g * g)
    z.backward()
    # g = (6 x0^2, 2 x1, 3 x2^2); z = 36 x0^4 + 4 x1^2 + 9 x2^4
    np.testing.assert_allclose(g.asnumpy(), [6, 4, 27])
    np.testing.assert_allclose(x.grad.asnumpy(), [144, 16, 36 * 27])
