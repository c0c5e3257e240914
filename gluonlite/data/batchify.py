"""Batchify functions: turn a list of samples into a batch (MXNet's ``gluon.data.batchify``).

``default_batchify_fn`` is what a DataLoader uses unless given another: arrays are stacked,
numbers and NumPy arrays become one array (their dtype kept, as in MXNet), tuple samples are
batched field by field into a list. ``Stack``, ``Pad``, ``Group``/``Tuple``, ``List`` and
``Append`` build custom ones. Results are arrays of the input's class, or of the default array
class (``nd.NDArray``, or ``np.ndarray`` under the NumPy interface) for non-array input. Large
outputs are allocated through ``_shm.empty``, so inside a DataLoader worker they are built
directly in shared memory.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy

from .. import errors
from ..context import cpu
from ..ndarray import creation
from ..ndarray.dispatch import ArrayBase, default_array_class
from . import _shm

__all__ = [
    "Append", "AsList", "Group", "List", "Pad", "Stack", "Tuple", "default_batchify_fn",
    "default_mp_batchify_fn",
]  # fmt: skip


def _wrap(values: numpy.ndarray, like: Any = None) -> ArrayBase:
    """``values`` as an array of ``like``'s class (the default class when ``like`` is not an
    array), on cpu."""
    cls = type(like) if isinstance(like, ArrayBase) else default_array_class()
    return cls._wrap(values, cpu())


def _shape_error(what: str, shapes: Sequence[tuple], exc: Exception) -> errors.ShapeError:
    distinct = sorted({tuple(s) for s in shapes}, key=str)
    return errors.ShapeError(
        f"{what}: cannot stack samples of different shapes {distinct[:4]}; give them one shape "
        f"in a transform (e.g. Resize), or pad them with batchify.Pad ({exc})"
    )


def _stack_raw(raws: Sequence[Any], dtype: numpy.dtype, what: str) -> numpy.ndarray:
    """NumPy arrays stacked along a new first axis into a fresh (possibly shared) buffer."""
    out = _shm.empty((len(raws), *raws[0].shape), dtype)
    try:
        numpy.stack(raws, out=out, casting="unsafe")
    except ValueError as exc:
        raise _shape_error(what, [r.shape for r in raws], exc) from None
    return out


def _stack_arrays(arrays: Sequence[ArrayBase], what: str) -> ArrayBase:
    """gluonlite arrays stacked along a new first axis (no autograd record: this is data)."""
    first = arrays[0]
    raws = [a._data for a in arrays]
    xp = first.context.xp
    if xp is numpy:
        return type(first)._wrap(_stack_raw(raws, first.dtype, what), first.context)
    with first.context.device():
        try:
            return type(first)._wrap(xp.stack(raws), first.context)
        except ValueError as exc:
            raise _shape_error(what, [r.shape for r in raws], exc) from None


def _stack_values(data: Sequence[Any], what: str) -> ArrayBase:
    """NumPy arrays, numbers or nested lists as one array, keeping NumPy's dtype."""
    first = data[0]
    if isinstance(first, numpy.ndarray):
        dtype = first.dtype
        if any(d.dtype != dtype for d in data):
            dtype = numpy.result_type(*data)
        return _wrap(_stack_raw(data, dtype, what))
    try:
        values = numpy.asarray(data)
    except ValueError as exc:
        raise _shape_error(what, [numpy.shape(d) for d in data], exc) from None
    if values.dtype.hasobject:
        raise errors.MXNetTypeError(
            f"{what}: cannot batch samples of type {type(first).__name__}; return arrays, "
            "numbers or tuples of them from the dataset, or pass a batchify_fn"
        )
    return _wrap(values)


def default_batchify_fn(data: Sequence[Any]) -> Any:
    """Collate samples into a batch: arrays are stacked, numbers and NumPy arrays become one
    array, tuples are batched field by field (into a list), dicts key by key; strings stay a
    list."""
    first = data[0]
    if isinstance(first, ArrayBase):
        return _stack_arrays(data, "default_batchify_fn")
    if isinstance(first, tuple):
        if any(len(d) != len(first) for d in data):
            raise errors.MXNetValueError(
                f"default_batchify_fn: samples have different numbers of fields "
                f"({sorted({len(d) for d in data})})"
            )
        return [default_batchify_fn(field) for field in zip(*data)]
    if isinstance(first, dict):
        return {key: default_batchify_fn([d[key] for d in data]) for key in first}
    if isinstance(first, (str, bytes)):
        return list(data)
    return _stack_values(data, "default_batchify_fn")


default_mp_batchify_fn = default_batchify_fn  # MXNet's name for the worker variant


