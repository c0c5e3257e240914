"""nd.random and gluonlite.random: distribution moments over 10^5 draws, seeding, shapes and
dtypes, array parameters, multinomial frequencies and log-probabilities, and bad input."""

import numpy as np
import pytest

import gluonlite as gl
import gluonlite.random as glrandom
from gluonlite import autograd, errors, nd
from gluonlite.ops import P

N = 100_000


@pytest.fixture(autouse=True)
def _seeded():
    glrandom.seed(1234)


def _moments(x, mean, var, rtol=0.03):
    v = x.asnumpy().astype(np.float64).ravel()
    assert abs(v.mean() - mean) <= rtol * max(abs(mean), np.sqrt(var)), (v.mean(), mean)
    assert abs(v.var() - var) <= rtol * var * 1.5, (v.var(), var)


# ---- distributions ------------------------------------------------------------------------------
def test_uniform_moments_and_bounds():
    x = nd.random.uniform(-1, 3, shape=(N,))
    assert x.dtype == np.float32 and x.shape == (N,)
    _moments(x, 1.0, 16 / 12)
    v = x.asnumpy()
    assert v.min() >= -1 and v.max() < 3


def test_normal_moments():
    _moments(nd.random.normal(2, 3, shape=(N,)), 2.0, 9.0)
    _moments(nd.random.randn(400, 250, loc=-1, scale=0.5), -1.0, 0.25)


def test_exponential_gamma_poisson_moments():
    _moments(nd.random.exponential(2.0, shape=N), 2.0, 4.0)
    _moments(nd.random.gamma(3.0, 2.0, shape=N), 6.0, 12.0)
    p = nd.random.poisson(4.0, shape=N)
    assert p.dtype == np.float32
    assert np.all(p.asnumpy() == np.round(p.asnumpy()))
    _moments(p, 4.0, 4.0)


def test_negative_binomials_moments():
    k, p = 3, 0.4
    _moments(nd.random.negative_binomial(k, p, shape=N), k * (1 - p) / p, k * (1 - p) / p**2)
    mu, alpha = 2.0, 0.5
    _moments(nd.random.generalized_negative_binomial(mu, alpha, shape=N), mu, mu + alpha * mu**2)
    _moments(nd.random.generalized_negative_binomial(3.0, 0, shape=N), 3.0, 3.0)


def test_bernoulli_mean_and_values():
    b = nd.random.bernoulli(0.3, shape=N)
    assert set(np.unique(b.asnumpy())) <= {0.0, 1.0}
    _moments(b, 0.3, 0.21)


def test_randint_bounds_dtype_and_uniformity():
    x = nd.random.randint(-3, 7, shape=(N,))
    assert x.dtype == np.int32
    v = x.asnumpy()
    assert v.min() == -3 and v.max() == 6
    np.testing.assert_allclose(np.bincount(v + 3) / N, np.full(10, 0.1), atol=0.005)
    assert nd.random.randint(0, 2**40, shape=5, dtype="int64").dtype == np.int64


