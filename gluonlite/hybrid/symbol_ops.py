"""Operator composition on Symbols (MXNet 1.x): ``sym.FullyConnected(data=x, num_hidden=10)``,
``a + b``, ``x.reshape(...)``.

Calling an operator adds one node: its Symbol inputs become the node's inputs (in MXNet's
argument order), everything else becomes a string attribute as MXNet stores it, and inputs left
out are created as variables named ``{node name}_{argument}`` (``fc1_weight``,
``softmax_label``), exactly as MXNet does. Nodes without ``name=`` are named by per-process
counters (``fullyconnected0``). Operators with a known argument list are in ``sym_op_info``; any
other ``nd`` operator takes its inputs from its signature.
"""

from __future__ import annotations

import inspect
import numbers
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import errors
from .sym_loss_ops import EVAL_OPS
from .sym_op_info import (
    CANONICAL,
    INPUTS,
    PARAM_ORDER,
    VARARG_PARAM,
    VARIADIC,
    dropped,
    num_outputs,
)
from .symbol import Symbol, _Node, parse_attr

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["EVAL_OPS", "AttrScope", "NameManager", "Prefix", "create", "make_loss", "op_function"]


# ---- names and attribute scopes -----------------------------------------------------------------
class NameManager:
    """Names nodes created without ``name=``: ``{hint}{count}`` per hint (MXNet's counters).
    ``with NameManager():`` starts fresh counters for the block."""

    _local = threading.local()

    def __init__(self) -> None:
        self._counter: dict[str, int] = {}
        self._old: NameManager | None = None

    def get(self, name: str | None, hint: str) -> str:
        if name:
            return name
        n = self._counter.get(hint, 0)
        self._counter[hint] = n + 1
        return f"{hint}{n}"

    def __enter__(self) -> Self:
        self._old = NameManager.current()
        NameManager._local.value = self
        return self

    def __exit__(self, *exc: object) -> None:
        NameManager._local.value = self._old

    @staticmethod
    def current() -> NameManager:
        value = getattr(NameManager._local, "value", None)
        if value is None:
            value = NameManager._local.value = NameManager()
        return value


class Prefix(NameManager):
    """A NameManager that puts ``prefix`` before every name, given or generated."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self._prefix = prefix

    def get(self, name: str | None, hint: str) -> str:
        return self._prefix + super().get(name, hint)


# attribute keys MXNet stores in the hidden ``__key__`` form
_HIDDEN_KEYS = {
    "ctx_group",
    "lr_mult",
    "wd_mult",
    "force_mirroring",
    "mirror_stage",
    "profiler_scope",
}


class AttrScope:
    """Attributes given to every symbol created inside ``with AttrScope(key=value):``."""

    _local = threading.local()

    def __init__(self, **kwargs: str) -> None:
        for key, value in kwargs.items():
            if not isinstance(value, str):
                raise errors.MXNetValueError(f"AttrScope: attribute {key} must be a string")
        self._attr = kwargs
        self._old: AttrScope | None = None

    def get(self, attr: dict | None) -> dict:
        """The scope's attributes updated with ``attr`` (a new dict)."""
        merged = dict(self._attr)
        merged.update(attr or {})
        return {f"__{k}__" if k in _HIDDEN_KEYS else k: str(v) for k, v in merged.items()}

    def __enter__(self) -> Self:
        self._old = AttrScope.current()
        merged = dict(self._old._attr)
        merged.update(self._attr)
        self._attr = merged
        AttrScope._local.value = self
        return self

    def __exit__(self, *exc: object) -> None:
        AttrScope._local.value = self._old

    @staticmethod
    def current() -> AttrScope:
        value = getattr(AttrScope._local, "value", None)
        if value is None:
            value = AttrScope._local.value = AttrScope()
        return value


# ---- node construction --------------------------------------------------------------------------
def _attr_str(value: Any) -> str:
    from .mx_ops import mx_attr

    return value if isinstance(value, str) else mx_attr(value)


def _entry(op: str, key: str, sym: Symbol) -> tuple:
    if len(sym._outputs) != 1:
        raise errors.MXNetValueError(
            f"{op}: input '{key}' is a group of {len(sym._outputs)} outputs; pick one with "
            "sym[i] or sym['name_output']"
        )
    return sym._outputs[0]


