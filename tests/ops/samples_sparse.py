"""Samples for the sparse primitive ``csr_dot`` (ops/sparse.py): the CSR components are built
here with NumPy alone, the reference is the dense product, and the gradient goes to the dense
operand."""

import numpy as np
from hypothesis import strategies as st

from .sampling import floats, sample


def _components(a: np.ndarray):
    rows, cols = np.nonzero(a)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=a.shape[0]))])
    return a[rows, cols], cols.astype(np.int64), indptr.astype(np.int64)


def _dense_of(data, indices, indptr, shape):
    a = np.zeros(shape)
    for i in range(shape[0]):
        sl = slice(indptr[i], indptr[i + 1])
        a[i, indices[sl]] = data[sl]
    return a


def _ref(dense, data, indices, indptr, shape, transpose_a=False):
    a = _dense_of(data, indices, indptr, shape)
    return (a.T if transpose_a else a) @ dense


@sample("csr_dot", _ref, wrt=(0,))
def _csr_dot(draw):
    m, n, p = (draw(st.integers(1, 4)) for _ in range(3))
    a = floats(draw, (m, n))
    a[np.abs(a) < 0.8] = 0.0  # about 40% stored entries, empty rows included
    transpose_a = draw(st.booleans())
    dense = floats(draw, (m if transpose_a else n, p))
    return (dense, *_components(a)), {"shape": (m, n), "transpose_a": transpose_a}
