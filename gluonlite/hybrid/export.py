"""``HybridBlock.export``: the traced graph as MXNet's ``-symbol.json`` plus ``-NNNN.params``.

Calls of MXNet-named operators (FullyConnected, Convolution, BatchNorm...) were marked as
regions while tracing and become one MXNet node each; other primitives map to their MXNet
twins or to ``_gluonlite.*`` nodes. Parameter variables carry the same structural names as
``save_parameters`` (``features.0.weight``), stored as ``arg:``/``aux:`` entries.
"""
from __future__ import annotations

from typing import Any

from .. import errors
from ..ndarray import save
from .graph import Graph, Literal, Var
from .mx_ops import encode_attrs, mx_attr, to_mxnet
from .symbol import PRIMITIVE_PREFIX, Symbol

__all__ = ["export_block", "graph_to_symbol"]

_AUX_SUFFIXES = ("running_mean", "running_var", "moving_mean", "moving_var")


def _complete(op: str, attrs: dict, shapes: list[tuple]) -> None:
    """Fill the attributes MXNet requires but a gluonlite call may have left implicit."""
    if op == "FullyConnected":
        attrs.setdefault("num_hidden", str(shapes[1][0]))
        if len(shapes) < 3:
            attrs.setdefault("no_bias", "True")
    elif op in ("Convolution", "Deconvolution"):
        w = shapes[1]
        attrs.setdefault("kernel", str(tuple(w[2:])))
        groups = int(attrs.get("num_group", 1))
        attrs.setdefault("num_filter", str(w[0] if op == "Convolution" else w[1] * groups))
        if len(shapes) < 3:
            attrs.setdefault("no_bias", "True")
    elif op == "Embedding":
        attrs.setdefault("input_dim", str(shapes[1][0]))
        attrs.setdefault("output_dim", str(shapes[1][1]))


def _collapsible(graph: Graph, region: Any, users: dict[Var, set[int]]) -> bool:
    """A region can be one node when nothing it computes internally is used outside it."""
    inside = range(region.start, region.stop)
    outs = set(region.outs)
    for eqn in graph.eqns[region.start:region.stop]:
        for o in eqn.outs:
            if o in outs:
                continue
            if o in graph.outputs or any(u not in inside for u in users.get(o, ())):
                return False
    return True


def graph_to_symbol(graph: Graph, input_names: list[str], names: dict[Var, str]) -> Symbol:
    """An MXNet Symbol of ``graph``; ``names`` gives the variable names of params and consts."""
    nodes: list[dict] = []
    where: dict[Var, tuple[int, int]] = {}
    for var, name in [*zip(graph.inputs, input_names), *names.items()]:
        if var not in where:
            where[var] = (len(nodes), 0)
            nodes.append({"op": "null", "name": name, "inputs": []})
    users: dict[Var, set[int]] = {}
    for i, eqn in enumerate(graph.eqns):
        for v in eqn.ins:
            if isinstance(v, Var):
                users.setdefault(v, set()).add(i)
    starts: dict[int, list] = {}
    for r in graph.regions:
        starts.setdefault(r.start, []).append(r)
    counts: dict[str, int] = {}

    def node_name(op: str) -> str:
        base = op.split(".")[-1].lower().lstrip("_")
        counts[base] = counts.get(base, -1) + 1
        return f"{base}{counts[base]}"

    def emit_region(region) -> None:
        ins = [v for v in region.ins if v is not None]
        attrs = {k: mx_attr(v) for k, v in region.attrs.items()}
        _complete(region.name, attrs, [v.shape for v in ins])
        node = {"op": region.name, "name": node_name(region.name), "attrs": attrs,
                "inputs": [[*where[v], 0] for v in ins]}
        if len(region.outs) > 1:
            node["num_outputs"] = len(region.outs)
        for j, o in enumerate(region.outs):
            where[o] = (len(nodes), j)
        nodes.append(node)

    i = 0
    while i <= len(graph.eqns):
        collapsed = None
        for region in starts.get(i, ()):
            if not all(v is None or v in where for v in region.ins):
                continue
            if region.stop == region.start:  # an identity here (Dropout when predicting)
                emit_region(region)
            elif collapsed is None and _collapsible(graph, region, users):
                collapsed = region
        if i == len(graph.eqns):
            break
        if collapsed is not None:
            emit_region(collapsed)
            i = collapsed.stop
            continue
        eqn = graph.eqns[i]
        op, attrs, ins = to_mxnet(eqn)
        if op.startswith(PRIMITIVE_PREFIX):
            literals = [(p, v.value) for p, v in enumerate(ins) if isinstance(v, Literal)]
            if literals:
                attrs["__literals__"] = encode_attrs({"x": tuple(literals)})["x"]
            ins = [v for v in ins if isinstance(v, Var)]
        node = {"op": op, "name": node_name(op), "attrs": attrs,
                "inputs": [[*where[v], 0] for v in ins]}
        if len(eqn.outs) > 1:
            node["num_outputs"] = len(eqn.outs)
        for j, o in enumerate(eqn.outs):
            where[o] = (len(nodes), j)
        nodes.append(node)
        i += 1
    return Symbol(nodes, [[*where[v], 0] for v in graph.outputs])


def export_block(block: Any, path: str, epoch: int = 0, remove_amp_cast: bool = True
                 ) -> tuple[str, str]:
    """Write ``path-symbol.json`` and ``path-%04d.params`` for a hybridized, called block."""
    state = block.__dict__.get("_hybrid_state")
    if state is None or state.last is None:
        raise errors.MXNetRuntimeError(
            "export needs a traced graph: call net.hybridize() and run one forward pass "
            "(net(x)) before net.export(path)"
        )
    entry = state.last
    graph = entry.graph
    structural = {}
    for name, p in block._collect_params_with_prefix(saved=True).items():
        structural.setdefault(id(p), name)
    names: dict[Var, str] = {}
    arrays = {}
    for var, p in zip(graph.params, entry.params):
        name = structural.get(id(p), p.name)
        names[var] = name
        kind = "aux" if name.endswith(_AUX_SUFFIXES) else "arg"
        arrays[f"{kind}:{name}"] = p.data(entry.ctx)
    for k, (var, value) in enumerate(graph.consts.items()):
        names[var] = f"_const{k}"
        arrays[f"arg:_const{k}"] = entry.cls._wrap(value, entry.ctx)
    n_in = len(graph.inputs)
    input_names = ["data"] if n_in == 1 else [f"data{k}" for k in range(n_in)]
    sym = graph_to_symbol(graph, input_names, names)
    sym_file, params_file = f"{path}-symbol.json", f"{path}-{epoch:04d}.params"
    sym.save(sym_file)
    save(params_file, arrays)
    return sym_file, params_file
