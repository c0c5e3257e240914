"""Hybridized calls: trace once per signature, then replay planned programs.

A signature is the argument structure, every input's shape and dtype, the context, and the
training/recording modes. The first call of a signature runs the block eagerly under the
tracer (so it behaves exactly like eager mode, tape included) and keeps the graph. Later calls
replay a compiled program: forward only outside ``record()``; under ``record()`` the forward
half of a joint forward+backward program, registering one tape node whose vjp runs the
backward half on the residuals the forward left in the arena.
"""
from __future__ import annotations

import warnings
from typing import Any

from .. import errors
from ..autograd.engine import writes_leaf
from ..autograd.state import STATE
from ..autograd.tape import Node, Stub
from ..context import current_context
from ..ndarray.dispatch import ArrayBase
from ..ops.registry import Op
from . import check
from .autodiff import build_backward
from .fusion import fuse_elementwise, fuse_training
from .graph import Graph, Var
from .passes import optimize, substitute
from .program import Program
from .pytree import _ARRAY, flatten, unflatten
from .schedule import schedule_backward
from .tracer import Tracer, is_tracing, tracing

__all__ = ["HybridState", "call", "trace"]

_RETRACE_WARNING_AT = 8


class _Entry:
    """One signature of one block: its graph and the programs compiled from it."""

    def __init__(self, name: str, graph: Graph, params: list, out_structure: Any, cls: type,
                 ctx: Any, flags: dict) -> None:
        self.name = name
        self.graph = graph
        self.params = params  # Parameters, aligned with graph.params
        self.out_structure = out_structure
        self.cls, self.ctx = cls, ctx
        self.static_alloc = bool(flags.get("static_alloc"))
        self.remat = bool(flags.get("remat", True))
        self.infer: Program | None = None
        self.train: Program | None = None
        self.split = 0
        self.seeds: list[Var | None] = []
        self.grads: list[Var | None] = []
        self.outputs: list[Var] = graph.outputs
        self.train_outputs: list[Var] = graph.outputs
        self.op: Op | None = None
        self.infer_feed: _Feed | None = None
        self.train_feed: _Feed | None = None
        self.grad_views: dict[int, tuple] = {}  # slot -> (gradient buffer, its view there)

    def build_inference(self) -> Program:
        g = self.graph
        consts = dict(g.consts)
        eqns, replace = optimize(g.eqns, consts, g.outputs, self.ctx.xp)
        self.outputs = substitute(g.outputs, replace)
        eqns = fuse_elementwise(eqns, [v for v in self.outputs if v is not None], self.ctx.xp)
        self.infer = Program(eqns, [*g.inputs, *g.params], consts, self.outputs, self.ctx.xp,
                             self.static_alloc)
        return self.infer

    def build_training(self, values: dict[Var, Any], wants: tuple[bool, ...]) -> Program:
        g = self.graph
        wrt = [v for v, want in zip(g.inputs, wants) if want and v.dtype.kind == "f"]
        wrt += [v for v, p in zip(g.params, self.params) if p.grad_req != "null"]
        self.wrt = wrt
        bwd = build_backward(g, values, wrt, self.cls, self.ctx, self.remat)
        consts = {**g.consts, **bwd.consts}
        backward_outs = {o for e in bwd.eqns for o in e.outs}
        roots = [*g.outputs, *(v for v in bwd.grads if v is not None)]
        eqns, replace = optimize(g.eqns + bwd.eqns, consts, roots, self.ctx.xp,
                                 frozenset(bwd.recomputed))
        self.split = next((i for i, e in enumerate(eqns) if backward_outs.intersection(e.outs)),
                          len(eqns))
        self.train_outputs = substitute(g.outputs, replace)
        self.seeds = substitute(bwd.seeds, replace)
        self.grads = substitute(bwd.grads, replace)
        keep = [v for v in (*self.train_outputs, *self.grads) if v is not None]
        eqns = schedule_backward(eqns, self.split, keep)
        eqns, self.split = fuse_training(eqns, self.split, keep, self.ctx.xp)
        given = [*g.inputs, *g.params, *(s for s in self.seeds if s is not None)]
        self.train = Program(eqns, given, consts, self.train_outputs, self.ctx.xp,
                             self.static_alloc, hold=self.grads)
        self.grad_targets = _grad_targets(self.train, dict(zip(g.params, self.params)), wrt,
                                          self.grads)
        self.op = Op(f"hybrid:{self.name}", _not_replayable, _hybrid_vjp,
                     num_outputs=len(self.train_outputs))
        return self.train


