"""Classification losses: softmax and sigmoid cross-entropy, KL divergence, hinge and logistic.
Every one takes logits by default and uses the numerically stable form."""

from __future__ import annotations

from typing import Any

from .. import errors
from .base import Loss, _apply_weighting, _batch_mean, _label_like

__all__ = [
    "HingeLoss",
    "KLDivLoss",
    "LogisticLoss",
    "SigmoidBCELoss",
    "SigmoidBinaryCrossEntropyLoss",
    "SoftmaxCELoss",
    "SoftmaxCrossEntropyLoss",
    "SquaredHingeLoss",
]

_EPS = 1e-12


def _softrelu(F: Any, x: Any) -> Any:
    return F.Activation(x, act_type="softrelu")


def _sigmoid_bce(F: Any, pred: Any, label: Any) -> Any:
    """-[z log s(x) + (1 - z) log(1 - s(x))] as max(x, 0) - x z + log(1 + e^-|x|)."""
    return F.relu(pred) - pred * label + _softrelu(F, -F.abs(pred))


class SoftmaxCrossEntropyLoss(Loss):
    """Cross-entropy of softmax(pred) along ``axis`` against class indices (``sparse_label``,
    float indices accepted; label has pred's shape without ``axis``) or against distributions
    of pred's shape. ``from_logits=True`` means pred already holds log-probabilities."""

    def __init__(
        self,
        axis: int = -1,
        sparse_label: bool = True,
        from_logits: bool = False,
        weight: float | None = None,
        batch_axis: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._axis = axis
        self._sparse_label = sparse_label
        self._from_logits = from_logits

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        fused = self._fused_axes(pred, label, sample_weight)
        if fused is not None:  # one primitive, forward and backward, instead of five ops each
            axis, batch_axis = fused
            loss = F.sparse_softmax_cross_entropy(pred, label, axis=axis)[0]
            loss = _apply_weighting(F, loss, self._weight)
            if loss.ndim == 1:  # already one value per sample
                return loss
            return _batch_mean(F, loss, batch_axis - (batch_axis > axis))
        if not self._from_logits:
            pred = F.log_softmax(pred, axis=self._axis)
        if self._sparse_label:
            loss = -F.pick(pred, label, axis=self._axis, keepdims=True)
        else:
            loss = -F.sum(pred * _label_like(F, label, pred), axis=self._axis, keepdims=True)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return _batch_mean(F, loss, self._batch_axis)


    def _fused_axes(self, pred: Any, label: Any, sample_weight: Any) -> tuple[int, int] | None:
        """(class axis, batch axis) when the fused ``sparse_softmax_cross_entropy`` computes
        this loss: class indices of pred's shape without the class axis, logits, no sample
        weight (it broadcasts against the loss with the class axis kept), distinct axes."""
        ndim = pred.ndim
        if (not self._sparse_label or self._from_logits or sample_weight is not None or ndim < 2
                or not -ndim <= self._axis < ndim or not -ndim <= self._batch_axis < ndim):
            return None
        axis, batch_axis = self._axis % ndim, self._batch_axis % ndim
        if axis == batch_axis or tuple(label.shape) != pred.shape[:axis] + pred.shape[axis + 1:]:
            return None
        return axis, batch_axis


SoftmaxCELoss = SoftmaxCrossEntropyLoss


class SigmoidBinaryCrossEntropyLoss(Loss):
    """Binary cross-entropy of sigmoid(pred) (or of pred itself with ``from_sigmoid``) against
    labels in [0, 1]; ``pos_weight`` (forward input, broadcast against pred) scales the
    positive term."""

    def __init__(
        self,
        from_sigmoid: bool = False,
        weight: float | None = None,
        batch_axis: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._from_sigmoid = from_sigmoid

    def hybrid_forward(
        self, F: Any, pred: Any, label: Any, sample_weight: Any = None, pos_weight: Any = None
    ) -> Any:
        label = _label_like(F, label, pred)
        if not self._from_sigmoid:
            if pos_weight is None:
                loss = _sigmoid_bce(F, pred, label)
            else:
                # x - x z + (1 + (w - 1) z) (log(1 + e^-|x|) + max(-x, 0))
                log_weight = 1 + F.broadcast_mul(pos_weight - 1, label)
                log_sig = _softrelu(F, -F.abs(pred)) + F.relu(-pred)
                loss = pred - pred * label + log_weight * log_sig
        else:
            pos = F.log(pred + _EPS) * label
            if pos_weight is not None:
                pos = F.broadcast_mul(pos, pos_weight)
            loss = -(pos + F.log(1.0 - pred + _EPS) * (1.0 - label))
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return _batch_mean(F, loss, self._batch_axis)


SigmoidBCELoss = SigmoidBinaryCrossEntropyLoss


class KLDivLoss(Loss):
    """Kullback-Leibler divergence ``label * (log(label) - pred)`` where pred holds
    log-probabilities (``from_logits=True``, the default) or logits turned into them by
    log_softmax along ``axis``."""

    def __init__(
        self,
        from_logits: bool = True,
        axis: int = -1,
        weight: float | None = None,
        batch_axis: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._from_logits = from_logits
        self._axis = axis

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        if not self._from_logits:
            pred = F.log_softmax(pred, axis=self._axis)
        loss = label * (F.log(label + _EPS) - pred)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return _batch_mean(F, loss, self._batch_axis)


class HingeLoss(Loss):
    """SVM hinge loss ``max(0, margin - pred * label)`` for labels in {-1, 1}."""

    def __init__(
        self, margin: float = 1, weight: float | None = None, batch_axis: int = 0, **kwargs: Any
    ) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def _hinge(self, F: Any, pred: Any, label: Any) -> Any:
        return F.relu(self._margin - pred * _label_like(F, label, pred))

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        loss = _apply_weighting(F, self._hinge(F, pred, label), self._weight, sample_weight)
        return _batch_mean(F, loss, self._batch_axis)


class SquaredHingeLoss(HingeLoss):
    """Soft-margin SVM loss ``max(0, margin - pred * label)^2`` for labels in {-1, 1}."""

    def _hinge(self, F: Any, pred: Any, label: Any) -> Any:
        return F.square(super()._hinge(F, pred, label))


class LogisticLoss(Loss):
    """``log(1 + exp(-pred * label))`` for labels in {-1, 1} (``label_format='signed'``) or
    {0, 1} (``'binary'``), in the stable sigmoid cross-entropy form."""

    def __init__(
        self,
        weight: float | None = None,
        batch_axis: int = 0,
        label_format: str = "signed",
        **kwargs: Any,
    ) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        if label_format not in ("signed", "binary"):
            raise errors.MXNetValueError(
                f"LogisticLoss: label_format must be 'signed' (labels -1/1) or 'binary' "
                f"(labels 0/1), not {label_format!r}"
            )
        self._label_format = label_format

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        label = _label_like(F, label, pred)
        if self._label_format == "signed":
            label = (label + 1.0) / 2.0
        loss = _apply_weighting(F, _sigmoid_bce(F, pred, label), self._weight, sample_weight)
        return _batch_mean(F, loss, self._batch_axis)
