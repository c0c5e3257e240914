"""Metric-learning losses: triplet, cosine embedding and SDML, which compare embeddings with
each other rather than with a target."""

from __future__ import annotations

from typing import Any

from .base import Loss, _apply_weighting, _batch_mean, _batch_sum, _reshape_like
from .classification import KLDivLoss

__all__ = ["CosineEmbeddingLoss", "SDMLLoss", "TripletLoss"]


class TripletLoss(Loss):
    """``max(|positive - pred|^2 - |negative - pred|^2 + margin, 0)`` per sample (squared
    distances summed over the non-batch axes)."""

    def __init__(
        self, margin: float = 1, weight: float | None = None, batch_axis: int = 0, **kwargs: Any
    ) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(
        self, F: Any, pred: Any, positive: Any, negative: Any, sample_weight: Any = None
    ) -> Any:
        positive = _reshape_like(F, positive, pred)
        negative = _reshape_like(F, negative, pred)
        gap = F.square(positive - pred) - F.square(negative - pred)
        loss = F.relu(_batch_sum(F, gap, self._batch_axis) + self._margin)
        return _apply_weighting(F, loss, self._weight, sample_weight)


class CosineEmbeddingLoss(Loss):
    """``1 - cos(input1, input2)`` for pairs labelled 1, ``clip(cos - margin, 0, 1 - margin)``
    for the others (label -1); the cosine is taken along the last axis."""

    def __init__(
        self, weight: float | None = None, batch_axis: int = 0, margin: float = 0, **kwargs: Any
    ) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(
        self, F: Any, input1: Any, input2: Any, label: Any, sample_weight: Any = None
    ) -> Any:
        input1 = _reshape_like(F, input1, input2)
        cos_sim = self._cosine_similarity(F, input1, input2)
        label = _reshape_like(F, label, cos_sim)
        margin = self._margin
        loss = F.where(label == 1, 1 - cos_sim, F.clip(cos_sim - margin, 0, 1 - margin))
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return _batch_mean(F, loss, self._batch_axis)

    @staticmethod
    def _cosine_similarity(F: Any, x: Any, y: Any, axis: int = -1) -> Any:
        """Cosine along ``axis`` as a column, the norm product floored at 1e-12."""
        x_norm = F.norm(x, axis=axis).reshape((-1, 1))
        y_norm = F.norm(y, axis=axis).reshape((-1, 1))
        x_dot_y = F.sum(x * y, axis=axis).reshape((-1, 1))
        return x_dot_y / F.maximum(x_norm * y_norm, 1e-12)


class SDMLLoss(Loss):
    """Smoothed deep metric learning (Bonadiman et al. 2019): row i of ``x1`` should be
    nearest to row i of ``x2`` among the batch; the KL divergence between softmax(-squared
    distances) and a label-smoothed identity, per sample."""

    def __init__(
        self,
        smoothing_parameter: float = 0.3,
        weight: float = 1.0,
        batch_axis: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self.kl_loss = KLDivLoss(from_logits=True)
        self.smoothing_parameter = smoothing_parameter

    def _compute_labels(self, F: Any, batch_size: int, like: Any) -> Any:
        """The identity, with ``smoothing_parameter`` of each row's mass spread off-diagonal."""
        gold = F.eye(batch_size, ctx=like.context, dtype=like.dtype)
        s = self.smoothing_parameter
        return gold * (1 - s) + (1 - gold) * (s / (batch_size - 1))

    @staticmethod
    def _compute_distances(F: Any, x1: Any, x2: Any) -> Any:
        """Squared euclidean distance between every row of ``x1`` and every row of ``x2``."""
        diff = F.expand_dims(x1, axis=1) - F.expand_dims(x2, axis=0)
        return F.sum(F.square(diff), axis=2)

    def hybrid_forward(self, F: Any, x1: Any, x2: Any) -> Any:
        labels = self._compute_labels(F, x1.shape[0], x1)
        log_probabilities = F.log_softmax(-self._compute_distances(F, x1, x2), axis=1)
        return _apply_weighting(F, self.kl_loss(log_probabilities, labels), self._weight)
