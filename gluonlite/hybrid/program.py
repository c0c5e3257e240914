"""The executor: a planned straight-line program replayed over a table of values.

Each step holds its op's bound forward, precomputed argument slots and literals, and (when the
planner gave its output an arena buffer) the slot of a preallocated ``out=`` view, so a replay
is one tight loop with no per-op dispatch, wrapping or taping.
"""
from __future__ import annotations

from typing import Any

import numpy

from .graph import Eqn, Literal, Var
from .memory import MemoryPlan, plan_memory

__all__ = ["Program"]


class _Step:
    __slots__ = ("fn", "slots", "literals", "kwargs", "outs", "out_buf", "free", "op")

    def __init__(self, eqn: Eqn, slot: dict[Var, int], plan: MemoryPlan, index: int) -> None:
        self.op = eqn.op
        self.fn = eqn.op.forward
        self.slots = tuple(slot[v] if isinstance(v, Var) else -1 for v in eqn.ins)
        self.literals = tuple(v.value if isinstance(v, Literal) else None for v in eqn.ins)
        self.kwargs = {k: v for k, v in eqn.attrs.items() if k != "ctx"}
        self.outs = tuple(slot[o] for o in eqn.outs)
        planned = [o in plan.offset_of for o in eqn.outs]
        # one planned output: its slot; several (all planned): -2, pass a tuple of buffers
        if len(eqn.outs) == 1:
            self.out_buf = self.outs[0] if planned[0] else -1
        else:
            self.out_buf = -2 if planned and all(planned) else -1
        self.free = tuple(slot[v] for v in plan.freed_at.get(index, ()) if v in slot)


class Program:
    """Equations over Vars, planned once; ``run`` replays a range of steps on a value table.

    ``given`` Vars (inputs, parameters, backward seeds) are filled by the caller; constants are
    filled from ``consts``; values in ``keep`` are returned to the caller and get fresh memory.
    """

    def __init__(self, eqns: list[Eqn], given: list[Var], consts: dict[Var, Any],
                 keep: list[Var], xp: Any, static_alloc: bool, hold: list[Var] = ()) -> None:
        self.xp = xp
        self.static_alloc = static_alloc
        self.slot: dict[Var, int] = {}
        for v in [*given, *consts]:
            self.slot.setdefault(v, len(self.slot))
        for eqn in eqns:
            for o in eqn.outs:
                self.slot.setdefault(o, len(self.slot))
        self.eqns = eqns
        self.plan = plan_memory(eqns, [v for v in keep if v is not None],
                                [v for v in hold if v is not None])
        self.steps = [_Step(e, self.slot, self.plan, i) for i, e in enumerate(eqns)]
        self.const_slots = [(self.slot[v], value) for v, value in consts.items()]
        self._idle: list[list] = []
        self.arenas_made = 0

    def allocating_steps(self) -> int:
        """Steps that allocate a fresh array on every run (no planned ``out=`` buffer)."""
        return sum(1 for s in self.steps if s.out_buf == -1 and s.outs and not s.op.view)

    # ---- memory ---------------------------------------------------------------------------
    def _new_arena(self) -> list:
        """Views of one freshly allocated byte buffer, one per planned value slot."""
        self.arenas_made += 1
        arena = self.xp.empty(self.plan.arena_bytes, dtype=numpy.uint8)
        views: list = [None] * len(self.slot)
        for var, offset in self.plan.offset_of.items():
            flat = arena[offset: offset + var.nbytes].view(var.dtype)
            if var.perm is None:
                views[self.slot[var]] = flat.reshape(var.shape)
            else:  # the same memory order the op produced while tracing
                stored = flat.reshape(tuple(var.shape[a] for a in var.perm))
                views[self.slot[var]] = stored.transpose(numpy.argsort(var.perm))
        return views

    def acquire(self) -> list:
        """An arena for one run: reused across runs with ``static_alloc``."""
        if self.static_alloc and self._idle:
            return self._idle.pop()
        return self._new_arena()

    def release(self, arena: list) -> None:
        if self.static_alloc:
            self._idle.append(arena)

    # ---- running ----------------------------------------------------------------------------
    def new_table(self) -> list:
        table: list = [None] * len(self.slot)
        for s, value in self.const_slots:
            table[s] = value
        return table

    def run(self, table: list, arena: list, start: int = 0, stop: int | None = None,
            on_step: Any = None) -> None:
        """Execute steps [start, stop) in place on ``table``; ``on_step(eqn, table)`` (debug
        checking) sees each step's outputs before any later step can overwrite them."""
        xp = self.xp
        for index, step in enumerate(self.steps[start:stop], start):
            args = [table[s] if s >= 0 else lit for s, lit in zip(step.slots, step.literals)]
            if step.out_buf >= 0:
                result = step.fn(xp, *args, out=arena[step.out_buf], **step.kwargs)
            elif step.out_buf == -2:
                result = step.fn(xp, *args, out=tuple(arena[s] for s in step.outs), **step.kwargs)
            else:
                result = step.fn(xp, *args, **step.kwargs)
            outs = step.outs
            if len(outs) == 1:
                table[outs[0]] = numpy.asarray(result) if isinstance(result, numpy.generic) else (
                    result)
            elif outs:
                for s, r in zip(outs, result):
                    table[s] = r
            if on_step is not None:
                on_step(self.eqns[index], table)
            for s in step.free:
                table[s] = None
