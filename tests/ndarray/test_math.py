"""MXNet's elementwise math (ndarray/mx_math.py): activations, rounding, clip, where,
comparisons in the input's dtype, NDArray operators and methods, and the special-function
fallbacks used without scipy."""

import numpy as np
import pytest
import scipy.special as sp
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import gluonlite as gl
from gluonlite import autograd, nd
from gluonlite.ops import unary

HALVES = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -2.4, 2.6, 0.49999997], dtype=np.float32)


def _close(a, b, **kw):
    np.testing.assert_allclose(a.asnumpy() if hasattr(a, "asnumpy") else a, b, **kw)


# ---- activations --------------------------------------------------------------------------------
@given(hnp.arrays(np.float32, (5,), elements=st.floats(-30, 30, width=32)))
def test_activations_match_numpy(x):
    a = nd.array(x)
    _close(nd.sigmoid(a), 1 / (1 + np.exp(-x.astype(np.float64))), rtol=1e-5, atol=1e-6)
    _close(nd.softsign(a), x / (1 + np.abs(x)), rtol=1e-6)
    _close(nd.relu(a), np.maximum(x, 0))
    _close(a.sigmoid(), nd.sigmoid(a).asnumpy())


def test_sigmoid_is_stable_and_float32():
    y = nd.sigmoid(nd.array([-1000.0, 0.0, 1000.0]))
    assert y.dtype == np.float32
    _close(y, [0.0, 0.5, 1.0])


def test_rsqrt_rcbrt_reciprocal():
    x = nd.array([0.25, 1.0, 8.0])
    _close(nd.rsqrt(x), [2.0, 1.0, 8.0**-0.5], rtol=1e-6)
    _close(x.rcbrt(), [0.25 ** (-1 / 3), 1.0, 0.5], rtol=1e-6)
    _close(x.reciprocal(), [4.0, 1.0, 0.125])


def test_second_derivative_of_sigmoid_and_tanh():
    x = nd.array([-2.0, -0.5, 0.0, 0.7, 3.0], dtype="float64")
    xv = x.asnumpy()
    s = 1 / (1 + np.exp(-xv))
    t = np.tanh(xv)
    for fn, d1, d2 in [
        (nd.sigmoid, s * (1 - s), s * (1 - s) * (1 - 2 * s)),
        (nd.tanh, 1 - t**2, -2 * t * (1 - t**2)),
    ]:
        x.attach_grad()
        with autograd.record():
            (g,) = autograd.grad(fn(x), [x], create_graph=True)
        _close(g, d1, rtol=1e-10)
        g.backward()
        _close(x.grad, d2, rtol=1e-9, atol=1e-12)


def test_special_functions_and_gradients():
    x = nd.array([0.5, 1.5, 3.0], dtype="float64")
    x.attach_grad()
    with autograd.record():
        y = nd.gamma(x)
    y.backward()
    xv = x.asnumpy()
    _close(y, sp.gamma(xv), rtol=1e-12)
    _close(x.grad, sp.gamma(xv) * sp.digamma(xv), rtol=1e-10)
    with autograd.record():
        (g,) = autograd.grad(nd.gammaln(x), [x], create_graph=True)
    g.backward()
    _close(x.grad, sp.polygamma(1, xv), rtol=1e-10)
    _close(nd.erfinv(nd.erf(x * 0.5)), xv * 0.5, rtol=1e-6)


def test_special_fallbacks_without_scipy_match_scipy():
    x = np.linspace(-0.999, 0.999, 101)
    np.testing.assert_allclose(unary._FALLBACKS["erf"](x), sp.erf(x), rtol=1e-14)
    np.testing.assert_allclose(unary._FALLBACKS["erfinv"](x), sp.erfinv(x), rtol=1e-12)
    pos = np.linspace(0.1, 5.0, 50)
    np.testing.assert_allclose(unary._FALLBACKS["gamma"](pos), sp.gamma(pos), rtol=1e-12)
    np.testing.assert_allclose(unary._FALLBACKS["gammaln"](pos), sp.gammaln(pos), atol=1e-12)
    out = np.empty(3, np.float32)
    res = unary._FALLBACKS["erf"](np.array([0.1, 0.2, 0.3], np.float32), out=out)
    assert res is out and out.dtype == np.float32
    edges = unary._FALLBACKS["erfinv"](np.array([-1.0, 1.0, 1.5]))
    assert edges[0] == -np.inf and edges[1] == np.inf and np.isnan(edges[2])
    with pytest.raises(gl.MXNetError, match="scipy"):
        unary._FALLBACKS["polygamma"](0, pos)


