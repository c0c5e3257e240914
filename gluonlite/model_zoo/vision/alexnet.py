"""AlexNet ("One weird trick for parallelizing convolutional neural networks",
arXiv:1404.5997), laid out as MXNet 1.9's model zoo lays it out."""

from __future__ import annotations

from typing import Any

from ... import nn
from ..model_store import DEFAULT_ROOT
from ._common import FeaturesOutput, build

__all__ = ["AlexNet", "alexnet"]


class AlexNet(FeaturesOutput):
    """Five convolutions (three max pools), two Dense(4096)+Dropout layers, and a Dense
    classifier of ``classes`` outputs."""

    def __init__(self, classes: int = 1000, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.features = nn.HybridSequential()
        self.features.add(
            nn.Conv2D(64, kernel_size=11, strides=4, padding=2, activation="relu"),
            nn.MaxPool2D(pool_size=3, strides=2),
            nn.Conv2D(192, kernel_size=5, padding=2, activation="relu"),
            nn.MaxPool2D(pool_size=3, strides=2),
            nn.Conv2D(384, kernel_size=3, padding=1, activation="relu"),
            nn.Conv2D(256, kernel_size=3, padding=1, activation="relu"),
            nn.Conv2D(256, kernel_size=3, padding=1, activation="relu"),
            nn.MaxPool2D(pool_size=3, strides=2),
            nn.Flatten(),
            nn.Dense(4096, activation="relu"),
            nn.Dropout(0.5),
            nn.Dense(4096, activation="relu"),
            nn.Dropout(0.5),
        )
        self.output = nn.Dense(classes)


def alexnet(
    pretrained: bool = False, ctx: Any = None, root: str = DEFAULT_ROOT, **kwargs: Any
) -> nn.HybridBlock:
    """AlexNet; ``pretrained`` loads ``alexnet`` from the store ``root`` onto ``ctx``."""
    return build(AlexNet(**kwargs), "alexnet", pretrained, ctx, root)
