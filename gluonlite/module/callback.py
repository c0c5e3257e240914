"""Training callbacks of MXNet 1.x (``mx.callback``) for ``Module.fit``: speed and metric
logging at batch ends, checkpoints at epoch ends."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import Any

from .model import save_checkpoint

__all__ = [
    "LogValidationMetricsCallback",
    "ProgressBar",
    "Speedometer",
    "do_checkpoint",
    "log_train_metric",
    "module_checkpoint",
]

_LOG = logging.getLogger("gluonlite.callback")


def do_checkpoint(prefix: str, period: int = 1) -> Callable:
    """An epoch-end callback saving ``prefix-symbol.json`` and ``prefix-%04d.params``."""
    period = max(1, int(period))

    def callback(iter_no: int, sym: Any = None, arg: Any = None, aux: Any = None) -> None:
        if (iter_no + 1) % period == 0:
            save_checkpoint(prefix, iter_no + 1, sym, arg, aux)

    return callback


def module_checkpoint(
    mod: Any, prefix: str, period: int = 1, save_optimizer_states: bool = False
) -> Callable:
    """An epoch-end callback calling ``mod.save_checkpoint``."""
    period = max(1, int(period))

    def callback(iter_no: int, sym: Any = None, arg: Any = None, aux: Any = None) -> None:
        if (iter_no + 1) % period == 0:
            mod.save_checkpoint(prefix, iter_no + 1, save_optimizer_states)

    return callback


def log_train_metric(period: int, auto_reset: bool = False) -> Callable:
    """A batch-end callback logging the training metric every ``period`` batches."""

    def callback(param: Any) -> None:
        if param.nbatch % period == 0 and param.eval_metric is not None:
            for name, value in param.eval_metric.get_name_value():
                _LOG.info("Iter[%d] Batch[%d] Train-%s=%f", param.epoch, param.nbatch, name, value)
            if auto_reset:
                param.eval_metric.reset_local()

    return callback


class Speedometer:
    """Logs samples/second (and the metric) every ``frequent`` batches."""

    def __init__(self, batch_size: int, frequent: int = 50, auto_reset: bool = True) -> None:
        self.batch_size = batch_size
        self.frequent = frequent
        self.auto_reset = auto_reset
        self.init = False
        self.tic = 0.0
        self.last_count = 0

    def __call__(self, param: Any) -> None:
        count = param.nbatch
        if self.last_count > count:
            self.init = False
        self.last_count = count
        if not self.init:
            self.init = True
            self.tic = time.time()
            return
        if count % self.frequent == 0:
            speed = self.frequent * self.batch_size / max(time.time() - self.tic, 1e-12)
            if param.eval_metric is not None:
                pairs = param.eval_metric.get_name_value()
                if self.auto_reset:
                    param.eval_metric.reset_local()
                text = "".join(f"\t{n}={v:f}" for n, v in pairs)
                _LOG.info(
                    "Epoch[%d] Batch [%d-%d]\tSpeed: %.2f samples/sec%s",
                    param.epoch,
                    count - self.frequent,
                    count,
                    speed,
                    text,
                )
            else:
                _LOG.info("Iter[%d] Batch [%d]\tSpeed: %.2f samples/sec", param.epoch, count, speed)
            self.tic = time.time()


class ProgressBar:
    """Prints a progress bar of ``total`` batches."""

    def __init__(self, total: int, length: int = 80) -> None:
        self.bar_len = length
        self.total = total

    def __call__(self, param: Any) -> None:
        filled = round(self.bar_len * param.nbatch / float(self.total))
        percents = 100.0 * param.nbatch / float(self.total)
        bar = "=" * filled + "-" * (self.bar_len - filled)
        sys.stdout.write(f"[{bar}] {percents:.1f}%\r")


class LogValidationMetricsCallback:
    """An eval-end callback logging the validation metrics."""

    def __call__(self, param: Any) -> None:
        if param.eval_metric is not None:
            for name, value in param.eval_metric.get_name_value():
                _LOG.info("Epoch[%d] Validation-%s=%f", param.epoch, name, value)
