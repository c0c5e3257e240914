"""Random sampling primitives and the generator state they draw from.

Each array module has one global generator per device (NumPy's ``Generator(PCG64(seed))`` on
cpu, a CuPy ``RandomState`` per GPU), created lazily from the seed set by :func:`seed`; this
module is the only place that holds them. The ops are marked ``random=True`` so graph passes
never fold or deduplicate them, and carry no gradient. Distribution parameters (``low``,
``loc``, ``lam``...) may be Python scalars or arrays: with arrays, one draw per element, and the
requested ``shape`` is appended to the parameters' broadcast shape (MXNet's ``sample_*`` ops).
"""

from __future__ import annotations

import operator
from typing import Any

import numpy

from ..context import Context
from .registry import register

__all__ = ["generator", "seed"]

_F32 = numpy.dtype("float32")
_I32 = numpy.dtype("int32")
_MASK64 = (1 << 64) - 1

_global_seed: int | None = None  # None: fresh OS entropy
_device_seeds: dict[tuple[str, int], int] = {}  # seeds set for one device (ctx=...)
_generators: dict[tuple[str, int], Any] = {}


class _CupyGenerator:
    """CuPy's ``RandomState`` under the method names of NumPy's ``Generator`` used below."""

    def __init__(self, seed_value: int | None) -> None:
        import cupy

        self._rs = cupy.random.RandomState(seed_value)
        self.random = self._rs.random_sample
        self.integers = self._rs.randint

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rs, name)


def _key(xp: Any) -> tuple[str, int]:
    """(array module, device id) of the generator that serves the current device."""
    if xp is numpy:
        return ("numpy", 0)
    return ("cupy", xp.cuda.Device().id)


def seed(seed_state: int, ctx: Context | None = None) -> None:
    """Reseed every generator (``ctx=None``) or only the one serving ``ctx`` (all cpu contexts
    share one). Later draws repeat for a repeated seed; negative seeds wrap modulo 2**64."""
    global _global_seed
    value = operator.index(seed_state) & _MASK64
    if ctx is None:
        _global_seed = value
        _device_seeds.clear()
        _generators.clear()
    else:
        key = ("numpy", 0) if ctx.xp is numpy else ("cupy", ctx.device_id)
        _device_seeds[key] = value
        _generators.pop(key, None)


def generator(xp: Any) -> Any:
    """The generator of ``xp`` for the current device (created on first use)."""
    key = _key(xp)
    gen = _generators.get(key)
    if gen is None:
        value = _device_seeds.get(key, _global_seed)
        if xp is numpy:
            gen = numpy.random.Generator(numpy.random.PCG64(value))
        else:  # GPUs get distinct streams from one seed, as MXNet's per-device generators do
            if value is not None:
                mix = numpy.random.SeedSequence((value, key[1] + 1)).generate_state(1, numpy.uint64)
                value = int(mix[0])
            gen = _CupyGenerator(value)
        _generators[key] = gen
    return gen


# ---- helpers ------------------------------------------------------------------------------------
def _out_shape(shape: Any, *params: Any) -> tuple[int, tuple[int, ...]]:
    """(number of draw axes, output shape = the parameters' broadcast shape + ``shape``)."""
    shape = (int(shape),) if isinstance(shape, (int, numpy.integer)) else tuple(shape)
    base = numpy.broadcast_shapes(*(getattr(p, "shape", ()) for p in params))
    return len(shape), base + shape


def _expand(param: Any, n_draw: int) -> Any:
    """An array parameter with ``n_draw`` trailing unit axes, so it broadcasts against the
    output (a scalar as is)."""
    if not hasattr(param, "shape"):
        return param
    return param.reshape(param.shape + (1,) * n_draw)


def _float_draw(xp: Any, method: str, size: tuple[int, ...], dtype: Any, *args: Any) -> Any:
    """A standard draw in float32 or float64 (the dtypes the generators produce directly)."""
    dtype = numpy.dtype(dtype)
    native = dtype if dtype in (numpy.float32, numpy.float64) else _F32
    return getattr(generator(xp), method)(*args, size=size, dtype=native)


def _affine(x: Any, scale: Any, shift: Any, n_draw: int) -> Any:
    """``x * scale + shift`` for a standard draw ``x``, in place when both are scalars."""
    if hasattr(scale, "shape") or hasattr(shift, "shape"):
        return x * _expand(scale, n_draw) + _expand(shift, n_draw)
    if scale != 1:
        x *= scale
    if shift != 0:
        x += shift
    return x


