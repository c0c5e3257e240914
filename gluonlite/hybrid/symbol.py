"""Symbols in MXNet's JSON graph format: build, save, load and evaluate them.

A Symbol is a list of nodes ``{op, name, attrs, inputs}`` (``op == "null"`` for variables) and
the heads it outputs. Evaluation interprets nodes in order with gluonlite's ``nd`` operators,
so files written by MXNet 1.9 and by gluonlite both load.
"""
from __future__ import annotations

import ast
import json
from typing import Any

import numpy

from .. import errors

__all__ = ["Symbol", "var", "Variable", "load", "load_json", "Group", "evaluate"]

MXNET_VERSION = 10901
PRIMITIVE_PREFIX = "_gluonlite."


class Symbol:
    """A graph of MXNet operator nodes with one or more outputs."""

    def __init__(self, nodes: list[dict], heads: list[list[int]]) -> None:
        self.nodes = nodes
        self.heads = heads

    # ---- inspection -------------------------------------------------------------------------
    def _variables(self) -> list[tuple[int, dict]]:
        return [(i, n) for i, n in enumerate(self.nodes) if n["op"] == "null"]

    def _aux_ids(self) -> set[int]:
        """Variables that feed BatchNorm's moving statistics (MXNet's auxiliary states)."""
        aux = set()
        for n in self.nodes:
            if n["op"] in ("BatchNorm", "SyncBatchNorm", "_contrib_SyncBatchNorm"):
                aux.update(inp[0] for inp in n["inputs"][3:5])
        return aux

    def list_arguments(self) -> list[str]:
        aux = self._aux_ids()
        return [n["name"] for i, n in self._variables() if i not in aux]

    def list_auxiliary_states(self) -> list[str]:
        aux = self._aux_ids()
        return [n["name"] for i, n in self._variables() if i in aux]

    def list_inputs(self) -> list[str]:
        return [n["name"] for _, n in self._variables()]

    def list_outputs(self) -> list[str]:
        return [f"{self.nodes[h[0]]['name']}_output" for h in self.heads]

    @property
    def name(self) -> str:
        return self.nodes[self.heads[0][0]]["name"]

    def __repr__(self) -> str:
        return f"<Symbol {self.name}>" if len(self.heads) == 1 else f"<Symbol group {self.list_outputs()}>"

    # ---- serialisation ----------------------------------------------------------------------
    def tojson(self) -> str:
        arg_nodes = [i for i, n in enumerate(self.nodes) if n["op"] == "null"]
        row_ptr = [0]
        for n in self.nodes:
            row_ptr.append(row_ptr[-1] + int(n.get("num_outputs", 1)))
        nodes = [{k: v for k, v in n.items() if k != "num_outputs"} for n in self.nodes]
        return json.dumps({"nodes": nodes, "arg_nodes": arg_nodes, "node_row_ptr": row_ptr,
                           "heads": self.heads,
                           "attrs": {"mxnet_version": ["int", MXNET_VERSION]}}, indent=2)

    def save(self, fname: str) -> None:
        from ..ndarray.serialization import atomic_write

        data = self.tojson().encode("utf-8")
        atomic_write(fname, lambda f: f.write(data))

    # ---- shapes -----------------------------------------------------------------------------
    def infer_shape(self, **shapes: Any) -> tuple[list, list, list]:
        """(argument shapes, output shapes, auxiliary shapes) given the input shapes; parameter
        shapes come from a zero-filled evaluation, so every op that runs can be inferred."""
        from .. import ndarray as nd

        given = {k: nd.zeros(tuple(v)) for k, v in shapes.items()}
        outs, seen = evaluate(self, given, allow_missing=True, record_shapes=True)
        args = [seen.get(n) for n in self.list_arguments()]
        aux = [seen.get(n) for n in self.list_auxiliary_states()]
        return args, [tuple(o.shape) for o in outs], aux

    def __getitem__(self, index: int) -> Symbol:
        return Symbol(self.nodes, [self.heads[index]])

    def get_internals(self) -> Symbol:
        return Symbol(self.nodes, [[i, 0, 0] for i in range(len(self.nodes))])


def var(name: str, shape: Any = None, dtype: Any = None, **kwargs: Any) -> Symbol:
    """A variable node (an input or a parameter)."""
    attrs = {}
    if shape is not None:
        attrs["__shape__"] = str(tuple(shape))
    if dtype is not None:
        attrs["__dtype__"] = str(numpy.dtype(dtype))
    node = {"op": "null", "name": name, "inputs": []}
    if attrs:
        node["attrs"] = attrs
    return Symbol([node], [[0, 0, 0]])


