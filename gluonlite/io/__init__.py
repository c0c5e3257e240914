"""MXNet 1.x data iterators (``mx.io``): ``DataDesc``, ``DataBatch``, the ``DataIter``
protocol, ``NDArrayIter`` over in-memory arrays, ``CSVIter``, ``ResizeIter`` and
``PrefetchingIter``. They feed ``mod.Module.fit``; Gluon code uses ``gluon.data.DataLoader``.
"""

from .base import DataBatch, DataDesc, DataIter
from .iters import CSVIter, NDArrayIter, PrefetchingIter, ResizeIter

__all__ = [
    "CSVIter",
    "DataBatch",
    "DataDesc",
    "DataIter",
    "NDArrayIter",
    "PrefetchingIter",
    "ResizeIter",
]
