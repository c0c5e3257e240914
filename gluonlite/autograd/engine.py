"""Reverse-mode backward over the tape.

Nodes reachable from the heads are visited in reverse creation order (a topological order),
popped from a heap keyed by creation number, so a node runs only after every consumer has;
each node's op vjp turns output cotangents into input cotangents, broadcasting is undone by
the one shared ``sum_to`` helper, and contributions meeting at one value are added. Leaves
never enter the heap: they have nothing to propagate, so each is committed once every node
has run. With ``create_graph`` the vjps run under recording, so the gradients are
differentiable again.
"""
from __future__ import annotations

from collections.abc import Sequence
from heapq import heappop, heappush
from typing import Any

import numpy

from ..errors import MXNetRuntimeError, MXNetValueError
from ..ops.registry import P
from ..ops.shape_utils import sum_to
from .state import STATE
from .tape import Leaf, Node

__all__ = ["run_backward"]

_FREED = (
    "the graph behind this array was freed by an earlier backward; pass retain_graph=True to "
    "the first backward (or autograd.grad) to differentiate through it again"
)


def _accumulate(grads: dict, heap: list, node, idx: int, value) -> None:
    """Add a cotangent for output ``idx`` of ``node``; first contact queues a node (not a
    leaf)."""
    slots = grads.get(node)
    if slots is None:
        slots = grads[node] = [None] * node.num_outputs
        slots[idx] = value
        if node.__class__ is not Leaf:
            heappush(heap, (-node.seq, node))
        return
    old = slots[idx]
    slots[idx] = value if old is None else P.add(old, value)


_ONES: dict = {}
# per backward pass running now: its cotangent table, or None when it returns gradients
# (autograd.grad) instead of writing them into the leaves
_IN_FLIGHT: list[dict | None] = []


def writes_leaf(leaf: Any) -> bool:
    """Whether a vjp may compute the running backward's gradient for ``leaf`` straight into
    the leaf's buffer (as hybridized calls do): the backward writes leaves' gradients (not
    ``autograd.grad``), and holds no cotangent for this leaf yet (an earlier direct write into
    the buffer may be that cotangent)."""
    if not _IN_FLIGHT:
        return True
    grads = _IN_FLIGHT[-1]
    return grads is not None and leaf not in grads


def _ones(xp: Any, shape: tuple, dtype: Any, create_graph: bool) -> Any:
    """The default head gradient. On NumPy a cached read-only array: backward only reads it
    (leaves copy it), and a write would fail loudly rather than corrupt the cache."""
    if xp is not numpy or create_graph:
        return xp.ones(shape, dtype)
    key = (shape, dtype)
    ones = _ONES.get(key)
    if ones is None:
        if len(_ONES) > 256:
            _ONES.clear()
        ones = _ONES[key] = numpy.ones(shape, dtype)
        ones.flags.writeable = False
    return ones


def _rewrap(values: tuple, entries, cls, ctx) -> tuple:
    """Kept raw values as arrays again, linked to their tape entries (so that with create_graph
    the gradient's own ops connect to the original graph); stubs and scalars pass through."""
    array_type = ctx.xp.ndarray
    return [cls._wrap(v, ctx, e) if isinstance(v, array_type) else v
            for v, e in zip(values, entries)]


