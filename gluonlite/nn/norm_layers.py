"""Normalization layers (MXNet 1.x ``gluon.nn``): BatchNorm (and SyncBatchNorm), LayerNorm,
GroupNorm, InstanceNorm.

BatchNorm follows MXNet: in training mode (``autograd.record()``) it normalizes with the batch
mean and biased variance and updates ``running = momentum*running + (1-momentum)*batch`` in
place; in predict mode, or with ``use_global_stats``, it uses the running statistics.
"""

from __future__ import annotations

from typing import Any

import numpy

from .. import ndarray as nd
from .basic_layers import format_kwargs, new_param
from .block import HybridBlock
from .parameter import Parameter

__all__ = ["BatchNorm", "GroupNorm", "InstanceNorm", "LayerNorm", "SyncBatchNorm"]


def _affine_params(
    block: HybridBlock, size: int, center: bool, scale: bool, gamma_init: Any, beta_init: Any
) -> None:
    """Create ``gamma`` and ``beta`` of shape (size,); a disabled one gets grad_req 'null'."""
    block.gamma = new_param(
        block,
        "gamma",
        grad_req="write" if scale else "null",
        shape=(size,),
        init=gamma_init,
        allow_deferred_init=True,
        differentiable=scale,
    )
    block.beta = new_param(
        block,
        "beta",
        grad_req="write" if center else "null",
        shape=(size,),
        init=beta_init,
        allow_deferred_init=True,
        differentiable=center,
    )


def _affine_data(block: HybridBlock, ctx: Any) -> tuple[Any, Any]:
    """``gamma`` and ``beta`` on ``ctx``, each None where ``scale``/``center`` disables it."""
    k = block._kwargs
    gamma = block.gamma.data(ctx) if k["scale"] else None
    return gamma, block.beta.data(ctx) if k["center"] else None


def _set_sizes(params: tuple[Parameter, ...], size: int) -> None:
    for p in params:
        p.shape = (size,)


