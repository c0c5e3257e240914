"""``np`` reductions with NumPy's semantics: a full reduction gives a 0-d array (``nd`` gives
shape (1,)), ``argmax`` gives int64 (``nd`` gives float32), and integer means and variances
are float64. All are registry reductions or compositions of them, so they differentiate.
"""

from __future__ import annotations

import builtins
import math
from typing import Any

import numpy

from .. import errors
from ..ndarray.dispatch import ArrayBase
from ..ops.registry import P, get
from ..ops.shape_utils import normalize_axes
from .creation import full_like
from .math import array_arg, finish, operands

__all__ = [
    "all", "amax", "amin", "any", "argmax", "argmin", "average", "count_nonzero", "cumsum",
    "max", "mean", "min", "prod", "std", "sum", "var",
]  # fmt: skip


def _axes(name: str, a: ArrayBase, axis: Any) -> tuple[int, ...]:
    """``axis`` (None, int or sequence) as sorted non-negative axes of ``a``."""
    try:
        return normalize_axes(axis, a.ndim)
    except (TypeError, ValueError) as exc:
        raise errors.MXNetValueError(
            f"np.{name}: bad axis {axis!r} for an array of shape {tuple(a.shape)}: {exc}"
        ) from None


def _count(a: ArrayBase, axes: tuple[int, ...]) -> int:
    return math.prod(a.shape[i] for i in axes)


def _float(a: ArrayBase, dtype: Any) -> ArrayBase:
    """``a`` in the dtype a mean is computed in: ``dtype``, else float64 for integers and
    bools (NumPy), else its own."""
    if dtype is not None:
        target = numpy.dtype(dtype)
    elif a.dtype.kind in "biu":
        target = numpy.dtype(numpy.float64)
    else:
        return a
    return a if a.dtype == target else P.astype(a, dtype=target)


def sum(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False):
    """Sum over ``axis`` (None: all axes, a 0-d result)."""
    x = array_arg(a)
    dt = None if dtype is None else numpy.dtype(dtype)
    return finish(P.sum(x, axis=_axes("sum", x, axis), keepdims=bool(keepdims), dtype=dt), out)


def mean(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False):
    """Arithmetic mean over ``axis`` (float64 for integer input, as NumPy)."""
    x = _float(array_arg(a), dtype)
    axes = _axes("mean", x, axis)
    total = P.sum(x, axis=axes, keepdims=bool(keepdims))
    return finish(P.true_divide(total, _count(x, axes)), out)


def var(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    out: Any = None,
    ddof: int = 0,
    keepdims: bool = False,
) -> Any:
    """Variance over ``axis``: mean squared deviation, divided by ``n - ddof``."""
    x = _float(array_arg(a), dtype)
    axes = _axes("var", x, axis)
    n = _count(x, axes)
    centered = P.subtract(x, P.true_divide(P.sum(x, axis=axes, keepdims=True), n))
    total = P.sum(P.square(centered), axis=axes, keepdims=bool(keepdims))
    return finish(P.true_divide(total, n - ddof), out)


def std(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    out: Any = None,
    ddof: int = 0,
    keepdims: bool = False,
) -> Any:
    """Standard deviation over ``axis`` (the square root of ``var``)."""
    return finish(P.sqrt(var(a, axis, dtype, None, ddof, keepdims)), out)


def max(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False) -> Any:
    """Maximum over ``axis`` (ties share the gradient)."""
    x = array_arg(a)
    return finish(P.max(x, axis=_axes("max", x, axis), keepdims=bool(keepdims)), out)


def min(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False) -> Any:
    """Minimum over ``axis`` (ties share the gradient)."""
    x = array_arg(a)
    return finish(P.min(x, axis=_axes("min", x, axis), keepdims=bool(keepdims)), out)


amax, amin = max, min


def prod(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False):
    """Product over ``axis``."""
    x = array_arg(a)
    if dtype is not None:
        x = P.astype(x, dtype=numpy.dtype(dtype))
    return finish(P.prod(x, axis=_axes("prod", x, axis), keepdims=bool(keepdims)), out)


def _index_of(name: str):
    op = get(name)

    def fn(a: Any, axis: int | None = None, out: Any = None, keepdims: bool = False) -> Any:
        x = array_arg(a)
        if axis is not None and not -x.ndim <= int(axis) < builtins.max(x.ndim, 1):
            raise errors.MXNetValueError(
                f"np.{name}: axis {axis} is out of range for an array of shape {tuple(x.shape)}"
            )
        return finish(op(x, axis=None if axis is None else int(axis), keepdims=bool(keepdims)), out)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"int64 index of the first {name[3:]}imum along ``axis`` (None: flattened)."
    return fn


argmax = _index_of("argmax")
argmin = _index_of("argmin")


def cumsum(a: Any, axis: int | None = None, dtype: Any = None, out: Any = None) -> Any:
    """Cumulative sum along ``axis`` (None: of the flattened array)."""
    x = array_arg(a)
    dt = None if dtype is None else numpy.dtype(dtype)
    return finish(P.cumsum(x, axis=axis, dtype=dt), out)


def count_nonzero(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Number of nonzero (true) elements along ``axis``, as int64."""
    x = array_arg(a)
    return P.sum(P.not_equal(x, 0), axis=_axes("count_nonzero", x, axis), keepdims=bool(keepdims))


def all(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False) -> Any:
    """Whether every element along ``axis`` is true (nonzero); True for empty input."""
    x = array_arg(a)
    zeros = P.sum(P.equal(x, 0), axis=_axes("all", x, axis), keepdims=bool(keepdims))
    return finish(P.equal(zeros, 0), out)


def any(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False) -> Any:
    """Whether some element along ``axis`` is true (nonzero); False for empty input."""
    return finish(P.greater(count_nonzero(a, axis, keepdims), 0), out)


def average(
    a: Any,
    axis: Any = None,
    weights: Any = None,
    returned: bool = False,
    keepdims: bool = False,
) -> Any:
    """The mean along ``axis``, weighted by ``weights`` (same shape as ``a``, or 1-d along a
    single ``axis``); with ``returned``, also the sum of the weights."""
    if weights is None:
        result = mean(a, axis, keepdims=keepdims)
        if not returned:
            return result
        x = array_arg(a)
        count = _count(x, _axes("average", x, axis))
        return result, full_like(result, count)
    x, w = operands(a, weights)
    x = _float(x, None)
    axes = _axes("average", x, axis)
    if w.shape != x.shape:
        if w.ndim != 1 or len(axes) != 1 or w.shape[0] != x.shape[axes[0]]:
            raise errors.ShapeError(
                f"np.average: weights of shape {tuple(w.shape)} fit neither a of shape "
                f"{tuple(x.shape)} nor its axis {axis}"
            )
        w = P.reshape(w, newshape=tuple(-1 if d == axes[0] else 1 for d in range(x.ndim)))
        w = P.broadcast_to(w, shape=tuple(x.shape))
    scale = P.sum(w, axis=axes, keepdims=bool(keepdims))
    result = P.true_divide(P.sum(P.multiply(x, w), axis=axes, keepdims=bool(keepdims)), scale)
    return (result, P.broadcast_to(scale, shape=result.shape)) if returned else result
