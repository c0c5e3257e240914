"""ParameterDict: an ordered name → Parameter mapping with bulk operations (MXNet's
``gluon.ParameterDict``). ``Block.collect_params()`` returns one keyed by structural names."""
from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any, Iterator

from ..errors import MXNetValueError
from .parameter import Constant, Parameter

__all__ = ["ParameterDict"]


class ParameterDict:
    """Dict-like container of Parameters; ``get`` creates parameters MXNet-1.x style."""

    def __init__(self, prefix: str = "", shared: ParameterDict | None = None) -> None:
        self._prefix = prefix
        self._params: OrderedDict[str, Parameter] = OrderedDict()
        self._shared = shared

    @property
    def prefix(self) -> str:
        return self._prefix

    # ---- mapping ----------------------------------------------------------------------------
    def __getitem__(self, key: str) -> Parameter:
        return self._params[key]

    def __setitem__(self, key: str, value: Parameter) -> None:
        self._params[key] = value

    def __contains__(self, key: object) -> bool:
        return key in self._params

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)

    def keys(self):
        return self._params.keys()

    def values(self):
        return self._params.values()

    def items(self):
        return self._params.items()

    def update(self, other: Any) -> None:
        """Add the parameters of another dict; a name bound to a different parameter is an error."""
        for k, v in (other.items() if hasattr(other, "items") else other):
            if k in self._params and self._params[k] is not v:
                raise MXNetValueError(
                    f"cannot update ParameterDict: '{k}' already names a different parameter"
                )
            self._params[k] = v

    def __repr__(self) -> str:
        body = "\n".join(f"  {p!r}" for p in self._params.values())
        return f"{type(self).__name__} (\n{body}\n)"

    # ---- creation (Gluon 1.x style) ---------------------------------------------------------
    def get(self, name: str, **kwargs: Any) -> Parameter:
        """The parameter ``prefix + name``, created with ``kwargs`` if absent (and shared from
        the ``shared`` dict when that has it)."""
        full = self._prefix + name
        param = self._params.get(full)
        if param is None and self._shared is not None:
            param = self._shared._params.get(full)
            if param is not None:
                self._params[full] = param
        if param is None:
            param = self._params[full] = Parameter(name, **kwargs)
            return param
        for key, value in kwargs.items():
            if key == "shape" and value is not None:
                param.shape = value
            elif value is not None and hasattr(param, key) and key != "shape":
                setattr(param, key, value)
        return param

    def get_constant(self, name: str, value: Any = None) -> Constant:
        """The constant ``prefix + name``, created from ``value`` if absent."""
        full = self._prefix + name
        if full not in self._params:
            if value is None:
                raise MXNetValueError(f"no constant '{full}' exists and no value was given")
            self._params[full] = Constant(name, value)
        return self._params[full]

    # ---- bulk operations --------------------------------------------------------------------
    def initialize(self, init: Any = None, ctx: Any = None, verbose: bool = False,
                   force_reinit: bool = False) -> None:
        """Initialize every parameter (those with their own ``init`` keep it)."""
        from .. import init as initializer

        default = initializer.Uniform() if init is None else initializer.create(init)
        for param in self.values():
            param.initialize(None, ctx, default_init=default, force_reinit=force_reinit)

    def zero_grad(self) -> None:
        for param in self.values():
            param.zero_grad()

    def reset_ctx(self, ctx: Any) -> None:
        for param in self.values():
            param.reset_ctx(ctx)

    def list_ctx(self) -> list:
        seen = []
        for param in self.values():
            for c in param.list_ctx():
                if c not in seen:
                    seen.append(c)
        return seen

    def setattr(self, name: str, value: Any) -> None:
        """Set one attribute (``grad_req``, ``lr_mult``, ``wd_mult``...) on every parameter."""
        for param in self.values():
            setattr(param, name, value)

    def select(self, pattern: str | None) -> ParameterDict:
        """The parameters whose names match the regular expression (``re.match``)."""
        out = ParameterDict(self._prefix)
        regex = re.compile(pattern) if pattern else None
        for k, v in self.items():
            if regex is None or regex.match(k):
                out[k] = v
        return out

    def save(self, filename: str, strip_prefix: str = "") -> None:
        """Save the values (first context) under their names, minus ``strip_prefix``."""
        from ..ndarray import save

        arrays = {}
        for name, param in self.items():
            if strip_prefix and not name.startswith(strip_prefix):
                raise MXNetValueError(
                    f"prefix '{strip_prefix}' is to be stripped, but parameter '{name}' does "
                    "not start with it"
                )
            arrays[name[len(strip_prefix):]] = param.data(param.list_ctx()[0])
        save(filename, arrays)

    def load(self, filename: str, ctx: Any = None, allow_missing: bool = False,
             ignore_extra: bool = False, restore_prefix: str = "", cast_dtype: bool = False,
             dtype_source: str = "current") -> None:
        """Load values saved by :meth:`save` (or MXNet), matching names after ``restore_prefix``."""
        from ..ndarray import load
        from .param_io import assign_loaded

        loaded = {restore_prefix + k: v for k, v in load(filename).items()}
        assign_loaded(dict(self.items()), loaded, filename, ctx, allow_missing, ignore_extra,
                      cast_dtype, dtype_source)
