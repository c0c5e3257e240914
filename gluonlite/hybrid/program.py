"""The executor: a planned straight-line program replayed over a table of values.

Each step holds its op's bound forward, precomputed argument slots and literals, and (when the
planner gave its output an arena buffer) the slot of a preallocated ``out=`` view. A range of
steps is compiled once into a Python function with one line per step (``t[9] = f1(xp, t[0],
t[7], out=a[9])``), so a replay pays for the op calls only: no per-op dispatch, wrapping or
taping, and no per-step interpretation of slots, literals and buffer kinds.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy

from .graph import Eqn, Literal, Var
from .memory import MemoryPlan, plan_memory

__all__ = ["Program"]


class _Step:
    __slots__ = ("fn", "free", "kwargs", "literals", "op", "out_buf", "outs", "slots")

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
        self._compiled: dict[tuple, Callable] = {}
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
        key = (start, stop, on_step is not None)
        fn = self._compiled.get(key)
        if fn is None:
            fn = self._compiled[key] = _compile(self.steps[start:stop], self.eqns[start:stop],
                                                self.xp, key[2])
        fn(table, arena, on_step)


_program_ids = itertools.count()


def _compile(steps: list[_Step], eqns: list[Eqn], xp: Any, checking: bool) -> Callable:
    """``run(t, a, on_step)``: the steps as straight-line code over the value table ``t`` and
    the arena ``a``; forwards, literals and attributes are bound as globals of the function.
    With ``checking`` every step is followed by ``on_step(eqn, t)``."""
    names: dict[str, Any] = {"xp": xp, "_asarray": numpy.asarray, "_generic": numpy.generic}
    lines = ["def run(t, a, on_step):"]
    for i, (step, eqn) in enumerate(zip(steps, eqns)):
        names[f"f{i}"] = step.fn
        args = ["xp"]
        for j, (s, lit) in enumerate(zip(step.slots, step.literals)):
            if s < 0:
                names[f"c{i}_{j}"] = lit
            args.append(f"t[{s}]" if s >= 0 else f"c{i}_{j}")
        if step.out_buf >= 0:
            args.append(f"out=a[{step.out_buf}]")
        elif step.out_buf == -2:
            args.append(f"out=({''.join(f'a[{s}], ' for s in step.outs)})")
        if step.kwargs:
            names[f"k{i}"] = step.kwargs
            args.append(f"**k{i}")
        call = f"f{i}({', '.join(args)})"
        outs = step.outs
        if len(outs) == 1 and step.out_buf >= 0:  # a forward given out= returns that buffer
            lines.append(f"    t[{outs[0]}] = {call}")
        elif len(outs) == 1:  # NumPy reductions may return scalars: keep arrays in the table
            lines.append(f"    r = {call}")
            lines.append(f"    t[{outs[0]}] = _asarray(r) if isinstance(r, _generic) else r")
        elif outs:
            lines.append(f"    {''.join(f't[{s}], ' for s in outs)}= {call}")
        else:
            lines.append(f"    {call}")
        if checking:
            names[f"e{i}"] = eqn
            lines.append(f"    on_step(e{i}, t)")
        if step.free:
            lines.append(f"    {' = '.join(f't[{s}]' for s in step.free)} = None")
    lines.append("    return None")
    code = compile("\n".join(lines), f"<hybrid program {next(_program_ids)}>", "exec")
    exec(code, names)  # noqa: S102  (the source is built above from the steps, no user text)
    return names["run"]
