"""Devices. A Context names a device and picks its array module: NumPy on cpu, CuPy on gpu.

CuPy is imported only when a gpu context is created, so gluonlite imports without a GPU.
"""
from __future__ import annotations

import types

import numpy

from .errors import MXNetError

__all__ = ["Context", "cpu", "gpu", "cpu_pinned", "current_context", "num_gpus"]

_cupy: types.ModuleType | None = None


def _import_cupy() -> types.ModuleType | None:
    """CuPy if it imports and sees a device, else None; the answer is cached."""
    global _cupy
    if _cupy is None:
        try:
            import cupy

            cupy.cuda.runtime.getDeviceCount()
            _cupy = cupy
        except Exception:  # CuPy missing, or present without a driver or device
            _cupy = False  # type: ignore[assignment]
    return _cupy or None


def num_gpus() -> int:
    """Number of GPUs CuPy can see; 0 when CuPy or a driver is missing."""
    cupy = _import_cupy()
    return cupy.cuda.runtime.getDeviceCount() if cupy else 0


class Context:
    """A device: ``cpu(0)``, ``gpu(1)``. Usable as ``with ctx:`` to set the default device."""

    __slots__ = ("device_type", "device_id", "xp", "_old")
    devtype2str = {1: "cpu", 2: "gpu", 3: "cpu_pinned", 5: "cpu_shared"}
    devstr2type = {v: k for k, v in devtype2str.items()}
    _stack: list[Context] = []

    def __init__(self, device_type: str | int | Context, device_id: int = 0):
        if isinstance(device_type, Context):
            device_type, device_id = device_type.device_type, device_type.device_id
        if isinstance(device_type, int):
            device_type = self.devtype2str.get(device_type, "cpu")
        if device_type not in self.devstr2type:
            raise MXNetError(f"unknown device type {device_type!r}; use 'cpu' or 'gpu'")
        self.device_type = device_type
        self.device_id = int(device_id)
        self.xp = numpy
        if device_type == "gpu":
            cupy = _import_cupy()
            if cupy is None:
                raise MXNetError(
                    f"gpu({device_id}) needs CuPy and a CUDA GPU, and none is usable here: "
                    "install the 'gpu' extra (pip install gluonlite[gpu]) on a machine with a GPU, "
                    "or use cpu()"
                )
            if device_id >= cupy.cuda.runtime.getDeviceCount():
                raise MXNetError(f"gpu({device_id}) does not exist: this machine has {num_gpus()}")
            self.xp = cupy

    @property
    def device_typeid(self) -> int:
        return self.devstr2type[self.device_type]

    def device(self):
        """The CuPy device object to activate around kernel launches (None on cpu)."""
        return self.xp.cuda.Device(self.device_id) if self.device_type == "gpu" else None

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Context)
            and self.device_type == other.device_type
            and self.device_id == other.device_id
        )

    def __hash__(self) -> int:
        return hash((self.device_type, self.device_id))

    def __repr__(self) -> str:
        return f"{self.device_type}({self.device_id})"

    __str__ = __repr__

    def __enter__(self) -> Context:
        Context._stack.append(self)
        return self

    def __exit__(self, *exc) -> None:
        Context._stack.pop()

    def empty_cache(self) -> None:
        """Release cached device memory (CuPy's pool); a no-op on cpu."""
        if self.device_type == "gpu":
            self.xp.get_default_memory_pool().free_all_blocks()


_CPU0 = Context("cpu", 0)


def cpu(device_id: int = 0) -> Context:
    """The CPU context (NumPy arrays)."""
    return _CPU0 if device_id == 0 else Context("cpu", device_id)


def cpu_pinned(device_id: int = 0) -> Context:
    """Pinned host memory; on gluonlite the same as cpu."""
    return Context("cpu_pinned", device_id)


def gpu(device_id: int = 0) -> Context:
    """GPU ``device_id`` (CuPy arrays); raises a clear error where CuPy or the GPU is missing."""
    return Context("gpu", device_id)


def current_context() -> Context:
    """The default context: the innermost ``with ctx:``, else cpu(0)."""
    return Context._stack[-1] if Context._stack else _CPU0


def array_context(data) -> Context:
    """The context that owns a raw NumPy or CuPy array."""
    if isinstance(data, numpy.ndarray) or numpy.isscalar(data):
        return _CPU0
    return Context("gpu", data.device.id)
