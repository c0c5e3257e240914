"""Pieces shared by the vision models: the features→output network shape, a container that
concatenates its branches, and the pretrained-weights step of every constructor."""

from __future__ import annotations

from typing import Any

from ... import ndarray as nd
from ... import nn
from ..model_store import load_pretrained

__all__ = ["FeaturesOutput", "HybridConcurrent", "build", "sequential"]


def sequential(*blocks: nn.HybridBlock) -> nn.HybridSequential:
    """A HybridSequential of ``blocks`` (children named '0', '1', ...)."""
    seq = nn.HybridSequential()
    seq.add(*blocks)
    return seq


class HybridConcurrent(nn.HybridSequential):
    """Run every child on the same input and concatenate the outputs along ``axis`` (MXNet's
    ``gluon.contrib.nn.HybridConcurrent``, which the Inception, DenseNet and SqueezeNet
    definitions use; children are named '0', '1', ... as in a HybridSequential)."""

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._axis = axis

    def forward(self, x: Any) -> Any:
        return nd.concat(*[block(x) for block in self._children.values()], dim=self._axis)


class FeaturesOutput(nn.HybridBlock):
    """A classification network as MXNet's model zoo lays it out: ``output(features(x))``, so
    that parameter names start with ``features.`` or ``output.``. Subclasses set both."""

    def forward(self, x: Any) -> Any:
        return self.output(self.features(x))


def build(net: nn.HybridBlock, name: str, pretrained: bool, ctx: Any, root: str) -> nn.HybridBlock:
    """Return ``net``, with the stored weights of model ``name`` loaded when ``pretrained``."""
    if pretrained:
        load_pretrained(net, name, root=root, ctx=ctx)
    return net
