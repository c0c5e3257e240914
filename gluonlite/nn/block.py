"""Block and HybridBlock: the unit of model composition (MXNet's ``gluon.Block``).

Children and parameters are registered by attribute assignment; their structural names (the
attribute path, e.g. ``features.0.weight``) key ``collect_params``, ``save_parameters`` and
``load_parameters``, so names never depend on construction order.
"""
from __future__ import annotations

import re
import threading
from collections import OrderedDict
from typing import Any, Callable, Iterator

from ..errors import DeferredInitializationError, MXNetValueError
from ..ndarray import dispatch as _dispatch
from .parameter import Parameter
from .parameter_dict import ParameterDict

__all__ = ["Block", "HybridBlock", "HookHandle"]

_name_counts: dict[str, int] = {}
_hybrid_call: Callable | None = None  # installed by gluonlite.hybrid
_hybrid_export: Callable | None = None


def set_hybrid_hooks(call: Callable, export: Callable) -> None:
    """Install hybridized calls and export (done once by ``gluonlite.hybrid``, the layer above:
    this is how nn reaches it without importing it)."""
    global _hybrid_call, _hybrid_export
    _hybrid_call, _hybrid_export = call, export
_name_lock = threading.Lock()


def _auto_prefix(cls: type) -> str:
    """A cosmetic per-class name ('dense0_'), as MXNet 1.x gives; nothing keys on it."""
    base = cls.__name__.lower()
    with _name_lock:
        n = _name_counts.get(base, 0)
        _name_counts[base] = n + 1
    return f"{base}{n}_"


def _indent(text: str, spaces: int) -> str:
    lines = text.split("\n")
    return "\n".join([lines[0]] + [" " * spaces + line for line in lines[1:]])


class HookHandle:
    """Returned by ``register_forward_hook``; ``detach()`` removes the hook."""

    def __init__(self, hooks: dict, key: int) -> None:
        self._hooks, self._key = hooks, key

    def detach(self) -> None:
        self._hooks.pop(self._key, None)

    def __enter__(self) -> HookHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.detach()


