"""Multi-process stores: 'dist_sync' / 'dist_device_sync' / 'dist_async' over MPI (mpi4py),
and 'nccl' (one process, several GPUs) over CuPy's NCCL binding.

The MPI store is synchronous in all three modes: every push is an ``MPI_Allreduce`` (sum)
over the processes started by ``mpiexec -n N``, so each worker ends the step with the same
values; ``init`` broadcasts rank 0's value. 'dist_async' therefore behaves like 'dist_sync'
(no parameter server exists to update asynchronously).
"""

from __future__ import annotations

from typing import Any

import numpy

from ..errors import MXNetError
from .base import KVStore, _raw_on

__all__ = ["MPIKVStore", "NCCLKVStore"]


def _mpi() -> Any:
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise MXNetError(
            "distributed kvstores ('dist_sync', 'dist_device_sync', 'dist_async') run on MPI "
            "and need mpi4py: install it with `pip install gluonlite[dist]`, then start the "
            "workers with `mpiexec -n N python train.py`"
        ) from exc
    return MPI


class MPIKVStore(KVStore):
    """A kvstore whose pushes are summed over all MPI processes."""

    def __init__(self, name: str = "dist_sync") -> None:
        super().__init__(name)
        self._MPI = _mpi()
        self._comm = self._MPI.COMM_WORLD

    @property
    def rank(self) -> int:
        return self._comm.Get_rank()

    @property
    def num_workers(self) -> int:
        return self._comm.Get_size()

    def _host(self, raw: Any) -> tuple[numpy.ndarray, bool]:
        """A contiguous NumPy buffer MPI can reduce (float16 travels as float32), and whether
        it is a staging copy that must be written back."""
        if isinstance(raw, numpy.ndarray) and raw.flags.c_contiguous and raw.dtype != numpy.float16:
            return raw, False
        host = raw.get() if not isinstance(raw, numpy.ndarray) else raw
        dtype = numpy.float32 if host.dtype == numpy.float16 else host.dtype
        return numpy.ascontiguousarray(host, dtype=dtype), True

    @staticmethod
    def _write_back(raw: Any, host: numpy.ndarray) -> None:
        if isinstance(raw, numpy.ndarray):
            raw[...] = host
        else:
            raw.set(host.astype(raw.dtype, copy=False))

    def _across_workers(self, raw: Any) -> None:
        host, staged = self._host(raw)
        self._comm.Allreduce(self._MPI.IN_PLACE, host, op=self._MPI.SUM)
        if staged:
            self._write_back(raw, host)

    def _from_root(self, raw: Any) -> None:
        host, staged = self._host(raw)
        self._comm.Bcast(host, root=0)
        if staged:
            self._write_back(raw, host)

    def _barrier(self) -> None:
        self._comm.Barrier()

    barrier = _barrier


_NCCL_TYPES = {"float16": "NCCL_FLOAT16", "float32": "NCCL_FLOAT32", "float64": "NCCL_FLOAT64",
               "int32": "NCCL_INT32", "int64": "NCCL_INT64", "uint8": "NCCL_UINT8"}  # fmt: skip


class NCCLKVStore(KVStore):
    """One process driving several GPUs: the values pushed from each GPU are all-reduced with
    NCCL (through CuPy) instead of being copied to one device and summed there."""

    def __init__(self, name: str = "nccl") -> None:
        super().__init__(name)
        try:
            from cupy.cuda import nccl
        except ImportError as exc:
            raise MXNetError(
                "the 'nccl' kvstore needs CuPy built with NCCL support (pip install "
                "gluonlite[gpu]); use 'device' to sum on one GPU instead"
            ) from exc
        self._nccl = nccl
        self._comms: dict[tuple, list] = {}

    def _merge_into(self, dst: Any, ctx: Any, values: list) -> None:
        devices = tuple(v._ctx.device_id for v in values)
        gpus_only = all(v._ctx.device_type == "gpu" for v in values)
        if len(values) < 2 or not gpus_only or len(set(devices)) != len(devices):
            super()._merge_into(dst, ctx, values)
            return
        nccl = self._nccl
        comms = self._comms.get(devices)
        if comms is None:
            comms = self._comms[devices] = nccl.NcclCommunicator.initAll(list(devices))
        dtype = getattr(nccl, _NCCL_TYPES[values[0].dtype.name])
        sums = []
        nccl.groupStart()
        for comm, v in zip(comms, values):
            with v._ctx.device():
                out = v._ctx.xp.empty_like(v._data)
                stream = v._ctx.xp.cuda.get_current_stream()
                comm.allReduce(
                    v._data.data.ptr, out.data.ptr, v.size, dtype, nccl.NCCL_SUM, stream.ptr
                )
            sums.append(type(v)._wrap(out, v._ctx))
        nccl.groupEnd()
        dst[...] = _raw_on(
            sums[devices.index(ctx.device_id)] if ctx.device_id in devices else sums[0], ctx
        )
