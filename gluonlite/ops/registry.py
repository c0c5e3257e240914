"""The operator registry: one record per primitive, the single source of truth for every op.

Eager dispatch, the autograd tape, the hybridize tracer, graph autodiff, the memory planner and
the tests all read these records. A record says how to compute the op on an array module ``xp``
(NumPy or CuPy), how to differentiate it in terms of other registered ops, and what the
gradient needs kept alive. Composite functions (softmax, norms, MXNet's CamelCase operators)
are written with registered ops and have no record of their own.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

__all__ = ["Op", "register", "get", "all_ops", "P", "set_dispatcher"]

GradRule = Callable[..., Any]  # rule(g, ins, outs, **attrs) -> cotangent for one input


def _not_ready(op: "Op", args: tuple, attrs: dict):
    raise RuntimeError("gluonlite.ndarray has not installed the op dispatcher yet")


_dispatch: Callable[["Op", tuple, dict], Any] = _not_ready


def set_dispatcher(fn: Callable[["Op", tuple, dict], Any]) -> None:
    """Install the function that runs an op on user values (done once, by ``gluonlite.ndarray``)."""
    global _dispatch
    _dispatch = fn


@dataclass(eq=False)
class Op:
    """One primitive operator.

    forward(xp, *inputs, **attrs) -> array or tuple of arrays: pure array code, knows nothing of
        NDArray, tape or tracer. Inputs are xp arrays or Python scalars. With ``accepts_out`` it
        also takes ``out=`` and writes into that buffer.
    vjp(g, ins, outs, needs, **attrs) -> one cotangent (or None) per input (a sequence): written with
        registered ops (``P.<name>``), so gradients are themselves differentiable. ``g`` is the
        output cotangent (a tuple for multi-output ops, None where no gradient flows); ``ins``
        and ``outs`` hold the values kept for backward (see ``save_ins``/``save_outs``; the rest
        arrive as shape/dtype stubs); ``needs[i]`` says whether input i wants a gradient.
    save_ins / save_outs: indices of the inputs and outputs the vjp reads; only these are kept.
    nondiff: input indices that never get gradients (indices, masks).
    broadcasting: inputs broadcast against each other; the engine sums cotangents back to each
        input's shape with one shared helper, so rules never do.
    inplace: (input, output) index pairs that may share one buffer.
    random: the op draws from the global generator (never folded, never deduplicated).
    view: the output may share memory with input 0 (reshape, transpose...): the memory planner
        keeps that input's buffer alive as long as the output.
    mutates: input indices the op writes in place (running statistics); such calls are side
        effects that graph passes keep and never reorder.
    elementwise: for a per-element op (output = broadcast of the inputs, one value each), its
        C expression over ``in0, in1, ...`` of type ``T``; the GPU fusion pass joins chains of
        such ops into one kernel, and graph rematerialisation treats them as cheap to recompute.
    remat: remat(ins, outs, k, **attrs) -> output k recomputed with registered ops from all
        inputs and the outputs the vjp keeps (``save_outs``; the others arrive as None), for
        multi-output ops whose output is cheaper to recompute in backward than to keep
        (batch_norm's y from x and its statistics); elementwise ops need none (they re-run).
    """

    name: str
    forward: Callable[..., Any]
    vjp: Callable[..., tuple] | None = None
    save_ins: tuple[int, ...] = ()
    save_outs: tuple[int, ...] = ()
    nondiff: tuple[int, ...] = ()
    num_outputs: int = 1
    broadcasting: bool = False
    inplace: tuple[tuple[int, int], ...] = ()
    accepts_out: bool = False
    random: bool = False
    view: bool = False
    mutates: tuple[int, ...] = ()
    elementwise: str = ""
    remat: Callable[..., Any] | None = None
    doc: str = ""
    module: str = field(default="", repr=False)

    def __call__(self, *args, **attrs):
        """Run the op on NDArrays (or tracer values) through the installed dispatcher."""
        return _dispatch(self, args, attrs)

    def __repr__(self) -> str:
        return f"<Op {self.name}>"


_REGISTRY: dict[str, Op] = {}


def _per_input(rules: tuple[GradRule | None, ...]) -> Callable[..., tuple]:
    """Turn a table of per-input gradient rules into one vjp that calls only the needed rules."""

    def vjp(g, ins, outs, needs, **attrs):
        return [
            rule(g, ins, outs, **attrs) if need and rule is not None else None
            for rule, need in zip(rules, needs)
        ]

    return vjp


def register(
    name: str,
    forward: Callable[..., Any],
    *,
    grads: tuple[GradRule | None, ...] | None = None,
    vjp: Callable[..., tuple] | None = None,
    **fields: Any,
) -> Op:
    """Add a primitive. Give either ``grads`` (one rule per input, None for non-differentiable)
    or a joint ``vjp``; give neither for an op without gradient (comparisons, argmax, random)."""
    if name in _REGISTRY:
        raise ValueError(f"operator {name!r} is registered twice")
    if grads is not None and vjp is not None:
        raise ValueError(f"operator {name!r}: give grads or vjp, not both")
    if grads is not None:
        vjp = _per_input(tuple(grads))
        fields.setdefault("nondiff", tuple(i for i, r in enumerate(grads) if r is None))
    op = Op(name, forward, vjp, doc=fields.pop("doc", forward.__doc__ or ""), **fields)
    op.module = forward.__module__
    _REGISTRY[name] = op
    return op


def defop(name: str | None = None, **fields: Any) -> Callable[[Callable], Op]:
    """Decorator form of :func:`register`: the decorated function is the forward."""

    def wrap(forward: Callable) -> Op:
        return register(name or forward.__name__.rstrip("_"), forward, **fields)

    return wrap


def get(name: str) -> Op:
    """The registered op called ``name``."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"no operator named {name!r} is registered") from None


def all_ops() -> Iterator[Op]:
    """Every registered op, in registration order."""
    return iter(list(_REGISTRY.values()))


class _OpNamespace:
    """``P.exp(x)``: registered ops by name, looked up at call time (rules may name ops defined
    later in other modules)."""

    def __getattr__(self, name: str) -> Op:
        return get(name)


P = _OpNamespace()
