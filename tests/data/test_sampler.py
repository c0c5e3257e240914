"""Samplers: order, lengths, last-batch modes, and seeding of RandomSampler."""

import pytest

import gluonlite.random
from gluonlite.data import (
    BatchSampler,
    FilterSampler,
    IntervalSampler,
    RandomSampler,
    SequentialSampler,
    SimpleDataset,
)


def test_sequential_sampler_with_start():
    assert list(SequentialSampler(4)) == [0, 1, 2, 3]
    s = SequentialSampler(3, start=7)
    assert list(s) == [7, 8, 9] and len(s) == 3


def test_random_sampler_is_a_permutation_repeated_by_seed():
    gluonlite.random.seed(42)
    s = RandomSampler(20)
    first, second = list(s), list(s)
    assert sorted(first) == list(range(20)) and len(s) == 20
    assert first != second  # a fresh permutation each pass
    gluonlite.random.seed(42)
    assert list(s) == first and list(s) == second
    assert all(type(i) is int for i in first)


def test_batch_sampler_keep_discard():
    keep = BatchSampler(SequentialSampler(10), 3, "keep")
    assert list(keep) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]] and len(keep) == 4
    discard = BatchSampler(SequentialSampler(10), 3, "discard")
    assert list(discard) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]] and len(discard) == 3


def test_batch_sampler_rollover_carries_the_tail_into_the_next_pass():
    s = BatchSampler(SequentialSampler(10), 4, "rollover")
    assert len(s) == 2
    assert list(s) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(s) == 3  # 2 carried + 10 new
    assert list(s) == [[8, 9, 0, 1], [2, 3, 4, 5], [6, 7, 8, 9]]
    assert next(iter(s)) == [0, 1, 2, 3]


def test_batch_sampler_rejects_bad_arguments():
    with pytest.raises(ValueError, match="'keep', 'discard' or 'rollover'"):
        BatchSampler(SequentialSampler(4), 2, "drop")
    with pytest.raises(ValueError, match="batch_size must be positive"):
        BatchSampler(SequentialSampler(4), 0)


def test_interval_sampler():
    s = IntervalSampler(13, interval=3)
    assert list(s) == [0, 3, 6, 9, 12, 1, 4, 7, 10, 2, 5, 8, 11] and len(s) == 13
    s = IntervalSampler(13, interval=3, rollover=False)
    assert list(s) == [0, 3, 6, 9, 12] and len(s) == 5
    with pytest.raises(ValueError, match="smaller than length"):
        IntervalSampler(3, 3)


def test_filter_sampler():
    s = FilterSampler(lambda x: x > 2, SimpleDataset([5, 1, 3, 0]))
    assert list(s) == [0, 2] and len(s) == 2
