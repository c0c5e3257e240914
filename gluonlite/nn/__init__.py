"""Blocks, parameters and layers (MXNet's ``gluon.nn``): models are Blocks composed by
attribute assignment; parameters are created lazily with deferred shape inference."""
from .block import Block, HookHandle, HybridBlock
from .containers import HybridLambda, HybridSequential, Lambda, Sequential
from .parameter import Constant, Parameter
from .parameter_dict import ParameterDict

__all__ = [
    "Block", "HybridBlock", "HookHandle", "Sequential", "HybridSequential", "Lambda",
    "HybridLambda", "Parameter", "Constant", "ParameterDict",
]
