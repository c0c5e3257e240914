"""``nd.linalg``: MXNet's BLAS-style matrix operators as compositions of ``matmul``."""
from __future__ import annotations

from ..ops.registry import P
from .ndarray import NDArray

__all__ = ["gemm2", "gemm"]


def _swap(x: NDArray) -> NDArray:
    return P.transpose(x, axes=tuple(range(x.ndim - 2)) + (x.ndim - 1, x.ndim - 2))


def gemm2(
    A: NDArray, B: NDArray, transpose_a: bool = False, transpose_b: bool = False,
    alpha: float = 1.0, axis: int = -2,
) -> NDArray:
    """alpha · op(A) @ op(B) over the last two axes (batched over the leading ones)."""
    out = P.matmul(_swap(A) if transpose_a else A, _swap(B) if transpose_b else B)
    return out if alpha == 1.0 else P.multiply(out, alpha)


def gemm(
    A: NDArray, B: NDArray, C: NDArray, transpose_a: bool = False, transpose_b: bool = False,
    alpha: float = 1.0, beta: float = 1.0, axis: int = -2,
) -> NDArray:
    """alpha · op(A) @ op(B) + beta · C."""
    return P.add(gemm2(A, B, transpose_a, transpose_b, alpha), P.multiply(C, beta))
