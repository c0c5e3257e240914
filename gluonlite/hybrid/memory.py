"""The memory planner: one arena, values placed by liveness, in place where the op allows it.

Every value produced by an op that can write into a given buffer (``accepts_out``) is planned.
Walking the equations in order, a value joins its input's block when the op declares that pair
in-place-safe and the input dies there (views keep their base alive), else it starts a block of
its own. Each block lives from its first value's definition to its last value's last use.
Blocks are then given byte offsets in one arena, largest first, each at the lowest offset free
of every block whose lifetime overlaps its own ("greedy by size", as in TFLite's offset
planner), which lands close to the liveness bound: the most bytes live at any one step.
Forward and backward are planned as one list, so backward reuses what forward freed, and
residuals stay alive exactly until the backward step that reads them last.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import numpy

from .graph import Eqn, Var

__all__ = ["MemoryPlan", "plan_memory", "view_roots"]

_FOREVER = 1 << 60
_ALIGN = 64  # every block starts on a cache line (and is aligned for every dtype)


@dataclass
class MemoryPlan:
    offset_of: dict[Var, int]  # value → byte offset in the arena
    arena_bytes: int  # the arena's size: the planned bytes
    last_use: dict[Var, int]  # value → index of the last equation that reads it
    naive_bytes: int  # every intermediate in its own buffer
    bound_bytes: int  # the liveness bound: most block bytes live at one step
    blocks: int = 0  # values sharing memory in place count as one block
    inplace: int = 0  # values that took their input's memory
    freed_at: dict[int, list[Var]] = field(default_factory=dict)  # step → values dead after it

    @property
    def planned_bytes(self) -> int:
        return self.arena_bytes

    def report(self) -> str:
        mb = 1 << 20
        return (f"memory reduced from {self.naive_bytes / mb:.2f} MB to "
                f"{self.arena_bytes / mb:.2f} MB ({len(self.offset_of)} values in "
                f"{self.blocks} blocks, {self.inplace} in place; liveness bound "
                f"{self.bound_bytes / mb:.2f} MB)")


@dataclass
class _Block:
    start: int
    end: int
    size: int
    offset: int = 0


def plan_memory(eqns: list[Eqn], keep: Iterable[Var], hold: Iterable[Var] = ()) -> MemoryPlan:
    """Plan arena offsets for ``eqns``. Values in ``keep`` (outputs handed to the caller) live
    to the end and never take arena memory; values in ``hold`` (gradients read right after the
    run) live to the end in the arena."""
    keep = set(keep)
    last: dict[Var, int] = {}
    for i, eqn in enumerate(eqns):
        for v in eqn.ins:
            if isinstance(v, Var):
                last[v] = i
    root = view_roots(eqns)
    keep |= {root[v] for v in keep if v in root}  # a returned view pins its base
    for v in (*keep, *hold):
        last[v] = _FOREVER
    root_last: dict[Var, int] = {}
    for v, i in last.items():
        r = root.get(v, v)
        root_last[r] = max(root_last.get(r, -1), i)

    block_of: dict[Var, _Block] = {}
    blocks: list[_Block] = []
    naive = inplace = 0
    for i, eqn in enumerate(eqns):
        if not eqn.op.accepts_out or eqn.op.view:
            continue
        for k, out in enumerate(eqn.outs):
            if out in keep or out.nbytes == 0:
                continue
            naive += out.nbytes
            block = _inplace_block(eqn, i, out, block_of, root, root_last) if k == 0 else None
            if block is None:
                block = _Block(i, i, out.nbytes)
                blocks.append(block)
            else:
                inplace += 1
            block_of[out] = block
            block.end = max(block.end, min(root_last.get(out, i), len(eqns)))
    arena = _place(blocks)
    freed_at: dict[int, list[Var]] = {}
    for v, i in last.items():
        if i != _FOREVER:
            freed_at.setdefault(i, []).append(v)
    return MemoryPlan({v: b.offset for v, b in block_of.items()}, arena, last, naive,
                      _bound(blocks), len(blocks), inplace, freed_at)


def view_roots(eqns: list[Eqn]) -> dict[Var, Var]:
    """Each view's memory owner: the non-view value at the bottom of its chain of views."""
    root: dict[Var, Var] = {}
    for eqn in eqns:
        if eqn.op.view and eqn.ins and isinstance(eqn.ins[0], Var):
            base = eqn.ins[0]
            for o in eqn.outs:
                root[o] = root.get(base, base)
    return root


