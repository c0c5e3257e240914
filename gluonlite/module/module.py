"""``Module`` (MXNet 1.x ``mx.mod.Module``): a Symbol with its executors, parameters and
optimizer — bind, initialise, train with ``fit`` or step by step, checkpoint."""

from __future__ import annotations

import logging
import warnings
from typing import Any

from .. import errors
from .. import optimizer as opt
from ..context import Context, cpu
from .base_module import BaseModule
from .executor_group import ExecutorGroup, as_descs
from .model import load_checkpoint, save_checkpoint

__all__ = ["Module"]


class Module(BaseModule):
    """Wraps a Symbol: ``data_names`` and ``label_names`` are its inputs fed from batches,
    every other argument is a parameter, and auxiliary states (BatchNorm statistics) are
    kept alongside. With several contexts each one computes a slice of the batch."""

    def __init__(
        self,
        symbol: Any,
        data_names: Any = ("data",),
        label_names: Any = ("softmax_label",),
        logger: Any = logging,
        context: Any = None,
        work_load_list: list | None = None,
        fixed_param_names: list | None = None,
        state_names: list | None = None,
        group2ctxs: Any = None,
        compression_params: Any = None,
    ) -> None:
        super().__init__(logger=logger)
        context = cpu() if context is None else context
        self._context = [context] if isinstance(context, Context) else list(context)
        self._work_load_list = work_load_list or [1] * len(self._context)
        if len(self._work_load_list) != len(self._context):
            raise errors.MXNetValueError("work_load_list needs one entry per context")
        self._symbol = symbol
        self._data_names = list(data_names or [])
        self._label_names = list(label_names or [])
        self._fixed_param_names = list(fixed_param_names or [])
        arg_names = symbol.list_arguments()
        missing = [n for n in self._data_names if n not in arg_names]
        if missing:
            raise errors.MXNetValueError(
                f"data names {missing} are not arguments of the symbol; its arguments are "
                f"{arg_names}"
            )
        for name in self._label_names:
            if name not in arg_names:
                warnings.warn(
                    f"label name {name!r} is not an argument of the symbol "
                    f"(arguments: {arg_names})",
                    stacklevel=2,
                )
        inputs = set(self._data_names + self._label_names + list(state_names or []))
        self._param_names = [n for n in arg_names if n not in inputs]
        self._aux_names = symbol.list_auxiliary_states()
        self._output_names = symbol.list_outputs()
        self._arg_params: dict | None = None
        self._aux_params: dict | None = None
        self._params_dirty = False
        self._optimizer = None
        self._updater = None
        self._kvstore = None
        self._update_on_kvstore = False
        self._preload_opt_states: str | None = None
        self._exec_group: ExecutorGroup | None = None
        self._data_shapes: list = []
        self._label_shapes: list = []
        self._grad_req = "write"

    # ---- checkpoints ------------------------------------------------------------------------
    @staticmethod
    def load(prefix: str, epoch: int, load_optimizer_states: bool = False, **kwargs: Any) -> Module:
        """A Module from ``prefix-symbol.json`` and ``prefix-%04d.params`` (bind it next)."""
        symbol, arg_params, aux_params = load_checkpoint(prefix, epoch)
        mod = Module(symbol=symbol, **kwargs)
        mod._arg_params, mod._aux_params = arg_params, aux_params
        mod.params_initialized = True
        if load_optimizer_states:
            mod._preload_opt_states = f"{prefix}-{epoch:04d}.states"
        return mod

    def save_checkpoint(
        self,
        prefix: str,
        epoch: int,
        save_optimizer_states: bool = False,
        remove_amp_cast: bool = True,
    ) -> None:
        """Write the symbol, the parameters and (optionally) the optimizer states."""
        arg_params, aux_params = self.get_params()
        save_checkpoint(prefix, epoch, self._symbol, arg_params, aux_params, remove_amp_cast)
        if save_optimizer_states:
            self.save_optimizer_states(f"{prefix}-{epoch:04d}.states")

    def save_optimizer_states(self, fname: str) -> None:
        if not self.optimizer_initialized:
            raise RuntimeError("save_optimizer_states: call init_optimizer first")
        with open(fname, "wb") as f:
            f.write(self._updater.get_states())

    def load_optimizer_states(self, fname: str) -> None:
        if not self.optimizer_initialized:
            raise RuntimeError("load_optimizer_states: call init_optimizer first")
        with open(fname, "rb") as f:
            self._updater.set_states(f.read())

    # ---- names and shapes -------------------------------------------------------------------
    @property
    def data_names(self) -> list[str]:
        return self._data_names

    @property
    def label_names(self) -> list[str]:
        return self._label_names

    @property
    def output_names(self) -> list[str]:
        return self._output_names

    @property
    def data_shapes(self) -> list:
        return self._data_shapes

    @property
    def label_shapes(self) -> list:
        return self._label_shapes

    @property
    def output_shapes(self) -> list:
        return self._exec_group.get_output_shapes()

    # ---- parameters -------------------------------------------------------------------------
    def get_params(self) -> tuple[dict, dict]:
        """(arg_params, aux_params): host copies of the current values."""
        self._check_ready()
        if self._params_dirty:
            self._exec_group.get_params(self._arg_params, self._aux_params)
            self._params_dirty = False
        return self._arg_params, self._aux_params

    def init_params(
        self,
        initializer: Any = None,
        arg_params: dict | None = None,
        aux_params: dict | None = None,
        allow_missing: bool = False,
        force_init: bool = False,
        allow_extra: bool = False,
    ) -> None:
        """Fill every parameter from ``arg_params``/``aux_params`` or ``initializer``
        (default ``Uniform(0.01)``; names pick the rule: *_bias 0, *_gamma 1...)."""
        from .. import ndarray as nd
        from ..init import InitDesc, Uniform

        if self.params_initialized and not force_init:
            return
        if not self.binded:
            raise RuntimeError("call bind before init_params")
        group = self._exec_group
        if self._arg_params is None or any(n not in self._arg_params for n in self._param_names):
            self._arg_params = {
                n: nd.zeros(a[0].shape, dtype=a[0].dtype)
                for n, a in zip(self._param_names, group.param_arrays)
            }
        if self._aux_params is None or any(n not in self._aux_params for n in self._aux_names):
            self._aux_params = {
                n: nd.zeros(a[0].shape, dtype=a[0].dtype)
                for n, a in zip(self._aux_names, group.aux_arrays)
            }
        if initializer is None and arg_params is None and aux_params is None:
            initializer = Uniform(0.01)
        attrs = self._symbol.attr_dict()

        def fill(name: str, arr: Any, cache: dict | None) -> None:
            if cache is not None and name in cache:
                if cache[name] is not arr:
                    cache[name].astype(arr.dtype).copyto(arr)
                return
            if cache is not None and not allow_missing:
                raise RuntimeError(
                    f"init_params: {name} is not presented (pass "
                    "allow_missing=True to initialise it)"
                )
            if initializer is not None:
                initializer(InitDesc(name, attrs.get(name, {})), arr)

        for name, arr in sorted(self._arg_params.items()):
            fill(name, arr, arg_params)
        for name, arr in sorted(self._aux_params.items()):
            fill(name, arr, aux_params)
        self.params_initialized = True
        self._params_dirty = False
        group.set_params(self._arg_params, self._aux_params, allow_extra=allow_extra)

    def set_params(
        self,
        arg_params: dict,
        aux_params: dict,
        allow_missing: bool = False,
        force_init: bool = True,
        allow_extra: bool = False,
    ) -> None:
        if not allow_missing:
            self.init_params(
                initializer=None,
                arg_params=arg_params,
                aux_params=aux_params,
                allow_missing=allow_missing,
                force_init=force_init,
                allow_extra=allow_extra,
            )
            return
        if self.params_initialized and not force_init:
            return
        self._exec_group.set_params(arg_params, aux_params, allow_extra=allow_extra)
        self._params_dirty = True
        self.params_initialized = True

    # ---- binding ----------------------------------------------------------------------------
    def bind(
        self,
        data_shapes: Any,
        label_shapes: Any = None,
        for_training: bool = True,
        inputs_need_grad: bool = False,
        force_rebind: bool = False,
        shared_module: Module | None = None,
        grad_req: Any = "write",
    ) -> None:
        """Allocate executors for these input shapes (DataDescs or ``(name, shape)`` pairs)."""
        if force_rebind:
            self.binded = False
            self._exec_group = None
        if self.binded:
            self.logger.warning("Already bound, ignoring bind()")
            return
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self._grad_req = grad_req
        self._data_shapes = as_descs(data_shapes)
        self._label_shapes = as_descs(label_shapes) if label_shapes is not None else []
        if [d.name for d in self._data_shapes] != self._data_names:
            raise errors.MXNetValueError(
                f"bind: data shapes name {[d.name for d in self._data_shapes]} but the module's "
                f"data_names are {self._data_names}"
            )
        shared_group = None
        if shared_module is not None:
            if not (shared_module.binded and shared_module.params_initialized):
                raise RuntimeError("shared_module must be bound and initialised")
            shared_group = shared_module._exec_group
        self._exec_group = ExecutorGroup(
            self._symbol,
            self._context,
            self._work_load_list,
            self._data_shapes,
            self._label_shapes,
            self._param_names,
            for_training,
            inputs_need_grad,
            shared_group,
            self._fixed_param_names,
            grad_req,
        )
        self.binded = True
        if shared_module is not None:
            self.params_initialized = True
            self._arg_params, self._aux_params = (
                shared_module._arg_params,
                shared_module._aux_params,
            )
        elif self.params_initialized:  # re-binding: carry the values over
            self._exec_group.set_params(self._arg_params, self._aux_params)
        if shared_module is not None and shared_module.optimizer_initialized:
            self.borrow_optimizer(shared_module)

    def reshape(self, data_shapes: Any, label_shapes: Any = None) -> None:
        """Rebind for new input shapes, keeping parameters and optimizer."""
        self._data_shapes = as_descs(data_shapes)
        self._label_shapes = as_descs(label_shapes) if label_shapes is not None else []
        self._exec_group.reshape(self._data_shapes, self._label_shapes)

    # ---- optimizer --------------------------------------------------------------------------
    def init_optimizer(
        self,
        kvstore: Any = "local",
        optimizer: Any = "sgd",
        optimizer_params: Any = (("learning_rate", 0.01),),
        force_init: bool = False,
    ) -> None:
        """Install an optimizer (a name with parameters, or an Optimizer); gradients are
        rescaled by 1/batch_size unless ``rescale_grad`` is given."""
        self._check_ready()
        if self.optimizer_initialized and not force_init:
            self.logger.warning("optimizer already initialized, ignoring...")
            return
        n_dev = len(self._context)
        idx2name = {i * n_dev + k: n for i, n in enumerate(self._param_names) for k in range(n_dev)}
        rescale = 1.0 / self._exec_group.batch_size
        if isinstance(optimizer, str):
            params = dict(optimizer_params)
            params.setdefault("rescale_grad", rescale)
            optimizer = opt.create(optimizer, sym=self._symbol, param_idx2name=idx2name, **params)
        elif isinstance(optimizer, opt.Optimizer):
            if optimizer.rescale_grad != rescale:
                warnings.warn(
                    f"optimizer created outside the Module has rescale_grad "
                    f"{optimizer.rescale_grad}, not 1/batch_size = {rescale}",
                    stacklevel=2,
                )
            if not optimizer.idx2name:
                optimizer.idx2name = idx2name.copy()
        else:
            raise errors.MXNetTypeError(
                f"init_optimizer: optimizer must be a name or an "
                f"Optimizer, not {type(optimizer).__name__}"
            )
        self._optimizer = optimizer
        self._kvstore = kvstore
        self._updater = opt.get_updater(optimizer)
        self.optimizer_initialized = True
        if self._preload_opt_states is not None:
            self.load_optimizer_states(self._preload_opt_states)
            self._preload_opt_states = None

    def borrow_optimizer(self, shared_module: Module) -> None:
        self._optimizer = shared_module._optimizer
        self._kvstore = shared_module._kvstore
        self._updater = shared_module._updater
        self.optimizer_initialized = True

    # ---- computation ------------------------------------------------------------------------
    def forward(self, data_batch: Any, is_train: bool | None = None) -> None:
        """Run a batch; a batch of other shapes rebinds the executors first."""
        self._check_ready()
        new_shapes = [tuple(d.shape) for d in data_batch.data]
        if new_shapes != [tuple(d.shape) for d in self._data_shapes]:
            provided = getattr(data_batch, "provide_data", None)
            data_shapes = provided or [
                type(d)(d.name, s, d.dtype, d.layout) for d, s in zip(self._data_shapes, new_shapes)
            ]
            labels = data_batch.label or []
            label_shapes = getattr(data_batch, "provide_label", None) or [
                type(d)(d.name, lb.shape, d.dtype, d.layout)
                for d, lb in zip(self._label_shapes, labels)
            ]
            self.reshape(data_shapes, label_shapes or None)
        self._exec_group.forward(data_batch, self.for_training if is_train is None else is_train)

    def backward(self, out_grads: Any = None) -> None:
        self._check_ready()
        if out_grads is not None and not isinstance(out_grads, (list, tuple)):
            out_grads = [out_grads]
        self._exec_group.backward(out_grads)

    def update(self) -> None:
        """One optimizer step on every parameter from the last backward (summed over
        devices)."""
        if not self.optimizer_initialized:
            raise RuntimeError("call init_optimizer (or fit) before update")
        self._params_dirty = True
        n_dev = len(self._context)
        group = self._exec_group
        for i, (weights, grads) in enumerate(zip(group.param_arrays, group.grad_arrays)):
            if grads[0] is None:
                continue
            if n_dev > 1:
                total = grads[0]
                for g in grads[1:]:
                    total = total + g.as_in_context(total.context)
                for g in grads:
                    total.copyto(g)
            for k, (w, g) in enumerate(zip(weights, grads)):
                self._updater(i * n_dev + k, g, w)

    def get_outputs(self, merge_multi_context: bool = True) -> list:
        self._check_ready()
        return self._exec_group.get_outputs(merge_multi_context)

    def get_input_grads(self, merge_multi_context: bool = True) -> list:
        if not self.inputs_need_grad:
            raise RuntimeError("bind with inputs_need_grad=True to get input gradients")
        return self._exec_group.get_input_grads(merge_multi_context)

    def update_metric(self, eval_metric: Any, labels: Any, pre_sliced: bool = False) -> None:
        self._exec_group.update_metric(eval_metric, labels)
