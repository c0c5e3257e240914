"""Shape and data-movement primitives: reshape, broadcast, transpose, concatenate, flip, pad,
repeat (views where NumPy gives views), and the NumPy-named compositions built on them
(swapaxes, expand_dims, squeeze, stack, split, tile)."""
from __future__ import annotations

import math
import operator
from typing import Any

from .. import errors
from .indexing import ALL
from .registry import P, register
from .shape_utils import sum_to

__all__ = ["expand_dims", "pad_pairs", "split", "squeeze", "stack", "swapaxes", "tile"]


def _reshape(xp, x, newshape):
    return xp.reshape(x, newshape)


register(
    "reshape",
    _reshape,
    grads=(lambda g, ins, outs, newshape: P.reshape(g, newshape=ins[0].shape),),
    view=True,
    doc="NumPy reshape (one -1 allowed); the element count must match.",
)


def _broadcast_to(xp, x, shape):
    return xp.broadcast_to(x, shape)


register(
    "broadcast_to",
    _broadcast_to,
    grads=(lambda g, ins, outs, shape: sum_to(g, ins[0].shape),),
    view=True,
    doc="Broadcast to ``shape`` (a read-only view; written copies are made on demand).",
)


def _inverse_axes(axes, ndim):
    if axes is None:
        return None
    inv = [0] * ndim
    for i, a in enumerate(axes):
        inv[a % ndim] = i
    return tuple(inv)


def _transpose(xp, x, axes=None):
    # the array method: xp.transpose goes through a Python wrapper first
    return x.transpose(axes) if hasattr(x, "transpose") else xp.transpose(x, axes)


register(
    "transpose",
    _transpose,
    grads=(
        lambda g, ins, outs, axes=None: P.transpose(g, axes=_inverse_axes(axes, ins[0].ndim)),
    ),
    view=True,
    doc="Permute axes (reverse them when ``axes`` is None).",
)


# ---- joining, flipping, padding, repeating ----------------------------------------------------
def _axis_key(axis: int, start: int, stop: int) -> tuple:
    """Key template for ``x[:, ..., start:stop]`` on ``axis`` (see ops.indexing)."""
    return (ALL,) * axis + ((start, stop, None),)


def _concatenate(xp, *arrays, axis=0):
    return xp.concatenate(arrays, axis=axis)


def _concatenate_vjp(g, ins, outs, needs, axis=0):
    """Each input's cotangent is its slice of g (cast back to its dtype if promoted)."""
    flat = axis is None
    if flat:
        g = P.reshape(g, newshape=(-1,))
    ax = 0 if flat else axis % g.ndim
    grads = []
    start = 0
    for x, need in zip(ins, needs):
        n = x.size if flat else x.shape[ax]
        gi = None
        if need:
            gi = P.getitem(g, key=_axis_key(ax, start, start + n))
            if flat:
                gi = P.reshape(gi, newshape=tuple(x.shape))
            if gi.dtype != x.dtype:
                gi = P.astype(gi, dtype=x.dtype)
        grads.append(gi)
        start += n
    return tuple(grads)


register(
    "concatenate",
    _concatenate,
    vjp=_concatenate_vjp,
    doc="Join arrays along an existing ``axis`` (None: flatten them first).",
)


def _flip(xp, x, axis=None):
    return xp.flip(x, axis=axis)


register(
    "flip",
    _flip,
    grads=(lambda g, ins, outs, axis=None: P.flip(g, axis=axis),),
    view=True,
    doc="Reverse the order of elements along ``axis`` (None: every axis); a view.",
)


def pad_pairs(pad_width: Any, ndim: int) -> tuple[tuple[int, int], ...]:
    """NumPy's ``pad_width`` forms (n, (n,), (before, after), ((b0, a0), ...)) as one
    (before, after) pair per axis."""
    if isinstance(pad_width, int) or hasattr(pad_width, "__index__"):
        pairs: tuple = ((operator.index(pad_width),) * 2,)
    else:
        items = tuple(pad_width)
        if items and all(hasattr(p, "__index__") for p in items):
            items = (items,)
        pairs = tuple(tuple(operator.index(v) for v in p) for p in items)
        pairs = tuple(p * 2 if len(p) == 1 else p for p in pairs)
    if len(pairs) == 1:
        pairs = pairs * ndim
    if len(pairs) != ndim or any(len(p) != 2 or min(p) < 0 for p in pairs):
        raise errors.ShapeError(
            f"pad: pad_width {pad_width!r} does not give a non-negative (before, after) pair "
            f"for each of the {ndim} axes"
        )
    return pairs


