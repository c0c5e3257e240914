"""np.ndarray: NumPy semantics on top of NDArray (0-d results, bool comparisons, NumPy reshape
and repr), MXNet's creation defaults, and zero-copy conversion to and from nd.NDArray."""

import pickle

import numpy as onp
import pytest

import gluonlite.numpy as np
import gluonlite.numpy_extension as npx
from gluonlite import autograd, nd
from gluonlite.errors import MXNetError, MXNetTypeError, ShapeError


def test_is_an_ndarray_subclass_and_hashable():
    x = np.ones(3)
    assert isinstance(x, nd.NDArray) and isinstance(x, np.ndarray)
    assert len({x, np.ones(3)}) == 2
    assert np.ndarray((2, 3)).shape == (2, 3)


# ---- MXNet's creation defaults ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("make", "dtype"),
    [
        (lambda: np.array([1, 2, 3]), "float32"),  # NumPy: int64
        (lambda: np.array([1.5, 2]), "float32"),  # NumPy: float64
        (lambda: np.array(onp.arange(3)), "int64"),  # a source dtype is kept
        (lambda: np.array(onp.ones(2)), "float64"),
        (lambda: np.array([1, 2], dtype="int32"), "int32"),
        (lambda: np.zeros((2, 3)), "float32"),
        (lambda: np.ones(3), "float32"),
        (lambda: np.empty(2), "float32"),
        (lambda: np.full((2,), 7), "float32"),  # NumPy: int64
        (lambda: np.full((2,), True), "bool"),
        (lambda: np.arange(5), "float32"),  # NumPy: int64
        (lambda: np.linspace(0, 1, 5), "float32"),
        (lambda: np.eye(3), "float32"),
        (lambda: np.identity(2), "float32"),
        (lambda: np.zeros_like(np.array(onp.arange(3))), "int64"),
        (lambda: np.random.uniform(size=3), "float32"),
        (lambda: np.random.normal(size=(2, 2)), "float32"),
        (lambda: np.random.randint(0, 4, size=3), "int64"),
    ],
)
def test_creation_defaults(make, dtype):
    x = make()
    assert isinstance(x, np.ndarray)
    assert x.dtype == onp.dtype(dtype)


def test_set_np_dtype_makes_float64_the_default():
    npx.set_np(dtype=True)
    assert npx.is_np_default_dtype()
    assert np.array([1, 2]).dtype == onp.int64  # NumPy's inference for lists
    assert np.array([1.5]).dtype == onp.float64
    assert np.zeros(2).dtype == np.arange(3).dtype == np.random.uniform(size=2).dtype == onp.float64
    assert repr(np.ones(2)) == "array([1., 1.])"
    npx.reset_np()
    assert np.zeros(2).dtype == onp.float32


def test_creation_values_and_errors():
    onp.testing.assert_array_equal(np.arange(2, 8, 2).asnumpy(), [2.0, 4.0, 6.0])
    values, step = np.linspace(0, 1, 3, retstep=True)
    assert step == 0.5 and values.shape == (3,)
    onp.testing.assert_allclose(np.logspace(0, 2, 3).asnumpy(), [1, 10, 100])
    assert np.full((2, 2), np.array([1.0, 2.0])).shape == (2, 2)
    with pytest.raises(MXNetError, match="same length"):
        np.array([[1, 2], [3]])
    with pytest.raises(MXNetError, match="order"):
        np.zeros(3, order="F")


def test_array_copies_and_asarray_does_not():
    src = np.ones(3)
    assert np.array(src) is not src
    copy = np.array(src)
    copy[0] = 5
    assert src[0].item() == 1
    assert np.asarray(src) is src
    assert np.asarray(src, dtype="float64").dtype == onp.float64
    n = nd.ones(2)
    assert np.asarray(n)._data is n._data


# ---- NumPy semantics where nd has MXNet's --------------------------------------------------------
def test_0d_results():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert x.sum().shape == () and nd.array(x.asnumpy()).sum().shape == (1,)
    assert x[0, 1].shape == () and x[0, 1].item() == 2.0
    assert x[1].shape == (2,)
    assert float(x.mean()) == 2.5
    assert x.max().ndim == 0 and x.argmax().dtype == onp.int64


def test_comparisons_and_logic_give_bool():
    x = np.array([1.0, 2.0, 3.0])
    for r in (x == 2, x != 2, x > 2, x >= 2, x < 2, x <= 2, 2 < x):
        assert r.dtype == onp.bool_
    onp.testing.assert_array_equal(((x > 1) & (x < 3)).asnumpy(), [False, True, False])
    onp.testing.assert_array_equal(((x < 2) | (x > 2)).asnumpy(), [True, False, True])
    onp.testing.assert_array_equal(((x > 1) ^ (x > 2)).asnumpy(), [False, True, False])
    onp.testing.assert_array_equal((~(x > 1)).asnumpy(), [True, False, False])
    assert (x == None) is False
    with pytest.raises(MXNetTypeError, match="bool arrays"):
        x & x


