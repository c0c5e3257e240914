"""NDArray: a NumPy/CuPy array on a Context, with operators, autograd and MXNet's methods.

The class carries only what cannot be written as a function of arrays: conversion, identity,
operator syntax and autograd hooks. Methods that mirror ``nd`` functions (``sum``, ``reshape``,
``transpose``...) are bound from those functions in ``gluonlite.ndarray.__init__``, so each is
written once.
"""
from __future__ import annotations

import numbers
from typing import Any

import numpy

from .. import errors
from ..autograd import engine
from ..autograd.tape import Leaf
from ..context import Context, cpu
from ..ops.registry import P
from . import dispatch as _dispatch
from .dispatch import ArrayBase, invoke, invoke_inplace

__all__ = ["NDArray"]

_SCALARS = (int, float, bool)


class NDArray(ArrayBase):
    """An n-dimensional array on a device (MXNet's ``mx.nd.NDArray``)."""

    __slots__ = ()

    # ---- identity -----------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def dtype(self) -> numpy.dtype:
        return self._data.dtype

    @property
    def size(self) -> int:
        return self._data.size

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def context(self) -> Context:
        return self._ctx

    ctx = context

    @property
    def stype(self) -> str:
        return "default"

    @property
    def T(self) -> NDArray:
        return P.transpose(self)

    @property
    def handle(self) -> Any:
        """The raw NumPy or CuPy array (gluonlite's counterpart of MXNet's C handle)."""
        return self._data

    def __len__(self) -> int:
        if self.ndim == 0:
            raise errors.MXNetTypeError("len() of a 0-d array")
        return self._data.shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    __hash__ = object.__hash__

    # ---- conversion ---------------------------------------------------------------------------
    def _guard(self, what: str) -> None:
        """Inside a hybridize trace, refuse to turn a traced value into Python data."""
        hook = _dispatch.trace_hook
        if hook is not None:
            hook.guard(self, what)

    def asnumpy(self) -> numpy.ndarray:
        """A NumPy copy of the values (from any device)."""
        self._guard("asnumpy()")
        data = self._data
        return data.get() if self._ctx.xp is not numpy else numpy.array(data, copy=True)

    def asscalar(self) -> Any:
        """The value of a one-element array as a NumPy scalar."""
        if self.size != 1:
            raise errors.MXNetValueError(
                f"asscalar() needs an array of one element, this one has shape {self.shape}"
            )
        return self.asnumpy().reshape(())[()]

    def item(self) -> Any:
        """The value of a one-element array as a Python number."""
        return self.asscalar().item()

    def __array__(self, dtype=None, copy=None) -> numpy.ndarray:
        self._guard("numpy.asarray()")
        out = self._data if self._ctx.xp is numpy else self._data.get()
        return out.astype(dtype) if dtype is not None else out

    def __dlpack__(self, *args, **kwargs):
        return self._data.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    def __bool__(self) -> bool:
        self._guard("bool() (an `if`/`while` on an array)")
        if self.size != 1:
            raise errors.MXNetValueError(
                f"the truth value of an array of shape {self.shape} is ambiguous; "
                "use .asnumpy().any() or .all()"
            )
        return bool(self._data.reshape(-1)[0])

    def __float__(self) -> float:
        self._guard("float()")
        return float(self.asscalar())

    def __int__(self) -> int:
        self._guard("int()")
        return int(self.asscalar())

    def __index__(self) -> int:
        self._guard("use as a Python index")
        if self.size != 1 or self.dtype.kind not in "iub":
            raise errors.MXNetTypeError("only integer one-element arrays can be used as an index")
        return int(self.asscalar())

    def astype(self, dtype: Any, copy: bool = True) -> NDArray:
        """The array cast to ``dtype``; with ``copy=False`` the same array if already so."""
        if not copy and numpy.dtype(dtype) == self.dtype:
            return self
        return P.astype(self, dtype=numpy.dtype(dtype))

    def copy(self) -> NDArray:
        return self.copyto(self._ctx)

    def copyto(self, other: Context | NDArray) -> NDArray:
        """Copy into another array (in place) or onto a context (a new array)."""
        if isinstance(other, NDArray):
            if other.shape != self.shape:
                raise errors.ShapeError(f"copyto: shape {self.shape} into {other.shape}")
            data = self._data if other._ctx == self._ctx else _move(self._data, other._ctx)
            other._ctx.xp.copyto(other._data, data, casting="unsafe")
            return other
        ctx = Context(other)
        return type(self)._wrap(_move(self._data, ctx, copy=True), ctx)

    def as_in_context(self, context: Context) -> NDArray:
        """This array on ``context``: itself when already there, else a copy."""
        return self if context == self._ctx else self.copyto(context)

    as_in_ctx = as_in_context

    def detach(self) -> NDArray:
        """The same values (shared memory) with no autograd history."""
        return P.stop_gradient(self)

    def wait_to_read(self) -> None:
        """Block until the values are computed (a device sync on GPU)."""
        if self._ctx.xp is not numpy:
            self._ctx.xp.cuda.get_current_stream().synchronize()

    def __repr__(self) -> str:
        shape = "x".join(str(s) for s in self.shape) or "scalar"
        return f"\n{self.asnumpy()}\n<{type(self).__name__} {shape} @{self._ctx}>"

    def __str__(self) -> str:
        return repr(self)

    def __reduce__(self):
        return (_rebuild, (self.asnumpy(), str(self._ctx.device_type), self._ctx.device_id))

    # ---- autograd -----------------------------------------------------------------------------
    def attach_grad(self, grad_req: str = "write", stype: str | None = None) -> None:
        """Make this array a variable: backward will store d(head)/d(self) in ``self.grad``."""
        if grad_req not in ("write", "add", "null"):
            raise errors.MXNetValueError(f"grad_req must be 'write', 'add' or 'null', not {grad_req!r}")
        if grad_req == "null":
            self._entry = None
            return
        grad = type(self)._wrap(self._ctx.xp.zeros_like(self._data), self._ctx)
        self._entry = (Leaf(grad, grad_req), 0)

    @property
    def grad(self) -> NDArray | None:
        entry = self._entry
        if entry is not None and type(entry[0]) is Leaf:
            return entry[0].grad
        return None

    @property
    def grad_req(self) -> str:
        entry = self._entry
        return entry[0].grad_req if entry is not None and type(entry[0]) is Leaf else "null"

    def backward(
        self, out_grad: NDArray | None = None, retain_graph: bool = False, train_mode: bool = True
    ) -> None:
        """Backpropagate from this array into the ``.grad`` of every variable it depends on."""
        engine.run_backward([self], [out_grad], retain_graph=retain_graph)

    # ---- operators ----------------------------------------------------------------------------
    def _operand(self, other: Any) -> Any:
        if isinstance(other, ArrayBase) or other.__class__ in _SCALARS:
            return other
        if isinstance(other, numpy.generic):
            return other.item()
        if isinstance(other, numbers.Number):
            return other
        if isinstance(other, (numpy.ndarray, list, tuple)) or hasattr(other, "__cuda_array_interface__"):
            return type(self)._wrap(self._ctx.xp.asarray(other, dtype=self.dtype), self._ctx)
        return NotImplemented

    def _binary(op, reflected=False):  # noqa: N805  (builds methods at class creation)
        def method(self, other):
            if other.__class__ not in _SCALARS and not isinstance(other, ArrayBase):
                other = self._operand(other)
                if other is NotImplemented:
                    return NotImplemented
            return invoke(op, (other, self) if reflected else (self, other), {})

        return method

    def _inplace(op):  # noqa: N805
        def method(self, other):
            other = self._operand(other)
            if other is NotImplemented:
                return NotImplemented
            return invoke_inplace(op, self, (self, other), {})

        return method

    __add__ = _binary(P.add)
    __radd__ = _binary(P.add, True)
    __sub__ = _binary(P.subtract)
    __rsub__ = _binary(P.subtract, True)
    __mul__ = _binary(P.multiply)
    __rmul__ = _binary(P.multiply, True)
    __truediv__ = __div__ = _binary(P.true_divide)
    __rtruediv__ = __rdiv__ = _binary(P.true_divide, True)
    __pow__ = _binary(P.power)
    __rpow__ = _binary(P.power, True)
    __matmul__ = _binary(P.matmul)
    __rmatmul__ = _binary(P.matmul, True)
    __iadd__ = _inplace(P.add)
    __isub__ = _inplace(P.subtract)
    __imul__ = _inplace(P.multiply)
    __itruediv__ = __idiv__ = _inplace(P.true_divide)

    def __neg__(self) -> NDArray:
        return P.negative(self)

    def __pos__(self) -> NDArray:
        return self

    del _binary, _inplace


def _move(data: Any, ctx: Context, copy: bool = False) -> Any:
    """A raw array's values as an array of ``ctx``'s array module."""
    if ctx.xp is numpy:
        if isinstance(data, numpy.ndarray):
            return data.copy() if copy else data
        return data.get()
    with ctx.device():
        return ctx.xp.array(data, copy=True)


def _rebuild(values: numpy.ndarray, device_type: str, device_id: int) -> NDArray:
    """Unpickling support (DataLoader workers): values are plain NumPy, never code."""
    ctx = cpu() if device_type != "gpu" else Context(device_type, device_id)
    return NDArray._wrap(_move(values, ctx), ctx)
