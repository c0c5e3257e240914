"""``npx``: MXNet's NumPy extension (``from gluonlite import npx``; also
``gluonlite.numpy_extension``).

The switches of the NumPy interface (``set_np``/``reset_np``, ``use_np``...), the deep-learning
operators NumPy lacks under MXNet 2's names (``npx.relu``, ``npx.fully_connected``...), devices,
seeding, and ``save``/``load`` of np arrays (MXNet's ``.params`` format).
"""

from __future__ import annotations

import sys as _sys
from typing import Any

from .. import ndarray as _nd
from ..context import cpu, current_context, gpu, num_gpus
from ..ndarray import load as _load
from ..ndarray import save as _save
from ..ndarray import waitall
from ..ndarray.dispatch import ArrayBase
from ..ndarray.random import seed
from ..numpy.ndarray import as_np_ndarray
from ..util import (  # the switches of the NumPy interface
    is_np_array,
    is_np_default_dtype,
    is_np_shape,
    np_array,
    np_default_dtype,
    np_shape,
    reset_np,
    set_np,
    set_np_default_dtype,
    set_np_shape,
    use_np,
    use_np_array,
    use_np_default_dtype,
    use_np_shape,
)  # fmt: skip
from .ops import (
    activation,
    batch_dot,
    batch_norm,
    convolution,
    deconvolution,
    dropout,
    embedding,
    fully_connected,
    layer_norm,
    leaky_relu,
    log_softmax,
    one_hot,
    pick,
    pooling,
    relu,
    sequence_mask,
    sigmoid,
    softmax,
    topk,
)  # fmt: skip

current_device = current_context


def save(file: Any, arr: Any) -> None:
    """Save an np array, a list or a dict of them (MXNet's ``.params`` format)."""
    if isinstance(arr, ArrayBase):
        arr = [arr]
    _save(file, arr)


def load(file: Any) -> Any:
    """Load arrays saved by ``save`` (or ``nd.save``, MXNet's files) as np arrays: a dict when
    the file has names, else a list."""
    loaded = _load(file)
    if isinstance(loaded, dict):
        return {name: as_np_ndarray(a) for name, a in loaded.items()}
    return [as_np_ndarray(a) for a in loaded]


def from_numpy(ndarray: Any, zero_copy: bool = True) -> Any:
    """An np array sharing memory with a NumPy array (a copy when ``zero_copy`` is False)."""
    return as_np_ndarray(_nd.from_numpy(ndarray, zero_copy))


def from_dlpack(dlpack: Any) -> Any:
    """An np array sharing memory with any DLPack producer (NumPy, CuPy, PyTorch...)."""
    return as_np_ndarray(_nd.from_dlpack(dlpack))


_nd.npx = _sys.modules[__name__]  # MXNet's ``mx.nd.npx``: ``F.npx`` in a hybrid_forward

__all__ = [
    "activation", "batch_dot", "batch_norm", "convolution", "cpu", "current_context",
    "current_device", "deconvolution", "dropout", "embedding", "from_dlpack", "from_numpy",
    "fully_connected", "gpu", "is_np_array", "is_np_default_dtype", "is_np_shape", "layer_norm",
    "leaky_relu", "load", "log_softmax", "np_array", "np_default_dtype", "np_shape", "num_gpus",
    "one_hot", "pick", "pooling", "relu", "reset_np", "save", "seed", "sequence_mask", "set_np",
    "set_np_default_dtype", "set_np_shape", "sigmoid", "softmax", "topk", "use_np", "use_np_array",
    "use_np_default_dtype", "use_np_shape", "waitall",
]  # fmt: skip
