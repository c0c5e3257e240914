"""Samples for the fused neural-network primitives (ops/nn.py): log_softmax."""

import numpy as np
from hypothesis import strategies as st

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
