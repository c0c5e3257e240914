"""``nd.sparse``: CSR and row-sparse arrays (MXNet's ``CSRNDArray`` / ``RowSparseNDArray``).

A sparse array holds its components as raw NumPy/CuPy arrays (values, int64 indices and, for
CSR, int64 row pointers) plus its dense shape and context; it is not an ``NDArray`` and the op
dispatcher never sees it. Operators act on it through compositions: ``dot`` unpacks the CSR
components into the ``csr_dot`` primitive (so the dense operand gets gradients under
``autograd.record()``); anything else goes through ``tostype('default')``. Row-sparse arrays
carry gradients of embedding lookups (``row_sparse_from_rows``) and updates on a few rows.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy

from .. import errors
from ..context import Context, current_context
from ..ops import sparse as _sp
from ..ops.registry import P
from .creation import zeros as _dense_zeros
from .dispatch import ArrayBase, default_array_class
from .ndarray import _move

__all__ = [
    "BaseSparseNDArray", "CSRNDArray", "RowSparseNDArray", "add", "array", "cast_storage",
    "csr_matrix", "dense_to_row_sparse", "dot", "elemwise_add", "empty", "retain",
    "row_sparse_array", "row_sparse_from_rows", "tostype", "zeros",
]  # fmt: skip

_F32 = numpy.dtype("float32")
_STYPES = ("default", "csr", "row_sparse")


class BaseSparseNDArray:
    """What CSR and row-sparse arrays share: components on a context and a dense shape."""

    __slots__ = ("_ctx", "_indices", "_shape", "_values")
    stype = "undefined"
    _parts: tuple[str, ...] = ("_values", "_indices")

    @classmethod
    def _make(cls, ctx: Context, shape: tuple, *parts: Any):
        """An instance from raw components (in the order of ``_parts``) already on ``ctx``."""
        out = object.__new__(cls)
        for name, part in zip(cls._parts, parts):
            setattr(out, name, part)
        out._shape = tuple(int(s) for s in shape)
        out._ctx = ctx
        return out

    def _map(self, fn, ctx: Context | None = None):
        """A new array of the same kind with ``fn`` applied to every component."""
        parts = [fn(getattr(self, name)) for name in self._parts]
        return type(self)._make(ctx or self._ctx, self._shape, *parts)

    # ---- identity -----------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self._shape

    @property
    def dtype(self) -> numpy.dtype:
        return self._values.dtype

    @property
    def size(self) -> int:
        return int(numpy.prod(self._shape, dtype=numpy.int64))

    @property
    def ndim(self) -> int:
        return len(self._shape)

    @property
    def context(self) -> Context:
        return self._ctx

    ctx = context

    @property
    def data(self):
        """The stored values, as an NDArray (MXNet's ``.data``)."""
        return default_array_class()._wrap(self._values, self._ctx)

    @property
    def indices(self):
        """Column indices (CSR) or row indices (row-sparse) of the stored values (int64)."""
        return default_array_class()._wrap(self._indices, self._ctx)

    # ---- conversion ---------------------------------------------------------------------------
    def _dense(self) -> Any:  # the dense raw array; defined per storage type
        raise NotImplementedError

    def asnumpy(self) -> numpy.ndarray:
        """The dense values as a NumPy array."""
        dense = self._dense()
        return dense if isinstance(dense, numpy.ndarray) else dense.get()

    def __array__(self, dtype=None, copy=None) -> numpy.ndarray:
        out = self.asnumpy()
        return out if dtype is None else out.astype(dtype)

    def tostype(self, stype: str):
        """This array in storage type ``stype`` ('default', 'csr' or 'row_sparse')."""
        return tostype(self, stype)

    def todense(self):
        return tostype(self, "default")

    def astype(self, dtype: Any, copy: bool = True):
        dtype = numpy.dtype(dtype)
        if not copy and dtype == self.dtype:
            return self
        out = self.copy()
        out._values = out._values.astype(dtype, copy=False)
        return out

    def copy(self):
        return self._map(lambda p: p.copy())

    def copyto(self, other: Any):
        """A copy on a context, or the values copied into another sparse array."""
        if isinstance(other, BaseSparseNDArray):
            if other.stype != self.stype or other.shape != self.shape:
                raise errors.MXNetValueError(
                    f"copyto: cannot copy a {self.stype} array of shape {self.shape} into a "
                    f"{other.stype} array of shape {other.shape}"
                )
            dtype, src = other.dtype, self.as_in_context(other._ctx)
            for name in self._parts:
                setattr(other, name, getattr(src, name).copy())
            other._values = other._values.astype(dtype, copy=False)
            return other
        ctx = Context(other)
        return self._map(lambda p: _move(p, ctx, copy=True), ctx)

    def as_in_context(self, context: Any):
        context = Context(context)
        return self if context == self._ctx else self.copyto(context)

    as_in_ctx = as_in_context

    def wait_to_read(self) -> None:
        if self._ctx.xp is not numpy:
            self._ctx.xp.cuda.get_current_stream().synchronize()

    def __add__(self, other: Any):
        return add(self, other)

    __radd__ = __add__

    def __repr__(self) -> str:
        shape = "x".join(str(s) for s in self._shape)
        return f"\n<{type(self).__name__} {shape} @{self._ctx}>"

    def __reduce__(self):
        host = [self._move_host(getattr(self, n)) for n in self._parts]
        return (_rebuild, (type(self), self._shape, *host))

    @staticmethod
    def _move_host(part: Any) -> Any:
        return part if isinstance(part, numpy.ndarray) else part.get()

    def _fail(self, what: str) -> None:
        raise errors.MXNetValueError(
            f"invalid {type(self).__name__} of shape {self._shape}: {what}"
        )


class CSRNDArray(BaseSparseNDArray):
    """A 2-d matrix in compressed sparse row format: row i's values are
    ``data[indptr[i]:indptr[i+1]]`` at columns ``indices[indptr[i]:indptr[i+1]]``."""

    __slots__ = ("_indptr",)
    stype = "csr"
    _parts = ("_values", "_indices", "_indptr")

    @property
    def indptr(self):
        """Row pointers (int64, one more than the number of rows)."""
        return default_array_class()._wrap(self._indptr, self._ctx)

    def _dense(self) -> Any:
        return _sp.csr_to_dense(
            self._ctx.xp, self._values, self._indices, self._indptr, self._shape
        )

    def asscipy(self):
        """The matrix as a ``scipy.sparse.csr_matrix`` (needs SciPy)."""
        import scipy.sparse

        parts = [self._move_host(p) for p in (self._values, self._indices, self._indptr)]
        return scipy.sparse.csr_matrix(tuple(parts), shape=self._shape)

    def __getitem__(self, key: Any) -> CSRNDArray:
        """Rows ``key`` (an int or a slice of step 1) as a CSR matrix."""
        if isinstance(key, numbers.Integral):
            key = slice(int(key), int(key) + 1 if key != -1 else None)
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise errors.MXNetIndexError(
                "CSRNDArray supports row indexing by an int or a "
                "slice of step 1; use tostype('default') for more"
            )
        start, stop, _ = key.indices(self._shape[0])
        stop = max(start, stop)
        ptr = self._indptr[start : stop + 1]
        lo, hi = int(ptr[0]), int(ptr[-1])
        return CSRNDArray._make(
            self._ctx,
            (stop - start, self._shape[1]),
            self._values[lo:hi],
            self._indices[lo:hi],
            ptr - lo,
        )

    def check_format(self, full_check: bool = True) -> None:
        """Raise MXNetValueError unless the components form a valid CSR matrix."""
        xp, (m, n), ptr, idx = self._ctx.xp, self._shape, self._indptr, self._indices
        if ptr.shape != (m + 1,) or int(ptr[0]) != 0 or int(ptr[-1]) != self._values.shape[0]:
            self._fail(f"indptr must have {m + 1} entries from 0 to nnz={self._values.shape[0]}")
        if idx.shape != self._values.shape:
            self._fail("indices and data differ in length")
        if full_check and idx.size:
            rows = _sp.row_ids(xp, ptr)
            if bool(xp.any(ptr[1:] < ptr[:-1])) or bool(xp.any((idx < 0) | (idx >= n))):
                self._fail(f"indptr must not decrease and indices must lie in [0, {n})")
            same_row = rows[1:] == rows[:-1]
            if bool(xp.any(same_row & (idx[1:] <= idx[:-1]))):
                self._fail("column indices must be sorted and unique within each row")


class RowSparseNDArray(BaseSparseNDArray):
    """An array whose listed rows (``indices``, sorted) hold ``data``; all other rows are 0."""

    __slots__ = ()
    stype = "row_sparse"

    def _dense(self) -> Any:
        return _sp.rsp_to_dense(self._ctx.xp, self._values, self._indices, self._shape)

    def retain(self, indices: Any) -> RowSparseNDArray:
        return retain(self, indices)

    def check_format(self, full_check: bool = True) -> None:
        """Raise MXNetValueError unless the components form a valid row-sparse array."""
        idx = self._indices
        if self._values.shape != (idx.shape[0],) + self._shape[1:]:
            self._fail(f"data of shape {self._values.shape} does not match {idx.shape[0]} rows")
        if full_check and idx.size:
            xp = self._ctx.xp
            bad_range = int(idx[0]) < 0 or int(idx[-1]) >= self._shape[0]
            if bad_range or bool(xp.any(idx[1:] <= idx[:-1])):
                self._fail(f"row indices must be sorted, unique and in [0, {self._shape[0]})")


def _rebuild(cls: type, shape: tuple, *parts: numpy.ndarray):
    """Unpickling support: components arrive as NumPy arrays and land on cpu."""
    return cls._make(Context("cpu", 0), shape, *parts)


# ---- creation -----------------------------------------------------------------------------------
def _context(ctx: Any) -> Context:
    return current_context() if ctx is None else Context(ctx)


def _dtype_of(source: Any, dtype: Any) -> numpy.dtype:
    """MXNet's rule: the given dtype, else the source's for arrays, else float32."""
    if dtype is not None:
        return numpy.dtype(dtype)
    if isinstance(source, (ArrayBase, BaseSparseNDArray, numpy.ndarray)):
        return source.dtype
    return _F32


def _raw(x: Any, ctx: Context, dtype: Any = None, copy: bool = False) -> Any:
    """Any array-like as a raw array of ``ctx`` with ``dtype``: never sharing memory with ``x``
    when ``copy`` (components), else copied only when moved or cast (dense sources)."""
    if isinstance(x, ArrayBase):
        x = x._data
    elif not hasattr(x, "__cuda_array_interface__"):
        x = numpy.asarray(x)
    moved = _move(x, ctx)
    return moved.astype(moved.dtype if dtype is None else dtype, copy=copy and moved is x)


def _is_shape(arg: Any) -> bool:
    return isinstance(arg, tuple) and all(isinstance(s, numbers.Integral) for s in arg)


def _converted(arg1: BaseSparseNDArray, ctx: Context, dtype: Any):
    """A copy of a sparse array on ``ctx`` with ``dtype``."""
    return arg1.copyto(ctx).astype(_dtype_of(arg1, dtype), copy=False)


def csr_matrix(arg1: Any, shape: Any = None, ctx: Any = None, dtype: Any = None) -> CSRNDArray:
    """A CSRNDArray from ``(data, indices, indptr)``, ``(data, (row, col))`` triplets, a shape
    ``(M, N)`` (all zeros), a dense 2-d array (NDArray, NumPy, nested lists), a CSRNDArray or a
    SciPy sparse matrix."""
    context = _context(ctx)
    xp = context.xp
    dt = _dtype_of(arg1, dtype)
    if isinstance(arg1, CSRNDArray):
        return _converted(arg1, context, dtype)
    if hasattr(arg1, "tocsr"):  # SciPy sparse
        mat = arg1.tocsr()
        if not mat.has_canonical_format:
            mat = mat.copy()
            mat.sum_duplicates()
        arg1 = (mat.data, mat.indices, mat.indptr)
        shape = mat.shape if shape is None else shape
    if _is_shape(arg1) and len(arg1) == 2:
        shape = arg1
        arg1 = (
            numpy.zeros(0, dt),
            numpy.zeros(0, _sp.INDEX_DTYPE),
            numpy.zeros(shape[0] + 1, _sp.INDEX_DTYPE),
        )
    if isinstance(arg1, tuple) and len(arg1) == 2 and isinstance(arg1[1], tuple):
        data = _raw(arg1[0], context, dt)  # csr_from_coo builds new arrays
        row, col = (_raw(a, context, _sp.INDEX_DTYPE) for a in arg1[1])
        if shape is None:
            shape = (int(row.max()) + 1 if row.size else 0, int(col.max()) + 1 if col.size else 0)
        parts = _sp.csr_from_coo(xp, data, row, col, tuple(shape))
    elif isinstance(arg1, tuple) and len(arg1) == 3:
        data, indices, indptr = arg1
        parts = (
            _raw(data, context, dt, copy=True),
            _raw(indices, context, _sp.INDEX_DTYPE, copy=True),
            _raw(indptr, context, _sp.INDEX_DTYPE, copy=True),
        )
        if shape is None:
            idx = parts[1]
            shape = (parts[2].shape[0] - 1, int(idx.max()) + 1 if idx.size else 0)
    else:
        dense = _raw(arg1, context, dt)
        if dense.ndim != 2:
            raise errors.MXNetValueError(f"csr_matrix needs a 2-d array, got shape {dense.shape}")
        parts = _sp.csr_from_dense(xp, dense)
        shape = dense.shape if shape is None else shape
    out = CSRNDArray._make(context, tuple(shape), *parts)
    out.check_format(full_check=False)
    return out


def row_sparse_array(
    arg1: Any, shape: Any = None, ctx: Any = None, dtype: Any = None
) -> RowSparseNDArray:
    """A RowSparseNDArray from ``(data, indices)`` (row ``indices[i]`` holds ``data[i]``;
    unsorted or repeated indices are sorted and summed), a shape (all zeros), a dense array or
    a RowSparseNDArray."""
    context = _context(ctx)
    xp = context.xp
    dt = _dtype_of(arg1, dtype)
    if isinstance(arg1, RowSparseNDArray):
        return _converted(arg1, context, dtype)
    if _is_shape(arg1):
        parts = (xp.zeros((0,) + arg1[1:], dt), xp.zeros(0, _sp.INDEX_DTYPE))
        shape = arg1
    elif isinstance(arg1, tuple) and len(arg1) == 2:
        data = _raw(arg1[0], context, dt, copy=True)
        indices = _raw(arg1[1], context, _sp.INDEX_DTYPE, copy=True)
        if data.ndim == 0 or indices.shape != data.shape[:1]:
            raise errors.MXNetValueError(
                f"row_sparse_array: data of shape {data.shape} needs one row index per row, "
                f"got indices of shape {indices.shape}"
            )
        if indices.size > 1 and not bool(xp.all(indices[1:] > indices[:-1])):
            data, indices = _sp.rsp_from_rows(xp, indices, data)
        if shape is None:
            shape = (int(indices[-1]) + 1 if indices.size else 0,) + data.shape[1:]
        parts = (data, indices)
    else:
        dense = _raw(arg1, context, dt)
        if dense.ndim == 0:
            raise errors.MXNetValueError("row_sparse_array needs an array of at least 1 axis")
        parts = _sp.rsp_from_dense(xp, dense)
        shape = dense.shape if shape is None else shape
    out = RowSparseNDArray._make(context, tuple(shape), *parts)
    out.check_format(full_check=False)
    return out


def zeros(stype: str, shape: Any, ctx: Any = None, dtype: Any = None, **kwargs: Any):
    """All zeros in storage type ``stype`` (no stored values for sparse types)."""
    shape = (int(shape),) if isinstance(shape, numbers.Integral) else tuple(shape)
    dtype = _F32 if dtype is None else dtype
    if stype == "default":
        return _dense_zeros(shape, ctx=ctx, dtype=dtype)
    if stype == "csr":
        return csr_matrix(shape, ctx=ctx, dtype=dtype)
    if stype == "row_sparse":
        return row_sparse_array(shape, ctx=ctx, dtype=dtype)
    raise errors.MXNetValueError(f"unknown storage type {stype!r}; use one of {_STYPES}")


def empty(stype: str, shape: Any, ctx: Any = None, dtype: Any = None):
    """A sparse array of ``shape`` with no stored values (the same as :func:`zeros`)."""
    return zeros(stype, shape, ctx=ctx, dtype=dtype)


def array(source_array: Any, ctx: Any = None, dtype: Any = None):
    """A sparse copy of a sparse array or SciPy matrix (CSR, or row-sparse for a
    RowSparseNDArray)."""
    if isinstance(source_array, RowSparseNDArray):
        return row_sparse_array(source_array, ctx=ctx, dtype=dtype)
    if isinstance(source_array, CSRNDArray) or hasattr(source_array, "tocsr"):
        return csr_matrix(source_array, ctx=ctx, dtype=dtype)
    raise errors.MXNetTypeError(
        f"sparse.array expects a sparse array or a SciPy sparse matrix, got "
        f"{type(source_array).__name__}; use csr_matrix or row_sparse_array for dense input"
    )


# ---- storage conversion -------------------------------------------------------------------------
def tostype(arr: Any, stype: str):
    """``arr`` in storage type ``stype``: 'default' (dense NDArray), 'csr' (2-d only) or
    'row_sparse'. An array already of that type is returned as is."""
    if stype not in _STYPES:
        raise errors.MXNetValueError(f"unknown storage type {stype!r}; use one of {_STYPES}")
    current = getattr(arr, "stype", "default")
    if stype == current:
        return arr
    if current != "default":
        arr = default_array_class()._wrap(arr._dense(), arr._ctx)
        if stype == "default":
            return arr
    make = csr_matrix if stype == "csr" else row_sparse_array
    return make(arr, ctx=arr.context)


def cast_storage(data: Any, stype: str, **kwargs: Any):
    """MXNet's operator name for :func:`tostype`."""
    return tostype(data, stype)


def dense_to_row_sparse(grad: Any) -> RowSparseNDArray:
    """The rows of a dense gradient that hold a nonzero, as a RowSparseNDArray."""
    return tostype(grad, "row_sparse")


def row_sparse_from_rows(indices: Any, values: Any, shape: Any) -> RowSparseNDArray:
    """``values[i]`` added into row ``indices[i]`` of a ``shape`` array, as a RowSparseNDArray
    (duplicate rows summed): the weight gradient of an embedding lookup, with no dense
    (vocabulary, dim) buffer. ``values`` has shape ``indices.shape + shape[1:]``."""
    ctx = values.context
    idx = _raw(indices, ctx, _sp.INDEX_DTYPE)
    data, rows = _sp.rsp_from_rows(ctx.xp, idx, _raw(values, ctx))
    return RowSparseNDArray._make(ctx, tuple(shape), data, rows)


# ---- operators ----------------------------------------------------------------------------------
def _dense_operand(x: Any):
    return tostype(x, "default") if isinstance(x, BaseSparseNDArray) else x


def _csr_parts(csr: CSRNDArray) -> tuple:
    cls = default_array_class()
    return tuple(cls._wrap(p, csr._ctx) for p in (csr._values, csr._indices, csr._indptr))


def _csr_times(csr: CSRNDArray, dense: Any, transpose: bool):
    """op(csr) @ dense for a 1-d or 2-d dense operand, through the csr_dot primitive."""
    k = csr.shape[0] if transpose else csr.shape[1]
    if dense.ndim not in (1, 2) or dense.shape[0] != k:
        raise errors.ShapeError(
            f"dot: a CSR matrix of shape {csr.shape}{' (transposed)' if transpose else ''} "
            f"cannot multiply an operand of shape {tuple(dense.shape)}: its first axis must "
            f"be {k}\n  called from {errors.user_frame()}"
        )
    b = P.reshape(dense, newshape=(k, 1)) if dense.ndim == 1 else dense
    out = P.csr_dot(b, *_csr_parts(csr), shape=csr.shape, transpose_a=transpose)
    return P.reshape(out, newshape=(out.shape[0],)) if dense.ndim == 1 else out


def dot(
    lhs: Any,
    rhs: Any,
    transpose_a: bool = False,
    transpose_b: bool = False,
    forward_stype: str | None = None,
):
    """``dot`` with a CSR operand: ``csr @ dense``, ``csr.T @ dense`` or ``dense @ csr``
    (gradients flow to the dense operand). The result is dense unless ``forward_stype`` asks
    otherwise; other sparse combinations are computed densely."""
    if isinstance(lhs, CSRNDArray) and not isinstance(rhs, BaseSparseNDArray):
        b = P.transpose(rhs) if transpose_b else rhs
        out = _csr_times(lhs, b, transpose_a)
    elif isinstance(rhs, CSRNDArray) and not isinstance(lhs, BaseSparseNDArray) and lhs.ndim == 2:
        a = P.transpose(lhs) if transpose_a else lhs  # a @ op(B) = (op(B).T @ a.T).T
        out = P.transpose(_csr_times(rhs, P.transpose(a), not transpose_b))
    else:
        from .mx_linalg import dot as dense_dot

        out = dense_dot(_dense_operand(lhs), _dense_operand(rhs), transpose_a, transpose_b)
    return out if forward_stype in (None, "default") else tostype(out, forward_stype)


def add(lhs: Any, rhs: Any):
    """Elementwise sum: row-sparse + row-sparse stays row-sparse (the union of the rows), CSR +
    CSR stays CSR; any other mix gives a dense NDArray."""
    same = getattr(lhs, "stype", None) == getattr(rhs, "stype", None)
    if same and isinstance(lhs, BaseSparseNDArray):
        if lhs.shape != rhs.shape:
            raise errors.ShapeError(f"sparse add: shapes differ, {lhs.shape} and {rhs.shape}")
        xp, rhs = lhs._ctx.xp, rhs.as_in_context(lhs._ctx)
        values = xp.concatenate([lhs._values, rhs._values.astype(lhs.dtype)])
        indices = xp.concatenate([lhs._indices, rhs._indices])
        if isinstance(lhs, RowSparseNDArray):
            parts = _sp.rsp_from_rows(xp, indices, values)
        else:
            rows = xp.concatenate([_sp.row_ids(xp, a._indptr) for a in (lhs, rhs)])
            parts = _sp.csr_from_coo(xp, values, rows, indices, lhs.shape)
        return type(lhs)._make(lhs._ctx, lhs.shape, *parts)
    return P.add(_dense_operand(lhs), _dense_operand(rhs))


elemwise_add = add


def retain(data: RowSparseNDArray, indices: Any) -> RowSparseNDArray:
    """The rows of a row-sparse array whose index is in ``indices``; the others become 0."""
    if not isinstance(data, RowSparseNDArray):
        raise errors.MXNetTypeError(f"retain needs a RowSparseNDArray, got {type(data).__name__}")
    xp = data._ctx.xp
    keep = xp.isin(data._indices, _raw(indices, data._ctx, _sp.INDEX_DTYPE))
    return RowSparseNDArray._make(data._ctx, data.shape, data._values[keep], data._indices[keep])
