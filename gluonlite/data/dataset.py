"""Datasets: indexable collections of samples (MXNet's ``gluon.data.dataset``).

A dataset defines ``__getitem__`` and ``__len__``; the methods here derive new datasets from it
lazily (``transform``, ``filter``, ``shard``, ``take``, ``sample``) without copying the data.
Everything here pickles, so a dataset also travels to DataLoader workers started with spawn.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import errors
from ..ndarray.dispatch import ArrayBase
from . import sampler as _sampler

__all__ = ["ArrayDataset", "Dataset", "SimpleDataset"]


class Dataset:
    """Base class of datasets: subclasses define ``__getitem__(idx)`` and ``__len__()``."""

    def __getitem__(self, idx: int) -> Any:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError

    def filter(self, fn: Callable[[Any], bool]) -> Dataset:
        """The samples for which ``fn(sample)`` is true (``fn`` runs once per sample, now)."""
        return _SampledDataset(self, _sampler.FilterSampler(fn, self))

    def shard(self, num_shards: int, index: int) -> Dataset:
        """Part ``index`` of ``num_shards`` contiguous, near-equal parts (the first
        ``len % num_shards`` parts get one extra sample). Shard before shuffling so that each
        worker of a distributed job sees its own subset."""
        if num_shards <= 0 or not 0 <= index < num_shards:
            raise errors.MXNetValueError(
                f"shard: need num_shards > 0 and 0 <= index < num_shards, got "
                f"num_shards={num_shards}, index={index}"
            )
        base, rest = divmod(len(self), num_shards)
        start = base * index + min(index, rest)
        return _SampledDataset(self, _sampler.SequentialSampler(base + (index < rest), start))

    def take(self, count: int | None) -> Dataset:
        """The first ``count`` samples (all of them when ``count`` is None or too large)."""
        n = len(self)
        count = n if count is None or count > n else count
        return _SampledDataset(self, _sampler.SequentialSampler(count))

    def sample(self, sampler: _sampler.Sampler) -> Dataset:
        """The samples at the indices ``sampler`` yields (drawn once, now)."""
        if not isinstance(sampler, _sampler.Sampler):
            raise errors.MXNetTypeError(
                f"sample() expects a gluonlite.data.Sampler, got {type(sampler).__name__}"
            )
        return _SampledDataset(self, sampler)

    def transform(self, fn: Callable[..., Any], lazy: bool = True) -> Dataset:
        """Each sample passed through ``fn`` (a tuple sample is unpacked: ``fn(*sample)``).

        ``lazy=False`` transforms every sample once, now; keep the default for random
        transforms, or every epoch sees the same result.
        """
        trans = _LazyTransformDataset(self, fn)
        if lazy:
            return trans
        return SimpleDataset([trans[i] for i in range(len(trans))])

    def transform_first(self, fn: Callable[[Any], Any], lazy: bool = True) -> Dataset:
        """Each sample with only its first element passed through ``fn`` (data, not label)."""
        return self.transform(_TransformFirst(fn), lazy)


class SimpleDataset(Dataset):
    """A dataset over any object with ``len()`` and ``[]`` (a list, a NumPy array...)."""

    def __init__(self, data: Any) -> None:
        self._data = data

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, idx: int) -> Any:
        return self._data[idx]


class ArrayDataset(Dataset):
    """Several equal-length arrays or lists side by side: sample ``i`` is
    ``(a[i], b[i], ...)``, or ``a[i]`` alone when there is one.

    A 1-d NDArray is kept as NumPy, so its samples are scalars (as in MXNet).
    """

    def __init__(self, *args: Any) -> None:
        if not args:
            raise errors.MXNetValueError("ArrayDataset needs at least one array")
        self._length = len(args[0])
        self._data = []
        for i, data in enumerate(args):
            if len(data) != self._length:
                raise errors.MXNetValueError(
                    f"ArrayDataset: all arrays must have the same length; array 0 has "
                    f"{self._length} elements but array {i} has {len(data)}"
                )
            if isinstance(data, ArrayBase) and data.ndim == 1:
                data = data.asnumpy()
            self._data.append(data)

    def __getitem__(self, idx: int) -> Any:
        if len(self._data) == 1:
            return self._data[0][idx]
        return tuple(data[idx] for data in self._data)

    def __len__(self) -> int:
        return self._length


class _LazyTransformDataset(Dataset):
    """``fn`` applied to each sample of ``data`` on access."""

    def __init__(self, data: Any, fn: Callable[..., Any]) -> None:
        self._data = data
        self._fn = fn

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, idx: int) -> Any:
        item = self._data[idx]
        if isinstance(item, tuple):
            return self._fn(*item)
        return self._fn(item)


class _TransformFirst:
    """Applies ``fn`` to the first field of a sample (a class, not a closure, so it pickles)."""

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self._fn = fn

    def __call__(self, first: Any, *rest: Any) -> Any:
        if rest:
            return (self._fn(first), *rest)
        return self._fn(first)


class _SampledDataset(Dataset):
    """The samples of ``dataset`` at the indices of ``sampler`` (drawn once)."""

    def __init__(self, dataset: Any, sampler: Any) -> None:
        self._dataset = dataset
        self._indices = list(sampler)

    def __len__(self) -> int:
        return len(self._indices)

    def __getitem__(self, idx: int) -> Any:
        return self._dataset[self._indices[idx]]
