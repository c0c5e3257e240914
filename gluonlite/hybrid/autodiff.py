"""Graph autodiff: the backward equations of a traced graph, built by applying each op's
registered vjp under a tracer — no hand-written backward anywhere.

The vjps run on the real values kept from the forward trace, so every gradient equation is
recorded with concrete shapes, and its inputs refer back to the forward Vars (the residuals
the backward needs).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..autograd.state import STATE
from ..ops.registry import P
from ..ops.shape_utils import sum_to
from .graph import Eqn, Graph, Var
from .remat import Recompute, choose_remat
from .tracer import Tracer, tracing

__all__ = ["Backward", "build_backward"]


@dataclass
class Backward:
    """Equations from cotangent seeds (one per forward output, None where no gradient flows)
    and forward Vars to the cotangent of each ``wrt`` Var (None: no path, a zero gradient)."""

    eqns: list[Eqn]
    seeds: list[Var | None]
    grads: list[Var | None]
    consts: dict[Var, Any]
    recomputed: set[Var]  # outputs of equations that recompute forward values (never merged
    # back into their forward twins by CSE)


def _requiring(graph: Graph, wrt: list[Var]) -> set[Var]:
    """Vars that depend differentiably on ``wrt``."""
    requires = set(wrt)
    for eqn in graph.eqns:
        op = eqn.op
        if op.vjp is None:
            continue
        if any(isinstance(v, Var) and v in requires and i not in op.nondiff
               for i, v in enumerate(eqn.ins)):
            requires.update(eqn.outs)
    return requires


def build_backward(graph: Graph, values: dict[Var, Any], wrt: list[Var], cls: type,
                   ctx: Any, remat: bool = False) -> Backward:
    """Differentiate ``graph`` (whose Vars hold ``values`` from its trace) w.r.t. ``wrt``;
    with ``remat``, cheap forward values are recomputed in backward instead of kept."""
    requires = _requiring(graph, wrt)
    tracer = Tracer()
    for var, raw in values.items():
        tracer.var_of[id(raw)] = var
        tracer.values[var] = raw

    def wrap(var: Var) -> Any:
        return cls._wrap(values[var], ctx)

    recompute = Recompute(graph, choose_remat(graph, requires) if remat else set(), wrap, tracer)
    cot: dict[Var, Any] = {}
    seeds: list[Var | None] = []
    saved_recording = STATE.recording
    STATE.recording = False
    try:
        with tracing(tracer):
            for out in graph.outputs:
                if out in requires and out.dtype.kind == "f" and out not in cot:
                    seed = ctx.xp.ones(out.shape, out.dtype)
                    seeds.append(tracer.bind(seed))
                    cot[out] = cls._wrap(seed, ctx)
                else:
                    seeds.append(None)
            for eqn in reversed(graph.eqns):
                _backprop(eqn, cot, requires, wrap, recompute)
            grads = [tracer.lookup(cot[v]._data) if v in cot else None for v in wrt]
            
    finally:
        STATE.recording = saved_recording
    return Backward(tracer.eqns, seeds, grads, tracer.consts, recompute.apart)


def _backprop(eqn: Eqn, cot: dict, requires: set, wrap, recompute: Recompute) -> None:
    """Append the vjp equations of one forward equation and accumulate input cotangents."""
    op = eqn.op
    if op.vjp is None or not any(o in cot for o in eqn.outs):
        return
    needs = [isinstance(v, Var) and v in requires and i not in op.nondiff
             for i, v in enumerate(eqn.ins)]
    if not any(needs):
        return
    # what the vjp keeps comes through ``recompute`` (maybe recomputed); the rest it reads
    # only for shapes, from the trace
    ins = tuple(recompute.value(v) if i in op.save_ins else
                wrap(v) if isinstance(v, Var) else v.value for i, v in enumerate(eqn.ins))
    outs = tuple(recompute.value(o) if j in op.save_outs else wrap(o)
                 for j, o in enumerate(eqn.outs))
    gs = [cot.get(o) for o in eqn.outs]
    g = gs[0] if len(gs) == 1 else tuple(gs)
    cots = op.vjp(g, ins, outs, needs, **eqn.attrs)
    for v, c, need in zip(eqn.ins, cots, needs):
        if not need or c is None:
            continue
        if op.broadcasting and tuple(c.shape) != v.shape:
            c = sum_to(c, v.shape)
        cot[v] = c if v not in cot else P.add(cot[v], c)
