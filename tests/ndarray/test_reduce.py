"""MXNet's reductions (ndarray/mx_reduce.py): (1,)-shaped full reductions, exclude, float32
argmax, norm, mean/var/std, logsumexp stability, cumsum, and the gradients of max/min ties and
prod with zeros."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import gluonlite as gl
from gluonlite import autograd, nd

X = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7.0 - 1.0


def _close(a, b, **kw):
    np.testing.assert_allclose(a.asnumpy(), b, **kw)


REDUCTIONS = [
    (nd.sum, np.sum),
    (nd.mean, np.mean),
    (nd.max, np.max),
    (nd.min, np.min),
    (nd.prod, np.prod),
    (nd.nansum, np.nansum),
    (nd.nanprod, np.nanprod),
    (nd.var, np.var),
    (nd.std, np.std),
]


@pytest.mark.parametrize("fn, ref", REDUCTIONS, ids=lambda f: getattr(f, "__name__", ""))
def test_full_reduction_has_shape_1(fn, ref):
    got = fn(nd.array(X))
    assert got.shape == (1,)
    assert got.dtype == np.float32
    _close(got, [ref(X)], rtol=1e-5)
    assert fn(nd.array(X), keepdims=True).shape == (1, 1, 1)


@pytest.mark.parametrize("fn, ref", REDUCTIONS, ids=lambda f: getattr(f, "__name__", ""))
@given(
    axis=st.one_of(
        st.integers(-3, 2), st.lists(st.integers(0, 2), min_size=1, max_size=3, unique=True)
    ),
    keepdims=st.booleans(),
    exclude=st.booleans(),
)
def test_axis_keepdims_exclude(fn, ref, axis, keepdims, exclude):
    axes = (axis % 3,) if isinstance(axis, int) else tuple(sorted(axis))
    np_axes = tuple(a for a in range(3) if a not in axes) if exclude else axes
    want = ref(X, axis=np_axes, keepdims=keepdims)
    want = want.reshape(1) if want.ndim == 0 else want
    arg = axis if isinstance(axis, int) else tuple(axis)
    got = fn(nd.array(X), axis=arg, keepdims=keepdims, exclude=exclude)
    assert got.shape == want.shape
    _close(got, want, rtol=1e-5, atol=1e-6)


def test_reduction_methods_and_bad_axis():
    a = nd.array(X)
    assert a.sum().shape == (1,)
    _close(a.mean(axis=1), X.mean(axis=1), rtol=1e-6)
    _close(a.max(axis=(0, 2)), X.max(axis=(0, 2)))
    _close(a.nansum(), [X.sum()], rtol=1e-5)
    with pytest.raises(gl.MXNetError, match="axis 3"):
        nd.sum(a, axis=3)


def test_nan_reductions_skip_nans():
    a = nd.array([[1.0, np.nan], [2.0, 3.0]])
    _close(nd.nansum(a, axis=1), [1.0, 5.0])
    _close(nd.nanprod(a, axis=1), [1.0, 6.0])


def test_argmax_argmin_return_float32():
    a = nd.array([[0.0, 3.0, 3.0], [5.0, 4.0, -1.0]])
    got = nd.argmax(a, axis=1)
    assert got.dtype == np.float32
    _close(got, [1, 0])
    _close(a.argmin(axis=0), [0, 0, 1])
    assert a.argmax(axis=1, keepdims=True).shape == (2, 1)
    flat = nd.argmax(a)
    assert flat.shape == (1,) and flat.dtype == np.float32
    _close(flat, [3])
    _close(nd.argmax_channel(a), [1, 0])
    _close(a.argmax_channel(), [1, 0])
    with pytest.raises(gl.MXNetError, match="one int"):
        nd.argmax(a, axis=(0, 1))
    with pytest.raises(gl.MXNetError, match="out of range"):
        nd.argmin(a, axis=2)


def test_norm():
    a = nd.array(X)
    got = nd.norm(a)
    assert got.shape == (1,)
    _close(got, [np.sqrt((X**2).sum())], rtol=1e-6)
    _close(a.norm(ord=1, axis=1), np.abs(X).sum(axis=1), rtol=1e-6)
    _close(nd.norm(a, axis=(1, 2), keepdims=True), np.sqrt((X**2).sum((1, 2), keepdims=True)))
    with pytest.raises(gl.MXNetError, match="ord"):
        nd.norm(a, ord=3)


def test_norm_gradient():
    x = nd.array([3.0, -4.0], dtype="float64")
    x.attach_grad()
    with autograd.record():
        y = nd.norm(x)
    y.backward()
    _close(x.grad, [0.6, -0.8])


@given(hnp.arrays(np.float64, (2, 3), elements=st.floats(-5, 5)), st.sampled_from([None, 0, 1]))
def test_logsumexp_matches_scipy_and_its_gradient_is_softmax(xv, axis):
    from scipy.special import logsumexp, softmax

    x = nd.array(xv, dtype="float64")
    x.attach_grad()
    with autograd.record():
        y = nd.logsumexp(x, axis=axis)
    y.backward()
    want = np.atleast_1d(logsumexp(xv, axis=axis))
    _close(y, want, rtol=1e-12)
    _close(x.grad, softmax(xv, axis=axis), rtol=1e-10, atol=1e-14)


def test_logsumexp_is_stable():
    x = nd.array([[1000.0, 1000.0], [-1000.0, -1000.0]])
    x.attach_grad()
    with autograd.record():
        y = nd.logsumexp(x, axis=1)
    y.backward()
    _close(y, [1000 + np.log(2), -1000 + np.log(2)], rtol=1e-6)
    _close(x.grad, np.full((2, 2), 0.5))
    assert np.isfinite(nd.logsumexp(nd.array([-np.inf, 0.0])).asnumpy()).all()


def test_mean_var_std_gradients():
    xv = np.array([[1.0, 2.0, 4.0], [0.0, -1.0, 3.0]])
    x = nd.array(xv, dtype="float64")
    x.attach_grad()
    with autograd.record():
        y = nd.var(x, axis=1)
    y.backward()
    _close(x.grad, 2 * (xv - xv.mean(1, keepdims=True)) / 3)
    with autograd.record():
        y = nd.std(x, axis=1)
    y.backward()
    _close(x.grad, (xv - xv.mean(1, keepdims=True)) / 3 / xv.std(1, keepdims=True))
    _close(nd.var(x, axis=1, ddof=1), xv.var(1, ddof=1))


def test_max_gradient_splits_among_ties():
    x = nd.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    x.attach_grad()
    with autograd.record():
        y = nd.max(x, axis=1)
    y.backward()
    _close(x.grad, [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    with autograd.record():
        y = nd.min(x)
    y.backward()
    _close(x.grad, [[1, 0, 0], [0, 0, 0]])


def test_prod_gradient_with_zeros_is_exact():
    xv = np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 5.0], [1.5, 2.0, 4.0]])
    x = nd.array(xv, dtype="float64")
    x.attach_grad()
    with autograd.record():
        y = nd.prod(x, axis=1)
    y.backward()
    _close(x.grad, [[0, 6, 0], [0, 0, 0], [8, 6, 3]])


def test_prod_second_derivative():
    x = nd.array([2.0, 3.0, 5.0], dtype="float64")
    x.attach_grad()
    with autograd.record():
        (g,) = autograd.grad(nd.prod(x), [x], create_graph=True)
        z = nd.sum(g * nd.array([1.0, 0.0, 0.0], dtype="float64"))  # d prod / d x0
    z.backward()
    _close(g, [15, 10, 6])
    _close(x.grad, [0, 5, 3])


def test_cumsum():
    a = nd.array(X)
    _close(nd.cumsum(a, axis=1), np.cumsum(X, axis=1), rtol=1e-6)
    _close(nd.cumsum(a), np.cumsum(X), rtol=1e-5, atol=1e-5)
    assert nd.cumsum(a, axis=0, dtype="float64").dtype == np.float64
    x = nd.array([1.0, 2.0, 3.0])
    x.attach_grad()
    with autograd.record():
        y = nd.cumsum(x, dtype="float64")
    y.backward(nd.array([1.0, 10.0, 100.0], dtype="float64"))
    assert x.grad.dtype == np.float32
    _close(x.grad, [111, 110, 100])