def _grad_targets(prog: Program, owners: dict, wrt: list[Var], grads: list[Var | None]
                  ) -> list[tuple[int, Any, tuple]]:
    """(slot, parameter, shape) of arena values that are exactly a parameter's gradient, or a
    reshape-only ancestor of it: the backward replay can compute them straight into the
    parameter's gradient buffer (grad_req 'write'), so backward copies nothing afterwards."""
    producer = {o: i for i, e in enumerate(prog.eqns) for o in e.outs}
    uses: dict[Var, int] = {}
    for e in prog.eqns:
        for v in e.ins:
            if isinstance(v, Var):
                uses[v] = uses.get(v, 0) + 1
    targets = []
    for v, gv in zip(wrt, grads):
        param = owners.get(v)
        if param is None or gv is None or param.grad_req != "write":
            continue
        var = gv
        while var in producer:
            i = producer[var]
            if prog.steps[i].out_buf >= 0:  # a single planned output
                targets.append((prog.slot[var], param, var.shape))
                break
            eqn = prog.eqns[i]
            src = eqn.ins[0] if eqn.ins else None
            if eqn.op.name != "reshape" or not isinstance(src, Var) or uses.get(src) != 1:
                break
            var = src
    return targets


def _not_replayable(xp: Any, *args: Any, **attrs: Any) -> Any:
    raise errors.MXNetRuntimeError("a hybridized call is not an op that can be re-run")


class HybridState:
    """Per-block cache of traced signatures and retrace bookkeeping."""

    def __init__(self) -> None:
        self.cache: dict[Any, _Entry] = {}
        self.traces = 0
        self.warned = False
        self.last: _Entry | None = None


def _state(block: Any) -> HybridState:
    state = block.__dict__.get("_hybrid_state")
    if state is None:
        state = HybridState()
        object.__setattr__(block, "_hybrid_state", state)
    return state


def _signature(structure: Any, leaves: list, ctx: Any) -> tuple:
    """What a traced program depends on; under recording also which inputs want gradients
    (a program computes only those)."""
    arrays = tuple([(type(a), a._data.shape, a._data.dtype.str) for a in leaves])
    wants = tuple([a._entry is not None for a in leaves]) if STATE.recording else ()
    # the device as plain values: a Context hashes and compares in Python, on every call
    device = (ctx.device_type, ctx.device_id)
    ids = [id(a._data) for a in leaves]
    # one array passed in several places is traced as one value: a pattern of its own
    aliases = tuple([ids.index(i) for i in ids]) if len(set(ids)) < len(ids) else ()
    return (structure, arrays, device, STATE.training, STATE.recording, wants, aliases)


_POSITIONAL: dict[int, Any] = {}  # n -> the structure of n positional arrays, no keywords


def _flatten_call(args: tuple, kwargs: dict) -> tuple[list, Any]:
    """``flatten((args, kwargs))``, without walking the common call of positional arrays."""
    if not kwargs and all(isinstance(a, ArrayBase) for a in args):
        structure = _POSITIONAL.get(len(args))
        if structure is None:
            structure = _POSITIONAL[len(args)] = flatten((args, kwargs))[1]
        return list(args), structure
    return flatten((args, kwargs))