def _nd_function(op: str) -> Callable | None:
    from .. import ndarray as nd

    fn = getattr(nd, op, None)
    return fn if callable(fn) and not isinstance(fn, type) else None


def _signature(op: str) -> inspect.Signature | None:
    fn = _nd_function(op)
    try:
        return inspect.signature(fn) if fn is not None else None
    except (TypeError, ValueError):
        return None


def _split_args(op: str, args: tuple, kwargs: dict) -> tuple[list, dict, dict]:
    """(positional Symbols, Symbols by keyword, other attributes)."""
    symbols = [a for a in args if isinstance(a, Symbol)]
    extras = [a for a in args if not isinstance(a, Symbol)]
    by_key = {k: v for k, v in kwargs.items() if isinstance(v, Symbol)}
    params = {k: v for k, v in kwargs.items() if not isinstance(v, Symbol) and v is not None}
    if extras:
        names = PARAM_ORDER.get(op) or _positional_params(op, len(symbols), by_key)
        if len(extras) > len(names):
            raise errors.MXNetTypeError(
                f"{op}: too many positional arguments {extras}; pass attributes by keyword"
            )
        for key, value in zip(names, extras):
            if key in params:
                raise errors.MXNetTypeError(f"{op}: attribute '{key}' given twice")
            params[key] = value
    return symbols, by_key, params


def _positional_params(op: str, n_inputs: int, by_key: dict) -> list[str]:
    sig = _signature(op)
    if sig is None:
        return []
    names = []
    for i, (pname, p) in enumerate(sig.parameters.items()):
        if p.kind is inspect.Parameter.VAR_POSITIONAL:
            return [VARARG_PARAM[op]] if op in VARARG_PARAM else names
        if p.kind is inspect.Parameter.VAR_KEYWORD or pname in ("out", "name", "ctx"):
            continue
        if i >= n_inputs and pname not in by_key and pname not in INPUTS.get(op, ()):
            names.append(pname)
    return names


def _auto_variable(name: str) -> tuple:
    return (_Node("null", name), 0)  # plain, as MXNet creates them: no scope attributes


def _inputs_by_spec(
    op: str, spec: tuple, name: str, symbols: list, by_key: dict, attrs: dict
) -> list:
    if spec == VARIADIC:
        given = symbols + list(by_key.values())
        attrs.setdefault("num_args", str(len(given)))
        return [_entry(op, f"arg{i}", s) for i, s in enumerate(given)]
    params = {k: parse_attr(v) for k, v in attrs.items()}
    names = [n for n in spec if n not in dropped(op, params)]
    if len(symbols) > len(names):
        raise errors.MXNetTypeError(f"{op} takes inputs {names}, got {len(symbols)} Symbols")
    bound = dict(zip(names, symbols))
    for key, value in by_key.items():
        if key not in names:
            raise errors.MXNetTypeError(f"{op} has no input '{key}'; its inputs are {names}")
        if key in bound:
            raise errors.MXNetTypeError(f"{op}: input '{key}' given twice")
        bound[key] = value
    return [_entry(op, n, bound[n]) if n in bound else _auto_variable(f"{name}_{n}") for n in names]


def _inputs_by_signature(op: str, symbols: list, by_key: dict) -> list:
    """Inputs of an ``nd`` operator without a table entry, in its signature's order."""
    sig = _signature(op)
    if sig is None:
        if by_key:
            raise errors.MXNetTypeError(f"{op}: pass its input Symbols positionally")
        return [_entry(op, f"arg{i}", s) for i, s in enumerate(symbols)]
    entries, pending = [], list(symbols)
    gap = None
    for pname, p in sig.parameters.items():
        if p.kind is inspect.Parameter.VAR_POSITIONAL:  # registry ops: (*args, **attrs)
            entries += [_entry(op, pname, s) for s in pending + list(by_key.values())]
            pending = []
            by_key.clear()
        elif pname in by_key or pending:
            if gap is not None:
                raise errors.MXNetTypeError(f"{op}: input '{gap}' is missing before '{pname}'")
            value = by_key.pop(pname) if pname in by_key else pending.pop(0)
            entries.append(_entry(op, pname, value))
        elif p.kind is not inspect.Parameter.VAR_KEYWORD and gap is None:
            gap = pname
    if pending or by_key:
        raise errors.MXNetTypeError(f"{op}: unexpected inputs {list(by_key) or len(pending)}")
    return entries