_PAD_MODES = ("constant", "edge", "reflect")


def _pad(xp, x, pad_width, mode="constant", constant_value=0):
    pairs = pad_pairs(pad_width, x.ndim)
    if mode == "constant":  # one fill and one copy, cheaper than xp.pad
        shape = tuple(n + b + a for n, (b, a) in zip(x.shape, pairs))
        out = xp.full(shape, constant_value, dtype=x.dtype)
        out[tuple(slice(b, b + n) for n, (b, a) in zip(x.shape, pairs))] = x
        return out
    if mode not in _PAD_MODES:
        raise errors.MXNetValueError(f"pad: mode must be one of {_PAD_MODES}, not {mode!r}")
    return xp.pad(x, pairs, mode=mode)


def _pad_grad(g, ins, outs, pad_width, mode="constant", constant_value=0):
    shape = tuple(ins[0].shape)
    pairs = pad_pairs(pad_width, len(shape))
    if mode == "constant":
        return P.getitem(g, key=tuple((b, b + n, None) for n, (b, a) in zip(shape, pairs)))
    for axis, (n, (b, a)) in enumerate(zip(shape, pairs)):
        if b or a:
            g = (_fold_reflect if mode == "reflect" and n > 1 else _fold_edge)(g, axis, n, b, a)
    return g


def _fold_edge(g, axis, n, b, a):
    """Adjoint of edge padding on one axis: the pads add onto the first and last elements."""
    if n == 1:
        return P.sum(g, axis=axis, keepdims=True)
    first = P.sum(P.getitem(g, key=_axis_key(axis, 0, b + 1)), axis=axis, keepdims=True)
    last = P.sum(P.getitem(g, key=_axis_key(axis, b + n - 1, b + n + a)), axis=axis, keepdims=True)
    return P.concatenate(
        first, P.getitem(g, key=_axis_key(axis, b + 1, b + n - 1)), last, axis=axis
    )


def _fold_reflect(g, axis, n, b, a):
    """Adjoint of reflect padding on one axis: each pad, mirrored, adds onto the elements it
    copied (x[1:b+1] before, x[n-1-a:n-1] after)."""
    if b >= n or a >= n:
        raise errors.MXNetValueError(
            f"pad: the gradient of reflect padding needs pad widths smaller than the axis "
            f"length (axis {axis} has {n} elements, pads ({b}, {a}))"
        )
    out = P.getitem(g, key=_axis_key(axis, b, b + n))
    none = ((0, 0),) * axis
    if b:
        before = P.flip(P.getitem(g, key=_axis_key(axis, 0, b)), axis=axis)
        out = P.add(out, P.pad(before, pad_width=none + ((1, n - 1 - b),) + _rest(g, axis)))
    if a:
        after = P.flip(P.getitem(g, key=_axis_key(axis, b + n, b + n + a)), axis=axis)
        out = P.add(out, P.pad(after, pad_width=none + ((n - 1 - a, 1),) + _rest(g, axis)))
    return out


def _rest(g, axis):
    return ((0, 0),) * (g.ndim - axis - 1)


register(
    "pad",
    _pad,
    grads=(_pad_grad,),
    doc="NumPy ``pad`` with mode 'constant' (``constant_value``), 'edge' or 'reflect'.",
)


def _repeat(xp, x, repeats, axis=None):
    if not isinstance(repeats, int):
        raise errors.MXNetTypeError(f"repeat: repeats must be an int, not {repeats!r}")
    return xp.repeat(x, repeats, axis=axis)


def _repeat_grad(g, ins, outs, repeats, axis=None):
    """Each input element's copies sit next to each other: sum them."""
    shape = tuple(ins[0].shape)
    if axis is None:
        g = P.sum(P.reshape(g, newshape=(math.prod(shape), repeats)), axis=1)
        return P.reshape(g, newshape=shape)
    ax = axis % len(shape)
    split = shape[:ax] + (shape[ax], repeats) + shape[ax + 1 :]
    return P.sum(P.reshape(g, newshape=split), axis=ax + 1)