def call(block: Any, args: tuple, kwargs: dict) -> Any:
    """Run a hybridized block: from its cache, or by tracing a new signature."""
    leaves, structure = _flatten_call(args, kwargs)
    ctx = leaves[0]._ctx if leaves else current_context()
    state = _state(block)
    sig = _signature(structure, leaves, ctx)
    entry = state.cache.get(sig)
    if entry is None:
        return _trace_call(block, state, sig, args, kwargs, leaves, ctx)
    state.last = entry
    on_step = None
    if check.enabled(block):
        expected, _ = check.eager_values(block, entry.graph, args, kwargs, ctx)
        prog = entry.train if STATE.recording else (entry.infer or entry.build_inference())
        on_step = check.comparer(expected, prog.slot, entry.name)
    if STATE.recording:
        return _replay_training(entry, leaves, on_step)
    return _replay_inference(entry, leaves, on_step)


def _check_retrace(block: Any, state: HybridState, sig: tuple) -> None:
    flags = getattr(block, "_flags", {})
    shapes = [a[1] for a in sig[1]]
    if flags.get("static_shape") and state.cache:
        pinned = [a[1] for a in next(iter(state.cache))[1]]
        if shapes != pinned:
            raise errors.MXNetValueError(
                f"{type(block).__name__} was hybridized with static_shape=True for input shapes "
                f"{pinned}, but was called with {shapes}; hybridize again without static_shape "
                "to allow new shapes"
            )
    state.traces += 1
    if state.traces >= _RETRACE_WARNING_AT and not state.warned:
        state.warned = True
        warnings.warn(
            f"{type(block).__name__} has been traced {state.traces} times: each new input "
            f"signature (shapes, dtypes, context, train/predict and record modes) retraces. "
            f"The latest was input shapes {shapes}, training={sig[3]}, recording={sig[4]}. "
            "Pad or bucket inputs to a few shapes to avoid retracing",
            stacklevel=4,
        )


def _trace(block: Any, args: tuple, kwargs: dict, leaves: list, ctx: Any
           ) -> tuple[Tracer, Graph, Any, Any]:
    """Run ``block.forward`` eagerly under a tracer. Returns the tracer (with every value),
    the checked graph, the eager result and the output structure. Parameter arrays become
    parameter Vars, including those created by deferred initialization during the run."""
    tracer = Tracer()
    inputs = []
    for a in leaves:  # an array passed again gets an input of its own that the graph never reads
        seen = id(a._data) in tracer.var_of
        inputs.append(Var(a._data.shape, a._data.dtype) if seen else tracer.bind(a._data))
    for p in block.collect_params().values():
        if p._data is not None and id(p.data(ctx)._data) not in tracer.var_of:
            tracer.bind(p.data(ctx)._data)
    with tracing(tracer):
        out = block.forward(*args, **kwargs)
    params, param_vars = [], []
    for p in block.collect_params().values():
        var = tracer.var_of.get(id(p.data(ctx)._data)) if p._data is not None else None
        if var is not None and var not in inputs and var not in param_vars:
            tracer.consts.pop(var, None)
            params.append(p)
            param_vars.append(var)
    out_leaves, out_structure = flatten(out)
    outputs = [tracer.lookup(o._data) for o in out_leaves]
    graph = tracer.graph(inputs, param_vars, outputs, params).check()
    return tracer, graph, out, out_structure


def _trace_call(block: Any, state: HybridState, sig: tuple, args: tuple, kwargs: dict,
                leaves: list, ctx: Any) -> Any:
    """Run the block eagerly under a tracer, cache the graph, and return the eager result."""
    _check_retrace(block, state, sig)
    tracer, graph, out, out_structure = _trace(block, args, kwargs, leaves, ctx)
    cls = type(leaves[0]) if leaves else type(flatten(out)[0][0])
    entry = _Entry(type(block).__name__, graph, graph.param_refs, out_structure, cls, ctx,
                   getattr(block, "_flags", {}))
    if STATE.recording:
        entry.build_training(tracer.values, sig[5])
    state.cache[sig] = entry
    state.last = entry
    return out


