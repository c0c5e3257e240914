"""``nd.random``: MXNet's sampling functions over the ``random_*`` primitives.

Parameters (``low``, ``loc``, ``lam``...) may be numbers or NDArrays. With numbers, ``shape``
gives the output shape ((1,) when omitted, as in MXNet) on ``ctx``; with NDArrays there is one
draw per element, ``shape`` is appended to the parameters' shape, and the output lives on
their context. The default dtype is float32. Seeding: :func:`seed` (also ``gluonlite.random.seed``).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy

from .. import errors
from ..context import Context, current_context
from ..ops import random as _ops_random
from ..ops.registry import P
from .dispatch import ArrayBase

__all__ = [
    "bernoulli", "exponential", "gamma", "generalized_negative_binomial", "multinomial",
    "negative_binomial", "normal", "poisson", "randint", "randn", "seed", "shuffle", "uniform",
]  # fmt: skip

_F32 = numpy.dtype("float32")


def _draw(op, params: tuple, shape: Any, dtype: Any, ctx: Any, out: Any):
    """Call a sampling primitive with MXNet's defaults for shape, dtype, context and ``out``."""
    arrays = [p for p in params if isinstance(p, ArrayBase)]
    if shape is None:
        shape = () if arrays else (out.shape if out is not None else (1,))
    elif isinstance(shape, numbers.Integral):
        shape = (int(shape),)
    else:
        shape = tuple(int(s) for s in shape)
    if dtype is None:  # the parameters' float dtype, else out's, else float32
        floats = [a.dtype for a in arrays if a.dtype.kind == "f"]
        dtype = floats[0] if floats else (out.dtype if out is not None else _F32)
    dtype = numpy.dtype(dtype)
    if arrays:
        result = op(*params, shape=shape, dtype=dtype)
    else:
        if ctx is None:
            ctx = out.context if out is not None else current_context()
        result = op(*params, shape=shape, dtype=dtype, ctx=Context(ctx))
    return result if out is None else result.copyto(out)


def uniform(low=0.0, high=1.0, shape=None, dtype=None, ctx=None, out=None, **kwargs: Any):
    """Samples from the uniform distribution on [low, high)."""
    return _draw(P.random_uniform, (low, high), shape, dtype, ctx, out)


def normal(loc=0.0, scale=1.0, shape=None, dtype=None, ctx=None, out=None, **kwargs: Any):
    """Samples from the normal distribution of mean ``loc`` and standard deviation ``scale``."""
    return _draw(P.random_normal, (loc, scale), shape, dtype, ctx, out)


def randn(*shape: int, loc=0.0, scale=1.0, dtype=None, ctx=None, out=None, **kwargs: Any):
    """Normal samples of the given shape: ``randn(2, 3)``."""
    return normal(loc, scale, shape or None, dtype, ctx, out)


def randint(low: int, high: int, shape=None, dtype=None, ctx=None, out=None, **kwargs: Any):
    """Integers drawn uniformly from [low, high); int32 unless ``dtype`` says otherwise."""
    dt = numpy.dtype("int32" if dtype is None else dtype)
    if dt.kind not in "iu":
        raise errors.MXNetTypeError(f"randint: dtype must be an integer type, not {dt}")
    if high <= low:
        raise errors.MXNetValueError(f"randint: need low < high, got low={low}, high={high}")
    return _draw(P.random_randint, (int(low), int(high)), shape, dt, ctx, out)


def exponential(scale=1.0, shape=None, dtype=None, ctx=None, out=None, **kwargs: Any):
    """Samples from the exponential distribution of mean ``scale`` (= 1/lambda)."""
    return _draw(P.random_exponential, (scale,), shape, dtype, ctx, out)


def gamma(alpha=1.0, beta=1.0, shape=None, dtype=None, ctx=None, out=None, **kwargs: Any):
    """Samples from the gamma distribution of shape ``alpha`` and scale ``beta``."""
    return _draw(P.random_gamma, (alpha, beta), shape, dtype, ctx, out)


