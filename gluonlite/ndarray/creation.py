"""Array creation: from Python/NumPy data, constant fills, ranges, and zero-copy interop.

Creation is not an op: the values are constants, so nothing is recorded (the tracer treats them
as graph constants).
"""
from __future__ import annotations

from typing import Any

import numpy

from .. import errors
from ..context import Context, array_context, current_context
from .dispatch import ArrayBase, default_array_class

__all__ = [
    "array", "zeros", "ones", "full", "empty", "arange", "linspace", "eye", "zeros_like",
    "ones_like", "full_like", "from_numpy", "from_dlpack", "wrap",
]

DEFAULT_DTYPE = numpy.float32


def _ctx(ctx: Any) -> Context:
    return current_context() if ctx is None else Context(ctx)


def wrap(data: Any, ctx: Context | None = None, cls: type | None = None):
    """Wrap a raw NumPy/CuPy array (no copy) as an array of the current default class."""
    ctx = array_context(data) if ctx is None else ctx
    return (cls or default_array_class())._wrap(data, ctx)


def _dtype(dtype: Any, default: Any = DEFAULT_DTYPE) -> numpy.dtype:
    try:
        return numpy.dtype(default if dtype is None else dtype)
    except TypeError as exc:
        raise errors.MXNetTypeError(f"{dtype!r} is not a dtype gluonlite understands") from exc


def array(source_array: Any, ctx: Any = None, dtype: Any = None):
    """A new array holding a copy of ``source_array`` (nested lists, NumPy arrays, NDArrays).

    The dtype is ``dtype`` if given, the source's for NDArray sources, else float32 (MXNet).
    """
    if isinstance(source_array, ArrayBase):
        src_dtype = source_array.dtype
        source_array = source_array.asnumpy()
        dtype = src_dtype if dtype is None else dtype
    try:
        values = numpy.asarray(source_array)
    except ValueError as exc:
        raise errors.MXNetValueError(
            f"cannot make an array from ragged or malformed input: {exc}. Every row of a nested "
            "list must have the same length"
        ) from None
    if values.dtype == object:
        raise errors.MXNetTypeError(
            f"cannot make an array from objects of type {type(values.flat[0]).__name__}"
        )
    context = _ctx(ctx)
    dt = _dtype(dtype)
    xp = context.xp
    if xp is numpy:
        data = numpy.array(values, dtype=dt, copy=True)
    else:
        with context.device():
            data = xp.array(values, dtype=dt)
    return default_array_class()._wrap(data, context)


def _fill(fn_name: str, shape: Any, ctx: Any, dtype: Any, *args: Any):
    context = _ctx(ctx)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    xp = context.xp
    if xp is numpy:
        data = getattr(numpy, fn_name)(shape, *args, dtype=_dtype(dtype))
    else:
        with context.device():
            data = getattr(xp, fn_name)(shape, *args, dtype=_dtype(dtype))
    return default_array_class()._wrap(data, context)


def zeros(shape: Any, ctx: Any = None, dtype: Any = None, **kwargs: Any):
    """An array of zeros."""
    return _fill("zeros", shape, ctx, dtype)


def ones(shape: Any, ctx: Any = None, dtype: Any = None, **kwargs: Any):
    """An array of ones."""
    return _fill("ones", shape, ctx, dtype)


def empty(shape: Any, ctx: Any = None, dtype: Any = None):
    """An uninitialised array (values are whatever memory held)."""
    return _fill("empty", shape, ctx, dtype)


def full(shape: Any, val: Any, ctx: Any = None, dtype: Any = None, out: Any = None):
    """An array filled with ``val``."""
    context = _ctx(ctx)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if out is not None:
        out._data[...] = val
        return out
    return default_array_class()._wrap(context.xp.full(shape, val, dtype=_dtype(dtype)), context)


def _like(fn, a, dtype=None, **kw):
    return fn(a.shape, ctx=a.context, dtype=a.dtype if dtype is None else dtype, **kw)


def zeros_like(a, dtype: Any = None, **kwargs: Any):
    """Zeros with ``a``'s shape, dtype and context."""
    return _with_class(_like(zeros, a, dtype), a)


def ones_like(a, dtype: Any = None, **kwargs: Any):
    """Ones with ``a``'s shape, dtype and context."""
    return _with_class(_like(ones, a, dtype), a)


def full_like(a, fill_value: Any, dtype: Any = None, **kwargs: Any):
    """``fill_value`` everywhere, with ``a``'s shape, dtype and context."""
    out = full(a.shape, fill_value, ctx=a.context, dtype=a.dtype if dtype is None else dtype)
    return _with_class(out, a)


def _with_class(out, like):
    return type(like)._wrap(out._data, out._ctx) if isinstance(like, ArrayBase) else out


def arange(
    start: float, stop: float | None = None, step: float = 1.0, repeat: int = 1,
    infer_range: bool = False, ctx: Any = None, dtype: Any = None,
):
    """Evenly spaced values in [start, stop); MXNet's ``repeat`` repeats each value."""
    context = _ctx(ctx)
    data = context.xp.arange(start, stop, step, dtype=_dtype(dtype))
    if repeat != 1:
        data = context.xp.repeat(data, repeat)
    return default_array_class()._wrap(data, context)


def linspace(
    start: float, stop: float, num: int, endpoint: bool = True, ctx: Any = None, dtype: Any = None
):
    """``num`` evenly spaced values from start to stop."""
    context = _ctx(ctx)
    data = context.xp.linspace(start, stop, num, endpoint=endpoint, dtype=_dtype(dtype))
    return default_array_class()._wrap(data, context)


def eye(N: int, M: int = 0, k: int = 0, ctx: Any = None, dtype: Any = None):
    """A 2-d array with ones on the k-th diagonal (M=0 means square)."""
    context = _ctx(ctx)
    data = context.xp.eye(N, M or None, k, dtype=_dtype(dtype))
    return default_array_class()._wrap(data, context)


def from_numpy(ndarray: numpy.ndarray, zero_copy: bool = True):
    """An array sharing memory with a NumPy array (a copy when ``zero_copy`` is False)."""
    if not isinstance(ndarray, numpy.ndarray):
        raise errors.MXNetTypeError(f"from_numpy expects a numpy.ndarray, got {type(ndarray)}")
    data = ndarray if zero_copy else ndarray.copy()
    return default_array_class()._wrap(data, array_context(data))


def from_dlpack(dlpack: Any):
    """An array sharing memory with any DLPack producer (NumPy, CuPy, PyTorch, JAX...)."""
    if hasattr(dlpack, "__dlpack_device__"):
        device_type, device_id = dlpack.__dlpack_device__()
        if int(device_type) == 2:  # kDLCUDA
            import cupy

            return wrap(cupy.from_dlpack(dlpack))
    return wrap(numpy.from_dlpack(dlpack))
