"""Samplers: iterables of dataset indices (MXNet's ``gluon.data.sampler``).

A sampler yields indices and knows how many it yields; a ``BatchSampler`` groups another
sampler's indices into lists. The DataLoader always draws its sampler in the main process, so
the batches do not depend on how many workers load them. ``RandomSampler`` draws from
gluonlite's global generator: ``gluonlite.random.seed(s)`` makes the shuffles repeat.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy

from .. import errors
from ..ops import random as _ops_random

__all__ = [
    "BatchSampler", "FilterSampler", "IntervalSampler", "RandomSampler", "Sampler",
    "SequentialSampler",
]  # fmt: skip

_LAST_BATCH = ("keep", "discard", "rollover")


class Sampler:
    """Base class: subclasses define ``__iter__`` (indices) and ``__len__``."""

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError


class SequentialSampler(Sampler):
    """The indices ``start, start + 1, ..., start + length - 1`` in order."""

    def __init__(self, length: int, start: int = 0) -> None:
        self._length = int(length)
        self._start = int(start)

    def __iter__(self) -> Iterator[int]:
        return iter(range(self._start, self._start + self._length))

    def __len__(self) -> int:
        return self._length


class RandomSampler(Sampler):
    """A fresh random permutation of ``[0, length)`` on every pass, drawn from gluonlite's
    global generator (``gluonlite.random.seed`` repeats it)."""

    def __init__(self, length: int) -> None:
        self._length = int(length)

    def __iter__(self) -> Iterator[int]:
        return iter(_ops_random.generator(numpy).permutation(self._length).tolist())

    def __len__(self) -> int:
        return self._length


class FilterSampler(Sampler):
    """The indices of the samples of ``dataset`` for which ``fn(sample)`` is true."""

    def __init__(self, fn: Callable[[Any], bool], dataset: Any) -> None:
        self._indices = [i for i in range(len(dataset)) if fn(dataset[i])]

    def __iter__(self) -> Iterator[int]:
        return iter(self._indices)

    def __len__(self) -> int:
        return len(self._indices)


class IntervalSampler(Sampler):
    """Every ``interval``-th index of ``[0, length)``: 0, k, 2k, ...; with ``rollover`` the
    passes starting at 1, 2, ..., k-1 follow, so every index appears once."""

    def __init__(self, length: int, interval: int, rollover: bool = True) -> None:
        if not 0 < interval < length:
            raise errors.MXNetValueError(
                f"IntervalSampler: interval {interval} must be positive and smaller than "
                f"length {length}"
            )
        self._length = int(length)
        self._interval = int(interval)
        self._rollover = rollover

    def __iter__(self) -> Iterator[int]:
        for first in range(self._interval if self._rollover else 1):
            yield from range(first, self._length, self._interval)

    def __len__(self) -> int:
        if self._rollover:
            return self._length
        return (self._length + self._interval - 1) // self._interval


def check_last_batch(last_batch: str) -> str:
    """``last_batch`` itself if it is one of the three modes, else a clear error."""
    if last_batch not in _LAST_BATCH:
        raise errors.MXNetValueError(
            f"last_batch must be one of 'keep', 'discard' or 'rollover', not {last_batch!r}"
        )
    return last_batch


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``.

    The last, short batch is yielded (``'keep'``), dropped (``'discard'``), or carried over
    to the front of the next pass (``'rollover'``).
    """

    def __init__(self, sampler: Any, batch_size: int, last_batch: str = "keep") -> None:
        if int(batch_size) <= 0:
            raise errors.MXNetValueError(f"batch_size must be positive, not {batch_size}")
        self._sampler = sampler
        self._batch_size = int(batch_size)
        self._last_batch = check_last_batch(last_batch)
        self._prev: list[Any] = []

    def __iter__(self) -> Iterator[list[Any]]:
        batch, self._prev = self._prev, []
        for index in self._sampler:
            batch.append(index)
            if len(batch) == self._batch_size:
                yield batch
                batch = []
        if batch:
            if self._last_batch == "keep":
                yield batch
            elif self._last_batch == "rollover":
                self._prev = batch

    def __len__(self) -> int:
        n, size = len(self._sampler), self._batch_size
        if self._last_batch == "keep":
            return (n + size - 1) // size
        if self._last_batch == "discard":
            return n // size
        return (len(self._prev) + n) // size
