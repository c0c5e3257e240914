"""Flattening nested call arguments and results (tuples, lists, dicts, None, scalars) into
array leaves plus a hashable structure description."""
from __future__ import annotations

from typing import Any

from ..ndarray.dispatch import ArrayBase

__all__ = ["flatten", "unflatten"]

_ARRAY = "<array>"


def flatten(obj: Any) -> tuple[list, Any]:
    """Array leaves of ``obj`` and a hashable structure that ``unflatten`` inverts."""
    leaves: list = []

    def walk(x: Any) -> Any:
        if isinstance(x, ArrayBase):
            leaves.append(x)
            return _ARRAY
        if isinstance(x, (list, tuple)):
            return (type(x).__name__, tuple(walk(v) for v in x))
        if isinstance(x, dict):
            return ("dict", tuple((k, walk(v)) for k, v in x.items()))
        try:
            hash(x)
        except TypeError:
            return ("object", id(x))
        return ("value", x)

    return leaves, walk(obj)


def unflatten(structure: Any, leaves: list) -> Any:
    """Rebuild the object described by ``structure`` from ``leaves`` (consumed in order)."""
    return _build(structure, iter(leaves))


def _build(s: Any, it: Any) -> Any:
    # a module-level function, not a closure: a recursive closure is a reference cycle that
    # would keep the rebuilt outputs (and a replay's arena) alive until garbage collection
    if s == _ARRAY:
        return next(it)
    kind, body = s
    if kind == "list":
        return [_build(v, it) for v in body]
    if kind == "tuple":
        return tuple([_build(v, it) for v in body])
    if kind == "dict":
        return {k: _build(v, it) for k, v in body}
    if kind == "value":
        return body
    raise TypeError("a non-hashable Python object cannot be returned from a hybridized block")
