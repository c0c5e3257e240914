"""VGG ("Very Deep Convolutional Networks for Large-Scale Image Recognition",
arXiv:1409.1556), with optional batch normalization, laid out as MXNet 1.9's model zoo lays it
out: the convolutions and the two hidden Dense layers are ``features``, the classifier is
``output``."""

from __future__ import annotations

from typing import Any

from ... import init, nn
from ...errors import MXNetValueError
from ..model_store import DEFAULT_ROOT
from ._common import FeaturesOutput, build

__all__ = [
    "VGG",
    "get_vgg",
    "vgg11",
    "vgg11_bn",
    "vgg13",
    "vgg13_bn",
    "vgg16",
    "vgg16_bn",
    "vgg19",
    "vgg19_bn",
]


def _hidden_dense() -> list[nn.HybridBlock]:
    return [
        nn.Dense(4096, activation="relu", weight_initializer="normal", bias_initializer="zeros"),
        nn.Dropout(rate=0.5),
    ]


class VGG(FeaturesOutput):
    """VGG: ``layers[i]`` 3x3 convolutions of ``filters[i]`` channels then a 2x2 max pool, for
    each i; then Dense(4096)+Dropout twice and a Dense classifier. ``batch_norm`` puts a
    BatchNorm after every convolution."""

    def __init__(
        self,
        layers: list[int],
        filters: list[int],
        classes: int = 1000,
        batch_norm: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if len(layers) != len(filters):
            raise MXNetValueError(f"VGG: layers {layers} and filters {filters} differ in length")
        conv_init = init.Xavier(rnd_type="gaussian", factor_type="out", magnitude=2)
        self.features = nn.HybridSequential()
        for num, channels in zip(layers, filters):
            for _ in range(num):
                self.features.add(
                    nn.Conv2D(
                        channels,
                        kernel_size=3,
                        padding=1,
                        weight_initializer=conv_init,
                        bias_initializer="zeros",
                    )
                )
                if batch_norm:
                    self.features.add(nn.BatchNorm())
                self.features.add(nn.Activation("relu"))
            self.features.add(nn.MaxPool2D(strides=2))
        self.features.add(*_hidden_dense(), *_hidden_dense())
        self.output = nn.Dense(classes, weight_initializer="normal", bias_initializer="zeros")


# depth: (convolutions per block, channels per block)
_SPEC = {
    11: ([1, 1, 2, 2, 2], [64, 128, 256, 512, 512]),
    13: ([2, 2, 2, 2, 2], [64, 128, 256, 512, 512]),
    16: ([2, 2, 3, 3, 3], [64, 128, 256, 512, 512]),
    19: ([2, 2, 4, 4, 4], [64, 128, 256, 512, 512]),
}


def get_vgg(
    num_layers: int,
    pretrained: bool = False,
    ctx: Any = None,
    root: str = DEFAULT_ROOT,
    **kwargs: Any,
) -> nn.HybridBlock:
    """VGG with ``num_layers`` (11, 13, 16, 19); ``batch_norm=True`` for the ``_bn`` variant.
    ``pretrained`` loads ``vgg{num_layers}[_bn]`` from the store ``root`` onto ``ctx``."""
    if num_layers not in _SPEC:
        raise MXNetValueError(f"VGG: num_layers={num_layers} is not one of {sorted(_SPEC)}")
    net = VGG(*_SPEC[num_layers], **kwargs)
    suffix = "_bn" if kwargs.get("batch_norm") else ""
    return build(net, f"vgg{num_layers}{suffix}", pretrained, ctx, root)


def vgg11(**kwargs: Any) -> nn.HybridBlock:
    """VGG-11 (``pretrained``, ``ctx``, ``root``, ``classes``)."""
    return get_vgg(11, **kwargs)


def vgg13(**kwargs: Any) -> nn.HybridBlock:
    """VGG-13."""
    return get_vgg(13, **kwargs)


def vgg16(**kwargs: Any) -> nn.HybridBlock:
    """VGG-16."""
    return get_vgg(16, **kwargs)


def vgg19(**kwargs: Any) -> nn.HybridBlock:
    """VGG-19."""
    return get_vgg(19, **kwargs)


def vgg11_bn(**kwargs: Any) -> nn.HybridBlock:
    """VGG-11 with batch normalization."""
    return get_vgg(11, **{**kwargs, "batch_norm": True})


def vgg13_bn(**kwargs: Any) -> nn.HybridBlock:
    """VGG-13 with batch normalization."""
    return get_vgg(13, **{**kwargs, "batch_norm": True})


def vgg16_bn(**kwargs: Any) -> nn.HybridBlock:
    """VGG-16 with batch normalization."""
    return get_vgg(16, **{**kwargs, "batch_norm": True})


def vgg19_bn(**kwargs: Any) -> nn.HybridBlock:
    """VGG-19 with batch normalization."""
    return get_vgg(19, **{**kwargs, "batch_norm": True})
