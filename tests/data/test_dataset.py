"""Datasets: SimpleDataset, ArrayDataset and the derived views (transform, filter, shard...)."""

import pickle

import numpy as np
import pytest

from gluonlite import errors, nd
from gluonlite.data import ArrayDataset, Dataset, SequentialSampler, SimpleDataset


def _double(x):
    return x * 2


def test_simple_dataset_wraps_any_sequence():
    ds = SimpleDataset([3, 1, 4])
    assert len(ds) == 3 and ds[2] == 4
    assert isinstance(ds, Dataset)


def test_array_dataset_single_and_multiple_fields():
    x = np.arange(12).reshape(6, 2)
    y = nd.array([0, 1, 0, 1, 1, 0])
    assert np.array_equal(ArrayDataset(x)[4], x[4])
    ds = ArrayDataset(x, y, list("abcdef"))
    sample = ds[3]
    assert isinstance(sample, tuple) and len(ds) == 6
    assert np.array_equal(sample[0], x[3]) and sample[2] == "d"
    assert np.isscalar(sample[1]) and sample[1] == 1  # a 1-d NDArray is kept as NumPy


def test_array_dataset_length_mismatch_names_both_lengths():
    with pytest.raises(errors.MXNetValueError, match="array 0 has 3 elements but array 1 has 2"):
        ArrayDataset([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="at least one"):
        ArrayDataset()


def test_transform_lazy_and_eager():
    calls = []

    def fn(x):
        calls.append(x)
        return x + 100

    ds = SimpleDataset([1, 2, 3])
    lazy = ds.transform(fn)
    assert calls == [] and lazy[1] == 102 and calls == [2]
    eager = ds.transform(fn, lazy=False)
    assert isinstance(eager, SimpleDataset) and [eager[i] for i in range(3)] == [101, 102, 103]


def test_transform_unpacks_tuples_and_transform_first_keeps_the_rest():
    ds = ArrayDataset([1, 2, 3], [10, 20, 30])
    assert ds.transform(lambda x, y: x + y)[2] == 33
    first = ds.transform_first(_double)
    assert first[1] == (4, 20)
    assert SimpleDataset([5]).transform_first(_double)[0] == 10  # non-tuple samples
    assert pickle.loads(pickle.dumps(first))[2] == (6, 30)  # travels to spawned workers


def test_filter_take_sample():
    ds = SimpleDataset(list(range(10)))
    evens = ds.filter(lambda x: x % 2 == 0)
    assert [evens[i] for i in range(len(evens))] == [0, 2, 4, 6, 8]
    assert len(ds.take(3)) == 3 and ds.take(3)[2] == 2
    assert len(ds.take(None)) == 10 and len(ds.take(99)) == 10
    picked = ds.sample(SequentialSampler(3, start=5))
    assert [picked[i] for i in range(3)] == [5, 6, 7]
    with pytest.raises(TypeError, match="Sampler"):
        ds.sample([1, 2])


def test_shard_partitions_contiguously():
    ds = SimpleDataset(list(range(10)))
    shards = [ds.shard(3, i) for i in range(3)]
    assert [len(s) for s in shards] == [4, 3, 3]
    assert [s[j] for s in shards for j in range(len(s))] == list(range(10))
    with pytest.raises(ValueError, match="index"):
        ds.shard(3, 3)
    with pytest.raises(ValueError, match="num_shards"):
        ds.shard(0, 0)
