"""NDArray basics: conversion, copies and contexts, in-place operators, NumPy and DLPack
interop, repr, and operator dtype rules."""
import numpy as np
import pytest

import gluonlite as gl
from gluonlite import nd


def test_identity_and_conversion():
    x = nd.array([[1, 2, 3], [4, 5, 6]])
    assert x.shape == (2, 3) and x.size == 6 and x.ndim == 2 and x.dtype == np.float32
    assert x.context == gl.cpu() and x.ctx == gl.cpu() and x.stype == "default"
    np.testing.assert_array_equal(x.T.asnumpy(), x.asnumpy().T)
    assert nd.array([7.0]).asscalar() == np.float32(7.0)
    assert isinstance(nd.array([7.0]).item(), float)
    assert len(x) == 2 and [r.shape for r in x] == [(3,), (3,)]
    with pytest.raises(ValueError, match="one element"):
        x.asscalar()
    with pytest.raises(ValueError, match="ambiguous"):
        bool(x)
    assert float(nd.array([2.5])) == 2.5 and int(nd.array([3.0])) == 3


def test_copies_contexts_and_astype():
    x = nd.array([1.0, 2.0])
    y = x.copy()
    y += 1
    np.testing.assert_array_equal(x.asnumpy(), [1, 2])
    z = nd.zeros((2,))
    x.copyto(z)
    np.testing.assert_array_equal(z.asnumpy(), [1, 2])
    other = x.as_in_context(gl.cpu(1))
    assert other.context == gl.cpu(1) and x.as_in_context(gl.cpu()) is x
    assert x.astype("float64").dtype == np.float64
    assert x.astype("float32", copy=False) is x
    with pytest.raises(ValueError, match="shape"):
        x.copyto(nd.zeros((3,)))


def test_numpy_interop_and_dlpack():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    x = nd.from_numpy(a)
    a[0, 0] = 42
    assert x.asnumpy()[0, 0] == 42  # zero copy
    np.testing.assert_array_equal(np.asarray(x), a)
    back = np.from_dlpack(x)
    assert np.shares_memory(back, a)
    again = nd.from_dlpack(np.arange(3.0))
    np.testing.assert_array_equal(again.asnumpy(), [0, 1, 2])
    assert (a + nd.ones((2, 3))).__class__ is nd.NDArray  # NumPy defers to NDArray


def test_repr_shows_values_shape_and_context():
    text = repr(nd.array([[1, 2], [3, 4]]))
    assert "[[1. 2.]" in text and "<NDArray 2x2 @cpu(0)>" in text


def test_operators_and_scalar_dtypes():
    x = nd.array([1.0, 2.0, 3.0])
    assert (x * 2).dtype == np.float32 and (2.5 - x).dtype == np.float32
    np.testing.assert_allclose((1 / x).asnumpy(), [1, 0.5, 1 / 3], rtol=1e-6)
    np.testing.assert_allclose((x ** 2).asnumpy(), [1, 4, 9])
    np.testing.assert_allclose((np.float64(2) * x).asnumpy(), [2, 4, 6])
    assert (np.float64(2) * x).dtype == np.float32
    np.testing.assert_allclose((x @ x).asnumpy(), 14)


def test_inplace_operators_write_through_views():
    x = nd.zeros((2, 3))
    row = x[1]
    row += 5
    np.testing.assert_array_equal(x.asnumpy()[1], [5, 5, 5])
    y = nd.ones((3,)).broadcast_to((2, 3))
    y += 1  # a read-only broadcast view is copied before writing
    np.testing.assert_array_equal(y.asnumpy(), np.full((2, 3), 2))


def test_save_load_round_trip(tmp_path):
    f = str(tmp_path / "arrays.params")
    nd.save(f, {"a": nd.array([1.0, 2.0]), "b": nd.ones((2, 2), dtype="int32")})
    loaded = nd.load(f)
    assert set(loaded) == {"a", "b"} and loaded["b"].dtype == np.int32
    nd.save(f, [nd.array([3.0])])
    assert nd.load(f)[0].asnumpy().tolist() == [3.0]


def test_pickling_an_ndarray_copies_values():
    import pickle

    x = nd.array([1.0, 2.0])
    y = pickle.loads(pickle.dumps(x))
    np.testing.assert_array_equal(y.asnumpy(), x.asnumpy())
