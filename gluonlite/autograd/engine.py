"""Reverse-mode backward over the tape.

Nodes reachable from the heads are visited in reverse creation order (a topological order);
each node's op vjp turns output cotangents into input cotangents, broadcasting is undone by
the one shared ``sum_to`` helper, and contributions meeting at one value are added. With
``create_graph`` the vjps run under recording, so the gradients are differentiable again.
"""
from __future__ import annotations

from typing import Any, Sequence

from ..errors import MXNetRuntimeError, MXNetValueError
from ..ops.registry import P
from ..ops.shape_utils import sum_to
from .state import STATE
from .tape import Leaf, Node, Stub

__all__ = ["run_backward"]

_FREED = (
    "the graph behind this array was freed by an earlier backward; pass retain_graph=True to "
    "the first backward (or autograd.grad) to differentiate through it again"
)


def _collect(roots: list) -> list:
    """Every node and leaf reachable from ``roots``, in reverse creation order."""
    seen = set()
    stack = list(roots)
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if isinstance(node, Node):
            for p in node.parents:
                if p is not None and p[0] not in seen:
                    stack.append(p[0])
    return sorted(seen, key=lambda n: n.seq, reverse=True)


def _accumulate(grads: dict, node, idx: int, value) -> None:
    slots = grads.get(node)
    if slots is None:
        slots = grads[node] = [None] * node.num_outputs
    old = slots[idx]
    slots[idx] = value if old is None else P.add(old, value)


def _rewrap(node: Node, values: tuple, entries) -> tuple:
    """Kept raw values as arrays again, linked to their tape entries (for higher order)."""
    cls, ctx = node.cls, node.ctx
    out = []
    for i, v in enumerate(values):
        if isinstance(v, ctx.xp.ndarray):
            out.append(cls._wrap(v, ctx, entries[i]))
        else:  # a stub or a Python scalar
            out.append(v)
    return tuple(out)


def _run_node(node: Node, slots: list, retain_graph: bool) -> tuple:
    if node.ins is None:
        raise MXNetRuntimeError(_FREED)
    op = node.op
    ins = _rewrap(node, node.ins, node.parents)
    outs = _rewrap(node, node.outs, [(node, j) for j in range(op.num_outputs)])
    g = slots[0] if op.num_outputs == 1 else tuple(slots)
    cots = op.vjp(g, ins, outs, node.needs, **node.attrs)
    if not retain_graph:
        node.ins = node.outs = None
    if op.broadcasting:
        cots = tuple(
            sum_to(c, node_in.shape) if c is not None and c.shape != node_in.shape else c
            for c, node_in in zip(cots, ins)
        )
    return cots


def run_backward(
    heads: Sequence[Any],
    head_grads: Sequence[Any] | None,
    retain_graph: bool = False,
    create_graph: bool = False,
    variables: Sequence[Any] | None = None,
) -> list | None:
    """Backpropagate from ``heads``. Without ``variables``, write gradients into the leaves
    (honouring each leaf's grad_req) and return None; with ``variables``, return their
    gradients and leave every ``.grad`` untouched (``autograd.grad``)."""
    if head_grads is None:
        head_grads = [None] * len(heads)
    if len(head_grads) != len(heads):
        raise MXNetValueError(f"got {len(heads)} heads but {len(head_grads)} head gradients")
    grads: dict = {}
    for h, hg in zip(heads, head_grads):
        if h._entry is None:
            raise MXNetRuntimeError(
                "cannot differentiate: this array was not computed under autograd.record() from "
                "arrays that called attach_grad() (or it was computed under autograd.pause())"
            )
        if hg is None:
            hg = type(h)._wrap(h._ctx.xp.ones_like(h._data), h._ctx)
        elif hg.shape != h.shape:
            raise MXNetValueError(f"head gradient shape {hg.shape} != head shape {h.shape}")
        _accumulate(grads, h._entry[0], h._entry[1], hg)

    targets = {}
    if variables is not None:
        for i, v in enumerate(variables):
            if v._entry is None:
                raise MXNetValueError(
                    f"variable {i} has no gradient path: call attach_grad() on it before "
                    "autograd.record()"
                )
            targets.setdefault(v._entry, []).append(i)
    found: list = [None] * (len(variables) if variables is not None else 0)

    order = _collect([node for node in grads])
    saved_recording = STATE.recording
    STATE.recording = create_graph
    try:
        for node in order:
            slots = grads.pop(node, None)
            if slots is None:
                continue
            for (tnode, tidx), where in targets.items():
                if tnode is node and slots[tidx] is not None:
                    for i in where:
                        found[i] = slots[tidx]
            if isinstance(node, Leaf):
                if variables is None:
                    _commit(node, slots[0], create_graph)
                continue
            cots = _run_node(node, slots, retain_graph)
            for parent, c in zip(node.parents, cots):
                if parent is not None and c is not None:
                    _accumulate(grads, parent[0], parent[1], c)
    finally:
        STATE.recording = saved_recording
    if variables is None:
        return None
    for i, v in enumerate(variables):
        if found[i] is None:  # unreachable from the heads: a zero gradient, as MXNet gives
            found[i] = type(v)._wrap(v._ctx.xp.zeros_like(v._data), v._ctx)
    return found


def _commit(leaf: Leaf, g, create_graph: bool) -> None:
    """Store ``g`` in a leaf's gradient buffer according to its grad_req."""
    buf = leaf.grad
    if g.shape != buf.shape:
        g = sum_to(g, buf.shape)
    if create_graph:
        if leaf.grad_req == "add":
            g = P.add(type(buf)._wrap(buf._data, buf._ctx), g)
        buf._data, buf._entry = g._data, g._entry
    elif leaf.grad_req == "add":
        buf._data += g._data
    else:
        buf._ctx.xp.copyto(buf._data, g._data, casting="unsafe")
    leaf.fresh = True
