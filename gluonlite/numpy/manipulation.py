"""``np`` shape manipulation, joining and splitting, sorting and searching, with NumPy's
semantics and argument names: compositions of the shape and indexing primitives, so they
differentiate (except the data-dependent ``unique``/``nonzero``, which have no gradient).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy

from .. import errors
from ..ndarray import mx_shape
from ..ndarray.dispatch import ArrayBase
from ..ops import shape as _shape_ops
from ..ops.indexing import ALL
from ..ops.indexing import sort as _sort
from ..ops.registry import P
from .creation import constant, on_device, raw
from .math import array_arg, finish, operands

__all__ = [
    "append", "argsort", "argwhere", "array_split", "atleast_1d", "atleast_2d", "atleast_3d",
    "broadcast_arrays", "broadcast_to", "column_stack", "concatenate", "diag", "diagonal",
    "diff", "dsplit", "dstack", "expand_dims", "flip", "fliplr", "flipud", "hsplit", "hstack",
    "moveaxis", "ndim", "nonzero", "pad", "ravel", "repeat", "reshape", "roll", "shape",
    "size", "sort", "split", "squeeze", "stack", "swapaxes", "take", "take_along_axis", "tile",
    "trace", "transpose", "unique", "vsplit", "vstack",
]  # fmt: skip


def _arrays(seq: Sequence[Any]) -> list[ArrayBase]:
    seq = list(seq)
    if not seq:
        raise errors.MXNetValueError("need at least one array to join")
    converted = operands(*seq) or operands(*(numpy.asarray(s) for s in seq))
    return [a if isinstance(a, ArrayBase) else array_arg(a) for a in converted]


def _shape_tuple(shape: Any) -> tuple[int, ...]:
    return (int(shape),) if hasattr(shape, "__index__") else tuple(int(s) for s in shape)


def _slice_key(axis: int, start: int | None, stop: int | None) -> tuple:
    return (ALL,) * axis + ((start, stop, None),)


def _guard(a: ArrayBase, what: str) -> None:
    guard = getattr(a, "_guard", None)
    if guard is not None:
        guard(what)


# ---- shape --------------------------------------------------------------------------------------
def shape(a: Any) -> tuple[int, ...]:
    """The shape of ``a``."""
    return tuple(a.shape) if hasattr(a, "shape") else numpy.shape(a)


def size(a: Any, axis: int | None = None) -> int:
    """The number of elements of ``a`` (along ``axis`` if given)."""
    dims = shape(a)
    return math.prod(dims) if axis is None else dims[axis]


def ndim(a: Any) -> int:
    """The number of dimensions of ``a``."""
    return len(shape(a))


def reshape(a: Any, newshape: Any, order: str = "C") -> Any:
    """NumPy reshape: one dimension may be -1; the element count must match (no MXNet codes)."""
    if order != "C":
        raise errors.MXNetValueError(f"reshape: only order='C' exists, not {order!r}")
    x = array_arg(a)
    target = _shape_tuple(newshape)
    known = math.prod(s for s in target if s != -1)
    if target.count(-1) > 1 or any(s < -1 for s in target):
        bad = True
    elif -1 in target:
        bad = known == 0 or x.size % known != 0
    else:
        bad = known != x.size
    if bad:
        raise errors.ShapeError(
            f"reshape: cannot reshape an array of shape {tuple(x.shape)} ({x.size} elements) "
            f"into shape {target}; one dimension may be -1, the others must multiply to "
            f"{x.size}\n  called from {errors.user_frame()}"
        )
    return P.reshape(x, newshape=target)


def ravel(a: Any, order: str = "C") -> Any:
    """The flattened array (a view when possible)."""
    return reshape(a, (-1,), order)


def transpose(a: Any, axes: Any = None) -> Any:
    """Permute the axes (reverse them when ``axes`` is None)."""
    return P.transpose(array_arg(a), axes=None if axes is None else tuple(axes))


def swapaxes(a: Any, axis1: int, axis2: int) -> Any:
    """Exchange two axes."""
    return _shape_ops.swapaxes(array_arg(a), axis1, axis2)


def moveaxis(a: Any, source: Any, destination: Any) -> Any:
    """Move axes to new positions, keeping the order of the others."""
    x = array_arg(a)
    src = [s % x.ndim for s in ((source,) if isinstance(source, int) else source)]
    dst = [d % x.ndim for d in ((destination,) if isinstance(destination, int) else destination)]
    if len(src) != len(dst):
        raise errors.MXNetValueError("moveaxis: source and destination need the same length")
    order = [d for d in range(x.ndim) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return P.transpose(x, axes=tuple(order))


def expand_dims(a: Any, axis: Any) -> Any:
    """Insert size-1 axes at ``axis`` (positions in the result)."""
    return _shape_ops.expand_dims(array_arg(a), axis if isinstance(axis, int) else tuple(axis))


def squeeze(a: Any, axis: Any = None) -> Any:
    """Remove size-1 axes (all of them when ``axis`` is None; the result may be 0-d)."""
    axis = axis if axis is None or isinstance(axis, int) else tuple(axis)
    return _shape_ops.squeeze(array_arg(a), axis)


def broadcast_to(array: Any, shape: Any) -> Any:
    """Broadcast to ``shape`` (NumPy: a 0 is a zero-length axis, not MXNet's 'keep')."""
    return P.broadcast_to(array_arg(array), shape=_shape_tuple(shape))


def broadcast_arrays(*args: Any) -> list:
    """The arrays broadcast against each other."""
    arrays = _arrays(args)
    target = numpy.broadcast_shapes(*(tuple(a.shape) for a in arrays))
    return [P.broadcast_to(a, shape=target) for a in arrays]


def atleast_1d(*arys: Any) -> Any:
    """Each input with at least one dimension."""
    out = [reshape(a, (1,)) if a.ndim == 0 else a for a in _arrays(arys)]
    return out[0] if len(out) == 1 else out


def atleast_2d(*arys: Any) -> Any:
    """Each input with at least two dimensions (a 1-d array becomes one row)."""
    out = [
        reshape(a, (1,) * (2 - a.ndim) + tuple(a.shape)) if a.ndim < 2 else a for a in _arrays(arys)
    ]
    return out[0] if len(out) == 1 else out


def atleast_3d(*arys: Any) -> Any:
    """Each input with at least three dimensions ((N,) -> (1, N, 1), (M, N) -> (M, N, 1))."""

    def lift(a: ArrayBase) -> ArrayBase:
        if a.ndim == 0:
            return reshape(a, (1, 1, 1))
        if a.ndim == 1:
            return reshape(a, (1, a.shape[0], 1))
        return reshape(a, tuple(a.shape) + (1,)) if a.ndim == 2 else a

    out = [lift(a) for a in _arrays(arys)]
    return out[0] if len(out) == 1 else out


# ---- joining ----------------------------------------------------------------------------------
def concatenate(seq: Sequence[Any], axis: int | None = 0, out: Any = None) -> Any:
    """Join arrays along an existing ``axis`` (None: flatten them first)."""
    return finish(P.concatenate(*_arrays(seq), axis=axis), out)


def stack(arrays: Sequence[Any], axis: int = 0, out: Any = None) -> Any:
    """Join same-shaped arrays along a new ``axis``."""
    return finish(_shape_ops.stack(_arrays(arrays), axis), out)


def vstack(tup: Sequence[Any]) -> Any:
    """Stack along the first axis (1-d arrays become rows)."""
    return P.concatenate(*[atleast_2d(a) for a in _arrays(tup)], axis=0)


def hstack(tup: Sequence[Any]) -> Any:
    """Stack along the second axis (the first for 1-d arrays)."""
    arrays = [atleast_1d(a) for a in _arrays(tup)]
    return P.concatenate(*arrays, axis=0 if arrays[0].ndim == 1 else 1)


def dstack(tup: Sequence[Any]) -> Any:
    """Stack along the third axis."""
    return P.concatenate(*[atleast_3d(a) for a in _arrays(tup)], axis=2)


def column_stack(tup: Sequence[Any]) -> Any:
    """Stack 1-d arrays as columns of a 2-d array (2-d arrays as they are)."""
    arrays = [reshape(a, (-1, 1)) if a.ndim < 2 else a for a in _arrays(tup)]
    return P.concatenate(*arrays, axis=1)


def append(arr: Any, values: Any, axis: int | None = None) -> Any:
    """``values`` joined after ``arr`` (both flattened when ``axis`` is None)."""
    a, v = _arrays((arr, values))
    if axis is None:
        a, v = ravel(a), ravel(v)
        axis = 0
    return P.concatenate(a, v, axis=axis)


# ---- splitting ----------------------------------------------------------------------------------
def split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list:
    """``n`` equal parts along ``axis``, or parts cut before each index of a sequence."""
    sections = indices_or_sections
    return _shape_ops.split(
        array_arg(ary), sections if isinstance(sections, int) else tuple(sections), axis
    )


def array_split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list:
    """Like ``split``, but ``n`` parts need not be equal (the first ones get one more)."""
    x = array_arg(ary)
    if not isinstance(indices_or_sections, int):
        return split(x, indices_or_sections, axis)
    sections = indices_or_sections
    if sections <= 0:
        raise errors.MXNetValueError(
            f"array_split: the number of sections must be > 0, not {sections}"
        )
    each, extra = divmod(x.shape[axis % x.ndim], sections)
    cuts = numpy.cumsum([each + 1] * extra + [each] * (sections - extra))[:-1]
    return _shape_ops.split(x, tuple(int(c) for c in cuts), axis)


def hsplit(ary: Any, indices_or_sections: Any) -> list:
    """Split along the second axis (the first for 1-d arrays)."""
    x = array_arg(ary)
    return split(x, indices_or_sections, axis=0 if x.ndim == 1 else 1)


def vsplit(ary: Any, indices_or_sections: Any) -> list:
    """Split along the first axis."""
    return split(ary, indices_or_sections, axis=0)


def dsplit(ary: Any, indices_or_sections: Any) -> list:
    """Split along the third axis."""
    return split(ary, indices_or_sections, axis=2)


# ---- reordering and repeating -------------------------------------------------------------------
def flip(m: Any, axis: Any = None) -> Any:
    """Reverse the order of elements along ``axis`` (None: every axis)."""
    return P.flip(array_arg(m), axis=axis if axis is None or isinstance(axis, int) else tuple(axis))


def fliplr(m: Any) -> Any:
    """Reverse the columns (axis 1)."""
    return flip(m, 1)


def flipud(m: Any) -> Any:
    """Reverse the rows (axis 0)."""
    return flip(m, 0)


def roll(a: Any, shift: Any, axis: Any = None) -> Any:
    """Shift elements along ``axis`` by ``shift``, wrapping around (None: the flattened array)."""
    x = array_arg(a)
    if axis is None:
        return reshape(roll(ravel(x), shift, 0), tuple(x.shape))
    shifts = (shift,) if isinstance(shift, int) else tuple(shift)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    if len(shifts) == 1:
        shifts = shifts * len(axes)
    for s, ax in zip(shifts, axes):
        ax %= x.ndim
        n = x.shape[ax]
        s = s % n if n else 0
        if s:
            head = P.getitem(x, key=_slice_key(ax, n - s, None))
            tail = P.getitem(x, key=_slice_key(ax, 0, n - s))
            x = P.concatenate(head, tail, axis=ax)
    return x


def tile(A: Any, reps: Any) -> Any:
    """Repeat the whole array ``reps`` times along each axis."""
    return _shape_ops.tile(array_arg(A), reps if isinstance(reps, int) else tuple(reps))


def repeat(a: Any, repeats: Any, axis: int | None = None) -> Any:
    """Repeat each element ``repeats`` times (an int, or one count per element) along ``axis``
    (None: of the flattened array)."""
    x = array_arg(a)
    if isinstance(repeats, (int, numpy.integer)):
        return P.repeat(x, repeats=int(repeats), axis=axis)
    if axis is None:
        x, axis = ravel(x), 0
    counts = numpy.asarray(repeats.asnumpy() if isinstance(repeats, ArrayBase) else repeats)
    index = numpy.repeat(numpy.arange(x.shape[axis]), counts)
    return P.take(x, constant(x, "asarray", index), axis=axis)


def pad(array: Any, pad_width: Any, mode: str = "constant", constant_values: Any = 0) -> Any:
    """NumPy ``pad`` with mode 'constant' (one scalar ``constant_values``), 'edge' or 'reflect'."""
    x = array_arg(array)
    if not isinstance(constant_values, (int, float, numpy.generic)):
        raise errors.MXNetValueError(
            "pad: constant_values must be one scalar here (per-axis values are not supported)"
        )
    pairs = _shape_ops.pad_pairs(pad_width, x.ndim)
    return P.pad(x, pad_width=pairs, mode=mode, constant_value=constant_values)


def diff(a: Any, n: int = 1, axis: int = -1) -> Any:
    """The ``n``-th discrete difference along ``axis``."""
    x = array_arg(a)
    ax = axis % x.ndim
    for _ in range(n):
        x = P.subtract(
            P.getitem(x, key=_slice_key(ax, 1, None)), P.getitem(x, key=_slice_key(ax, None, -1))
        )
    return x


def diag(v: Any, k: int = 0) -> Any:
    """1-d input: a 2-d array with ``v`` on the k-th diagonal; 2-d input: its k-th diagonal."""
    x = array_arg(v)
    if x.ndim not in (1, 2):
        raise errors.MXNetValueError(f"diag: input must be 1-d or 2-d, got shape {tuple(x.shape)}")
    return mx_shape.diag(x, k=k)


def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """The ``offset`` diagonal of the (axis1, axis2) planes, as the last axis."""
    return mx_shape.diag(array_arg(a), k=offset, axis1=axis1, axis2=axis2)


def trace(
    a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: Any = None, out: Any = None
) -> Any:
    """Sum along the ``offset`` diagonal of the (axis1, axis2) planes."""
    d = diagonal(a, offset, axis1, axis2)
    return finish(
        P.sum(d, axis=d.ndim - 1, dtype=None if dtype is None else numpy.dtype(dtype)), out
    )


# ---- indexing, sorting, searching ---------------------------------------------------------------
def _indices(indices: Any, like: ArrayBase) -> ArrayBase:
    if isinstance(indices, ArrayBase):
        return indices if indices.dtype.kind in "iu" else P.astype(indices, dtype="int64")
    values = numpy.asarray(indices)
    if values.dtype.kind not in "iu":
        values = values.astype(numpy.int64)
    return constant(like, "asarray", values)


def take(a: Any, indices: Any, axis: int | None = None, mode: str = "raise", out: Any = None):
    """Elements of ``a`` at ``indices`` along ``axis`` (None: of the flattened array); mode
    'raise', 'clip' or 'wrap' for out-of-range indices."""
    x = array_arg(a)
    return finish(P.take(x, _indices(indices, x), axis=axis, mode=mode), out)


def take_along_axis(arr: Any, indices: Any, axis: int | None) -> Any:
    """Values of ``arr`` at ``indices`` along ``axis`` (indices broadcast against ``arr``)."""
    x = array_arg(arr)
    return P.take_along_axis(x, _indices(indices, x), axis=axis if axis is None else axis % x.ndim)


def sort(a: Any, axis: int | None = -1, kind: str | None = None, order: Any = None) -> Any:
    """A sorted copy along ``axis`` (None: flattened), stable; the gradient follows the
    permutation. (As in MXNet, the method ``x.sort()`` also returns a copy.)"""
    return _sort(array_arg(a), axis)


def argsort(a: Any, axis: int | None = -1, kind: str | None = None, order: Any = None) -> Any:
    """int64 indices that sort ``a`` along ``axis`` (stable: ties keep their order)."""
    return P.argsort(array_arg(a), axis=axis, kind="stable")


def unique(
    ar: Any,
    return_index: bool = False,
    return_inverse: bool = False,
    return_counts: bool = False,
    axis: int | None = None,
) -> Any:
    """The sorted unique values (and optionally first indices, inverse and counts); the sizes
    depend on the values, so this is computed directly and has no gradient."""
    x = array_arg(ar)
    _guard(x, "np.unique")
    flags = {"return_index": return_index, "return_inverse": return_inverse,
             "return_counts": return_counts}  # fmt: skip
    results = raw(x._ctx, "unique", x._data, axis=axis, **flags)
    if not isinstance(results, tuple):
        return type(x)._wrap(results, x._ctx)
    return tuple(type(x)._wrap(r, x._ctx) for r in results)


def nonzero(a: Any) -> tuple:
    """The int64 indices of the nonzero elements, one array per axis (no gradient)."""
    x = array_arg(a)
    _guard(x, "np.nonzero")
    with on_device(x._ctx):
        found = x._ctx.xp.nonzero(x._data)
        return tuple(type(x)._wrap(i.astype("int64", copy=False), x._ctx) for i in found)


def argwhere(a: Any) -> Any:
    """The indices of the nonzero elements, one row per element (no gradient)."""
    x = array_arg(a)
    _guard(x, "np.argwhere")
    with on_device(x._ctx):
        found = x._ctx.xp.argwhere(x._data).astype("int64", copy=False)
    return type(x)._wrap(found, x._ctx)
