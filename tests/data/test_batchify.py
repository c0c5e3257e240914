"""Batchify functions: default collation, Stack, Pad (with lengths), Group/Tuple, List, Append."""

import numpy as np
import pytest

from gluonlite import errors, nd
from gluonlite.data import batchify
from gluonlite.ndarray.dispatch import default_array_class


def test_default_stacks_arrays_and_keeps_numpy_dtypes():
    out = batchify.default_batchify_fn([nd.ones((2, 3)), nd.zeros((2, 3))])
    assert type(out) is default_array_class() and out.shape == (2, 2, 3)
    assert out.dtype == np.float32 and out.asnumpy()[0].sum() == 6
    images = [np.full((4, 4, 3), i, np.uint8) for i in range(5)]
    batch = batchify.default_batchify_fn(images)
    assert batch.shape == (5, 4, 4, 3) and batch.dtype == np.uint8
    assert np.array_equal(batch.asnumpy()[3], images[3])
    labels = batchify.default_batchify_fn([1, 0, 2])
    assert labels.dtype == np.int64 and labels.asnumpy().tolist() == [1, 0, 2]


def test_default_batches_tuples_field_by_field_and_dicts_by_key():
    samples = [(np.full(3, i, np.float32), i) for i in range(4)]
    data, label = batchify.default_batchify_fn(samples)
    assert data.shape == (4, 3) and label.asnumpy().tolist() == [0, 1, 2, 3]
    out = batchify.default_batchify_fn([{"x": 1.5, "name": "a"}, {"x": 2.5, "name": "b"}])
    assert out["name"] == ["a", "b"] and out["x"].asnumpy().tolist() == [1.5, 2.5]


def test_default_shape_mismatch_says_how_to_fix():
    with pytest.raises(errors.ShapeError, match=r"different shapes .*Pad"):
        batchify.default_batchify_fn([np.zeros((2, 2)), np.zeros((3, 2))])
    with pytest.raises(errors.ShapeError, match="different shapes"):
        batchify.default_batchify_fn([nd.zeros((2,)), nd.zeros((3,))])
    with pytest.raises(TypeError, match="cannot batch samples of type object"):
        batchify.default_batchify_fn([object(), object()])


def test_stack():
    out = batchify.Stack()([[1, 2, 3, 4], [4, 5, 6, 8], [8, 9, 1, 2]])
    assert out.shape == (3, 4) and out.asnumpy()[2].tolist() == [8, 9, 1, 2]
    out = batchify.Stack()([nd.array([[1, 2]]), nd.array([[3, 4]])])
    assert out.shape == (2, 1, 2) and out.dtype == np.float32


def test_pad_ragged_lists_with_lengths():
    padded, lengths = batchify.Pad(pad_val=-1, ret_length=True)([[1, 2, 3, 4], [4, 5, 6], [8, 2]])
    assert padded.asnumpy().tolist() == [[1, 2, 3, 4], [4, 5, 6, -1], [8, 2, -1, -1]]
    assert lengths.dtype == np.int32 and lengths.asnumpy().tolist() == [4, 3, 2]
    assert padded.dtype == np.int64


def test_pad_axis_round_to_and_dtype():
    a, b = np.ones((2, 5), np.float32), np.ones((3, 2), np.float32)
    padded, lengths = batchify.Pad(axis=1, ret_length=True, round_to=4, dtype="float64")([a, b])
    assert padded.shape == (2, 3, 8) and padded.dtype == np.float64
    assert lengths.asnumpy().tolist() == [5, 2]
    assert padded.asnumpy()[0].sum() == 10 and padded.asnumpy()[1, :, 2:].sum() == 0
    out = batchify.Pad(val=7)([nd.array([1, 2]), nd.array([3])])
    assert isinstance(out, nd.NDArray) and out.asnumpy().tolist() == [[1, 2], [3, 7]]


def test_pad_rejects_tuples_and_scalars():
    with pytest.raises(TypeError, match="Group"):
        batchify.Pad()([([1], 0), ([2], 1)])
    with pytest.raises(ValueError, match="at least 1"):
        batchify.Pad()([1, 2])


def test_group_and_tuple():
    samples = [([1, 2, 3, 4], 0), ([5, 7], 1)]
    data, label = batchify.Group(batchify.Pad(), batchify.Stack())(samples)
    assert data.asnumpy().tolist() == [[1, 2, 3, 4], [5, 7, 0, 0]]
    assert label.asnumpy().tolist() == [0, 1]
    assert batchify.Tuple is batchify.Group
    fn = batchify.Tuple([batchify.Stack(), batchify.List()])
    assert fn([(1, "a"), (2, "b")])[1] == ["a", "b"]
    with pytest.raises(ValueError, match="2 batchify functions but the samples have 3"):
        fn([(1, 2, 3)])
    with pytest.raises(TypeError, match="not callable"):
        batchify.Group(batchify.Stack(), 3)


def test_append_keeps_shapes():
    out = batchify.Append()([[1, 2, 3], np.array([4.0, 5.0])])
    assert [o.shape for o in out] == [(1, 3), (1, 2)]
    out = batchify.Append(expand=False)([nd.array([1, 2]), nd.array([3])])
    assert [o.shape for o in out] == [(2,), (1,)]