def _cast(x: Any, dtype: Any) -> Any:
    return x.astype(dtype, copy=False)


def _random_op(name: str, doc: str):
    def wrap(forward):
        register(name, forward, random=True, doc=doc)
        return forward

    return wrap


# ---- primitives ---------------------------------------------------------------------------------
@_random_op("random_uniform", "Draws from U[low, high) (low/high: scalars or arrays).")
def _uniform(xp, low=0.0, high=1.0, *, shape=(), dtype=_F32):
    n_draw, size = _out_shape(shape, low, high)
    u = _float_draw(xp, "random", size, dtype)
    return _cast(_affine(u, high - low, low, n_draw), dtype)


@_random_op("random_normal", "Draws from N(loc, scale^2) (loc/scale: scalars or arrays).")
def _normal(xp, loc=0.0, scale=1.0, *, shape=(), dtype=_F32):
    n_draw, size = _out_shape(shape, loc, scale)
    z = _float_draw(xp, "standard_normal", size, dtype)
    return _cast(_affine(z, scale, loc, n_draw), dtype)


@_random_op("random_randint", "Draws integers uniformly from [low, high).")
def _randint(xp, low=0, high=2, *, shape=(), dtype=_I32):
    _, size = _out_shape(shape)
    return generator(xp).integers(low, high, size=size, dtype=numpy.dtype(dtype))


@_random_op("random_exponential", "Draws from the exponential distribution of mean ``scale``.")
def _exponential(xp, scale=1.0, *, shape=(), dtype=_F32):
    n_draw, size = _out_shape(shape, scale)
    e = _float_draw(xp, "standard_exponential", size, dtype)
    return _cast(_affine(e, scale, 0, n_draw), dtype)


@_random_op("random_gamma", "Draws from Gamma(shape=alpha, scale=beta).")
def _gamma(xp, alpha=1.0, beta=1.0, *, shape=(), dtype=_F32):
    n_draw, size = _out_shape(shape, alpha, beta)
    a = _expand(alpha, n_draw)
    if hasattr(a, "shape"):
        a = xp.broadcast_to(a, size)
    g = _float_draw(xp, "standard_gamma", size, dtype, a)
    return _cast(_affine(g, beta, 0, n_draw), dtype)


@_random_op("random_poisson", "Draws from Poisson(lam) (counts, in ``dtype``).")
def _poisson(xp, lam=1.0, *, shape=(), dtype=_F32):
    n_draw, size = _out_shape(shape, lam)
    lam = _expand(lam, n_draw)
    if hasattr(lam, "shape"):
        lam = xp.broadcast_to(lam, size)
    return _cast(generator(xp).poisson(lam, size=size), dtype)


@_random_op("random_bernoulli", "Draws 1 with probability ``prob``, else 0.")
def _bernoulli(xp, prob=0.5, *, shape=(), dtype=_F32):
    n_draw, size = _out_shape(shape, prob)
    u = _float_draw(xp, "random", size, numpy.float64)
    return _cast(u < _expand(prob, n_draw), dtype)


@_random_op(
    "random_multinomial",
    "Draws category indices from each row of probabilities ``data`` (last axis; rows are "
    "normalised); the output shape is data.shape[:-1] + shape.",
)
def _multinomial(xp, data, *, shape=(), dtype=_I32):
    _, draws = _out_shape(shape)
    k = data.shape[-1]
    rows = data.reshape(-1, k).astype(numpy.float64)
    cdf = xp.cumsum(rows, axis=1)
    cdf /= cdf[:, -1:]
    cdf[:, -1] = 1.0
    n = rows.shape[0]
    per_row = int(numpy.prod(draws, dtype=numpy.int64))
    u = generator(xp).random(size=(n, per_row), dtype=numpy.float64)
    # one searchsorted over all rows: row i's cdf is shifted into [i, i+1]
    offset = xp.arange(n, dtype=numpy.float64)[:, None]
    flat = (cdf + offset).reshape(-1)
    idx = xp.searchsorted(flat, (u + offset).reshape(-1), side="right").reshape(n, per_row)
    idx -= xp.arange(n)[:, None] * k
    xp.clip(idx, 0, k - 1, out=idx)
    return idx.reshape(data.shape[:-1] + draws).astype(dtype)


@_random_op("random_shuffle", "A copy of ``x`` with its first axis randomly permuted.")
def _shuffle(xp, x):
    return x[generator(xp).permutation(x.shape[0])]
