"""Key-value stores (MXNet's ``mx.kvstore``): how a Trainer sums gradients across devices and
processes. 'local'/'device' sum in-process; 'dist_sync'/'dist_device_sync'/'dist_async' sum
across ``mpiexec`` processes over MPI; 'nccl' sums across GPUs with NCCL. Every store can also
run the optimizer on the stored weights (``set_optimizer``: update on kvstore).
"""

from __future__ import annotations

from typing import Any

from ..errors import MXNetError, MXNetValueError
from .base import KVStore, KVStoreBase
from .dist import MPIKVStore, NCCLKVStore

__all__ = ["KVStore", "KVStoreBase", "MPIKVStore", "NCCLKVStore", "create"]

_LOCAL = ("local", "device", "local_update_cpu", "local_allreduce_cpu", "local_allreduce_device")
_DIST = ("dist_sync", "dist_device_sync", "dist_async", "dist_sync_device", "dist")


def create(name: Any = "local") -> KVStoreBase:
    """A new store of type ``name`` ('local', 'device', 'nccl', 'dist_sync',
    'dist_device_sync', 'dist_async', 'horovod'); a store instance is returned as is."""
    if isinstance(name, KVStoreBase):
        return name
    if not isinstance(name, str):
        raise MXNetValueError(f"kvstore type must be a string, got {type(name).__name__}")
    if name in _LOCAL:
        return KVStore(name)
    if name == "nccl":
        return NCCLKVStore(name)
    if name in _DIST:
        return MPIKVStore(name)
    if name == "horovod":
        try:
            import horovod  # noqa: F401
        except ImportError:
            raise MXNetError(
                "kvstore 'horovod' needs Horovod (pip install horovod), which gluonlite does "
                "not ship. The same synchronous all-reduce is available without it: "
                "kvstore='dist_sync' under `mpiexec -n N` (pip install gluonlite[dist])"
            ) from None
        raise MXNetError(
            "Horovod's bindings need MXNet's, PyTorch's or TensorFlow's own arrays and cannot "
            "reduce gluonlite arrays; use kvstore='dist_sync' (MPI all-reduce, the same "
            "semantics) under `mpiexec -n N`"
        )
    raise MXNetValueError(
        f"unknown kvstore type {name!r}; use one of {', '.join(_LOCAL + ('nccl',) + _DIST)}"
    )