def test_numpy_reshape_has_no_mxnet_codes():
    x = np.arange(6)
    assert x.reshape(2, 3).shape == x.reshape((2, 3)).shape == (2, 3)
    assert x.reshape(-1, 2).shape == (3, 2)
    assert x.reshape(shape=(3, 2)).shape == (3, 2)
    with pytest.raises(ShapeError, match=r"\(6 elements\)"):
        x.reshape(0, -1)  # MXNet's 'copy this dim' code is a plain 0 here
    with pytest.raises(ShapeError):
        x.reshape(4)
    with pytest.raises(ShapeError):
        np.reshape(x, (-1, -1))


def test_methods_follow_numpy():
    x = np.array([[3.0, 1.0, 2.0], [0.5, 0.25, 4.0]])
    assert x.flatten().shape == (6,)
    assert x.T.shape == (3, 2) and x.transpose(1, 0).shape == (3, 2)
    assert x.squeeze().shape == (2, 3) and np.ones((1, 3, 1)).squeeze().shape == (3,)
    assert x.swapaxes(0, 1).shape == (3, 2)
    onp.testing.assert_array_equal(x.sort().asnumpy(), onp.sort(x.asnumpy()))
    assert x.argsort().dtype == onp.int64
    onp.testing.assert_array_equal(x.clip(min=1, max=3).asnumpy(), onp.clip(x.asnumpy(), 1, 3))
    onp.testing.assert_array_equal(x.round().asnumpy(), onp.round(x.asnumpy()))
    onp.testing.assert_array_equal(np.array([0.5, 1.5, 2.5]).round().asnumpy(), [0, 2, 2])
    assert x.take([0, 2], axis=1).shape == (2, 2)
    assert x.astype("int32").dtype == onp.int32
    assert x.astype(onp.float32, copy=False) is x
    assert x.item(1) == 1.0 and x.tolist()[1][2] == 4.0
    assert np.array(2.5).item() == 2.5
    assert x.all().item() and x.any(axis=0).shape == (3,)
    assert x.std(axis=1).shape == (2,) and x.cumsum().shape == (6,)
    assert x.broadcast_to((2, 2, 3)).shape == (2, 2, 3)
    assert x.dot(x.T).shape == (2, 2)
    assert len(x) == 2 and [r.shape for r in x] == [(3,), (3,)]
    assert x.device == x.ctx and x.to_device("cpu") is x


def test_repr_and_format():
    assert repr(np.array([1.0, 2.0])) == "array([1., 2.])"
    assert repr(np.array([1, 2], dtype="int64")) == "array([1, 2], dtype=int64)"
    assert repr(np.array([1, 2], dtype="int32")) == "array([1, 2], dtype=int32)"
    assert repr(np.array([1.0], dtype="float64")) == "array([1.], dtype=float64)"
    assert repr(np.array([True, False], dtype=bool)) == "array([ True, False])"
    assert repr(np.array(3.0)) == "array(3.)"
    assert str(np.array([1.0, 2.0])) == "[1. 2.]"
    assert f"{np.array(3.14159):.2f}" == "3.14"


def test_pickle_keeps_the_class():
    x = np.array([[1.0, 2.0]])
    y = pickle.loads(pickle.dumps(x))
    assert type(y) is np.ndarray
    onp.testing.assert_array_equal(y.asnumpy(), x.asnumpy())


# ---- conversion ---------------------------------------------------------------------------------
def test_as_nd_and_as_np_share_data_and_autograd():
    x = np.array([1.0, 2.0, 3.0])
    x.attach_grad()
    view = x.as_nd_ndarray()
    assert type(view) is nd.NDArray and view._data is x._data and view._entry is x._entry
    with autograd.record():
        y = (view * view).sum()  # recorded through the nd view
    y.backward()
    onp.testing.assert_allclose(x.grad.asnumpy(), [2.0, 4.0, 6.0])
    assert type(x.grad) is np.ndarray

    n = nd.array([1.0, 2.0])
    n.attach_grad()
    back = n.as_np_ndarray()
    assert type(back) is np.ndarray and back._data is n._data
    with autograd.record():
        z = np.sum(back * 3)
    z.backward()
    onp.testing.assert_allclose(n.grad.asnumpy(), [3.0, 3.0])
    assert back.as_np_ndarray() is back and n.as_nd_ndarray() is n


def test_ops_keep_the_class_of_their_first_input():
    x = np.ones(3)
    assert type(x + 1) is type(nd.relu(x)) is type(np.exp(x)) is np.ndarray
    assert type(nd.ones(3) + x) is nd.NDArray


def test_setitem_and_views():
    x = np.zeros((2, 3))
    x[0, 1] = 5
    x[1] = np.array([1.0, 2.0, 3.0])
    x[:, 2] += 1
    onp.testing.assert_array_equal(x.asnumpy(), [[0, 5, 1], [1, 2, 4]])
    b = x > 1
    assert x[b].shape == (3,)
