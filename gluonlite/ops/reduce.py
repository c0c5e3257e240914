"""Reductions: sum and its relatives, NumPy semantics (0-d results for full reductions)."""
from __future__ import annotations

from .registry import P, register
from .shape_utils import expand_reduced

__all__: list[str] = []


def _sum(xp, x, axis=None, keepdims=False, dtype=None):
    return xp.sum(x, axis=axis, keepdims=keepdims, dtype=dtype)


register(
    "sum",
    _sum,
    grads=(
        lambda g, ins, outs, axis=None, keepdims=False, dtype=None: P.broadcast_to(
            expand_reduced(g, axis, ins[0].ndim, keepdims), shape=ins[0].shape
        ),
    ),
    doc="Sum over ``axis`` (None: all axes).",
)