class Stack:
    """Stack samples of one shape into a batch: arrays, NumPy arrays, numbers or equal-length
    lists (``use_shared_mem`` is accepted for MXNet; workers always use shared memory)."""

    def __init__(self, use_shared_mem: bool = False) -> None:
        self._use_shared_mem = use_shared_mem

    def __call__(self, data: Sequence[Any]) -> ArrayBase:
        if isinstance(data[0], ArrayBase):
            return _stack_arrays(data, "Stack")
        return _stack_values(data, "Stack")


class Pad:
    """Pad samples with ``pad_val`` to the largest size along each axis, then stack them.

    ``axis`` is the variable-length axis of a sample: with ``ret_length=True`` the call returns
    ``(batch, lengths)`` where ``lengths`` (int32) are the samples' sizes along it, and
    ``round_to`` rounds the padded size along it up to a multiple. ``dtype`` defaults to the
    samples' dtype. ``val`` is MXNet 2's name for ``pad_val``.
    """

    def __init__(
        self, axis: int = 0, pad_val: Any = None, ret_length: bool = False, dtype: Any = None,
        round_to: int | None = None, use_shared_mem: bool = False, val: Any = None,
    ) -> None:  # fmt: skip
        self._axis = axis
        if pad_val is None:
            pad_val = 0 if val is None else val
        self._pad_val = pad_val
        self._ret_length = ret_length
        self._dtype = dtype
        self._round_to = round_to

    def __call__(self, data: Sequence[Any]) -> Any:
        if isinstance(data[0], tuple):
            raise errors.MXNetTypeError(
                "Pad() pads one field; for tuple samples use Group(Pad(), Stack(), ...)"
            )
        like = data[0]
        arrays = [x.asnumpy() if isinstance(x, ArrayBase) else numpy.asarray(x) for x in data]
        ndim = arrays[0].ndim
        if ndim == 0 or any(a.ndim != ndim for a in arrays):
            raise errors.ShapeError(
                f"Pad: samples must be arrays or lists with the same number of dimensions (at "
                f"least 1), got shapes {sorted({a.shape for a in arrays}, key=str)[:4]}"
            )
        axis = self._axis + ndim if self._axis < 0 else self._axis
        if not 0 <= axis < ndim:
            raise errors.MXNetValueError(
                f"Pad: axis {self._axis} is out of range for {ndim}-d samples"
            )
        shape = [max(a.shape[d] for a in arrays) for d in range(ndim)]
        if self._round_to:
            shape[axis] = (shape[axis] + self._round_to - 1) // self._round_to * self._round_to
        dtype = numpy.dtype(self._dtype) if self._dtype is not None else arrays[0].dtype
        out = _shm.empty((len(arrays), *shape), dtype)
        out.fill(self._pad_val)
        for i, a in enumerate(arrays):
            out[(i, *(slice(0, s) for s in a.shape))] = a
        batch = _wrap(out, like)
        if not self._ret_length:
            return batch
        lengths = numpy.array([a.shape[axis] for a in arrays], dtype=numpy.int32)
        return batch, _wrap(lengths, like)


class Group:
    """Apply the i-th batchify function to the i-th field of every sample; returns a tuple.

    ``Group(f, g)`` and ``Group([f, g])`` are the same; ``Tuple`` is GluonNLP's name.
    """

    def __init__(self, fn: Any, *args: Callable) -> None:
        if isinstance(fn, (list, tuple)):
            if args:
                raise errors.MXNetValueError(
                    "Group takes either Group(f, g, ...) or Group([f, g, ...]), not both"
                )
            fns = tuple(fn)
        else:
            fns = (fn, *args)
        for i, f in enumerate(fns):
            if not callable(f):
                raise errors.MXNetTypeError(
                    f"Group: batchify function {i} is not callable ({type(f).__name__})"
                )
        self._fn = fns

    def __call__(self, data: Sequence[Any]) -> tuple:
        if len(data[0]) != len(self._fn):
            raise errors.MXNetValueError(
                f"Group has {len(self._fn)} batchify functions but the samples have "
                f"{len(data[0])} fields"
            )
        return tuple(fn([sample[i] for sample in data]) for i, fn in enumerate(self._fn))


Tuple = Group


class List:
    """Keep the samples as a plain list (text, variable-size objects)."""

    def __call__(self, data: Sequence[Any]) -> list:
        return list(data)


AsList = List


class Append:
    """A list of arrays, one per sample, of any shapes; with ``expand`` each gets a batch axis
    of size 1 at ``batch_axis``."""

    def __init__(self, expand: bool = True, batch_axis: int = 0, use_shared_mem: bool = False):
        self._expand = expand
        self._batch_axis = batch_axis

    def __call__(self, data: Sequence[Any]) -> list:
        out = [x if isinstance(x, ArrayBase) else creation.array(x) for x in data]
        if not self._expand:
            return out
        result = []
        for x in out:
            xp = x.context.xp
            result.append(type(x)._wrap(xp.expand_dims(x._data, self._batch_axis), x.context))
        return result
