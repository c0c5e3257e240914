"""gluonlite: an imperative-first deep-learning library that speaks MXNet 1.x Gluon.

``import gluonlite as mx`` runs MXNet Gluon programs: eager NDArrays on NumPy (CPU) or CuPy
(GPU) with a tape for autograd, and the Gluon names on top.
"""
from . import base, context, errors, ops
from . import ndarray
from . import ndarray as nd
from . import autograd
from . import init, nn, rnn
from . import kvstore, lr_scheduler, optimizer, utils
from . import kvstore as kv
from .trainer import Trainer
from . import init as initializer
from . import hybrid, random
from . import data, loss, metric, model_zoo
from . import image
from . import image as img
from . import gluon
from . import io, module, profiler
from . import module as mod
from .hybrid import sym_namespace as sym
from .hybrid import sym_namespace as symbol
from .hybrid import symbol_ops as attribute
from .hybrid import symbol_ops as name
from .hybrid.symbol_ops import AttrScope
from .module import callback, model
from . import numpy, numpy_extension, runtime, test_utils, util
from . import numpy as np
from . import numpy_extension as npx
from .base import MXNetError
from .context import Context, cpu, cpu_pinned, current_context, gpu, num_gpus

__version__ = "0.1.0"

__all__ = [
    "base", "context", "errors", "ops", "ndarray", "nd", "autograd", "MXNetError", "Context",
    "cpu", "cpu_pinned", "gpu", "current_context", "num_gpus", "__version__", "init",
    "initializer", "nn", "rnn", "optimizer", "lr_scheduler", "kvstore", "kv", "utils", "Trainer", "hybrid", "random", "data", "loss", "metric", "model_zoo", "image", "img", "gluon", "np", "npx", "numpy", "numpy_extension", "util", "test_utils",
    "runtime", "io", "module", "mod", "profiler", "sym", "symbol", "attribute", "name",
    "AttrScope", "callback", "model",
]
