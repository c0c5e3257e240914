"""Rematerialisation (MXNet's "backward mirror"): forward values that the backward reads but
that are cheap to compute again from values it keeps anyway are recomputed in backward instead
of being kept alive from forward to backward.

A value qualifies when its op is per-element (``Op.elementwise``), a view, or has a ``remat``
rule (batch_norm's normalised output from its input and statistics), and everything the
recomputation reads is already kept for backward, is a graph input, parameter or output, is
small, or qualifies itself (to a bounded depth). In a ResNet this keeps each convolution's
output and recomputes batch norm + ReLU from it, so one activation per layer is kept instead of
three; in an MLP nothing qualifies (a product is never recomputed) and the graph is unchanged.
"""
from __future__ import annotations

from typing import Any, Callable

from .graph import Eqn, Graph, Literal, Var
from .tracer import Tracer

__all__ = ["choose_remat", "Recompute"]

_MAX_DEPTH = 3  # how long a chain of not-kept values one recomputation may pull in
_SMALL = 8  # inputs at most 1/_SMALL of the value's size may be kept just for recomputing


def residuals(graph: Graph, requires: set[Var]) -> set[Var]:
    """Forward Vars the backward reads: what each differentiated op's vjp keeps."""
    kept: set[Var] = set()
    for eqn in graph.eqns:
        op = eqn.op
        if op.vjp is None or not any(isinstance(v, Var) and v in requires and i not in op.nondiff
                                     for i, v in enumerate(eqn.ins)):
            continue
        kept.update(eqn.ins[i] for i in op.save_ins
                    if i < len(eqn.ins) and isinstance(eqn.ins[i], Var))
        kept.update(eqn.outs[j] for j in op.save_outs if j < len(eqn.outs))
    return kept


def _reads(eqn: Eqn, k: int) -> list[Var] | None:
    """The Vars recomputing output ``k`` of ``eqn`` reads, or None when it cannot be recomputed."""
    op = eqn.op
    if op.random or op.mutates:
        return None
    if (op.elementwise or op.view) and len(eqn.outs) == 1:
        return [v for v in eqn.ins if isinstance(v, Var)]
    if op.remat is not None and k not in op.save_outs:
        return [v for v in eqn.ins if isinstance(v, Var)] + [eqn.outs[j] for j in op.save_outs]
    return None


def choose_remat(graph: Graph, requires: set[Var]) -> set[Var]:
    """The forward Vars the backward should recompute: kept residuals that qualify, plus the
    not-kept intermediates their recomputation goes through."""
    producer = {o: (e, k) for e in graph.eqns for k, o in enumerate(e.outs)}
    kept = residuals(graph, requires)
    free = {*graph.inputs, *graph.params, *graph.consts, *graph.outputs}
    chosen: set[Var] = set()

    def qualifies(v: Var, depth: int, trial: set[Var]) -> bool:
        if v in chosen or v in trial:
            return True
        if depth > _MAX_DEPTH or v not in producer:
            return False
        reads = _reads(*producer[v])
        if reads is None:
            return False
        trial.add(v)
        for u in reads:
            if u in free or u in kept or u.nbytes * _SMALL <= v.nbytes:
                continue  # available anyway, or small enough to keep
            if not qualifies(u, depth + 1, trial):
                return False
        return True

    for eqn in graph.eqns:
        if eqn.op.view:  # a kept view costs no memory of its own
            continue
        for v in eqn.outs:
            if v in kept and v not in free and v.nbytes:
                trial: set[Var] = set()
                if qualifies(v, 0, trial):
                    chosen |= trial
    return chosen


class Recompute:
    """Recomputes chosen forward Vars on demand while the backward is traced. A value a vjp
    reads is recomputed at its first read and kept for later reads; values read only while
    recomputing another are recomputed afresh each time and die right after, so nothing
    recomputed early lives through the rest of the backward."""

    def __init__(self, graph: Graph, chosen: set[Var], wrap: Callable[[Var], Any],
                 tracer: Tracer) -> None:
        self.producer = {o: (e, k) for e in graph.eqns for k, o in enumerate(e.outs)}
        self.chosen = chosen
        self.wrap = wrap  # a forward Var's value as kept from the trace
        self.tracer = tracer
        self.memo: dict[Var, Any] = {}
        self.apart: set[Var] = set()  # outputs of recomputing equations: CSE keeps them apart

    def value(self, v: Var | Literal) -> Any:
        """The value a vjp should read for ``v``."""
        if isinstance(v, Literal) or v not in self.chosen:
            return self._read(v, {})
        if v not in self.memo:
            start = len(self.tracer.eqns)
            self.memo[v] = self._recompute(v, {})
            self.apart.update(o for e in self.tracer.eqns[start:] for o in e.outs)
        return self.memo[v]

    def _read(self, v: Var | Literal, local: dict[Var, Any]) -> Any:
        if isinstance(v, Literal):
            return v.value
        if v in self.memo:
            return self.memo[v]
        if v not in self.chosen:
            return self.wrap(v)
        if v not in local:
            local[v] = self._recompute(v, local)
        return local[v]

    def _recompute(self, v: Var, local: dict[Var, Any]) -> Any:
        eqn, k = self.producer[v]
        op = eqn.op
        if op.remat is None:
            return op(*(self._read(u, local) for u in eqn.ins), **eqn.attrs)
        ins = tuple(self._read(u, local) for u in eqn.ins)
        outs = tuple(self._read(o, local) if j in op.save_outs else None
                     for j, o in enumerate(eqn.outs))
        return op.remat(ins, outs, k, **eqn.attrs)
