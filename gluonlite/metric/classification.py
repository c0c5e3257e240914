"""Classification metrics: accuracy, top-k accuracy, F1, MCC, PCC, and the likelihood-based
cross-entropy, negative log-likelihood and perplexity."""

from __future__ import annotations

import math
from typing import Any

import numpy

from .. import errors
from .base import EvalMetric, _numpy, alias, check_label_shapes, register

__all__ = [
    "F1",
    "MCC",
    "PCC",
    "Accuracy",
    "CrossEntropy",
    "NegativeLogLikelihood",
    "Perplexity",
    "TopKAccuracy",
]


def _predicted_classes(pred: numpy.ndarray, label: numpy.ndarray, axis: int) -> numpy.ndarray:
    """Class scores reduced to class indices by argmax along ``axis``; predictions already
    shaped like the labels are taken as indices."""
    return pred if pred.shape == label.shape else pred.argmax(axis=axis)


@register
@alias("acc")
class Accuracy(EvalMetric):
    """Fraction of predictions equal to the label; class scores are argmax-ed along ``axis``."""

    def __init__(
        self,
        axis: int = 1,
        name: str = "accuracy",
        output_names: list | None = None,
        label_names: list | None = None,
    ) -> None:
        super().__init__(
            name,
            axis=axis,
            output_names=output_names,
            label_names=label_names,
            has_global_stats=True,
        )
        self.axis = axis

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label, pred = _numpy(label), _numpy(pred)
            pred = _predicted_classes(pred, label, self.axis).astype("int32").ravel()
            label = label.astype("int32").ravel()
            check_label_shapes(label, pred)
            self._accumulate((pred == label).sum(), pred.size)


@register
@alias("top_k_accuracy", "top_k_acc")
class TopKAccuracy(EvalMetric):
    """Fraction of samples whose label is among the ``top_k`` highest class scores."""

    def __init__(
        self,
        top_k: int = 1,
        name: str = "top_k_accuracy",
        output_names: list | None = None,
        label_names: list | None = None,
    ) -> None:
        super().__init__(
            name,
            top_k=top_k,
            output_names=output_names,
            label_names=label_names,
            has_global_stats=True,
        )
        if top_k <= 1:
            raise errors.MXNetValueError(
                f"TopKAccuracy needs top_k > 1 (got {top_k}); use Accuracy for top-1"
            )
        self.top_k = top_k
        self.name += f"_{top_k}"

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            scores = _numpy(pred).astype("float32")
            if scores.ndim > 2:
                raise errors.ShapeError(
                    f"TopKAccuracy: predictions must be (batch, classes), got {scores.shape}"
                )
            scores = scores.reshape(-1, scores.shape[-1])
            label = _numpy(label).astype("int32").ravel()
            check_label_shapes(label, scores)
            k = min(self.top_k, scores.shape[1])
            top = numpy.argpartition(scores, -k, axis=1)[:, -k:]
            self._accumulate((top == label[:, None]).any(axis=1).sum(), scores.shape[0])


class _BinaryCounts:
    """Confusion counts [tp, fp, fn, tn] of a binary classifier, for the current period
    (``local``) and since the last full reset (``total``)."""

    def __init__(self) -> None:
        self.local = numpy.zeros(4, dtype=numpy.int64)
        self.total = numpy.zeros(4, dtype=numpy.int64)

    def update(self, label: Any, pred: Any) -> None:
        """Add one batch; 2-d predictions are class scores, 1-d ones P(class 1)."""
        label, pred = _numpy(label).astype("int32").ravel(), _numpy(pred)
        check_label_shapes(label, pred)
        if len(numpy.unique(label)) > 2:
            raise errors.MXNetValueError(
                f"binary metrics (F1, MCC) need labels of two classes, got {numpy.unique(label)}"
            )
        predicted = pred.argmax(axis=1) == 1 if pred.ndim > 1 else pred.ravel() >= 0.5
        actual = label == 1
        counts = numpy.array(
            [
                (predicted & actual).sum(),
                (predicted & ~actual).sum(),
                (~predicted & actual).sum(),
                (~predicted & ~actual).sum(),
            ]
        )
        self.local += counts
        self.total += counts

    def reset_local(self) -> None:
        self.local[:] = 0

    def reset(self) -> None:
        self.local[:] = 0
        self.total[:] = 0


