"""MXNet's reductions as compositions of the NumPy-named primitives: ``axis`` may be an int, a
tuple or None, ``exclude=True`` reduces over every axis *not* listed, and a reduction to a
single value without keepdims has shape (1,) (MXNet 1.x), not NumPy's 0-d. ``argmax``/``argmin``
return float32 indices, as MXNet does.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy

from .. import errors
from ..ops.registry import P
from ..ops.shape_utils import normalize_axes
from .ndarray import NDArray

__all__ = [
    "argmax",
    "argmax_channel",
    "argmin",
    "cumsum",
    "logsumexp",
    "max",
    "mean",
    "min",
    "nanprod",
    "nansum",
    "norm",
    "prod",
    "std",
    "sum",
    "var",
]
METHODS = (
    "sum",
    "mean",
    "max",
    "min",
    "prod",
    "nansum",
    "nanprod",
    "argmax",
    "argmin",
    "argmax_channel",
    "norm",
)


def _reduced_axes(op: str, data: NDArray, axis: Any, exclude: bool) -> tuple[int, ...]:
    """The axes to reduce, as sorted positive ints."""
    try:
        axes = normalize_axes(axis if axis != () else None, data.ndim)
    except (ValueError, TypeError) as exc:
        raise errors.MXNetValueError(
            f"{op}: bad axis {axis!r} for an array of shape {tuple(data.shape)}: {exc}"
        ) from None
    if exclude:
        axes = tuple(a for a in range(data.ndim) if a not in axes)
    return axes


def _legacy_shape(result: NDArray) -> NDArray:
    """MXNet 1.x has no 0-d arrays: a full reduction gives shape (1,)."""
    return P.reshape(result, newshape=(1,)) if result.ndim == 0 else result


def _reduction(fn: Callable[..., NDArray]) -> Callable[..., NDArray]:
    """Wrap ``fn(data, axes, keepdims)`` in MXNet's signature: axis/exclude handling, the (1,)
    shape of full reductions, and ``out=``/``name=``."""

    @functools.wraps(fn)
    def reduce(
        data: NDArray,
        axis: Any = None,
        keepdims: bool = False,
        exclude: bool = False,
        out: NDArray | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> NDArray:
        axes = _reduced_axes(fn.__name__, data, axis, exclude)
        result = _legacy_shape(fn(data, axes, bool(keepdims), **kwargs))
        return result if out is None else result.copyto(out)

    return reduce


def _count(data: NDArray, axes: tuple[int, ...]) -> int:
    n = 1
    for a in axes:
        n *= data.shape[a]
    return n


@_reduction
def sum(data: NDArray, axes: tuple[int, ...], keepdims: bool) -> NDArray:
    """Sum over ``axis``."""
    return P.sum(data, axis=axes, keepdims=keepdims)


@_reduction
def mean(data: NDArray, axes: tuple[int, ...], keepdims: bool) -> NDArray:
    """Arithmetic mean over ``axis``."""
    return P.true_divide(P.sum(data, axis=axes, keepdims=keepdims), _count(data, axes))


@_reduction
def max(data: NDArray, axes: tuple[int, ...], keepdims: bool) -> NDArray:
    """Maximum over ``axis`` (ties share the gradient)."""
    return P.max(data, axis=axes, keepdims=keepdims)


@_reduction
def min(data: NDArray, axes: tuple[int, ...], keepdims: bool) -> NDArray:
    """Minimum over ``axis`` (ties share the gradient)."""
    return P.min(data, axis=axes, keepdims=keepdims)


@_reduction
def prod(data: NDArray, axes: tuple[int, ...], keepdims: bool) -> NDArray:
    """Product over ``axis``."""
    return P.prod(data, axis=axes, keepdims=keepdims)


@_reduction
def nansum(data: NDArray, axes: tuple[int, ...], keepdims: bool) -> NDArray:
    """Sum over ``axis``, NaNs counted as 0."""
    return P.sum(P.where(P.isnan(data), 0.0, data), axis=axes, keepdims=keepdims)


@_reduction
def nanprod(data: NDArray, axes: tuple[int, ...], keepdims: bool) -> NDArray:
    """Product over ``axis``, NaNs counted as 1."""
    return P.prod(P.where(P.isnan(data), 1.0, data), axis=axes, keepdims=keepdims)


def _centered_square_mean(data: NDArray, axes: tuple[int, ...], keepdims: bool, ddof: int):
    n = _count(data, axes)
    centered = P.subtract(data, P.true_divide(P.sum(data, axis=axes, keepdims=True), n))
    return P.true_divide(P.sum(P.square(centered), axis=axes, keepdims=keepdims), n - ddof)


@_reduction
def var(data: NDArray, axes: tuple[int, ...], keepdims: bool, ddof: int = 0) -> NDArray:
    """Variance over ``axis`` (biased, ddof=0, by default)."""
    return _centered_square_mean(data, axes, keepdims, ddof)


@_reduction
def std(data: NDArray, axes: tuple[int, ...], keepdims: bool, ddof: int = 0) -> NDArray:
    """Standard deviation over ``axis`` (biased, ddof=0, by default)."""
    return P.sqrt(_centered_square_mean(data, axes, keepdims, ddof))


@_reduction
def logsumexp(data: NDArray, axes: tuple[int, ...], keepdims: bool) -> NDArray:
    """log(sum(exp(data))) over ``axis`` without overflow: the maximum m is subtracted first.
    The result m + log(sum(exp(x - m))) equals logsumexp(x) for every x, so m's own gradient
    cancels exactly and derivatives of any order are right."""
    m = P.max(data, axis=axes, keepdims=True)
    m = P.where(P.isfinite(m), m, 0.0)  # all -inf (or inf) slices: keep inf/nan out of x - m
    total = P.sum(P.exp(P.subtract(data, m)), axis=axes, keepdims=True)
    result = P.add(P.log(total), m)
    if keepdims:
        return result
    return P.reshape(result, newshape=tuple(s for i, s in enumerate(result.shape) if i not in axes))


def norm(
    data: NDArray,
    ord: int = 2,
    axis: Any = None,
    keepdims: bool = False,
    out_dtype: Any = None,
    out: NDArray | None = None,
    name: str | None = None,
) -> NDArray:
    """The L1 (``ord=1``) or L2 (``ord=2``) norm over ``axis`` (None: of all values, shape (1,))."""
    if ord not in (1, 2):
        raise errors.MXNetValueError(f"norm: ord must be 1 or 2, got {ord!r}")
    axes = _reduced_axes("norm", data, axis, False)
    if ord == 1:
        result = P.sum(P.abs(data), axis=axes, keepdims=keepdims)
    else:
        result = P.sqrt(P.sum(P.square(data), axis=axes, keepdims=keepdims))
    if out_dtype is not None:
        result = P.astype(result, dtype=numpy.dtype(out_dtype))
    result = _legacy_shape(result)
    return result if out is None else result.copyto(out)


def _index_reduction(op_name: str) -> Callable[..., NDArray]:
    def fn(
        data: NDArray,
        axis: int | None = None,
        keepdims: bool = False,
        out: NDArray | None = None,
        name: str | None = None,
    ) -> NDArray:
        if axis is not None and not isinstance(axis, (int, numpy.integer)):
            raise errors.MXNetTypeError(
                f"{op_name}: axis must be one int or None (flattened), got {axis!r}"
            )
        if axis is not None and not -data.ndim <= axis < data.ndim:
            raise errors.MXNetValueError(
                f"{op_name}: axis {axis} is out of range for shape {tuple(data.shape)}"
            )
        idx = getattr(P, op_name)(data, axis=axis, keepdims=bool(keepdims))
        result = _legacy_shape(P.astype(idx, dtype=numpy.dtype(numpy.float32)))
        return result if out is None else result.copyto(out)

    fn.__name__ = fn.__qualname__ = op_name
    fn.__doc__ = (
        f"Index of the {op_name[3:]}imum along ``axis`` (None: of the flattened array; the "
        "first one on ties), as float32 (MXNet)."
    )
    return fn


argmax = _index_reduction("argmax")
argmin = _index_reduction("argmin")


def argmax_channel(data: NDArray, out: NDArray | None = None, name: str | None = None):
    """argmax along axis 1, as float32 (MXNet's legacy operator: (N, C) -> (N,))."""
    return argmax(data, axis=1, out=out)


def cumsum(
    a: NDArray, axis: int | None = None, dtype: Any = None, out: NDArray | None = None
) -> NDArray:
    """Cumulative sum along ``axis`` (None: of the flattened array)."""
    result = P.cumsum(a, axis=axis, dtype=None if dtype is None else numpy.dtype(dtype))
    return result if out is None else result.copyto(out)
