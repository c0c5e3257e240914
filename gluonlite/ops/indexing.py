"""Indexing primitives: NumPy ``x[key]`` reads and functional writes, ``take``,
``take_along_axis`` and ``argsort``, each gather paired with its scatter-add adjoint so that
gradients of any order stay in the registry.

A user index becomes a hashable *key template* (an attribute the tracer can key on) plus the
index arrays it holds, passed as extra non-differentiable inputs. Template entries: an int,
None (newaxis), Ellipsis, a ``(start, stop, step)`` tuple for a slice, or :data:`ARRAY` for the
next index array (integer or boolean, NumPy semantics).
"""

from __future__ import annotations

import math
from typing import Any

from .registry import P, register
from .shape_utils import sum_to

__all__ = ["ALL", "ARRAY", "build_index", "flat_axis", "sort", "topk"]

ARRAY = "[]"
"""Key-template placeholder for an index array passed as an extra input."""
ALL = (None, None, None)
"""Key-template entry for ``:``."""

_MAX_INDEX_ARRAYS = 64  # save_ins covers this many index arrays


def build_index(key: tuple, arrays: tuple) -> tuple:
    """The xp index tuple for a key template and its index arrays.

    A trailing Ellipsis is added when absent, so an all-integer key gives a 0-d view rather
    than a scalar copy (NumPy's ``x[1, 2]`` vs ``x[1, 2, ...]``).
    """
    it = iter(arrays)
    out = []
    has_ellipsis = False
    for k in key:
        if k.__class__ is tuple:
            out.append(slice(*k))
        elif k.__class__ is str:
            out.append(next(it))
        else:
            has_ellipsis = has_ellipsis or k is Ellipsis
            out.append(k)
    if not has_ellipsis:
        out.append(Ellipsis)
    return tuple(out)


def _has_int_arrays(arrays: tuple) -> bool:
    """Integer index arrays may repeat a position; boolean masks and basic keys never do."""
    return any(a.dtype.kind in "iu" for a in arrays)


def _add_at(xp: Any, out: Any, index: Any, values: Any) -> None:
    """``out[index] += values`` with repeated positions accumulated (``numpy.add.at``)."""
    at = getattr(xp.add, "at", None)
    if at is not None:
        at(out, index, values)
    else:  # older CuPy
        import cupyx

        cupyx.scatter_add(out, index, values)


def _sum_back(g: Any, like: Any) -> Any:
    """Sum a cotangent of a broadcast assignment back to the assigned value's shape/dtype
    (NumPy also lets the value carry extra leading size-1 axes)."""
    shape = tuple(like.shape)
    if len(shape) > g.ndim:
        g = P.reshape(g, newshape=(1,) * (len(shape) - g.ndim) + tuple(g.shape))
    g = sum_to(g, shape)
    return g if g.dtype == like.dtype else P.astype(g, dtype=like.dtype)


def _data_only(rule: Any) -> Any:
    """The vjp of an op whose input 0 is its only differentiable one (the rest index it)."""

    def vjp(g, ins, outs, needs, **attrs):
        return (rule(g, ins, **attrs) if needs[0] else None,) + (None,) * (len(ins) - 1)

    return vjp


# ---- x[key] and its adjoint -----------------------------------------------------------------
def _getitem(xp, x, *arrays, key):
    return x[build_index(key, arrays)]


register(
    "getitem",
    _getitem,
    vjp=_data_only(
        lambda g, ins, key: P.scatter_add(g, *ins[1:], key=key, shape=tuple(ins[0].shape))
    ),
    save_ins=tuple(range(1, _MAX_INDEX_ARRAYS + 1)),
    nondiff=tuple(range(1, _MAX_INDEX_ARRAYS + 1)),
    view=True,
    doc="NumPy ``x[key]`` (basic indexing gives a view; index arrays are extra inputs).",
)


def _scatter_add(xp, g, *arrays, key, shape):
    out = xp.zeros(shape, dtype=g.dtype)
    index = build_index(key, arrays)
    if _has_int_arrays(arrays):
        _add_at(xp, out, index, g)
    else:
        out[index] = g
    return out