def _fscore(counts: numpy.ndarray) -> float:
    tp, fp, fn, _ = (float(c) for c in counts)
    precision = tp / (tp + fp) if tp + fp > 0 else 0.0
    recall = tp / (tp + fn) if tp + fn > 0 else 0.0
    if precision + recall == 0:
        return 0.0
    return 2 * precision * recall / (precision + recall)


def _matthews(counts: numpy.ndarray) -> float:
    """MCC, with zero factors of the denominator replaced by 1 (MXNet's convention)."""
    tp, fp, fn, tn = (float(c) for c in counts)
    if tp + fp + fn + tn == 0:
        return 0.0
    denom = 1.0
    for term in (tp + fp, tp + fn, tn + fp, tn + fn):
        denom *= term if term != 0 else 1.0
    return (tp * tn - fp * fn) / math.sqrt(denom)


class _BinaryMetric(EvalMetric):
    """A score of the confusion counts: averaged over batches (``average='macro'``) or of the
    counts pooled over batches (``'micro'``)."""

    _score = staticmethod(_fscore)

    def __init__(
        self, name: str, output_names: list | None, label_names: list | None, average: str
    ) -> None:
        if average not in ("macro", "micro"):
            raise errors.MXNetValueError(f"average must be 'macro' or 'micro', not {average!r}")
        self.average = average
        self._counts = _BinaryCounts()
        super().__init__(
            name, output_names=output_names, label_names=label_names, has_global_stats=True
        )

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            self._counts.update(label, pred)
        counts = self._counts
        if self.average == "macro":
            self._accumulate(self._score(counts.local), 1)
            counts.reset()
        else:
            self.num_inst, self.global_num_inst = int(counts.local.sum()), int(counts.total.sum())
            self.sum_metric = self._score(counts.local) * self.num_inst
            self.global_sum_metric = self._score(counts.total) * self.global_num_inst

    def reset(self) -> None:
        super().reset()
        self._counts.reset()

    def reset_local(self) -> None:
        super().reset_local()
        self._counts.reset_local()


@register
class F1(_BinaryMetric):
    """F1 score (harmonic mean of precision and recall) of a binary classifier."""

    def __init__(
        self,
        name: str = "f1",
        output_names: list | None = None,
        label_names: list | None = None,
        average: str = "macro",
    ) -> None:
        super().__init__(name, output_names, label_names, average)


@register
class MCC(_BinaryMetric):
    """Matthews correlation coefficient of a binary classifier."""

    _score = staticmethod(_matthews)

    def __init__(
        self,
        name: str = "mcc",
        output_names: list | None = None,
        label_names: list | None = None,
        average: str = "macro",
    ) -> None:
        super().__init__(name, output_names, label_names, average)


@register
class PCC(EvalMetric):
    """Multiclass Matthews correlation (Gorodkin's R_K) of the confusion matrix accumulated
    over batches; class scores are argmax-ed along axis 1."""

    def __init__(
        self,
        name: str = "pcc",
        output_names: list | None = None,
        label_names: list | None = None,
        has_global_stats: bool = True,
    ) -> None:
        self.k = 2
        super().__init__(
            name,
            output_names=output_names,
            label_names=label_names,
            has_global_stats=has_global_stats,
        )

    def _grow(self, k: int) -> None:
        pad = ((0, k - self.k), (0, k - self.k))
        self.lcm, self.gcm = numpy.pad(self.lcm, pad), numpy.pad(self.gcm, pad)
        self.k = k

    @staticmethod
    def _calc_mcc(cmat: numpy.ndarray) -> float:
        n = cmat.sum()
        x, y = cmat.sum(axis=1), cmat.sum(axis=0)
        cov_xx, cov_yy = numpy.sum(x * (n - x)), numpy.sum(y * (n - y))
        if cov_xx == 0 or cov_yy == 0:
            return float("nan")
        cov_xy = numpy.sum(cmat.diagonal() * n - x * y)
        return float(cov_xy / math.sqrt(cov_xx * cov_yy))

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label, pred = _numpy(label).astype("int64").ravel(), _numpy(pred)
            pred = (
                (pred.argmax(axis=1) if pred.ndim > 1 and pred.shape != label.shape else pred)
                .astype("int64")
                .ravel()
            )
            k = int(max(pred.max(), label.max())) + 1
            if k > self.k:
                self._grow(k)
            batch = numpy.zeros((self.k, self.k))
            numpy.add.at(batch, (pred, label), 1)
            self.lcm += batch
            self.gcm += batch
        self.num_inst += 1
        self.global_num_inst += 1

    @property
    def sum_metric(self) -> float:
        return self._calc_mcc(self.lcm) * self.num_inst

    @property
    def global_sum_metric(self) -> float:
        return self._calc_mcc(self.gcm) * self.global_num_inst

    def reset(self) -> None:
        self.gcm = numpy.zeros((self.k, self.k))
        self.global_num_inst = 0
        self.reset_local()

    def reset_local(self) -> None:
        self.lcm = numpy.zeros((self.k, self.k))
        self.num_inst = 0


