"""Sparse storage on raw arrays: the ``csr_dot`` primitive and the conversions between dense,
CSR (data, indices, indptr) and row-sparse (data, row indices) layouts.

The product uses SciPy's (on NumPy, when SciPy is installed) or CuPy's sparse kernels, else a
vectorized gather and segment sum. The conversions are plain functions of ``xp``: storage
changes are not differentiable ops. Components are canonical: indices sorted within each row,
no duplicates, int64 indices and indptr (MXNet's aux dtype).
"""

from __future__ import annotations

from typing import Any

import numpy

from .registry import P, register

__all__ = [
    "INDEX_DTYPE", "csr_from_coo", "csr_from_dense", "csr_to_dense", "row_ids",
    "rsp_from_dense", "rsp_from_rows", "rsp_to_dense",
]  # fmt: skip

INDEX_DTYPE = numpy.dtype("int64")
_backends: dict[str, Any] = {}


def _sparse_backend(xp: Any) -> Any:
    """scipy.sparse for NumPy (None when SciPy is missing), cupyx.scipy.sparse for CuPy."""
    name = xp.__name__
    if name not in _backends:
        try:
            if xp is numpy:
                import scipy.sparse as backend
            else:
                import cupyx.scipy.sparse as backend
        except ImportError:
            backend = None
        _backends[name] = backend
    return _backends[name]


def row_ids(xp: Any, indptr: Any) -> Any:
    """The row of every stored element of a CSR matrix (indptr expanded)."""
    nnz = int(indptr[-1])
    return xp.searchsorted(indptr, xp.arange(nnz, dtype=indptr.dtype), side="right") - 1


def _indptr(xp: Any, rows: Any, m: int) -> Any:
    """CSR row pointers from the (sorted) row of every stored element."""
    indptr = xp.zeros(m + 1, dtype=INDEX_DTYPE)
    xp.cumsum(xp.bincount(rows, minlength=m), out=indptr[1:])
    return indptr


def _segment_matmul(xp: Any, dense: Any, data: Any, indices: Any, indptr: Any) -> Any:
    """CSR @ dense without a sparse library: gather the rows of ``dense`` that each stored
    element multiplies, then sum them per CSR row (one reduceat; empty rows masked to 0)."""
    prod = dense[indices] * data[:, None]
    pad = xp.zeros((1,) + prod.shape[1:], dtype=prod.dtype)
    out = xp.add.reduceat(xp.concatenate([prod, pad]), indptr[:-1], axis=0)
    out[indptr[1:] == indptr[:-1]] = 0
    return out


def _transposed(xp: Any, data: Any, indices: Any, indptr: Any, n_cols: int) -> tuple:
    """The CSR components of the transpose (a stable sort of the elements by column)."""
    order = xp.argsort(indices, kind="stable")
    rows = row_ids(xp, indptr)
    return data[order], rows[order], _indptr(xp, indices, n_cols)


def _csr_dot(xp, dense, data, indices, indptr, *, shape, transpose_a=False):
    m, n = shape
    k = m if transpose_a else n
    if dense.ndim != 2 or dense.shape[0] != k:
        raise ValueError(
            f"shape mismatch: the CSR matrix {tuple(shape)}{'.T' if transpose_a else ''} cannot "
            f"multiply a dense operand of shape {tuple(dense.shape)}"
        )
    out_dtype = xp.result_type(data, dense)
    backend = _sparse_backend(xp)
    if backend is None:
        if transpose_a:
            data, indices, indptr = _transposed(xp, data, indices, indptr, n)
        return _segment_matmul(xp, dense, data, indices, indptr).astype(out_dtype, copy=False)
    if xp is not numpy and out_dtype not in (numpy.float32, numpy.float64):
        work = numpy.float32 if out_dtype.itemsize <= 2 else numpy.float64  # cuSPARSE's types
        data, dense = data.astype(work), dense.astype(work)
    mat = backend.csr_matrix((data, indices, indptr), shape=(m, n))
    out = (mat.T if transpose_a else mat) @ dense
    return xp.asarray(out).astype(out_dtype, copy=False)


def _csr_dot_grad(g, ins, outs, *, shape, transpose_a=False):
    return P.csr_dot(g, ins[1], ins[2], ins[3], shape=shape, transpose_a=not transpose_a)


register(
    "csr_dot",
    _csr_dot,
    grads=(_csr_dot_grad, None, None, None),
    save_ins=(1, 2, 3),
    doc="op(A) @ dense for the CSR matrix A = (data, indices, indptr) of ``shape`` (op: "
    "transpose when ``transpose_a``); the dense operand comes first and gets the gradient.",
)


# ---- storage conversions (raw arrays in, raw arrays out) ---------------------------------------
def csr_from_dense(xp: Any, a: Any) -> tuple[Any, Any, Any]:
    """(data, indices, indptr) of the nonzero entries of a 2-d array."""
    rows, cols = xp.nonzero(a)
    return a[rows, cols], cols.astype(INDEX_DTYPE), _indptr(xp, rows, a.shape[0])


def csr_to_dense(xp: Any, data: Any, indices: Any, indptr: Any, shape: tuple) -> Any:
    """The dense 2-d array of CSR components."""
    out = xp.zeros(shape, dtype=data.dtype)
    out[row_ids(xp, indptr), indices] = data
    return out


def csr_from_coo(xp: Any, data: Any, row: Any, col: Any, shape: tuple) -> tuple[Any, Any, Any]:
    """CSR components of COO triplets, sorted by (row, column), duplicates summed."""
    m, n = shape
    keys = row.astype(INDEX_DTYPE) * n + col.astype(INDEX_DTYPE)
    uniq, inverse = xp.unique(keys, return_inverse=True)
    summed = xp.zeros(uniq.shape, dtype=data.dtype)
    xp.add.at(summed, inverse.reshape(-1), data)
    return summed, uniq % n, _indptr(xp, uniq // n, m)


def rsp_from_dense(xp: Any, a: Any) -> tuple[Any, Any]:
    """(data, row indices) of the rows of ``a`` that hold a nonzero."""
    flat = a.reshape(a.shape[0], -1)
    rows = xp.nonzero(xp.any(flat != 0, axis=1))[0].astype(INDEX_DTYPE)
    return a[rows], rows


def rsp_to_dense(xp: Any, data: Any, indices: Any, shape: tuple) -> Any:
    """The dense array of row-sparse components."""
    out = xp.zeros(shape, dtype=data.dtype)
    out[indices] = data
    return out


def rsp_from_rows(xp: Any, indices: Any, values: Any) -> tuple[Any, Any]:
    """Row-sparse components of ``values[i]`` added into row ``indices[i]`` (duplicates
    summed, rows sorted): an embedding lookup's weight gradient without a dense buffer."""
    rows, inverse = xp.unique(indices.reshape(-1).astype(INDEX_DTYPE), return_inverse=True)
    values = values.reshape((-1,) + values.shape[indices.ndim :])
    data = xp.zeros((rows.shape[0],) + values.shape[1:], dtype=values.dtype)
    xp.add.at(data, inverse.reshape(-1), values)
    return data, rows
