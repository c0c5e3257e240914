"""Samples for the fused neural-network primitives (ops/nn.py): log_softmax, sparse softmax
cross-entropy and its gradient, batch_norm."""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from .sampling import floats, sample, shapes


def ref_log_softmax(x, axis=-1):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


@sample("log_softmax", ref_log_softmax)
def _log_softmax(draw):
    x = floats(draw, draw(shapes(min_dims=1)), -5.0, 5.0)
    return (x,), {"axis": draw(st.integers(-x.ndim, x.ndim - 1))}


@sample("log_softmax", ref_log_softmax, name="large", grad=False)
def _log_softmax_large(draw):
    x = floats(draw, draw(shapes(min_dims=1)), -5.0, 5.0) + 1e4  # exp would overflow unshifted
    return (x,), {"axis": -1}


def _onehot(label, n, axis):
    idx = np.clip(label.astype(np.int64), 0, n - 1)
    return np.expand_dims(idx, axis) == np.expand_dims(np.arange(n), tuple(
        a for a in range(label.ndim + 1) if a != axis % (label.ndim + 1)))


def ref_sparse_softmax_ce(pred, label, axis=-1):
    logp = ref_log_softmax(pred, axis)
    return -(logp * _onehot(label, pred.shape[axis], axis)).sum(axis), np.exp(logp)


def ref_sparse_softmax_ce_grad(probs, label, g, axis=-1):
    return (probs - _onehot(label, probs.shape[axis], axis)) * np.expand_dims(g, axis)


def _class_problem(draw):
    """(pred, label, axis): logits, and class indices (float, out of range now and then, or
    integer) of pred's shape without ``axis``."""
    pred = floats(draw, draw(shapes(min_dims=1)), -3.0, 3.0)
    axis = draw(st.integers(-pred.ndim, pred.ndim - 1))
    n = pred.shape[axis]
    rest = tuple(s for a, s in enumerate(pred.shape) if a != axis % pred.ndim)
    label = draw(hnp.arrays(np.int64, rest, elements=st.integers(-1, n)))
    if draw(st.booleans()):
        label = label + draw(hnp.arrays(np.float64, rest, elements=st.floats(0.0, 0.9)))
    return pred, label, axis


@sample("sparse_softmax_cross_entropy", ref_sparse_softmax_ce, wrt=(0,))
def _sparse_softmax_ce(draw):
    pred, label, axis = _class_problem(draw)
    return (pred, label), {"axis": axis}


@sample("sparse_softmax_cross_entropy_grad", ref_sparse_softmax_ce_grad, wrt=(0, 2))
def _sparse_softmax_ce_grad(draw):
    probs, label, axis = _class_problem(draw)  # any values: the op is linear in them
    g = floats(draw, label.shape)
    return (probs, label, g), {"axis": axis}


def ref_batch_norm(x, gamma, beta, axis=1, eps=1e-5):
    red = tuple(a for a in range(x.ndim) if a != axis)
    shape = tuple(-1 if a == axis else 1 for a in range(x.ndim))
    mean, var = x.mean(axis=red), x.var(axis=red)
    y = (x - mean.reshape(shape)) * (gamma / np.sqrt(var + eps)).reshape(shape) + beta.reshape(
        shape
    )
    return y, mean, var


@sample("batch_norm", ref_batch_norm)
def _batch_norm(draw):
    shape = draw(shapes(min_dims=2, max_dims=4, min_side=2, max_side=3))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    c = shape[axis]
    args = (floats(draw, shape), floats(draw, (c,), 0.5, 1.5), floats(draw, (c,)))
    return args, {"axis": axis % len(shape), "eps": draw(st.sampled_from([1e-5, 1e-3]))}
