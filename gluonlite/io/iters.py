"""Concrete iterators: ``NDArrayIter`` (in-memory arrays, MXNet 1.9's batching rules),
``CSVIter``, ``ResizeIter`` and ``PrefetchingIter``."""

from __future__ import annotations

import queue
import threading
from typing import Any

import numpy

from .. import errors
from .base import DataBatch, DataDesc, DataIter

__all__ = ["CSVIter", "NDArrayIter", "PrefetchingIter", "ResizeIter"]

_LAST_BATCH = ("pad", "discard", "roll_over")


def _host(value: Any) -> numpy.ndarray:
    """An array on the host: NDArrays keep their dtype, other inputs become float32 (MXNet)."""
    if hasattr(value, "asnumpy"):
        return value.asnumpy()
    return numpy.asarray(value, dtype=numpy.float32)


def _init_data(data: Any, allow_empty: bool, default_name: str) -> list[tuple[str, Any]]:
    """Named host arrays sorted by name, as MXNet orders them: one array is ``default_name``,
    a list of several is ``_0_{default_name}``, ``_1_{default_name}``..."""
    if data is None:
        if not allow_empty:
            raise errors.MXNetValueError("NDArrayIter needs data")
        return []
    if not isinstance(data, (list, tuple, dict)):
        data = [data]
    if isinstance(data, (list, tuple)):
        if not data and not allow_empty:
            raise errors.MXNetValueError("NDArrayIter needs data")
        names = (
            [default_name] if len(data) == 1 else [f"_{i}_{default_name}" for i in range(len(data))]
        )
        data = dict(zip(names, data))
    return sorted((k, _host(v)) for k, v in data.items())


class NDArrayIter(DataIter):
    """Batches of in-memory arrays (NDArray, NumPy, lists, or lists/dicts of them).

    ``last_batch_handle``: 'pad' fills the last batch with samples from the start and reports
    them in ``pad``; 'discard' drops an incomplete last batch; 'roll_over' carries the leftover
    samples into the first batch of the next epoch (whose ``pad`` is their count, as in MXNet).
    ``shuffle`` draws a new order from NumPy's global generator at every reset.
    """

    def __init__(
        self,
        data: Any,
        label: Any = None,
        batch_size: int = 1,
        shuffle: bool = False,
        last_batch_handle: str = "pad",
        data_name: str = "data",
        label_name: str = "softmax_label",
    ) -> None:
        super().__init__(batch_size)
        if last_batch_handle not in _LAST_BATCH:
            raise errors.MXNetValueError(
                f"NDArrayIter: last_batch_handle must be one of {_LAST_BATCH}, not "
                f"{last_batch_handle!r}"
            )
        self.data = _init_data(data, False, data_name)
        self.label = _init_data(label, True, label_name)
        sizes = {k: v.shape[0] for k, v in self.data + self.label}
        if len(set(sizes.values())) != 1:
            raise errors.ShapeError(f"NDArrayIter: arrays differ in length: {sizes}")
        self.num_data = next(iter(sizes.values()))
        if last_batch_handle == "discard" and batch_size > self.num_data:
            raise errors.MXNetValueError(
                f"NDArrayIter: batch_size {batch_size} exceeds the {self.num_data} samples and "
                "last_batch_handle='discard' would give no batch"
            )
        self.idx = numpy.arange(self.num_data)
        self.shuffle = shuffle
        self.last_batch_handle = last_batch_handle
        self.cursor = -batch_size
        self._cache: numpy.ndarray | None = None  # roll_over: the leftover sample indices
        self._current: tuple[int, numpy.ndarray] | None = None
        self.reset()

    @property
    def provide_data(self) -> list[DataDesc]:
        return [DataDesc(k, (self.batch_size,) + v.shape[1:], v.dtype) for k, v in self.data]

    @property
    def provide_label(self) -> list[DataDesc]:
        return [DataDesc(k, (self.batch_size,) + v.shape[1:], v.dtype) for k, v in self.label]

    def hard_reset(self) -> None:
        """Back to the start, forgetting rolled-over samples."""
        if self.shuffle:
            numpy.random.shuffle(self.idx)
        self.cursor = -self.batch_size
        self._cache = None
        self._current = None

    def reset(self) -> None:
        last = self.num_data - self.batch_size < self.cursor < self.num_data
        if self.last_batch_handle == "roll_over" and last:
            self.cursor = self.cursor - self.num_data - self.batch_size
        else:
            self.cursor = -self.batch_size
        if self.shuffle:
            numpy.random.shuffle(self.idx)
        self._current = None

    def iter_next(self) -> bool:
        self.cursor += self.batch_size
        return self.cursor < self.num_data

    def next(self) -> DataBatch:
        if not self.iter_next():
            raise StopIteration
        indices = self._indices()
        if len(indices) != self.batch_size:  # incomplete: keep it for roll_over, then stop
            self._cache = indices
            raise StopIteration
        return DataBatch(data=self.getdata(), label=self.getlabel(), pad=self.getpad(), index=None)

    def _indices(self) -> numpy.ndarray:
        """The sample indices of the batch at the cursor (computed once per position)."""
        if self._current is not None and self._current[0] == self.cursor:
            return self._current[1]
        c, b, n = self.cursor, self.batch_size, self.num_data
        if self.last_batch_handle == "roll_over" and -b < c < 0:
            if self._cache is None:
                raise errors.MXNetRuntimeError("NDArrayIter: no rolled-over samples to start from")
            indices = numpy.concatenate([self._cache, self.idx[: c + b]])
            self._cache = None
        elif self.last_batch_handle == "pad" and c + b > n:
            indices = numpy.concatenate([self.idx[c:], numpy.resize(self.idx, c + b - n)])
        else:
            indices = self.idx[c : min(c + b, n)]
        self._current = (c, indices)
        return indices

    def _batch(self, source: list) -> list:
        from .. import ndarray as nd

        indices = self._indices()
        return [nd.array(v[indices], dtype=v.dtype) for _, v in source]

    def getdata(self) -> list:
        return self._batch(self.data)

    def getlabel(self) -> list:
        return self._batch(self.label)

    def getpad(self) -> int:
        c, b = self.cursor, self.batch_size
        if self.last_batch_handle == "pad" and c + b > self.num_data:
            return c + b - self.num_data
        if self.last_batch_handle == "roll_over" and -b < c < 0:
            return -c
        return 0


