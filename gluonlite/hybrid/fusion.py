"""Elementwise fusion: chains and trees of per-element equations become one
``fused_elementwise`` equation, which runs as one CuPy kernel per group on the GPU.

A group is a root equation plus every per-element producer whose value is read only inside
the group and is not needed after the equation list (``live_out``); the fused equation takes
the root's place and output Var, so printing, check mode and gradient targets see the same
values. The pass runs on program equations only (after autodiff and ``passes.optimize``):
graphs that export and check mode read keep their unfused equations.

Where it pays: on CuPy each group is one kernel launch and one pass over memory instead of one
per op. On NumPy the fused op replays the same ufuncs (it must, to stay bit-exact), so all it
can save is the executor's per-step overhead, and it loses the planner's arena buffers for
intermediates of another dtype or shape (bool masks), which it has to allocate on every call.
Measured on the standard workloads' training programs that came out equal within noise or
slower, so :func:`fuse_elementwise` fuses only for CuPy (:func:`profitable`); :func:`fuse` does
it unconditionally.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy

from ..ops.fused import FusedProgram, Member
from ..ops.fused_c import c_literal, c_type, computes_in
from ..ops.registry import get
from .graph import Eqn, Literal, Var

__all__ = ["fusable", "fuse", "fuse_elementwise", "fuse_training", "fused_eqn", "profitable"]


def profitable(xp: Any) -> bool:
    """Whether fusing pays on the array module ``xp``: on CuPy, not on NumPy (module docstring)."""
    return xp is not numpy


def fuse_elementwise(eqns: list[Eqn], live_out: Iterable[Var], xp: Any) -> list[Eqn]:
    """``eqns`` with each group of 2+ per-element equations fused where that pays on ``xp``;
    ``live_out`` are the Vars needed after these equations (outputs, values read later)."""
    return fuse(eqns, live_out) if profitable(xp) else list(eqns)


def fuse_training(
    eqns: list[Eqn], split: int, keep: Iterable[Var], xp: Any
) -> tuple[list[Eqn], int]:
    """Fuse a training program's forward ``eqns[:split]`` and backward ``eqns[split:]`` apart,
    never across the split; ``keep`` are the Vars the caller reads after the run (outputs,
    gradients). Returns the equations and the new split."""
    keep = set(keep)
    forward, backward = eqns[:split], eqns[split:]
    read_later = {v for e in backward for v in e.ins if isinstance(v, Var)}
    forward = fuse_elementwise(forward, keep | read_later, xp)
    return forward + fuse_elementwise(backward, keep, xp), len(forward)


def fusable(eqn: Eqn) -> bool:
    """A pure per-element equation with a C template, hashable attributes, C-typed values,
    literals with a C spelling, computing in float or double into a float or bool."""
    op = eqn.op
    if not op.elementwise or op.random or op.mutates or len(eqn.outs) != 1:
        return False
    if not computes_in(eqn.outs[0].dtype) and eqn.outs[0].dtype != numpy.bool_:
        return False  # C's float-to-integer conversion is undefined where NumPy's is not
    try:
        hash(_attrs(eqn))
    except TypeError:
        return False
    for v in (*eqn.ins, *eqn.outs):
        if isinstance(v, Var) and c_type(v.dtype) is None:
            return False
        if isinstance(v, Literal) and c_literal(v.value) is None:
            return False
    return computes_in(_compute_dtype(eqn))


def _attrs(eqn: Eqn) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((k, v) for k, v in eqn.attrs.items() if k != "ctx"))


def _compute_dtype(eqn: Eqn) -> numpy.dtype:
    """The dtype the op computes in: NumPy's result type of the operands (Python scalars weak)
    and of a non-bool output (true division of integers computes in float64)."""
    operands = [v.dtype if isinstance(v, Var) else v.value for v in eqn.ins]
    out = eqn.outs[0].dtype
    return numpy.result_type(*operands, *([out] if out != numpy.bool_ else []))


def fuse(eqns: list[Eqn], live_out: Iterable[Var]) -> list[Eqn]:
    """Replace every group of 2+ fusable equations by one ``fused_elementwise`` equation at the
    group root's position."""
    members: dict[int, list[int]] = {}
    for i, root in _roots(eqns, set(live_out)).items():
        members.setdefault(root, []).append(i)
    hidden = {i for root, group in members.items() if len(group) > 1 for i in group if i != root}
    out = []
    for i, eqn in enumerate(eqns):
        if i in hidden:
            continue
        group = members.get(i, ())
        out.append(fused_eqn([eqns[j] for j in sorted(group)]) if len(group) > 1 else eqn)
    return out


