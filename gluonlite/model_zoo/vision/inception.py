"""Inception v3 ("Rethinking the Inception Architecture for Computer Vision",
arXiv:1512.00567), laid out as MXNet 1.9's model zoo lays it out (without the auxiliary
classifier). The last pool is 8x8, so inputs are 299x299."""

from __future__ import annotations

from typing import Any

from ... import nn
from ..model_store import DEFAULT_ROOT
from ._common import FeaturesOutput, HybridConcurrent, build, sequential

__all__ = ["Inception3", "inception_v3"]

# A convolution setting is (channels, kernel_size[, strides[, padding]]); None keeps the default.
_Conv = tuple


def _basic_conv(
    channels: int, kernel_size: Any, strides: Any = None, padding: Any = None
) -> nn.HybridSequential:
    """Bias-free convolution, BatchNorm (epsilon 1e-3) and ReLU."""
    conv = nn.Conv2D(
        channels, kernel_size, strides=strides or 1, padding=padding or 0, use_bias=False
    )
    return sequential(conv, nn.BatchNorm(epsilon=0.001), nn.Activation("relu"))


def _branch(pool: str | None, *convs: _Conv) -> nn.HybridSequential:
    """An optional pool ('avg': 3x3/1 padded, 'max': 3x3/2) followed by basic convolutions."""
    out = nn.HybridSequential()
    if pool == "avg":
        out.add(nn.AvgPool2D(pool_size=3, strides=1, padding=1))
    elif pool == "max":
        out.add(nn.MaxPool2D(pool_size=3, strides=2))
    for setting in convs:
        out.add(_basic_conv(*setting))
    return out


def _concurrent(*branches: nn.HybridBlock) -> HybridConcurrent:
    out = HybridConcurrent(axis=1)
    out.add(*branches)
    return out


def _split(first: _Conv, *convs: _Conv) -> nn.HybridSequential:
    """``convs`` then a 1x3 and a 3x1 convolution side by side (the E blocks' branches)."""
    return sequential(
        _branch(None, first, *convs),
        _concurrent(
            _branch(None, (384, (1, 3), None, (0, 1))), _branch(None, (384, (3, 1), None, (1, 0)))
        ),
    )


def _block_a(pool_features: int) -> HybridConcurrent:
    return _concurrent(
        _branch(None, (64, 1)),
        _branch(None, (48, 1), (64, 5, None, 2)),
        _branch(None, (64, 1), (96, 3, None, 1), (96, 3, None, 1)),
        _branch("avg", (pool_features, 1)),
    )


def _block_b() -> HybridConcurrent:
    return _concurrent(
        _branch(None, (384, 3, 2)),
        _branch(None, (64, 1), (96, 3, None, 1), (96, 3, 2)),
        _branch("max"),
    )


def _block_c(channels_7x7: int) -> HybridConcurrent:
    c = channels_7x7
    return _concurrent(
        _branch(None, (192, 1)),
        _branch(None, (c, 1), (c, (1, 7), None, (0, 3)), (192, (7, 1), None, (3, 0))),
        _branch(
            None,
            (c, 1),
            (c, (7, 1), None, (3, 0)),
            (c, (1, 7), None, (0, 3)),
            (c, (7, 1), None, (3, 0)),
            (192, (1, 7), None, (0, 3)),
        ),
        _branch("avg", (192, 1)),
    )


def _block_d() -> HybridConcurrent:
    return _concurrent(
        _branch(None, (192, 1), (320, 3, 2)),
        _branch(
            None, (192, 1), (192, (1, 7), None, (0, 3)), (192, (7, 1), None, (3, 0)), (192, 3, 2)
        ),
        _branch("max"),
    )


def _block_e() -> HybridConcurrent:
    return _concurrent(
        _branch(None, (320, 1)),
        _split((384, 1)),
        _split((448, 1), (384, 3, None, 1)),
        _branch("avg", (192, 1)),
    )


class Inception3(FeaturesOutput):
    """Inception v3 with ``classes`` outputs."""

    def __init__(self, classes: int = 1000, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.features = nn.HybridSequential()
        self.features.add(
            _basic_conv(32, 3, strides=2),
            _basic_conv(32, 3),
            _basic_conv(64, 3, padding=1),
            nn.MaxPool2D(pool_size=3, strides=2),
            _basic_conv(80, 1),
            _basic_conv(192, 3),
            nn.MaxPool2D(pool_size=3, strides=2),
            _block_a(32),
            _block_a(64),
            _block_a(64),
            _block_b(),
            _block_c(128),
            _block_c(160),
            _block_c(160),
            _block_c(192),
            _block_d(),
            _block_e(),
            _block_e(),
            nn.AvgPool2D(pool_size=8),
            nn.Dropout(0.5),
        )
        self.output = nn.Dense(classes)


def inception_v3(
    pretrained: bool = False, ctx: Any = None, root: str = DEFAULT_ROOT, **kwargs: Any
) -> nn.HybridBlock:
    """Inception v3; ``pretrained`` loads ``inceptionv3`` from the store ``root`` onto
    ``ctx``."""
    return build(Inception3(**kwargs), "inceptionv3", pretrained, ctx, root)