def create(op: str, hint: str, args: tuple, kwargs: dict) -> Symbol:
    """A Symbol for one call of MXNet operator ``op`` (``hint`` names it when unnamed)."""
    kwargs = dict(kwargs)
    name = kwargs.pop("name", None)
    attr = kwargs.pop("attr", None)
    kwargs.pop("out", None)
    kwargs.pop("ctx", None)
    symbols, by_key, params = _split_args(op, args, kwargs)
    attrs = AttrScope.current().get(attr)
    for key, value in params.items():
        attrs[f"__{key}__" if key in _HIDDEN_KEYS else key] = _attr_str(value)
    name = NameManager.current().get(name, hint)
    spec = INPUTS.get(op)
    if spec is not None:
        entries = _inputs_by_spec(op, spec, name, symbols, by_key, attrs)
    elif _nd_function(op) is not None:
        entries = _inputs_by_signature(op, symbols, by_key)
    else:
        raise errors.MXNetValueError(f"sym.{op}: no such operator in gluonlite")
    node = _Node(op, name, attrs, entries, num_outputs(op, attrs))
    return Symbol._of([(node, i) for i in range(node.num_outputs)])


def _is_operator(name: str) -> bool:
    if name in INPUTS or name in CANONICAL or name in EVAL_OPS:
        return True
    if name.startswith("__") or name in _NOT_OPERATORS:
        return False
    return _nd_function(name) is not None


_NOT_OPERATORS = {
    "NDArray",
    "invoke",
    "save",
    "load",
    "load_frombuffer",
    "waitall",
    "array",
    "empty",
    "from_numpy",
    "from_dlpack",
    "cast_storage",
    "set_default_array_class",
}


def op_function(name: str) -> Callable[..., Symbol]:
    """``sym.<name>``: the Symbol constructor of an MXNet operator."""
    if not _is_operator(name):
        raise AttributeError(f"gluonlite.sym has no operator {name!r}")
    op = CANONICAL.get(name, name)

    def constructor(*args: Any, **kwargs: Any) -> Symbol:
        return create(op, name.lower(), args, kwargs)

    constructor.__name__ = constructor.__qualname__ = name
    constructor.__doc__ = f"Symbol for MXNet operator ``{op}`` (see ``nd.{name}``)."
    return constructor


def make_loss(
    data: Symbol,
    grad_scale: float = 1.0,
    valid_thresh: float = 0.0,
    normalization: str = "null",
    name: str | None = None,
    **kwargs: Any,
) -> Symbol:
    """A loss output: forward is ``data``; backward feeds ``grad_scale`` (normalised by
    'batch' size or 'valid' count) whatever the head gradient."""
    return create(
        "make_loss",
        "make_loss",
        (data,),
        dict(
            grad_scale=grad_scale,
            valid_thresh=valid_thresh,
            normalization=normalization,
            name=name,
            **kwargs,
        ),
    )


# ---- Symbol operators and methods ---------------------------------------------------------------
def _arith(sym_op: str, scalar_op: str, hint: str, scalar_hint: str) -> Callable:
    def method(self: Symbol, other: Any) -> Symbol:
        if isinstance(other, Symbol):
            return create(sym_op, hint, (self, other), {})
        if isinstance(other, numbers.Number):
            return create(scalar_op, scalar_hint, (self,), {"scalar": other})
        return NotImplemented

    return method


def _reflected(scalar_op: str, scalar_hint: str) -> Callable:
    def method(self: Symbol, other: Any) -> Symbol:
        if isinstance(other, numbers.Number):
            return create(scalar_op, scalar_hint, (self,), {"scalar": other})
        return NotImplemented

    return method


