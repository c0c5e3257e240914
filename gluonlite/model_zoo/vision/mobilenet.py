"""MobileNet ("MobileNets", arXiv:1704.04861) and MobileNetV2 ("Inverted Residuals and Linear
Bottlenecks", arXiv:1801.04381), laid out as MXNet 1.9's model zoo lays them out.

As in MXNet, every V2 bottleneck starts with a 1x1 expansion convolution, even the first one
whose expansion factor is 1, and the V2 classifier is a 1x1 convolution without bias.
"""

from __future__ import annotations

from typing import Any

from ... import ndarray as nd
from ... import nn
from ..model_store import DEFAULT_ROOT
from ._common import FeaturesOutput, build

__all__ = [
    "MobileNet",
    "MobileNetV2",
    "get_mobilenet",
    "get_mobilenet_v2",
    "mobilenet0_5",
    "mobilenet0_25",
    "mobilenet0_75",
    "mobilenet1_0",
    "mobilenet_v2_0_5",
    "mobilenet_v2_0_25",
    "mobilenet_v2_0_75",
    "mobilenet_v2_1_0",
]


class _ReLU6(nn.HybridBlock):
    """``min(max(x, 0), 6)``."""

    def forward(self, x: Any) -> Any:
        return nd.clip(x, 0, 6)


def _add_conv(
    out: nn.HybridSequential,
    channels: int,
    kernel: int = 1,
    stride: int = 1,
    pad: int = 0,
    groups: int = 1,
    active: bool = True,
    relu6: bool = False,
) -> None:
    """Append a bias-free convolution, a BatchNorm and (if ``active``) ReLU or ReLU6."""
    out.add(
        nn.Conv2D(channels, kernel, stride, pad, groups=groups, use_bias=False),
        nn.BatchNorm(scale=True),
    )
    if active:
        out.add(_ReLU6() if relu6 else nn.Activation("relu"))


def _add_conv_dw(out: nn.HybridSequential, dw_channels: int, channels: int, stride: int) -> None:
    """A depthwise 3x3 convolution then a pointwise 1x1 convolution."""
    _add_conv(out, dw_channels, kernel=3, stride=stride, pad=1, groups=dw_channels)
    _add_conv(out, channels)


