"""MXNet's normalization operators (``BatchNorm``, ``LayerNorm``, ``GroupNorm``,
``InstanceNorm``, ``L2Normalization``) as compositions of registered ops; training-mode
BatchNorm runs on the fused ``batch_norm`` primitive.
"""

from __future__ import annotations

import math
from typing import Any

import numpy

from .. import errors
from ..autograd.state import STATE
from ..ops.registry import P
from .mx_conv import channel_shape, constant_like, mx_operator
from .ndarray import NDArray

__all__ = ["BatchNorm", "GroupNorm", "InstanceNorm", "L2Normalization", "LayerNorm"]


def _moments(x: NDArray, axes: tuple[int, ...]) -> tuple[NDArray, NDArray, NDArray]:
    """(mean, x - mean, biased variance) over ``axes``, statistics kept as size-1 axes."""
    scale = 1.0 / math.prod(x.shape[a] for a in axes)
    mean = P.multiply(P.sum(x, axis=axes, keepdims=True), scale)
    centered = P.subtract(x, mean)
    var = P.multiply(P.sum(P.square(centered), axis=axes, keepdims=True), scale)
    return mean, centered, var


def _inv_std(var: NDArray, eps: float) -> NDArray:
    return P.power(P.add(var, float(eps)), -0.5)


def _affine(xhat: NDArray, gamma: NDArray | None, beta: NDArray | None, shape) -> NDArray:
    y = xhat if gamma is None else P.multiply(xhat, P.reshape(gamma, newshape=shape))
    return y if beta is None else P.add(y, P.reshape(beta, newshape=shape))


def _update_running(running: NDArray | None, batch: NDArray, momentum: float) -> None:
    """running = momentum * running + (1 - momentum) * batch, in place: the ``ema_update``
    side-effect op, so a hybridized graph replays the update too (never on the tape)."""
    if running is None:
        return
    P.ema_update(running, P.reshape(batch.detach(), newshape=running.shape),
                 momentum=float(momentum))


@mx_operator
def BatchNorm(
    data: NDArray,
    gamma: NDArray,
    beta: NDArray,
    moving_mean: NDArray | None = None,
    moving_var: NDArray | None = None,
    eps: float = 1e-3,
    momentum: float = 0.9,
    fix_gamma: bool = True,
    use_global_stats: bool = False,
    output_mean_var: bool = False,
    axis: int = 1,
    cudnn_off: bool = False,
    min_calib_range: Any = None,
    max_calib_range: Any = None,
) -> Any:
    """Batch normalization over every axis but ``axis``. Training mode uses the batch mean and
    biased variance and updates moving_mean/moving_var in place (momentum weights the old
    value); predict mode (or use_global_stats) uses the moving statistics. ``fix_gamma`` treats
    gamma as 1 (and leaves it without gradient). With ``output_mean_var``, also returns the mean
    and the inverse std, 1/sqrt(var + eps) (no gradient flows through them)."""
    axis = axis % data.ndim
    channels = data.shape[axis]
    shape = channel_shape(data.ndim, axis, channels)
    if fix_gamma:
        gamma = constant_like(data, numpy.ones(channels))
    if STATE.training and not use_global_stats:
        y, mean, var = P.batch_norm(data, gamma, beta, axis=axis, eps=float(eps))
        _update_running(moving_mean, mean, momentum)
        _update_running(moving_var, var, momentum)
    else:  # y = x * scale + shift, per-channel scale and shift from the moving statistics
        mean, var = moving_mean, moving_var
        scale = P.multiply(gamma, _inv_std(var, eps))
        shift = P.subtract(beta, P.multiply(mean, scale))
        y = P.add(
            P.multiply(data, P.reshape(scale, newshape=shape)), P.reshape(shift, newshape=shape)
        )
    if not output_mean_var:
        return y
    return y, mean.detach(), _inv_std(var, eps).detach()


def _normalized(x: NDArray, axes: tuple[int, ...], eps: float) -> tuple[NDArray, NDArray, NDArray]:
    mean, centered, var = _moments(x, axes)
    return P.multiply(centered, _inv_std(var, eps)), mean, var


def _with_stats(y: NDArray, mean: NDArray, var: NDArray, eps: float, output_mean_var: bool):
    if not output_mean_var:
        return y
    return y, mean, P.sqrt(P.add(var, float(eps)))


@mx_operator
def LayerNorm(
    data: NDArray,
    gamma: NDArray | None = None,
    beta: NDArray | None = None,
    axis: int = -1,
    eps: float = 1e-5,
    output_mean_var: bool = False,
) -> Any:
    """(x - mean) / sqrt(var + eps) * gamma + beta over ``axis`` (biased variance); gamma and
    beta have the size of that axis. ``output_mean_var`` adds the mean and std."""
    axis = axis % data.ndim
    xhat, mean, var = _normalized(data, (axis,), eps)
    y = _affine(xhat, gamma, beta, channel_shape(data.ndim, axis, data.shape[axis]))
    return _with_stats(y, mean, var, eps, output_mean_var)


@mx_operator
def GroupNorm(
    data: NDArray,
    gamma: NDArray | None = None,
    beta: NDArray | None = None,
    num_groups: int = 1,
    eps: float = 1e-5,
    output_mean_var: bool = False,
) -> Any:
    """Normalize (N, C, ...) within each of ``num_groups`` channel groups; gamma and beta have
    shape (num_groups,) (MXNet 1.9: one scale per group)."""
    n, c = data.shape[:2]
    if c % num_groups:
        raise errors.MXNetValueError(
            f"GroupNorm: num_groups={num_groups} must divide the {c} channels of data "
            f"{tuple(data.shape)}"
        )
    grouped = P.reshape(data, newshape=(n, num_groups, -1))
    xhat, mean, var = _normalized(grouped, (2,), eps)
    y = P.reshape(_affine(xhat, gamma, beta, (1, num_groups, 1)), newshape=tuple(data.shape))
    return _with_stats(y, mean, var, eps, output_mean_var)


@mx_operator
def InstanceNorm(data: NDArray, gamma: NDArray, beta: NDArray, eps: float = 1e-3) -> NDArray:
    """Normalize each (sample, channel) over the spatial axes; gamma and beta are (C,)."""
    xhat, _, _ = _normalized(data, tuple(range(2, data.ndim)), eps)
    return _affine(xhat, gamma, beta, channel_shape(data.ndim, 1, data.shape[1]))


@mx_operator
def L2Normalization(data: NDArray, eps: float = 1e-10, mode: str = "instance") -> NDArray:
    """x / sqrt(sum(x^2) + eps) over all non-batch axes ('instance'), axis 1 ('channel') or the
    axes after 1 ('spatial')."""
    axes = {
        "instance": tuple(range(1, data.ndim)),
        "channel": (1,),
        "spatial": tuple(range(2, data.ndim)),
    }.get(mode)
    if axes is None:
        raise errors.MXNetValueError(
            f"L2Normalization: mode must be 'instance', 'channel' or 'spatial', not {mode!r}"
        )
    norm = P.sqrt(P.add(P.sum(P.square(data), axis=axes, keepdims=True), float(eps)))
    return P.true_divide(data, norm)
