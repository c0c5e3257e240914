"""The ``nd`` namespace: NDArray and every operator under its MXNet name.

Built in three layers: the registry's primitives under their NumPy names, then the MXNet-named
compositions of the modules listed in ``_COMPAT_MODULES`` (which win on a name clash: ``nd.sum``
is MXNet's, with ``exclude`` and a (1,)-shaped full reduction), then NDArray methods bound from
those same functions, so each is written once.
"""
from __future__ import annotations

from ..ops import registry as _registry
from . import creation as _creation
from .creation import *  # noqa: F401,F403
from .dispatch import invoke, set_default_array_class
from .ndarray import NDArray

set_default_array_class(NDArray)


def waitall() -> None:
    """Wait for all pending computation (a device sync on GPU; eager NumPy is synchronous)."""
    from ..context import num_gpus

    if num_gpus():
        import cupy

        cupy.cuda.Device().synchronize()



def _nd_function(op):
    """A registry op as an ``nd`` function that also takes MXNet's ``out=`` and ``name=``."""

    def fn(*args, out=None, name=None, **attrs):
        result = op(*args, **attrs)
        return result if out is None else result.copyto(out)

    fn.__name__ = fn.__qualname__ = op.name
    fn.__doc__ = op.doc
    return fn


for _op in _registry.all_ops():
    globals()[_op.name] = _nd_function(_op)

from . import (  # noqa: E402  (after the registry names: these override them)
    indexing, mx_basic, mx_index, mx_linalg, mx_math, mx_nn, mx_reduce, mx_shape,
)
from . import linalg, random, sparse  # noqa: E402,F401  (nd.linalg, nd.random, nd.sparse)
from .serialization import load, load_frombuffer, save  # noqa: E402

NDArray.tostype = sparse.tostype
cast_storage = sparse.cast_storage

_COMPAT_MODULES = [mx_basic, mx_math, mx_reduce, mx_shape, mx_index, mx_linalg, mx_nn, indexing]

for _mod in _COMPAT_MODULES:
    for _name in _mod.__all__:
        globals()[_name] = getattr(_mod, _name)

for _mod in _COMPAT_MODULES:
    for _name in getattr(_mod, "METHODS", ()):
        setattr(NDArray, _name, getattr(_mod, _name))

__all__ = (
    ["NDArray", "invoke", "save", "load", "load_frombuffer", "linalg", "random", "sparse",
     "waitall", "cast_storage"]
    + list(_creation.__all__)
    + [op.name for op in _registry.all_ops()]
    + [n for m in _COMPAT_MODULES for n in m.__all__]
)
