"""Per-coordinate adaptive optimizers: AdaGrad, AdaDelta, RMSProp (plain and centered), FTRL.

Formulas follow MXNet 1.x (AdaGrad and AdaDelta: its Python code; RMSProp and FTRL: its
``rmsprop_update``/``rmspropalex_update``/``ftrl_update`` kernels).
"""

from __future__ import annotations

from typing import Any

from .optimizer import Optimizer, _zeros_like, register

__all__ = ["FTRL", "AdaDelta", "AdaGrad", "Adagrad", "Ftrl", "RMSProp"]


@register
class AdaGrad(Optimizer):
    """AdaGrad::

        g = clip(rescale_grad * grad, clip_gradient)
        history += g**2
        weight -= lr * (g / sqrt(history + eps) + wd * weight)

    State: the ``history`` of squared gradients.
    """

    def __init__(self, eps: float = 1e-7, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.float_stable_eps = eps

    def create_state(self, index: Any, weight: Any) -> Any:
        return _zeros_like(weight)

    def _update_impl(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        lr, wd = self._begin_update(index)
        xp = weight._ctx.xp
        w, history = weight._data, state._data
        g, tmp = self._rescaled(xp, grad._data, self._work(weight)), self._work(weight, 1)
        xp.square(g, out=tmp)
        history += tmp
        xp.add(history, self.float_stable_eps, out=tmp)
        xp.sqrt(tmp, out=tmp)
        xp.divide(g, tmp, out=tmp)
        if wd:
            xp.multiply(w, wd, out=g)
            tmp += g
        tmp *= lr
        w -= tmp


Adagrad = AdaGrad


@register
class AdaDelta(Optimizer):
    """AdaDelta (MXNet 1.x: no learning rate; weight decay is added to the step)::

        g = clip(rescale_grad * grad, clip_gradient)
        acc_g = rho * acc_g + (1 - rho) * g**2
        delta = sqrt(acc_delta + epsilon) / sqrt(acc_g + epsilon) * g
        acc_delta = rho * acc_delta + (1 - rho) * delta**2
        weight -= delta + wd * weight

    State: ``(acc_g, acc_delta)``.
    """

    def __init__(self, rho: float = 0.90, epsilon: float = 1e-5, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def create_state(self, index: Any, weight: Any) -> Any:
        return (_zeros_like(weight), _zeros_like(weight))

    def _update_impl(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        wd = self._get_wd(index)
        self._update_count(index)
        xp = weight._ctx.xp
        w = weight._data
        acc_g, acc_delta = state[0]._data, state[1]._data
        g, tmp = self._rescaled(xp, grad._data, self._work(weight)), self._work(weight, 1)
        rho, eps = self.rho, self.epsilon
        acc_g *= rho
        xp.square(g, out=tmp)
        tmp *= 1.0 - rho
        acc_g += tmp
        xp.add(acc_delta, eps, out=tmp)  # delta = sqrt(acc_delta + eps) / sqrt(acc_g + eps) * g
        xp.sqrt(tmp, out=tmp)
        g *= tmp
        xp.add(acc_g, eps, out=tmp)
        xp.sqrt(tmp, out=tmp)
        g /= tmp
        acc_delta *= rho
        xp.square(g, out=tmp)
        tmp *= 1.0 - rho
        acc_delta += tmp
        if wd:
            xp.multiply(w, wd, out=tmp)
            g += tmp
        w -= g


@register
class RMSProp(Optimizer):
    """RMSProp: Tieleman & Hinton's, or Graves's with ``centered=True``::

        g = clip(rescale_grad * grad + wd * weight, clip_gradient)
        n = (1 - gamma1) * g**2 + gamma1 * n
        plain:     weight -= lr * g / sqrt(n + epsilon)
        centered:  s = (1 - gamma1) * g + gamma1 * s
                   delta = gamma2 * delta - lr * g / sqrt(n - s**2 + epsilon)
                   weight += delta
        then, with clip_weights: weight = clip(weight, -clip_weights, clip_weights)

    State: ``(n,)``, or ``(n, s, delta)`` when centered.
    """

    def __init__(
        self,
        learning_rate: float = 0.001,
        gamma1: float = 0.9,
        gamma2: float = 0.9,
        epsilon: float = 1e-8,
        centered: bool = False,
        clip_weights: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.gamma1 = gamma1
        self.gamma2 = gamma2
        self.centered = centered
        self.epsilon = epsilon
        self.clip_weights = clip_weights

    def create_state(self, index: Any, weight: Any) -> Any:
        if self.centered:
            return (_zeros_like(weight), _zeros_like(weight), _zeros_like(weight))  # n, s, delta
        return (_zeros_like(weight),)

    def _update_impl(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        lr, wd = self._begin_update(index)
        xp = weight._ctx.xp
        w = weight._data
        g, tmp = self._work(weight), self._work(weight, 1)
        self._rescaled_wd(xp, grad._data, w, wd, g, tmp)
        gamma1 = self.gamma1
        n = state[0]._data
        n *= gamma1
        xp.square(g, out=tmp)
        tmp *= 1.0 - gamma1
        n += tmp
        if self.centered:
            s, delta = state[1]._data, state[2]._data
            s *= gamma1
            xp.multiply(g, 1.0 - gamma1, out=tmp)
            s += tmp
            xp.square(s, out=tmp)
            xp.subtract(n, tmp, out=tmp)
        else:
            tmp[...] = n
        tmp += self.epsilon
        xp.sqrt(tmp, out=tmp)
        xp.divide(g, tmp, out=tmp)
        tmp *= lr
        if self.centered:
            delta *= self.gamma2
            delta -= tmp
            w += delta
        else:
            w -= tmp
        if self.clip_weights:
            xp.clip(w, -self.clip_weights, self.clip_weights, out=w)


@register
class Ftrl(Optimizer):
    """FTRL-proximal (MXNet's ``ftrl_update``)::

        g = clip(rescale_grad * grad, clip_gradient)
        z += g - (sqrt(n + g**2) - sqrt(n)) * weight / lr
        n += g**2
        weight = (sign(z) * lamda1 - z) / ((beta + sqrt(n)) / lr + wd) * (|z| > lamda1)

    State: ``(z, n)``.
    """

    def __init__(
        self, lamda1: float = 0.01, learning_rate: float = 0.1, beta: float = 1, **kwargs: Any
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.lamda1 = lamda1
        self.beta = beta

    def create_state(self, index: Any, weight: Any) -> Any:
        return (_zeros_like(weight), _zeros_like(weight))  # z, n

    def _update_impl(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        lr, wd = self._begin_update(index)
        xp = weight._ctx.xp
        w = weight._data
        z, n = state[0]._data, state[1]._data
        g, tmp = self._rescaled(xp, grad._data, self._work(weight)), self._work(weight, 1)
        inv_lr = 1.0 / lr
        z += g  # z += g - (sqrt(n + g^2) - sqrt(n)) * w / lr, with the old and new n
        xp.sqrt(n, out=tmp)
        tmp *= w
        tmp *= inv_lr
        z += tmp
        xp.square(g, out=g)
        n += g
        xp.sqrt(n, out=tmp)
        xp.multiply(tmp, w, out=g)
        g *= inv_lr
        z -= g
        tmp += self.beta  # tmp = (beta + sqrt(n)) / lr + wd
        tmp *= inv_lr
        if wd:
            tmp += wd
        xp.sign(z, out=g)
        g *= self.lamda1
        g -= z
        g /= tmp
        xp.abs(z, out=tmp)
        xp.greater(tmp, self.lamda1, out=tmp)
        xp.multiply(g, tmp, out=w)


FTRL = Ftrl
