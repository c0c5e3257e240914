"""Trainer: applies an optimizer to a set of Parameters after each backward pass (MXNet's
``gluon.Trainer``).

``step(batch_size)`` scales gradients by ``1 / batch_size``, sums them over the copies of each
parameter (the devices of ``split_and_load``, and the worker processes of a distributed
kvstore), then updates every copy in place. A parameter whose gradient backward has not
written since the last step is reported in a ``UserWarning`` and left unchanged.
"""

from __future__ import annotations

import warnings
from typing import Any

from . import optimizer as opt
from .errors import MXNetRuntimeError, MXNetTypeError, MXNetValueError
from .kvstore import KVStoreBase
from .kvstore import create as create_kvstore
from .nn.parameter import Parameter
from .optimizer.state_io import read_states, restore_optimizer, save_updater

__all__ = ["Trainer"]


def _named_params(params: Any) -> tuple[list[str], list]:
    if hasattr(params, "items") and hasattr(params, "values"):
        items = list(params.items())
        return [str(k) for k, _ in items], [v for _, v in items]
    if isinstance(params, (list, tuple)):
        return [getattr(p, "name", str(p)) for p in params], list(params)
    raise MXNetTypeError(
        f"First argument must be a list or dict of Parameters (e.g. net.collect_params()), "
        f"got {type(params).__name__}"
    )


