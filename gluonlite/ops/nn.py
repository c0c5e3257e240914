"""Neural-network primitives that are fused for numerical stability or speed: ``log_softmax``,
softmax cross-entropy against class indices (with its gradient) and ``batch_norm``.

Convolution and pooling primitives (windows, im2col) live in ``conv.py``; softmax, normalization
layers, dropout and the MXNet operators are compositions in ``gluonlite/ndarray/mx_nn.py``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy

from .channel_broadcast import binary
from .reduce import sum_over
from .registry import P, register

__all__: list[str] = []


def _shifted(xp, x, axis):
    """``x`` minus its maximum along ``axis`` (so exp cannot overflow)."""
    top = x.max(axis=axis, keepdims=True)
    top = xp.where(xp.isfinite(top), top, 0)  # rows of -inf stay -inf instead of nan
    return x - top


def _log_sum_exp(xp, shifted, axis):
    return xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))


def _log_softmax(xp, x, axis=-1):
    out = _shifted(xp, x, axis)
    out -= _log_sum_exp(xp, out, axis)
    return out


def _log_softmax_grad(g: Any, ins, outs, axis=-1):
    return P.subtract(g, P.multiply(P.exp(outs[0]), P.sum(g, axis=axis, keepdims=True)))


register(
    "log_softmax",
    _log_softmax,
    grads=(_log_softmax_grad,),
    save_outs=(0,),
    doc="log(softmax(x)) along ``axis``, computed stably (max subtracted, log-sum-exp).",
)


# ---- softmax cross-entropy against class indices ------------------------------------------------
def _kept(shape: tuple, axis: int, size: int = 1) -> tuple:
    """``shape`` (without ``axis``) with ``axis`` of ``size`` put back."""
    axis %= len(shape) + 1
    return shape[:axis] + (size,) + shape[axis:]


def _class_index(xp, label, n, axis):
    """Class indices as integers with a size-1 ``axis``, as MXNet's ``pick`` reads them: float
    labels truncate, out-of-range ones clip to [0, n)."""
    idx = label if label.dtype.kind in "iu" else label.astype(numpy.int64)
    return xp.minimum(xp.maximum(idx, 0), n - 1).reshape(_kept(label.shape, axis))


def _pick(xp, a, idx, axis):
    """``take_along_axis(a, idx, axis)``; along the last axis of a C-contiguous ``a`` as one
    gather over its rows (NumPy's take_along_axis builds a full index grid in Python)."""
    if axis % a.ndim == a.ndim - 1 and a.flags.c_contiguous:
        rows = a.reshape(-1, a.shape[-1])
        return rows[xp.arange(rows.shape[0]), idx.reshape(-1)].reshape(idx.shape)
    return xp.take_along_axis(a, idx, axis)


def _sparse_softmax_ce(xp, pred, label, axis=-1):
    """(-log softmax(pred)[label], softmax(pred)) along ``axis``; label has pred's shape
    without ``axis``. The softmax is what the gradient needs, so backward recomputes nothing."""
    shifted = _shifted(xp, pred, axis)
    probs = xp.exp(shifted)
    total = probs.sum(axis=axis, keepdims=True)
    picked = _pick(xp, shifted, _class_index(xp, label, pred.shape[axis], axis), axis)
    # log(total) - picked is exactly -(picked - lse): the value -pick(log_softmax(pred)) gives
    loss = (xp.log(total) - picked).reshape(label.shape)
    probs /= total
    return loss, probs


def _sparse_softmax_ce_grad(xp, probs, label, g, axis=-1):
    """``(probs - onehot(label)) * g`` with g broadcast along ``axis``: for the softmax of the
    logits, the loss's gradient for its cotangent ``g``."""
    n = probs.shape[axis]
    classes = xp.arange(n).reshape(_kept((1,) * (probs.ndim - 1), axis, n))
    out = probs - (classes == _class_index(xp, label, n, axis))
    out *= g.reshape(_kept(g.shape, axis))
    return out


def _keep_axis(v: Any, axis: int) -> Any:
    """``v`` (a shape without ``axis``) with a size-1 ``axis`` put back, as a registered op."""
    return P.reshape(v, newshape=_kept(tuple(v.shape), axis))


def _softmax_vjp(g: Any, probs: Any, axis: int) -> Any:
    """The cotangent of softmax's input from its output's: ``p * (g - sum(g * p))``."""
    return P.multiply(probs, P.subtract(g, P.sum(P.multiply(g, probs), axis=axis, keepdims=True)))


def _sparse_softmax_ce_vjp(g, ins, outs, needs, axis=-1):
    """The loss's cotangent through ``sparse_softmax_cross_entropy_grad`` of the kept softmax,
    plus softmax's own vjp when the softmax output was used too."""
    g_loss, g_probs = g
    probs = outs[1]
    grad = None
    if needs[0] and g_loss is not None:
        grad = P.sparse_softmax_cross_entropy_grad(probs, ins[1], g_loss, axis=axis)
    if needs[0] and g_probs is not None:
        soft = _softmax_vjp(g_probs, probs, axis)
        grad = soft if grad is None else P.add(grad, soft)
    return [grad, None]


register(
    "sparse_softmax_cross_entropy",
    _sparse_softmax_ce,
    vjp=_sparse_softmax_ce_vjp,
    num_outputs=2,
    nondiff=(1,),
    save_ins=(1,),
    save_outs=(1,),
    doc="Softmax cross-entropy against class indices along ``axis``: per position "
    "``-log softmax(pred)[label]`` (label: pred's shape without ``axis``; float indices "
    "truncate, out-of-range ones clip), and ``softmax(pred)``, which its gradient reuses.",
)


def _sparse_softmax_ce_grad_vjp(h, ins, outs, needs, axis=-1):
    """d probs = h * g; d g = sum(h * (probs - onehot)) = sum(h * probs) - h[label]."""
    probs, label, g = ins
    grads: list = [None, None, None]
    if needs[0]:
        grads[0] = P.multiply(h, _keep_axis(g, axis))
    if needs[2]:
        n = probs.shape[axis]
        idx = P.clip(P.astype(label, dtype=numpy.dtype("int64")), a_min=0, a_max=n - 1)
        picked = P.take_along_axis(h, _keep_axis(idx, axis), axis=axis)
        dot = P.sum(P.multiply(h, probs), axis=axis, keepdims=True)
        grads[2] = P.reshape(P.subtract(dot, picked), newshape=tuple(g.shape))
    return grads


register(
    "sparse_softmax_cross_entropy_grad",
    _sparse_softmax_ce_grad,
    vjp=_sparse_softmax_ce_grad_vjp,
    nondiff=(1,),
    save_ins=(0, 1, 2),
    doc="The gradient of ``sparse_softmax_cross_entropy`` from its softmax output: "
    "``(probs - onehot(label)) * g`` along ``axis`` for the loss cotangent ``g`` "
    "(differentiable again).",
)


# ---- batch normalization ------------------------------------------------------------------------
def _stat_axes(ndim: int, axis: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The reduced axes of a per-channel statistic on ``axis``, and its broadcastable shape."""
    red = tuple(a for a in range(ndim) if a != axis)
    return red, tuple(-1 if a == axis else 1 for a in range(ndim))


def _mean_square(xp, y, axis: int, count: int):
    """The mean of y**2 over every axis but ``axis`` (``count`` elements per channel), as one
    sum of products: no y-sized temporary (and twice as fast as squaring first on the CPU)."""
    axes = "abcdefghijklmnopqrstuvwxyz"[: y.ndim]
    wide = y.dtype if y.dtype.itemsize >= 4 else numpy.float32  # accumulate halves in float32
    total = xp.einsum(f"{axes},{axes}->{axes[axis]}", y, y, dtype=wide)
    return xp.true_divide(total, count).astype(y.dtype, copy=False)


def _batch_norm(xp, x, gamma, beta, axis=1, eps=1e-5, out=None):
    """y = (x - mean) / sqrt(var + eps) * gamma + beta with the batch mean and biased variance
    per channel on ``axis``; also returns that mean and variance as (C,) arrays. ``out`` is
    an optional (y, mean, var) triple of buffers."""
    red, shape = _stat_axes(x.ndim, axis)
    count = x.size // max(x.shape[axis], 1)
    mean = xp.true_divide(sum_over(xp, x, axis=red, keepdims=True), count).astype(x.dtype)
    y = binary(xp, xp.subtract, x, mean, None if out is None else out[0])
    var = _mean_square(xp, y, axis, count).reshape(shape)
    binary(xp, xp.multiply, y, gamma.reshape(shape) / xp.sqrt(var + eps), y)
    binary(xp, xp.add, y, beta.reshape(shape), y)
    if out is None:
        return y, mean.reshape(-1), var.reshape(-1)
    out[1][...] = mean.reshape(-1)
    out[2][...] = var.reshape(-1)
    return out


def _plus(a: Any, b: Any) -> Any:
    return b if a is None else P.add(a, b)


def _batch_norm_vjp(g, ins, outs, needs, axis=1, eps=1e-5):
    """With xhat = (x - mean) * inv_std and sums over the M elements of each channel:
    dbeta = sum(gy), dgamma = sum(gy * xhat), and dx = gy * a + x * b + c with per-channel a, b
    and c, so that only x and gy are touched at full size; cotangents of the mean and variance
    outputs only add to b and c."""
    gy, g_mean, g_var = g
    x, gamma = ins[0], ins[1]
    red, shape = _stat_axes(x.ndim, axis)
    scale = 1.0 / math.prod(x.shape[i] for i in red)
    mean = P.reshape(outs[1], newshape=shape)
    inv_std = P.power(P.add(P.reshape(outs[2], newshape=shape), float(eps)), -0.5)
    grads: list = [None, None, None]
    a = b = c = None
    if gy is not None:
        dbeta = P.sum(gy, axis=red, keepdims=True)
        gy_x = P.sum(P.multiply(gy, x), axis=red, keepdims=True)
        dgamma = P.multiply(inv_std, P.subtract(gy_x, P.multiply(mean, dbeta)))
        if needs[1]:
            grads[1] = P.reshape(dgamma, newshape=tuple(gamma.shape))
        if needs[2]:
            grads[2] = P.reshape(dbeta, newshape=tuple(ins[2].shape))
        a = P.multiply(P.reshape(gamma, newshape=shape), inv_std)
        b = P.multiply(P.multiply(a, inv_std), P.multiply(dgamma, -scale))
        c = P.multiply(
            a, P.multiply(P.subtract(P.multiply(P.multiply(inv_std, dgamma), mean), dbeta), scale)
        )
    if g_mean is not None:
        c = _plus(c, P.multiply(P.reshape(g_mean, newshape=shape), scale))
    if g_var is not None:  # d var / dx = 2 (x - mean) / M
        k = P.multiply(P.reshape(g_var, newshape=shape), 2.0 * scale)
        b = _plus(b, k)
        c = _plus(c, P.negative(P.multiply(mean, k)))
    if needs[0]:
        gx = None if a is None else P.multiply(gy, a)
        if b is not None:
            gx = _plus(gx, P.multiply(x, b))
        gx = _plus(gx, c) if c is not None else gx
        grads[0] = gx if tuple(gx.shape) == tuple(x.shape) else P.broadcast_to(gx, shape=x.shape)
    return grads


def _batch_norm_remat(ins, outs, k, axis=1, eps=1e-5):
    """y from x and the kept batch statistics, in the forward's operation order (so bit for bit
    the forward's y): a backward can recompute it instead of keeping it."""
    x, gamma, beta = ins
    _, shape = _stat_axes(len(x.shape), axis)
    scale = P.true_divide(P.reshape(gamma, newshape=shape),
                          P.sqrt(P.add(P.reshape(outs[2], newshape=shape), float(eps))))
    y = P.multiply(P.subtract(x, P.reshape(outs[1], newshape=shape)), scale)
    return P.add(y, P.reshape(beta, newshape=shape))


register(
    "batch_norm",
    _batch_norm,
    vjp=_batch_norm_vjp,
    remat=_batch_norm_remat,
    num_outputs=3,
    accepts_out=True,
    save_ins=(0, 1),
    save_outs=(1, 2),
    doc="Batch normalization with batch statistics over every axis but ``axis`` (gamma and beta "
    "are (C,)): returns (y, mean, biased variance), fused for speed.",
)
