"""Samples for comparisons, logic and selection (ops/compare.py)."""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from .sampling import broadcast_pair, floats, sample, shapes


def _coarse(draw, shape):
    """Values on a grid of halves, so ties and zeros occur."""
    return np.round(floats(draw, shape) * 2) / 2


for _op in [
    "equal",
    "not_equal",
    "greater",
    "greater_equal",
    "less",
    "less_equal",
    "logical_and",
    "logical_or",
    "logical_xor",
]:

    @sample(_op, getattr(np, _op), name="broadcast", grad=False)
    def _pair(draw):
        sa, sb = broadcast_pair(draw)
        return (_coarse(draw, sa), _coarse(draw, sb)), {}

    @sample(_op, getattr(np, _op), name="scalar", grad=False)
    def _scalar(draw):
        return (_coarse(draw, draw(shapes())), 0.5), {}


@sample("logical_not", np.logical_not, grad=False)
def _logical_not(draw):
    return (_coarse(draw, draw(shapes())),), {}


def _specials(draw):
    x = floats(draw, draw(shapes()))
    pick = draw(hnp.arrays(np.int8, x.shape, elements=st.integers(0, 3)))
    return np.where(pick == 1, np.nan, np.where(pick == 2, -np.inf, np.where(pick == 3, np.inf, x)))


for _op in ["isnan", "isinf", "isfinite"]:
    sample(_op, getattr(np, _op), grad=False)(lambda draw: ((_specials(draw),), {}))


@sample("floor_divide", np.floor_divide, grad=False)
def _floor_divide(draw):
    sa, sb = broadcast_pair(draw)
    b = floats(draw, sb, 0.5, 2.0) * draw(st.sampled_from([1.0, -1.0]))
    return (floats(draw, sa, -3.0, 3.0), b), {}


@sample("where", np.where)
def _where(draw):
    s = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3))
    cond = draw(hnp.arrays(np.bool_, s.input_shapes[0]))
    return (cond, floats(draw, s.input_shapes[1]), floats(draw, s.input_shapes[2])), {}


@sample("where", np.where, name="scalar_y")
def _where_scalar(draw):
    shape = draw(shapes())
    return (draw(hnp.arrays(np.bool_, shape)), floats(draw, shape), 0.0), {}


def _clip_ref(x, a_min=None, a_max=None):
    lo = -np.inf if a_min is None else a_min
    hi = np.inf if a_max is None else a_max
    return np.clip(x, lo, hi)


@sample("clip", _clip_ref)
def _clip(draw):
    a_min = draw(st.sampled_from([None, -1.0, -0.5]))
    a_max = draw(st.sampled_from([None, 0.5, 1.0]))
    x = floats(draw, draw(shapes()), -2.0, 2.0)
    for bound in (a_min, a_max):  # keep the values off the bounds (kinks)
        if bound is not None:
            x = np.where(np.abs(x - bound) < 0.05, bound + 0.1, x)
    return (x,), {"a_min": a_min, "a_max": a_max}


@sample("mod", np.remainder)
def _mod(draw):
    """x has the full shape, so each x can be moved off the jumps at multiples of its y."""
    shape = draw(shapes())
    y_shape = tuple(1 if draw(st.booleans()) else s for s in shape)[draw(st.integers(0, 1)) :]
    y = floats(draw, y_shape, 0.5, 2.0) * draw(st.sampled_from([1.0, -1.0]))
    yb = np.broadcast_to(y, shape)
    q = floats(draw, shape, -3.0, 3.0)
    frac = q - np.floor(q)
    x = (np.floor(q) + 0.1 + 0.8 * frac) * yb
    return (x, y), {}


@sample("mod", np.remainder, name="scalar")
def _mod_scalar(draw):
    q = floats(draw, draw(shapes()), -3.0, 3.0)
    return ((np.floor(q) + 0.1 + 0.8 * (q - np.floor(q))) * 1.5, 1.5), {}


@sample("arctan2", np.arctan2)
def _arctan2(draw):
    sa, sb = broadcast_pair(draw)
    return (floats(draw, sa, away_from=0.0, gap=0.2), floats(draw, sb)), {}


@sample("hypot", np.hypot)
def _hypot(draw):
    sa, sb = broadcast_pair(draw)
    return (floats(draw, sa, away_from=0.0, gap=0.2), floats(draw, sb)), {}
