"""Convolution, pooling and padding layers (MXNet 1.x ``gluon.nn``).

Convolutions wrap ``nd.Convolution`` / ``nd.Deconvolution`` with MXNet's weight layouts:
(channels, in_channels/groups, *kernel) for ConvND and (in_channels, channels/groups, *kernel)
for ConvNDTranspose. Channels-last layouts (NWC, NHWC, NDHWC) of convolutions and pooling
run as transposed views around the channels-first operator; such a convolution keeps MXNet's
channels-last weight (channels, *kernel, in_channels/groups).
"""

from __future__ import annotations

from typing import Any

from .. import ndarray as nd
from ..errors import MXNetValueError
from .basic_layers import as_tuple, make_activation, new_param
from .block import HybridBlock

__all__ = [
    "AvgPool1D",
    "AvgPool2D",
    "AvgPool3D",
    "Conv1D",
    "Conv1DTranspose",
    "Conv2D",
    "Conv2DTranspose",
    "Conv3D",
    "Conv3DTranspose",
    "GlobalAvgPool1D",
    "GlobalAvgPool2D",
    "GlobalAvgPool3D",
    "GlobalMaxPool1D",
    "GlobalMaxPool2D",
    "GlobalMaxPool3D",
    "MaxPool1D",
    "MaxPool2D",
    "MaxPool3D",
    "ReflectionPad2D",
]

_FIRST = {1: "NCW", 2: "NCHW", 3: "NCDHW"}
_LAST = {1: "NWC", 2: "NHWC", 3: "NDHWC"}


def _channels_last(layout: str, nsp: int, layer: str, allow_last: bool = True) -> bool:
    """Whether ``layout`` puts channels last; raises for a layout this layer cannot take."""
    if layout == _FIRST[nsp]:
        return False
    if allow_last and layout == _LAST[nsp]:
        return True
    supported = (_FIRST[nsp], _LAST[nsp]) if allow_last else (_FIRST[nsp],)
    raise MXNetValueError(f"{layer}: layout {layout!r} is not supported; use one of {supported}")


def _to_first(x: Any) -> Any:
    """(N, *S, C) as an (N, C, *S) view."""
    return nd.transpose(x, axes=(0, x.ndim - 1, *range(1, x.ndim - 1)))


def _to_last(x: Any) -> Any:
    """(N, C, *S) as an (N, *S, C) view."""
    return nd.transpose(x, axes=(0, *range(2, x.ndim), 1))


