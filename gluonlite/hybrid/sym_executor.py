"""Executors (MXNet 1.x ``Symbol.bind``/``simple_bind``): a Symbol bound to argument,
gradient and auxiliary arrays.

``forward`` evaluates the graph with the ``nd`` operators, under ``autograd.record`` when
training, with the arguments marked as variables whose gradients go straight into the bound
gradient arrays; ``backward`` runs autograd from the outputs. Loss outputs (SoftmaxOutput...)
supply their own gradients, so ``backward()`` needs no head gradients for them.
"""

from __future__ import annotations

from typing import Any

import numpy

from .. import autograd, errors
from .symbol import Symbol, dtype_from_attr, evaluate

__all__ = ["Executor", "bind", "simple_bind"]

_REQS = ("null", "write", "add", "inplace")


def _as_array(value: Any, ctx: Any) -> Any:
    from .. import ndarray as nd

    if isinstance(value, nd.NDArray):
        return value
    return nd.array(numpy.asarray(value), ctx=ctx)


def _by_name(values: Any, names: list[str], what: str, required: bool) -> list:
    """A list/dict of arrays as a list in ``names`` order (None where absent)."""
    if values is None:
        if required and names:
            raise errors.MXNetValueError(f"bind: {what} {names} are missing")
        return [None] * len(names)
    if isinstance(values, dict):
        missing = [n for n in names if n not in values]
        if required and missing:
            raise errors.MXNetValueError(
                f"bind: {what} {missing} are missing (given {sorted(values)})"
            )
        return [values.get(n) for n in names]
    values = list(values)
    if len(values) != len(names):
        raise errors.MXNetValueError(f"bind: {len(values)} {what} given for {names}")
    return values


def _grad_reqs(grad_req: Any, names: list[str]) -> dict[str, str]:
    if isinstance(grad_req, str):
        reqs = dict.fromkeys(names, grad_req)
    elif isinstance(grad_req, dict):
        reqs = {n: grad_req.get(n, "null") for n in names}
    else:
        reqs = dict(zip(names, grad_req))
    bad = {n: r for n, r in reqs.items() if r not in _REQS}
    if bad:
        raise errors.MXNetValueError(f"grad_req must be one of {_REQS}, got {bad}")
    return {n: "write" if r == "inplace" else r for n, r in reqs.items()}


