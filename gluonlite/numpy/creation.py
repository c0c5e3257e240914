"""``np`` array creation with MXNet's defaults: float32 unless a dtype is given or the source has
one (float64 after ``npx.set_np(dtype=True)``), the current context unless ``ctx`` is given.

Creation functions always return ``np.ndarray`` (whatever ``set_np`` says, as in MXNet). They
record nothing: the values are constants. ``as_array`` turns any array-like argument of the
other ``np`` functions into an array the same way ``array`` does.
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy

from .. import errors
from ..context import Context, current_context
from ..ndarray.dispatch import ArrayBase
from ..ndarray.ndarray import _move
from ..ops.registry import P
from ..util import is_np_default_dtype
from .ndarray import as_np_ndarray, ndarray

__all__ = [
    "arange", "array", "asarray", "copy", "empty", "empty_like", "eye", "full", "full_like",
    "identity", "linspace", "logspace", "meshgrid", "ones", "ones_like", "tril", "triu", "zeros",
    "zeros_like",
]  # fmt: skip


def default_dtype() -> numpy.dtype:
    """The default float dtype of ``np`` creation: float32 (MXNet), or float64 after
    ``set_np(dtype=True)``."""
    return numpy.dtype(numpy.float64 if is_np_default_dtype() else numpy.float32)


def _dtype(dtype: Any, default: Any = None) -> numpy.dtype:
    try:
        return numpy.dtype(dtype) if dtype is not None else (default or default_dtype())
    except TypeError as exc:
        raise errors.MXNetTypeError(f"{dtype!r} is not a dtype gluonlite understands") from exc


def context_of(ctx: Any = None, device: Any = None) -> Context:
    """The context asked for by ``ctx=`` (MXNet 1.x) or ``device=`` (MXNet 2), else the current."""
    chosen = ctx if ctx is not None else device
    return current_context() if chosen is None else Context(chosen)


def _wrap(data: Any, ctx: Context) -> ndarray:
    return ndarray._wrap(data, ctx)


def _shape(shape: Any) -> tuple[int, ...]:
    return (int(shape),) if hasattr(shape, "__index__") else tuple(int(s) for s in shape)


def _check_order(order: str) -> None:
    if order != "C":
        raise errors.MXNetValueError(f"only C order exists in gluonlite, not order={order!r}")


# ---- from data --------------------------------------------------------------------------------
def array(object: Any, dtype: Any = None, ctx: Any = None, device: Any = None) -> ndarray:
    """A new array holding a copy of ``object`` (nested lists, NumPy arrays, arrays).

    The dtype is ``dtype`` if given, else the source's when it has one (arrays, NumPy arrays
    and scalars), else float32 for Python lists and numbers, integers included (MXNet:
    ``np.array([1, 2])`` is float32), or NumPy's inference after ``set_np(dtype=True)``.
    """
    context = context_of(ctx, device)
    if isinstance(object, ArrayBase) or hasattr(object, "__cuda_array_interface__"):
        source = object._data if isinstance(object, ArrayBase) else object  # or a CuPy array
        moved = _move(source, context)
        with on_device(context):
            if dtype is not None:
                data = moved.astype(_dtype(dtype))
            else:
                data = moved.copy() if moved is source else moved
        return _wrap(data, context)
    if dtype is None and not hasattr(object, "dtype") and not is_np_default_dtype():
        dtype = numpy.float32
    try:
        values = numpy.array(object, dtype=None if dtype is None else numpy.dtype(dtype))
    except (ValueError, TypeError) as exc:
        raise errors.MXNetValueError(
            f"cannot make an array from {type(object).__name__}: {exc}. Every row of a nested "
            "list must have the same length and hold numbers"
        ) from None
    if values.dtype.kind in "OUSV":
        raise errors.MXNetTypeError(f"cannot make a numeric array from {object!r:.60}")
    return _wrap(_move(values, context), context)


def asarray(a: Any, dtype: Any = None, ctx: Any = None, device: Any = None) -> ndarray:
    """``a`` as an np array: the same array (no copy) when it already is one of this dtype on
    this context, else a new one made like ``array`` makes it."""
    if isinstance(a, ArrayBase) and (dtype is None or numpy.dtype(dtype) == a.dtype):
        chosen = ctx if ctx is not None else device
        if chosen is None or Context(chosen) == a._ctx:
            return as_np_ndarray(a)
    return array(a, dtype=dtype, ctx=ctx, device=device)


def as_array(x: Any, like: ArrayBase | None = None) -> Any:
    """An array argument of an ``np`` function: arrays as they are, array-likes (lists, NumPy
    arrays) as ``array`` makes them, on ``like``'s context; Python scalars and None stay as they are."""
    if x is None or isinstance(x, (ArrayBase, int, float, bool)):
        return x
    if isinstance(x, numpy.generic):
        return x.item()
    return array(x, ctx=like._ctx if like is not None else None)


