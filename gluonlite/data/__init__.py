"""``gluonlite.data`` (MXNet's ``gluon.data``): datasets, samplers, batchify functions and the
DataLoader that feeds a training loop, with ``vision`` (image datasets and transforms).

Data preparation sits beside the model layers: it produces ordinary arrays (of the default
array class) and never records autograd. The DataLoader draws batches in the main process and
can load them in worker processes that return them through shared memory.
"""

from . import batchify, sampler, vision
from .dataloader import DataLoader, DataLoaderTimeoutError
from .dataset import ArrayDataset, Dataset, SimpleDataset
from .sampler import (
    BatchSampler,
    FilterSampler,
    IntervalSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
)

__all__ = [
    "ArrayDataset",
    "BatchSampler",
    "DataLoader",
    "DataLoaderTimeoutError",
    "Dataset",
    "FilterSampler",
    "IntervalSampler",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "SimpleDataset",
    "batchify",
    "sampler",
    "vision",
]
