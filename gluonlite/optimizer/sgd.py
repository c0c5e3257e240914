"""SGD and its relatives: SGD with (Nesterov) momentum, NAG, Signum/signSGD, SGLD, DCASGD.

Each ``_update_impl`` reproduces MXNet 1.x's kernel for the optimizer: the gradient is scaled
by ``rescale_grad`` and clipped, weight decay ``wd * weight`` is added after the clip, and the
momentum buffer holds MXNet's *negative* velocity (``mom = momentum * mom - lr * g``).
"""

from __future__ import annotations

import math
from typing import Any

from .optimizer import Optimizer, _copy_as, _zeros_like, register

__all__ = ["DCASGD", "NAG", "SGD", "SGLD", "Signum", "ccSGD"]


class _Momentum(Optimizer):
    """An optimizer with a ``momentum`` buffer as its state (None when momentum is 0)."""

    def __init__(self, momentum: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.momentum = momentum

    def create_state(self, index: Any, weight: Any) -> Any:
        return _zeros_like(weight) if self.momentum != 0.0 else None


@register
class SGD(_Momentum):
    """SGD with momentum and weight decay (MXNet's ``sgd_update``/``sgd_mom_update``)::

        g = lr * clip(rescale_grad * grad, clip_gradient)
        without momentum:  weight = (1 - lr * wd) * weight - g
        with momentum:     mom = momentum * mom - lr * wd * weight - g;  weight += mom

    ``nesterov=True`` (a gluonlite extension) applies NAG's update instead. ``lazy_update`` is
    accepted for compatibility; gradients are dense, so every update is the standard one.
    """

    def __init__(
        self, momentum: float = 0.0, lazy_update: bool = True, nesterov: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(momentum, **kwargs)
        self.lazy_update = lazy_update
        self.nesterov = nesterov

    def _update_impl(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        lr, wd = self._begin_update(index)
        if state is None:
            _plain_step(self, weight, grad, lr, wd)
        elif self.nesterov:
            _nesterov(self, weight, grad, state, self.momentum, lr, wd)
        else:
            w, mom = weight._data, state._data
            mom *= self.momentum
            _descend(self, weight, grad, mom, lr)
            if wd:
                self._axpy(weight._ctx.xp, -lr * wd, w, mom, weight)
            w += mom


def _descend(opt: Optimizer, weight: Any, grad: Any, target: Any, lr: float) -> None:
    """``target -= lr * clip(rescale_grad * grad)``, in one scaled pass when nothing clips."""
    xp = weight._ctx.xp
    if opt._clipping() is None:
        opt._axpy(xp, -lr * opt.rescale_grad, grad._data, target, weight)
    else:
        target -= opt._rescaled(xp, grad._data, opt._work(weight), lr)


def _plain_step(opt: Optimizer, weight: Any, grad: Any, lr: float, wd: float) -> None:
    """MXNet's ``sgd_update``: ``w = (1 - lr * wd) * w - lr * clip(rescale_grad * grad)``."""
    w = weight._data
    if wd:
        w *= 1.0 - lr * wd
    _descend(opt, weight, grad, w, lr)


def _nesterov(
    opt: Optimizer, weight: Any, grad: Any, state: Any, momentum: float, lr: float, wd: float
) -> None:
    """MXNet's ``nag_mom_update``, with ``step = lr * (clip(rescale_grad * grad) + wd * w)``::

    mom = momentum * mom - step;  w += momentum * mom - step
    """
    xp = weight._ctx.xp
    w, mom = weight._data, state._data
    step = opt._rescaled(xp, grad._data, opt._work(weight), lr)
    if wd:
        opt._axpy(xp, lr * wd, w, step, weight)
    mom *= momentum
    mom -= step
    w -= step
    opt._axpy(xp, momentum, mom, w, weight)


@register
class NAG(_Momentum):
    """Nesterov accelerated gradient (MXNet's ``nag_mom_update``)::

        g = lr * (clip(rescale_grad * grad, clip_gradient) + wd * weight)
        mom = momentum * mom - g
        weight = weight + momentum * mom - g

    Without momentum it is plain SGD.
    """

    def __init__(self, momentum: float = 0.0, **kwargs: Any) -> None:
        super().__init__(momentum, **kwargs)

    def _update_impl(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        lr, wd = self._begin_update(index)
        if state is None:
            _plain_step(self, weight, grad, lr, wd)
        else:
            _nesterov(self, weight, grad, state, self.momentum, lr, wd)


@register
class Signum(_Momentum):
    """Signum / signSGD (MXNet's ``signum_update``/``signsgd_update``)::

        mom = momentum * mom - (1 - momentum) * (clip(rescale_grad * grad) + wd * weight)
        weight = (1 - lr * wd_lh) * weight + lr * sign(mom)

    With ``momentum=0``: ``weight = (1 - lr * wd) * weight - lr * sign(grad)``.
    """

    def __init__(
        self, learning_rate: float = 0.01, momentum: float = 0.9, wd_lh: float = 0.0, **kwargs: Any
    ) -> None:
        super().__init__(momentum, learning_rate=learning_rate, **kwargs)
        self.wd_lh = wd_lh

    def _update_impl(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        lr, wd = self._begin_update(index)
        xp = weight._ctx.xp
        w = weight._data
        tmp = self._work(weight)
        if state is None:
            xp.sign(grad._data, out=tmp)
            if wd:
                w *= 1.0 - lr * wd
        else:
            mom = state._data
            one_minus = 1.0 - self.momentum
            self._rescaled(xp, grad._data, tmp, one_minus)
            mom *= self.momentum
            mom -= tmp
            if wd:
                xp.multiply(w, one_minus * wd, out=tmp)
                mom -= tmp
            xp.sign(mom, out=tmp)
            xp.negative(tmp, out=tmp)
            if self.wd_lh:
                w *= 1.0 - lr * self.wd_lh
        tmp *= lr
        w -= tmp


@register
class SGLD(Optimizer):
    """Stochastic gradient Langevin dynamics::

        weight += -lr / 2 * (clip(rescale_grad * grad) + wd * weight) + N(0, sqrt(lr))

    No state; the noise comes from ``gluonlite.random`` (seeded by ``random.seed``).
    """

    def _update_impl(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        from ..ndarray import random

        lr, wd = self._begin_update(index)
        xp = weight._ctx.xp
        w = weight._data
        step = self._rescaled(xp, grad._data, self._work(weight))
        if wd:
            self._axpy(xp, wd, w, step, weight)
        step *= lr / 2
        w -= step
        noise = random.normal(
            0, math.sqrt(lr), shape=weight.shape, dtype=weight.dtype, ctx=weight.context
        )
        w += noise._data


@register
class DCASGD(_Momentum):
    """Delay-compensated asynchronous SGD::

        g = clip(rescale_grad * grad)
        mom = momentum * mom - lr * (g + wd * weight + lamda * g * g * (weight - previous))
        previous = weight;  weight += mom

    State: ``(mom or None, previous weight)``.
    """

    def __init__(self, momentum: float = 0.0, lamda: float = 0.04, **kwargs: Any) -> None:
        super().__init__(momentum, **kwargs)
        self.lamda = lamda

    def create_state(self, index: Any, weight: Any) -> Any:
        return (super().create_state(index, weight), _copy_as(weight, weight.dtype))

    def _update_impl(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        lr, wd = self._begin_update(index)
        xp = weight._ctx.xp
        w = weight._data
        mom, previous = state
        g = self._rescaled(xp, grad._data, self._work(weight))
        tmp = self._work(weight, 1)
        xp.subtract(w, previous._data, out=tmp)
        tmp *= g
        tmp *= g
        tmp *= self.lamda
        tmp += g
        if wd:
            xp.multiply(w, wd, out=g)
            tmp += g
        tmp *= -lr
        if mom is not None:
            mom._data *= self.momentum
            mom._data += tmp
            tmp = mom._data
        previous._data[...] = w
        w += tmp


@register
class ccSGD(SGD):
    """[DEPRECATED] The same as :class:`SGD`."""