class BatchNorm(HybridBlock):
    """Normalize over every axis but ``axis`` with batch statistics (training) or running
    statistics (predict, or ``use_global_stats``); parameters gamma, beta, running_mean and
    running_var of shape (channels,). ``scale=False`` fixes gamma at 1."""

    def __init__(
        self,
        axis: int = 1,
        momentum: float = 0.9,
        epsilon: float = 1e-5,
        center: bool = True,
        scale: bool = True,
        use_global_stats: bool = False,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        running_mean_initializer: Any = "zeros",
        running_variance_initializer: Any = "ones",
        in_channels: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._kwargs = {
            "axis": axis,
            "eps": epsilon,
            "momentum": momentum,
            "fix_gamma": not scale,
            "use_global_stats": use_global_stats,
        }
        _affine_params(self, in_channels, center, scale, gamma_initializer, beta_initializer)
        self.running_mean = new_param(
            self,
            "running_mean",
            grad_req="null",
            shape=(in_channels,),
            init=running_mean_initializer,
            allow_deferred_init=True,
            differentiable=False,
        )
        self.running_var = new_param(
            self,
            "running_var",
            grad_req="null",
            shape=(in_channels,),
            init=running_variance_initializer,
            allow_deferred_init=True,
            differentiable=False,
        )

    def infer_shape(self, x: Any, *args: Any) -> None:
        size = x.shape[self._kwargs["axis"]]
        _set_sizes((self.gamma, self.beta, self.running_mean, self.running_var), size)

    def cast(self, dtype: Any) -> None:
        """Cast the parameters, keeping float32 for a float16 cast (as MXNet does: the
        statistics need the precision)."""
        if numpy.dtype(dtype) == numpy.float16:
            dtype = numpy.float32
        super().cast(dtype)

    def forward(self, x: Any) -> Any:
        ctx = x.context
        return nd.BatchNorm(
            x,
            self.gamma.data(ctx),
            self.beta.data(ctx),
            self.running_mean.data(ctx),
            self.running_var.data(ctx),
            **self._kwargs,
        )

    def __repr__(self) -> str:
        return format_kwargs(
            type(self).__name__, self._kwargs, in_channels=self.gamma.shape[0] or None
        )


class SyncBatchNorm(BatchNorm):
    """MXNet's cross-device BatchNorm, with its argument order. gluonlite runs one process per
    device set and normalizes each device's batch on its own, so this is BatchNorm over axis 1
    (``num_devices`` is accepted and unused)."""

    def __init__(
        self,
        in_channels: int = 0,
        num_devices: int | None = None,
        momentum: float = 0.9,
        epsilon: float = 1e-5,
        center: bool = True,
        scale: bool = True,
        use_global_stats: bool = False,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        running_mean_initializer: Any = "zeros",
        running_variance_initializer: Any = "ones",
        **kwargs: Any,
    ) -> None:
        super().__init__(
            1,
            momentum,
            epsilon,
            center,
            scale,
            use_global_stats,
            beta_initializer,
            gamma_initializer,
            running_mean_initializer,
            running_variance_initializer,
            in_channels,
            **kwargs,
        )


class _AxisNorm(HybridBlock):
    """A normalization with gamma and beta of shape (x.shape[axis],): LayerNorm, InstanceNorm."""

    def __init__(
        self,
        axis: int,
        epsilon: float,
        center: bool,
        scale: bool,
        beta_initializer: Any,
        gamma_initializer: Any,
        in_channels: int,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._kwargs = {"eps": epsilon, "axis": axis, "center": center, "scale": scale}
        _affine_params(self, in_channels, center, scale, gamma_initializer, beta_initializer)

    def infer_shape(self, x: Any, *args: Any) -> None:
        _set_sizes((self.gamma, self.beta), x.shape[self._kwargs["axis"]])

    def __repr__(self) -> str:
        return format_kwargs(type(self).__name__, self._kwargs, in_channels=self.gamma.shape[0])


class LayerNorm(_AxisNorm):
    """Normalize over ``axis`` (the last by default) with the biased variance, then scale by
    gamma and shift by beta, both of shape (x.shape[axis],)."""

    def __init__(
        self,
        axis: int = -1,
        epsilon: float = 1e-5,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        in_channels: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            axis, epsilon, center, scale, beta_initializer, gamma_initializer, in_channels, **kwargs
        )

    def forward(self, x: Any) -> Any:
        k = self._kwargs
        return nd.LayerNorm(x, *_affine_data(self, x.context), axis=k["axis"], eps=k["eps"])


class GroupNorm(HybridBlock):
    """Normalize (N, C, ...) data within each of ``num_groups`` channel groups; gamma and beta
    have shape (num_groups,): one scale and shift per group (MXNet 1.9)."""

    def __init__(
        self,
        num_groups: int = 1,
        epsilon: float = 1e-5,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._kwargs = {"eps": epsilon, "num_groups": num_groups, "center": center, "scale": scale}
        _affine_params(self, num_groups, center, scale, gamma_initializer, beta_initializer)

    def forward(self, x: Any) -> Any:
        k = self._kwargs
        gamma, beta = _affine_data(self, x.context)
        return nd.GroupNorm(x, gamma, beta, num_groups=k["num_groups"], eps=k["eps"])

    def __repr__(self) -> str:
        return format_kwargs(type(self).__name__, self._kwargs)


class InstanceNorm(_AxisNorm):
    """Normalize each (sample, channel) over the remaining axes; ``axis`` is the channel axis.
    Gamma and beta have shape (channels,); the default ``scale=False`` leaves gamma unused."""

    def __init__(
        self,
        axis: int = 1,
        epsilon: float = 1e-5,
        center: bool = True,
        scale: bool = False,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        in_channels: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            axis, epsilon, center, scale, beta_initializer, gamma_initializer, in_channels, **kwargs
        )

    def forward(self, x: Any) -> Any:
        axis = self._kwargs["axis"] % x.ndim
        if axis != 1:
            x = nd.swapaxes(x, 1, axis)
        y = nd.InstanceNorm(x, *_affine_data(self, x.context), eps=self._kwargs["eps"])
        return y if axis == 1 else nd.swapaxes(y, 1, axis)