register(
    "repeat",
    _repeat,
    grads=(_repeat_grad,),
    doc="Repeat each element ``repeats`` times along ``axis`` (None: flattened).",
)


# ---- NumPy-named compositions (no gradient code) ------------------------------------------------
def _axis(axis: int, ndim: int, op: str) -> int:
    if not -ndim <= axis < ndim:
        raise errors.MXNetValueError(
            f"{op}: axis {axis} is out of range for an array of {ndim} dimensions"
        )
    return axis % ndim


def swapaxes(x: Any, axis1: int, axis2: int) -> Any:
    """Exchange two axes (a transpose)."""
    perm = list(range(x.ndim))
    a, b = _axis(axis1, x.ndim, "swapaxes"), _axis(axis2, x.ndim, "swapaxes")
    perm[a], perm[b] = perm[b], perm[a]
    return P.transpose(x, axes=tuple(perm))


def expand_dims(x: Any, axis: int | tuple[int, ...]) -> Any:
    """Insert size-1 axes at ``axis`` (positions in the result, as NumPy)."""
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    ndim = x.ndim + len(axes)
    where = {_axis(a, ndim, "expand_dims") for a in axes}
    dims = iter(x.shape)
    return P.reshape(x, newshape=tuple(1 if d in where else next(dims) for d in range(ndim)))


def squeeze(x: Any, axis: int | tuple[int, ...] | None = None) -> Any:
    """Remove size-1 axes (all of them when ``axis`` is None)."""
    if axis is None:
        drop = {d for d, n in enumerate(x.shape) if n == 1}
    else:
        drop = {_axis(a, x.ndim, "squeeze") for a in ((axis,) if isinstance(axis, int) else axis)}
        bad = [d for d in drop if x.shape[d] != 1]
        if bad:
            raise errors.ShapeError(
                f"squeeze: axis {bad[0]} of shape {tuple(x.shape)} has size "
                f"{x.shape[bad[0]]}, not 1"
            )
    return P.reshape(x, newshape=tuple(n for d, n in enumerate(x.shape) if d not in drop))


def stack(arrays: Any, axis: int = 0) -> Any:
    """Join same-shaped arrays along a new ``axis``."""
    arrays = list(arrays)
    if not arrays:
        raise errors.MXNetValueError("stack: needs at least one array")
    shapes = {tuple(a.shape) for a in arrays}
    if len(shapes) > 1:
        raise errors.ShapeError(f"stack: all arrays must have one shape, got {sorted(shapes)}")
    return P.concatenate(*(expand_dims(a, axis) for a in arrays), axis=axis)


def split(x: Any, indices_or_sections: Any, axis: int = 0) -> list:
    """NumPy ``split``: ``n`` equal parts, or parts cut before each index of a sequence."""
    ax = _axis(axis, x.ndim, "split")
    n = x.shape[ax]
    if isinstance(indices_or_sections, int):
        sections = indices_or_sections
        if sections <= 0 or n % sections:
            raise errors.ShapeError(
                f"split: axis {axis} of shape {tuple(x.shape)} cannot be split into "
                f"{sections} equal parts"
            )
        cuts = [i * (n // sections) for i in range(1, sections)]
    else:
        cuts = [int(c) for c in indices_or_sections]
    bounds = zip([0] + cuts, cuts + [n])
    return [P.getitem(x, key=_axis_key(ax, start, stop)) for start, stop in bounds]


def tile(x: Any, reps: int | tuple[int, ...]) -> Any:
    """NumPy ``tile``: repeat the whole array ``reps`` times along each axis (one broadcast
    of an interleaved view, then one reshape)."""
    reps = (reps,) if isinstance(reps, int) else tuple(reps)
    ndim = max(len(reps), x.ndim)
    reps = (1,) * (ndim - len(reps)) + reps
    shape = (1,) * (ndim - x.ndim) + tuple(x.shape)
    inter = tuple(v for n in shape for v in (1, n))
    target = tuple(v for r, n in zip(reps, shape) for v in (r, n))
    tiled = P.broadcast_to(P.reshape(x, newshape=inter), shape=target)
    return P.reshape(tiled, newshape=tuple(r * n for r, n in zip(reps, shape)))