class _Feed:
    """How one program of an entry meets its caller, worked out on its first replay: the
    table slots of the inputs and parameters, per input and parameter whether it gets a
    gradient and where that gradient ends up, per output its slot and whether it must be
    copied (an input or a constant returned as is would alias the caller's or the cache's),
    and for the gradient slots that may be a parameter's gradient buffer, that parameter's
    position among the inputs and parameters."""

    __slots__ = ("grad_slots", "input_slots", "outputs", "param_slots", "targets", "wants")

    def __init__(self, entry: _Entry, prog: Program, outputs: list[Var], wrt: list[Var] = (),
                 grads: list[Var | None] = (), targets: list[tuple] = ()) -> None:
        g, slot = entry.graph, prog.slot
        self.input_slots = [slot[v] for v in g.inputs]
        self.param_slots = [slot[v] for v in g.params]
        grad_of = {v: gv for v, gv in zip(wrt, grads) if gv is not None}
        given = [*g.inputs, *g.params]
        self.wants = [v in grad_of for v in given]
        self.grad_slots = [(k, slot[grad_of[v]]) for k, v in enumerate(given) if v in grad_of]
        aliased = {*g.consts, *g.inputs}
        self.outputs = [(slot[v], v in aliased) for v in outputs]
        position = {id(p): len(g.inputs) + k for k, p in enumerate(entry.params)}
        self.targets = [(s, position[id(param)], shape) for s, param, shape in targets]


def _param_array(param: Any, ctx: Any) -> Any:
    """The parameter's own array on ``ctx`` (its buffer and tape entry; ``Parameter.data``
    would re-check the context and may wrap it as another array class)."""
    data = param._data
    if data is not None and len(data) == 1:
        arr = data[0]
        own = arr._ctx
        if own is ctx or (own.device_id == ctx.device_id and own.device_type == ctx.device_type):
            return arr
    return param.data(ctx)


def _fill(entry: _Entry, prog: Program, feed: _Feed, leaves: list, params: list) -> list:
    """A value table of ``prog`` with the inputs' and parameters' buffers in their slots."""
    table = prog.new_table()
    for s, a in zip(feed.input_slots, leaves):
        table[s] = a._data
    for s, a in zip(feed.param_slots, params):
        table[s] = a._data
    return table


def _wrap_outputs(entry: _Entry, feed: _Feed, table: list) -> list:
    cls, ctx = entry.cls, entry.ctx
    return [cls._wrap(table[s].copy() if aliased else table[s], ctx)
            for s, aliased in feed.outputs]


def _results(entry: _Entry, outs: list) -> Any:
    """The block's return value from its output arrays (a lone array needs no rebuilding)."""
    return outs[0] if entry.out_structure == _ARRAY else unflatten(entry.out_structure, outs)


def _replay_inference(entry: _Entry, leaves: list, on_step: Any = None) -> Any:
    prog = entry.infer or entry.build_inference()
    feed = entry.infer_feed
    if feed is None:
        feed = entry.infer_feed = _Feed(entry, prog, entry.outputs)
    ctx = entry.ctx
    table = _fill(entry, prog, feed, leaves, [_param_array(p, ctx) for p in entry.params])
    arena = prog.acquire()
    try:
        _run(prog, table, arena, 0, None, ctx, on_step)
    finally:
        prog.release(arena)
    return _results(entry, _wrap_outputs(entry, feed, table))


def _run(prog: Program, table: list, arena: list, start: int, stop: int | None, ctx: Any,
         on_step: Any = None) -> None:
    if ctx.device_type == "gpu":
        with ctx.device():
            prog.run(table, arena, start, stop, on_step)
    else:
        prog.run(table, arena, start, stop, on_step)


class _Run:
    """What a training replay leaves for its backward: the value table, its arena, and the
    tape entries of the inputs and parameters it read. A run dropped without a backward hands
    its arena back (``__del__``: cheaper per step than a weakref finalizer)."""

    __slots__ = ("arena", "entry", "parents", "table")

    def __init__(self, entry: _Entry, table: list, arena: list, parents: tuple) -> None:
        self.entry, self.table, self.arena, self.parents = entry, table, arena, parents

    def __del__(self) -> None:
        if self.table is not None:
            self.entry.train.release(self.arena)


