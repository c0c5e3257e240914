"""Symbols in MXNet's JSON graph format: build, save, load and evaluate them.

A Symbol is a set of output entries ``(node, index)`` of a DAG of nodes ``{op, name, attrs,
inputs}`` (``op == "null"`` for variables). ``nodes``/``heads`` give the graph in MXNet's JSON
layout: a loaded file keeps its order, composed symbols are laid out depth-first from the
outputs, as MXNet writes them. Evaluation interprets the nodes in that order with gluonlite's
``nd`` operators, so files written by MXNet 1.9 and by gluonlite both load. Operator
composition (``sym.FullyConnected(...)``, ``a + b``) is in ``symbol_ops``; executors
(``bind``/``simple_bind``) in ``sym_executor``.
"""

from __future__ import annotations

import ast
import copy as _copy
import json
import time
from collections.abc import Iterator
from typing import Any

import numpy

from .. import errors, profiler

__all__ = ["Group", "Symbol", "Variable", "evaluate", "load", "load_json", "parse_attr", "var"]

MXNET_VERSION = 10901
PRIMITIVE_PREFIX = "_gluonlite."
AUX_INPUTS = {"BatchNorm": (3, 4), "SyncBatchNorm": (3, 4), "_contrib_SyncBatchNorm": (3, 4)}

# MXNet's type flags (``__dtype__`` attributes and .params files)
_DTYPE_NAMES = "float32 float64 float16 uint8 int32 int8 int64 bool int16 uint16 uint32 uint64"
DTYPE_FLAGS = {name: flag for flag, name in enumerate(_DTYPE_NAMES.split())}
_FLAG_DTYPES = {v: k for k, v in DTYPE_FLAGS.items()}


def dtype_from_attr(value: Any) -> numpy.dtype | None:
    """The dtype of a ``__dtype__`` attribute (MXNet's int flag, or a dtype name)."""
    if value is None:
        return None
    parsed = parse_attr(value)
    if isinstance(parsed, int):
        return numpy.dtype(_FLAG_DTYPES.get(parsed, "float32"))
    return numpy.dtype(parsed)


class _Node:
    """One graph node; ``inputs`` are (node, output index) entries."""

    __slots__ = ("_parsed", "attrs", "inputs", "name", "num_outputs", "op")

    def __init__(
        self, op: str, name: str, attrs: dict | None = None, inputs: Any = (), num_outputs: int = 1
    ) -> None:
        self.op = op
        self.name = name
        self.attrs = attrs if attrs is not None else {}
        self.inputs = list(inputs)
        self.num_outputs = num_outputs
        self._parsed: tuple | None = None

    def params(self) -> dict:
        """The operator attributes as Python values (cached until the attributes change)."""
        key = tuple(self.attrs.items())
        if self._parsed is None or self._parsed[0] != key:
            values = {k: parse_attr(v) for k, v in self.attrs.items() if not k.startswith("__")}
            self._parsed = (key, values)
        return self._parsed[1]


