"""DataLoader: mini-batches from a dataset, loaded in the main process, worker processes or
threads (MXNet's ``gluon.data.DataLoader``).

The main process always draws the sampler, so the batches (which samples, in which order) are
the same for any ``num_workers``; workers only load and batchify. With ``num_workers > 0`` a
persistent pool (see ``_worker``) keeps ``prefetch`` batches in flight; batches come back
through shared memory (see ``_shm``). Random transforms in workers repeat under
``gluonlite.random.seed``: worker ``w`` reseeds with ``seed + w`` and always loads batches
``w, w + num_workers, ...`` of an epoch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import errors
from ..context import num_gpus
from ..ndarray.dispatch import ArrayBase
from . import sampler as _sampler
from ._worker import DataLoaderTimeoutError, ProcessPool, ThreadPool
from .batchify import default_batchify_fn, default_mp_batchify_fn

__all__ = ["DataLoader", "DataLoaderTimeoutError", "default_batchify_fn", "default_mp_batchify_fn"]


class DataLoader:
    """Loads ``dataset`` in mini-batches.

    Give ``batch_size`` (with optional ``shuffle``, ``sampler`` and
    ``last_batch='keep'|'discard'|'rollover'``) or a ``batch_sampler`` yielding lists of
    indices. ``batchify_fn`` merges a list of samples (default: ``default_batchify_fn``).

    ``num_workers > 0`` loads in that many processes (forked on Linux; spawned elsewhere, where
    the dataset must pickle), or threads with ``thread_pool=True``, keeping ``prefetch``
    (default ``2 * num_workers``) batches in flight. The workers persist across epochs and stop
    once the loader and its iterators are gone, or at exit. A batch not delivered within
    ``timeout`` seconds raises ``DataLoaderTimeoutError``; an exception in a worker is raised
    here with its own type and the worker's traceback. Workers must not use a GPU (CUDA does
    not survive fork): move batches there in the training loop.

    ``pin_memory`` copies batches into page-locked host memory when CuPy and a GPU are present
    (faster copies to the GPU) and is a no-op otherwise; ``pin_device_id`` is accepted for
    MXNet. ``try_nopython`` is accepted and ignored (there is no C++ loader).
    """

    def __init__(
        self, dataset: Any, batch_size: int | None = None, shuffle: bool = False,
        sampler: Any = None, last_batch: str | None = None, batch_sampler: Any = None,
        batchify_fn: Callable | None = None, num_workers: int = 0, pin_memory: bool = False,
        pin_device_id: int = 0, prefetch: int | None = None, thread_pool: bool = False,
        timeout: float = 120, try_nopython: bool | None = None,
    ) -> None:  # fmt: skip
        if not timeout > 0:
            raise errors.MXNetValueError(f"DataLoader: timeout must be positive, given {timeout}")
        if batch_sampler is None:
            if batch_size is None:
                raise errors.MXNetValueError(
                    "DataLoader: batch_size must be specified unless batch_sampler is specified"
                )
            if sampler is None:
                n = len(dataset)
                sampler = _sampler.RandomSampler(n) if shuffle else _sampler.SequentialSampler(n)
            elif shuffle:
                raise errors.MXNetValueError(
                    "DataLoader: shuffle must not be specified if sampler is specified (the "
                    "sampler decides the order)"
                )
            batch_sampler = _sampler.BatchSampler(sampler, batch_size, last_batch or "keep")
        elif batch_size is not None or shuffle or sampler is not None or last_batch is not None:
            raise errors.MXNetValueError(
                "DataLoader: batch_size, shuffle, sampler and last_batch must not be specified "
                "if batch_sampler is specified"
            )
        self._dataset = dataset
        self._batch_sampler = batch_sampler
        self._batchify_fn = batchify_fn or default_batchify_fn
        self._num_workers = max(0, int(num_workers))
        self._prefetch = max(0, int(prefetch) if prefetch is not None else 2 * self._num_workers)
        self._thread_pool = thread_pool
        self._timeout = timeout
        self._pin = bool(pin_memory) and num_gpus() > 0
        self._pool: ProcessPool | ThreadPool | None = None

    def __iter__(self):
        if self._num_workers == 0:
            return _SameProcessIter(self)
        if self._pool is None or not self._pool.alive:
            kind = ThreadPool if self._thread_pool else ProcessPool
            self._pool = kind(self._num_workers, self._dataset, self._batchify_fn)
        return _PoolIter(self, self._pool)

    def __len__(self) -> int:
        return len(self._batch_sampler)


class _SameProcessIter:
    """Loads each batch when asked, in the main process."""

    def __init__(self, loader: DataLoader) -> None:
        self._dataset = loader._dataset
        self._batchify_fn = loader._batchify_fn
        self._pin = loader._pin
        self._batches = iter(loader._batch_sampler)
        self._len = len(loader)

    def __iter__(self):
        return self

    def __len__(self) -> int:
        return self._len

    def __next__(self) -> Any:
        indices = next(self._batches)
        batch = self._batchify_fn([self._dataset[i] for i in indices])
        return _pin_memory(batch) if self._pin else batch


class _PoolIter:
    """Keeps ``prefetch`` batches queued on a worker pool; batch ``i`` goes to worker
    ``i % num_workers`` and is returned in order."""

    def __init__(self, loader: DataLoader, pool: ProcessPool | ThreadPool) -> None:
        self._pool = pool
        self._id = pool.new_iter()
        self._timeout = loader._timeout
        self._pin = loader._pin
        self._len = len(loader)
        self._batches = iter(loader._batch_sampler)
        self._sent = self._received = 0
        for _ in range(max(1, loader._prefetch)):
            self._push()

    def _push(self) -> None:
        indices = next(self._batches, _END)
        if indices is _END:
            return
        self._pool.submit(self._sent % self._pool.num_workers, (self._id, self._sent), indices)
        self._sent += 1

    def __iter__(self):
        return self

    def __len__(self) -> int:
        return self._len

    def __next__(self) -> Any:
        if self._received == self._sent:
            self._pool.forget(self._id)
            raise StopIteration
        if not self._pool.alive:
            raise errors.MXNetRuntimeError(
                "this DataLoader iterator's workers were shut down after an earlier error; "
                "start a new pass with iter(loader)"
            )
        index = self._received
        self._received += 1
        self._push()
        batch = self._pool.get(index % self._pool.num_workers, (self._id, index), self._timeout)
        return _pin_memory(batch) if self._pin else batch

    def __del__(self) -> None:
        pool = getattr(self, "_pool", None)
        if pool is not None and pool.alive:
            pool.forget(self._id)


_END = object()


def _pin_memory(batch: Any) -> Any:
    """``batch`` with every cpu array copied into page-locked (pinned) host memory."""
    if isinstance(batch, ArrayBase):
        if batch.context.device_type == "gpu":
            return batch
        import cupyx

        pinned = cupyx.empty_pinned(batch.shape, batch.dtype)
        pinned[...] = batch._data
        return type(batch)._wrap(pinned, batch.context)
    if isinstance(batch, (list, tuple)):
        pinned = [_pin_memory(b) for b in batch]
        return pinned if isinstance(batch, list) else tuple(pinned)
    if isinstance(batch, dict):
        return {k: _pin_memory(v) for k, v in batch.items()}
    return batch
