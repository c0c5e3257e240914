"""The tracer: run a function once on real arrays while recording every registry op call as
an equation. Tracing executes real values, so shapes are concrete and Python code that reads
shapes or branches on them just works; only turning a traced *value* into a Python bool,
number or NumPy array is refused, because that would bake one data-dependent branch into the
graph.
"""
from __future__ import annotations

from typing import Any, Callable

from .. import errors
from ..ndarray import dispatch
from ..ndarray.dispatch import ArrayBase
from .graph import Eqn, Graph, Literal, Var, dense_permutation

__all__ = ["Tracer", "tracing", "is_tracing"]

_CONTROL_FLOW_HELP = (
    "A hybridized block is traced once per input signature and then replayed, so Python "
    "control flow that depends on array *values* cannot be captured (the branch taken while "
    "tracing would be baked into the graph). Instead: express the choice with array operations "
    "(F.where(cond, a, b), masks, F.maximum ...); or compute the value outside the hybridized "
    "block and pass it in; or call net.hybridize(False) to run this block eagerly. Shapes "
    "(x.shape, x.dtype, x.context) are fine to use: they are fixed per signature."
)


class Region:
    """A call of an MXNet-named operator (``FullyConnected``...) spanning equations
    ``[start, stop)``: export writes it as one MXNet node."""

    __slots__ = ("name", "attrs", "ins", "outs", "start", "stop")

    def __init__(self, name: str, attrs: dict, ins: list, start: int) -> None:
        self.name, self.attrs, self.ins, self.start = name, attrs, ins, start
        self.outs: list[Var] = []
        self.stop = start

    def __repr__(self) -> str:
        return f"<Region {self.name} eqns[{self.start}:{self.stop}]>"


class Tracer:
    """Collects equations; maps each raw array (by identity) to the Var it holds."""

    def __init__(self) -> None:
        self.var_of: dict[int, Var] = {}
        self.values: dict[Var, Any] = {}
        self.eqns: list[Eqn] = []
        self.consts: dict[Var, Any] = {}
        self.regions: list[Region] = []
        self._depth = 0

    # ---- operator regions (for export) -------------------------------------------------------
    def enter_region(self, name: str, inputs: list, attrs: dict) -> Region | None:
        """Open a region for an MXNet operator call; nested calls belong to the outer one."""
        self._depth += 1
        if self._depth > 1:
            return None
        ins = [self.lookup(a._data) if isinstance(a, ArrayBase) else None for a in inputs]
        return Region(name, attrs, ins, len(self.eqns))

    def exit_region(self, region: Region | None, outputs: Any) -> None:
        self._depth -= 1
        if region is None:
            return
        outs = outputs if isinstance(outputs, (list, tuple)) else (outputs,)
        region.outs = [self.lookup(o._data) for o in outs if isinstance(o, ArrayBase)]
        region.stop = len(self.eqns)
        self.regions.append(region)

    # ---- variables --------------------------------------------------------------------------
    def bind(self, raw: Any) -> Var:
        """A fresh Var for a raw array (a graph input, a parameter, an op output)."""
        var = Var(raw.shape, raw.dtype, dense_permutation(raw))
        self.var_of[id(raw)] = var
        self.values[var] = raw  # keeps the array alive, so ids stay unique during the trace
        return var

    def lookup(self, raw: Any) -> Var:
        """The Var holding ``raw``; an array never seen before is captured as a constant."""
        var = self.var_of.get(id(raw))
        if var is None:
            var = self.bind(raw)
            self.consts[var] = raw
        return var

    def is_traced(self, raw: Any) -> bool:
        var = self.var_of.get(id(raw))
        return var is not None and var not in self.consts

    # ---- the dispatch hook ------------------------------------------------------------------
    def __call__(self, op: Any, args: tuple, attrs: dict, outputs: tuple) -> None:
        ins = tuple(
            self.lookup(a._data) if isinstance(a, ArrayBase) else Literal(a) for a in args
        )
        outs = tuple(self.bind(o._data) for o in outputs)
        self.eqns.append(Eqn(op, ins, dict(attrs), outs))

    def guard(self, array: ArrayBase, what: str) -> None:
        """Refuse ``bool(x)``/``float(x)``/``x.asnumpy()``... on a traced value."""
        if self.is_traced(array._data):
            raise errors.TracerConversionError(
                f"hybridize: {what} was called on a value computed inside a hybridized block "
                f"(at {errors.user_frame()}). {_CONTROL_FLOW_HELP}"
            )

    def graph(self, inputs: list[Var], params: list[Var], outputs: list[Var],
              param_refs: list[Any]) -> Graph:
        graph = Graph(inputs, params, dict(self.consts), list(self.eqns), outputs, param_refs)
        graph.regions = list(self.regions)
        return graph


class tracing:
    """``with tracing(tracer):`` routes every op call through ``tracer`` (not re-entrant)."""

    def __init__(self, tracer: Tracer) -> None:
        self.tracer = tracer

    def __enter__(self) -> Tracer:
        if dispatch.trace_hook is not None:
            raise errors.MXNetRuntimeError("a trace is already active")
        dispatch.trace_hook = self.tracer
        return self.tracer

    def __exit__(self, *exc: Any) -> None:
        dispatch.trace_hook = None


def is_tracing() -> bool:
    return dispatch.trace_hook is not None


def trace_function(fn: Callable[..., Any], *args: Any) -> tuple[Tracer, Any]:
    """Run ``fn(*args)`` under a fresh tracer; returns the tracer and fn's result."""
    tracer = Tracer()
    with tracing(tracer):
        out = fn(*args)
    return tracer, out
