"""Reductions with NumPy semantics (0-d results for full reductions): sum, max, min, prod,
argmax, argmin and cumsum. mean, var, norm and logsumexp are compositions (ndarray/mx_reduce)."""

from __future__ import annotations

import math

import numpy

from .compare import keep_where
from .registry import P, register
from .shape_utils import expand_reduced

__all__ = ["sum_over"]

_PRODUCT_MIN_SIZE = 1 << 15  # smaller sums are quick in NumPy; the layout check would cost more
_ONES: dict[tuple[int, numpy.dtype], numpy.ndarray] = {}  # read-only vectors of ones, by length


def _ones(n: int, dtype) -> numpy.ndarray:
    key = (n, numpy.dtype(dtype))
    if key not in _ONES:
        if len(_ONES) > 64:
            _ONES.clear()
        vec = numpy.ones(n, dtype=dtype)
        vec.flags.writeable = False
        _ONES[key] = vec
    return _ONES[key]


def _by_products(x, axes: tuple[int, ...]):
    """x's sum over ``axes`` as at most two BLAS matrix-vector products, when its memory order
    is (reduced, kept, reduced) blocks: NumPy sums a tall (M, K) block with small K one row at a
    time, 4-8x slower (per-channel sums of channels-last activations). None otherwise."""
    if x.ndim < 2 or x.size == 0 or x.dtype not in (numpy.float32, numpy.float64):
        return None
    order = sorted(range(x.ndim), key=lambda a: -x.strides[a])
    if not x.transpose(order).flags.c_contiguous:
        return None
    flags = [a in axes for a in order]
    lead = next((i for i, r in enumerate(flags) if not r), len(flags))
    tail = next((i for i, r in enumerate(reversed(flags)) if not r), len(flags))
    if lead == len(flags) or not all(not r for r in flags[lead: len(flags) - tail]):
        return None
    kept = order[lead: len(order) - tail]
    a = math.prod(x.shape[i] for i in order[:lead])
    b = math.prod(x.shape[i] for i in order[len(order) - tail:])
    k = math.prod(x.shape[i] for i in kept)
    if a * b < 64 or (1 < b < 16) or k > 4096:
        return None
    mat = x.transpose(order).reshape(a, k, b)
    total = mat @ _ones(b, x.dtype) if b > 1 else mat.reshape(a, k)
    total = _ones(a, x.dtype) @ total if a > 1 else total.reshape(k)
    return total.reshape([x.shape[i] for i in kept]).transpose(numpy.argsort(kept))


def sum_over(xp, x, axis=None, keepdims=False, dtype=None, out=None):
    """``xp.sum`` with the same results, by BLAS products where the memory layout makes NumPy's
    own reduction slow (see :func:`_by_products`)."""
    if xp is numpy and dtype is None and axis is not None and x.size >= _PRODUCT_MIN_SIZE:
        axes = tuple(sorted(a % x.ndim for a in ((axis,) if isinstance(axis, int) else axis)))
        total = _by_products(x, axes)
        if total is not None:
            if keepdims:
                total = total.reshape([1 if i in axes else d for i, d in enumerate(x.shape)])
            if out is None:
                return total
            out[...] = total
            return out
    return xp.sum(x, axis=axis, keepdims=keepdims, dtype=dtype, out=out)


_sum = sum_over


register(
    "sum",
    _sum,
    grads=(
        lambda g, ins, outs, axis=None, keepdims=False, dtype=None: P.broadcast_to(
            expand_reduced(g, axis, ins[0].ndim, keepdims), shape=ins[0].shape
        ),
    ),
    accepts_out=True,
    doc="Sum over ``axis`` (None: all axes).",
)


# ---- max and min --------------------------------------------------------------------------------
def _extreme_grad(g, ins, outs, axis=None, keepdims=False):
    """g goes to the positions equal to the result, split evenly among ties (g * mask / count)."""
    x = ins[0]
    hit = P.equal(x, expand_reduced(outs[0], axis, x.ndim, keepdims))
    count = P.astype(P.sum(hit, axis=axis, keepdims=True), dtype=g.dtype)
    share = P.true_divide(expand_reduced(g, axis, x.ndim, keepdims), count)
    return keep_where(share, hit)


