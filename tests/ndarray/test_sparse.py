"""nd.sparse: construction from every input form, dense round trips, dot against the dense
product (with and without SciPy), gradients to the dense operand, row-sparse helpers, and
save/load of sparse arrays."""

import pickle

import numpy as np
import pytest
import scipy.sparse as ss

import gluonlite as gl
from gluonlite import autograd, errors, nd
from gluonlite.ndarray import sparse
from gluonlite.ops import sparse as ops_sparse

RNG = np.random.default_rng(0)


def _random_matrix(m, n, density=0.4, dtype=np.float32):
    a = RNG.standard_normal((m, n)).astype(dtype)
    a[RNG.random((m, n)) > density] = 0
    if m > 2:
        a[1] = 0  # an empty row
    return a


def _check_csr(c, dense):
    ref = ss.csr_matrix(dense)
    assert c.stype == "csr" and c.shape == dense.shape
    np.testing.assert_array_equal(c.asnumpy(), dense)
    np.testing.assert_array_equal(c.data.asnumpy(), ref.data)
    np.testing.assert_array_equal(c.indices.asnumpy(), ref.indices)
    np.testing.assert_array_equal(c.indptr.asnumpy(), ref.indptr)
    assert c.indices.dtype == np.int64 and c.indptr.dtype == np.int64
    c.check_format()


# ---- construction -------------------------------------------------------------------------------
def test_csr_from_every_input_form():
    a = _random_matrix(5, 7)
    ref = ss.csr_matrix(a)
    _check_csr(sparse.csr_matrix((ref.data, ref.indices, ref.indptr), shape=(5, 7)), a)
    _check_csr(sparse.csr_matrix(nd.array(a)), a)
    _check_csr(sparse.csr_matrix(a), a)
    _check_csr(sparse.csr_matrix(a.tolist()), a)
    _check_csr(sparse.csr_matrix(ref), a)
    _check_csr(sparse.csr_matrix(ref.tocoo()), a)
    _check_csr(sparse.csr_matrix(sparse.csr_matrix(a)), a)
    coo = ref.tocoo()
    _check_csr(sparse.csr_matrix((coo.data, (coo.row, coo.col)), shape=(5, 7)), a)
    inferred = sparse.csr_matrix(([1.0, 2.0], [3, 0], [0, 1, 1, 2]))
    assert inferred.shape == (3, 4)
    empty = sparse.csr_matrix((3, 4))
    assert empty.shape == (3, 4) and empty.data.shape == (0,) and empty.asnumpy().sum() == 0


def test_csr_coo_duplicates_are_summed_and_sorted():
    c = sparse.csr_matrix(([1.0, 2.0, 3.0, 4.0], ([1, 0, 1, 1], [2, 1, 0, 2])), shape=(2, 3))
    np.testing.assert_array_equal(c.asnumpy(), [[0, 2, 0], [3, 0, 5]])
    np.testing.assert_array_equal(c.indices.asnumpy(), [1, 0, 2])


def test_csr_dtype_rules():
    assert sparse.csr_matrix([[1, 0], [0, 2]]).dtype == np.float32
    assert sparse.csr_matrix(np.eye(2)).dtype == np.float64
    assert sparse.csr_matrix(np.eye(2), dtype="float16").dtype == np.float16
    assert sparse.csr_matrix(nd.array(np.eye(2), dtype="int32")).dtype == np.int32


def test_row_sparse_forms():
    dense = np.zeros((6, 3), np.float32)
    dense[[1, 4]] = [[1, 2, 3], [4, 5, 6]]
    r = sparse.row_sparse_array(dense)
    assert r.stype == "row_sparse" and r.shape == (6, 3)
    np.testing.assert_array_equal(r.indices.asnumpy(), [1, 4])
    np.testing.assert_array_equal(r.asnumpy(), dense)
    r2 = sparse.row_sparse_array((dense[[1, 4]], [1, 4]), shape=(6, 3))
    np.testing.assert_array_equal(r2.asnumpy(), dense)
    unsorted = sparse.row_sparse_array(([[1.0], [2.0], [3.0]], [4, 1, 4]))
    assert unsorted.shape == (5, 1)
    np.testing.assert_array_equal(unsorted.indices.asnumpy(), [1, 4])
    np.testing.assert_array_equal(unsorted.data.asnumpy(), [[2.0], [4.0]])
    z = sparse.row_sparse_array((4, 2))
    assert z.shape == (4, 2) and z.data.shape == (0, 2)
    np.testing.assert_array_equal(sparse.row_sparse_array(r).asnumpy(), dense)


