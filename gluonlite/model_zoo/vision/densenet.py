"""DenseNet-BC ("Densely Connected Convolutional Networks", arXiv:1608.06993), laid out as
MXNet 1.9's model zoo lays it out: each dense layer is a HybridConcurrent of the identity and
the new features, concatenated on the channel axis."""

from __future__ import annotations

from typing import Any

from ... import nn
from ...errors import MXNetValueError
from ..model_store import DEFAULT_ROOT
from ._common import FeaturesOutput, HybridConcurrent, build, sequential

__all__ = ["DenseNet", "densenet121", "densenet161", "densenet169", "densenet201"]


def _bn_relu_conv(channels: int, kernel_size: int, padding: int = 0) -> list[nn.HybridBlock]:
    return [
        nn.BatchNorm(),
        nn.Activation("relu"),
        nn.Conv2D(channels, kernel_size=kernel_size, padding=padding, use_bias=False),
    ]


def _dense_layer(growth_rate: int, bn_size: int, dropout: float) -> HybridConcurrent:
    """``concat(x, conv3x3(conv1x1(x)))``: ``growth_rate`` new channels."""
    new_features = sequential(
        *_bn_relu_conv(bn_size * growth_rate, 1), *_bn_relu_conv(growth_rate, 3, padding=1)
    )
    if dropout:
        new_features.add(nn.Dropout(dropout))
    out = HybridConcurrent(axis=1)
    out.add(nn.Identity(), new_features)
    return out


def _transition(channels: int) -> nn.HybridSequential:
    """BN, ReLU, 1x1 convolution to ``channels``, 2x2 average pool."""
    return sequential(*_bn_relu_conv(channels, 1), nn.AvgPool2D(pool_size=2, strides=2))


class DenseNet(FeaturesOutput):
    """DenseNet-BC: a 7x7/2 stem with ``num_init_features`` channels, dense blocks of
    ``block_config[i]`` layers each adding ``growth_rate`` channels (bottleneck width
    ``bn_size * growth_rate``), transitions halving the channels, a 7x7 average pool (224x224
    inputs) and a Dense classifier."""

    def __init__(
        self,
        num_init_features: int,
        growth_rate: int,
        block_config: list[int],
        bn_size: int = 4,
        dropout: float = 0,
        classes: int = 1000,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.features = nn.HybridSequential()
        self.features.add(
            nn.Conv2D(num_init_features, kernel_size=7, strides=2, padding=3, use_bias=False),
            nn.BatchNorm(),
            nn.Activation("relu"),
            nn.MaxPool2D(pool_size=3, strides=2, padding=1),
        )
        channels = num_init_features
        for i, num_layers in enumerate(block_config):
            self.features.add(
                sequential(
                    *[_dense_layer(growth_rate, bn_size, dropout) for _ in range(num_layers)]
                )
            )
            channels += num_layers * growth_rate
            if i != len(block_config) - 1:
                channels //= 2
                self.features.add(_transition(channels))
        self.features.add(
            nn.BatchNorm(), nn.Activation("relu"), nn.AvgPool2D(pool_size=7), nn.Flatten()
        )
        self.output = nn.Dense(classes)


# depth: (stem channels, growth rate, layers per dense block)
_SPEC = {
    121: (64, 32, [6, 12, 24, 16]),
    161: (96, 48, [6, 12, 36, 24]),
    169: (64, 32, [6, 12, 32, 32]),
    201: (64, 32, [6, 12, 48, 32]),
}


def get_densenet(
    num_layers: int,
    pretrained: bool = False,
    ctx: Any = None,
    root: str = DEFAULT_ROOT,
    **kwargs: Any,
) -> nn.HybridBlock:
    """DenseNet with ``num_layers`` (121, 161, 169, 201); ``pretrained`` loads
    ``densenet{num_layers}`` from the store ``root`` onto ``ctx``."""
    if num_layers not in _SPEC:
        raise MXNetValueError(f"DenseNet: num_layers={num_layers} is not one of {sorted(_SPEC)}")
    net = DenseNet(*_SPEC[num_layers], **kwargs)
    return build(net, f"densenet{num_layers}", pretrained, ctx, root)


def densenet121(**kwargs: Any) -> nn.HybridBlock:
    """DenseNet-121 (``pretrained``, ``ctx``, ``root``, ``classes``, ``dropout``)."""
    return get_densenet(121, **kwargs)


def densenet161(**kwargs: Any) -> nn.HybridBlock:
    """DenseNet-161."""
    return get_densenet(161, **kwargs)


def densenet169(**kwargs: Any) -> nn.HybridBlock:
    """DenseNet-169."""
    return get_densenet(169, **kwargs)


def densenet201(**kwargs: Any) -> nn.HybridBlock:
    """DenseNet-201."""
    return get_densenet(201, **kwargs)