def _max(xp, x, axis=None, keepdims=False):
    return xp.max(x, axis=axis, keepdims=keepdims)


def _min(xp, x, axis=None, keepdims=False):
    return xp.min(x, axis=axis, keepdims=keepdims)


register(
    "max",
    _max,
    grads=(_extreme_grad,),
    save_ins=(0,),
    save_outs=(0,),
    doc="Maximum over ``axis`` (None: all axes); ties share the gradient evenly.",
)
register(
    "min",
    _min,
    grads=(_extreme_grad,),
    save_ins=(0,),
    save_outs=(0,),
    doc="Minimum over ``axis`` (None: all axes); ties share the gradient evenly.",
)


# ---- prod ---------------------------------------------------------------------------------------
def _prod(xp, x, axis=None, keepdims=False):
    return xp.prod(x, axis=axis, keepdims=keepdims)


def _prod_grad(g, ins, outs, axis=None, keepdims=False):
    """d prod / d x_i is the product of the other elements, computed exactly when zeros occur:
    in a reduced slice with no zero it is prod(x) / x_i; with one zero it is the product of the
    nonzero elements at the zero and 0 elsewhere; with two or more zeros it is 0. (Second
    derivatives across two entries of a slice holding a zero come out as 0.)"""
    x = ins[0]
    zero = P.equal(x, 0)
    safe = P.where(zero, 1.0, x)
    nonzero_prod = P.prod(safe, axis=axis, keepdims=True)
    zeros = P.sum(zero, axis=axis, keepdims=True)
    others = P.where(
        zero,
        P.where(P.equal(zeros, 1), nonzero_prod, 0.0),
        P.where(P.equal(zeros, 0), P.true_divide(nonzero_prod, safe), 0.0),
    )
    return P.multiply(expand_reduced(g, axis, x.ndim, keepdims), others)


register(
    "prod",
    _prod,
    grads=(_prod_grad,),
    save_ins=(0,),
    doc="Product over ``axis`` (None: all axes); the gradient is exact also with zeros.",
)


# ---- argmax and argmin --------------------------------------------------------------------------
def _argmax(xp, x, axis=None, keepdims=False):
    return xp.argmax(x, axis=axis, keepdims=keepdims).astype(xp.int64, copy=False)


def _argmin(xp, x, axis=None, keepdims=False):
    return xp.argmin(x, axis=axis, keepdims=keepdims).astype(xp.int64, copy=False)


register("argmax", _argmax, doc="int64 index of the first maximum along ``axis`` (None: flat).")
register("argmin", _argmin, doc="int64 index of the first minimum along ``axis`` (None: flat).")


# ---- cumsum -------------------------------------------------------------------------------------
def _cumsum(xp, x, axis=None, dtype=None, reverse=False):
    if axis is None:
        x, axis = x.reshape(-1), 0
    if not reverse:
        return xp.cumsum(x, axis=axis, dtype=dtype)
    flipped = xp.flip(x, axis)
    return xp.flip(xp.cumsum(flipped, axis=axis, dtype=dtype), axis)


def _cumsum_grad(g, ins, outs, axis=None, dtype=None, reverse=False):
    """Each input feeds its own and every later output: the gradient is the cumulative sum of
    g in the other direction."""
    x = ins[0]
    grad = P.cumsum(g, axis=0 if axis is None else axis, reverse=not reverse)
    if axis is None:
        grad = P.reshape(grad, newshape=x.shape)
    return grad if grad.dtype == x.dtype else P.astype(grad, dtype=x.dtype)


register(
    "cumsum",
    _cumsum,
    grads=(_cumsum_grad,),
    doc="Cumulative sum along ``axis`` (None: of the flattened array); ``reverse=True`` sums "
    "from the end (an extension to NumPy, used by the gradient).",
)