def test_zeros_empty_array():
    assert sparse.zeros("csr", (3, 4)).asnumpy().shape == (3, 4)
    assert sparse.zeros("row_sparse", (3, 4), dtype="float64").dtype == np.float64
    assert isinstance(sparse.zeros("default", (2,)), nd.NDArray)
    assert sparse.empty("csr", (2, 2)).stype == "csr"
    assert sparse.array(ss.eye(3)).stype == "csr"
    with pytest.raises(errors.MXNetValueError, match="storage type"):
        sparse.zeros("coo", (2, 2))
    with pytest.raises(errors.MXNetTypeError, match="csr_matrix"):
        sparse.array(np.eye(2))


# ---- conversions --------------------------------------------------------------------------------
def test_tostype_round_trips():
    a = _random_matrix(4, 6)
    x = nd.array(a)
    c = sparse.tostype(x, "csr")
    _check_csr(c, a)
    back = c.tostype("default")
    assert isinstance(back, nd.NDArray) and back.stype == "default"
    np.testing.assert_array_equal(back.asnumpy(), a)
    r = sparse.tostype(x, "row_sparse")
    np.testing.assert_array_equal(r.asnumpy(), a)
    np.testing.assert_array_equal(c.tostype("row_sparse").asnumpy(), a)
    np.testing.assert_array_equal(r.tostype("csr").asnumpy(), a)
    assert sparse.tostype(x, "default") is x and c.tostype("csr") is c
    np.testing.assert_array_equal(np.asarray(c), a)
    np.testing.assert_array_equal(c.asscipy().toarray(), a)
    with pytest.raises(errors.MXNetValueError, match="2-d"):
        sparse.tostype(nd.ones((2, 2, 2)), "csr")


def test_copy_astype_context_slice_pickle():
    a = _random_matrix(5, 3)
    c = sparse.csr_matrix(a)
    d = c.copy()
    d._values[:] = 0
    np.testing.assert_array_equal(c.asnumpy(), a)
    assert c.astype("float64").dtype == np.float64
    assert c.as_in_context(gl.cpu(0)) is c
    np.testing.assert_array_equal(c[1:4].asnumpy(), a[1:4])
    np.testing.assert_array_equal(c[2].asnumpy(), a[2:3])
    np.testing.assert_array_equal(c[-1].asnumpy(), a[-1:])
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(c)).asnumpy(), a)
    assert "CSRNDArray 5x3 @cpu(0)" in repr(c)
    with pytest.raises(errors.MXNetIndexError):
        c[::2]


def test_check_format_rejects_bad_components():
    with pytest.raises(errors.MXNetValueError, match="indptr"):
        sparse.csr_matrix(([1.0], [0], [0, 2]), shape=(1, 2))
    bad = sparse.csr_matrix(([1.0, 2.0], [1, 0], [0, 2]), shape=(1, 2))  # unsorted row
    with pytest.raises(errors.MXNetValueError, match="sorted"):
        bad.check_format()
    with pytest.raises(errors.MXNetValueError, match="row index"):
        sparse.row_sparse_array(([[1.0]], [0, 1]))


# ---- dot ----------------------------------------------------------------------------------------
CASES = [(5, 7, 3), (1, 1, 1), (6, 4, 1), (3, 8, 5)]


