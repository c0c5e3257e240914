"""Test samples for registered ops, and the forward and finite-difference checks that use them.

Each ``samples_*.py`` module declares, for every op it covers, one or more samples: a
hypothesis-driven builder of (args, attrs) from NumPy float64 data, a NumPy reference, and which
arguments to differentiate. ``test_registry.py`` runs every sample and fails for any registered
op that has none.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import gluonlite as gl
from gluonlite import autograd, nd


@dataclass
class Sample:
    op: str
    build: Callable[[Any], tuple[tuple, dict]]  # draw -> (args, attrs)
    ref: Callable[..., Any] | None  # ref(*args, **attrs) on NumPy values
    wrt: tuple[int, ...] | None = None  # args to differentiate (None: every float array)
    grad: bool = True
    name: str = ""
    call: Callable[..., Any] | None = None  # how to call (default: the registry op)
    rtol: float = 1e-7
    atol: float = 1e-9
    grad_rtol: float = 1e-5
    grad_atol: float = 1e-6
    extra: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.op}-{self.name}" if self.name else self.op


SAMPLES: list[Sample] = []


def sample(op: str, ref: Callable | None = None, **kw: Any) -> Callable:
    """Decorator: the decorated function is a builder ``build(draw) -> (args, attrs)``."""

    def wrap(build: Callable) -> Callable:
        SAMPLES.append(Sample(op, build, ref, **kw))
        return build

    return wrap


# ---- strategies ---------------------------------------------------------------------------------
def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def floats(draw, shape, lo: float = -2.0, hi: float = 2.0, away_from: float | None = None,
           gap: float = 0.05) -> np.ndarray:
    """A float64 array with values in [lo, hi]; ``away_from`` keeps values at least ``gap`` from a
    point where the op has a kink (abs at 0, a comparison's tie)."""
    elems = st.floats(lo, hi, allow_nan=False, allow_infinity=False, width=64)
    x = draw(hnp.arrays(np.float64, shape, elements=elems))
    if away_from is not None:
        close = np.abs(x - away_from) < gap
        x = np.where(close, away_from + gap * np.where(x >= away_from, 1.0, -1.0) * 2, x)
    return x


def broadcast_pair(draw, max_dims: int = 3):
    """Two shapes that broadcast together (including 0-d and size-1 stretching)."""
    s = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=max_dims,
                                               max_side=3))
    return s.input_shapes


# ---- checks -------------------------------------------------------------------------------------
def to_nd(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return nd.array(v, dtype=v.dtype)
    if isinstance(v, (list, tuple)) and v and all(isinstance(e, np.ndarray) for e in v):
        return type(v)(nd.array(e, dtype=e.dtype) for e in v)
    return v


def call(s: Sample, args: tuple, attrs: dict) -> Any:
    fn = s.call or gl.ops.get(s.op)
    return fn(*args, **attrs)


def outputs_np(out: Any) -> list[np.ndarray]:
    if isinstance(out, (list, tuple)):
        return [o.asnumpy() for o in out]
    return [out.asnumpy()]


def check_forward(s: Sample, args: tuple, attrs: dict) -> None:
    got = outputs_np(call(s, tuple(to_nd(a) for a in args), attrs))
    if s.ref is None:
        return
    want = s.ref(*args, **attrs)
    want = list(want) if isinstance(want, (list, tuple)) else [want]
    assert len(got) == len(want), f"{s.id}: {len(got)} outputs, reference has {len(want)}"
    for g, w in zip(got, want):
        w = np.asarray(w)
        assert g.shape == w.shape, f"{s.id}: shape {g.shape}, reference {w.shape}"
        np.testing.assert_allclose(g, w, rtol=s.rtol, atol=s.atol, err_msg=s.id)


def _wrt(s: Sample, args: tuple) -> tuple[int, ...]:
    if s.wrt is not None:
        return s.wrt
    return tuple(i for i, a in enumerate(args)
                 if isinstance(a, np.ndarray) and a.dtype.kind == "f")


def _loss(out: Any, weights: list[np.ndarray]) -> Any:
    outs = out if isinstance(out, (list, tuple)) else [out]
    total = None
    for o, w in zip(outs, weights):
        if o.dtype.kind != "f":
            continue
        term = gl.ops.P.sum(o * nd.array(w, dtype=o.dtype))
        total = term if total is None else total + term
    return total


def check_grad(s: Sample, args: tuple, attrs: dict, eps: float = 1e-6) -> None:
    """Backward against central finite differences of sum(out * w), in float64."""
    wrt = _wrt(s, args)
    if not wrt:
        return
    rng = np.random.RandomState(1)
    probe = call(s, tuple(to_nd(a) for a in args), attrs)
    weights = [rng.uniform(0.5, 1.5, o.shape) for o in
               (probe if isinstance(probe, (list, tuple)) else [probe])]

    def loss_np(vals: tuple) -> float:
        out = call(s, tuple(to_nd(a) for a in vals), attrs)
        outs = out if isinstance(out, (list, tuple)) else [out]
        return float(sum((o.asnumpy().astype(np.float64) * w).sum()
                         for o, w in zip(outs, weights) if o.dtype.kind == "f"))

    nd_args = [to_nd(a) for a in args]
    for i in wrt:
        nd_args[i].attach_grad()
    with autograd.record():
        loss = _loss(call(s, tuple(nd_args), attrs), weights)
    if loss is None:
        return
    loss.backward()
    for i in wrt:
        analytic = nd_args[i].grad.asnumpy()
        numeric = np.zeros_like(args[i], dtype=np.float64)
        for idx in np.ndindex(args[i].shape):
            vals = list(args)
            plus, minus = args[i].copy(), args[i].copy()
            plus[idx] += eps
            minus[idx] -= eps
            vals[i] = plus
            f_plus = loss_np(tuple(vals))
            vals[i] = minus
            f_minus = loss_np(tuple(vals))
            numeric[idx] = (f_plus - f_minus) / (2 * eps)
        np.testing.assert_allclose(analytic, numeric, rtol=s.grad_rtol, atol=s.grad_atol,
                                   err_msg=f"{s.id}: gradient of argument {i}")
