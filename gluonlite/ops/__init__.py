"""The operator registry and every primitive in it.

Importing this package registers all primitives; ``registry`` holds the records and ``P`` calls
them by name. Nothing here knows about NDArray, the tape or the tracer.
"""
from . import (  # noqa: F401  (registration side effects)
    arith, compare, conv, fused, indexing, linalg, nn, pool, random, reduce, shape, sparse,
    state, unary, windows,
)
from .registry import P, Op, all_ops, get, register

__all__ = ["P", "Op", "all_ops", "get", "register"]
