"""Regression losses: L1, L2, Huber and Poisson negative log-likelihood."""

from __future__ import annotations

import math
from typing import Any

from .base import Loss, _apply_weighting, _batch_mean, _label_like

__all__ = ["HuberLoss", "L1Loss", "L2Loss", "PoissonNLLLoss"]


class L2Loss(Loss):
    """Half the squared error, ``L = 1/2 (label - pred)^2``, averaged per sample."""

    def __init__(self, weight: float = 1.0, batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        loss = F.square(_label_like(F, label, pred) - pred)
        loss = _apply_weighting(F, loss, self._weight / 2, sample_weight)
        return _batch_mean(F, loss, self._batch_axis)


class L1Loss(Loss):
    """Absolute error, ``L = |label - pred|``, averaged per sample."""

    def __init__(self, weight: float | None = None, batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        loss = F.abs(_label_like(F, label, pred) - pred)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return _batch_mean(F, loss, self._batch_axis)


class HuberLoss(Loss):
    """Smoothed L1: ``(label - pred)^2 / (2 rho)`` where ``|label - pred| <= rho``, else
    ``|label - pred| - rho / 2``."""

    def __init__(
        self, rho: float = 1, weight: float | None = None, batch_axis: int = 0, **kwargs: Any
    ) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._rho = rho

    def hybrid_forward(self, F: Any, pred: Any, label: Any, sample_weight: Any = None) -> Any:
        err = F.abs(_label_like(F, label, pred) - pred)
        rho = self._rho
        loss = F.where(err > rho, err - 0.5 * rho, (0.5 / rho) * F.square(err))
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return _batch_mean(F, loss, self._batch_axis)


class PoissonNLLLoss(Loss):
    """Poisson negative log-likelihood of ``target`` counts: ``exp(pred) - target * pred`` for
    log-rate predictions (``from_logits``), else ``pred - target * log(pred + epsilon)``.
    ``compute_full`` adds Stirling's approximation of ``log(target!)`` where target > 1
    (MXNet gives NaN for zero targets there; here they add 0)."""

    def __init__(
        self,
        weight: float | None = None,
        from_logits: bool = True,
        batch_axis: int = 0,
        compute_full: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._from_logits = from_logits
        self._compute_full = compute_full

    def hybrid_forward(
        self, F: Any, pred: Any, target: Any, sample_weight: Any = None, epsilon: float = 1e-08
    ) -> Any:
        target = _label_like(F, target, pred)
        if self._from_logits:
            loss = F.exp(pred) - target * pred
        else:
            loss = pred - target * F.log(pred + epsilon)
        if self._compute_full:
            safe = F.maximum(target, 1.0)  # keeps log(0) out; masked below anyway
            stirling = safe * F.log(safe) - safe + 0.5 * F.log(2 * math.pi * safe)
            loss = loss + stirling * (target > 1)
        loss = _apply_weighting(F, loss, self._weight, sample_weight)
        return _batch_mean(F, loss, self._batch_axis)