class Executor:
    """A bound symbol: ``forward``, ``backward``, and the arrays by name."""

    def __init__(
        self, symbol: Symbol, ctx: Any, args: list, grads: list, reqs: dict, aux: list
    ) -> None:
        self._symbol = symbol
        self._ctx = ctx
        self._arg_names = symbol.list_arguments()
        self._aux_names = symbol.list_auxiliary_states()
        self.arg_arrays = args
        self.grad_arrays = [
            g if reqs[n] != "null" else None for n, g in zip(self._arg_names, grads)
        ]
        self.aux_arrays = aux
        self._reqs = {
            n: r if g is not None else "null" for (n, r), g in zip(reqs.items(), self.grad_arrays)
        }
        self.arg_dict = dict(zip(self._arg_names, args))
        self.grad_dict = {n: g for n, g in zip(self._arg_names, self.grad_arrays) if g is not None}
        self.aux_dict = dict(zip(self._aux_names, aux))
        self._outputs: list | None = None
        self._leaves: list = []
        self._monitor = None

    # ---- outputs ----------------------------------------------------------------------------
    @property
    def outputs(self) -> list:
        """The outputs of the last forward (zeros of the right shapes before any)."""
        if self._outputs is None:
            from .. import ndarray as nd

            shapes = {n: a.shape for n, a in self.arg_dict.items()}
            _, out_shapes, _ = self._symbol.infer_shape(**shapes)
            self._outputs = [nd.zeros(s, ctx=self._ctx) for s in out_shapes]
        return self._outputs

    @property
    def output_dict(self) -> dict:
        return dict(zip(self._symbol.list_outputs(), self.outputs))

    # ---- computation ------------------------------------------------------------------------
    def forward(self, is_train: bool = False, **kwargs: Any) -> list:
        """Run the graph; ``kwargs`` are copied into the named argument arrays first."""
        for name, value in kwargs.items():
            target = self.arg_dict.get(name)
            if target is None:
                raise errors.MXNetValueError(
                    f"forward: unknown argument '{name}'; arguments are {self._arg_names}"
                )
            value = _as_array(value, self._ctx)
            if value.shape != target.shape:
                raise errors.ShapeError(
                    f"forward: '{name}' has shape {value.shape} but was bound with "
                    f"{target.shape}; use executor.reshape({name}={value.shape}) to rebind"
                )
            value.copyto(target)
        values = {**self.arg_dict, **self.aux_dict}
        self._outputs = None  # drop the previous graph before building the next
        with self._ctx:
            if is_train:
                self._mark_variables()
                with autograd.record(train_mode=True):
                    outs, _ = evaluate(self._symbol, values)
            else:
                self._leaves = []
                with autograd.pause(train_mode=False):
                    outs, _ = evaluate(self._symbol, values)
        self._outputs = outs
        if self._monitor is not None:
            for name, out in zip(self._symbol.list_outputs(), outs):
                self._monitor(name, out)
        return outs

    def _mark_variables(self) -> None:
        names = [n for n in self._arg_names if self._reqs[n] != "null"]
        for n in self._arg_names:
            if self._reqs[n] == "null":
                self.arg_dict[n]._entry = None
        variables = [self.arg_dict[n] for n in names]
        autograd.mark_variables(
            variables, [self.grad_dict[n] for n in names], [self._reqs[n] for n in names]
        )
        self._leaves = [(v._entry[0], self.grad_dict[n]) for n, v in zip(names, variables)]

    def backward(self, out_grads: Any = None, is_train: bool = True) -> None:
        """Gradients of the outputs (loss outputs give their own; others take ``out_grads``,
        ones by default) into the gradient arrays, per grad_req."""
        if not self._leaves:  # nothing wants a gradient, or the forward was not training
            if any(r != "null" for r in self._reqs.values()):
                raise errors.MXNetRuntimeError(
                    "backward needs forward(is_train=True) first: a forward with "
                    "is_train=False records nothing to differentiate"
                )
            return
        if out_grads is not None and not isinstance(out_grads, (list, tuple)):
            out_grads = [out_grads]
        pairs = [
            (o, None if out_grads is None else _as_array(out_grads[i], self._ctx))
            for i, o in enumerate(self._outputs)
            if o._entry is not None
        ]
        if pairs:
            heads, head_grads = zip(*pairs)
            head_grads = None if out_grads is None else list(head_grads)
            autograd.backward(list(heads), head_grads, retain_graph=True)
        for leaf, grad in self._leaves:
            if leaf.grad_req == "write" and not leaf.fresh:  # no path reached it: MXNet gives 0
                grad._data[...] = 0

    # ---- parameters -------------------------------------------------------------------------
    def copy_params_from(
        self, arg_params: dict, aux_params: dict | None = None, allow_extra_params: bool = False
    ) -> None:
        """Copy values into the bound argument and auxiliary arrays by name."""
        for params, arrays, what in (
            (arg_params, self.arg_dict, "argument"),
            (aux_params or {}, self.aux_dict, "auxiliary state"),
        ):
            for name, value in params.items():
                if name in arrays:
                    _as_array(value, self._ctx).copyto(arrays[name])
                elif not allow_extra_params:
                    raise errors.MXNetValueError(
                        f"copy_params_from: '{name}' is not an {what} of the symbol; pass "
                        "allow_extra_params=True to skip it"
                    )

    def reshape(
        self, partial_shaping: bool = False, allow_up_sizing: bool = False, **shapes: Any
    ) -> Executor:
        """A new executor for new input shapes, sharing every array whose shape is unchanged."""
        arg_shapes, _, aux_shapes = self._symbol.infer_shape(**shapes)
        args, grads = [], []
        for name, shape in zip(self._arg_names, arg_shapes):
            old, grad = self.arg_dict[name], self.grad_dict.get(name)
            same = tuple(shape) == old.shape
            args.append(old if same else _zeros(shape, old.dtype, self._ctx))
            grads.append(grad if same or grad is None else _zeros(shape, grad.dtype, self._ctx))
        aux = [
            a if tuple(s) == a.shape else _zeros(s, a.dtype, self._ctx)
            for a, s in zip(self.aux_arrays, aux_shapes)
        ]
        reqs = {n: self._reqs[n] for n in self._arg_names}
        return Executor(self._symbol, self._ctx, args, grads, reqs, aux)

    def set_monitor_callback(self, callback: Any, monitor_all: bool = False) -> None:
        """Call ``callback(name, array)`` on every output after each forward."""
        self._monitor = callback

    def debug_str(self) -> str:
        return self._symbol.debug_str()


