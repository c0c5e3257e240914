"""Eager dispatch: unwrap the inputs, run the op's forward on NumPy/CuPy, wrap the outputs,
and push a tape node when autograd is recording. Every op call in gluonlite comes through here.

``trace_hook`` is the one place where hybridize plugs in: when set, it sees every op call.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy

from .. import errors
from ..autograd.state import STATE
from ..autograd.tape import Node, Stub
from ..context import current_context
from ..ops import registry

__all__ = ["ArrayBase", "invoke", "invoke_inplace", "set_default_array_class", "trace_hook"]

_np_ndarray = numpy.ndarray
trace_hook: Callable[..., None] | None = None


class ArrayBase:
    """The data-carrying core of every gluonlite array: a raw xp array, its context, and its
    place on the autograd tape (``_entry``: a (node, output index) pair, or None)."""

    __slots__ = ("__weakref__", "_ctx", "_data", "_entry")
    __array_priority__ = 1000.0
    __array_ufunc__ = None  # make NumPy defer to our reflected operators

    @classmethod
    def _wrap(cls, data: Any, ctx, entry=None):
        a = object.__new__(cls)
        a._data = data
        a._ctx = ctx
        a._entry = entry
        return a


_default_cls: type = ArrayBase


def set_default_array_class(cls: type) -> None:
    """The class of arrays made by ops without array inputs (nd.NDArray, or np.ndarray)."""
    global _default_cls
    _default_cls = cls


def default_array_class() -> type:
    return _default_cls


def _describe(args: tuple) -> str:
    parts = []
    for a in args:
        if isinstance(a, ArrayBase):
            parts.append(f"array{tuple(a._data.shape)} {a._data.dtype}")
        else:
            parts.append(repr(a))
    return ", ".join(parts)


def op_error(op, args: tuple, attrs: dict, exc: Exception) -> errors.MXNetError:
    """Turn a backend failure into an error naming the op, every input shape and the user's line."""
    if isinstance(exc, errors.MXNetError):
        kind = type(exc)
    elif isinstance(exc, TypeError):
        kind = errors.MXNetTypeError
    elif isinstance(exc, IndexError):
        kind = errors.MXNetIndexError
    elif "shape" in str(exc) or "broadcast" in str(exc) or "dimension" in str(exc):
        kind = errors.ShapeError
    else:
        kind = errors.MXNetValueError
    shown = {k: v for k, v in attrs.items() if k != "out"}
    attr_text = f", attrs {shown}" if shown else ""
    return kind(
        f"operator '{op.name}' failed on inputs ({_describe(args)}){attr_text}: {exc}\n"
        f"  called from {errors.user_frame()}"
    )


def _check_contexts(first, args: tuple) -> None:
    ctx = first._ctx
    for a in args:
        if isinstance(a, ArrayBase) and a._ctx is not ctx and a._ctx != ctx:
            raise errors.MXNetValueError(
                f"inputs live on different devices ({ctx} and {a._ctx}); "
                "move them with as_in_context(ctx) first"
            )


def invoke(op, args: tuple, attrs: dict):
    """Run ``op`` eagerly on ``args`` (arrays or Python scalars) with keyword ``attrs``."""
    raw = []
    first = None
    wants_grad = False
    for a in args:
        if isinstance(a, ArrayBase):
            if first is None:
                first = a
            elif a._ctx is not first._ctx:
                _check_contexts(first, args)
            raw.append(a._data)
            if a._entry is not None:
                wants_grad = True
        else:
            raw.append(a)
    if first is not None:
        ctx = first._ctx
        cls = first.__class__
        kwargs = attrs
    else:
        ctx = attrs.get("ctx") or current_context()
        cls = _default_cls
        kwargs = {k: v for k, v in attrs.items() if k != "ctx"}
    xp = ctx.xp
    try:
        if xp is numpy:
            out = op.forward(xp, *raw, **kwargs)
        else:
            with ctx.device():
                out = op.forward(xp, *raw, **kwargs)
    except Exception as exc:  # backend errors become errors that name the op and shapes
        if isinstance(exc, (ValueError, TypeError, IndexError, errors.MXNetError)):
            raise op_error(op, args, attrs, exc) from None
        raise
    if op.num_outputs == 1:
        if out.__class__ is not _np_ndarray and xp is numpy:
            out = numpy.asarray(out)
        result = _new(cls)
        result._data = out
        result._ctx = ctx
        result._entry = None
        if wants_grad and op.vjp is not None and STATE.recording:
            _record(op, args, raw, attrs, (out,), (result,), cls, ctx)
        if trace_hook is not None:
            trace_hook(op, args, attrs, (result,))
        return result
    if xp is numpy:
        outs_raw = tuple([o if o.__class__ is _np_ndarray else numpy.asarray(o) for o in out])
    else:
        outs_raw = tuple(out)
    outputs = tuple([cls._wrap(o, ctx) for o in outs_raw])
    if wants_grad and op.vjp is not None and STATE.recording:
        _record(op, args, raw, attrs, outs_raw, outputs, cls, ctx)
    if trace_hook is not None:
        trace_hook(op, args, attrs, outputs)
    return outputs


