"""The Loss base class and the helpers every loss shares (MXNet 1.x ``gluon.loss`` names,
kept because user losses subclass ``Loss`` and import ``_apply_weighting``/``_reshape_like``)."""

from __future__ import annotations

from typing import Any

from .. import errors
from ..base import numeric_types
from ..nn.block import HybridBlock

__all__ = ["Loss"]


def _apply_weighting(F: Any, loss: Any, weight: Any = None, sample_weight: Any = None) -> Any:
    """``loss`` times ``sample_weight`` (broadcast against it) and the scalar ``weight``."""
    if sample_weight is not None:
        loss = F.broadcast_mul(loss, sample_weight)
    if weight is not None:
        if not isinstance(weight, numeric_types):
            raise errors.MXNetTypeError(
                f"a loss weight must be a number, got {type(weight).__name__}: give a float "
                "as weight=, or pass per-sample weights as the sample_weight input"
            )
        loss = loss * weight
    return loss


def _reshape_like(F: Any, x: Any, y: Any) -> Any:
    """``x`` reshaped to ``y``'s shape (same number of elements)."""
    return x.reshape(y.shape)


def _label_like(F: Any, label: Any, pred: Any) -> Any:
    """``label`` with ``pred``'s shape and dtype: integer labels would otherwise promote the
    loss to float64 (MXNet refuses mixed dtypes; casting is the friendlier answer)."""
    label = _reshape_like(F, label, pred)
    return label if label.dtype == pred.dtype else label.astype(pred.dtype)


def _batch_mean(F: Any, loss: Any, batch_axis: int) -> Any:
    """Mean over every axis but ``batch_axis``: one value per sample."""
    return F.mean(loss, axis=batch_axis, exclude=True)


def _batch_sum(F: Any, loss: Any, batch_axis: int) -> Any:
    """Sum over every axis but ``batch_axis``."""
    return F.sum(loss, axis=batch_axis, exclude=True)


class Loss(HybridBlock):
    """Base class of the losses: a HybridBlock that returns one value per sample (the mean over
    every axis but ``batch_axis``), scaled by the scalar ``weight``."""

    def __init__(self, weight: float | None, batch_axis: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._weight = weight
        self._batch_axis = batch_axis

    def __repr__(self) -> str:
        return f"{type(self).__name__}(batch_axis={self._batch_axis}, w={self._weight})"

    def hybrid_forward(self, F: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement hybrid_forward")