class _Conv(HybridBlock):
    """N-d convolution (nsp spatial axes, set by the subclass); see Conv2D."""

    _nsp = 2
    _transposed = False

    def __init__(
        self,
        channels: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        layout: str | None = None,
        activation: Any = None,
        use_bias: bool = True,
        weight_initializer: Any = None,
        bias_initializer: Any = "zeros",
        in_channels: int = 0,
        output_padding: Any = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        name, n = type(self).__name__, self._nsp
        self._channels, self._groups = int(channels), int(groups)
        self._kernel = as_tuple(kernel_size, n, "kernel_size", name)
        self._strides = as_tuple(strides, n, "strides", name)
        self._padding = as_tuple(padding, n, "padding", name)
        self._dilation = as_tuple(dilation, n, "dilation", name)
        self._out_pad = as_tuple(output_padding, n, "output_padding", name)
        self._last = _channels_last(layout or _FIRST[n], n, name, not self._transposed)
        if self._groups < 1 or self._channels % self._groups:
            raise MXNetValueError(
                f"{name}: groups={groups} must be a positive divisor of channels={channels}"
            )
        self.weight = new_param(
            self,
            "weight",
            shape=self._weight_shape(in_channels),
            init=weight_initializer,
            allow_deferred_init=True,
        )
        self.bias = None
        if use_bias:
            self.bias = new_param(
                self, "bias", shape=(channels,), init=bias_initializer, allow_deferred_init=True
            )
        self.act = make_activation(activation)

    def _weight_shape(self, in_channels: int) -> tuple[int, ...]:
        if in_channels % self._groups:
            raise MXNetValueError(
                f"{type(self).__name__}: groups={self._groups} must divide the {in_channels} "
                "input channels"
            )
        if self._transposed:
            return (in_channels, self._channels // self._groups, *self._kernel)
        if self._last:
            return (self._channels, *self._kernel, in_channels // self._groups)
        return (self._channels, in_channels // self._groups, *self._kernel)

    def infer_shape(self, x: Any, *args: Any) -> None:
        self.weight.shape = self._weight_shape(x.shape[-1 if self._last else 1])

    def _apply(self, x: Any, w: Any, b: Any) -> Any:
        kwargs = {
            "kernel": self._kernel,
            "stride": self._strides,
            "dilate": self._dilation,
            "pad": self._padding,
            "num_filter": self._channels,
            "num_group": self._groups,
            "no_bias": b is None,
        }
        if self._transposed:
            return nd.Deconvolution(x, w, b, adj=self._out_pad, **kwargs)
        return nd.Convolution(x, w, b, **kwargs)

    def forward(self, x: Any) -> Any:
        ctx = x.context
        w = self.weight.data(ctx)
        b = None if self.bias is None else self.bias.data(ctx)
        if self._last:
            y = _to_last(self._apply(_to_first(x), _to_first(w), b))
        else:
            y = self._apply(x, w, b)
        return y if self.act is None else self.act(y)

    def _in_channels(self) -> int | None:
        shape = self.weight.shape
        if self._transposed:
            return shape[0] or None
        return (shape[-1 if self._last else 1] * self._groups) or None

    def __repr__(self) -> str:
        n = self._nsp
        s = (
            f"{type(self).__name__}({self._in_channels()} -> {self._channels}, "
            f"kernel_size={self._kernel}, stride={self._strides}"
        )
        if self._padding != (0,) * n:
            s += f", padding={self._padding}"
        if self._dilation != (1,) * n:
            s += f", dilation={self._dilation}"
        if self._transposed and self._out_pad != (0,) * n:
            s += f", output_padding={self._out_pad}"
        if self._groups != 1:
            s += f", groups={self._groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.act is not None:
            s += f", {self.act}"
        return s + ")"


class _ConvTranspose(_Conv):
    """N-d transposed convolution; MXNet puts ``output_padding`` before ``dilation``."""

    _transposed = True

    def __init__(
        self,
        channels: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        layout: str | None = None,
        activation: Any = None,
        use_bias: bool = True,
        weight_initializer: Any = None,
        bias_initializer: Any = "zeros",
        in_channels: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            channels,
            kernel_size,
            strides,
            padding,
            dilation,
            groups,
            layout,
            activation,
            use_bias,
            weight_initializer,
            bias_initializer,
            in_channels,
            output_padding,
            **kwargs,
        )


class Conv1D(_Conv):
    """1-d convolution over (N, C, W) data; weight (channels, in_channels/groups, k)."""

    _nsp = 1


class Conv2D(_Conv):
    """2-d convolution (cross-correlation) over (N, C, H, W) data; weight (channels,
    in_channels/groups, kh, kw). ``in_channels=0`` infers the input channels at the first
    forward; ``activation`` is applied to the output."""

    _nsp = 2


class Conv3D(_Conv):
    """3-d convolution over (N, C, D, H, W) data; weight (channels, in_channels/groups, *k)."""

    _nsp = 3


class Conv1DTranspose(_ConvTranspose):
    """1-d transposed convolution; output width (w-1)*s - 2p + d*(k-1) + output_padding + 1."""

    _nsp = 1


class Conv2DTranspose(_ConvTranspose):
    """2-d transposed convolution (the gradient of Conv2D with respect to its input); weight
    (in_channels, channels/groups, kh, kw); each output side is
    (in-1)*stride - 2*padding + dilation*(k-1) + output_padding + 1."""

    _nsp = 2


class Conv3DTranspose(_ConvTranspose):
    """3-d transposed convolution; weight (in_channels, channels/groups, kd, kh, kw)."""

    _nsp = 3


# ---- pooling ------------------------------------------------------------------------------------
class _Pooling(HybridBlock):
    """Max or average pooling over windows, or over all spatial axes (global)."""

    def __init__(
        self,
        nsp: int,
        pool_type: str,
        pool_size: Any,
        strides: Any,
        padding: Any,
        ceil_mode: bool,
        layout: str | None,
        count_include_pad: bool | None = None,
        global_pool: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        name = type(self).__name__
        kernel = as_tuple(pool_size, nsp, "pool_size", name)
        self._last = _channels_last(layout or _FIRST[nsp], nsp, name)
        self._kwargs = {
            "kernel": kernel,
            "stride": kernel if strides is None else as_tuple(strides, nsp, "strides", name),
            "pad": as_tuple(padding, nsp, "padding", name),
            "global_pool": global_pool,
            "pool_type": pool_type,
            "pooling_convention": "full" if ceil_mode else "valid",
        }
        if count_include_pad is not None:
            self._kwargs["count_include_pad"] = count_include_pad
        self._layout = layout or _FIRST[nsp]

    def forward(self, x: Any) -> Any:
        if self._last:
            return _to_last(nd.Pooling(_to_first(x), **self._kwargs))
        return nd.Pooling(x, **self._kwargs)

    def __repr__(self) -> str:
        k = self._kwargs
        return (
            f"{type(self).__name__}(size={k['kernel']}, stride={k['stride']}, padding={k['pad']}, "
            f"ceil_mode={k['pooling_convention'] == 'full'}, global_pool={k['global_pool']}, "
            f"pool_type={k['pool_type']}, layout={self._layout})"
        )


class MaxPool1D(_Pooling):
    """Max pooling over (N, C, W); ``strides`` default to ``pool_size``; ``ceil_mode`` rounds
    the output size up (MXNet's 'full' convention)."""

    def __init__(
        self,
        pool_size: Any = 2,
        strides: Any = None,
        padding: Any = 0,
        layout: str = "NCW",
        ceil_mode: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(1, "max", pool_size, strides, padding, ceil_mode, layout, **kwargs)


class MaxPool2D(_Pooling):
    """Max pooling over (N, C, H, W); ``strides`` default to ``pool_size``; padded positions
    never win; ``ceil_mode`` rounds the output size up (MXNet's 'full' convention)."""

    def __init__(
        self,
        pool_size: Any = (2, 2),
        strides: Any = None,
        padding: Any = 0,
        layout: str = "NCHW",
        ceil_mode: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(2, "max", pool_size, strides, padding, ceil_mode, layout, **kwargs)


class MaxPool3D(_Pooling):
    """Max pooling over (N, C, D, H, W)."""

    def __init__(
        self,
        pool_size: Any = (2, 2, 2),
        strides: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        layout: str = "NCDHW",
        **kwargs: Any,
    ) -> None:
        super().__init__(3, "max", pool_size, strides, padding, ceil_mode, layout, **kwargs)


class AvgPool1D(_Pooling):
    """Average pooling over (N, C, W); ``count_include_pad`` counts padded positions in the
    divisor."""

    def __init__(
        self,
        pool_size: Any = 2,
        strides: Any = None,
        padding: Any = 0,
        layout: str = "NCW",
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            1, "avg", pool_size, strides, padding, ceil_mode, layout, count_include_pad, **kwargs
        )


class AvgPool2D(_Pooling):
    """Average pooling over (N, C, H, W); ``count_include_pad`` counts padded positions in the
    divisor (the window clipped to the padded input, MXNet's rule)."""

    def __init__(
        self,
        pool_size: Any = (2, 2),
        strides: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        layout: str = "NCHW",
        count_include_pad: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            2, "avg", pool_size, strides, padding, ceil_mode, layout, count_include_pad, **kwargs
        )


class AvgPool3D(_Pooling):
    """Average pooling over (N, C, D, H, W)."""

    def __init__(
        self,
        pool_size: Any = (2, 2, 2),
        strides: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        layout: str = "NCDHW",
        count_include_pad: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            3, "avg", pool_size, strides, padding, ceil_mode, layout, count_include_pad, **kwargs
        )


class _GlobalPooling(_Pooling):
    """Pool every spatial axis to size 1 (subclasses set the axes count and the pool type)."""

    _nsp = 2
    _pool_type = "max"

    def __init__(self, layout: str | None = None, **kwargs: Any) -> None:
        super().__init__(
            self._nsp, self._pool_type, 1, None, 0, True, layout, global_pool=True, **kwargs
        )


class GlobalMaxPool1D(_GlobalPooling):
    """Max over the width: (N, C, W) -> (N, C, 1)."""

    _nsp, _pool_type = 1, "max"


class GlobalMaxPool2D(_GlobalPooling):
    """Max over height and width: (N, C, H, W) -> (N, C, 1, 1)."""

    _nsp, _pool_type = 2, "max"


class GlobalMaxPool3D(_GlobalPooling):
    """Max over the spatial axes: (N, C, D, H, W) -> (N, C, 1, 1, 1)."""

    _nsp, _pool_type = 3, "max"


class GlobalAvgPool1D(_GlobalPooling):
    """Mean over the width: (N, C, W) -> (N, C, 1)."""

    _nsp, _pool_type = 1, "avg"


class GlobalAvgPool2D(_GlobalPooling):
    """Mean over height and width: (N, C, H, W) -> (N, C, 1, 1)."""

    _nsp, _pool_type = 2, "avg"


class GlobalAvgPool3D(_GlobalPooling):
    """Mean over the spatial axes: (N, C, D, H, W) -> (N, C, 1, 1, 1)."""

    _nsp, _pool_type = 3, "avg"


class ReflectionPad2D(HybridBlock):
    """Pad the two spatial axes of (N, C, H, W) data by reflecting the border (the edge itself
    not repeated); ``padding`` is an int or MXNet's flat 8-tuple of before/after pairs."""

    def __init__(self, padding: Any = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(padding, int):
            padding = (0, 0, 0, 0, padding, padding, padding, padding)
        self._padding = tuple(int(p) for p in padding)
        if len(self._padding) != 8:
            raise MXNetValueError(
                f"ReflectionPad2D: padding={padding} must be an int or 8 ints (before, after "
                "for each of the 4 axes)"
            )

    def forward(self, x: Any) -> Any:
        return nd.pad(x, mode="reflect", pad_width=self._padding)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(padding={self._padding})"
