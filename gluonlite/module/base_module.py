"""The training and evaluation loops shared by modules (MXNet 1.x ``BaseModule``): ``fit``,
``score``, ``predict``, ``iter_predict``, ``forward_backward``."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import numpy

from .. import metric as _metric
from .model import BatchEndParam

__all__ = ["BaseModule"]


def _as_list(x: Any) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _callbacks(callbacks: Any, *args: Any) -> None:
    if callbacks is not None:
        for callback in _as_list(callbacks):
            callback(*args)


class BaseModule:
    """The protocol of a module, and the loops written on it. Subclasses implement ``bind``,
    ``init_params``, ``init_optimizer``, ``forward``, ``backward``, ``update``,
    ``get_outputs``, ``update_metric``, ``get_params``."""

    def __init__(self, logger: Any = logging) -> None:
        self.logger = logger
        self.binded = False
        self.for_training = False
        self.inputs_need_grad = False
        self.params_initialized = False
        self.optimizer_initialized = False
        self._symbol = None
        self._total_exec_bytes = 0

    @property
    def symbol(self) -> Any:
        return self._symbol

    # ---- loops ------------------------------------------------------------------------------
    def forward_backward(self, data_batch: Any) -> None:
        self.forward(data_batch, is_train=True)
        self.backward()

    def score(
        self,
        eval_data: Any,
        eval_metric: Any,
        num_batch: int | None = None,
        batch_end_callback: Any = None,
        score_end_callback: Any = None,
        reset: bool = True,
        epoch: int = 0,
        sparse_row_id_fn: Any = None,
    ) -> list:
        """Run ``eval_data`` in prediction mode and return ``eval_metric.get_name_value()``."""
        self._check_ready()
        if reset:
            eval_data.reset()
        eval_metric = _metric.create(eval_metric)
        eval_metric.reset()
        seen = 0
        for nbatch, batch in enumerate(eval_data):
            if num_batch is not None and nbatch == num_batch:
                break
            self.forward(batch, is_train=False)
            self.update_metric(eval_metric, batch.label)
            _callbacks(batch_end_callback, BatchEndParam(epoch, nbatch, eval_metric, locals()))
            seen += 1
        _callbacks(score_end_callback, BatchEndParam(epoch, seen, eval_metric, locals()))
        return eval_metric.get_name_value()

    def iter_predict(
        self,
        eval_data: Any,
        num_batch: int | None = None,
        reset: bool = True,
        sparse_row_id_fn: Any = None,
    ) -> Iterator[tuple[list, int, Any]]:
        """Yield (outputs without the padding, batch number, batch) for each batch."""
        self._check_ready()
        if reset:
            eval_data.reset()
        for nbatch, batch in enumerate(eval_data):
            if num_batch is not None and nbatch == num_batch:
                break
            self.forward(batch, is_train=False)
            pad = batch.pad or 0
            yield [o[0 : o.shape[0] - pad] for o in self.get_outputs()], nbatch, batch

    def predict(
        self,
        eval_data: Any,
        num_batch: int | None = None,
        merge_batches: bool = True,
        reset: bool = True,
        always_output_list: bool = False,
        sparse_row_id_fn: Any = None,
    ) -> Any:
        """The outputs over ``eval_data`` (padding removed), concatenated over batches."""
        from .. import ndarray as nd

        if not hasattr(eval_data, "reset"):  # one array: a single forward, as MXNet does
            from ..io import DataBatch

            self.forward(
                DataBatch(
                    [nd.array(eval_data) if not hasattr(eval_data, "asnumpy") else eval_data]
                ),
                is_train=False,
            )
            return self.get_outputs()[0]
        outputs = [outs for outs, _, _ in self.iter_predict(eval_data, num_batch, reset)]
        if not outputs or not merge_batches:
            return outputs
        count = len(outputs[0])
        if any(len(o) != count for o in outputs):
            raise ValueError(
                "cannot merge batches: the number of outputs differs between "
                "batches; use merge_batches=False"
            )
        merged = [
            nd.array(
                numpy.concatenate([o[i].asnumpy() for o in outputs]), dtype=outputs[0][i].dtype
            )
            for i in range(count)
        ]
        return merged[0] if count == 1 and not always_output_list else merged

    def fit(
        self,
        train_data: Any,
        eval_data: Any = None,
        eval_metric: Any = "acc",
        epoch_end_callback: Any = None,
        batch_end_callback: Any = None,
        kvstore: Any = "local",
        optimizer: Any = "sgd",
        optimizer_params: Any = (("learning_rate", 0.01),),
        eval_end_callback: Any = None,
        eval_batch_end_callback: Any = None,
        initializer: Any = None,
        arg_params: dict | None = None,
        aux_params: dict | None = None,
        allow_missing: bool = False,
        force_rebind: bool = False,
        force_init: bool = False,
        begin_epoch: int = 0,
        num_epoch: int | None = None,
        validation_metric: Any = None,
        monitor: Any = None,
        sparse_row_id_fn: Any = None,
    ) -> None:
        """Train for ``num_epoch`` epochs over ``train_data`` (MXNet 1.x ``Module.fit``)."""
        from ..init import Uniform

        if num_epoch is None:
            raise ValueError("fit: please give num_epoch")
        self.bind(
            data_shapes=train_data.provide_data,
            label_shapes=train_data.provide_label,
            for_training=True,
            force_rebind=force_rebind,
        )
        self.init_params(
            initializer=initializer if initializer is not None else Uniform(0.01),
            arg_params=arg_params,
            aux_params=aux_params,
            allow_missing=allow_missing,
            force_init=force_init,
        )
        self.init_optimizer(kvstore=kvstore, optimizer=optimizer, optimizer_params=optimizer_params)
        validation_metric = validation_metric if validation_metric is not None else eval_metric
        eval_metric = _metric.create(eval_metric)
        for epoch in range(begin_epoch, num_epoch):
            tic = time.time()
            eval_metric.reset()
            for nbatch, batch in enumerate(train_data):
                self.forward_backward(batch)
                self.update()
                self.update_metric(eval_metric, batch.label)
                _callbacks(batch_end_callback, BatchEndParam(epoch, nbatch, eval_metric, locals()))
            for name, value in eval_metric.get_name_value():
                self.logger.info("Epoch[%d] Train-%s=%f", epoch, name, value)
            self.logger.info("Epoch[%d] Time cost=%.3f", epoch, time.time() - tic)
            arg, aux = self.get_params()
            self.set_params(arg, aux)
            _callbacks(epoch_end_callback, epoch, self.symbol, arg, aux)
            if eval_data is not None:
                results = self.score(
                    eval_data,
                    validation_metric,
                    score_end_callback=eval_end_callback,
                    batch_end_callback=eval_batch_end_callback,
                    epoch=epoch,
                )
                for name, value in results:
                    self.logger.info("Epoch[%d] Validation-%s=%f", epoch, name, value)
            train_data.reset()

    # ---- helpers ----------------------------------------------------------------------------
    def _check_ready(self) -> None:
        if not (self.binded and self.params_initialized):
            raise RuntimeError("call bind() and init_params() (or fit) before running the module")

    def prepare(self, data_batch: Any, sparse_row_id_fn: Any = None) -> None:
        """Nothing to prepare: parameters are dense and local."""

    def install_monitor(self, mon: Any) -> None:
        """Monitors are not supported; accepted for compatibility."""

    def save_params(self, fname: str) -> None:
        """``arg:``/``aux:`` arrays in MXNet's ``.params`` format."""
        from .. import ndarray as nd

        arg_params, aux_params = self.get_params()
        arrays = {f"arg:{k}": v for k, v in arg_params.items()}
        arrays.update({f"aux:{k}": v for k, v in aux_params.items()})
        nd.save(fname, arrays)

    def load_params(self, fname: str) -> None:
        from .. import ndarray as nd

        arg_params, aux_params = {}, {}
        for key, value in nd.load(fname).items():
            kind, _, name = key.partition(":")
            (arg_params if kind == "arg" else aux_params)[name] = value
        self.set_params(arg_params, aux_params)