_OPERATORS = {
    "__add__": _arith("elemwise_add", "_plus_scalar", "_plus", "_plusscalar"),
    "__sub__": _arith("elemwise_sub", "_minus_scalar", "_minus", "_minusscalar"),
    "__mul__": _arith("elemwise_mul", "_mul_scalar", "_mul", "_mulscalar"),
    "__truediv__": _arith("elemwise_div", "_div_scalar", "_div", "_divscalar"),
    "__mod__": _arith("_mod", "_mod_scalar", "_mod", "_modscalar"),
    "__pow__": _arith("_power", "_power_scalar", "_power", "_powerscalar"),
    "__eq__": _arith("_equal", "_equal_scalar", "_equal", "_equal_scalar"),
    "__ne__": _arith("_not_equal", "_not_equal_scalar", "_not_equal", "_not_equal_scalar"),
    "__gt__": _arith("_greater", "_greater_scalar", "_greater", "_greater_scalar"),
    "__ge__": _arith(
        "_greater_equal", "_greater_equal_scalar", "_greater_equal", "_greater_equal_scalar"
    ),
    "__lt__": _arith("_lesser", "_lesser_scalar", "_lesser", "_lesser_scalar"),
    "__le__": _arith(
        "_lesser_equal", "_lesser_equal_scalar", "_lesser_equal", "_lesser_equal_scalar"
    ),
    "__radd__": _reflected("_plus_scalar", "_plusscalar"),
    "__rsub__": _reflected("_rminus_scalar", "_rminusscalar"),
    "__rmul__": _reflected("_mul_scalar", "_mulscalar"),
    "__rtruediv__": _reflected("_rdiv_scalar", "_rdivscalar"),
    "__rmod__": _reflected("_rmod_scalar", "_rmodscalar"),
    "__rpow__": _reflected("_rpower_scalar", "_rpowerscalar"),
    "__neg__": lambda self: self * -1.0,
    "__abs__": lambda self: create("abs", "abs", (self,), {}),
}
# the operators MXNet's Symbol also offers as methods (``x.reshape(...)``, ``x.sum(axis=1)``)
_METHODS = (  # noqa: SIM905  (a word list reads better than 60 quoted strings)
    "reshape reshape_like zeros_like ones_like broadcast_to broadcast_like broadcast_axes repeat "
    "pad swapaxes split slice slice_axis slice_like take one_hot pick sort topk argsort argmax "
    "argmin clip abs sign flatten expand_dims tile transpose flip sum nansum prod nanprod mean "
    "max min norm round rint fix floor ceil trunc sin cos tan arcsin arccos arctan degrees "
    "radians sinh cosh tanh arcsinh arccosh arctanh exp expm1 log log10 log2 log1p sqrt rsqrt "
    "cbrt square reciprocal relu sigmoid softmax log_softmax squeeze"
).split()


def _method(name: str) -> Callable:
    op = CANONICAL.get(name, name)

    def method(self: Symbol, *args: Any, **kwargs: Any) -> Symbol:
        return create(op, name, (self, *args), kwargs)

    method.__name__ = name
    return method


def _compose(self: Symbol, *args: Symbol, **kwargs: Any) -> Symbol:
    """``sym(...)``: a copy with variables replaced by symbols (positionally in
    ``list_arguments`` order, or by name), MXNet's ``compose``."""
    name = kwargs.pop("name", None)
    if args and kwargs:
        raise errors.MXNetTypeError("compose takes symbols positionally or by name, not both")
    given = dict(zip(self.list_arguments(), args)) if args else kwargs
    for key, value in given.items():
        if not isinstance(value, Symbol) or len(value) != 1:
            raise errors.MXNetTypeError(f"compose: {key} must be a single-output Symbol")
    new: dict[int, tuple] = {}
    for node in self._topo():
        if node.op == "null" and node.name in given:
            new[id(node)] = given[node.name]._outputs[0]
        else:
            inputs = [
                (new[id(src)][0], new[id(src)][1] if src.op == "null" else idx)
                for src, idx in node.inputs
            ]
            twin = _Node(node.op, node.name, dict(node.attrs), inputs, node.num_outputs)
            new[id(node)] = (twin, 0)
    outs = [(new[id(n)][0], new[id(n)][1] if n.op == "null" else i) for n, i in self._outputs]
    if name and len(outs) == 1:
        outs[0][0].name = name
    return Symbol._of(outs)


def _astype(self: Symbol, dtype: Any, **kwargs: Any) -> Symbol:
    return create("Cast", "cast", (self,), dict(dtype=dtype, **kwargs))


def _install() -> None:
    for key, fn in _OPERATORS.items():
        setattr(Symbol, key, fn)
    Symbol.__hash__ = object.__hash__  # __eq__ builds a node, identity stays the hash
    Symbol.__div__ = Symbol.__truediv__
    for name in _METHODS:
        setattr(Symbol, name, _method(name))
    Symbol.astype = _astype
    Symbol.__call__ = _compose


_install()