def test_unary_forwards_write_into_out():
    x = np.array([0.2, 0.5, 0.9])
    for op in gl.ops.all_ops():
        if op.module != "gluonlite.ops.unary" or not op.accepts_out:
            continue
        buf = np.empty_like(x)
        with np.errstate(invalid="ignore"):  # arccosh is nan below 1
            got = op.forward(np, x, out=buf)
            np.testing.assert_array_equal(buf, op.forward(np, x), err_msg=op.name)
        assert got is buf, op.name


# ---- rounding -----------------------------------------------------------------------------------
def test_mxnet_round_goes_half_away_from_zero():
    _close(nd.round(nd.array(HALVES)), [-3, -2, -1, 1, 2, 3, -2, 3, 0])
    _close(nd.array(HALVES).round(), [-3, -2, -1, 1, 2, 3, -2, 3, 0])


def test_mxnet_rint_goes_half_down():
    _close(nd.rint(nd.array(HALVES)), [-3, -2, -1, 0, 1, 2, -2, 3, 0])


def test_floor_ceil_trunc_fix_methods():
    a = nd.array([-1.5, -0.2, 0.2, 1.5])
    _close(a.floor(), [-2, -1, 0, 1])
    _close(a.ceil(), [-1, -0.0, 1, 2])
    _close(a.trunc(), [-1, 0, 0, 1])
    _close(a.fix(), [-1, 0, 0, 1])


# ---- clip and where -----------------------------------------------------------------------------
def test_clip_values_gradient_and_errors():
    x = nd.array([-2.0, -0.5, 0.3, 2.0])
    x.attach_grad()
    with autograd.record():
        y = nd.clip(x, -1, 1)
    y.backward()
    _close(y, [-1, -0.5, 0.3, 1])
    _close(x.grad, [0, 1, 1, 0])
    assert y.dtype == np.float32
    _close(x.clip(0, 1), [0, 0, 0.3, 1])
    with pytest.raises(gl.MXNetError, match="a_min"):
        nd.clip(x, 2, 1)
    with pytest.raises(TypeError, match="numbers"):
        nd.clip(x, "a", 1)


def test_clip_keeps_integer_dtype():
    assert nd.clip(nd.array([1, 5, 9], dtype="int32"), 2, 6).dtype == np.int32


def test_where_with_float_condition_and_gradients():
    cond = nd.array([[1.0, 0.0], [0.0, 2.0]])
    x = nd.array([[1.0, 2.0], [3.0, 4.0]])
    y = nd.array([[-1.0, -2.0], [-3.0, -4.0]])
    x.attach_grad()
    y.attach_grad()
    with autograd.record():
        z = nd.where(cond, x, y)
    z.backward()
    _close(z, [[1, -2], [-3, 4]])
    _close(x.grad, [[1, 0], [0, 1]])
    _close(y.grad, [[0, 1], [1, 0]])
    assert x.grad.dtype == np.float32


def test_where_with_row_condition_selects_rows():
    x = nd.array(np.arange(9).reshape(3, 3))
    z = nd.where(nd.array([1, 0, 1]), x, -x)
    _close(z, [[0, 1, 2], [-3, -4, -5], [6, 7, 8]])


def test_where_gradient_keeps_float16():
    x = nd.array([1.0, 2.0], dtype="float16")
    x.attach_grad()
    with autograd.record():
        z = nd.where(nd.array([1, 0], dtype="float16"), x, 0.0)
    z.backward()
    assert x.grad.dtype == np.float16
    _close(x.grad, [1, 0])


