"""Samples for the core shape, reduction and matrix primitives (reshape, broadcast_to,
transpose, sum, matmul, einsum)."""
import numpy as np
from hypothesis import strategies as st

from .sampling import floats, sample, shapes


@sample("reshape", lambda x, newshape: np.reshape(x, newshape))
def _reshape(draw):
    x = floats(draw, draw(shapes()))
    newshape = (-1,) if x.size else (0,)
    if x.size % 2 == 0 and x.size:
        newshape = (2, -1)
    return (x,), {"newshape": newshape}


@sample("broadcast_to", lambda x, shape: np.broadcast_to(x, shape))
def _broadcast_to(draw):
    shape = draw(shapes(max_dims=3))
    src = tuple(1 if draw(st.booleans()) else s for s in shape)
    lead = draw(st.integers(0, len(src)))
    return (floats(draw, src[lead:]),), {"shape": shape}


@sample("transpose", lambda x, axes=None: np.transpose(x, axes))
def _transpose(draw):
    x = floats(draw, draw(shapes(min_dims=1)))
    axes = tuple(draw(st.permutations(range(x.ndim)))) if draw(st.booleans()) else None
    return (x,), {"axes": axes}


@sample("sum", lambda x, axis=None, keepdims=False: np.sum(x, axis=axis, keepdims=keepdims))
def _sum(draw):
    x = floats(draw, draw(shapes()))
    axis = None
    if x.ndim and draw(st.booleans()):
        axis = tuple(sorted(draw(st.sets(st.integers(0, x.ndim - 1), min_size=1))))
    return (x,), {"axis": axis, "keepdims": draw(st.booleans())}


@sample("matmul", np.matmul, name="batched")
def _matmul(draw):
    m, k, n = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    batch = draw(st.sampled_from([(), (2,), (2, 1)]))
    b_batch = draw(st.sampled_from([(), batch[-1:]])) if batch else ()
    a_shape = batch + (m, k)
    b_shape = b_batch + (k, n)
    if draw(st.booleans()):
        a_shape = (k,)
    elif draw(st.booleans()):
        b_shape = (k,)
    return (floats(draw, a_shape), floats(draw, b_shape)), {}


@sample("einsum", lambda *ops, subscripts: np.einsum(subscripts, *ops))
def _einsum(draw):
    spec, dims = draw(st.sampled_from([
        ("ij,jk->ik", ["ij", "jk"]), ("bij,bjk->bik", ["bij", "bjk"]), ("ij->j", ["ij"]),
        ("i,j->ij", ["i", "j"]), ("ij,ij->", ["ij", "ij"]), ("ijk,k->ji", ["ijk", "k"]),
        ("ij,jk,kl->il", ["ij", "jk", "kl"]),
    ]))
    size = {c: draw(st.integers(1, 3)) for c in "bijkl"}
    ops = tuple(floats(draw, tuple(size[c] for c in d)) for d in dims)
    return ops, {"subscripts": spec}


def _ema_call(running, value, momentum):
    """ema_update writes into its first input and returns nothing: return that input."""
    from gluonlite.ops import P

    P.ema_update(running, value, momentum=momentum)
    return running


@sample("ema_update", lambda r, v, momentum: momentum * r + (1 - momentum) * v, grad=False,
        call=_ema_call)
def _ema(draw):
    shape = draw(shapes(min_dims=1))
    return (floats(draw, shape), floats(draw, shape)), {"momentum": 0.9}
