"""The memory planner: buffer reuse by liveness, in place where the op allows it.

Every value produced by an op that can write into a given buffer (``accepts_out``) gets a slot
in an arena of byte buffers. Walking the equations in order, a value takes over its input's
buffer when the op declares that pair in-place-safe and the input dies there, else the
best-fitting free buffer, else a new one; a buffer returns to the free list after the last use
of every value that lives in it (views keep their base alive). Forward and backward are planned
as one list, so backward reuses what forward freed, and residuals stay alive exactly until the
backward step that reads them last.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from .graph import Eqn, Var

__all__ = ["MemoryPlan", "plan_memory"]

_FOREVER = 1 << 60


@dataclass
class MemoryPlan:
    buffer_of: dict[Var, int]  # value → arena buffer index
    sizes: list[int]  # bytes per arena buffer
    last_use: dict[Var, int]  # value → index of the last equation that reads it
    naive_bytes: int  # every intermediate in its own buffer
    planned_bytes: int  # arena total
    inplace: int = 0  # values that reused their input's buffer
    reused: int = 0  # values that reused a freed buffer
    freed_at: dict[int, list[Var]] = field(default_factory=dict)  # step → values dead after it

    def report(self) -> str:
        mb = 1 << 20
        return (f"memory reduced from {self.naive_bytes / mb:.2f} MB to "
                f"{self.planned_bytes / mb:.2f} MB ({len(self.sizes)} buffers, "
                f"{self.inplace} in place, {self.reused} reused)")


def plan_memory(eqns: list[Eqn], keep: Iterable[Var], hold: Iterable[Var] = ()) -> MemoryPlan:
    """Plan arena buffers for ``eqns``. Values in ``keep`` (outputs handed to the caller) live to
    the end and never take arena memory; values in ``hold`` (gradients read right after the
    run) live to the end in the arena."""
    keep = set(keep)
    last: dict[Var, int] = {}
    for i, eqn in enumerate(eqns):
        for v in eqn.ins:
            if isinstance(v, Var):
                last[v] = i
    for v in keep:
        last[v] = _FOREVER

    root: dict[Var, Var] = {}  # a view's buffer owner
    for eqn in eqns:
        if eqn.op.view and eqn.ins and isinstance(eqn.ins[0], Var):
            base = eqn.ins[0]
            for o in eqn.outs:
                root[o] = root.get(base, base)
    keep |= {root[v] for v in keep if v in root}  # a returned view pins its base
    for v in (*keep, *hold):
        last[v] = _FOREVER
    root_last: dict[Var, int] = {}
    for v, i in last.items():
        r = root.get(v, v)
        root_last[r] = max(root_last.get(r, -1), i)

    buffer_of: dict[Var, int] = {}
    sizes: list[int] = []
    free: list[int] = []
    naive = inplace = reused = 0
    freed_at: dict[int, list[Var]] = {}
    for v, i in last.items():
        if i != _FOREVER:
            freed_at.setdefault(i, []).append(v)

    for i, eqn in enumerate(eqns):
        op = eqn.op
        if op.accepts_out and not op.view and eqn.outs:
            for k, out in enumerate(eqn.outs):
                if out in keep or out.nbytes == 0:
                    continue
                naive += out.nbytes
                bid = _take_inplace(eqn, i, out, buffer_of, root, root_last) if k == 0 else None
                if bid is not None:
                    inplace += 1
                else:
                    bid = _best_fit(free, sizes, out.nbytes)
                    if bid is None:
                        bid = len(sizes)
                        sizes.append(out.nbytes)
                    else:
                        free.remove(bid)
                        reused += 1
                buffer_of[out] = bid
        for v in {v for v in eqn.ins if isinstance(v, Var)}:
            r = root.get(v, v)
            if root_last.get(r) == i and r in buffer_of and buffer_of[r] not in free:
                if not any(buffer_of.get(o) == buffer_of[r] for o in eqn.outs):
                    free.append(buffer_of[r])
    return MemoryPlan(buffer_of, sizes, last, naive, sum(sizes), inplace, reused, freed_at)


def _take_inplace(eqn: Eqn, i: int, out: Var, buffer_of, root, root_last) -> int | None:
    """The buffer of an input that dies at this step and may be overwritten by the output."""
    for in_idx, out_idx in eqn.op.inplace:
        if out_idx != 0 or in_idx >= len(eqn.ins):
            continue
        v = eqn.ins[in_idx]
        if not isinstance(v, Var) or v in root or v not in buffer_of:
            continue
        if root_last.get(v) != i or v.shape != out.shape or v.dtype != out.dtype:
            continue
        if v.perm != out.perm:  # same bytes, another memory order: not in place
            continue
        return buffer_of[v]
    return None


def _best_fit(free: list[int], sizes: list[int], nbytes: int) -> int | None:
    best = None
    for bid in free:
        if sizes[bid] >= nbytes and (best is None or sizes[bid] < sizes[best]):
            best = bid
    if best is None and free:  # grow the largest free buffer rather than add one
        best = max(free, key=lambda b: sizes[b])
        sizes[best] = nbytes
    return best