# ---- comparisons and logic ----------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
def test_comparisons_return_input_dtype(dtype):
    a = nd.array([[1, 2, 3]], dtype=dtype)
    b = nd.array([[2], [3]], dtype=dtype)
    an, bn = a.asnumpy(), b.asnumpy()
    for fn, ref in [
        (nd.equal, np.equal),
        (nd.not_equal, np.not_equal),
        (nd.greater, np.greater),
        (nd.greater_equal, np.greater_equal),
        (nd.lesser, np.less),
        (nd.lesser_equal, np.less_equal),
        (nd.broadcast_lesser, np.less),
        (nd.broadcast_logical_and, np.logical_and),
        (nd.logical_or, np.logical_or),
        (nd.logical_xor, np.logical_xor),
    ]:
        got = fn(a, b)
        assert got.dtype == np.dtype(dtype), fn.__name__
        _close(got, ref(an, bn).astype(dtype), err_msg=fn.__name__)
    assert nd.logical_not(a).dtype == np.dtype(dtype)
    _close(nd.logical_not(nd.array([0, 2])), [1, 0])


def test_comparison_operators_with_scalars_on_both_sides():
    x = nd.array([1.0, 2.0, 3.0])
    for got, want in [
        (x == 2, [0, 1, 0]),
        (x != 2, [1, 0, 1]),
        (x > 2, [0, 0, 1]),
        (x >= 2, [0, 1, 1]),
        (x < 2, [1, 0, 0]),
        (x <= 2, [1, 1, 0]),
        (2 < x, [0, 0, 1]),
        (2.0 >= x, [1, 1, 0]),
        (np.float32(2) == x, [0, 1, 0]),
        (np.float64(2.5) > x, [1, 1, 0]),
        (x == np.array([1.0, 0.0, 3.0]), [1, 0, 1]),
        (x < nd.array([[2.0], [3.0]]), [[1, 0, 0], [1, 1, 0]]),
    ]:
        assert got.dtype == np.float32
        _close(got, want)


def test_comparison_with_none_is_false_not_an_error():
    x = nd.array([1.0])
    assert (x == None) is False
    assert (x != None) is True
    assert x is not None and x in [x]
    assert hash(x) == hash(x)


# ---- other operators ----------------------------------------------------------------------------
def test_mod_floordiv_abs_operators():
    x = nd.array([-3.5, -1.0, 2.0, 5.5])
    xn = x.asnumpy()
    _close(x % 2, np.remainder(xn, 2))
    _close(x % -2, np.remainder(xn, -2))
    _close(7 % nd.array([2.0, 3.0, -4.0]), [1, 1, -1])
    _close(x // 2, np.floor_divide(xn, 2))
    _close(7 // nd.array([2.0, -3.0]), [3, -3])
    _close(abs(x), np.abs(xn))
    _close(nd.modulo(x, nd.array([2.0])), np.remainder(xn, 2))


def test_inplace_mod_updates_views_and_records():
    x = nd.array([5.0, 7.0])
    ref = x
    x %= 3
    assert x is ref
    _close(x, [2, 1])
    w = nd.array([5.0, 7.0])
    w.attach_grad()
    with autograd.record():
        y = w * 1
        y %= 3
    y.backward()
    _close(y, [2, 1])
    _close(w.grad, [1, 1])


def test_mod_gradient():
    x = nd.array([5.0, -7.0], dtype="float64")
    d = nd.array([3.0, 2.0], dtype="float64")
    x.attach_grad()
    d.attach_grad()
    with autograd.record():
        y = x % d
    y.backward()
    _close(x.grad, [1, 1])
    _close(d.grad, -np.floor(np.array([5.0, -7.0]) / [3.0, 2.0]))


def test_unary_methods_exist_and_match_functions():
    x = nd.array([0.3, 0.6])
    for name in [
        "abs",
        "sign",
        "sqrt",
        "square",
        "exp",
        "log",
        "log1p",
        "expm1",
        "sin",
        "cos",
        "tan",
        "tanh",
        "sinh",
        "cosh",
        "arcsin",
        "arccos",
        "arctan",
        "relu",
        "softsign",
        "rsqrt",
    ]:
        _close(getattr(x, name)(), getattr(nd, name)(x).asnumpy(), err_msg=name)
    out = nd.zeros((2,))
    assert x.exp(out=out) is out
    _close(out, np.exp(x.asnumpy()))