def poisson(lam=1.0, shape=None, dtype=None, ctx=None, out=None, **kwargs: Any):
    """Samples from the Poisson distribution of rate ``lam`` (float32 counts by default)."""
    return _draw(P.random_poisson, (lam,), shape, dtype, ctx, out)


def _gamma_poisson(alpha, beta, shape, dtype, ctx, out):
    """Poisson draws whose rate is itself Gamma(alpha, beta) distributed."""
    lam = gamma(alpha, beta, shape=shape, dtype="float64", ctx=ctx)
    return poisson(lam, shape=(), dtype=_F32 if dtype is None else dtype, out=out)


def negative_binomial(k=1, p=1.0, shape=None, dtype=None, ctx=None, out=None, **kwargs: Any):
    """Number of failures before ``k`` successes of probability ``p`` (0 < p <= 1)."""
    return _gamma_poisson(k, (1 - p) / p, shape, dtype, ctx, out)


def generalized_negative_binomial(
    mu=1.0, alpha=1.0, shape=None, dtype=None, ctx=None, out=None, **kwargs: Any
):
    """Negative binomial of mean ``mu`` and dispersion ``alpha`` (alpha == 0: Poisson(mu))."""
    if not isinstance(alpha, ArrayBase) and alpha == 0:
        return poisson(mu, shape, dtype, ctx, out)
    return _gamma_poisson(1 / alpha, alpha * mu, shape, dtype, ctx, out)


def bernoulli(prob=0.5, shape=None, dtype=None, ctx=None, out=None, **kwargs: Any):
    """1 with probability ``prob``, else 0 (float32 by default)."""
    return _draw(P.random_bernoulli, (prob,), shape, dtype, ctx, out)


def multinomial(data, shape=None, get_prob=False, out=None, dtype="int32", **kwargs: Any):
    """Category indices drawn from each row of probabilities ``data`` (the last axis).

    The result has shape ``data.shape[:-1] + shape`` ((1,) for 1-d data without ``shape``). With
    ``get_prob`` it is ``[samples, log_probs]``, the log-probabilities being differentiable
    with respect to ``data`` (the REINFORCE estimator's term).
    """
    if not isinstance(data, ArrayBase) or data.ndim == 0:
        raise errors.MXNetValueError(
            "multinomial: data must be an NDArray of probabilities "
            "with the categories on its last axis"
        )
    if shape is None:
        draws = (1,) if data.ndim == 1 else ()
    else:
        draws = (int(shape),) if isinstance(shape, numbers.Integral) else tuple(shape)
    samples = P.random_multinomial(data, shape=draws, dtype=numpy.dtype(dtype))
    if out is not None:
        samples = samples.copyto(out)
    if not get_prob:
        return samples
    from . import log, pick  # the nd namespace (imported at call time: it imports this module)

    lead, k = tuple(data.shape[:-1]), data.shape[-1]
    probs = P.reshape(data, newshape=lead + (1,) * len(draws) + (k,))
    probs = P.broadcast_to(probs, shape=lead + draws + (k,))
    return [samples, log(pick(probs, samples, axis=-1))]


def shuffle(data, **kwargs: Any):
    """A copy of ``data`` with its first axis randomly permuted."""
    return P.random_shuffle(data)


def seed(seed_state: int, ctx: Any = "all") -> None:
    """Seed gluonlite's random generators: every device's (``ctx='all'``) or one device's.

    The same seed gives the same draws afterwards (on NumPy, ``Generator(PCG64(seed))``; each
    GPU gets its own stream derived from the seed and its id). Python's ``random`` module and
    NumPy's legacy global state (``numpy.random.seed``) are not touched: seed them yourself if
    your own code draws from them.
    """
    if not isinstance(seed_state, numbers.Integral):
        raise errors.MXNetTypeError(
            f"seed_state must be an integer, got {type(seed_state).__name__}"
        )
    _ops_random.seed(seed_state, None if ctx == "all" else Context(ctx))