def _roots(eqns: list[Eqn], live_out: set[Var]) -> dict[int, int]:
    """For each fusable equation, the index of its group's root. Walking backwards, a producer
    joins the group of its readers when all of them are in one group, its value is not needed
    later, and no equation in between mutates what it reads (it moves to the root's place)."""
    readers: dict[Var, set[int]] = {}
    mutated: dict[Var, list[int]] = {}
    for i, eqn in enumerate(eqns):
        for v in eqn.ins:
            if isinstance(v, Var):
                readers.setdefault(v, set()).add(i)
        for k in eqn.op.mutates:
            if k < len(eqn.ins) and isinstance(eqn.ins[k], Var):
                mutated.setdefault(eqn.ins[k], []).append(i)
    root_of: dict[int, int] = {}
    for i in reversed(range(len(eqns))):
        eqn = eqns[i]
        if not fusable(eqn):
            continue
        out = eqn.outs[0]
        roots = {root_of.get(r) for r in readers.get(out, ())}
        root = roots.pop() if len(roots) == 1 else None
        if root is None or out in live_out or _mutated_between(eqn, i, root, mutated):
            root = i
        root_of[i] = root
    return root_of


def _mutated_between(eqn: Eqn, start: int, stop: int, mutated: dict[Var, list[int]]) -> bool:
    """Whether an equation strictly between ``start`` and ``stop`` mutates an input of ``eqn``."""
    reads = [v for v in eqn.ins if isinstance(v, Var)]
    return any(start < m < stop for v in reads for m in mutated.get(v, ()))


def fused_eqn(group: list[Eqn]) -> Eqn:
    """One ``fused_elementwise`` equation computing the last of ``group``, fusable equations
    in dataflow order whose other outputs are read only inside the group."""
    position = {eqn.outs[0]: j for j, eqn in enumerate(group)}
    inputs: list[Var] = []
    members = []
    for eqn in group:
        args = []
        for v in eqn.ins:
            if isinstance(v, Literal):
                args.append(("c", v.value, repr(v.value)))
            elif v in position:
                args.append(("t", position[v]))
            else:
                if v not in inputs:
                    inputs.append(v)
                args.append(("x", inputs.index(v)))
        members.append(
            Member(
                eqn.op.name,
                tuple(args),
                eqn.outs[0].dtype.name,
                _compute_dtype(eqn).name,
                _attrs(eqn),
            )
        )
    program = FusedProgram(
        tuple(v.dtype.name for v in inputs), tuple(members), _numpy_schedule(group, members, inputs)
    )
    return Eqn(get("fused_elementwise"), tuple(inputs), {"program": program}, group[-1].outs)


def _numpy_schedule(group: list[Eqn], members: list[Member], inputs: list[Var]) -> tuple[bool, ...]:
    """Which members write into the output buffer on NumPy: those shaped like the output, once
    no later member reads an input that buffer may alias (the planner may place the result in
    any same-shaped input's memory) nor the value the buffer held before."""
    root = group[-1].outs[0]
    last_read: dict[tuple, int] = {}
    for j, m in enumerate(members):
        for a in m.args:
            last_read[a[:2]] = j
    aliased = [
        ("x", k) for k, v in enumerate(inputs) if v.shape == root.shape and v.dtype == root.dtype
    ]
    held = None  # the member whose value the output buffer holds
    into = []
    for j, eqn in enumerate(group[:-1]):
        out = eqn.outs[0]
        ok = (
            eqn.op.accepts_out
            and out.shape == root.shape
            and out.dtype == root.dtype
            and all(last_read.get(a, -1) <= j for a in aliased)
            and (held is None or last_read.get(("t", held), -1) <= j)
        )
        if ok:
            held = j
        into.append(ok)
    return (*into, True)
