"""MXNet's matrix products: ``dot`` (tensordot of the last axis with the first), ``batch_dot``
and ``einsum``, all compositions of the ``matmul``/``einsum`` primitives."""
from __future__ import annotations

from typing import Any

from .. import errors
from ..ops.registry import P
from .ndarray import NDArray

__all__ = ["dot", "batch_dot", "einsum", "matmul"]
METHODS = ("dot",)


def _t(x: NDArray) -> NDArray:
    """Reverse the axes (MXNet's transpose flag for ``dot`` on n-d operands)."""
    return P.transpose(x) if x.ndim > 1 else x


def dot(
    lhs: NDArray, rhs: NDArray, transpose_a: bool = False, transpose_b: bool = False,
    forward_stype: Any = None,
) -> NDArray:
    """MXNet ``dot``: contracts the last axis of ``lhs`` with the first axis of ``rhs``
    (after the optional transposes); 1-d · 1-d gives a (1,) array."""
    if getattr(lhs, "stype", "default") != "default" or getattr(rhs, "stype", "default") != "default":
        from .sparse import dot as sparse_dot

        return sparse_dot(lhs, rhs, transpose_a=transpose_a, transpose_b=transpose_b,
                          forward_stype=forward_stype)
    a = _t(lhs) if transpose_a else lhs
    b = _t(rhs) if transpose_b else rhs
    if a.shape[-1] != b.shape[0]:
        raise errors.ShapeError(
            f"dot: the last axis of lhs {tuple(a.shape)} must equal the first axis of rhs "
            f"{tuple(b.shape)}{' (after transposes)' if transpose_a or transpose_b else ''}\n"
            f"  called from {errors.user_frame()}"
        )
    if a.ndim == 1 and b.ndim == 1:
        return P.reshape(P.matmul(a, b), newshape=(1,))
    a2 = P.reshape(a, newshape=(-1, a.shape[-1])) if a.ndim != 2 else a
    b2 = P.reshape(b, newshape=(b.shape[0], -1)) if b.ndim != 2 else b
    out = P.matmul(a2, b2)
    shape = tuple(a.shape[:-1]) + tuple(b.shape[1:])
    return out if out.shape == shape else P.reshape(out, newshape=shape)


def batch_dot(
    lhs: NDArray, rhs: NDArray, transpose_a: bool = False, transpose_b: bool = False,
    forward_stype: Any = None,
) -> NDArray:
    """Batched matrix product of (B, M, K) and (B, K, N) arrays, with optional transposes of
    the last two axes."""
    if lhs.ndim < 3 or rhs.ndim < 3 or lhs.shape[:-2] != rhs.shape[:-2]:
        raise errors.ShapeError(
            f"batch_dot needs two arrays of 3 or more axes with the same batch shape, got "
            f"{tuple(lhs.shape)} and {tuple(rhs.shape)}\n  called from {errors.user_frame()}"
        )
    swap = lambda x: P.transpose(x, axes=tuple(range(x.ndim - 2)) + (x.ndim - 1, x.ndim - 2))  # noqa: E731
    a = swap(lhs) if transpose_a else lhs
    b = swap(rhs) if transpose_b else rhs
    if a.shape[-1] != b.shape[-2]:
        raise errors.ShapeError(
            f"batch_dot: inner dimensions differ: {tuple(a.shape)} @ {tuple(b.shape)} "
            f"(transpose_a={transpose_a}, transpose_b={transpose_b})\n"
            f"  called from {errors.user_frame()}"
        )
    return P.matmul(a, b)


def matmul(a: NDArray, b: NDArray) -> NDArray:
    """NumPy's matmul (batched, broadcasting)."""
    return P.matmul(a, b)


def _explicit(subscripts: str, operands: tuple) -> str:
    """Give implicit-output subscripts ('ij,jk') NumPy's explicit output ('ij,jk->ik')."""
    subscripts = subscripts.replace(" ", "")
    if "..." in subscripts:
        raise errors.MXNetValueError("einsum with '...' is not supported; spell the axes out")
    if "->" in subscripts:
        return subscripts
    letters = subscripts.replace(",", "")
    out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    return f"{subscripts}->{out}"


def einsum(subscripts: str, *operands: NDArray, optimize: Any = True) -> NDArray:
    """Einstein summation (``einsum('ij,jk->ik', a, b)``); the contraction order comes from
    opt_einsum, and the gradient is again an einsum."""
    return P.einsum(*operands, subscripts=_explicit(subscripts, operands))