Variable = var


def Group(symbols: list[Symbol]) -> Symbol:  # noqa: N802  (MXNet's name)
    """One symbol with the outputs of several (they must share one node list)."""
    base = symbols[0].nodes
    if any(s.nodes is not base for s in symbols):
        raise errors.MXNetValueError("Group needs symbols that come from the same graph")
    return Symbol(base, [h for s in symbols for h in s.heads])


def load_json(text: str) -> Symbol:
    """A Symbol from MXNet's JSON text."""
    try:
        data = json.loads(text)
        nodes = data["nodes"]
        heads = data["heads"]
    except (ValueError, KeyError, TypeError) as exc:
        raise errors.MXNetValueError(f"not an MXNet symbol JSON: {exc}") from None
    for n in nodes:
        n.setdefault("inputs", [])
        n["attrs"] = n.get("attrs", n.pop("param", {})) or {}
    return Symbol(nodes, heads)


def load(fname: str) -> Symbol:
    """A Symbol from an ``-symbol.json`` file (MXNet's or gluonlite's)."""
    with open(fname, encoding="utf-8") as f:
        return load_json(f.read())


# ---- evaluation ---------------------------------------------------------------------------------
def parse_attr(value: Any) -> Any:
    """An MXNet attribute string ('(3, 3)', 'True', '64', 'relu') as a Python value."""
    if not isinstance(value, str):
        return value
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return value


def _call_node(node: dict, inputs: list) -> Any:
    from . import mx_ops

    op = node["op"]
    raw = node.get("attrs", {})
    if op.startswith(PRIMITIVE_PREFIX):  # JSON-encoded attributes, decoded by mx_ops
        return mx_ops.call(op, inputs, dict(raw))
    attrs = {k: parse_attr(v) for k, v in raw.items() if not k.startswith("__")}
    return mx_ops.call(op, inputs, attrs)


def evaluate(sym: Symbol, values: dict[str, Any], allow_missing: bool = False,
             record_shapes: bool = False) -> tuple[list, dict]:
    """Run the graph on named arrays; returns the head values (and variable shapes seen)."""
    results: list[list] = []
    shapes: dict[str, tuple] = {}
    needed = _needed(sym)
    for i, node in enumerate(sym.nodes):
        if i not in needed:
            results.append([])
            continue
        if node["op"] == "null":
            value = values.get(node["name"])
            if value is None:
                if not allow_missing:
                    raise errors.MXNetValueError(
                        f"no value for symbol input '{node['name']}'; inputs are "
                        f"{sym.list_inputs()}"
                    )
                value = _placeholder(sym, i, results)
            shapes[node["name"]] = tuple(value.shape) if value is not None else None
            results.append([value])
            continue
        ins = [results[src][idx] for src, idx, *_ in node["inputs"]]
        out = _call_node(node, ins)
        results.append(list(out) if isinstance(out, (list, tuple)) else [out])
    outs = [results[h[0]][h[1]] for h in sym.heads]
    return outs, shapes if record_shapes else {}


def _needed(sym: Symbol) -> set[int]:
    needed, stack = set(), [h[0] for h in sym.heads]
    while stack:
        i = stack.pop()
        if i not in needed:
            needed.add(i)
            stack.extend(inp[0] for inp in sym.nodes[i]["inputs"])
    return needed


def _placeholder(sym: Symbol, index: int, results: list) -> Any:
    """Zeros for a variable without a value (shape inference): its declared ``__shape__``, or
    the shape its consumer's parameter rule derives from the consumer's data input."""
    from .. import ndarray as nd
    from . import mx_ops

    node = sym.nodes[index]
    shape = parse_attr(node.get("attrs", {}).get("__shape__", "None"))
    if shape is not None and all(d > 0 for d in shape):  # MXNet writes 0 for unknown dims
        return nd.zeros(shape)
    for consumer in sym.nodes[index + 1:]:
        positions = [p for p, inp in enumerate(consumer["inputs"]) if inp[0] == index]
        if positions and consumer["inputs"][0][0] != index:
            src, idx = consumer["inputs"][0][:2]
            data = results[src][idx] if src < len(results) and results[src] else None
            attrs = {k: parse_attr(v) for k, v in consumer.get("attrs", {}).items()}
            inferred = mx_ops.param_shape(consumer["op"], attrs, data, positions[0])
            if inferred is not None:
                return nd.zeros(inferred)
    raise errors.MXNetValueError(f"cannot infer the shape of '{node['name']}': give its shape")
