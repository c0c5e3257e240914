"""``np`` products with NumPy's semantics: ``dot`` (which differs from MXNet's ``nd.dot`` for
operands of more than two dimensions), ``matmul``, ``tensordot``, ``inner``, ``outer``,
``vdot`` and ``einsum``; compositions of the ``matmul``/``einsum`` primitives.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy

from .. import errors
from ..ndarray import mx_linalg
from ..ndarray.dispatch import ArrayBase
from ..ops.registry import P
from .math import finish, operands

__all__ = ["dot", "einsum", "inner", "matmul", "outer", "tensordot", "vdot"]


def _contract_axes(axes: Any, a_ndim: int, b_ndim: int) -> tuple[list[int], list[int]]:
    if isinstance(axes, int):
        return list(range(a_ndim - axes, a_ndim)), list(range(axes))
    a_axes, b_axes = axes
    a_axes = [a_axes] if isinstance(a_axes, int) else list(a_axes)
    b_axes = [b_axes] if isinstance(b_axes, int) else list(b_axes)
    if len(a_axes) != len(b_axes):
        raise errors.ShapeError(f"tensordot: axes {axes} pair up {len(a_axes)} with {len(b_axes)}")
    return [i % a_ndim for i in a_axes], [i % b_ndim for i in b_axes]


def tensordot(a: Any, b: Any, axes: Any = 2) -> Any:
    """Sum of products over the given axes of ``a`` and ``b`` (one transpose, one reshape and
    one matrix product on each side)."""
    x, y = operands(a, b)
    a_axes, b_axes = _contract_axes(axes, x.ndim, y.ndim)
    for i, j in zip(a_axes, b_axes):
        if x.shape[i] != y.shape[j]:
            raise errors.ShapeError(
                f"tensordot: axis {i} of {tuple(x.shape)} and axis {j} of {tuple(y.shape)} "
                "differ in length"
            )
    a_free = [d for d in range(x.ndim) if d not in a_axes]
    b_free = [d for d in range(y.ndim) if d not in b_axes]
    k = math.prod(x.shape[d] for d in a_axes)
    lhs = P.reshape(P.transpose(x, axes=tuple(a_free + a_axes)), newshape=(-1, k))
    rhs = P.reshape(P.transpose(y, axes=tuple(b_axes + b_free)), newshape=(k, -1))
    shape = tuple(x.shape[d] for d in a_free) + tuple(y.shape[d] for d in b_free)
    return P.reshape(P.matmul(lhs, rhs), newshape=shape)


def dot(a: Any, b: Any, out: Any = None) -> Any:
    """NumPy ``dot``: a product with a scalar, the inner product of 1-d arrays, the matrix
    product of 2-d arrays, and for n-d a sum over the last axis of ``a`` and the
    second-to-last of ``b``."""
    x, y = operands(a, b) or (None, None)
    if x is None:
        return numpy.dot(a, b)
    if not isinstance(x, ArrayBase) or not isinstance(y, ArrayBase) or 0 in (x.ndim, y.ndim):
        return finish(P.multiply(x, y), out)
    if y.ndim <= 2:
        return finish(P.matmul(x, y), out)
    return finish(tensordot(x, y, axes=([-1], [-2])), out)


def matmul(x1: Any, x2: Any, out: Any = None) -> Any:
    """NumPy ``matmul`` (batched over leading axes, 1-d operands promoted)."""
    a, b = operands(x1, x2)
    return finish(P.matmul(a, b), out)


def vdot(a: Any, b: Any) -> Any:
    """The dot product of the flattened arrays."""
    x, y = operands(a, b)
    return P.matmul(P.reshape(x, newshape=(-1,)), P.reshape(y, newshape=(-1,)))


def inner(a: Any, b: Any) -> Any:
    """Sum of products over the last axes of ``a`` and ``b``."""
    x, y = operands(a, b)
    if not isinstance(x, ArrayBase) or not isinstance(y, ArrayBase) or 0 in (x.ndim, y.ndim):
        return P.multiply(x, y)
    return tensordot(x, y, axes=([-1], [-1]))


def outer(a: Any, b: Any, out: Any = None) -> Any:
    """``a.ravel()[:, None] * b.ravel()[None, :]``."""
    x, y = operands(a, b)
    return finish(P.multiply(P.reshape(x, newshape=(-1, 1)), P.reshape(y, newshape=(1, -1))), out)


def einsum(subscripts: str, *operands_: Any, out: Any = None, optimize: Any = False) -> Any:
    """Einstein summation (``einsum('ij,jk->ik', a, b)``; implicit output as NumPy; no '...')."""
    arrays: Sequence[Any] = operands(*operands_)
    return finish(mx_linalg.einsum(subscripts, *arrays), out)