class Symbol:
    """One or more outputs of a graph of MXNet operator nodes."""

    def __init__(self, nodes: list[dict], heads: list[list[int]]) -> None:
        from .sym_op_info import num_outputs

        built: list[_Node] = []
        for n in nodes:
            attrs = n.get("attrs") or {}
            count = n.get("num_outputs") or num_outputs(n["op"], attrs)
            inputs = [(built[e[0]], e[1]) for e in n.get("inputs", [])]
            built.append(_Node(n["op"], n["name"], attrs, inputs, int(count)))
        self._outputs = [(built[h[0]], h[1]) for h in heads]
        self._cache: dict = {"topo": built}  # a given node list keeps its order and every node

    @classmethod
    def _of(cls, entries: list[tuple[_Node, int]]) -> Symbol:
        sym = cls.__new__(cls)
        sym._outputs = list(entries)
        sym._cache = {}
        return sym

    # ---- graph layout -----------------------------------------------------------------------
    def _topo(self) -> list[_Node]:
        """The nodes, inputs first: as given to the constructor (a loaded file's order, nodes
        unused by the outputs included), else those reachable from the outputs in MXNet's
        depth-first order."""
        order = self._cache.get("topo")
        if order is None:
            order = self._cache["topo"] = self._depth_first()
        return order

    def _depth_first(self) -> list[_Node]:
        order, seen = [], set()
        for head, _ in self._outputs:
            stack = [(head, 0)]
            while stack:
                node, k = stack.pop()
                if id(node) in seen:
                    continue
                if k < len(node.inputs):
                    stack.append((node, k + 1))
                    stack.append((node.inputs[k][0], 0))
                else:
                    seen.add(id(node))
                    order.append(node)
        return order

    def _live(self) -> list[_Node]:
        """The nodes the outputs depend on, in ``_topo`` order (what evaluation runs)."""
        live = self._cache.get("live")
        if live is None:
            needed = {id(n) for n in self._depth_first()}
            live = self._cache["live"] = [n for n in self._topo() if id(n) in needed]
        return live

    @property
    def nodes(self) -> list[dict]:
        """The nodes as MXNet's JSON dicts (attribute dicts are shared with the graph)."""
        cached = self._cache.get("nodes")
        if cached is None:
            pos = {id(n): i for i, n in enumerate(self._topo())}
            cached = []
            for n in self._topo():
                d: dict = {"op": n.op, "name": n.name}
                if n.attrs:
                    d["attrs"] = n.attrs
                d["inputs"] = [[pos[id(src)], idx, 0] for src, idx in n.inputs]
                if n.num_outputs > 1:
                    d["num_outputs"] = n.num_outputs
                cached.append(d)
            self._cache["nodes"] = cached
        return cached

    @property
    def heads(self) -> list[list[int]]:
        pos = {id(n): i for i, n in enumerate(self._topo())}
        return [[pos[id(n)], idx, 0] for n, idx in self._outputs]

    # ---- inspection -------------------------------------------------------------------------
    def _aux_nodes(self) -> set[int]:
        """Variables that feed BatchNorm's moving statistics (MXNet's auxiliary states)."""
        aux = set()
        for n in self._topo():
            for p in AUX_INPUTS.get(n.op, ()):
                if p < len(n.inputs) and n.inputs[p][0].op == "null":
                    aux.add(id(n.inputs[p][0]))
        return aux

    def _variables(self) -> list[_Node]:
        return [n for n in self._topo() if n.op == "null"]

    def list_arguments(self) -> list[str]:
        aux = self._aux_nodes()
        return [n.name for n in self._variables() if id(n) not in aux]

    def list_auxiliary_states(self) -> list[str]:
        aux = self._aux_nodes()
        return [n.name for n in self._variables() if id(n) in aux]

    def list_inputs(self) -> list[str]:
        return [n.name for n in self._variables()]

    def list_outputs(self) -> list[str]:
        from .sym_op_info import output_names

        return [n.name if n.op == "null" else output_names(n)[i] for n, i in self._outputs]

    @property
    def name(self) -> str | None:
        """The name of a single-output symbol (None for a group, as in MXNet)."""
        return self._outputs[0][0].name if len(self._outputs) == 1 else None

    def __repr__(self) -> str:
        if len(self._outputs) == 1:
            return f"<Symbol {self.name}>"
        return f"<Symbol group [{', '.join(n.name for n, _ in self._outputs)}]>"

    def __len__(self) -> int:
        return len(self._outputs)

    def __iter__(self) -> Iterator[Symbol]:
        return (self[i] for i in range(len(self._outputs)))

    def __getitem__(self, index: int | str | slice) -> Symbol:
        if isinstance(index, slice):
            return Group([self[i] for i in range(*index.indices(len(self)))])
        if isinstance(index, str):
            found = [i for i, n in enumerate(self.list_outputs()) if n == index]
            if len(found) != 1:
                raise errors.MXNetValueError(
                    f"{'no' if not found else 'several'} outputs named {index!r}; the outputs "
                    f"are {self.list_outputs()}"
                )
            index = found[0]
        if not isinstance(index, (int, numpy.integer)):
            raise errors.MXNetTypeError(f"Symbol indices are ints or output names, not {index!r}")
        if not -len(self._outputs) <= index < len(self._outputs):
            raise IndexError(f"output {index} of a symbol with {len(self._outputs)} outputs")
        return Symbol._of([self._outputs[index]])

    def get_internals(self) -> Symbol:
        """Every output of every node (MXNet's internals), e.g. to cut a network at a layer."""
        return Symbol._of([(n, i) for n in self._topo() for i in range(n.num_outputs)])

    def get_children(self) -> Symbol | None:
        """The inputs of this symbol's output node, grouped (None for a variable)."""
        inputs = [e for n, _ in self._outputs for e in n.inputs]
        return Symbol._of(inputs) if inputs else None

    # ---- attributes -------------------------------------------------------------------------
    def attr(self, key: str) -> str | None:
        if len(self._outputs) != 1:
            return None
        return self._outputs[0][0].attrs.get(key)

    def list_attr(self, recursive: bool = False) -> dict[str, str]:
        if recursive:
            raise DeprecationWarning(
                "Symbol.list_attr(recursive=True) is deprecated; use attr_dict"
            )
        return dict(self._outputs[0][0].attrs) if len(self._outputs) == 1 else {}

    def attr_dict(self) -> dict[str, dict[str, str]]:
        """{node name: its attributes} for every node with attributes."""
        return {n.name: dict(n.attrs) for n in self._topo() if n.attrs}

    def _set_attr(self, **kwargs: Any) -> None:
        for node, _ in self._outputs:
            node.attrs.update({k: str(v) for k, v in kwargs.items()})

    # ---- serialisation ----------------------------------------------------------------------
    def tojson(self, remove_amp_cast: bool = True) -> str:
        nodes = [{k: v for k, v in n.items() if k != "num_outputs"} for n in self.nodes]
        arg_nodes = [i for i, n in enumerate(nodes) if n["op"] == "null"]
        row_ptr = [0]
        for n in self.nodes:
            row_ptr.append(row_ptr[-1] + int(n.get("num_outputs", 1)))
        return json.dumps(
            {
                "nodes": nodes,
                "arg_nodes": arg_nodes,
                "node_row_ptr": row_ptr,
                "heads": self.heads,
                "attrs": {"mxnet_version": ["int", MXNET_VERSION]},
            },
            indent=2,
        )

    def save(self, fname: str, remove_amp_cast: bool = True) -> None:
        from ..ndarray.serialization import atomic_write

        data = self.tojson().encode("utf-8")
        atomic_write(fname, lambda f: f.write(data))

    def debug_str(self) -> str:
        """One line per node: op, name, inputs."""
        lines = []
        for n in self._topo():
            ins = ", ".join(f"{src.name}[{i}]" for src, i in n.inputs)
            lines.append(f"{'Variable' if n.op == 'null' else 'Op:' + n.op}: {n.name}({ins})")
        return "\n".join(lines)

    def __copy__(self) -> Symbol:
        return Symbol(_copy.deepcopy(self.nodes), self.heads)

    def __deepcopy__(self, memo: Any) -> Symbol:
        return self.__copy__()

    def __getstate__(self) -> dict:
        return {"json": self.tojson()}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(load_json(state["json"]).__dict__)

    # ---- shapes and types -------------------------------------------------------------------
    def infer_shape(self, *args: Any, **shapes: Any) -> tuple[list, list, list]:
        """(argument shapes, output shapes, auxiliary shapes) given input shapes (by name, or
        positionally in ``list_arguments`` order); the rest follows from a zero-filled
        evaluation, so every op that runs can be inferred."""
        from .. import autograd
        from .. import ndarray as nd

        shapes.update({k: v for k, v in zip(self.list_arguments(), args) if v is not None})
        known = set(self.list_inputs())
        given = {
            k: nd.zeros(tuple(v))
            for k, v in shapes.items()
            if k in known and v is not None and all(int(d) > 0 for d in v)
        }
        with autograd.pause(train_mode=False), numpy.errstate(all="ignore"):
            outs, seen = evaluate(self, given, allow_missing=True, record_shapes=True)
        args_out = [seen.get(n) for n in self.list_arguments()]
        aux = [seen.get(n) for n in self.list_auxiliary_states()]
        return args_out, [tuple(o.shape) for o in outs], aux

    def infer_shape_partial(self, *args: Any, **shapes: Any) -> tuple[list, list, list]:
        """``infer_shape``, with ``None`` for what cannot be inferred instead of an error."""
        try:
            return self.infer_shape(*args, **shapes)
        except errors.MXNetError:
            return (
                [None] * len(self.list_arguments()),
                [None] * len(self),
                [None] * len(self.list_auxiliary_states()),
            )

    def infer_type(self, *args: Any, **types: Any) -> tuple[list, list, list]:
        """(argument, output, auxiliary) dtypes: given ones, a variable's ``__dtype__``, or
        float32; outputs take the dtype of the first given input (float32 without one)."""
        types.update({k: v for k, v in zip(self.list_arguments(), args) if v is not None})
        declared = {n.name: dtype_from_attr(n.attrs.get("__dtype__")) for n in self._variables()}

        def pick(name: str) -> Any:
            given = types.get(name)
            return (
                numpy.dtype(given).type
                if given is not None
                else (declared.get(name) or numpy.dtype("float32")).type
            )

        first = next((numpy.dtype(v).type for v in types.values() if v is not None), numpy.float32)
        return (
            [pick(n) for n in self.list_arguments()],
            [first] * len(self),
            [pick(n) for n in self.list_auxiliary_states()],
        )

    # ---- execution --------------------------------------------------------------------------
    def bind(
        self,
        ctx: Any,
        args: Any,
        args_grad: Any = None,
        grad_req: Any = "write",
        aux_states: Any = None,
        group2ctx: Any = None,
        shared_exec: Any = None,
    ) -> Any:
        """An Executor over the given argument (and gradient, auxiliary) arrays."""
        from .sym_executor import bind

        return bind(self, ctx, args, args_grad, grad_req, aux_states, shared_exec)

    def simple_bind(
        self,
        ctx: Any,
        grad_req: Any = "write",
        type_dict: dict | None = None,
        stype_dict: dict | None = None,
        group2ctx: Any = None,
        shared_arg_names: Any = None,
        shared_exec: Any = None,
        shared_buffer: Any = None,
        **shapes: Any,
    ) -> Any:
        """An Executor with arrays allocated from the shapes inferred from ``shapes``."""
        from .sym_executor import simple_bind

        return simple_bind(self, ctx, grad_req, type_dict, shared_exec, **shapes)

    def eval(self, ctx: Any = None, **kwargs: Any) -> list:
        """Bind ``kwargs`` as the arguments, run forward, return the outputs."""
        from ..context import current_context

        exe = self.bind(ctx or current_context(), kwargs, grad_req="null")
        return exe.forward()


