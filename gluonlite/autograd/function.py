"""Custom differentiable functions: subclass ``Function`` and write ``forward`` and ``backward``."""
from __future__ import annotations

from typing import Any

from ..ops.registry import Op
from .state import STATE
from .tape import Node

__all__ = ["Function"]


def _custom_vjp(g, ins, outs, needs, function):
    grads = function.backward(*(g if isinstance(g, tuple) else (g,)))
    grads = grads if isinstance(grads, (list, tuple)) else (grads,)
    return tuple(grads)


def _not_replayable(xp, *args, **attrs):
    raise RuntimeError("a custom autograd.Function cannot be re-run from the graph")


class Function:
    """A user-defined op (MXNet's ``autograd.Function``).

    ``forward(*inputs)`` computes outputs from arrays (it is not recorded); ``backward(*grads)``
    returns one gradient per input. ``save_for_backward`` keeps arrays for ``backward``.
    """

    _op: Op | None = None

    def __init__(self) -> None:
        self.saved_tensors: tuple = ()

    def save_for_backward(self, *args: Any) -> None:
        self.saved_tensors = args

    def forward(self, *inputs: Any) -> Any:
        raise NotImplementedError

    def backward(self, *output_grads: Any) -> Any:
        raise NotImplementedError

    @classmethod
    def _get_op(cls) -> Op:
        if cls.__dict__.get("_op") is None:
            cls._op = Op(cls.__name__, _not_replayable, _custom_vjp)
        return cls._op

    def __call__(self, *inputs: Any) -> Any:
        recording = STATE.recording
        STATE.recording = False
        try:
            outputs = self.forward(*inputs)
        finally:
            STATE.recording = recording
        many = isinstance(outputs, (list, tuple))
        outs = tuple(outputs) if many else (outputs,)
        parents = tuple(getattr(a, "_entry", None) for a in inputs)
        if recording and any(p is not None for p in parents):
            op = self._get_op()
            op.num_outputs = len(outs)
            first = outs[0]
            needs = tuple(p is not None for p in parents)
            node = Node(op, {"function": self}, (), (), parents, needs, type(first), first._ctx)
            for j, o in enumerate(outs):
                o._entry = (node, j)
        return outputs
