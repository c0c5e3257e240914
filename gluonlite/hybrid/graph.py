"""The graph IR: variables, equations ``outs = op(ins, attrs)`` and a graph of equations.

A Graph is in single-assignment form: each Var is defined once, by being a graph input, a
parameter, a constant, or the output of exactly one equation. Inputs of an equation are Vars or
Literals (Python scalars and None baked in at trace time).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy

from ..errors import MXNetValueError

__all__ = ["Var", "Literal", "Eqn", "Graph"]

_ids = itertools.count()


class Var:
    """A value of the graph, with the concrete shape and dtype seen at trace time, and its
    memory order when that was a permutation of the axes (channels-last activations) so that
    planned buffers keep the layout the ops produce and expect."""

    __slots__ = ("id", "shape", "dtype", "perm")

    def __init__(self, shape: tuple[int, ...], dtype: Any, perm: tuple[int, ...] | None = None
                 ) -> None:
        self.id = next(_ids)
        self.shape = tuple(shape)
        self.dtype = numpy.dtype(dtype)
        self.perm = perm

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def nbytes(self) -> int:
        n = self.dtype.itemsize
        for d in self.shape:
            n *= d
        return n

    def __repr__(self) -> str:
        return f"%{self.id}"


@dataclass(frozen=True)
class Literal:
    """A Python value fixed at trace time (a scalar, None, a dtype)."""

    value: Any

    def __repr__(self) -> str:
        return repr(self.value)


@dataclass(eq=False)
class Eqn:
    """``outs = op(*ins, **attrs)``."""

    op: Any
    ins: tuple
    attrs: dict
    outs: tuple

    def __repr__(self) -> str:
        outs = " ".join(f"{o}:{_type(o)}" for o in self.outs) or "_"
        args = " ".join(repr(i) for i in self.ins)
        shown = {k: v for k, v in self.attrs.items() if k != "ctx"}
        attrs = f"[{', '.join(f'{k}={v!r}' for k, v in shown.items())}]" if shown else ""
        return f"{outs} = {self.op.name}{attrs} {args}"


def dense_permutation(raw: Any) -> tuple[int, ...] | None:
    """The axis order in which ``raw`` is laid out contiguously, when it is a transposed view
    of a C-contiguous block (None for C-contiguous or non-dense arrays)."""
    if raw.ndim < 2 or raw.flags.c_contiguous:
        return None
    order = tuple(sorted(range(raw.ndim), key=lambda a: -raw.strides[a]))
    return order if raw.transpose(order).flags.c_contiguous else None


def _type(v: Var) -> str:
    return f"{v.dtype.name}{list(v.shape)}"


@dataclass(eq=False)
class Graph:
    """inputs (user arrays), params (Parameter arrays), consts (captured values) → outputs."""

    inputs: list[Var]
    params: list[Var]
    consts: dict[Var, Any]
    eqns: list[Eqn]
    outputs: list[Var]
    param_refs: list[Any] = field(default_factory=list)  # the Parameter behind each param var
    regions: list[Any] = field(default_factory=list)  # MXNet operator calls, for export

    def check(self) -> Graph:
        """Raise if a Var is assigned twice or used before it is defined."""
        defined: set[Var] = set()
        for v in [*self.inputs, *self.params, *self.consts]:
            if v in defined:
                raise MXNetValueError(f"graph check: {v} is defined twice")
            defined.add(v)
        for eqn in self.eqns:
            for v in eqn.ins:
                if isinstance(v, Var) and v not in defined:
                    raise MXNetValueError(f"graph check: {v} is used by `{eqn}` before definition")
            for v in eqn.outs:
                if v in defined:
                    raise MXNetValueError(f"graph check: {v} is assigned twice (in `{eqn}`)")
                defined.add(v)
        for v in self.outputs:
            if v not in defined:
                raise MXNetValueError(f"graph check: output {v} is never defined")
        return self

    def memory_plan(self):
        """The memory planner's buffers for this graph's equations (outputs kept)."""
        from .memory import plan_memory

        return plan_memory(self.eqns, self.outputs)

    def __str__(self) -> str:
        ins = " ".join(f"{v}:{_type(v)}" for v in self.inputs)
        params = " ".join(f"{v}:{_type(v)}" for v in self.params)
        consts = " ".join(f"{v}:{_type(v)}" for v in self.consts)
        lines = [f"{{ lambda {ins} ; params {params} ; consts {consts} ."]
        lines += [f"    {eqn}" for eqn in self.eqns]
        lines.append(f"  in ({', '.join(repr(v) for v in self.outputs)}) }}")
        return "\n".join(lines)

    __repr__ = __str__