register(
    "scatter_add",
    _scatter_add,
    vjp=_data_only(lambda g, ins, key, shape: P.getitem(g, *ins[1:], key=key)),
    save_ins=tuple(range(1, _MAX_INDEX_ARRAYS + 1)),
    nondiff=tuple(range(1, _MAX_INDEX_ARRAYS + 1)),
    doc="Zeros of ``shape`` with ``g`` added at ``[key]`` (repeated positions accumulate); "
    "the adjoint of getitem.",
)


# ---- functional x[key] = v ------------------------------------------------------------------
def _index_update(xp, x, v, *arrays, key):
    out = x.copy()
    out[build_index(key, arrays)] = v
    return out


def _index_update_vjp(g, ins, outs, needs, key):
    arrays = ins[2:]
    gx = P.index_update(g, 0, *arrays, key=key) if needs[0] else None
    gv = None
    if needs[1]:
        gv = P.getitem(g, *arrays, key=key)
        if _has_int_arrays(arrays):  # of repeated writes only the last one reaches the output
            mask = P.last_write_mask(*arrays, key=key, shape=tuple(g.shape))
            gv = P.multiply(gv, P.astype(mask, dtype=gv.dtype))
        gv = _sum_back(gv, ins[1])
    return (gx, gv) + (None,) * len(arrays)


register(
    "index_update",
    _index_update,
    vjp=_index_update_vjp,
    save_ins=tuple(range(2, _MAX_INDEX_ARRAYS + 2)),
    nondiff=tuple(range(2, _MAX_INDEX_ARRAYS + 2)),
    doc="A copy of x with ``[key] = v`` (v broadcast to the region; for repeated integer "
    "indices the last write wins, as in NumPy).",
)


def _last_write_mask(xp, *arrays, key, shape):
    index = build_index(key, arrays)
    buf = xp.empty(shape, dtype=xp.int64)
    region = buf[index].shape
    ids = xp.arange(math.prod(region), dtype=xp.int64).reshape(region)
    buf[index] = ids
    return buf[index] == ids


register(
    "last_write_mask",
    _last_write_mask,
    doc="Bool mask over the region ``zeros(shape)[key]``: True where that element is the "
    "last write to its position in ``x[key] = v`` (False for overwritten duplicates).",
)


# ---- take and its adjoint -------------------------------------------------------------------
def _fix_indices(xp, indices, n, mode):
    """Out-of-range indices clipped ('clip') or wrapped ('wrap'); 'raise' leaves them to xp."""
    if mode == "clip":
        return xp.clip(indices, 0, n - 1)
    if mode == "wrap":
        return xp.mod(indices, n)
    if mode != "raise":
        raise ValueError(f"mode must be 'clip', 'wrap' or 'raise', not {mode!r}")
    return indices


def _axis_len(shape, axis):
    return math.prod(shape) if axis is None else shape[axis]


def _take(xp, a, indices, axis=None, mode="raise"):
    return xp.take(a, _fix_indices(xp, indices, _axis_len(a.shape, axis), mode), axis=axis)


register(
    "take",
    _take,
    grads=(
        lambda g, ins, outs, axis=None, mode="raise": P.index_add(
            g, ins[1], axis=axis, mode=mode, shape=tuple(ins[0].shape)
        ),
        None,
    ),
    save_ins=(1,),
    doc="NumPy ``take``: elements of ``a`` at ``indices`` along ``axis`` (None: flattened); "
    "mode 'raise', 'clip' or 'wrap' for out-of-range indices.",
)


def _index_add(xp, g, indices, axis=None, mode="raise", shape=()):
    out = xp.zeros(shape, dtype=g.dtype)
    fixed = _fix_indices(xp, indices, _axis_len(shape, axis), mode)
    if axis is None:
        _add_at(xp, out.reshape(-1), fixed, g)
    else:
        _add_at(xp, out, (slice(None),) * (axis % len(shape)) + (fixed,), g)
    return out


