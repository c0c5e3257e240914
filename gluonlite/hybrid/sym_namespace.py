"""``gluonlite.sym`` (MXNet's ``mx.sym``/``mx.symbol``): variables, groups, loading, and every
MXNet operator as a Symbol constructor (``sym.FullyConnected``, ``sym.SoftmaxOutput``...).

Operator constructors are made on first access by ``symbol_ops.op_function``, so every
``nd`` operator and the symbol-only ones (loss outputs, ``make_loss``) are available.
"""

from __future__ import annotations

from typing import Any

from .sym_executor import Executor
from .symbol import Group, Symbol, Variable, load, load_json, var
from .symbol_ops import AttrScope, NameManager, Prefix, make_loss, op_function

__all__ = [
    "AttrScope",
    "Executor",
    "Group",
    "NameManager",
    "Prefix",
    "Symbol",
    "Variable",
    "load",
    "load_json",
    "make_loss",
    "ones",
    "var",
    "zeros",
]


def zeros(shape: Any, dtype: Any = None, **kwargs: Any) -> Symbol:
    """A constant node of zeros (MXNet's ``_zeros``)."""
    return op_function("zeros")(shape=tuple(shape), dtype=dtype or "float32", **kwargs)


def ones(shape: Any, dtype: Any = None, **kwargs: Any) -> Symbol:
    """A constant node of ones (MXNet's ``_ones``)."""
    return op_function("ones")(shape=tuple(shape), dtype=dtype or "float32", **kwargs)


def __getattr__(name: str) -> Any:
    fn = op_function(name)  # AttributeError for names that are not operators
    globals()[name] = fn
    return fn