class Trainer:
    """Applies ``optimizer`` (a name with ``optimizer_params``, or an Optimizer) to
    ``params`` (``collect_params()``, a dict or a list of Parameters).

    ``kvstore`` sums gradients across devices and processes: 'device'/'local' in-process
    (used when the parameters live on several contexts), 'dist_sync' etc. across ``mpiexec``
    workers, a KVStore instance, or None (no reduction). With ``update_on_kvstore=True`` the
    store runs the optimizer on its copy of the weights and every device pulls the result;
    the default updates each copy locally, which gives the same numbers.
    """

    def __init__(
        self,
        params: Any,
        optimizer: Any,
        optimizer_params: dict | None = None,
        kvstore: Any = "device",
        compression_params: dict | None = None,
        update_on_kvstore: bool | None = None,
    ) -> None:
        names, plist = _named_params(params)
        self._params: list[Parameter] = []
        self._param_names: list[str] = []
        self._param2idx: dict[int, int] = {}
        for name, param in zip(names, plist):
            if not isinstance(param, Parameter):
                raise MXNetTypeError(
                    "First argument must be a list or dict of Parameters, got a list of "
                    f"{type(param).__name__}"
                )
            if id(param) in self._param2idx:  # shared parameters are updated once
                continue
            self._param2idx[id(param)] = len(self._params)
            self._params.append(param)
            self._param_names.append(name)
        self._compression_params = compression_params
        self._contexts = self._check_contexts()
        self._init_optimizer(optimizer, optimizer_params)
        self._scale = float(self._optimizer.rescale_grad)
        self._kvstore_params = {"kvstore": kvstore, "update_on_kvstore": update_on_kvstore}
        self._kv_initialized = False
        self._kvstore: Any = None
        self._update_on_kvstore: bool | None = None
        self._distributed: bool | None = None
        self._params_to_init = list(range(len(self._params)))

    def _check_contexts(self) -> list:
        contexts = None
        for name, param in zip(self._param_names, self._params):
            ctx = param.list_ctx()
            if contexts is not None and contexts != ctx:
                raise MXNetValueError(
                    "All Parameters must be initialized on the same set of contexts, but "
                    f"Parameter {name} is initialized on {ctx} while previous Parameters are "
                    f"initialized on {contexts}."
                )
            contexts = ctx
        return contexts or []

    def _init_optimizer(self, optimizer: Any, optimizer_params: dict | None) -> None:
        param_dict = dict(enumerate(self._params))
        if isinstance(optimizer, opt.Optimizer):
            if optimizer_params:
                raise MXNetValueError(
                    "optimizer_params must be None if optimizer is an instance of Optimizer "
                    "instead of str"
                )
            self._optimizer = optimizer
            optimizer.param_dict = param_dict
        else:
            self._optimizer = opt.create(
                optimizer, param_dict=param_dict, **(optimizer_params or {})
            )
        self._updaters = [opt.get_updater(self._optimizer) for _ in self._contexts]

    # ---- kvstore --------------------------------------------------------------------------
    def _init_kvstore(self) -> None:
        """Create the kvstore on first use (MXNet: none for one device without 'dist')."""
        config = self._kvstore_params
        kind = config["kvstore"]
        if kind is None:
            kv = None
        elif isinstance(kind, KVStoreBase):
            kv = kind
        elif isinstance(kind, str):
            single = len(self._contexts) <= 1 and "dist" not in kind
            kv = None if single else create_kvstore(kind)
        else:
            raise MXNetTypeError(f"kvstore must be a KVStore, str or None, not {type(kind)}")
        if kv is None:
            self._kvstore, self._update_on_kvstore, self._distributed = None, None, False
        else:
            if self._compression_params:
                kv.set_gradient_compression(self._compression_params)
            update = bool(config["update_on_kvstore"]) and kv.is_capable(KVStoreBase.OPTIMIZER)
            if update:
                kv.set_optimizer(self._optimizer)
            self._kvstore, self._update_on_kvstore = kv, update
            self._distributed = "dist" in kv.type
        self._kv_initialized = True

    def _init_params(self) -> None:
        """Give the kvstore (and every device and worker) the first device's values of rank 0
        for each initialized parameter; deferred ones wait for their first forward."""
        pending = []
        for i in self._params_to_init:
            param = self._params[i]
            if param._data is None:
                pending.append(i)
            elif self._kvstore is not None:
                data = param.list_data()
                self._kvstore.broadcast(i, data[0], out=data)
        self._params_to_init = pending

    def _prepare(self) -> None:
        if not self._kv_initialized:
            self._init_kvstore()
        if self._params_to_init:
            self._init_params()

    # ---- learning rate --------------------------------------------------------------------
    @property
    def learning_rate(self) -> float:
        return self._optimizer.learning_rate

    def set_learning_rate(self, lr: float) -> None:
        """Set the optimizer's learning rate (an error when a scheduler drives it)."""
        self._optimizer.set_learning_rate(lr)

    @property
    def optimizer(self) -> opt.Optimizer:
        return self._optimizer

    # ---- stepping ---------------------------------------------------------------------------
    def step(self, batch_size: int, ignore_stale_grad: bool = False) -> None:
        """One update: gradients are scaled by ``1 / batch_size``, all-reduced, and applied.

        Call it after ``backward()`` and outside ``autograd.record()``. Parameters whose
        gradient is stale (no backward wrote it since the last step) are skipped, with a
        ``UserWarning`` naming them unless ``ignore_stale_grad``."""
        self._optimizer.rescale_grad = self._scale / batch_size
        self._prepare()
        if self._update_on_kvstore:
            for i in self._fresh(ignore_stale_grad):
                param = self._params[i]
                self._kvstore.pushpull(i, param.list_grad(), out=param.list_data(), priority=-i)
            return
        self._allreduce_grads()
        self._update(ignore_stale_grad)

    def allreduce_grads(self) -> None:
        """Sum each parameter's gradients over its devices (and workers) in place; then call
        ``update``. Use this pair instead of ``step`` to transform the reduced gradients
        (e.g. ``utils.clip_global_norm``)."""
        self._prepare()
        self._no_kvstore_update("allreduce_grads")
        self._allreduce_grads()

    def _allreduce_grads(self) -> None:
        kv = self._kvstore
        if kv is None:
            return
        for i, param in enumerate(self._params):
            if param.grad_req != "null" and param._data is not None:
                kv.pushpull(i, param.list_grad(), priority=-i)

    def update(self, batch_size: int, ignore_stale_grad: bool = False) -> None:
        """Apply the optimizer to the (already reduced) gradients, scaled by
        ``1 / batch_size``."""
        self._prepare()
        self._no_kvstore_update("update")
        self._optimizer.rescale_grad = self._scale / batch_size
        self._update(ignore_stale_grad)

    def _no_kvstore_update(self, what: str) -> None:
        if self._kvstore is not None and self._update_on_kvstore:
            raise MXNetRuntimeError(
                f"{what}() when parameters are updated on kvstore is not supported. Try "
                "setting `update_on_kvstore` to False when creating trainer."
            )

    def _fresh(self, ignore_stale_grad: bool) -> list[int]:
        """Indices of the trainable parameters whose gradients backward wrote since the last
        step (clearing the marks); warns about the others unless ``ignore_stale_grad``."""
        fresh, stale = [], []
        for i, param in enumerate(self._params):
            if param.grad_req == "null":
                continue
            if param._data is not None and param._take_fresh_grad():
                fresh.append(i)
            else:
                stale.append(self._param_names[i])
        if stale and not ignore_stale_grad:
            warnings.warn(
                f"Gradient of Parameter(s) {', '.join(f'`{n}`' for n in stale)} has not been "
                "updated by backward since last `step`, so they were left unchanged. This "
                "could mean a bug in your model that made it only use a subset of the "
                "Parameters (Blocks) for this iteration. If you are intentionally only using "
                "a subset, call step with ignore_stale_grad=True to suppress this warning",
                UserWarning,
                stacklevel=3,
            )
        return fresh

    def _update(self, ignore_stale_grad: bool = False) -> None:
        fresh = self._fresh(ignore_stale_grad)
        if not fresh:
            return
        params = self._params
        for c, updater in enumerate(self._updaters):
            weights = [params[i]._data[c] for i in fresh]
            updater(fresh, [w.grad for w in weights], weights)

    # ---- checkpoints ------------------------------------------------------------------------
    def save_states(self, fname: str) -> None:
        """Save the optimizer's states, settings, per-index update counts and scheduler
        position to ``fname`` (MXNet ``.params`` arrays + JSON metadata, written atomically)."""
        self._prepare()
        if self._update_on_kvstore:
            self._kvstore.save_optimizer_states(fname, dump_optimizer=True)
            return
        updater = self._updaters[0] if self._updaters else opt.get_updater(self._optimizer)
        save_updater(fname, updater, dump_optimizer=True)

    def load_states(self, fname: str) -> None:
        """Load states written by ``save_states``: training continues exactly where the saved
        run stopped (same moments, update counts and learning-rate schedule)."""
        self._prepare()
        if self._update_on_kvstore:
            self._kvstore.load_optimizer_states(fname)
            self._optimizer = self._kvstore._updater.optimizer
        else:
            states, meta = read_states(fname)
            if meta is not None:
                self._optimizer = restore_optimizer(self._optimizer, meta)
            # each device gets its own copy now: states are updated in place, so a lazy copy
            # taken after another device's update would start from the wrong values
            for updater, ctx in zip(self._updaters, self._contexts):
                updater.states = {k: updater.sync_state_context(s, ctx) for k, s in states.items()}
                updater.states_synced = dict.fromkeys(states, True)
                updater.optimizer = self._optimizer
        self._optimizer.param_dict = dict(enumerate(self._params))