def _zeros(shape: Any, dtype: Any, ctx: Any) -> Any:
    from .. import ndarray as nd

    return nd.zeros(tuple(shape), ctx=ctx, dtype=dtype)


def bind(
    symbol: Symbol,
    ctx: Any,
    args: Any,
    args_grad: Any = None,
    grad_req: Any = "write",
    aux_states: Any = None,
    shared_exec: Any = None,
) -> Executor:
    """``Symbol.bind``: arrays given as lists (in ``list_arguments`` order) or dicts."""
    names = symbol.list_arguments()
    arg_list = [_as_array(a, ctx) for a in _by_name(args, names, "arguments", True)]
    grads = _by_name(args_grad, names, "gradients", False)
    grads = [None if g is None else _as_array(g, ctx) for g in grads]
    aux_names = symbol.list_auxiliary_states()
    aux = [_as_array(a, ctx) for a in _by_name(aux_states, aux_names, "auxiliary states", True)]
    reqs = _grad_reqs(grad_req, names)
    return Executor(symbol, ctx, arg_list, grads, reqs, aux)


def simple_bind(
    symbol: Symbol,
    ctx: Any,
    grad_req: Any = "write",
    type_dict: dict | None = None,
    shared_exec: Executor | None = None,
    **shapes: Any,
) -> Executor:
    """``Symbol.simple_bind``: allocate every array from the shapes inferred from ``shapes``
    (arrays of ``shared_exec`` with the same name and shape are shared)."""
    arg_shapes, _, aux_shapes = symbol.infer_shape(**shapes)
    names, aux_names = symbol.list_arguments(), symbol.list_auxiliary_states()
    declared = {n.name: dtype_from_attr(n.attrs.get("__dtype__")) for n in symbol._variables()}
    type_dict = type_dict or {}

    def dtype(name: str) -> Any:
        return type_dict.get(name) or declared.get(name) or numpy.float32

    def alloc(name: str, shape: tuple, pool: dict) -> Any:
        shared = pool.get(name)
        if shared is not None and shared.shape == tuple(shape):
            return shared
        return _zeros(shape, dtype(name), ctx)

    reqs = _grad_reqs(grad_req, names)
    shared = shared_exec or Executor.__new__(Executor)
    arg_pool = getattr(shared, "arg_dict", {})
    grad_pool = getattr(shared, "grad_dict", {})
    args = [alloc(n, s, arg_pool) for n, s in zip(names, arg_shapes)]
    grads = [
        alloc(n, s, grad_pool) if reqs[n] != "null" else None for n, s in zip(names, arg_shapes)
    ]
    aux = [alloc(n, s, getattr(shared, "aux_dict", {})) for n, s in zip(aux_names, aux_shapes)]
    return Executor(symbol, ctx, args, grads, reqs, aux)
