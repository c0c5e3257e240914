"""SqueezeNet 1.0 ("SqueezeNet: AlexNet-level accuracy with 50x fewer parameters",
arXiv:1602.07360) and 1.1 (the authors' repository), laid out as MXNet 1.9's model zoo lays
them out. The classifier ends with a 13x13 average pool, so inputs are 224x224."""

from __future__ import annotations

from typing import Any

from ... import nn
from ...errors import MXNetValueError
from ..model_store import DEFAULT_ROOT
from ._common import FeaturesOutput, HybridConcurrent, build, sequential

__all__ = ["SqueezeNet", "squeezenet1_0", "squeezenet1_1"]


def _conv_relu(channels: int, kernel_size: int, padding: int = 0) -> nn.HybridSequential:
    return sequential(nn.Conv2D(channels, kernel_size, padding=padding), nn.Activation("relu"))


def _fire(squeeze: int, expand1x1: int, expand3x3: int) -> nn.HybridSequential:
    """A 1x1 squeeze, then 1x1 and 3x3 expansions concatenated on the channels."""
    paths = HybridConcurrent(axis=1)
    paths.add(_conv_relu(expand1x1, 1), _conv_relu(expand3x3, 3, 1))
    return sequential(_conv_relu(squeeze, 1), paths)


def _pool() -> nn.MaxPool2D:
    return nn.MaxPool2D(pool_size=3, strides=2, ceil_mode=True)


# version: (stem channels, stem kernel, features after the stem; "pool" or a fire's widths)
_SPEC = {
    "1.0": (
        96,
        7,
        [
            (16, 64, 64),
            (16, 64, 64),
            (32, 128, 128),
            "pool",
            (32, 128, 128),
            (48, 192, 192),
            (48, 192, 192),
            (64, 256, 256),
            "pool",
            (64, 256, 256),
        ],
    ),
    "1.1": (
        64,
        3,
        [
            (16, 64, 64),
            (16, 64, 64),
            "pool",
            (32, 128, 128),
            (32, 128, 128),
            "pool",
            (48, 192, 192),
            (48, 192, 192),
            (64, 256, 256),
            (64, 256, 256),
        ],
    ),
}


class SqueezeNet(FeaturesOutput):
    """SqueezeNet ``version`` '1.0' or '1.1' with ``classes`` outputs (a 1x1 convolution
    classifier followed by average pooling)."""

    def __init__(self, version: str, classes: int = 1000, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if version not in _SPEC:
            raise MXNetValueError(
                f"SqueezeNet: version {version!r} is not supported; use one of {sorted(_SPEC)}"
            )
        stem, kernel, layout = _SPEC[version]
        self.features = nn.HybridSequential()
        self.features.add(
            nn.Conv2D(stem, kernel_size=kernel, strides=2), nn.Activation("relu"), _pool()
        )
        for item in layout:
            self.features.add(_pool() if item == "pool" else _fire(*item))
        self.features.add(nn.Dropout(0.5))
        self.output = sequential(
            nn.Conv2D(classes, kernel_size=1), nn.Activation("relu"), nn.AvgPool2D(13), nn.Flatten()
        )


def get_squeezenet(
    version: str, pretrained: bool = False, ctx: Any = None, root: str = DEFAULT_ROOT, **kwargs: Any
) -> nn.HybridBlock:
    """SqueezeNet ``version`` ('1.0' or '1.1'); ``pretrained`` loads ``squeezenet{version}``
    from the store ``root`` onto ``ctx``."""
    return build(SqueezeNet(version, **kwargs), f"squeezenet{version}", pretrained, ctx, root)


def squeezenet1_0(**kwargs: Any) -> nn.HybridBlock:
    """SqueezeNet 1.0 (``pretrained``, ``ctx``, ``root``, ``classes``)."""
    return get_squeezenet("1.0", **kwargs)


def squeezenet1_1(**kwargs: Any) -> nn.HybridBlock:
    """SqueezeNet 1.1: 2.4x less computation than 1.0 at the same accuracy."""
    return get_squeezenet("1.1", **kwargs)