def _run_node(node: Node, slots: list, retain_graph: bool):
    """Input cotangents of one node from its output cotangents."""
    ins = node.ins
    if ins is None:
        raise MXNetRuntimeError(_FREED)
    op = node.op
    cls, ctx = node.cls, node.ctx
    if op.save_ins:
        ins = _rewrap(ins, node.parents, cls, ctx)
    outs = node.outs
    if op.save_outs:
        outs = _rewrap(outs, [(node, j) for j in range(len(outs))], cls, ctx)
    g = slots[0] if len(slots) == 1 else tuple(slots)
    cots = op.vjp(g, ins, outs, node.needs, **node.attrs)
    if not retain_graph:
        node.ins = node.outs = None
    if node.broadcast:
        cots = [
            sum_to(c, x.shape) if c is not None and c.shape != x.shape else c
            for c, x in zip(cots, ins)
        ]
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
    heap: list = []
    for h, hg in zip(heads, head_grads):
        if h._entry is None:
            raise MXNetRuntimeError(
                "cannot differentiate: this array was not computed under autograd.record() from "
                "arrays that called attach_grad() (or it was computed under autograd.pause())"
            )
        if hg is None:
            hg = type(h)._wrap(_ones(h._ctx.xp, h._data.shape, h._data.dtype, create_graph),
                               h._ctx)
        elif hg.shape != h.shape:
            raise MXNetValueError(f"head gradient shape {hg.shape} != head shape {h.shape}")
        _accumulate(grads, heap, h._entry[0], h._entry[1], hg)

    targets: dict = {}
    found: list = []
    if variables is not None:
        found = [None] * len(variables)
        for i, v in enumerate(variables):
            if v._entry is None:
                raise MXNetValueError(
                    f"variable {i} has no gradient path: call attach_grad() on it before "
                    "autograd.record()"
                )
            targets.setdefault(v._entry, []).append(i)

    # raws a leaf must not adopt as its gradient buffer: the caller's head gradients, and
    # (added as they are adopted) raws another leaf already took
    owners = {id(hg._data) for hg in head_grads if hg is not None}
    saved_recording, saved_retain = STATE.recording, STATE.retain_graph
    STATE.recording, STATE.retain_graph = create_graph, retain_graph
    _IN_FLIGHT.append(grads if variables is None else None)
    try:
        while heap:
            node = heappop(heap)[1]
            slots = grads.pop(node)
            if targets:
                _capture(targets, node, slots, found)
            cots = _run_node(node, slots, retain_graph)
            for parent, c in zip(node.parents, cots):
                if parent is not None and c is not None:
                    _accumulate(grads, heap, parent[0], parent[1], c)
        for leaf, slots in grads.items():  # only leaves are left, with complete gradients
            if targets:
                _capture(targets, leaf, slots, found)
            if variables is None:
                _commit(leaf, slots[0], create_graph, owners)
    finally:
        _IN_FLIGHT.pop()
        STATE.recording, STATE.retain_graph = saved_recording, saved_retain
    if variables is None:
        return None
    for i, v in enumerate(variables):
        if found[i] is None:  # unreachable from the heads: a zero gradient, as MXNet gives
            found[i] = type(v)._wrap(v._ctx.xp.zeros_like(v._data), v._ctx)
    return found


def _capture(targets: dict, node, slots: list, found: list) -> None:
    """Copy out the cotangents of the requested variables (autograd.grad) as they complete."""
    for (tnode, tidx), where in targets.items():
        if tnode is node and slots[tidx] is not None:
            for i in where:
                found[i] = slots[tidx]


def _is_buffer(a: Any, buf: Any) -> bool:
    """``a`` is ``buf`` or a same-layout view of all of it."""
    return a is buf or (a.base is buf and a.shape == buf.shape and a.strides == buf.strides)


def _adoptable(raw: Any, buf: Any, owners: set[int]) -> bool:
    """A cotangent array backward may keep as the gradient buffer instead of copying it (as
    PyTorch steals an unshared gradient): it owns its memory, matches the buffer, and neither
    the caller nor another leaf holds it. Gradient rules build cotangents with ops, which return
    new arrays or views (views do not own memory), so such an array is referenced by nothing
    outside this backward."""
    return (raw.base is None and raw.dtype == buf.dtype and raw.shape == buf.shape
            and raw.flags.c_contiguous and getattr(raw.flags, "writeable", True)
            and type(raw) is type(buf) and id(raw) not in owners)


def _commit(leaf: Leaf, g, create_graph: bool, owners: set[int]) -> None:
    """Store ``g`` in a leaf's gradient buffer according to its grad_req."""
    buf = leaf.grad
    if g._data.shape != buf._data.shape:
        g = sum_to(g, buf.shape)
    if create_graph:
        if leaf.grad_req == "add":
            g = P.add(type(buf)._wrap(buf._data, buf._ctx), g)
        buf._data, buf._entry = g._data, g._entry
    elif leaf.grad_req == "add":
        buf._data += g._data
    elif _is_buffer(g._data, buf._data):  # a hybridized call wrote it there already
        pass
    elif _adoptable(g._data, buf._data, owners):
        buf._data = g._data
        owners.add(id(g._data))
    else:
        buf._data[...] = g._data
    leaf.fresh = True
