"""The Adam family: Adam, AdamW (decoupled weight decay), Adamax, Nadam, LAMB and FTML.

Formulas follow MXNet's kernels: Adam folds the bias corrections into the step size and adds
epsilon outside the square root; weight decay enters the gradient before clipping, except in
AdamW and LAMB where it is decoupled.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from .optimizer import Optimizer, _zeros_like, bias_corrected_lr, register

__all__ = ["FTML", "LAMB", "Adam", "AdamW", "Adamax", "Nadam"]


def _adam_moments(opt: Optimizer, weight: Any, grad: Any, state: Any, wd: float) -> None:
    """Update Adam's moments in place with ``g = clip(rescale_grad * grad + wd * weight)``:
    ``m = beta1 * m + (1 - beta1) * g`` and ``v = beta2 * v + (1 - beta2) * g**2``. Without
    weight decay or clipping, ``rescale_grad`` is folded into single-pass axpy updates."""
    xp = weight._ctx.xp
    m, v = state[0]._data, state[1]._data
    if wd or opt._clipping() is not None:
        g = opt._rescaled_wd(
            xp, grad._data, weight._data, wd, opt._work(weight), opt._work(weight, 1)
        )
        scale = 1.0
    else:
        g, scale = grad._data, opt.rescale_grad
    sq = opt._work(weight, 1)
    xp.square(g, out=sq)
    m *= opt.beta1
    opt._axpy(xp, (1.0 - opt.beta1) * scale, g, m, weight)
    v *= opt.beta2
    opt._axpy(xp, (1.0 - opt.beta2) * scale * scale, sq, v, weight)


def _rms(xp: Any, v: Any, epsilon: float, out: Any, scale: float = 1.0) -> Any:
    """``out <- sqrt(scale * v) + epsilon``, Adam's denominator (``scale`` corrects v's bias)."""
    if scale == 1.0:
        xp.sqrt(v, out=out)
    else:
        xp.multiply(v, scale, out=out)
        xp.sqrt(out, out=out)
    out += epsilon
    return out


def _ema(xp: Any, avg: Any, value: Any, decay: float, tmp: Any) -> None:
    """``avg <- decay * avg + (1 - decay) * value``."""
    avg *= decay
    xp.multiply(value, 1.0 - decay, out=tmp)
    avg += tmp


class _Moments(Optimizer):
    """An optimizer of the Adam family: decay rates ``beta1``, ``beta2``; state ``(m, v)``."""

    def __init__(self, learning_rate: float, beta1: float, beta2: float, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2

    def create_state(self, index: Any, weight: Any) -> Any:
        return (_zeros_like(weight), _zeros_like(weight))


@register
class Adam(_Moments):
    """Adam (MXNet's ``adam_update``)::

        g = clip(rescale_grad * grad + wd * weight, clip_gradient)
        m = beta1 * m + (1 - beta1) * g;   v = beta2 * v + (1 - beta2) * g**2
        weight -= lr * sqrt(1 - beta2**t) / (1 - beta1**t) * m / (sqrt(v) + epsilon)

    State: ``(m, v)``. ``lazy_update`` is accepted for compatibility (gradients are dense).
    """

    def __init__(
        self,
        learning_rate: float = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-8,
        lazy_update: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, beta1, beta2, **kwargs)
        self.epsilon = epsilon
        self.lazy_update = lazy_update

    def _update_impl(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        lr, wd = self._begin_update(index)
        lr = bias_corrected_lr(lr, self.beta1, self.beta2, self._index_update_count[index])
        _adam_moments(self, weight, grad, state, wd)
        xp = weight._ctx.xp
        step = _rms(xp, state[1]._data, self.epsilon, self._work(weight, 1))
        xp.divide(state[0]._data, step, out=step)
        self._axpy(xp, -lr, step, weight._data, weight)


@register
class AdamW(_Moments):
    """Adam with decoupled weight decay (MXNet's ``adamw_update``, Gluon 2.0's ``AdamW``)::

        g = clip(rescale_grad * grad, clip_gradient)
        m = beta1 * m + (1 - beta1) * g;   v = beta2 * v + (1 - beta2) * g**2
        eta = lr * sqrt(1 - beta2**t) / (1 - beta1**t)     (eta = lr if not correct_bias)
        weight -= eta * (m / (sqrt(v) + epsilon) + wd * weight)

    State: ``(m, v)``.
    """

    def __init__(
        self,
        learning_rate: float = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-6,
        correct_bias: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, beta1, beta2, **kwargs)
        self.epsilon = epsilon
        self.correct_bias = correct_bias

    def _update_impl(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        lr, wd = self._begin_update(index)
        if self.correct_bias:
            lr = bias_corrected_lr(lr, self.beta1, self.beta2, self._index_update_count[index])
        _adam_moments(self, weight, grad, state, 0.0)
        xp = weight._ctx.xp
        w = weight._data
        step = _rms(xp, state[1]._data, self.epsilon, self._work(weight, 1))
        xp.divide(state[0]._data, step, out=step)
        if wd:  # decoupled: w -= eta * (step + wd * w), with the weight before the step
            w *= 1.0 - lr * wd
        self._axpy(xp, -lr, step, w, weight)


@register
class Adamax(_Moments):
    """AdaMax, Adam with the infinity norm::

        g = clip(rescale_grad * grad + wd * weight, clip_gradient)
        m = beta1 * m + (1 - beta1) * g;   u = maximum(beta2 * u, |g|)
        weight -= lr / (1 - beta1**t) * m / u

    Where ``u`` is 0 (every gradient so far was 0, so ``m`` is 0 too) the step is 0, where
    MXNet computes 0/0 = NaN.
    """

    def __init__(
        self, learning_rate: float = 0.002, beta1: float = 0.9, beta2: float = 0.999, **kwargs: Any
    ) -> None:
        super().__init__(learning_rate, beta1, beta2, **kwargs)

    def _update_impl(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        lr, wd = self._begin_update(index)
        lr /= 1.0 - self.beta1 ** self._index_update_count[index]
        xp = weight._ctx.xp
        w = weight._data
        g, tmp = self._work(weight), self._work(weight, 1)
        self._rescaled_wd(xp, grad._data, w, wd, g, tmp)
        m, u = state[0]._data, state[1]._data
        _ema(xp, m, g, self.beta1, tmp)
        u *= self.beta2
        xp.abs(g, out=g)
        xp.maximum(u, g, out=u)
        xp.maximum(u, xp.finfo(u.dtype).tiny, out=tmp)
        xp.divide(m, tmp, out=tmp)
        tmp *= lr
        w -= tmp


@cache
def _nadam_schedule(t: int, beta1: float, decay: float) -> float:
    """prod_{k<=t} momentum_k with momentum_k = beta1 * (1 - 0.5 * 0.96**(k * decay))."""
    if t == 0:
        return 1.0
    return _nadam_schedule(t - 1, beta1, decay) * _nadam_momentum(t, beta1, decay)


def _nadam_momentum(t: int, beta1: float, decay: float) -> float:
    return beta1 * (1.0 - 0.5 * 0.96 ** (t * decay))


@register
class Nadam(_Moments):
    """Nesterov Adam::

        g = clip(rescale_grad * grad + wd * weight, clip_gradient)
        mu_t = beta1 * (1 - 0.5 * 0.96**(t * schedule_decay));  S_t = mu_1 * ... * mu_t
        m = beta1 * m + (1 - beta1) * g;   v = beta2 * v + (1 - beta2) * g**2
        m_bar = (1 - mu_t) * g / (1 - S_t) + mu_{t+1} * m / (1 - S_t * mu_{t+1})
        weight -= lr * m_bar / (sqrt(v / (1 - beta2**t)) + epsilon)

    ``S_t`` is kept per parameter (MXNet 1.x keeps one product for the whole optimizer, so
    with several parameters its schedule advances once per parameter per step).
    """

    def __init__(
        self,
        learning_rate: float = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-8,
        schedule_decay: float = 0.004,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, beta1, beta2, **kwargs)
        self.epsilon = epsilon
        self.schedule_decay = schedule_decay

    def _update_impl(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        lr, wd = self._begin_update(index)
        t = self._index_update_count[index]
        b1, decay = self.beta1, self.schedule_decay
        mu_t, mu_next = _nadam_momentum(t, b1, decay), _nadam_momentum(t + 1, b1, decay)
        schedule = _nadam_schedule(t, b1, decay)
        xp = weight._ctx.xp
        w = weight._data
        g, tmp = self._work(weight), self._work(weight, 1)
        self._rescaled_wd(xp, grad._data, w, wd, g, tmp)
        m, v = state[0]._data, state[1]._data
        _ema(xp, m, g, b1, tmp)
        xp.square(g, out=tmp)
        _ema(xp, v, tmp, self.beta2, tmp)
        g *= (1.0 - mu_t) / (1.0 - schedule)
        xp.multiply(m, mu_next / (1.0 - schedule * mu_next), out=tmp)
        g += tmp
        xp.divide(g, _rms(xp, v, self.epsilon, tmp, 1.0 / (1.0 - self.beta2**t)), out=tmp)
        tmp *= lr
        w -= tmp


@register
class LAMB(_Moments):
    """Layer-wise adaptive moments (MXNet's ``lamb_update_phase1/2``)::

        g = clip(rescale_grad * grad, clip_gradient)
        m = beta1 * m + (1 - beta1) * g;   v = beta2 * v + (1 - beta2) * g**2
        r = m_hat / (sqrt(v_hat) + epsilon) + wd * weight   (m_hat, v_hat bias-corrected
                                                             when bias_correction)
        r1 = min(max(||weight||, lower_bound), upper_bound);   r2 = ||r||
        weight -= lr * (r1 / r2 if r1 > 0 and r2 > 0 else 1) * r

    State: ``(m, v)``; bounds of None leave the weight norm unbounded.
    """

    def __init__(
        self,
        learning_rate: float = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-6,
        lower_bound: float | None = None,
        upper_bound: float | None = None,
        bias_correction: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, beta1, beta2, **kwargs)
        self.epsilon = epsilon
        self.lower_bound = lower_bound
        self.upper_bound = upper_bound
        self.bias_correction = bias_correction

    def _update_impl(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        lr, wd = self._begin_update(index)
        t = self._index_update_count[index]
        _adam_moments(self, weight, grad, state, 0.0)
        xp = weight._ctx.xp
        w = weight._data
        m, v = state[0]._data, state[1]._data
        g, tmp = self._work(weight), self._work(weight, 1)
        m_scale, v_scale = 1.0, 1.0
        if self.bias_correction:
            m_scale, v_scale = 1.0 / (1.0 - self.beta1**t), 1.0 / (1.0 - self.beta2**t)
        xp.divide(m, _rms(xp, v, self.epsilon, tmp, v_scale), out=tmp)
        if m_scale != 1.0:
            tmp *= m_scale
        if wd:
            xp.multiply(w, wd, out=g)
            tmp += g
        r1 = xp.sqrt(xp.vdot(w, w))
        if self.lower_bound:
            r1 = xp.maximum(r1, self.lower_bound)
        if self.upper_bound:
            r1 = xp.minimum(r1, self.upper_bound)
        r2 = xp.sqrt(xp.vdot(tmp, tmp))
        # trust ratio computed on the device: no host sync, 1 where either norm is 0
        ratio = xp.where((r1 == 0) | (r2 == 0), 1.0, r1 / xp.where(r2 == 0, 1.0, r2))
        tmp *= (lr * ratio).astype(w.dtype)
        w -= tmp


@register
class FTML(Optimizer):
    """Follow the moving leader (MXNet's ``ftml_update``)::

        g = clip(rescale_grad * grad + wd * weight, clip_gradient)
        v = beta2 * v + (1 - beta2) * g**2
        d_t = (1 - beta1**t) / lr * (sqrt(v / (1 - beta2**t)) + epsilon)
        z = beta1 * z + (1 - beta1) * g - (d_t - beta1 * d_{t-1}) * weight
        weight = -z / d_t

    State: ``(d, v, z)``.
    """

    def __init__(
        self, beta1: float = 0.6, beta2: float = 0.999, epsilon: float = 1e-8, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon

    def create_state(self, index: Any, weight: Any) -> Any:
        return (_zeros_like(weight), _zeros_like(weight), _zeros_like(weight))  # d, v, z

    def _update_impl(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        lr, wd = self._begin_update(index)
        t = self._index_update_count[index]
        xp = weight._ctx.xp
        w = weight._data
        g, tmp = self._work(weight), self._work(weight, 1)
        self._rescaled_wd(xp, grad._data, w, wd, g, tmp)
        d, v, z = (s._data for s in state)
        xp.square(g, out=tmp)
        _ema(xp, v, tmp, self.beta2, tmp)
        _ema(xp, z, g, self.beta1, tmp)  # z = beta1 z + (1 - beta1) g
        d *= -self.beta1  # d <- d_t - beta1 * d_{t-1}, built in place
        _rms(xp, v, self.epsilon, g, 1.0 / (1.0 - self.beta2**t))
        g *= (1.0 - self.beta1**t) / lr  # g = d_t
        d += g
        d *= w
        z -= d
        d[...] = g
        xp.divide(z, d, out=w)
        xp.negative(w, out=w)