@pytest.mark.parametrize("no_scipy", [False, True])
@pytest.mark.parametrize("m,n,p", CASES)
def test_dot_matches_dense(monkeypatch, no_scipy, m, n, p):
    if no_scipy:
        monkeypatch.setitem(ops_sparse._backends, "numpy", None)
    a = _random_matrix(m, n, dtype=np.float64)
    c = sparse.csr_matrix(a)
    b = RNG.standard_normal((n, p))
    bt = RNG.standard_normal((m, p))
    np.testing.assert_allclose(sparse.dot(c, nd.array(b, dtype="float64")).asnumpy(), a @ b)
    got = sparse.dot(c, nd.array(bt, dtype="float64"), transpose_a=True).asnumpy()
    np.testing.assert_allclose(got, a.T @ bt)
    got = sparse.dot(c, nd.array(b.T.copy(), dtype="float64"), transpose_b=True).asnumpy()
    np.testing.assert_allclose(got, a @ b)
    vec = sparse.dot(c, nd.array(b[:, 0], dtype="float64"))
    assert vec.shape == (m,)
    np.testing.assert_allclose(vec.asnumpy(), a @ b[:, 0])
    lhs = RNG.standard_normal((p, m))
    np.testing.assert_allclose(sparse.dot(nd.array(lhs, dtype="float64"), c).asnumpy(), lhs @ a)
    got = sparse.dot(nd.array(lhs.T.copy(), dtype="float64"), c, transpose_a=True)
    np.testing.assert_allclose(got.asnumpy(), lhs @ a)
    empty = sparse.csr_matrix((m, n), dtype="float64")
    assert not sparse.dot(empty, nd.array(b, dtype="float64")).asnumpy().any()


def test_dot_dtypes_and_nd_dot_routing():
    a = _random_matrix(4, 5)
    b = RNG.standard_normal((5, 2)).astype(np.float32)
    out = nd.dot(sparse.csr_matrix(a), nd.array(b))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.asnumpy(), a @ b, rtol=1e-5)
    half = sparse.dot(sparse.csr_matrix(a, dtype="float16"), nd.array(b, dtype="float16"))
    assert half.dtype == np.float16
    np.testing.assert_allclose(
        half.asnumpy(), a.astype(np.float16) @ b.astype(np.float16), rtol=2e-2, atol=2e-2
    )
    rsp = sparse.dot(sparse.csr_matrix(a), nd.array(b), forward_stype="row_sparse")
    assert rsp.stype == "row_sparse"
    with pytest.raises(errors.ShapeError, match="first axis must be 5"):
        sparse.dot(sparse.csr_matrix(a), nd.ones((4, 2)))


def test_dot_gradient_to_dense_matches_finite_differences():
    a = _random_matrix(4, 5, dtype=np.float64)
    c = sparse.csr_matrix(a)
    for transpose, wshape in ((False, (5, 3)), (True, (4, 3))):
        w0 = RNG.standard_normal(wshape)
        h = RNG.standard_normal((5 if transpose else 4, 3))
        w = nd.array(w0, dtype="float64")
        w.attach_grad()
        with autograd.record():
            y = sparse.dot(c, w, transpose_a=transpose)
        y.backward(nd.array(h, dtype="float64"))
        at = a.T if transpose else a
        np.testing.assert_allclose(w.grad.asnumpy(), at.T @ h, rtol=1e-12)
        eps, numeric = 1e-6, np.zeros_like(w0)
        for idx in np.ndindex(w0.shape):
            plus, minus = w0.copy(), w0.copy()
            plus[idx] += eps
            minus[idx] -= eps
            numeric[idx] = (((at @ plus) * h).sum() - ((at @ minus) * h).sum()) / (2 * eps)
        np.testing.assert_allclose(w.grad.asnumpy(), numeric, rtol=1e-6, atol=1e-8)