class LinearBottleneck(nn.HybridBlock):
    """Expand ``in_channels`` by ``t`` (1x1), filter depthwise (3x3, ``stride``), project to
    ``channels`` (1x1, linear); adds the input back when the shapes allow."""

    def __init__(self, in_channels: int, channels: int, t: int, stride: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.use_shortcut = stride == 1 and in_channels == channels
        self.out = nn.HybridSequential()
        wide = in_channels * t
        _add_conv(self.out, wide, relu6=True)
        _add_conv(self.out, wide, kernel=3, stride=stride, pad=1, groups=wide, relu6=True)
        _add_conv(self.out, channels, active=False)

    def forward(self, x: Any) -> Any:
        out = self.out(x)
        return out + x if self.use_shortcut else out


def _scaled(widths: list[int], multiplier: float) -> list[int]:
    return [int(w * multiplier) for w in widths]


class MobileNet(FeaturesOutput):
    """MobileNet with width ``multiplier`` (>= 0.25) and ``classes`` outputs."""

    def __init__(self, multiplier: float = 1.0, classes: int = 1000, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.features = nn.HybridSequential()
        _add_conv(self.features, int(32 * multiplier), kernel=3, stride=2, pad=1)
        dw_channels = _scaled([32, 64] + [128] * 2 + [256] * 2 + [512] * 6 + [1024], multiplier)
        channels = _scaled([64] + [128] * 2 + [256] * 2 + [512] * 6 + [1024] * 2, multiplier)
        strides = [1, 2] * 3 + [1] * 5 + [2, 1]
        for dwc, c, s in zip(dw_channels, channels, strides):
            _add_conv_dw(self.features, dwc, c, s)
        self.features.add(nn.GlobalAvgPool2D(), nn.Flatten())
        self.output = nn.Dense(classes)


class MobileNetV2(FeaturesOutput):
    """MobileNetV2 with width ``multiplier`` and ``classes`` outputs."""

    def __init__(self, multiplier: float = 1.0, classes: int = 1000, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.features = nn.HybridSequential()
        _add_conv(self.features, int(32 * multiplier), kernel=3, stride=2, pad=1, relu6=True)
        in_channels = _scaled(
            [32, 16] + [24] * 2 + [32] * 3 + [64] * 4 + [96] * 3 + [160] * 3, multiplier
        )
        channels = _scaled(
            [16] + [24] * 2 + [32] * 3 + [64] * 4 + [96] * 3 + [160] * 3 + [320], multiplier
        )
        expansions = [1] + [6] * 16
        strides = [1, 2] * 2 + [1, 1, 2] + [1] * 6 + [2] + [1] * 3
        for in_c, c, t, s in zip(in_channels, channels, expansions, strides):
            self.features.add(LinearBottleneck(in_c, c, t, s))
        _add_conv(self.features, int(1280 * multiplier) if multiplier > 1.0 else 1280, relu6=True)
        self.features.add(nn.GlobalAvgPool2D())
        self.output = nn.HybridSequential()
        self.output.add(nn.Conv2D(classes, 1, use_bias=False), nn.Flatten())


def _suffix(multiplier: float) -> str:
    """MXNet's file-name spelling of a multiplier: 1.0, 0.75, 0.5, 0.25."""
    text = f"{multiplier:.2f}"
    return text[:-1] if text in ("1.00", "0.50") else text


def get_mobilenet(
    multiplier: float,
    pretrained: bool = False,
    ctx: Any = None,
    root: str = DEFAULT_ROOT,
    **kwargs: Any,
) -> nn.HybridBlock:
    """MobileNet with width ``multiplier``; ``pretrained`` loads ``mobilenet{multiplier}``
    (e.g. mobilenet0.75) from the store ``root`` onto ``ctx``."""
    net = MobileNet(multiplier, **kwargs)
    return build(net, f"mobilenet{_suffix(multiplier)}", pretrained, ctx, root)


def get_mobilenet_v2(
    multiplier: float,
    pretrained: bool = False,
    ctx: Any = None,
    root: str = DEFAULT_ROOT,
    **kwargs: Any,
) -> nn.HybridBlock:
    """MobileNetV2 with width ``multiplier``; ``pretrained`` loads ``mobilenetv2_{multiplier}``
    (e.g. mobilenetv2_1.0) from the store ``root`` onto ``ctx``."""
    net = MobileNetV2(multiplier, **kwargs)
    return build(net, f"mobilenetv2_{_suffix(multiplier)}", pretrained, ctx, root)


def mobilenet1_0(**kwargs: Any) -> nn.HybridBlock:
    """MobileNet, width 1.0 (``pretrained``, ``ctx``, ``root``, ``classes``)."""
    return get_mobilenet(1.0, **kwargs)


def mobilenet0_75(**kwargs: Any) -> nn.HybridBlock:
    """MobileNet, width 0.75."""
    return get_mobilenet(0.75, **kwargs)


def mobilenet0_5(**kwargs: Any) -> nn.HybridBlock:
    """MobileNet, width 0.5."""
    return get_mobilenet(0.5, **kwargs)


def mobilenet0_25(**kwargs: Any) -> nn.HybridBlock:
    """MobileNet, width 0.25."""
    return get_mobilenet(0.25, **kwargs)


def mobilenet_v2_1_0(**kwargs: Any) -> nn.HybridBlock:
    """MobileNetV2, width 1.0 (``pretrained``, ``ctx``, ``root``, ``classes``)."""
    return get_mobilenet_v2(1.0, **kwargs)


def mobilenet_v2_0_75(**kwargs: Any) -> nn.HybridBlock:
    """MobileNetV2, width 0.75."""
    return get_mobilenet_v2(0.75, **kwargs)


def mobilenet_v2_0_5(**kwargs: Any) -> nn.HybridBlock:
    """MobileNetV2, width 0.5."""
    return get_mobilenet_v2(0.5, **kwargs)


def mobilenet_v2_0_25(**kwargs: Any) -> nn.HybridBlock:
    """MobileNetV2, width 0.25."""
    return get_mobilenet_v2(0.25, **kwargs)