def _picked(pred: numpy.ndarray, label: numpy.ndarray, axis: int) -> numpy.ndarray:
    """The predicted probability of each label: ``pred`` along ``axis`` at ``label`` (label
    has pred's shape without that axis; indices outside the classes are clipped)."""
    classes = pred.shape[axis]
    if label.size * classes != pred.size:
        raise errors.ShapeError(
            f"labels of shape {label.shape} do not fit predictions of shape {pred.shape} "
            f"with classes along axis {axis}"
        )
    probs = numpy.moveaxis(pred, axis, -1).reshape(-1, classes)
    index = numpy.clip(label.ravel().astype(numpy.int64), 0, classes - 1)
    return probs[numpy.arange(probs.shape[0]), index]


@register
@alias("ce")
class CrossEntropy(EvalMetric):
    """Mean of -log(p[label] + eps) over samples, for predicted class probabilities of shape
    (batch, classes)."""

    def __init__(
        self,
        eps: float = 1e-12,
        name: str = "cross-entropy",
        output_names: list | None = None,
        label_names: list | None = None,
    ) -> None:
        super().__init__(
            name,
            eps=eps,
            output_names=output_names,
            label_names=label_names,
            has_global_stats=True,
        )
        self.eps = eps

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            prob = _picked(_numpy(pred), _numpy(label), 1)
            self._accumulate((-numpy.log(prob + self.eps)).sum(), prob.size)


@register
@alias("nll_loss")
class NegativeLogLikelihood(CrossEntropy):
    """Mean negative log-likelihood of the labels under predicted class probabilities."""

    def __init__(
        self,
        eps: float = 1e-12,
        name: str = "nll-loss",
        output_names: list | None = None,
        label_names: list | None = None,
    ) -> None:
        super().__init__(eps, name, output_names, label_names)


@register
class Perplexity(EvalMetric):
    """exp of the mean negative log-probability of the labels, skipping ``ignore_label``
    positions; class probabilities lie along ``axis`` of the predictions."""

    def __init__(
        self,
        ignore_label: int | None = None,
        axis: int = -1,
        name: str = "perplexity",
        output_names: list | None = None,
        label_names: list | None = None,
    ) -> None:
        super().__init__(
            name,
            ignore_label=ignore_label,
            output_names=output_names,
            label_names=label_names,
            has_global_stats=True,
        )
        self.ignore_label = ignore_label
        self.axis = axis

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label = _numpy(label).ravel()
            prob = _picked(_numpy(pred), label, self.axis)
            count = prob.size
            if self.ignore_label is not None:
                ignore = label == self.ignore_label
                count -= int(ignore.sum())
                prob = numpy.where(ignore, 1.0, prob)
            self._accumulate(-numpy.log(numpy.maximum(1e-10, prob)).sum(), count)

    def get(self) -> tuple[str, float]:
        name, value = super().get()
        return name, math.exp(value)

    def get_global(self) -> tuple[str, float]:
        name, value = super().get_global()
        return name, math.exp(value)
