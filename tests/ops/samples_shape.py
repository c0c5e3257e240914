"""Samples for the movement primitives of ops/shape.py (concatenate, flip, pad, repeat) and
for its NumPy-named compositions (swapaxes, expand_dims, squeeze, stack, split, tile), which
ride on the primitive they are built from."""

import numpy as np
from hypothesis import strategies as st

from gluonlite.ops import shape as shp

from .sampling import floats, sample, shapes


# ---- primitives ---------------------------------------------------------------------------------
@sample("concatenate", lambda *xs, axis=0: np.concatenate(xs, axis=axis))
def _concatenate(draw):
    base = list(draw(shapes(min_dims=1)))
    axis = draw(st.integers(-len(base), len(base) - 1))
    xs = []
    for _ in range(draw(st.integers(1, 3))):
        base[axis] = draw(st.integers(0, 3))
        xs.append(floats(draw, tuple(base)))
    return tuple(xs), {"axis": axis}


@sample("concatenate", lambda *xs, axis=0: np.concatenate(xs, axis=axis), name="flat")
def _concatenate_flat(draw):
    return tuple(floats(draw, draw(shapes())) for _ in range(2)), {"axis": None}


@sample(
    "concatenate",
    lambda *xs, axis=0: np.concatenate(xs, axis=axis),
    name="promote",
    rtol=1e-6,
    grad=False,
)
def _concatenate_promote(draw):
    """float32 joined with float64 gives float64 (gradient dtypes: tests/ndarray)."""
    shape = draw(shapes(min_dims=1))
    return (floats(draw, shape).astype(np.float32), floats(draw, shape)), {"axis": 0}


def _axes(draw, ndim):
    kind = draw(st.sampled_from(["none", "int", "tuple"])) if ndim else "none"
    if kind == "int":
        return draw(st.integers(-ndim, ndim - 1))
    if kind == "tuple":
        return tuple(sorted(draw(st.sets(st.integers(0, ndim - 1), min_size=1))))
    return None


@sample("flip", lambda x, axis=None: np.flip(x, axis))
def _flip(draw):
    x = floats(draw, draw(shapes()))
    return (x,), {"axis": _axes(draw, x.ndim)}


def _pad_ref(x, pad_width, mode="constant", constant_value=0):
    if mode == "constant":
        return np.pad(x, pad_width, mode="constant", constant_values=constant_value)
    return np.pad(x, pad_width, mode=mode)


@sample("pad", _pad_ref, name="constant")
def _pad_constant(draw):
    x = floats(draw, draw(shapes(min_dims=1)))
    pairs = tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in x.shape)
    return (x,), {
        "pad_width": pairs,
        "mode": "constant",
        "constant_value": draw(st.sampled_from([0.0, -1.5])),
    }


@sample("pad", _pad_ref, name="edge_reflect")
def _pad_edge_reflect(draw):
    x = floats(draw, draw(shapes(min_dims=1)))
    mode = draw(st.sampled_from(["edge", "reflect"]))
    # reflect's gradient needs pads shorter than the axis (a length-1 axis repeats its value)
    most = [3 if mode == "edge" or n == 1 else n - 1 for n in x.shape]
    pairs = tuple((draw(st.integers(0, m)), draw(st.integers(0, m))) for m in most)
    return (x,), {"pad_width": pairs, "mode": mode}


@sample("pad", _pad_ref, name="forms")
def _pad_forms(draw):
    """NumPy's short pad_width forms: one int, or one (before, after) pair for every axis."""
    x = floats(draw, draw(shapes(min_dims=1)))
    width = draw(st.sampled_from([1, (2,), (1, 0), ((0, 2),)]))
    return (x,), {"pad_width": width, "mode": "constant"}


@sample("repeat", lambda x, repeats, axis=None: np.repeat(x, repeats, axis))
def _repeat(draw):
    x = floats(draw, draw(shapes()))
    axis = draw(st.integers(-x.ndim, x.ndim - 1)) if x.ndim and draw(st.booleans()) else None
    return (x,), {"repeats": draw(st.integers(0, 3)), "axis": axis}


# ---- compositions -------------------------------------------------------------------------------
def _composition(op, fn, ref, name):
    """Register ``build`` as a sample of ``fn`` (a composition) under the primitive ``op``."""
    return sample(op, ref, name=name, call=fn)


@_composition("transpose", shp.swapaxes, np.swapaxes, "swapaxes")
def _swapaxes(draw):
    x = floats(draw, draw(shapes(min_dims=1)))
    return (x, draw(st.integers(-x.ndim, x.ndim - 1)), draw(st.integers(0, x.ndim - 1))), {}


@_composition("reshape", shp.expand_dims, np.expand_dims, "expand_dims")
def _expand_dims(draw):
    x = floats(draw, draw(shapes()))
    if draw(st.booleans()):
        return (x, draw(st.integers(-x.ndim - 1, x.ndim))), {}
    k = draw(st.integers(1, 2))
    axes = draw(st.sets(st.integers(0, x.ndim + k - 1), min_size=k, max_size=k))
    return (x, tuple(axes)), {}


@_composition("reshape", shp.squeeze, np.squeeze, "squeeze")
def _squeeze(draw):
    shape = tuple(draw(st.lists(st.sampled_from([1, 1, 2, 3]), max_size=4)))
    ones = [d for d, n in enumerate(shape) if n == 1]
    axis = None
    if ones and draw(st.booleans()):
        axis = tuple(draw(st.sets(st.sampled_from(ones), min_size=1)))
    return (floats(draw, shape), axis), {}


@_composition(
    "concatenate",
    lambda *xs, axis: shp.stack(xs, axis),
    lambda *xs, axis: np.stack(xs, axis),
    "stack",
)
def _stack(draw):
    shape = draw(shapes(max_dims=2))
    xs = tuple(floats(draw, shape) for _ in range(draw(st.integers(1, 3))))
    return xs, {"axis": draw(st.integers(-len(shape) - 1, len(shape)))}


@_composition("getitem", shp.split, np.split, "split")
def _split(draw):
    x = floats(draw, draw(shapes(min_dims=1)))
    axis = draw(st.integers(-x.ndim, x.ndim - 1))
    n = x.shape[axis]
    if draw(st.booleans()):
        parts = draw(st.sampled_from([d for d in range(1, n + 1) if n % d == 0]))
    else:
        parts = sorted(draw(st.lists(st.integers(0, n), max_size=3)))
    return (x, parts, axis), {}


@_composition("broadcast_to", shp.tile, np.tile, "tile")
def _tile(draw):
    x = floats(draw, draw(shapes()))
    reps = draw(st.one_of(st.integers(1, 3), st.lists(st.integers(1, 3), max_size=4).map(tuple)))
    return (x, reps), {}