def var(
    name: str,
    attr: dict | None = None,
    shape: Any = None,
    lr_mult: float | None = None,
    wd_mult: float | None = None,
    dtype: Any = None,
    init: Any = None,
    stype: str | None = None,
    profiler_scope: str | None = None,
    **kwargs: Any,
) -> Symbol:
    """A variable node (an input or a parameter), with MXNet's attributes."""
    from .symbol_ops import AttrScope

    if not isinstance(name, str):
        raise errors.MXNetTypeError(f"a variable's name must be a string, not {name!r}")
    attrs = AttrScope.current().get(attr)
    if shape is not None:
        attrs["__shape__"] = str(tuple(shape))
    if lr_mult is not None:
        attrs["__lr_mult__"] = str(lr_mult)
    if wd_mult is not None:
        attrs["__wd_mult__"] = str(wd_mult)
    if dtype is not None:
        attrs["__dtype__"] = str(DTYPE_FLAGS.get(numpy.dtype(dtype).name, 0))
    if init is not None:
        attrs["__init__"] = init if isinstance(init, str) else init.dumps()
    if stype is not None:
        attrs["__storage_type__"] = str(stype)
    for k, v in kwargs.items():
        attrs[k if k.startswith("__") and k.endswith("__") else f"__{k}__"] = str(v)
    return Symbol._of([(_Node("null", name, attrs), 0)])


