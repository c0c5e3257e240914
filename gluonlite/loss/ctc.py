"""Connectionist Temporal Classification loss (Graves et al. 2006) as a composition of nd ops:
the forward (alpha) recursion in log space, one step per frame, so autograd differentiates it
like any other composition. As in MXNet's Gluon ``CTCLoss``, the blank is the last class."""

from __future__ import annotations

from typing import Any

from .. import errors
from .base import Loss, _apply_weighting

__all__ = ["CTCLoss"]

# log(0) stand-in: finite so that logsumexp and its gradient never see inf - inf
_NEG = -1e30


def _interleave_blanks(F: Any, label: Any, blank: float) -> Any:
    """(N, L) labels -> (N, 2L + 1): blank, l1, blank, l2, ..., blank."""
    n, length = label.shape
    blanks = F.full((n, length), blank, ctx=label.context, dtype=label.dtype)
    pairs = F.stack(blanks, label, axis=2).reshape((n, 2 * length))
    return F.concat(pairs, F.full((n, 1), blank, ctx=label.context, dtype=label.dtype), dim=1)


def _skip_penalty(F: Any, label: Any) -> Any:
    """(N, 2L + 1): 0 where a path may jump two states (onto a label that differs from the
    previous label), log(0) elsewhere (blanks, repeated labels, the first label)."""
    n, length = label.shape
    zero = F.zeros((n, 1), ctx=label.context, dtype=label.dtype)
    differs = F.slice_axis(label, axis=1, begin=1, end=None) != F.slice_axis(
        label, axis=1, begin=0, end=-1
    )
    allowed = F.concat(zero, differs, dim=1)
    allowed = F.stack(F.zeros_like(label), allowed, axis=2).reshape((n, 2 * length))
    return (1 - F.concat(allowed, zero, dim=1)) * _NEG


def _shift(F: Any, alpha: Any, pad: Any) -> Any:
    """``alpha`` moved right along axis 1 by the width of ``pad`` (log(0) columns)."""
    end = alpha.shape[1] - pad.shape[1]
    return F.concat(pad, F.slice_axis(alpha, axis=1, begin=0, end=end), dim=1)


def ctc_nll(
    F: Any, pred: Any, label: Any, pred_lengths: Any = None, label_lengths: Any = None
) -> Any:
    """-log p(label | pred) per sample for unnormalized ``pred`` of shape (T, N, C) and
    ``label`` of shape (N, L) (0-based classes, blank C - 1; without ``label_lengths`` a
    label ends at its first -1). Frames past ``pred_lengths`` are ignored."""
    steps, n, classes = pred.shape
    if label.ndim != 2 or label.shape[0] != n:
        raise errors.ShapeError(
            f"CTCLoss: label of shape {tuple(label.shape)} does not fit pred of shape "
            f"(T, N, C) = {tuple(pred.shape)}: labels must be (N, L) in layout 'NT' or "
            "(L, N) in layout 'TN'"
        )
    label = label.astype(pred.dtype, copy=False)
    if label_lengths is None:
        label_lengths = F.sum(label != -1, axis=1)
    label_lengths = label_lengths.astype(pred.dtype, copy=False)
    ext = _interleave_blanks(F, label, classes - 1)
    # emissions[t, i, s] = log p_t(ext[i, s]), one batched matmul with the one-hot labels
    onehot = F.one_hot(ext, classes, dtype=pred.dtype)
    logp = F.swapaxes(F.log_softmax(pred, axis=-1), 0, 1)
    emissions = F.split(
        F.batch_dot(logp, onehot, transpose_b=True), num_outputs=steps, axis=1, squeeze_axis=True
    )
    emissions = emissions if isinstance(emissions, list) else [emissions]
    skip = _skip_penalty(F, label)
    start = F.concat(
        F.zeros((n, 2), ctx=pred.context, dtype=pred.dtype),
        F.full((n, ext.shape[1] - 2), _NEG, ctx=pred.context, dtype=pred.dtype),
        dim=1,
    )
    alpha = emissions[0] + start
    pad2 = F.full((n, 2), _NEG, ctx=pred.context, dtype=pred.dtype)
    pad1 = F.slice_axis(pad2, axis=1, begin=0, end=1)
    for t in range(1, steps):
        paths = F.stack(alpha, _shift(F, alpha, pad1), _shift(F, alpha, pad2) + skip, axis=0)
        step = F.logsumexp(paths, axis=0) + emissions[t]
        alpha = step if pred_lengths is None else F.where(pred_lengths > t, step, alpha)
    last = F.pick(alpha, 2 * label_lengths, axis=1)
    # an empty label has no state before its last one: log(0) there
    before = F.pick(alpha, 2 * label_lengths - 1, axis=1) + (label_lengths < 1) * _NEG
    return -F.logsumexp(F.stack(last, before, axis=0), axis=0)


class CTCLoss(Loss):
    """CTC loss of unnormalized ``pred`` (layout 'NTC' or 'TNC'; the last class is the blank)
    against 0-based ``label`` (layout 'NT' or 'TN', padded with -1 unless ``label_lengths``
    is given); ``pred_lengths`` gives each sequence's frame count. One value per sample."""

    def __init__(
        self,
        layout: str = "NTC",
        label_layout: str = "NT",
        weight: float | None = None,
        **kwargs: Any,
    ) -> None:
        if layout not in ("NTC", "TNC"):
            raise errors.MXNetValueError(f"CTCLoss: layout must be 'NTC' or 'TNC', not {layout!r}")
        if label_layout not in ("NT", "TN"):
            raise errors.MXNetValueError(
                f"CTCLoss: label_layout must be 'NT' or 'TN', not {label_layout!r}"
            )
        super().__init__(weight, label_layout.find("N"), **kwargs)
        self._layout = layout
        self._label_layout = label_layout

    def hybrid_forward(
        self,
        F: Any,
        pred: Any,
        label: Any,
        pred_lengths: Any = None,
        label_lengths: Any = None,
        sample_weight: Any = None,
    ) -> Any:
        if self._layout == "NTC":
            pred = F.swapaxes(pred, 0, 1)
        if self._batch_axis == 1:
            label = F.swapaxes(label, 0, 1)
        loss = ctc_nll(F, pred, label, pred_lengths, label_lengths)
        return _apply_weighting(F, loss, self._weight, sample_weight)