def _inplace_block(eqn: Eqn, i: int, out: Var, block_of, root, root_last) -> _Block | None:
    """The block of an input that dies at this step and may be overwritten by the output."""
    for in_idx, out_idx in eqn.op.inplace:
        if out_idx != 0 or in_idx >= len(eqn.ins):
            continue
        v = eqn.ins[in_idx]
        if not isinstance(v, Var) or v in root or v not in block_of:
            continue
        if root_last.get(v) != i or v.shape != out.shape or v.dtype != out.dtype:
            continue
        if v.perm != out.perm:  # same bytes, another memory order: not in place
            continue
        return block_of[v]
    return None


def _place(blocks: list[_Block]) -> int:
    """Give each block the lowest aligned offset that no lifetime-overlapping block occupies,
    in two orders — largest first ("greedy by size"), and blocks of the busiest steps first,
    largest first within a step ("greedy by breadth") — keeping the smaller arena; returns its
    size."""
    by_size = _place_in_order(sorted(blocks, key=lambda b: (-b.size, b.start)))
    offsets = [b.offset for b in blocks]
    by_breadth = _place_in_order(_by_breadth(blocks))
    if by_breadth <= by_size:
        return by_breadth
    for block, offset in zip(blocks, offsets):
        block.offset = offset
    return by_size


def _by_breadth(blocks: list[_Block]) -> list[_Block]:
    """Blocks ordered by the busiest step (most bytes live) they are alive in, then by size."""
    if not blocks:
        return []
    steps = numpy.unique([b.start for b in blocks] + [b.end for b in blocks])
    delta = numpy.zeros(len(steps) + 1, dtype=numpy.int64)
    for b in blocks:
        delta[numpy.searchsorted(steps, b.start)] += b.size
        delta[numpy.searchsorted(steps, b.end) + 1] -= b.size
    breadth = numpy.cumsum(delta[:-1])
    rank = numpy.empty(len(steps), dtype=numpy.int64)
    rank[numpy.argsort(-breadth, kind="stable")] = numpy.arange(len(steps))
    first = numpy.searchsorted(steps, [b.start for b in blocks])
    last = numpy.searchsorted(steps, [b.end for b in blocks])
    busiest = [int(rank[i:j + 1].min()) for i, j in zip(first, last)]
    order = sorted(range(len(blocks)), key=lambda k: (busiest[k], -blocks[k].size))
    return [blocks[k] for k in order]


def _place_in_order(blocks: list[_Block]) -> int:
    """Place ``blocks`` one by one at the lowest aligned offset free of every
    lifetime-overlapping block placed before; returns the arena size."""
    placed: list[_Block] = []
    arena = 0
    for block in blocks:
        taken = sorted((b for b in placed if b.start <= block.end and block.start <= b.end),
                       key=lambda b: b.offset)
        offset = 0
        for b in taken:
            if offset + block.size <= b.offset:
                break
            offset = max(offset, _aligned(b.offset + b.size))
        block.offset = offset
        placed.append(block)
        arena = max(arena, offset + block.size)
    return arena


def _aligned(n: int) -> int:
    return -(-n // _ALIGN) * _ALIGN


def _bound(blocks: list[_Block]) -> int:
    """The most bytes of blocks alive at any one step."""
    delta: dict[int, int] = {}
    for b in blocks:
        delta[b.start] = delta.get(b.start, 0) + b.size
        delta[b.end + 1] = delta.get(b.end + 1, 0) - b.size
    live = peak = 0
    for step in sorted(delta):
        live += delta[step]
        peak = max(peak, live)
    return peak