def copy(a: Any) -> Any:
    """A copy of ``a`` (recorded: gradients flow back to ``a``)."""
    a = as_array(a)
    return P.astype(a, dtype=a.dtype) if isinstance(a, ArrayBase) else array(a)


# ---- constant fills ---------------------------------------------------------------------------
def on_device(context: Context) -> contextlib.AbstractContextManager:
    """The block runs with ``context``'s GPU current (nothing to do on cpu)."""
    return contextlib.nullcontext() if context.xp is numpy else context.device()


def raw(context: Context, fn_name: str, *args: Any, **kwargs: Any) -> Any:
    """``xp.<fn_name>(*args, **kwargs)`` run on ``context``'s device: a raw NumPy/CuPy array."""
    with on_device(context):
        return getattr(context.xp, fn_name)(*args, **kwargs)


def constant(like: ArrayBase, fn_name: str, *args: Any, **kwargs: Any) -> ArrayBase:
    """A constant made by ``xp.<fn_name>`` on ``like``'s device, of ``like``'s array class."""
    return type(like)._wrap(raw(like._ctx, fn_name, *args, **kwargs), like._ctx)


def _fill(fn_name: str, shape: Any, dtype: Any, ctx: Any, device: Any, *args: Any) -> ndarray:
    context = context_of(ctx, device)
    return _wrap(raw(context, fn_name, _shape(shape), *args, dtype=_dtype(dtype)), context)


def zeros(shape: Any, dtype: Any = None, order: str = "C", ctx: Any = None, device: Any = None):
    """An array of zeros (float32 by default)."""
    _check_order(order)
    return _fill("zeros", shape, dtype, ctx, device)


def ones(shape: Any, dtype: Any = None, order: str = "C", ctx: Any = None, device: Any = None):
    """An array of ones (float32 by default)."""
    _check_order(order)
    return _fill("ones", shape, dtype, ctx, device)


def empty(shape: Any, dtype: Any = None, order: str = "C", ctx: Any = None, device: Any = None):
    """An uninitialised array (float32 by default; the values are whatever memory held)."""
    _check_order(order)
    return _fill("empty", shape, dtype, ctx, device)


def full(
    shape: Any,
    fill_value: Any,
    dtype: Any = None,
    order: str = "C",
    ctx: Any = None,
    out: Any = None,
    device: Any = None,
) -> Any:
    """An array filled with ``fill_value``: float32 by default (MXNet), bool for a bool fill;
    an array fill is broadcast to ``shape``."""
    _check_order(order)
    if isinstance(fill_value, ArrayBase):
        result = P.broadcast_to(fill_value, shape=_shape(shape))
        result = result if dtype is None else P.astype(result, dtype=numpy.dtype(dtype))
    else:
        default = numpy.dtype(bool) if isinstance(fill_value, bool) else None
        result = _fill("full", shape, _dtype(dtype, default), ctx, device, fill_value)
    return result if out is None else result.copyto(out)


def _like(a: Any, dtype: Any) -> tuple[tuple[int, ...], numpy.dtype, Context]:
    a = as_array(a)
    if not isinstance(a, ArrayBase):
        a = array(a)
    return tuple(a.shape), (a.dtype if dtype is None else numpy.dtype(dtype)), a._ctx


def zeros_like(a: Any, dtype: Any = None, order: str = "C", ctx: Any = None, out: Any = None):
    """Zeros with ``a``'s shape, dtype and context."""
    shape, dt, context = _like(a, dtype)
    result = zeros(shape, dt, order, ctx or context)
    return result if out is None else result.copyto(out)


def ones_like(a: Any, dtype: Any = None, order: str = "C", ctx: Any = None, out: Any = None):
    """Ones with ``a``'s shape, dtype and context."""
    shape, dt, context = _like(a, dtype)
    result = ones(shape, dt, order, ctx or context)
    return result if out is None else result.copyto(out)


def empty_like(a: Any, dtype: Any = None, order: str = "C", ctx: Any = None) -> ndarray:
    """An uninitialised array with ``a``'s shape, dtype and context."""
    shape, dt, context = _like(a, dtype)
    return empty(shape, dt, order, ctx or context)