def _replay_training(entry: _Entry, leaves: list, on_step: Any = None) -> Any:
    prog = entry.train
    if prog is None:
        raise errors.MXNetRuntimeError("internal: training program missing for a recorded call")
    feed = entry.train_feed
    if feed is None:
        feed = entry.train_feed = _Feed(entry, prog, entry.train_outputs, entry.wrt,
                                        entry.grads, entry.grad_targets)
    ctx = entry.ctx
    params = [_param_array(p, ctx) for p in entry.params]
    table = _fill(entry, prog, feed, leaves, params)
    arena = prog.acquire()
    _run(prog, table, arena, 0, entry.split, ctx, on_step)
    outs = _wrap_outputs(entry, feed, table)
    parents = tuple([a._entry if want else None
                     for a, want in zip([*leaves, *params], feed.wants)])
    needs = tuple([p is not None for p in parents])
    if True in needs:
        node = Node(entry.op, {"hybrid_run": _Run(entry, table, arena, parents)}, (),
                    tuple([Stub(o._data) for o in outs]), parents, needs, entry.cls, ctx)
        for j, o in enumerate(outs):
            o._entry = (node, j)
    else:
        prog.release(arena)
    return _results(entry, outs)


def _hybrid_vjp(g: Any, ins: tuple, outs: tuple, needs: tuple, hybrid_run: _Run) -> list:
    """Backward of a replayed training call: run the backward half of its program."""
    if STATE.recording:
        raise errors.MXNetRuntimeError(
            "higher-order gradients (create_graph=True) through a hybridized block are not "
            "supported; call hybridize(False) on it for this computation"
        )
    entry = hybrid_run.entry
    prog, ctx = entry.train, entry.ctx
    table, arena = hybrid_run.table, hybrid_run.arena
    retain = STATE.retain_graph
    if retain:  # keep the residuals intact for a later backward
        table = [v.copy() if hasattr(v, "copy") else v for v in table]
        arena = prog._new_arena()
    elif entry.train_feed.targets:
        arena = _with_grad_buffers(entry, arena, hybrid_run.parents)
    gs = g if isinstance(g, tuple) else (g,)
    for seed, gi in zip(entry.seeds, gs):
        if seed is not None:
            table[prog.slot[seed]] = gi._data if gi is not None else ctx.xp.zeros(seed.shape,
                                                                                 seed.dtype)
    _run(prog, table, arena, entry.split, None, ctx)
    cls = entry.cls
    cots: list = [None] * len(needs)
    for k, s in entry.train_feed.grad_slots:
        value = table[s]
        if needs[k] and value is not None:
            cots[k] = cls._wrap(value, ctx)
    if not retain:
        hybrid_run.table = None
        prog.release(hybrid_run.arena)
    return cots


def _with_grad_buffers(entry: _Entry, arena: list, parents: tuple) -> list:
    """The arena with each parameter-gradient slot pointing into the gradient buffer of the
    parameter's leaf (as the replay's tape node saw it), for leaves whose gradient this
    backward writes (not ``autograd.grad``) and no other part of it has contributed to yet."""
    arena = list(arena)
    views = entry.grad_views
    for slot, position, shape in entry.train_feed.targets:
        leaf_entry = parents[position]
        if leaf_entry is None or not writes_leaf(leaf_entry[0]):
            continue
        buf = leaf_entry[0].grad._data
        seen = views.get(slot)
        if seen is not None and seen[0] is buf:  # the same buffer as last time
            arena[slot] = seen[1]
        elif buf.flags.c_contiguous and buf.dtype == arena[slot].dtype:
            arena[slot] = buf.reshape(shape)
            views[slot] = (buf, arena[slot])
    return arena


def trace(block: Any, *inputs: Any) -> Graph:
    """The forward graph of ``block`` for these inputs (``hybrid.trace(net, x)``), without
    caching it; runs one forward under ``autograd.pause()``."""
    from ..autograd import pause

    if is_tracing():
        raise errors.MXNetRuntimeError("hybrid.trace cannot run inside another trace")
    leaves, _ = flatten(inputs)
    ctx = leaves[0].context if leaves else current_context()
    with pause():
        return _trace(block, inputs, {}, leaves, ctx)[1]
