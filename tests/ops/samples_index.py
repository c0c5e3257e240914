"""Samples for the indexing primitives of ops/indexing.py (getitem and its scatter-add adjoint,
index_update, last_write_mask, take/index_add, take_along_axis/put_along_axis_add, argsort)
and for the sort/topk compositions built on them.

Keys are drawn as NumPy would see them (ints, slices with any step, None, Ellipsis, integer
arrays with repeats and negatives, boolean masks); the references index with NumPy itself.
"""

import numpy as np
from hypothesis import strategies as st

from gluonlite.ops import indexing as ix

from .sampling import floats, sample, shapes


# ---- keys ---------------------------------------------------------------------------------------
def _slice(draw, n):
    bound = st.one_of(st.none(), st.integers(-n - 1, n + 1))
    step = draw(st.sampled_from([None, 1, 2, -1, -2]))
    return (draw(bound), draw(bound), step)


def _key(draw, shape):
    """A key template and its index arrays for an array of ``shape``."""
    kinds = ["int", "slice", "slice", "array", "array"]
    adv_shape = draw(st.sampled_from([(2,), (3,), (2, 2), (1, 3)]))
    key, found = [], []
    rest = list(shape)
    has_mask = bool(rest) and draw(st.integers(0, 4)) == 0
    if has_mask:  # one boolean mask over leading axes
        k = draw(st.integers(1, min(2, len(rest))))
        size = int(np.prod(rest[:k]))
        mask = draw(st.lists(st.booleans(), min_size=size, max_size=size))
        key.append(ix.ARRAY)
        found.append(np.array(mask, dtype=bool).reshape(rest[:k]))
        rest = rest[k:]
        kinds = ["int", "slice"]
    used = rest[: draw(st.integers(0, len(rest)))]
    for n in used:
        if draw(st.integers(0, 5)) == 0:
            key.append(None)
        kind = draw(st.sampled_from(kinds))
        if kind == "int":
            key.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            key.append(_slice(draw, n))
        else:
            count = int(np.prod(adv_shape))
            values = draw(st.lists(st.integers(-n, n - 1), min_size=count, max_size=count))
            key.append(ix.ARRAY)
            found.append(np.array(values, dtype=np.int64).reshape(adv_shape))
    if draw(st.booleans()):  # matching no axis when the key covers all; never before a mask
        first = len(key) if len(used) < len(rest) else int(has_mask)
        key.insert(draw(st.integers(first, len(key))), Ellipsis)
    if draw(st.integers(0, 5)) == 0:
        key.append(None)
    return tuple(key), found


def np_index(key, arrays):
    """The NumPy index a key template stands for (written independently of build_index)."""
    it = iter(arrays)
    return tuple(
        slice(*k) if isinstance(k, tuple) else next(it) if k == ix.ARRAY else k for k in key
    )


def _getitem_ref(x, *arrays, key):
    return x[np_index(key, arrays)]


def _scatter_add_ref(g, *arrays, key, shape):
    out = np.zeros(shape)
    np.add.at(out, np_index(key, arrays), g)
    return out


def _index_update_ref(x, v, *arrays, key):
    out = x.copy()
    out[np_index(key, arrays)] = v
    return out


def _region(shape, key, arrays):
    return np.zeros(shape)[np_index(key, arrays)].shape


# ---- getitem / scatter_add / index_update ----------------------------------------------------
@sample("getitem", _getitem_ref)
def _getitem(draw):
    x = floats(draw, draw(shapes(max_dims=4)))
    key, arrays = _key(draw, x.shape)
    return (x, *arrays), {"key": key}


@sample("scatter_add", _scatter_add_ref)
def _scatter_add(draw):
    shape = draw(shapes(max_dims=3))
    key, arrays = _key(draw, shape)
    return (floats(draw, _region(shape, key, arrays)), *arrays), {"key": key, "shape": shape}