def full_like(
    a: Any,
    fill_value: Any,
    dtype: Any = None,
    order: str = "C",
    ctx: Any = None,
    out: Any = None,
) -> ndarray:
    """``fill_value`` everywhere, with ``a``'s shape, dtype and context."""
    shape, dt, context = _like(a, dtype)
    result = full(shape, fill_value, dt, order, ctx or context)
    return result if out is None else result.copyto(out)


# ---- ranges and grids -------------------------------------------------------------------------
def arange(
    start: float,
    stop: float | None = None,
    step: float = 1,
    dtype: Any = None,
    ctx: Any = None,
    device: Any = None,
) -> ndarray:
    """Evenly spaced values in [start, stop): float32 by default, integers included (MXNet:
    ``np.arange(3)`` is ``array([0., 1., 2.])``)."""
    context = context_of(ctx, device)
    if stop is None:
        start, stop = 0, start
    return _wrap(raw(context, "arange", start, stop, step, dtype=_dtype(dtype)), context)


def linspace(
    start: float,
    stop: float,
    num: int = 50,
    endpoint: bool = True,
    retstep: bool = False,
    dtype: Any = None,
    axis: int = 0,
    ctx: Any = None,
    device: Any = None,
) -> Any:
    """``num`` evenly spaced values from start to stop (float32 by default)."""
    context = context_of(ctx, device)
    values, step = raw(
        context,
        "linspace",
        start,
        stop,
        int(num),
        endpoint=endpoint,
        retstep=True,
        dtype=_dtype(dtype),
        axis=axis,
    )
    result = _wrap(values, context)
    return (result, step) if retstep else result


def logspace(
    start: float,
    stop: float,
    num: int = 50,
    endpoint: bool = True,
    base: float = 10.0,
    dtype: Any = None,
    axis: int = 0,
    ctx: Any = None,
    device: Any = None,
) -> ndarray:
    """``base ** linspace(start, stop, num)`` (float32 by default)."""
    context = context_of(ctx, device)
    values = raw(
        context,
        "logspace",
        start,
        stop,
        int(num),
        endpoint=endpoint,
        base=base,
        dtype=_dtype(dtype),
        axis=axis,
    )
    return _wrap(values, context)


def eye(
    N: int,
    M: int | None = None,
    k: int = 0,
    dtype: Any = None,
    ctx: Any = None,
    device: Any = None,
) -> ndarray:
    """A 2-d array with ones on the k-th diagonal (float32 by default)."""
    context = context_of(ctx, device)
    return _wrap(raw(context, "eye", int(N), M, int(k), dtype=_dtype(dtype)), context)


def identity(n: int, dtype: Any = None, ctx: Any = None, device: Any = None) -> ndarray:
    """The n x n identity matrix (float32 by default)."""
    return eye(n, dtype=dtype, ctx=ctx, device=device)


def meshgrid(*xi: Any, copy: bool = True, sparse: bool = False, indexing: str = "xy") -> list:
    """Coordinate arrays from 1-d coordinate vectors (NumPy's ``meshgrid``; differentiable)."""
    if indexing not in ("xy", "ij"):
        raise errors.MXNetValueError(f"meshgrid: indexing must be 'xy' or 'ij', not {indexing!r}")
    arrays = [as_array(x) for x in xi]
    arrays = [a if isinstance(a, ArrayBase) else array(a) for a in arrays]
    arrays = [P.reshape(a, newshape=(-1,)) for a in arrays]
    n = len(arrays)
    sizes = [a.shape[0] for a in arrays]
    if indexing == "xy" and n > 1:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for i, a in enumerate(arrays):
        where = (1 - i if i < 2 else i) if indexing == "xy" and n > 1 else i
        grid = P.reshape(a, newshape=tuple(-1 if d == where else 1 for d in range(n)))
        out.append(grid if sparse else P.broadcast_to(grid, shape=tuple(sizes)))
    return out


def _triangle(m: Any, k: int, lower: bool) -> Any:
    m = as_array(m)
    n_rows, n_cols = m.shape[-2:]
    keep = constant(m, "tri", n_rows, n_cols, k if lower else k - 1, dtype=bool)
    return P.where(keep, m, 0) if lower else P.where(keep, 0, m)


def tril(m: Any, k: int = 0) -> Any:
    """``m`` with the elements above the k-th diagonal zeroed (last two axes)."""
    return _triangle(m, k, lower=True)


def triu(m: Any, k: int = 0) -> Any:
    """``m`` with the elements below the k-th diagonal zeroed (last two axes)."""
    return _triangle(m, k, lower=False)
