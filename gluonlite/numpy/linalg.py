"""``np.linalg``: the norms and products of NumPy's ``linalg`` that are compositions of the
registry's primitives (so they differentiate). Decompositions and solvers (``svd``, ``inv``,
``solve``...) need primitives gluonlite does not have; asking for one says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy

from .. import errors
from ..ndarray.dispatch import ArrayBase
from ..ops.registry import P
from .creation import constant
from .math import array_arg
from .products import dot

__all__ = ["matrix_power", "multi_dot", "norm"]

_NEEDS_DECOMPOSITION = (
    "cholesky", "det", "eig", "eigh", "eigvals", "eigvalsh", "inv", "lstsq", "matrix_rank",
    "pinv", "qr", "slogdet", "solve", "svd", "tensorinv", "tensorsolve", "cond",
)  # fmt: skip


def __getattr__(name: str) -> Any:
    if name in _NEEDS_DECOMPOSITION:
        raise AttributeError(
            f"np.linalg.{name} is not available in gluonlite: it needs a matrix decomposition, "
            f"and gluonlite's operators have none. Use numpy.linalg.{name}(x.asnumpy()) (no "
            f"gradient), or np.linalg.{', np.linalg.'.join(__all__)}"
        )
    raise AttributeError(f"module 'np.linalg' has no attribute {name!r}")


def _sum_abs(x: ArrayBase, axis: Any, keepdims: bool) -> ArrayBase:
    return P.sum(P.abs(x), axis=axis, keepdims=keepdims)


def _l2(x: ArrayBase, axis: Any, keepdims: bool) -> ArrayBase:
    return P.sqrt(P.sum(P.square(x), axis=axis, keepdims=keepdims))


def _vector_norm(x: ArrayBase, ord: Any, axis: int, keepdims: bool) -> ArrayBase:
    if ord is None or ord == 2:
        return _l2(x, axis, keepdims)
    if ord == numpy.inf:
        return P.max(P.abs(x), axis=axis, keepdims=keepdims)
    if ord == -numpy.inf:
        return P.min(P.abs(x), axis=axis, keepdims=keepdims)
    if ord == 0:
        return P.astype(P.sum(P.not_equal(x, 0), axis=axis, keepdims=keepdims), dtype=x.dtype)
    if ord == 1:
        return _sum_abs(x, axis, keepdims)
    if isinstance(ord, str):
        raise errors.MXNetValueError(f"norm: ord {ord!r} is for matrices, not vectors")
    total = P.sum(P.power(P.abs(x), float(ord)), axis=axis, keepdims=keepdims)
    return P.power(total, 1.0 / float(ord))


def _matrix_norm(x: ArrayBase, ord: Any, axes: tuple[int, int], keepdims: bool) -> ArrayBase:
    row, col = axes
    if ord in (None, "fro", "f"):
        result = _l2(x, axes, False)
    elif ord in (1, -1):
        sums = _sum_abs(x, row, False)
        result = (P.max if ord == 1 else P.min)(sums, axis=col - (col > row))
    elif ord in (numpy.inf, -numpy.inf):
        sums = _sum_abs(x, col, False)
        result = (P.max if ord > 0 else P.min)(sums, axis=row - (row > col))
    elif ord in (2, -2, "nuc"):
        raise errors.MXNetValueError(
            f"norm: ord={ord!r} of a matrix needs singular values, which gluonlite cannot "
            "compute (no SVD operator); use 'fro', 1, -1, inf or -inf"
        )
    else:
        raise errors.MXNetValueError(f"norm: invalid ord {ord!r} for a matrix")
    if keepdims:
        shape = tuple(1 if d in axes else n for d, n in enumerate(x.shape))
        result = P.reshape(result, newshape=shape)
    return result


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    """Vector or matrix norm (NumPy's ``linalg.norm``): with ``axis`` None, the 2-norm of all
    values when ``ord`` is None, else the vector norm of a 1-d or the matrix norm of a 2-d
    array; an int ``axis`` gives vector norms, a pair of axes matrix norms. Integer input is
    computed in float64."""
    a = array_arg(x)
    if a.dtype.kind not in "fc":
        a = P.astype(a, dtype=numpy.dtype(numpy.float64))
    if axis is None:
        if ord is None:
            result = _l2(a, None, False)
            return P.reshape(result, newshape=(1,) * a.ndim) if keepdims else result
        if a.ndim not in (1, 2):
            raise errors.MXNetValueError(
                f"norm: ord={ord!r} without axis needs a 1-d or 2-d array, got shape "
                f"{tuple(a.shape)}"
            )
        axis = tuple(range(a.ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    axes = tuple(int(d) % a.ndim for d in axes)
    if len(axes) == 1:
        return _vector_norm(a, ord, axes[0], keepdims)
    if len(axes) == 2 and axes[0] != axes[1]:
        return _matrix_norm(a, ord, axes, keepdims)
    raise errors.MXNetValueError(
        f"norm: axis must be one int or a pair of distinct axes, not {axis!r}"
    )


def multi_dot(arrays: Sequence[Any]) -> Any:
    """``dot`` of several matrices in a row (first and last may be 1-d)."""
    arrays = list(arrays)
    if len(arrays) < 2:
        raise errors.MXNetValueError("multi_dot: needs at least two arrays")
    result = arrays[0]
    for a in arrays[1:]:
        result = dot(result, a)
    return result


def matrix_power(a: Any, n: int) -> Any:
    """A square matrix (or stack of them) to the integer power ``n`` >= 0, by repeated squaring."""
    x = array_arg(a)
    if n < 0:
        raise errors.MXNetValueError(
            "matrix_power: negative powers need an inverse, which gluonlite cannot compute"
        )
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise errors.ShapeError(f"matrix_power: needs square matrices, got shape {tuple(x.shape)}")
    result = None
    base = x
    while True:
        if n & 1:
            result = base if result is None else P.matmul(result, base)
        n >>= 1
        if not n:
            break
        base = P.matmul(base, base)
    if result is None:  # n == 0: the identity, broadcast over the stack
        eye = constant(x, "eye", x.shape[-1], dtype=x.dtype)
        return P.broadcast_to(eye, shape=tuple(x.shape))
    return result
