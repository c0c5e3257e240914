"""NDArray ``x[key]`` and ``x[key] = v``: NumPy basic and advanced indexing on the registry's
``getitem``/``index_update`` primitives.

Basic indexing returns a view that shares memory (``x[1:3][:] = 5`` changes x). Assignment
writes into the buffer outside ``autograd.record()``; under recording it records a functional
``index_update`` and rebinds the array, so the tape stays a pure function of its inputs.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy

from .. import errors
from ..autograd.state import STATE
from ..autograd.tape import Leaf
from ..ops.indexing import ARRAY, build_index
from ..ops.registry import P
from . import dispatch
from .dispatch import ArrayBase

__all__: list[str] = []
METHODS = ("__getitem__", "__setitem__", "_index_result")

_SIMPLE = (int, type(None), type(Ellipsis))


def _bound(v: Any) -> int | None:
    return None if v is None else operator.index(v)


def _index_array(k: Any, like: ArrayBase) -> ArrayBase:
    """An index entry as an integer or boolean array on ``like``'s device (MXNet also takes
    float index arrays: their values are truncated to integers)."""
    if isinstance(k, ArrayBase):
        if k._ctx != like._ctx:
            k = k.as_in_context(like._ctx)
        return P.astype(k, dtype=numpy.int64) if k.dtype.kind == "f" else k
    values = numpy.asarray(k)
    if values.dtype.kind == "f" or values.size == 0:
        if values.size and not numpy.all(values == numpy.trunc(values)):
            raise errors.MXNetIndexError(f"index {k!r} holds non-integer values")
        values = values.astype(numpy.int64)
    elif values.dtype.kind not in "iub":
        raise errors.MXNetIndexError(
            f"only integers, slices, None, Ellipsis and integer or boolean arrays are valid "
            f"indices, not {type(k).__name__} {k!r}"
        )
    return type(like)._wrap(like._ctx.xp.asarray(values), like._ctx)


def normalize_key(key: Any, like: ArrayBase) -> tuple[tuple, list]:
    """A user index as (hashable key template, index arrays): see ``gluonlite.ops.indexing``."""
    entries = key if key.__class__ is tuple else (key,)
    template = []
    arrays = []
    for k in entries:
        if k.__class__ in _SIMPLE:
            template.append(k)
        elif k.__class__ is slice:
            template.append((_bound(k.start), _bound(k.stop), _bound(k.step)))
        elif isinstance(k, (int, numpy.integer)) and not isinstance(k, (bool, numpy.bool_)):
            template.append(int(k))
        else:
            template.append(ARRAY)
            arrays.append(_index_array(k, like))
    return tuple(template), arrays


def _index_result(self: ArrayBase, out: ArrayBase) -> ArrayBase:
    """MXNet's ``nd`` has no 0-d arrays: a scalar result comes back with shape (1,). (The
    NumPy-flavoured array class overrides this to keep NumPy's 0-d results.)"""
    return P.reshape(out, newshape=(1,)) if out.ndim == 0 else out


def __getitem__(self: ArrayBase, key: Any) -> ArrayBase:
    """NumPy indexing: ints, slices, None, Ellipsis, integer arrays and boolean masks; basic
    indexing gives a view sharing memory with this array."""
    template, arrays = normalize_key(key, self)
    return self._index_result(P.getitem(self, *arrays, key=template))


def _value(value: Any, like: ArrayBase) -> Any:
    """The right-hand side of an assignment: a Python scalar or an array on ``like``'s device."""
    if isinstance(value, ArrayBase):
        return value if value._ctx == like._ctx else value.as_in_context(like._ctx)
    if isinstance(value, (int, float, bool)):
        return value
    if isinstance(value, numpy.generic):
        return value.item()
    return type(like)._wrap(like._ctx.xp.asarray(value, dtype=like.dtype), like._ctx)


def __setitem__(self: ArrayBase, key: Any, value: Any) -> None:
    """Assign ``value`` (scalar or array, broadcast to the region) at ``key``: in place
    outside recording, as a recorded functional update (the array is rebound) under it."""
    template, arrays = normalize_key(key, self)
    value = _value(value, self)
    recorded = STATE.recording and (
        self._entry is not None or (isinstance(value, ArrayBase) and value._entry is not None)
    )
    if recorded or dispatch.trace_hook is not None:
        if self._entry is not None and isinstance(self._entry[0], Leaf):
            raise errors.MXNetRuntimeError(
                "assignment into an array that has attach_grad() while autograd is recording; "
                "build a new array instead (e.g. with nd.where or nd.concat), or assign "
                "outside autograd.record()"
            )
        result = P.index_update(self, value, *arrays, key=template)
        self._data, self._entry = result._data, result._entry
        return
    data = self._data
    if not getattr(data.flags, "writeable", True):  # a broadcast view: give it its own buffer
        data = self._data = data.copy()
    raw = value._data if isinstance(value, ArrayBase) else value
    try:
        data[build_index(template, tuple(a._data for a in arrays))] = raw
    except (ValueError, IndexError, TypeError) as exc:
        args = (self, value, *arrays)
        raise dispatch.op_error(P.index_update, args, {"key": template}, exc) from None
