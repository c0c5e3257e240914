"""``np``: MXNet's NumPy interface (``from gluonlite import np``; also ``gluonlite.numpy``).

NumPy's API over gluonlite arrays: ``np.ndarray`` (an ``nd.NDArray`` with NumPy semantics),
creation with MXNet's float32 default, and math, reductions, shape manipulation, products,
``np.linalg`` and ``np.random`` with NumPy's names, arguments and results. Every function is
a registry primitive or a composition of them, so it is recorded by autograd, traced by
hybridize, and runs on NumPy (cpu) or CuPy (gpu). ``npx.set_np()`` makes Gluon (layers,
parameters, losses, DataLoaders) produce ``np.ndarray``s; the ``np`` functions produce them
always. Differences from NumPy: default dtype float32 (integer lists and ``arange`` too),
full reductions and scalars are 0-d arrays, ``x.sort()`` returns a copy.
"""

import sys as _sys

from .. import ndarray as _nd
from . import creation, linalg, manipulation, math, products, random, reductions, types
from . import methods as _methods  # noqa: F401  (binds ndarray's NumPy-named methods)
from .creation import *
from .manipulation import *
from .math import *
from .ndarray import as_nd_ndarray, as_np_ndarray, ndarray
from .products import *
from .reductions import *
from .types import *

# The np layer plugs into nd (the layer below cannot import it): MXNet's ``mx.nd.np`` (``F.np``
# in a hybrid_forward) and the conversions between the two array classes.
_nd.np = _sys.modules[__name__]
_nd.NDArray.as_np_ndarray = as_np_ndarray
_nd.NDArray.as_nd_ndarray = as_nd_ndarray

__all__ = (
    ["ndarray", "as_nd_ndarray", "as_np_ndarray", "linalg", "random"]
    + creation.__all__
    + manipulation.__all__
    + math.__all__
    + products.__all__
    + reductions.__all__
    + types.__all__
)
