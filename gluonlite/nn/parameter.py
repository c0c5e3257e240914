"""Parameters: named, lazily shaped arrays that a Block trains (MXNet's ``gluon.Parameter``).

A parameter whose shape has unknown dimensions (0) is initialised in two steps:
``initialize()`` records the initializer and contexts, and the owning layer's first forward
infers the shape and finishes the job. One copy of the data lives on each context; each copy
is an autograd variable whose gradient buffer is ``grad(ctx)``.
"""
from __future__ import annotations

import warnings
from typing import Any, Iterable

import numpy

from .. import init as initializer
from ..context import Context, cpu, current_context
from ..errors import DeferredInitializationError, MXNetValueError
from ..ndarray import NDArray, zeros
from ..ndarray import dispatch as _dispatch

__all__ = ["Parameter", "Constant"]


def _contexts(ctx: Any) -> list[Context]:
    if ctx is None:
        return [current_context()]
    if isinstance(ctx, (list, tuple)):
        return [Context(c) for c in ctx]
    return [Context(ctx)]


def _as_default_class(array: NDArray) -> NDArray:
    """``array`` as the current default array class: itself, or a zero-copy view sharing its
    buffer and autograd entry, so that after ``npx.set_np()`` parameters read as np arrays and
    their gradients still reach the same variable."""
    cls = _dispatch.default_array_class()
    if array is None or array.__class__ is cls:
        return array
    return cls._wrap(array._data, array._ctx, array._entry)


def shape_is_known(shape: tuple | None) -> bool:
    return shape is not None and all(d > 0 for d in shape)