register(
    "index_add",
    _index_add,
    grads=(
        lambda g, ins, outs, axis=None, mode="raise", shape=(): P.take(
            g, ins[1], axis=axis, mode=mode
        ),
        None,
    ),
    save_ins=(1,),
    doc="Zeros of ``shape`` with ``g`` added at the positions ``take(·, indices, axis, mode)`` "
    "reads (repeats accumulate); the adjoint of take.",
)


# ---- take_along_axis and its adjoint --------------------------------------------------------
def _take_along_axis(xp, a, indices, axis):
    if axis is None:
        return a.reshape(-1)[indices]
    return xp.take_along_axis(a, indices, axis=axis)


register(
    "take_along_axis",
    _take_along_axis,
    grads=(
        lambda g, ins, outs, axis: P.put_along_axis_add(
            g, ins[1], axis=axis, shape=tuple(ins[0].shape)
        ),
        None,
    ),
    save_ins=(1,),
    doc="NumPy ``take_along_axis`` (indices broadcast against ``a`` off the axis).",
)


def _along_axis_index(xp, indices, axis, shape):
    """The fancy index that ``take_along_axis`` reads: aranges off the axis, indices on it."""
    ndim = len(shape)
    axis %= ndim
    index = []
    for d, n in enumerate(shape):
        if d == axis:
            index.append(indices)
        else:
            index.append(xp.arange(n).reshape((1,) * d + (n,) + (1,) * (ndim - d - 1)))
    return tuple(index)


def _put_along_axis_add(xp, g, indices, axis, shape):
    out = xp.zeros(shape, dtype=g.dtype)
    if axis is None:
        _add_at(xp, out.reshape(-1), indices, g)
    else:
        _add_at(xp, out, _along_axis_index(xp, indices, axis, shape), g)
    return out


register(
    "put_along_axis_add",
    _put_along_axis_add,
    grads=(lambda g, ins, outs, axis, shape: P.take_along_axis(g, ins[1], axis=axis), None),
    save_ins=(1,),
    doc="Zeros of ``shape`` with ``g`` added where ``take_along_axis(·, indices, axis)`` "
    "reads; the adjoint of take_along_axis.",
)


# ---- ordering ---------------------------------------------------------------------------------
def _argsort(xp, x, axis=-1, kind="stable"):
    if xp.__name__ != "numpy":  # CuPy's sort is always stable, and some versions take no kind
        return xp.argsort(x, axis=axis)
    return xp.argsort(x, axis=axis, kind=kind)


register(
    "argsort",
    _argsort,
    doc="Indices that sort ``x`` along ``axis`` (None: flattened), int64; stable by default.",
)


def flat_axis(x: Any, axis: int | None) -> tuple[Any, int]:
    """``x`` and ``axis`` as a non-negative axis; axis None means ``x`` flattened, axis 0."""
    return (P.reshape(x, newshape=(-1,)), 0) if axis is None else (x, axis % x.ndim)


def sort(x: Any, axis: int | None = -1) -> Any:
    """NumPy ``sort``: a stable ascending sort along ``axis`` (None: flattened); differentiable
    (the gradient is routed back through the sorting permutation)."""
    x, axis = flat_axis(x, axis)
    return P.take_along_axis(x, P.argsort(x, axis=axis), axis=axis)


def topk(x: Any, k: int, axis: int | None = -1, largest: bool = True) -> tuple[Any, Any]:
    """The ``k`` largest (or smallest) entries along ``axis`` in order, as (values, int64
    indices); ties keep the lower index first. Differentiable in the values."""
    x, axis = flat_axis(x, axis)
    keys = x
    if largest:
        if x.dtype.kind in "ub":
            keys = P.astype(x, dtype="int64")
        keys = P.negative(keys)
    order = P.argsort(keys, axis=axis)
    indices = P.getitem(order, key=(ALL,) * axis + ((0, k, None),))
    return P.take_along_axis(x, indices, axis=axis), indices
