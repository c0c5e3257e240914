"""Tape records: one Node per recorded op call, one Leaf per variable that wants a gradient.

A node keeps only the inputs and outputs its op's gradient declared it needs (raw arrays, never
NDArray objects, so later in-place rebinding of a user's array cannot corrupt a gradient); the
rest are reduced to shape/dtype stubs. Nodes are ordered by a creation counter, so reverse
creation order is a topological order for backward.
"""
from __future__ import annotations

import itertools
from typing import Any

__all__ = ["Node", "Leaf", "Stub", "next_seq"]

next_seq = itertools.count().__next__


class Stub:
    """Shape and dtype of a value the gradient did not keep."""

    __slots__ = ("shape", "dtype")

    def __init__(self, value: Any) -> None:
        self.shape = value.shape
        self.dtype = value.dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        n = 1
        for s in self.shape:
            n *= s
        return n

    def __repr__(self) -> str:
        return f"<freed value shape={self.shape} dtype={self.dtype}>"


class Node:
    """One recorded op call.

    ins: kept inputs (raw arrays), shape/dtype stubs of the others, or Python scalars.
    outs: kept outputs (raw arrays) or None. Both become None once freed by backward.
    parents: per input, the (node, output index) entry it came from, or None (no gradient).
    cls, ctx: the array class and context used to re-wrap kept values during backward.
    broadcast: an input of a broadcasting op had another shape than the output.
    """

    __slots__ = ("op", "attrs", "ins", "outs", "parents", "needs", "seq", "cls", "ctx",
                 "broadcast")

    def __init__(self, op, attrs, ins, outs, parents, needs, cls, ctx, broadcast=False) -> None:
        self.op = op
        self.attrs = attrs
        self.ins = ins
        self.outs = outs
        self.parents = parents
        self.needs = needs
        self.seq = next_seq()
        self.cls = cls
        self.ctx = ctx
        self.broadcast = broadcast  # some input was stretched: backward must sum it back

    @property
    def num_outputs(self) -> int:
        return self.op.num_outputs

    def __repr__(self) -> str:
        return f"<Node {self.op.name} #{self.seq}>"


class Leaf:
    """A variable's gradient sink: where backward writes (grad_req 'write') or adds ('add')."""

    __slots__ = ("grad", "grad_req", "seq", "fresh")
    num_outputs = 1

    def __init__(self, grad: Any, grad_req: str) -> None:
        self.grad = grad
        self.grad_req = grad_req
        self.seq = next_seq()
        self.fresh = False

    def __repr__(self) -> str:
        return f"<Leaf req={self.grad_req} #{self.seq}>"