class Parameter:
    """A trainable array of a Block, possibly with copies on several contexts."""

    def __init__(
        self,
        name: str = "weight",
        grad_req: str = "write",
        shape: int | Iterable[int] | None = None,
        dtype: Any = numpy.float32,
        lr_mult: float = 1.0,
        wd_mult: float = 1.0,
        init: Any = None,
        allow_deferred_init: bool = False,
        differentiable: bool = True,
        stype: str = "default",
        grad_stype: str = "default",
    ) -> None:
        self.name = name
        self._shape = (shape,) if isinstance(shape, int) else (tuple(shape) if shape else None)
        self.dtype = numpy.dtype(dtype)
        self.lr_mult = lr_mult
        self.wd_mult = wd_mult
        self.init = init
        self.allow_deferred_init = allow_deferred_init
        self._differentiable = differentiable
        self._grad_req = grad_req if differentiable else "null"
        self._stype, self._grad_stype = stype, grad_stype
        self._data: list[NDArray] | None = None
        self._deferred: tuple | None = None  # (init, contexts, default_init, data or None)

    # ---- shape ------------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...] | None:
        return self._shape

    @shape.setter
    def shape(self, new_shape: Iterable[int]) -> None:
        new_shape = tuple(new_shape)
        old = self._shape
        if old is None:
            self._shape = new_shape
            return
        compatible = len(old) == len(new_shape) and all(
            o == n or o in (0, -1) or n in (0, -1) for o, n in zip(old, new_shape)
        )
        if not compatible:
            raise MXNetValueError(
                f"parameter '{self.name}': the inferred shape {new_shape} is incompatible with "
                f"the declared shape {old}"
            )
        self._shape = tuple(n if n > 0 else o for o, n in zip(old, new_shape))

    @property
    def grad_req(self) -> str:
        return self._grad_req

    @grad_req.setter
    def grad_req(self, req: str) -> None:
        if req not in ("write", "add", "null"):
            raise MXNetValueError(f"grad_req must be 'write', 'add' or 'null', not {req!r}")
        if not self._differentiable:
            req = "null"
        if req == self._grad_req:
            return
        self._grad_req = req
        if self._data is not None:
            self._attach_grads()

    # ---- initialisation ---------------------------------------------------------------------
    def initialize(
        self,
        init: Any = None,
        ctx: Any = None,
        default_init: Any = None,
        force_reinit: bool = False,
    ) -> None:
        """Create and fill the data on ``ctx`` (a context or list), now if the shape is known,
        otherwise at the owning layer's first forward."""
        if self._data is not None and not force_reinit:
            warnings.warn(
                f"parameter '{self.name}' is already initialized; ignoring. Pass "
                "force_reinit=True to initialize it again.",
                stacklevel=2,
            )
            return
        default_init = initializer.Uniform() if default_init is None else default_init
        chosen = self.init if self.init is not None else (default_init if init is None else init)
        contexts = _contexts(ctx)
        self._data = None
        self._deferred = (chosen, contexts, default_init, None)
        if shape_is_known(self._shape):
            self._finish_deferred_init()
        elif not self.allow_deferred_init:
            raise MXNetValueError(
                f"cannot initialize parameter '{self.name}': its shape {self._shape} has unknown "
                "dimensions and deferred initialization is not allowed for it; give the full shape"
            )

    def _finish_deferred_init(self) -> None:
        """Allocate and fill the data once the shape is known (called by the owning layer)."""
        if self._deferred is None:
            return
        if not shape_is_known(self._shape):
            raise DeferredInitializationError(
                f"parameter '{self.name}' has unknown shape {self._shape}, so it could not be "
                "initialized yet"
            )
        init, contexts, default_init, data = self._deferred
        self._deferred = None
        if data is None:
            data = zeros(self._shape, ctx=cpu(), dtype=self.dtype)
            hook, _dispatch.trace_hook = _dispatch.trace_hook, None  # not part of any graph
            try:
                initializer.create(default_init)(
                    initializer.InitDesc(self.name, {"__init__": init}), data
                )
            finally:
                _dispatch.trace_hook = hook
        if data.dtype != self.dtype:
            data = data.astype(self.dtype)
        self._data = [data.copyto(c) for c in contexts]
        self._attach_grads()

    def _attach_grads(self) -> None:
        for arr in self._data or ():
            arr.attach_grad(self._grad_req)

    # ---- access -----------------------------------------------------------------------------
    def _not_ready(self) -> DeferredInitializationError:
        if self._deferred is not None:
            return DeferredInitializationError(
                f"parameter '{self.name}' has not been initialized yet because its shape "
                f"{self._shape} is inferred from the first input. Run one forward pass first "
                "(net(x)), or give the layer its input size (e.g. in_units= / in_channels=) so "
                "the shape is known at initialize()"
            )
        return DeferredInitializationError(
            f"parameter '{self.name}' has not been initialized. Call net.initialize() (or "
            "param.initialize()) before using it"
        )

    def _index(self, ctx: Context | None) -> int:
        data = self._data
        if data is None:
            raise self._not_ready()
        if ctx is None:
            if len(data) == 1:
                return 0
            ctx = current_context()
        for i, arr in enumerate(data):
            if arr._ctx == ctx:
                return i
        raise MXNetValueError(
            f"parameter '{self.name}' was not initialized on {ctx}; it lives on "
            f"{self.list_ctx()}. Use ctx= in initialize(), or reset_ctx()"
        )

    def data(self, ctx: Context | None = None) -> NDArray:
        """The array on ``ctx`` (the only one when there is one), as the current default array
        class (``np.ndarray`` after ``npx.set_np()``)."""
        data = self._data
        if data is not None and len(data) == 1 and (ctx is None or data[0]._ctx is ctx):
            return _as_default_class(data[0])
        return _as_default_class(self._data[self._index(ctx)])

    def list_data(self) -> list[NDArray]:
        if self._data is None:
            raise self._not_ready()
        return [_as_default_class(arr) for arr in self._data]

    def grad(self, ctx: Context | None = None) -> NDArray:
        """The gradient buffer on ``ctx``."""
        if self._grad_req == "null":
            raise MXNetValueError(
                f"parameter '{self.name}' has no gradient because its grad_req is 'null'"
            )
        return _as_default_class(self.data(ctx).grad)

    def list_grad(self) -> list[NDArray]:
        if self._grad_req == "null":
            return []
        return [_as_default_class(arr.grad) for arr in self.list_data()]

    def list_ctx(self) -> list[Context]:
        if self._data is None:
            if self._deferred is not None:
                return list(self._deferred[1])
            raise self._not_ready()
        return [arr.context for arr in self._data]

    def set_data(self, data: Any) -> None:
        """Overwrite the values on every context (before deferred init: use them as the init)."""
        if self._data is None:
            if self._deferred is None:
                raise self._not_ready()
            array = data if isinstance(data, NDArray) else NDArray._wrap(
                numpy.asarray(data, dtype=self.dtype), cpu())
            self.shape = array.shape
            init, contexts, default_init, _ = self._deferred
            self._deferred = (init, contexts, default_init, array.astype(self.dtype))
            self._finish_deferred_init()
            return
        for arr in self._data:
            src = data._data if isinstance(data, NDArray) and arr._ctx == data._ctx else (
                data.asnumpy() if isinstance(data, NDArray) else numpy.asarray(data))
            if tuple(numpy.shape(src)) != arr.shape:
                raise MXNetValueError(
                    f"set_data of parameter '{self.name}': shape {tuple(numpy.shape(src))} "
                    f"does not match the parameter's {arr.shape}"
                )
            arr._data[...] = arr._ctx.xp.asarray(src)

    def zero_grad(self) -> None:
        """Set every gradient buffer to zero."""
        for g in self.list_grad() if self._data is not None else ():
            g._data[...] = 0

    def reset_ctx(self, ctx: Any) -> None:
        """Move the parameter to other contexts (keeping the values)."""
        contexts = _contexts(ctx)
        if self._data is not None:
            source = self._data[0]
            self._data = [source.copyto(c) for c in contexts]
            self._attach_grads()
        elif self._deferred is not None:
            init, _, default_init, data = self._deferred
            self._deferred = (init, contexts, default_init, data)

    def cast(self, dtype: Any) -> None:
        """Change the dtype of the data and gradients."""
        self.dtype = numpy.dtype(dtype)
        if self._data is not None:
            self._data = [arr.astype(self.dtype).detach() for arr in self._data]
            self._attach_grads()

    def _take_fresh_grad(self) -> bool:
        """Whether backward wrote a gradient since the last call (then clears the mark)."""
        fresh = False
        for arr in self._data or ():
            leaf = arr._entry[0] if arr._entry is not None else None
            if leaf is not None and getattr(leaf, "fresh", False):
                fresh = True
                leaf.fresh = False
        return fresh

    def __repr__(self) -> str:
        return f"Parameter {self.name} (shape={self._shape}, dtype={self.dtype})"


class Constant(Parameter):
    """A parameter that is never trained (grad_req 'null'), initialised to ``value``.

    ``Constant(value)`` (Gluon 2) and ``Constant(name, value)`` (Gluon 1) both work."""

    def __init__(self, name: Any, value: Any = None) -> None:
        if value is None:
            name, value = "const", name
        values = value.asnumpy() if isinstance(value, NDArray) else numpy.asarray(value)
        if values.dtype == numpy.float64 and not isinstance(value, (NDArray, numpy.ndarray)):
            values = values.astype(numpy.float32)
        self.value = values
        super().__init__(name, grad_req="null", shape=values.shape, dtype=values.dtype,
                         init=initializer.Constant(values), differentiable=False)