_new = object.__new__


def _record(op, args, raw, attrs, outs_raw, outputs, cls, ctx) -> None:
    """Push a tape node for one op call, keeping only what the op's gradient declared."""
    save_ins = op.save_ins
    nondiff = op.nondiff
    ins = []
    parents = []
    needs = []
    broadcast = False
    out_shape = outs_raw[0].shape if op.broadcasting else None
    for i, a in enumerate(args):
        if isinstance(a, ArrayBase):
            entry = None if i in nondiff else a._entry
            ins.append(raw[i] if i in save_ins else Stub(raw[i]))
            if out_shape is not None and raw[i].shape != out_shape:
                broadcast = True
        else:
            entry = None
            ins.append(a)
        parents.append(entry)
        needs.append(entry is not None)
    save_outs = op.save_outs
    if save_outs:
        outs = tuple([o if j in save_outs else None for j, o in enumerate(outs_raw)])
    else:
        outs = (None,) * len(outs_raw)
    node = Node(op, attrs, tuple(ins), outs, tuple(parents), tuple(needs), cls, ctx, broadcast)
    for j, o in enumerate(outputs):
        o._entry = (node, j)


registry.set_dispatcher(invoke)


def invoke_inplace(op, target: ArrayBase, args: tuple, attrs: dict) -> ArrayBase:
    """``target <- op(*args)`` for ``x += y`` and friends.

    Outside recording the op writes straight into target's buffer (``out=``), so every view of
    it sees the change. Under recording the result is computed out of place and target is
    rebound to it, so the tape stays a pure function of its inputs.
    """
    needs_tape = STATE.recording and any(
        isinstance(a, ArrayBase) and a._entry is not None for a in args
    )
    if needs_tape or trace_hook is not None:
        if target._entry is not None and type(target._entry[0]).__name__ == "Leaf":
            raise errors.MXNetRuntimeError(
                "in-place update of an array that has attach_grad() while autograd is "
                "recording; write `y = x + v` (a new array) instead, or update it outside "
                "autograd.record()"
            )
        result = invoke(op, args, attrs)
        if result._data.shape != target._data.shape:
            raise errors.ShapeError(
                f"in-place '{op.name}' would change the shape of its target from "
                f"{target._data.shape} to {result._data.shape}"
            )
        if result._data.dtype != target._data.dtype:
            result = invoke(registry.get("astype"), (result,), {"dtype": target._data.dtype})
        target._data = result._data
        target._entry = result._entry
        return target
    out = target._data
    if isinstance(out, _np_ndarray) and not out.flags.writeable:  # a broadcast view: own it
        out = target._data = out.copy()
    raw = [a._data if isinstance(a, ArrayBase) else a for a in args]
    xp = target._ctx.xp
    try:
        if op.accepts_out:
            op.forward(xp, *raw, out=out, **attrs)
        else:
            xp.copyto(out, op.forward(xp, *raw, **attrs), casting="unsafe")
    except (ValueError, TypeError, IndexError) as exc:
        raise op_error(op, args, attrs, exc) from None
    return target
