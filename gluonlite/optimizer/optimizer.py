"""The Optimizer base class, the optimizer registry and the Updater (MXNet 1.x semantics).

An optimizer owns the hyper-parameters and the per-index update counts; its states (momenta,
moments) live in an :class:`Updater`, one per device. Built-in optimizers update the raw
NumPy/CuPy buffer of the weight in place with ``out=`` ufuncs and reuse per-device scratch
buffers, so a training step allocates nothing and records nothing on the autograd tape.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, ClassVar

import numpy

from ..errors import MXNetTypeError, MXNetValueError

__all__ = ["Optimizer", "Test", "Updater", "create", "get_updater", "register"]

# Options of MXNet 2.0's optimizers that change nothing here (no fused multi-tensor kernels).
_MISSING = object()
_IGNORED_OPTIONS = frozenset({"aggregate_num", "use_fused_step", "allow_np"})


def _zeros_like(weight: Any, dtype: Any = None) -> Any:
    """A zero array of ``weight``'s shape, class and device (``dtype`` defaults to its own)."""
    ctx = weight.context
    dtype = weight.dtype if dtype is None else dtype
    if ctx.xp is numpy:
        data = numpy.zeros(weight.shape, dtype)
    else:
        with ctx.device():
            data = ctx.xp.zeros(weight.shape, dtype)
    return type(weight)._wrap(data, ctx)


def _copy_as(weight: Any, dtype: Any) -> Any:
    """A detached copy of ``weight`` cast to ``dtype`` (the float32 master copy)."""
    out = _zeros_like(weight, dtype)
    out._data[...] = weight._data
    return out


