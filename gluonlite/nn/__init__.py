"""Blocks, parameters and layers (MXNet's ``gluon.nn``): models are Blocks composed by
attribute assignment; parameters are created lazily with deferred shape inference."""
from .activations import ELU, GELU, SELU, Activation, LeakyReLU, PReLU, SiLU, Swish
from .basic_layers import Dense, Dropout, Embedding, Flatten, Identity
from .block import Block, HookHandle, HybridBlock
from .containers import HybridLambda, HybridSequential, Lambda, Sequential
from .conv_layers import (
    AvgPool1D,
    AvgPool2D,
    AvgPool3D,
    Conv1D,
    Conv1DTranspose,
    Conv2D,
    Conv2DTranspose,
    Conv3D,
    Conv3DTranspose,
    GlobalAvgPool1D,
    GlobalAvgPool2D,
    GlobalAvgPool3D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    GlobalMaxPool3D,
    MaxPool1D,
    MaxPool2D,
    MaxPool3D,
    ReflectionPad2D,
)
from .norm_layers import BatchNorm, GroupNorm, InstanceNorm, LayerNorm, SyncBatchNorm
from .parameter import Constant, Parameter
from .parameter_dict import ParameterDict
from .transformer import MultiHeadAttention, TransformerEncoderLayer

__all__ = [
    "Block", "HybridBlock", "HookHandle", "Sequential", "HybridSequential", "Lambda",
    "HybridLambda", "Parameter", "Constant", "ParameterDict",
    "Activation", "LeakyReLU", "PReLU", "ELU", "SELU", "GELU", "Swish", "SiLU",
    "Dense", "Dropout", "Embedding", "Flatten", "Identity",
    "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
    "MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D", "AvgPool2D", "AvgPool3D",
    "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D", "GlobalAvgPool1D",
    "GlobalAvgPool2D", "GlobalAvgPool3D", "ReflectionPad2D",
    "BatchNorm", "SyncBatchNorm", "LayerNorm", "GroupNorm", "InstanceNorm",
    "MultiHeadAttention", "TransformerEncoderLayer",
]