Variable = var


def Group(symbols: list[Symbol]) -> Symbol:
    """One symbol with the outputs of several."""
    symbols = list(symbols)
    if not symbols or any(not isinstance(s, Symbol) for s in symbols):
        raise errors.MXNetTypeError("Group expects a non-empty list of Symbols")
    return Symbol._of([e for s in symbols for e in s._outputs])


def load_json(text: str) -> Symbol:
    """A Symbol from MXNet's JSON text."""
    try:
        data = json.loads(text)
        nodes = data["nodes"]
        heads = data["heads"]
    except (ValueError, KeyError, TypeError) as exc:
        raise errors.MXNetValueError(f"not an MXNet symbol JSON: {exc}") from None
    row_ptr = data.get("node_row_ptr") or []
    for i, n in enumerate(nodes):
        n.setdefault("inputs", [])
        attrs = dict(n.pop("attr", None) or {})  # MXNet < 1.0 kept variable attributes here
        attrs.update(n.pop("param", None) or {})
        attrs.update(n.get("attrs") or {})
        n["attrs"] = attrs
        if n["op"].startswith(PRIMITIVE_PREFIX) and len(row_ptr) == len(nodes) + 1:
            n["num_outputs"] = row_ptr[i + 1] - row_ptr[i]  # gluonlite's own multi-output ops
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
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return value