class Optimizer:
    """Base class of all optimizers; subclass it and ``register`` it as in MXNet.

    ``learning_rate`` defaults to 0.01 (or the scheduler's ``base_lr`` when ``lr_scheduler`` is
    given; an explicit ``learning_rate`` overrides the scheduler's, as MXNet 1.x does).
    ``clip_gradient`` of None or <= 0 disables clipping. ``multi_precision=True`` keeps a
    float32 master copy of float16 weights in the state and writes the rounded result back.
    """

    opt_registry: ClassVar[dict[str, type]] = {}

    def __init__(
        self,
        rescale_grad: float = 1.0,
        param_idx2name: dict | None = None,
        wd: float = 0.0,
        clip_gradient: float | None = None,
        learning_rate: float | None = None,
        lr_scheduler: Any = None,
        sym: Any = None,
        begin_num_update: int = 0,
        multi_precision: bool = False,
        param_dict: dict | None = None,
        **kwargs: Any,
    ) -> None:
        unknown = set(kwargs) - _IGNORED_OPTIONS
        if unknown:
            raise MXNetTypeError(
                f"{type(self).__name__} got unexpected option(s) {sorted(unknown)}; check the "
                "spelling against the optimizer's documented parameters"
            )
        self.rescale_grad = rescale_grad
        self.lr = learning_rate
        self.lr_scheduler = lr_scheduler
        if lr_scheduler is None and learning_rate is None:
            self.lr = 0.01
        overridden = lr_scheduler is not None and learning_rate is not None
        if overridden and lr_scheduler.base_lr != learning_rate:
            warnings.warn(
                "learning rate from ``lr_scheduler`` has been overwritten by "
                "``learning_rate`` in optimizer.",
                stacklevel=3,
            )
            lr_scheduler.base_lr = learning_rate
        self.wd = wd
        self.lr_mult: dict = {}
        self.wd_mult: dict = {}
        self.begin_num_update = begin_num_update
        self.num_update = begin_num_update
        self._all_index_update_counts: dict[int, dict] = {0: {}}
        self._index_update_count = self._all_index_update_counts[0]
        self.clip_gradient = clip_gradient
        self.multi_precision = multi_precision
        self.aggregate_num = 0
        if param_idx2name is None:
            param_idx2name = {}
        if not isinstance(param_idx2name, dict):
            raise MXNetTypeError("param_idx2name should be a dict of parameter indices to names")
        self.idx2name = param_idx2name.copy()
        self.sym_info = (sym.attr_dict(), sym.list_arguments()) if sym is not None else ()
        self.param_dict = param_dict if param_dict else {}
        self._workspace: dict = {}
        self.set_lr_mult({})
        self.set_wd_mult({})

    # ---- registry ---------------------------------------------------------------------------
    @staticmethod
    def register(klass: type) -> type:
        """Class decorator: make ``klass`` creatable by ``create(klass.__name__.lower())``."""
        if not isinstance(klass, type):
            raise MXNetTypeError(f"register expects an Optimizer class, got {klass!r}")
        name = klass.__name__.lower()
        old = Optimizer.opt_registry.get(name)
        if old is not None and old is not klass:
            warnings.warn(
                f"WARNING: New optimizer {klass.__module__}.{klass.__name__} is overriding "
                f"existing optimizer {old.__module__}.{old.__name__}",
                stacklevel=2,
            )
        Optimizer.opt_registry[name] = klass
        return klass

    @staticmethod
    def create_optimizer(name: str, **kwargs: Any) -> Optimizer:
        """An instance of the optimizer registered as ``name`` (case-insensitive)."""
        klass = Optimizer.opt_registry.get(str(name).lower())
        if klass is None:
            known = ", ".join(sorted(Optimizer.opt_registry))
            raise MXNetValueError(f"Cannot find optimizer {name!r}; registered ones: {known}")
        return klass(**kwargs)

    # ---- learning rate and weight decay -----------------------------------------------------
    @property
    def learning_rate(self) -> float:
        """The current learning rate (the scheduler's value at ``num_update`` if there is one)."""
        if self.lr_scheduler is not None:
            return self.lr_scheduler(self.num_update)
        return self.lr

    def set_learning_rate(self, lr: float) -> None:
        """Set the learning rate; an error when an ``lr_scheduler`` drives it."""
        if self.lr_scheduler is not None:
            raise UserWarning(
                "LRScheduler of the optimizer has already been defined. Note that "
                "set_learning_rate can mutate the value of the learning rate of the optimizer "
                "only when the LRScheduler of the optimizer is undefined."
            )
        self.lr = lr

    def set_lr_scale(self, args_lrscale: Any) -> None:
        """[DEPRECATED] Use ``set_lr_mult``."""
        raise DeprecationWarning("set_lr_scale is deprecated; use set_lr_mult")

    def set_lr_mult(self, args_lr_mult: dict) -> None:
        """Per-parameter learning-rate multipliers, keyed by name or index."""
        self.lr_mult = self._symbol_mults("__lr_mult__")
        self.lr_mult.update(args_lr_mult)

    def set_wd_mult(self, args_wd_mult: dict) -> None:
        """Per-parameter weight-decay multipliers, keyed by name or index. Names given through
        ``param_idx2name`` that end neither in ``_weight`` nor ``_gamma`` get 0 (MXNet 1.x)."""
        self.wd_mult = {}
        for name in self.idx2name.values():
            if not name.endswith(("_weight", "_gamma")):
                self.wd_mult[name] = 0.0
        self.wd_mult.update(self._symbol_mults("__wd_mult__"))
        self.wd_mult.update(args_wd_mult)

    def _symbol_mults(self, key: str) -> dict:
        """The multipliers the symbol's argument attributes set under ``key``."""
        if not self.sym_info:
            return {}
        attr, arg_names = self.sym_info
        return {n: float(attr[n][key]) for n in arg_names if n in attr and key in attr[n]}

    def _set_current_context(self, device_id: int) -> None:
        """Count updates separately per device, so data-parallel copies each see step t."""
        counts = self._all_index_update_counts.get(device_id)
        if counts is None:
            counts = self._all_index_update_counts[device_id] = {}
        self._index_update_count = counts

    def _update_count(self, index: Any) -> None:
        """Advance the update count of ``index`` (or of each index of a list) and num_update."""
        if isinstance(index, (list, tuple)):
            for idx in index:
                self._update_count(idx)
            return
        counts = self._index_update_count
        n = counts[index] = counts.get(index, self.begin_num_update) + 1
        self.num_update = max(self.num_update, n)

    def _begin_update(self, index: Any) -> tuple[float, float]:
        """Count this update of ``index``; its learning rate and weight decay for the step."""
        self._update_count(index)
        return self._get_lr(index), self._get_wd(index)

    def _get_lr(self, index: Any) -> float:
        """The learning rate of ``index``: scheduler (or lr) times the parameter's lr_mult."""
        lr = self.lr_scheduler(self.num_update) if self.lr_scheduler is not None else self.lr
        param = self.param_dict.get(index)
        if param is not None:
            return lr * param.lr_mult
        if index in self.lr_mult:
            return lr * self.lr_mult[index]
        if index in self.idx2name:
            return lr * self.lr_mult.get(self.idx2name[index], 1.0)
        return lr

    def _get_wd(self, index: Any) -> float:
        """The weight decay of ``index``: wd times the parameter's wd_mult."""
        param = self.param_dict.get(index)
        if param is not None:
            return self.wd * param.wd_mult
        if index in self.wd_mult:
            return self.wd * self.wd_mult[index]
        if index in self.idx2name:
            return self.wd * self.wd_mult.get(self.idx2name[index], 1.0)
        return self.wd

    def _get_lrs(self, indices: list) -> list[float]:
        return [self._get_lr(i) for i in indices]

    def _get_wds(self, indices: list) -> list[float]:
        return [self._get_wd(i) for i in indices]

    # ---- states and updates -----------------------------------------------------------------
    def create_state(self, index: Any, weight: Any) -> Any:
        """The auxiliary state of one weight (None, an array, or a tuple of arrays)."""
        return None

    def create_state_multi_precision(self, index: Any, weight: Any) -> Any:
        """``create_state``, wrapped as ``(float32 master copy, state)`` for float16 weights
        when ``multi_precision`` is on."""
        if self.multi_precision and weight.dtype == numpy.float16:
            master = _copy_as(weight, numpy.float32)
            return (master, self.create_state(index, master))
        if weight.dtype == numpy.float16:
            warnings.warn(
                "Accumulating with float16 in optimizer can lead to poor accuracy or slow "
                "convergence. Consider using multi_precision=True option of the optimizer",
                stacklevel=3,
            )
        return self.create_state(index, weight)

    def update(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        """Update ``weight`` in place from ``grad`` and ``state`` (an index or a list of them,
        with lists of weights, gradients and states)."""
        if isinstance(index, (list, tuple)):
            for i, w, g, s in zip(index, weight, grad, state):
                self._update_impl(i, w, g, s)
        else:
            self._update_impl(index, weight, grad, state)

    def _update_impl(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement update()")

    def update_multi_precision(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        """``update``; for float16 weights with ``multi_precision`` the float32 master copy is
        updated with a float32 gradient and the result is cast back into the weight."""
        if isinstance(index, (list, tuple)):
            for i, w, g, s in zip(index, weight, grad, state):
                self.update_multi_precision(i, w, g, s)
            return
        if not (self.multi_precision and weight.dtype == numpy.float16):
            self.update(index, weight, grad, state)
            return
        master, inner = state
        grad32 = type(grad)._wrap(self._work(grad, "grad32", numpy.float32), grad.context)
        grad32._data[...] = grad._data
        self.update(index, master, grad32, inner)
        weight._data[...] = master._data

    # ---- helpers for the in-place kernels ---------------------------------------------------
    def _work(self, like: Any, slot: Any = 0, dtype: Any = None) -> Any:
        """A scratch raw array shaped like ``like`` on its device, reused across calls: one
        flat buffer per (device, dtype, slot), grown to the largest parameter."""
        raw, ctx = like._data, like._ctx
        dtype = raw.dtype if dtype is None else numpy.dtype(dtype)
        key = (ctx.device_type, ctx.device_id, dtype, slot)  # Context hashes in Python: slower
        size = raw.size
        buf = self._workspace.get(key)
        if buf is None or buf.size < size:
            if ctx.xp is numpy:
                buf = numpy.empty(max(size, 1), dtype)
            else:
                with ctx.device():
                    buf = ctx.xp.empty(max(size, 1), dtype)
            self._workspace[key] = buf
        return buf[:size].reshape(raw.shape)

    def _axpy(self, xp: Any, alpha: float, x: Any, y: Any, like: Any) -> None:
        """``y += alpha * x`` in place, through a scratch buffer shaped like ``like``.

        (SciPy's BLAS axpy does this in one pass, but its thread pool fights NumPy's, still
        spinning after the backward pass's matrix products, and single-threaded chunks are no
        faster than these two ufunc passes.)"""
        tmp = self._work(like, "axpy")
        xp.multiply(x, alpha, out=tmp)
        y += tmp

    def _clipping(self) -> float | None:
        c = self.clip_gradient
        return c if c is not None and c > 0 else None

    def _rescaled(self, xp: Any, grad: Any, out: Any, scale: float = 1.0) -> Any:
        """``out <- scale * clip(rescale_grad * grad)`` (MXNet: clip before weight decay)."""
        clip = self._clipping()
        if clip is None:
            xp.multiply(grad, self.rescale_grad * scale, out=out)
        else:
            xp.multiply(grad, self.rescale_grad, out=out)
            xp.clip(out, -clip, clip, out=out)
            if scale != 1.0:
                out *= scale
        return out

    def _rescaled_wd(self, xp: Any, grad: Any, weight: Any, wd: float, out: Any, tmp: Any) -> Any:
        """``out <- clip(rescale_grad * grad + wd * weight)`` (MXNet: decay inside the clip)."""
        xp.multiply(grad, self.rescale_grad, out=out)
        if wd:
            xp.multiply(weight, wd, out=tmp)
            out += tmp
        clip = self._clipping()
        if clip is not None:
            xp.clip(out, -clip, clip, out=out)
        return out

    # ---- pickling (param_dict is the Trainer's business; scratch is not state) ---------------
    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.pop("param_dict", None)
        state["_workspace"] = {}
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.param_dict = {}
        self._workspace = {}


register = Optimizer.register
create = Optimizer.create_optimizer


@register
class Test(Optimizer):
    """MXNet's test optimizer: ``weight += rescale_grad * grad`` and the state mirrors it."""

    def create_state(self, index: Any, weight: Any) -> Any:
        return _zeros_like(weight)

    def update(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        weight._data += grad._data * self.rescale_grad
        state._data[...] = weight._data


class Updater:
    """Applies an optimizer to (index, grad, weight) triples, keeping each index's state.

    One Updater serves one device; the Trainer keeps one per context (MXNet's ``Updater``)."""

    def __init__(self, optimizer: Optimizer) -> None:
        self.optimizer = optimizer
        self.states: dict = {}
        self.states_synced: dict = {}
        self.aggregate_updates = False

    def __call__(self, index: Any, grad: Any, weight: Any) -> None:
        """Update ``weight`` from ``grad`` (an index, or lists of indices/grads/weights)."""
        if isinstance(index, (list, tuple)):
            indices, grads, weights = index, grad, weight
        else:
            indices, grads, weights = (index,), (grad,), (weight,)
        if not weights:
            return
        opt = self.optimizer
        ctx = weights[0].context
        opt._set_current_context(ctx.device_id)
        if ctx.xp is numpy:
            self._apply(opt, indices, grads, weights)
        else:  # CuPy kernels run on the current device: make it the weights' one
            with ctx.device():
                self._apply(opt, indices, grads, weights)

    def _apply(self, opt: Optimizer, indices: Any, grads: Any, weights: Any) -> None:
        states = self.states
        for idx, w, g in zip(indices, weights, grads):
            if isinstance(idx, bytes):
                idx = idx.decode("utf-8")
            state = states.get(idx, _MISSING)
            if state is _MISSING:
                state = states[idx] = opt.create_state_multi_precision(idx, w)
                self.states_synced[idx] = True
            elif not self.states_synced[idx]:
                state = states[idx] = self.sync_state_context(state, w.context)
                self.states_synced[idx] = True
            opt.update_multi_precision(idx, w, g, state)

    def sync_state_context(self, state: Any, context: Any) -> Any:
        """The state with every array moved to ``context``."""
        if hasattr(state, "as_in_context"):
            return state.as_in_context(context)
        if isinstance(state, (tuple, list)):
            synced = [self.sync_state_context(s, context) for s in state]
            return tuple(synced) if isinstance(state, tuple) else synced
        return state

    def set_states(self, states: bytes) -> None:
        """Restore states (and the optimizer, when saved with it) from ``get_states`` bytes."""
        from .state_io import states_from_bytes

        states_from_bytes(self, states)

    def get_states(self, dump_optimizer: bool = False) -> bytes:
        """The states (and the optimizer's settings and counts if ``dump_optimizer``) as bytes
        in gluonlite's state format (``.params`` arrays plus JSON; never pickle)."""
        from .state_io import states_to_bytes

        return states_to_bytes(self, dump_optimizer)


def get_updater(optimizer: Optimizer) -> Updater:
    """An :class:`Updater` for ``optimizer`` (MXNet's ``get_updater``)."""
    return Updater(optimizer)


def bias_corrected_lr(lr: float, beta1: float, beta2: float, t: int) -> float:
    """Adam's step size at update ``t``: ``lr * sqrt(1 - beta2**t) / (1 - beta1**t)``."""
    return lr * math.sqrt(1.0 - beta2**t) / (1.0 - beta1**t)