# ---- array parameters ---------------------------------------------------------------------------
def test_array_parameters_draw_per_element_with_shape_appended():
    loc = nd.array([0.0, 10.0, 100.0])
    x = nd.random.normal(loc, nd.array([1.0, 2.0, 3.0]), shape=20_000)
    assert x.shape == (3, 20_000)
    v = x.asnumpy()
    np.testing.assert_allclose(v.mean(axis=1), [0, 10, 100], atol=0.1)
    np.testing.assert_allclose(v.std(axis=1), [1, 2, 3], rtol=0.03)
    low = nd.array([[0.0, 5.0]], dtype="float64")
    u = nd.random.uniform(low, low + 1)
    assert u.shape == (1, 2) and u.dtype == np.float64
    assert np.all((u.asnumpy() >= low.asnumpy()) & (u.asnumpy() < low.asnumpy() + 1))
    mixed = nd.random.uniform(nd.zeros((3,)), nd.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), 4)
    assert mixed.shape == (2, 3, 4)  # parameters broadcast, then the draw axes
    assert np.all(mixed.asnumpy() < np.arange(1.0, 7.0).reshape(2, 3, 1))
    g = nd.random.gamma(nd.array([1.0, 4.0]), 2.0, shape=(N // 2,))
    np.testing.assert_allclose(g.asnumpy().mean(axis=1), [2.0, 8.0], rtol=0.03)
    lam = nd.random.poisson(nd.array([1.0, 20.0]), shape=N // 2)
    np.testing.assert_allclose(lam.asnumpy().mean(axis=1), [1.0, 20.0], rtol=0.03)


# ---- shapes, dtypes, contexts, out --------------------------------------------------------------
def test_defaults_shape_dtype_context_and_out():
    x = nd.random.uniform()
    assert x.shape == (1,) and x.dtype == np.float32 and x.context == gl.cpu(0)
    assert nd.random.normal(shape=3).shape == (3,)
    for dt in ("float16", "float64"):
        y = nd.random.normal(0, 1, shape=(2, 3), dtype=dt, ctx=gl.cpu())
        assert y.dtype == np.dtype(dt) and y.shape == (2, 3)
    out = nd.zeros((2, 5))
    res = nd.random.uniform(10, 11, out=out)
    assert res is out and np.all(out.asnumpy() >= 10)


def test_dropout_call_signature():
    x = nd.ones((4, 5), dtype="float16")
    mask = P.random_uniform(low=0.0, high=1.0, shape=x.shape, dtype=x.dtype, ctx=x.context)
    assert mask.shape == (4, 5) and mask.dtype == np.float16 and mask.context == x.context
    assert isinstance(mask, nd.NDArray)


def test_random_ops_are_marked_and_not_recorded():
    for name in (
        "uniform",
        "normal",
        "randint",
        "exponential",
        "gamma",
        "poisson",
        "bernoulli",
        "multinomial",
        "shuffle",
    ):
        op = gl.ops.get(f"random_{name}")
        assert op.random and op.vjp is None
    w = nd.ones((3,))
    w.attach_grad()
    with autograd.record():
        y = nd.random.normal(w, 1.0)
    assert y._entry is None


# ---- seeding ------------------------------------------------------------------------------------
def _draws():
    return [
        nd.random.uniform(shape=5).asnumpy(),
        nd.random.normal(shape=(2, 2)).asnumpy(),
        nd.random.randint(0, 100, shape=4).asnumpy(),
        nd.random.shuffle(nd.arange(10)).asnumpy(),
        nd.random.multinomial(nd.array([0.2, 0.3, 0.5]), shape=6).asnumpy(),
    ]


def test_seed_makes_runs_repeatable():
    glrandom.seed(7)
    first = _draws()
    glrandom.seed(7)
    again = _draws()
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    nd.random.seed(8)
    assert not np.array_equal(first[0], nd.random.uniform(shape=5).asnumpy())
    assert glrandom.seed is nd.random.seed


def test_seed_per_context_and_numpy_draws_match_pcg64():
    nd.random.seed(3, ctx=gl.cpu())
    a = nd.random.uniform(shape=4, dtype="float64").asnumpy()
    expected = np.random.Generator(np.random.PCG64(3)).random(4)
    np.testing.assert_array_equal(a, expected)
    glrandom.seed(-1)  # negative seeds wrap modulo 2**64 instead of failing
    nd.random.uniform()


def test_seed_leaves_numpy_legacy_state_alone():
    np.random.seed(0)
    a = np.random.rand()
    np.random.seed(0)
    glrandom.seed(99)
    assert np.random.rand() == a


def test_seed_rejects_non_integers():
    with pytest.raises(errors.MXNetTypeError, match="integer"):
        glrandom.seed(1.5)


# ---- multinomial and shuffle --------------------------------------------------------------------
def test_multinomial_frequencies_and_shapes():
    probs = nd.array([[0.1, 0.2, 0.7, 0.0], [0.5, 0.0, 0.0, 0.5], [2.0, 2.0, 4.0, 0.0]])
    s = nd.random.multinomial(probs, shape=N // 2)
    assert s.shape == (3, N // 2) and s.dtype == np.int32
    freq = np.stack([np.bincount(r, minlength=4) for r in s.asnumpy()]) / (N // 2)
    np.testing.assert_allclose(
        freq, [[0.1, 0.2, 0.7, 0], [0.5, 0, 0, 0.5], [0.25, 0.25, 0.5, 0]], atol=0.01
    )
    assert nd.random.multinomial(nd.array([0.3, 0.7])).shape == (1,)
    assert nd.random.multinomial(probs).shape == (3,)
    batch = nd.random.multinomial(nd.ones((2, 3, 5)) / 5, shape=(4, 2), dtype="int64")
    assert batch.shape == (2, 3, 4, 2) and batch.dtype == np.int64


def test_multinomial_get_prob_is_differentiable():
    probs = nd.array([[0.1, 0.2, 0.7], [0.6, 0.3, 0.1]])
    probs.attach_grad()
    with autograd.record():
        samples, logp = nd.random.multinomial(probs, shape=5, get_prob=True)
    s = samples.asnumpy()
    p = probs.asnumpy()
    np.testing.assert_allclose(logp.asnumpy(), np.log(np.take_along_axis(p, s, axis=1)), rtol=1e-6)
    logp.backward()
    expected = np.zeros_like(p)
    for i in range(2):
        np.add.at(expected[i], s[i], 1 / p[i, s[i]])
    np.testing.assert_allclose(probs.grad.asnumpy(), expected, rtol=1e-5)


def test_shuffle_permutes_first_axis():
    x = nd.array(np.arange(20).reshape(10, 2))
    y = nd.random.shuffle(x)
    assert y.shape == x.shape
    v = y.asnumpy()
    assert sorted(v[:, 0].tolist()) == list(range(0, 20, 2))
    np.testing.assert_array_equal(v[:, 1], v[:, 0] + 1)  # rows move whole
    assert not np.array_equal(v, x.asnumpy()) or not np.array_equal(
        nd.random.shuffle(x).asnumpy(), x.asnumpy()
    )


# ---- errors -------------------------------------------------------------------------------------
def test_bad_arguments():
    with pytest.raises(errors.MXNetTypeError, match="integer type"):
        nd.random.randint(0, 5, dtype="float32")
    with pytest.raises(errors.MXNetValueError, match="low < high"):
        nd.random.randint(5, 5)
    with pytest.raises(errors.MXNetValueError, match="probabilities"):
        nd.random.multinomial(nd.ones((1,)).reshape(()))
    with pytest.raises(errors.MXNetError, match="random_shuffle"):
        nd.random.shuffle(nd.ones((1,)).reshape(()))
