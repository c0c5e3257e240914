"""Symbol operators that are not ``nd`` operators: MXNet's loss outputs and a few internal
names (``_equal_scalar``, ``_zeros``...), as ``EVAL_OPS[op](inputs, attrs)``.

The ``*Output`` operators and ``make_loss`` are losses in MXNet: forward gives the prediction
(softmax for SoftmaxOutput) and backward gives the gradient of the implied loss, ignoring the
head gradient (SoftmaxOutput: ``softmax - onehot(label)``; regression: ``pred - label``). They
are ``autograd.Function``s, so an executor's backward produces exactly MXNet's gradients.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import errors
from ..autograd import Function

__all__ = ["EVAL_OPS"]


def _nd():
    from .. import ndarray

    return ndarray


def _wrap(like: Any, raw: Any) -> Any:
    return type(like)._wrap(raw, like._ctx)


class _Loss(Function):
    """A loss output: keeps its attributes; label gradients are zero (MXNet writes none)."""

    def __init__(self, attrs: dict) -> None:
        super().__init__()
        self.attrs = attrs
        self.scale = float(attrs.get("grad_scale", 1.0))

    def _label_grad(self, label: Any) -> Any:
        return _wrap(label, label._ctx.xp.zeros_like(label._data))


class SoftmaxOutput(_Loss):
    """Softmax forward; backward ``(softmax - onehot(label)) * grad_scale / normaliser``."""

    def forward(self, data: Any, label: Any) -> Any:
        nd = _nd()
        a = self.attrs
        if a.get("multi_output", False):
            prob = nd.softmax(data, axis=1)
        elif a.get("preserve_shape", False) or data.ndim == 2:
            prob = nd.softmax(data, axis=-1)
        else:
            prob = nd.softmax(data.reshape((data.shape[0], -1)), axis=-1).reshape(data.shape)
        self.save_for_backward(prob, label)
        return prob

    def backward(self, grad: Any) -> tuple:
        prob, label = self.saved_tensors
        xp = prob._ctx.xp
        p, lab = prob._data, label._data
        a = self.attrs
        multi = a.get("multi_output", False)
        if lab.shape == p.shape:  # probability labels
            g, valid = p - lab, p.shape[0]
        else:
            classes = p.shape[1] if multi else p.shape[-1]
            rows = xp.moveaxis(p, 1, -1) if multi else p
            g = rows.reshape(-1, classes).copy()
            flat = lab.reshape(-1)
            if flat.shape[0] != g.shape[0]:
                raise errors.ShapeError(
                    f"SoftmaxOutput: label of shape {lab.shape} does not fit data of shape "
                    f"{p.shape}; give one class index per row (shape {g.shape[:1]})"
                )
            idx = xp.clip(flat.astype("int64"), 0, classes - 1)
            alpha = float(a.get("smooth_alpha", 0.0))
            if alpha:
                g -= alpha / (classes - 1)
            g[xp.arange(g.shape[0]), idx] -= 1.0 - alpha - (alpha / (classes - 1) if alpha else 0)
            ignored = flat == float(a.get("ignore_label", -1.0))
            if a.get("use_ignore", False):
                g[ignored] = 0
                valid = int(g.shape[0] - int(ignored.sum()))
            else:
                valid = g.shape[0]
            g = g.reshape(rows.shape)
            g = xp.moveaxis(g, -1, 1) if multi else g
        norm = a.get("normalization", "null")
        scale = self.scale / (
            p.shape[0] if norm == "batch" else max(valid, 1) if norm == "valid" else 1
        )
        g = (g * scale).astype(p.dtype, copy=False)
        if a.get("out_grad", False):
            g = g * grad._data
        return _wrap(prob, xp.ascontiguousarray(g)), self._label_grad(label)


class _Regression(_Loss):
    """``pred = f(data)``; backward ``d(pred, label) * grad_scale / outputs per sample``."""

    link: Callable[[Any], Any] = staticmethod(lambda x: x.copy())
    diff: Callable[[Any, Any, Any], Any] = staticmethod(lambda xp, p, y: p - y)

    def forward(self, data: Any, label: Any) -> Any:
        pred = type(self).link(data)
        self.save_for_backward(pred, label)
        return pred

    def backward(self, grad: Any) -> tuple:
        pred, label = self.saved_tensors
        xp = pred._ctx.xp
        if label.size != pred.size:
            raise errors.ShapeError(
                f"{type(self).__name__}: label of shape {label.shape} does not fit the output "
                f"of shape {pred.shape}"
            )
        per_sample = label.size // max(label.shape[0], 1) if label.ndim else 1
        g = type(self).diff(xp, pred._data, label._data.reshape(pred.shape))
        g = (g * (self.scale / per_sample)).astype(pred.dtype, copy=False)
        return _wrap(pred, g), self._label_grad(label)


class LinearRegressionOutput(_Regression):
    pass


class LogisticRegressionOutput(_Regression):
    link = staticmethod(lambda x: _nd().sigmoid(x))


class MAERegressionOutput(_Regression):
    diff = staticmethod(lambda xp, p, y: xp.sign(p - y))


class MakeLoss(_Loss):
    """Identity forward; backward ``grad_scale`` (over the batch or the valid count)."""

    def forward(self, data: Any) -> Any:
        self.save_for_backward(data.detach())
        return data.copy()

    def backward(self, grad: Any) -> Any:
        (data,) = self.saved_tensors
        xp = data._ctx.xp
        norm = self.attrs.get("normalization", "null")
        if norm == "batch":
            scale = self.scale / data.shape[0]
        elif norm == "valid":
            valid = int((data._data > float(self.attrs.get("valid_thresh", 0.0))).sum())
            scale = self.scale / max(valid, 1)
        else:
            scale = self.scale
        return _wrap(data, xp.full(data.shape, scale, dtype=data.dtype))


def _loss(cls: type) -> Callable:
    return lambda ins, attrs: cls(attrs)(*ins)


def _scalar(fn: Callable) -> Callable:
    return lambda ins, a: fn(ins[0], a["scalar"])


def _binary(name: str) -> Callable:
    return lambda ins, a: getattr(_nd(), name)(ins[0], ins[1])


def _creation(name: str) -> Callable:
    def make(ins: list, a: dict) -> Any:
        kwargs = {k: v for k, v in a.items() if k not in ("ctx",)}
        return getattr(_nd(), name)(**kwargs)

    return make


def _softmax_activation(ins: list, a: dict) -> Any:
    x = ins[0]
    if a.get("mode", "instance") == "channel":
        return _nd().softmax(x, axis=1)
    return _nd().softmax(x.reshape((x.shape[0], -1)), axis=-1).reshape(x.shape)


EVAL_OPS: dict[str, Callable[[list, dict], Any]] = {
    "SoftmaxOutput": _loss(SoftmaxOutput),
    "Softmax": _loss(SoftmaxOutput),
    "LinearRegressionOutput": _loss(LinearRegressionOutput),
    "LogisticRegressionOutput": _loss(LogisticRegressionOutput),
    "MAERegressionOutput": _loss(MAERegressionOutput),
    "MakeLoss": _loss(MakeLoss),
    "make_loss": _loss(MakeLoss),
    "SoftmaxActivation": _softmax_activation,
    "_power": _binary("broadcast_power"),
    "_mod": _binary("broadcast_mod"),
    "_maximum": _binary("broadcast_maximum"),
    "_minimum": _binary("broadcast_minimum"),
    "_hypot": lambda ins, a: _nd().sqrt(ins[0] * ins[0] + ins[1] * ins[1]),
    "_equal": _binary("broadcast_equal"),
    "_not_equal": _binary("broadcast_not_equal"),
    "_greater": _binary("broadcast_greater"),
    "_greater_equal": _binary("broadcast_greater_equal"),
    "_lesser": _binary("broadcast_lesser"),
    "_lesser_equal": _binary("broadcast_lesser_equal"),
    "_equal_scalar": _scalar(lambda x, s: x == s),
    "_not_equal_scalar": _scalar(lambda x, s: x != s),
    "_greater_scalar": _scalar(lambda x, s: x > s),
    "_greater_equal_scalar": _scalar(lambda x, s: x >= s),
    "_lesser_scalar": _scalar(lambda x, s: x < s),
    "_lesser_equal_scalar": _scalar(lambda x, s: x <= s),
    "_mod_scalar": _scalar(lambda x, s: x % s),
    "_rmod_scalar": _scalar(lambda x, s: s % x),
    "_zeros": _creation("zeros"),
    "_ones": _creation("ones"),
    "_full": _creation("full"),
    "_arange": _creation("arange"),
}
