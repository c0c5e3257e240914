"""Memory-aware ordering of a training program's backward equations.

Graph autodiff emits the backward in reverse forward order, which on a branching network
computes one branch's input gradient early and keeps it (and what produced it) alive while the
other branch runs — in a ResNet block, the shortcut's input gradient lives through the whole
main branch. Any topological order computes the same values, so the backward is re-listed
greedily: among the equations whose inputs are ready, the next is the one that adds the fewest
bytes (its new buffers minus the buffers whose last reader it is), ties kept in the original
order. Forward equations, and the relative order of side effects, never move.
"""
from __future__ import annotations

from collections.abc import Iterable

from .graph import Eqn, Var
from .memory import view_roots

__all__ = ["schedule_backward"]


def schedule_backward(eqns: list[Eqn], split: int, keep: Iterable[Var]) -> list[Eqn]:
    """``eqns`` with ``eqns[split:]`` re-listed to lower the bytes live at once; ``keep`` are
    values read after the run (never freed)."""
    head, tail = eqns[:split], eqns[split:]
    if len(tail) < 3:
        return list(eqns)
    keep = set(keep)
    root = view_roots(eqns)  # a view's memory owner
    # values holding memory of their own that the program frees
    owned = {o for e in eqns for o in e.outs if o not in root and o not in keep}
    owned -= {root.get(v, v) for v in keep}

    uses: dict[Var, int] = {}  # reads left, per memory owner
    for e in tail:
        for v in e.ins:
            if isinstance(v, Var):
                r = root.get(v, v)
                uses[r] = uses.get(r, 0) + 1
    made = {o: i for i, e in enumerate(tail) for o in e.outs}
    waits = [0] * len(tail)
    readers: list[list[int]] = [[] for _ in tail]
    last_effect = None
    for i, e in enumerate(tail):
        deps = {made[v] for v in e.ins if isinstance(v, Var) and v in made}
        if e.op.mutates or e.op.random:  # side effects keep their order
            if last_effect is not None:
                deps.add(last_effect)
            last_effect = i
        waits[i] = len(deps)
        for d in deps:
            readers[d].append(i)

    reads: list[dict[Var, int]] = []  # per equation: memory owner -> times it reads it
    grows: list[int] = []  # per equation: bytes of its new buffers
    read_by: dict[Var, list[int]] = {}
    for i, e in enumerate(tail):
        counts: dict[Var, int] = {}
        for v in e.ins:
            if isinstance(v, Var):
                r = root.get(v, v)
                counts[r] = counts.get(r, 0) + 1
        reads.append(counts)
        grows.append(sum(o.nbytes for o in e.outs if o in owned))
        for r in counts:
            read_by.setdefault(r, []).append(i)

    def cost(i: int) -> tuple[int, int]:
        freed = sum(r.nbytes for r, n in reads[i].items() if r in owned and uses[r] == n)
        return grows[i] - freed, i

    start = dict(uses)
    ready = {i: cost(i) for i, w in enumerate(waits) if w == 0}
    order = []
    while ready:
        best = min(ready, key=ready.__getitem__)
        del ready[best]
        order.append(best)
        for r, n in reads[best].items():
            uses[r] -= n
            for j in read_by[r]:  # their last-reader status may have changed
                if j in ready:
                    ready[j] = cost(j)
        for j in readers[best]:
            waits[j] -= 1
            if waits[j] == 0:
                ready[j] = cost(j)
    if _peak(tail, order, root, owned, start) >= _peak(tail, range(len(tail)), root, owned, start):
        return list(eqns)  # greedy choices can be myopic: keep the autodiff order then
    return head + [tail[i] for i in order]


def _peak(tail: list[Eqn], order, root: dict, owned: set, uses: dict[Var, int]) -> int:
    """The most bytes that values made by ``tail`` (listed in ``order``) hold at once, plus what
    values made before it and read in it hold until their last read."""
    uses = dict(uses)
    made = {o for e in tail for o in e.outs}
    live = sum(r.nbytes for r in uses if r in owned and r not in made)
    peak = live
    for i in order:
        e = tail[i]
        live += sum(o.nbytes for o in e.outs if o in owned)
        peak = max(peak, live)
        for v in e.ins:
            if isinstance(v, Var):
                r = root.get(v, v)
                uses[r] -= 1
                if uses[r] == 0 and r in owned:
                    live -= r.nbytes
    return peak
