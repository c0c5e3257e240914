"""ResNet V1 ("Deep Residual Learning", arXiv:1512.03385) and V2 ("Identity Mappings in Deep
Residual Networks", arXiv:1603.05027), laid out as MXNet 1.9's model zoo lays them out, so the
structural parameter names (``features.5.0.body.0.weight``, ``output.bias``) equal MXNet's.

As in MXNet, BottleneckV1 strides its first 1x1 convolution and gives its two 1x1
convolutions a bias, which is why ``resnet50_v1`` has more parameters than torchvision's.
"""

from __future__ import annotations

from typing import Any

from ... import ndarray as nd
from ... import nn
from ...errors import MXNetValueError
from ..model_store import DEFAULT_ROOT
from ._common import FeaturesOutput, build, sequential

__all__ = [
    "BasicBlockV1",
    "BasicBlockV2",
    "BottleneckV1",
    "BottleneckV2",
    "ResNetV1",
    "ResNetV2",
    "get_resnet",
    "resnet18_v1",
    "resnet18_v2",
    "resnet34_v1",
    "resnet34_v2",
    "resnet50_v1",
    "resnet50_v2",
    "resnet101_v1",
    "resnet101_v2",
    "resnet152_v1",
    "resnet152_v2",
]


def _conv3x3(channels: int, stride: int, in_channels: int) -> nn.Conv2D:
    return nn.Conv2D(
        channels, kernel_size=3, strides=stride, padding=1, use_bias=False, in_channels=in_channels
    )


def _projection(channels: int, stride: int, in_channels: int) -> nn.Conv2D:
    """The 1x1 convolution that brings the shortcut to the block's output shape."""
    return nn.Conv2D(
        channels, kernel_size=1, strides=stride, use_bias=False, in_channels=in_channels
    )