def _value_shape(draw, region):
    """A shape that broadcasts to ``region``: fewer leading axes, some axes of size 1."""
    region = region[draw(st.integers(0, len(region))) :]
    return tuple(1 if draw(st.booleans()) else n for n in region)


@sample("index_update", _index_update_ref)
def _index_update(draw):
    x = floats(draw, draw(shapes(max_dims=3)))
    key, arrays = _key(draw, x.shape)
    v = floats(draw, _value_shape(draw, _region(x.shape, key, arrays)))
    return (x, v, *arrays), {"key": key}


@sample("index_update", _index_update_ref, name="scalar")
def _index_update_scalar(draw):
    x = floats(draw, draw(shapes(max_dims=3)))
    key, arrays = _key(draw, x.shape)
    return (x, 0.5, *arrays), {"key": key}


@sample("index_update", _index_update_ref, name="repeats")
def _index_update_repeats(draw):
    """Repeated integer indices: only the last write of each position reaches the output."""
    x = floats(draw, (draw(st.integers(1, 3)), draw(st.integers(1, 3))))
    rows = np.array(draw(st.lists(st.integers(0, x.shape[0] - 1), min_size=2, max_size=5)))
    v = floats(draw, (len(rows), x.shape[1]) if draw(st.booleans()) else (len(rows), 1))
    return (x, v, rows), {"key": (ix.ARRAY, ix.ALL)}


def _last_write_ref(*arrays, key, shape):
    """Last write in C order, found by walking the region's target positions."""
    targets = np.arange(int(np.prod(shape))).reshape(shape)[np_index(key, arrays)]
    last = {}
    for i, t in enumerate(targets.ravel()):
        last[t] = i
    return np.array([last[t] == i for i, t in enumerate(targets.ravel())]).reshape(targets.shape)


@sample("last_write_mask", _last_write_ref, grad=False)
def _last_write_mask(draw):
    shape = draw(shapes(min_dims=1, max_dims=3))
    key, arrays = _key(draw, shape)
    if not any(a.dtype.kind == "i" for a in arrays):
        key, arrays = (
            (ix.ARRAY,),
            [np.array(draw(st.lists(st.integers(0, shape[0] - 1), min_size=1, max_size=5)))],
        )
    return tuple(arrays), {"key": key, "shape": shape}


# ---- take / index_add ---------------------------------------------------------------------------
def _fix(indices, n, mode):
    return (
        np.clip(indices, 0, n - 1)
        if mode == "clip"
        else np.mod(indices, n)
        if mode == "wrap"
        else indices
    )


def _take_args(draw, shape):
    axis = draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    n = int(np.prod(shape)) if axis is None else shape[axis]
    mode = draw(st.sampled_from(["raise", "clip", "wrap"]))
    lo, hi = (-n, n - 1) if mode == "raise" else (-2 * n, 2 * n)
    idx_shape = draw(shapes(max_dims=2, max_side=3))
    indices = np.asarray(
        draw(
            st.lists(
                st.integers(lo, hi),
                min_size=int(np.prod(idx_shape)),
                max_size=int(np.prod(idx_shape)),
            )
        )
    ).reshape(idx_shape)
    return indices.astype(np.int64), {"axis": axis, "mode": mode}


@sample("take", lambda a, indices, axis=None, mode="raise": np.take(a, indices, axis, mode=mode))
def _take(draw):
    a = floats(draw, draw(shapes(min_dims=1)))
    indices, attrs = _take_args(draw, a.shape)
    return (a, indices), attrs


def _index_add_ref(g, indices, axis=None, mode="raise", shape=()):
    out = np.zeros(shape)
    n = out.size if axis is None else shape[axis]
    fixed = _fix(indices, n, mode)
    if axis is None:
        np.add.at(out.reshape(-1), fixed, g)
    else:
        np.add.at(out, (slice(None),) * (axis % len(shape)) + (fixed,), g)
    return out


@sample("index_add", _index_add_ref)
def _index_add(draw):
    shape = draw(shapes(min_dims=1))
    indices, attrs = _take_args(draw, shape)
    g_shape = np.take(np.zeros(shape), _fix(indices, 1, "clip"), attrs["axis"]).shape
    return (floats(draw, g_shape), indices), dict(attrs, shape=shape)


