"""Shape helpers shared by the gradient rules: undoing broadcasting and normalising axes."""
from __future__ import annotations

from typing import Any

from .registry import P

__all__ = ["sum_to", "normalize_axes", "expand_reduced"]


def normalize_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    """``axis`` (None, int or sequence, negatives allowed) as a sorted tuple of positive axes."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int):
        axis = (axis,)
    out = []
    for a in axis:
        a = int(a)
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"axis {a} is out of range for an array of {ndim} dimensions")
        out.append(a % ndim if ndim else 0)
    return tuple(sorted(set(out)))


def sum_to(g: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``g`` over the axes broadcasting added or stretched, so it has ``shape`` (the one
    place where every gradient rule's broadcasting is undone)."""
    shape = tuple(shape)
    if tuple(g.shape) == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and g.shape[lead + i] != 1
    )
    if axes:
        g = P.sum(g, axis=axes, keepdims=True)
    return P.reshape(g, newshape=shape)


def expand_reduced(g: Any, axis: Any, ndim: int, keepdims: bool) -> Any:
    """Reinsert the reduced axes of a reduction's cotangent as size-1 axes (for broadcasting)."""
    if keepdims or ndim == 0:
        return g
    axes = normalize_axes(axis, ndim)
    shape = list(g.shape)
    for a in axes:
        shape.insert(a, 1)
    return P.reshape(g, newshape=tuple(shape))