# ---- row-sparse helpers and add -----------------------------------------------------------------
def test_row_sparse_from_rows_matches_scatter_add():
    idx = np.array([[3, 1], [3, 0]])
    vals = RNG.standard_normal((2, 2, 4)).astype(np.float32)
    r = sparse.row_sparse_from_rows(nd.array(idx, dtype="int64"), nd.array(vals), (6, 4))
    expected = np.zeros((6, 4), np.float32)
    np.add.at(expected, idx.reshape(-1), vals.reshape(-1, 4))
    np.testing.assert_allclose(r.asnumpy(), expected, rtol=1e-6)
    np.testing.assert_array_equal(r.indices.asnumpy(), [0, 1, 3])
    g = nd.array(expected)
    d = sparse.dense_to_row_sparse(g)
    np.testing.assert_array_equal(d.indices.asnumpy(), [0, 1, 3])


def test_add_and_retain():
    a = np.zeros((5, 2), np.float32)
    b = np.zeros((5, 2), np.float32)
    a[[0, 3]] = 1
    b[[3, 4]] = 2
    ra, rb = sparse.row_sparse_array(a), sparse.row_sparse_array(b)
    s = sparse.add(ra, rb)
    assert s.stype == "row_sparse"
    np.testing.assert_array_equal(s.asnumpy(), a + b)
    np.testing.assert_array_equal(s.indices.asnumpy(), [0, 3, 4])
    ca, cb = sparse.csr_matrix(a), sparse.csr_matrix(b)
    cs = ca + cb
    assert cs.stype == "csr"
    _check_csr(cs, a + b)
    mixed = nd.array(b) + ca
    assert isinstance(mixed, nd.NDArray)
    np.testing.assert_array_equal(mixed.asnumpy(), a + b)
    kept = sparse.retain(s, nd.array([3, 4], dtype="int64"))
    np.testing.assert_array_equal(kept.indices.asnumpy(), [3, 4])
    np.testing.assert_array_equal(kept.asnumpy()[3:], (a + b)[3:])
    with pytest.raises(errors.ShapeError):
        sparse.add(ra, sparse.row_sparse_array(np.zeros((4, 2))))


# ---- save / load --------------------------------------------------------------------------------
def test_save_load_sparse(tmp_path):
    a = _random_matrix(4, 6)
    r = np.zeros((5, 3), np.float64)
    r[2] = [1, 2, 3]
    path = tmp_path / "sparse.params"
    nd.save(path, {"c": sparse.csr_matrix(a), "r": sparse.row_sparse_array(r), "d": nd.ones(2)})
    out = nd.load(path)
    assert out["c"].stype == "csr" and out["r"].stype == "row_sparse"
    _check_csr(out["c"], a)
    np.testing.assert_array_equal(out["r"].asnumpy(), r)
    assert out["r"].dtype == np.float64
    np.testing.assert_array_equal(out["d"].asnumpy(), [1, 1])
    nd.save(path, [sparse.zeros("csr", (2, 3)), sparse.zeros("row_sparse", (3,))])
    empty_csr, empty_rsp = nd.load(path)
    assert empty_csr.shape == (2, 3) and empty_rsp.shape == (3,)


def test_copyto_into_sparse_keeps_target_dtype():
    src = sparse.csr_matrix(np.eye(2))
    dst = sparse.zeros("csr", (2, 2), dtype="float32")
    assert src.copyto(dst) is dst and dst.dtype == np.float32
    np.testing.assert_array_equal(dst.asnumpy(), np.eye(2))
    with pytest.raises(errors.MXNetValueError, match="cannot copy"):
        src.copyto(sparse.zeros("row_sparse", (2, 2)))


def test_components_are_copied_from_the_source():
    data, indices, indptr = nd.array([1.0, 2.0]), nd.array([0, 1], dtype="int64"), [0, 1, 2]
    c = sparse.csr_matrix((data, indices, indptr), shape=(2, 2))
    data += 10
    np.testing.assert_array_equal(c.asnumpy(), np.eye(2) * [1, 2])
    values = np.ones((1, 2), np.float32)
    r = sparse.row_sparse_array((values, [1]), shape=(3, 2))
    values[:] = 5
    assert r.asnumpy().max() == 1