class _BlockV1(nn.HybridBlock):
    """Post-activation residual block: ``relu(body(x) + shortcut(x))``; subclasses set body."""

    def __init__(
        self, channels: int, stride: int, downsample: bool, in_channels: int, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.body = self._make_body(channels, stride, in_channels)
        self.downsample = (
            sequential(_projection(channels, stride, in_channels), nn.BatchNorm())
            if downsample
            else None
        )

    def _make_body(self, channels: int, stride: int, in_channels: int) -> nn.HybridSequential:
        raise NotImplementedError

    def forward(self, x: Any) -> Any:
        residual = x if self.downsample is None else self.downsample(x)
        return nd.Activation(self.body(x) + residual, act_type="relu")


class BasicBlockV1(_BlockV1):
    """Two 3x3 convolutions (ResNet-18/34 V1). ``downsample`` adds a 1x1 projection shortcut;
    ``in_channels=0`` infers the input channels at the first call."""

    def __init__(
        self,
        channels: int,
        stride: int,
        downsample: bool = False,
        in_channels: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(channels, stride, downsample, in_channels, **kwargs)

    def _make_body(self, channels: int, stride: int, in_channels: int) -> nn.HybridSequential:
        return sequential(
            _conv3x3(channels, stride, in_channels),
            nn.BatchNorm(),
            nn.Activation("relu"),
            _conv3x3(channels, 1, channels),
            nn.BatchNorm(),
        )


class BottleneckV1(_BlockV1):
    """1x1 (strided) → 3x3 → 1x1 convolutions with ``channels // 4`` inside (ResNet-50/101/152
    V1)."""

    def __init__(
        self,
        channels: int,
        stride: int,
        downsample: bool = False,
        in_channels: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(channels, stride, downsample, in_channels, **kwargs)

    def _make_body(self, channels: int, stride: int, in_channels: int) -> nn.HybridSequential:
        inner = channels // 4
        return sequential(
            nn.Conv2D(inner, kernel_size=1, strides=stride),
            nn.BatchNorm(),
            nn.Activation("relu"),
            _conv3x3(inner, 1, inner),
            nn.BatchNorm(),
            nn.Activation("relu"),
            nn.Conv2D(channels, kernel_size=1, strides=1),
            nn.BatchNorm(),
        )


class _BlockV2(nn.HybridBlock):
    """Pre-activation residual block: BN+ReLU before each convolution; the projection shortcut
    (if any) takes the first activated input. Subclasses create bn1, conv1, bn2, conv2, ...
    in this order, then call ``_set_downsample``."""

    _convs = 2

    def _set_downsample(
        self, channels: int, stride: int, downsample: bool, in_channels: int
    ) -> None:
        self.downsample = _projection(channels, stride, in_channels) if downsample else None

    def forward(self, x: Any) -> Any:
        residual = x
        for i in range(1, self._convs + 1):
            x = nd.Activation(getattr(self, f"bn{i}")(x), act_type="relu")
            if i == 1 and self.downsample is not None:
                residual = self.downsample(x)
            x = getattr(self, f"conv{i}")(x)
        return x + residual


class BasicBlockV2(_BlockV2):
    """Two pre-activated 3x3 convolutions (ResNet-18/34 V2)."""

    def __init__(
        self,
        channels: int,
        stride: int,
        downsample: bool = False,
        in_channels: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.bn1 = nn.BatchNorm()
        self.conv1 = _conv3x3(channels, stride, in_channels)
        self.bn2 = nn.BatchNorm()
        self.conv2 = _conv3x3(channels, 1, channels)
        self._set_downsample(channels, stride, downsample, in_channels)


class BottleneckV2(_BlockV2):
    """Pre-activated 1x1 → 3x3 (strided) → 1x1 convolutions (ResNet-50/101/152 V2)."""

    _convs = 3

    def __init__(
        self,
        channels: int,
        stride: int,
        downsample: bool = False,
        in_channels: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        inner = channels // 4
        self.bn1 = nn.BatchNorm()
        self.conv1 = nn.Conv2D(inner, kernel_size=1, strides=1, use_bias=False)
        self.bn2 = nn.BatchNorm()
        self.conv2 = _conv3x3(inner, stride, inner)
        self.bn3 = nn.BatchNorm()
        self.conv3 = nn.Conv2D(channels, kernel_size=1, strides=1, use_bias=False)
        self._set_downsample(channels, stride, downsample, in_channels)


class _ResNet(FeaturesOutput):
    """Stem, four stages of residual blocks, global pooling and a Dense classifier."""

    def _add_stem(self, channels: int, thumbnail: bool) -> None:
        """A 3x3 convolution for small (CIFAR-sized) images, else 7x7/2 conv, BN, ReLU and a
        3x3/2 max pool."""
        if thumbnail:
            self.features.add(_conv3x3(channels, 1, 0))
        else:
            self.features.add(
                nn.Conv2D(channels, 7, 2, 3, use_bias=False),
                nn.BatchNorm(),
                nn.Activation("relu"),
                nn.MaxPool2D(3, 2, 1),
            )

    def _add_stages(self, block: type, layers: list[int], channels: list[int]) -> None:
        for i, num in enumerate(layers):
            in_channels, out_channels = channels[i], channels[i + 1]
            stage = nn.HybridSequential()
            stage.add(
                block(
                    out_channels,
                    1 if i == 0 else 2,
                    out_channels != in_channels,
                    in_channels=in_channels,
                )
            )
            for _ in range(num - 1):
                stage.add(block(out_channels, 1, False, in_channels=out_channels))
            self.features.add(stage)


def _check_spec(layers: list[int], channels: list[int]) -> None:
    if len(layers) != len(channels) - 1:
        raise MXNetValueError(
            f"ResNet: channels {channels} must have one entry more than layers {layers} (the "
            "stem's width, then each stage's)"
        )


class ResNetV1(_ResNet):
    """ResNet V1: ``block`` is BasicBlockV1 or BottleneckV1, ``layers`` the blocks per stage,
    ``channels`` the stem width then each stage's width; ``thumbnail`` swaps the stem for one
    3x3 convolution (32x32 inputs)."""

    def __init__(
        self,
        block: type,
        layers: list[int],
        channels: list[int],
        classes: int = 1000,
        thumbnail: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        _check_spec(layers, channels)
        self.features = nn.HybridSequential()
        self._add_stem(channels[0], thumbnail)
        self._add_stages(block, layers, channels)
        self.features.add(nn.GlobalAvgPool2D())
        self.output = nn.Dense(classes, in_units=channels[-1])


class ResNetV2(_ResNet):
    """ResNet V2 (pre-activation): the same arguments as ResNetV1 with BasicBlockV2 or
    BottleneckV2; the input first goes through a BatchNorm without scale and shift."""

    def __init__(
        self,
        block: type,
        layers: list[int],
        channels: list[int],
        classes: int = 1000,
        thumbnail: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        _check_spec(layers, channels)
        self.features = nn.HybridSequential()
        self.features.add(nn.BatchNorm(scale=False, center=False))
        self._add_stem(channels[0], thumbnail)
        self._add_stages(block, layers, channels)
        self.features.add(nn.BatchNorm(), nn.Activation("relu"), nn.GlobalAvgPool2D(), nn.Flatten())
        self.output = nn.Dense(classes, in_units=channels[-1])


# depth: (block kind, blocks per stage, stem width then stage widths)
_SPEC = {
    18: ("basic", [2, 2, 2, 2], [64, 64, 128, 256, 512]),
    34: ("basic", [3, 4, 6, 3], [64, 64, 128, 256, 512]),
    50: ("bottleneck", [3, 4, 6, 3], [64, 256, 512, 1024, 2048]),
    101: ("bottleneck", [3, 4, 23, 3], [64, 256, 512, 1024, 2048]),
    152: ("bottleneck", [3, 8, 36, 3], [64, 256, 512, 1024, 2048]),
}
_VERSIONS = {
    1: (ResNetV1, {"basic": BasicBlockV1, "bottleneck": BottleneckV1}),
    2: (ResNetV2, {"basic": BasicBlockV2, "bottleneck": BottleneckV2}),
}


def get_resnet(
    version: int,
    num_layers: int,
    pretrained: bool = False,
    ctx: Any = None,
    root: str = DEFAULT_ROOT,
    **kwargs: Any,
) -> nn.HybridBlock:
    """ResNet ``version`` (1 or 2) with ``num_layers`` (18, 34, 50, 101, 152); ``pretrained``
    loads ``resnet{num_layers}_v{version}`` from the store ``root`` onto ``ctx``. Other
    arguments (``classes``, ``thumbnail``) go to the network class."""
    if num_layers not in _SPEC:
        raise MXNetValueError(f"ResNet: num_layers={num_layers} is not one of {sorted(_SPEC)}")
    if version not in _VERSIONS:
        raise MXNetValueError(f"ResNet: version={version} is not one of {sorted(_VERSIONS)}")
    kind, layers, channels = _SPEC[num_layers]
    net_class, blocks = _VERSIONS[version]
    net = net_class(blocks[kind], layers, channels, **kwargs)
    return build(net, f"resnet{num_layers}_v{version}", pretrained, ctx, root)


def resnet18_v1(**kwargs: Any) -> nn.HybridBlock:
    """ResNet-18 V1 (``pretrained``, ``ctx``, ``root``, ``classes``, ``thumbnail``)."""
    return get_resnet(1, 18, **kwargs)


def resnet34_v1(**kwargs: Any) -> nn.HybridBlock:
    """ResNet-34 V1."""
    return get_resnet(1, 34, **kwargs)


def resnet50_v1(**kwargs: Any) -> nn.HybridBlock:
    """ResNet-50 V1."""
    return get_resnet(1, 50, **kwargs)


def resnet101_v1(**kwargs: Any) -> nn.HybridBlock:
    """ResNet-101 V1."""
    return get_resnet(1, 101, **kwargs)


def resnet152_v1(**kwargs: Any) -> nn.HybridBlock:
    """ResNet-152 V1."""
    return get_resnet(1, 152, **kwargs)


def resnet18_v2(**kwargs: Any) -> nn.HybridBlock:
    """ResNet-18 V2."""
    return get_resnet(2, 18, **kwargs)


def resnet34_v2(**kwargs: Any) -> nn.HybridBlock:
    """ResNet-34 V2."""
    return get_resnet(2, 34, **kwargs)


def resnet50_v2(**kwargs: Any) -> nn.HybridBlock:
    """ResNet-50 V2."""
    return get_resnet(2, 50, **kwargs)


def resnet101_v2(**kwargs: Any) -> nn.HybridBlock:
    """ResNet-101 V2."""
    return get_resnet(2, 101, **kwargs)


def resnet152_v2(**kwargs: Any) -> nn.HybridBlock:
    """ResNet-152 V2."""
    return get_resnet(2, 152, **kwargs)
