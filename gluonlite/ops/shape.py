"""Shape and data-movement primitives: reshape, broadcast, transpose (views where NumPy gives
views)."""
from __future__ import annotations

from .registry import P, register
from .shape_utils import sum_to

__all__: list[str] = []


def _reshape(xp, x, newshape):
    return xp.reshape(x, newshape)


register(
    "reshape",
    _reshape,
    grads=(lambda g, ins, outs, newshape: P.reshape(g, newshape=ins[0].shape),),
    doc="NumPy reshape (one -1 allowed); the element count must match.",
)


def _broadcast_to(xp, x, shape):
    return xp.broadcast_to(x, shape)


register(
    "broadcast_to",
    _broadcast_to,
    grads=(lambda g, ins, outs, shape: sum_to(g, ins[0].shape),),
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
    return xp.transpose(x, axes)


register(
    "transpose",
    _transpose,
    grads=(
        lambda g, ins, outs, axes=None: P.transpose(g, axes=_inverse_axes(axes, ins[0].ndim)),
    ),
    doc="Permute axes (reverse them when ``axes`` is None).",
)
