"""Regression metrics: MAE, MSE, RMSE (averaged over batches, as MXNet does), Pearson
correlation, and ``Loss``, the mean of loss values computed elsewhere."""

from __future__ import annotations

import math
from typing import Any

import numpy

from .. import errors
from .base import EvalMetric, _as_list, _numpy, alias, check_label_shapes, register

__all__ = ["MAE", "MSE", "RMSE", "Loss", "PearsonCorrelation"]


class _BatchRegression(EvalMetric):
    """A per-batch error of labels vs predictions, averaged over batches (each batch counts
    once, whatever its size: MXNet's definition)."""

    def __init__(self, name: str, output_names: list | None, label_names: list | None) -> None:
        super().__init__(
            name, output_names=output_names, label_names=label_names, has_global_stats=True
        )

    @staticmethod
    def _error(diff: numpy.ndarray) -> float:
        raise NotImplementedError

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label, pred = _numpy(label), _numpy(pred)
            # 1-d arrays are columns, so (N,) labels and (N, 1) predictions line up
            label = label.reshape(-1, 1) if label.ndim == 1 else label
            pred = pred.reshape(-1, 1) if pred.ndim == 1 else pred
            self._accumulate(self._error(label - pred), 1)


@register
class MAE(_BatchRegression):
    """Mean absolute error."""

    def __init__(
        self,
        name: str = "mae",
        output_names: list | None = None,
        label_names: list | None = None,
    ) -> None:
        super().__init__(name, output_names, label_names)

    @staticmethod
    def _error(diff: numpy.ndarray) -> float:
        return numpy.abs(diff).mean()


@register
class MSE(_BatchRegression):
    """Mean squared error."""

    def __init__(
        self,
        name: str = "mse",
        output_names: list | None = None,
        label_names: list | None = None,
    ) -> None:
        super().__init__(name, output_names, label_names)

    @staticmethod
    def _error(diff: numpy.ndarray) -> float:
        return numpy.square(diff).mean()


@register
class RMSE(_BatchRegression):
    """Root mean squared error (of each batch, then averaged over batches)."""

    def __init__(
        self,
        name: str = "rmse",
        output_names: list | None = None,
        label_names: list | None = None,
    ) -> None:
        super().__init__(name, output_names, label_names)

    @staticmethod
    def _error(diff: numpy.ndarray) -> float:
        return math.sqrt(numpy.square(diff).mean())


class _CoMoments:
    """Running count, means, sums of squared deviations and co-deviation of two series,
    merged batch by batch (Chan et al.), so the correlation is exact over all batches."""

    def __init__(self) -> None:
        self.n = 0
        self.mean = numpy.zeros(2)
        self.m2 = numpy.zeros(2)
        self.c = 0.0

    def add(self, x: numpy.ndarray, y: numpy.ndarray) -> None:
        n_b = x.size
        mean_b = numpy.array([x.mean(), y.mean()])
        dx, dy = x - mean_b[0], y - mean_b[1]
        n = self.n + n_b
        delta = mean_b - self.mean
        weight = self.n * n_b / n
        self.m2 += numpy.array([dx @ dx, dy @ dy]) + delta**2 * weight
        self.c += dx @ dy + delta[0] * delta[1] * weight
        self.mean += delta * n_b / n
        self.n = n

    def correlation(self) -> float:
        return float(self.c / math.sqrt(self.m2[0] * self.m2[1]))


@register
@alias("pearsonr")
class PearsonCorrelation(EvalMetric):
    """Pearson correlation of predictions and labels: averaged over batches
    (``average='macro'``) or over all values seen (``'micro'``)."""

    def __init__(
        self,
        name: str = "pearsonr",
        output_names: list | None = None,
        label_names: list | None = None,
        average: str = "macro",
    ) -> None:
        if average not in ("macro", "micro"):
            raise errors.MXNetValueError(f"average must be 'macro' or 'micro', not {average!r}")
        self.average = average
        super().__init__(
            name, output_names=output_names, label_names=label_names, has_global_stats=True
        )

    def reset(self) -> None:
        super().reset()
        self._global = _CoMoments()

    def reset_local(self) -> None:
        super().reset_local()
        self._local = _CoMoments()

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label, pred = _numpy(label), _numpy(pred)
            check_label_shapes(label, pred, False, True)
            label = label.ravel().astype(numpy.float64)
            pred = pred.ravel().astype(numpy.float64)
            if self.average == "macro":
                self._accumulate(numpy.corrcoef(pred, label)[0, 1], 1)
            else:
                self._accumulate(0.0, 1)
                self._local.add(label, pred)
                self._global.add(label, pred)

    def get(self) -> tuple[str, float]:
        if self.average == "macro" or self.num_inst == 0:
            return super().get()
        return self.name, self._local.correlation()

    def get_global(self) -> tuple[str, float]:
        if self.average == "macro" or self.global_num_inst == 0:
            return super().get_global()
        return self.name, self._global.correlation()


@register
class Loss(EvalMetric):
    """Mean of loss values computed elsewhere: ``update(_, losses)`` ignores the labels."""

    def __init__(
        self,
        name: str = "loss",
        output_names: list | None = None,
        label_names: list | None = None,
    ) -> None:
        super().__init__(
            name, output_names=output_names, label_names=label_names, has_global_stats=True
        )

    def update(self, _: Any, preds: Any) -> None:
        for pred in _as_list(preds):
            loss = _numpy(pred)
            self._accumulate(loss.sum(), loss.size)