class CSVIter(NDArrayIter):
    """Batches from CSV files of flattened samples, reshaped to ``data_shape``/``label_shape``
    (MXNet's ``CSVIter``; ``round_batch`` pads the last batch, else it is dropped)."""

    def __init__(
        self,
        data_csv: str,
        data_shape: Any,
        label_csv: str | None = None,
        label_shape: Any = (1,),
        batch_size: int = 1,
        round_batch: bool = True,
        dtype: Any = "float32",
        **kwargs: Any,
    ) -> None:
        data = numpy.loadtxt(data_csv, delimiter=",", dtype=dtype, ndmin=2)
        data = data.reshape((-1,) + tuple(data_shape))
        if label_csv is None:
            label = numpy.zeros((data.shape[0],) + tuple(label_shape), dtype)
        else:
            label = numpy.loadtxt(label_csv, delimiter=",", dtype=dtype, ndmin=2)
            label = label.reshape((-1,) + tuple(label_shape))
        if tuple(label_shape) == (1,):
            label = label.reshape(-1)
        from .. import ndarray as nd

        super().__init__(
            nd.array(data, dtype=dtype),
            nd.array(label, dtype=dtype),
            batch_size,
            last_batch_handle="pad" if round_batch else "discard",
        )


class ResizeIter(DataIter):
    """Exactly ``size`` batches per epoch from ``data_iter``, restarting it when it runs out."""

    def __init__(self, data_iter: DataIter, size: int, reset_internal: bool = True) -> None:
        super().__init__(data_iter.batch_size)
        self.data_iter = data_iter
        self.size = size
        self.reset_internal = reset_internal
        self.cur = 0
        self.current_batch: DataBatch | None = None
        self.provide_data = data_iter.provide_data
        self.provide_label = data_iter.provide_label

    def reset(self) -> None:
        self.cur = 0
        if self.reset_internal:
            self.data_iter.reset()

    def iter_next(self) -> bool:
        if self.cur == self.size:
            return False
        try:
            self.current_batch = self.data_iter.next()
        except StopIteration:
            self.data_iter.reset()
            self.current_batch = self.data_iter.next()
        self.cur += 1
        return True

    def getdata(self) -> list:
        return self.current_batch.data

    def getlabel(self) -> list:
        return self.current_batch.label

    def getindex(self) -> Any:
        return self.current_batch.index

    def getpad(self) -> int:
        return self.current_batch.pad


class PrefetchingIter(DataIter):
    """Reads the next batch of one or more iterators in a background thread; several
    iterators are zipped into one batch (their data and labels concatenated)."""

    def __init__(
        self, iters: Any, rename_data: list | None = None, rename_label: list | None = None
    ) -> None:
        self.iters = list(iters) if isinstance(iters, (list, tuple)) else [iters]
        super().__init__(self.iters[0].batch_size)
        self.provide_data = self._renamed("provide_data", rename_data)
        self.provide_label = self._renamed("provide_label", rename_label)
        self.current_batch: DataBatch | None = None
        self._thread: threading.Thread | None = None
        self._start()

    def _renamed(self, attr: str, renames: list | None) -> list:
        out = []
        for k, it in enumerate(self.iters):
            names = renames[k] if renames else {}
            out += [
                DataDesc(names.get(d.name, d.name), d.shape, getattr(d, "dtype", "float32"))
                for d in getattr(it, attr) or []
            ]
        return out

    def _start(self) -> None:
        # the worker holds no reference to self, so a dropped iterator stops its thread
        q: queue.Queue = queue.Queue(maxsize=1)
        stop = threading.Event()
        iters = self.iters

        def put(item: Any) -> None:
            while not stop.is_set():
                try:
                    q.put(item, timeout=0.05)
                    return
                except queue.Full:
                    continue

        def work() -> None:
            try:
                while not stop.is_set():
                    put([it.next() for it in iters])
            except StopIteration:
                put(None)
            except Exception as exc:  # noqa: BLE001  (surfaced to the consumer by iter_next)
                put(exc)

        self._queue, self._stop = q, stop
        self._thread = threading.Thread(target=work, daemon=True)
        self._thread.start()

    def _halt(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def reset(self) -> None:
        self._halt()
        for it in self.iters:
            it.reset()
        self._start()

    def iter_next(self) -> bool:
        item = self._queue.get()
        if item is None:
            self._queue.put(None)  # stay at the end until reset
            return False
        if isinstance(item, Exception):
            raise item
        data = [d for b in item for d in b.data]
        label = [lb for b in item for lb in (b.label or [])]
        self.current_batch = DataBatch(
            data,
            label,
            item[0].pad,
            item[0].index,
            provide_data=self.provide_data,
            provide_label=self.provide_label,
        )
        return True

    def getdata(self) -> list:
        return self.current_batch.data

    def getlabel(self) -> list:
        return self.current_batch.label

    def getindex(self) -> Any:
        return self.current_batch.index

    def getpad(self) -> int:
        return self.current_batch.pad

    def __del__(self) -> None:
        if getattr(self, "_stop", None) is not None:
            self._stop.set()