# ---- take_along_axis / put_along_axis_add ---------------------------------------------------------
def _along_args(draw, shape):
    """Indices for take_along_axis on ``shape``: broadcasting off the axis, repeats allowed."""
    if draw(st.integers(0, 4)) == 0:
        size = int(np.prod(shape))
        return np.array(draw(st.lists(st.integers(-size, size - 1), max_size=5)), np.int64), None
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    ax = axis % len(shape)
    idx_shape = [1 if draw(st.booleans()) else n for n in shape]
    idx_shape[ax] = draw(st.integers(0, 3))
    count = int(np.prod(idx_shape))
    values = draw(st.lists(st.integers(-shape[ax], shape[ax] - 1), min_size=count, max_size=count))
    return np.array(values, np.int64).reshape(idx_shape), axis


def _take_along_ref(a, indices, axis):
    return a.reshape(-1)[indices] if axis is None else np.take_along_axis(a, indices, axis)


@sample("take_along_axis", _take_along_ref)
def _take_along_axis(draw):
    shape = draw(shapes(min_dims=1))
    indices, axis = _along_args(draw, shape)
    if axis is not None:  # a may also be the broadcast side
        shape = tuple(
            1 if draw(st.integers(0, 3)) == 0 and i != axis % len(shape) else n
            for i, n in enumerate(shape)
        )
    return (floats(draw, shape), indices), {"axis": axis}


def _put_along_ref(g, indices, axis, shape):
    """A loop over g: each element goes to the position take_along_axis read it from."""
    out = np.zeros(shape)
    if axis is None:
        np.add.at(out.reshape(-1), indices, g)
        return out
    ax = axis % len(shape)
    idx = np.broadcast_to(indices, g.shape)
    for pos in np.ndindex(g.shape):
        target = tuple(
            idx[pos] if d == ax else (0 if shape[d] == 1 else p) for d, p in enumerate(pos)
        )
        out[target] += g[pos]
    return out


@sample("put_along_axis_add", _put_along_ref)
def _put_along_axis_add(draw):
    shape = draw(shapes(min_dims=1))
    indices, axis = _along_args(draw, shape)
    g_shape = _take_along_ref(np.zeros(shape), indices, axis).shape
    return (floats(draw, g_shape), indices), {"axis": axis, "shape": shape}


# ---- ordering -----------------------------------------------------------------------------------
@sample("argsort", lambda x, axis=-1, kind="stable": np.argsort(x, axis, kind=kind), grad=False)
def _argsort(draw):
    x = floats(draw, draw(shapes(min_dims=1))).round(1)  # rounding makes ties
    axis = draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1)))
    return (x,), {"axis": axis}


def _distinct(draw, shape):
    """Distinct values, well apart (a sort's gradient is only defined without ties)."""
    order = draw(st.permutations(range(int(np.prod(shape)))))
    return np.array(order, dtype=np.float64).reshape(shape) * 0.25 - 1.0


@sample("take_along_axis", lambda x, axis=-1: np.sort(x, axis), name="sort", call=ix.sort)
def _sort(draw):
    x = _distinct(draw, draw(shapes(min_dims=1)))
    return (x,), {"axis": draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1)))}


def _topk_ref(x, k, axis=-1, largest=True):
    order = np.argsort(-x if largest else x, axis=axis, kind="stable")
    idx = np.take(order, np.arange(k), axis=axis)
    return np.take_along_axis(x, idx, axis), idx


@sample("take_along_axis", _topk_ref, name="topk", call=ix.topk)
def _topk(draw):
    x = _distinct(draw, draw(shapes(min_dims=1)))
    axis = draw(st.integers(-x.ndim, x.ndim - 1))
    return (x, draw(st.integers(0, x.shape[axis]))), {"axis": axis, "largest": draw(st.booleans())}
