"""Samples for the reductions besides sum (ops/reduce.py): max, min, prod, argmax, argmin,
cumsum."""

import numpy as np
from hypothesis import strategies as st

from .sampling import floats, sample, shapes


def _axes(draw, ndim):
    """None, one int axis (maybe negative) or a sorted tuple of axes."""
    if not ndim or draw(st.booleans()):
        return None
    if draw(st.booleans()):
        return draw(st.integers(-ndim, ndim - 1))
    return tuple(sorted(draw(st.sets(st.integers(0, ndim - 1), min_size=1))))


def _distinct(draw, shape):
    """Values with no ties (the gradient of max/min is one-sided at ties)."""
    size = int(np.prod(shape))
    perm = np.array(draw(st.permutations(range(size))), dtype=np.float64)
    return (perm / max(size, 1) * 4.0 - 2.0).reshape(shape) + floats(draw, shape, 0.0, 0.01)


for _op in ["max", "min"]:

    @sample(_op, getattr(np, _op))
    def _extreme(draw):
        x = _distinct(draw, draw(shapes()))
        return (x,), {"axis": _axes(draw, x.ndim), "keepdims": draw(st.booleans())}


@sample("prod", np.prod)
def _prod(draw):
    x = floats(draw, draw(shapes()), 0.5, 1.5) * np.where(floats(draw, (), 0, 1) > 0.5, 1, -1)
    return (x,), {"axis": _axes(draw, x.ndim), "keepdims": draw(st.booleans())}


@sample("prod", np.prod, name="zeros")
def _prod_zeros(draw):
    x = floats(draw, draw(shapes(min_dims=1)), 0.5, 1.5)
    flat = x.reshape(-1)
    for i in draw(st.lists(st.integers(0, flat.size - 1), max_size=3)):
        flat[i] = 0.0
    return (x,), {"axis": _axes(draw, x.ndim), "keepdims": draw(st.booleans())}


for _op in ["argmax", "argmin"]:

    @sample(_op, getattr(np, _op), grad=False)
    def _arg(draw):
        x = np.round(floats(draw, draw(shapes())) * 2) / 2  # with ties: the first one wins
        axis = draw(st.integers(-x.ndim, x.ndim - 1)) if x.ndim and draw(st.booleans()) else None
        return (x,), {"axis": axis, "keepdims": draw(st.booleans())}


def _cumsum_ref(x, axis=None, reverse=False):
    if axis is None:
        x, axis = x.reshape(-1), 0
    if reverse:
        return np.flip(np.cumsum(np.flip(x, axis), axis), axis)
    return np.cumsum(x, axis)


@sample("cumsum", _cumsum_ref)
def _cumsum(draw):
    x = floats(draw, draw(shapes()))
    axis = draw(st.integers(-x.ndim, x.ndim - 1)) if x.ndim and draw(st.booleans()) else None
    return (x,), {"axis": axis, "reverse": draw(st.booleans())}
