"""MXNet's gather, pick and ordering operators: ``take``, ``pick``, ``one_hot``, ``topk``,
``sort``, ``argsort``, ``gather_nd``, ``scatter_nd``, ``boolean_mask``; compositions of the
indexing primitives with MXNet's conventions (float32 indices by default, float index input
accepted, clipped out-of-range indices)."""

from __future__ import annotations

from typing import Any

import numpy

from .. import errors
from ..ops import indexing as _np_index
from ..ops.indexing import ALL, ARRAY
from ..ops.registry import P
from .ndarray import NDArray

__all__ = [
    "argsort",
    "boolean_mask",
    "gather_nd",
    "one_hot",
    "pick",
    "scatter_nd",
    "sort",
    "take",
    "topk",
]
METHODS = ("take", "pick", "one_hot", "topk", "sort", "argsort")

_RET_TYPES = ("value", "indices", "mask", "both")


def _int_index(index: NDArray) -> NDArray:
    """Index arrays may arrive as float32 (MXNet's default dtype): truncate to int64."""
    return index if index.dtype.kind in "iu" else P.astype(index, dtype=numpy.dtype("int64"))


def _fixed(index: NDArray, n: int, mode: str) -> NDArray:
    """Indices outside [0, n) clipped ('clip') or wrapped ('wrap'); 'raise' keeps them."""
    if mode == "clip":
        return P.clip(index, a_min=0, a_max=n - 1)
    if mode == "wrap":
        return P.mod(index, n)
    if mode != "raise":
        raise errors.MXNetValueError(f"mode must be 'clip', 'wrap' or 'raise', not {mode!r}")
    return index


def _constant(like: NDArray, values: Any) -> NDArray:
    return type(like)._wrap(values, like._ctx)


def take(a: NDArray, indices: NDArray, axis: int = 0, mode: str = "clip") -> NDArray:
    """Slices of ``a`` along ``axis`` at ``indices`` (result shape: a.shape[:axis] +
    indices.shape + a.shape[axis+1:]); out-of-range indices are clipped by default."""
    return P.take(a, _int_index(indices), axis=axis, mode=mode)


def pick(
    data: NDArray, index: NDArray, axis: int = -1, keepdims: bool = False, mode: str = "clip"
) -> NDArray:
    """One element per position along ``axis``: ``out[i, j] = data[i, index[i, j], j]`` for
    axis 1 (index has data's shape without that axis)."""
    ax = axis % data.ndim
    idx = _int_index(index)
    if idx.ndim == data.ndim - 1:
        idx = P.reshape(idx, newshape=tuple(idx.shape[:ax]) + (1,) + tuple(idx.shape[ax:]))
    out = P.take_along_axis(data, _fixed(idx, data.shape[ax], mode), axis=ax)
    if keepdims:
        return out
    shape = tuple(out.shape[:ax]) + tuple(out.shape[ax + 1 :])
    return P.reshape(out, newshape=shape or (1,))


def one_hot(
    indices: NDArray,
    depth: int,
    on_value: float = 1.0,
    off_value: float = 0.0,
    dtype: Any = "float32",
) -> NDArray:
    """indices.shape + (depth,) with ``on_value`` at each index and ``off_value`` elsewhere
    (indices outside [0, depth) give an all-off row)."""
    idx = _int_index(indices)
    classes = _constant(idx, idx._ctx.xp.arange(depth, dtype=idx.dtype))
    hit = P.equal(P.reshape(idx, newshape=tuple(idx.shape) + (1,)), classes)
    if (on_value, off_value) != (1.0, 0.0):
        hit = P.where(hit, on_value, off_value)
    return P.astype(hit, dtype=numpy.dtype(dtype))


def topk(
    data: NDArray,
    axis: int | None = -1,
    k: int = 1,
    ret_typ: str = "indices",
    is_ascend: bool = False,
    dtype: Any = "float32",
) -> Any:
    """The k largest (``is_ascend``: smallest) elements along ``axis``: their values, their
    indices (float32 by default), a 0/1 mask of data's shape, or [values, indices] ('both');
    k < 1 selects all."""
    if ret_typ not in _RET_TYPES:
        raise errors.MXNetValueError(f"topk: ret_typ must be one of {_RET_TYPES}, not {ret_typ!r}")
    x, ax = _np_index.flat_axis(data, axis)
    n = x.shape[ax]
    k = n if k < 1 else k
    if k > n:
        raise errors.MXNetValueError(
            f"topk: k={k} is larger than the {n} elements along axis {axis} of shape "
            f"{tuple(data.shape)}"
        )
    values, idx = _np_index.topk(x, k, axis=ax, largest=not is_ascend)
    if ret_typ == "mask":
        ones = _constant(x, x._ctx.xp.ones(idx.shape, dtype=data.dtype))
        mask = P.put_along_axis_add(ones, idx, axis=ax, shape=tuple(x.shape))
        return P.reshape(mask, newshape=tuple(data.shape))
    indices = P.astype(idx, dtype=numpy.dtype(dtype))
    if ret_typ == "value":
        return values
    return indices if ret_typ == "indices" else [values, indices]


def sort(data: NDArray, axis: int | None = -1, is_ascend: bool = True) -> NDArray:
    """The values sorted along ``axis`` (None: flattened); differentiable."""
    x, ax = _np_index.flat_axis(data, axis)
    if is_ascend:
        return _np_index.sort(x, axis=ax)
    return _np_index.topk(x, x.shape[ax], axis=ax)[0]


def argsort(
    data: NDArray, axis: int | None = -1, is_ascend: bool = True, dtype: Any = "float32"
) -> NDArray:
    """The indices that sort ``data`` along ``axis``, as ``dtype`` (float32 by default)."""
    x, ax = _np_index.flat_axis(data, axis)
    if is_ascend:
        idx = P.argsort(x, axis=ax)
    else:
        idx = _np_index.topk(x, x.shape[ax], axis=ax)[1]
    return P.astype(idx, dtype=numpy.dtype(dtype))


def _rows(indices: NDArray) -> list[NDArray]:
    """The M index arrays of an (M, ...) gather_nd/scatter_nd index."""
    idx = _int_index(indices)
    return [P.getitem(idx, key=(i,)) for i in range(idx.shape[0])]


def gather_nd(data: NDArray, indices: NDArray) -> NDArray:
    """``out[y...] = data[indices[0, y...], ..., indices[M-1, y...]]`` (shape
    indices.shape[1:] + data.shape[M:])."""
    rows = _rows(indices)
    return P.getitem(data, *rows, key=(ARRAY,) * len(rows))


def scatter_nd(data: NDArray, indices: NDArray, shape: Any) -> NDArray:
    """Zeros of ``shape`` with ``data`` written at the positions gather_nd would read (a
    repeated position keeps the last write); differentiable in ``data``."""
    rows = _rows(indices)
    zeros = _constant(data, data._ctx.xp.zeros(tuple(shape), dtype=data.dtype))
    return P.index_update(zeros, data, *rows, key=(ARRAY,) * len(rows))


def boolean_mask(data: NDArray, index: NDArray, axis: int = 0) -> NDArray:
    """The slices of ``data`` along ``axis`` where ``index`` (1-d, nonzero means keep) holds."""
    mask = index if index.dtype == numpy.bool_ else P.astype(index, dtype=numpy.dtype(bool))
    return P.getitem(data, mask, key=(ALL,) * (axis % data.ndim) + (ARRAY,))