def _call_node(node: _Node, inputs: list) -> Any:
    from . import mx_ops
    from .symbol_ops import EVAL_OPS

    if node.op.startswith(PRIMITIVE_PREFIX):  # JSON-encoded attributes, decoded by mx_ops
        return mx_ops.call(node.op, inputs, dict(node.attrs))
    extra = EVAL_OPS.get(node.op)
    if extra is not None:
        return extra(inputs, node.params())
    return mx_ops.call(node.op, inputs, dict(node.params()))


def evaluate(
    sym: Symbol, values: dict[str, Any], allow_missing: bool = False, record_shapes: bool = False
) -> tuple[list, dict]:
    """Run the graph on named arrays; returns the head values (and variable shapes seen).
    While the profiler runs, each node of a full evaluation is timed under its op name."""
    timed = not allow_missing and profiler.is_running()
    results: dict[int, list] = {}
    shapes: dict[str, tuple] = {}
    order = sym._live()
    for pos, node in enumerate(order):
        if node.op == "null":
            value = values.get(node.name)
            if value is None:
                if not allow_missing:
                    raise errors.MXNetValueError(
                        f"no value for symbol input '{node.name}'; inputs are {sym.list_inputs()}"
                    )
                value = _placeholder(order, pos, results)
            shapes[node.name] = tuple(value.shape)
            results[id(node)] = [value]
            continue
        ins = [results[id(src)][idx] for src, idx in node.inputs]
        if timed:
            start = time.perf_counter_ns()
            out = _call_node(node, ins)
            profiler.record(node.op, "symbolic", start, time.perf_counter_ns())
        else:
            out = _call_node(node, ins)
        results[id(node)] = list(out) if isinstance(out, (list, tuple)) else [out]
    outs = [results[id(n)][i] for n, i in sym._outputs]
    return outs, shapes if record_shapes else {}


def _placeholder(order: list[_Node], pos: int, results: dict) -> Any:
    """Zeros for a variable without a value (shape inference): its declared ``__shape__``, or
    the shape its consumer's parameter rule derives from the consumer's data input."""
    from .. import ndarray as nd
    from .sym_op_info import param_shape

    node = order[pos]
    shape = parse_attr(node.attrs.get("__shape__", "None"))
    if shape is not None and all(d > 0 for d in shape):  # MXNet writes 0 for unknown dims
        return nd.zeros(shape)
    for consumer in order[pos + 1 :]:
        positions = [p for p, (src, _) in enumerate(consumer.inputs) if src is node]
        if positions and positions[0] > 0:
            src, idx = consumer.inputs[0]
            data = results.get(id(src), [None] * (idx + 1))[idx]
            attrs = {k: parse_attr(v) for k, v in consumer.attrs.items()}
            inferred = param_shape(consumer.op, attrs, data, positions[0])
            if inferred is not None:
                return nd.zeros(inferred)
    raise errors.MXNetValueError(f"cannot infer the shape of '{node.name}': give its shape")


from . import symbol_ops as _symbol_ops  # noqa: F401  (attaches operators and methods)