class Block:
    """Base class of all layers and models; subclasses implement ``forward``."""

    def __init__(self, prefix: str | None = None, params: ParameterDict | None = None) -> None:
        object.__setattr__(self, "_children", OrderedDict())
        object.__setattr__(self, "_reg_params", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        self._prefix = prefix if prefix is not None else _auto_prefix(type(self))
        self._params = ParameterDict("", shared=params)

    # ---- registration -----------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if "_children" not in self.__dict__:
            raise RuntimeError(
                f"{type(self).__name__}.__init__ must call super().__init__() before assigning "
                "attributes"
            )
        existing = self.__dict__.get(name)
        if isinstance(existing, (Block, Parameter)) and not isinstance(value, type(existing)):
            if not (isinstance(existing, Block) and isinstance(value, Block)):
                raise TypeError(
                    f"changing attribute '{name}' of {type(self).__name__} from "
                    f"{type(existing).__name__} to {type(value).__name__} is not allowed"
                )
        self._children.pop(name, None)
        self._reg_params.pop(name, None)
        if isinstance(value, Block):
            self._children[name] = value
        elif isinstance(value, Parameter):
            self._reg_params[name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self._children.pop(name, None)
        self._reg_params.pop(name, None)
        object.__delattr__(self, name)

    def register_child(self, block: Block, name: str | None = None) -> Block:
        """Register a child block (Sequential names them '0', '1', ...)."""
        name = str(len(self._children)) if name is None else name
        self._children[name] = block
        return block

    @property
    def prefix(self) -> str:
        return self._prefix

    @property
    def name(self) -> str:
        return self._prefix[:-1] if self._prefix.endswith("_") else self._prefix

    def name_scope(self):
        """Kept for MXNet 1.x code; names are structural, so this scope changes nothing."""
        return _NullScope()

    @property
    def params(self) -> ParameterDict:
        """This block's own parameters (not its children's), MXNet 1.x ``self.params``."""
        own = ParameterDict()
        own.update(self._params.items())
        for name, p in self._reg_params.items():
            if p not in own.values():
                own[name] = p
        return own

    # ---- traversal --------------------------------------------------------------------------
    def _own_params(self) -> Iterator[tuple[str, Parameter]]:
        yield from self._reg_params.items()
        registered = set(map(id, self._reg_params.values()))
        for name, p in self._params.items():
            if id(p) not in registered:
                yield name, p

    def _collect_params_with_prefix(self, prefix: str = "", saved: bool = False) -> OrderedDict:
        """Structural name → parameter for this block and its descendants. ``saved`` asks for
        the names files use, which only MXNet's rnn layers spell differently."""
        out = OrderedDict((prefix + name, p) for name, p in self._own_params())
        for cname, child in self._children.items():
            out.update(child._collect_params_with_prefix(f"{prefix}{cname}.", saved))
        return out

    def collect_params(self, select: str | None = None) -> ParameterDict:
        """Every parameter of this block and its descendants, keyed by structural name; with
        ``select`` only names matching the regular expression (e.g. '.*weight|.*bias')."""
        out = ParameterDict()
        seen = set()
        regex = re.compile(select) if select else None
        for name, p in self._collect_params_with_prefix().items():
            if id(p) in seen or (regex is not None and not regex.match(name)):
                continue
            seen.add(id(p))
            out[name] = p
        return out

    def apply(self, fn: Callable[[Block], Any]) -> Block:
        """Call ``fn`` on every descendant, then on this block."""
        for child in self._children.values():
            child.apply(fn)
        fn(self)
        return self

    # ---- parameters -------------------------------------------------------------------------
    def initialize(self, init: Any = None, ctx: Any = None, verbose: bool = False,
                   force_reinit: bool = False) -> None:
        """Initialize every parameter (deferred ones at the first forward)."""
        self.collect_params().initialize(init, ctx, verbose, force_reinit)

    def zero_grad(self) -> None:
        self.collect_params().zero_grad()

    def reset_ctx(self, ctx: Any) -> None:
        self.collect_params().reset_ctx(ctx)

    def cast(self, dtype: Any) -> None:
        """Cast every parameter to ``dtype``."""
        for child in self._children.values():
            child.cast(dtype)
        for _, p in self._own_params():
            p.cast(dtype)

    def share_parameters(self, shared: dict) -> Block:
        """Use the given parameters (structural name → Parameter) in place of this block's."""
        for name, param in shared.items():
            owner, _, attr = self._owner_of(name)
            if attr in owner._reg_params:
                setattr(owner, attr, param)
            else:
                owner._params[attr] = param
        return self

    def _owner_of(self, name: str) -> tuple[Block, str, str]:
        block = self
        *path, attr = name.split(".")
        for part in path:
            if part not in block._children:
                raise MXNetValueError(f"no child block '{part}' on the path of parameter '{name}'")
            block = block._children[part]
        if attr not in block._reg_params and attr not in block._params:
            raise MXNetValueError(f"block has no parameter named '{name}'")
        return block, ".".join(path), attr

    def save_parameters(self, filename: str, deduplicate: bool = False) -> None:
        """Write every parameter under its structural name, in MXNet's ``.params`` format
        (atomically: a crash never leaves a half-written file)."""
        from ..ndarray import save

        arrays, seen = {}, set()
        for name, p in self._collect_params_with_prefix(saved=True).items():
            if deduplicate and id(p) in seen:
                continue
            seen.add(id(p))
            arrays[name] = p.data(p.list_ctx()[0])
        save(filename, arrays)

    def load_parameters(self, filename: str, ctx: Any = None, allow_missing: bool = False,
                        ignore_extra: bool = False, cast_dtype: bool = False,
                        dtype_source: str = "current") -> None:
        """Load values written by ``save_parameters`` (gluonlite's or MXNet 1.9's)."""
        from ..ndarray import load
        from .param_io import assign_loaded

        loaded = load(filename)
        if not isinstance(loaded, dict):
            raise MXNetValueError(f"{filename} holds a list of arrays, not named parameters")
        params = self._collect_params_with_prefix(saved=True)
        loaded = self._rename_loaded(loaded, params)
        assign_loaded(params, loaded, filename, ctx, allow_missing, ignore_extra, cast_dtype,
                      dtype_source)

    def _rename_loaded(self, loaded: dict, params: dict) -> dict:
        """Map the names in a file to this model's (deduplicated saves share one entry)."""
        if all(k in params for k in loaded):
            return loaded
        by_id: dict[int, list[str]] = {}
        for name, p in params.items():
            by_id.setdefault(id(p), []).append(name)
        out = dict(loaded)
        for names in by_id.values():
            present = [n for n in names if n in loaded]
            if present:
                for n in names:
                    out.setdefault(n, loaded[present[0]])
        return out

    save_params = save_parameters
    load_params = load_parameters

    # ---- calling ----------------------------------------------------------------------------
    def register_forward_pre_hook(self, hook: Callable) -> HookHandle:
        """``hook(block, inputs)`` runs before each forward."""
        key = id(hook) ^ len(self._forward_pre_hooks)
        self._forward_pre_hooks[key] = hook
        return HookHandle(self._forward_pre_hooks, key)

    def register_forward_hook(self, hook: Callable) -> HookHandle:
        """``hook(block, inputs, outputs)`` runs after each forward."""
        key = id(hook) ^ len(self._forward_hooks)
        self._forward_hooks[key] = hook
        return HookHandle(self._forward_hooks, key)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        for hook in list(self._forward_pre_hooks.values()):
            hook(self, args)
        out = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            hook(self, args, out)
        return out

    def forward(self, *args: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    def hybridize(self, active: bool = True, **kwargs: Any) -> None:
        """Hybridize every HybridBlock below this block."""
        for child in self._children.values():
            child.hybridize(active, **kwargs)

    def summary(self, *inputs: Any) -> None:
        """Print each layer's output shape and parameter count for one forward of ``inputs``."""
        from .summary import print_summary

        print_summary(self, *inputs)

    # ---- printing ---------------------------------------------------------------------------
    def __repr__(self) -> str:
        children = "\n".join(
            f"  ({key}): {_indent(repr(block), 2)}" for key, block in self._children.items()
        )
        return f"{type(self).__name__}(\n{children}\n)" if children else f"{type(self).__name__}()"


class _NullScope:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc) -> None:
        return None


class HybridBlock(Block):
    """A Block that can be hybridized. Subclasses write ``forward(x, ...)``, or MXNet 1.x style
    ``hybrid_forward(self, F, x, ..., **params)`` where ``F`` is the ``nd`` namespace and each
    registered parameter arrives by name. Layers with deferred shapes implement
    ``infer_shape(*args)``."""

    def __init__(self, prefix: str | None = None, params: ParameterDict | None = None) -> None:
        super().__init__(prefix, params)
        self._active = False
        self._flags: dict[str, Any] = {}

    def hybridize(self, active: bool = True, static_alloc: bool = False,
                  static_shape: bool = False, **kwargs: Any) -> None:
        """Trace, optimise and replay this block (and its children): ``static_alloc`` keeps one
        memory arena across calls, ``static_shape`` pins the input shapes, ``check=True`` (or
        GLUONLITE_HYBRID_CHECK=1) compares every replay with eager mode op by op, and
        ``remat=False`` keeps every forward value the backward reads instead of recomputing
        the cheap ones (batch norm, activations) in backward (MXNet's backward mirror)."""
        self._active = active
        self._flags = {"static_alloc": static_alloc, "static_shape": static_shape, **kwargs}
        self.__dict__.pop("_hybrid_state", None)  # new flags: trace again
        super().hybridize(active, static_alloc=static_alloc, static_shape=static_shape, **kwargs)

    def export(self, path: str, epoch: int = 0, remove_amp_cast: bool = True) -> tuple[str, str]:
        """Write ``path-symbol.json`` and ``path-%04d.params`` (MXNet's formats) from the graph
        of the latest hybridized call; ``SymbolBlock.imports`` loads them without this class."""
        if _hybrid_export is None:
            raise RuntimeError("gluonlite.hybrid is not loaded")
        return _hybrid_export(self, path, epoch, remove_amp_cast)

    def infer_shape(self, *args: Any) -> None:
        """Set the unknown dimensions of this block's parameters from the inputs."""
        pending = [n for n, p in self._own_params() if p._data is None]
        raise DeferredInitializationError(
            f"{type(self).__name__} has parameters {pending} of unknown shape and does not "
            "implement infer_shape(*inputs) to infer them: give the full shapes when creating "
            "the parameters, or implement infer_shape in this block"
        )

    def _finish_deferred(self, args: tuple) -> None:
        pending = [p for _, p in self._own_params() if p._data is None and p._deferred is not None]
        if not pending:
            return
        if any(p.shape is None or not all(d > 0 for d in p.shape) for p in pending):
            self.infer_shape(*args)
        for p in pending:
            p._finish_deferred_init()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        for _, p in self._own_params():
            if p._data is None:
                self._finish_deferred(args)
                break
        if self._active and _hybrid_call is not None and _dispatch.trace_hook is None:
            for hook in list(self._forward_pre_hooks.values()):
                hook(self, args)
            out = _hybrid_call(self, args, kwargs)
            for hook in list(self._forward_hooks.values()):
                hook(self, args, out)
            return out
        return super().__call__(*args, **kwargs)

    @property
    def graph(self):
        """The forward graph of the latest hybridized call (None before the first)."""
        state = self.__dict__.get("_hybrid_state")
        return state.last.graph if state is not None and state.last is not None else None

    def memory_report(self) -> str:
        """Naive vs planned bytes of the latest hybridized program."""
        state = self.__dict__.get("_hybrid_state")
        entry = state.last if state is not None else None
        if entry is None:
            return "not hybridized or not called yet"
        lines = []
        for kind, prog in (("inference", entry.infer), ("training", entry.train)):
            if prog is not None:
                lines.append(f"{kind}: {prog.plan.report()}")
        return "\n".join(lines) or "no program compiled yet"

    def forward(self, x: Any, *args: Any, **kwargs: Any) -> Any:
        """Default forward: call the MXNet 1.x ``hybrid_forward`` with ``F`` and parameters."""
        if type(self).hybrid_forward is HybridBlock.hybrid_forward:
            raise NotImplementedError(
                f"{type(self).__name__} must implement forward(x, ...) or hybrid_forward(F, x, ...)"
            )
        from .. import ndarray as F

        ctx = getattr(x, "context", None)
        params = {name: p.data(ctx) for name, p in self._reg_params.items()}
        return self.hybrid_forward(F, x, *args, **kwargs, **params)

    def hybrid_forward(self, F: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError
