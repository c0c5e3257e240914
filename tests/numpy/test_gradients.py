"""Gradients through np functions (compositions of registry primitives, with no gradient code
of their own) against central finite differences in float64."""

import numpy as onp
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gluonlite.numpy as np
from gluonlite import autograd
from tests.ops.sampling import broadcast_pair, floats, shapes


def assert_grads_match(fn, *values, eps=1e-6, rtol=1e-5, atol=1e-7):
    """d sum(fn(*x) * w) / dx by autograd equals central differences, for every input."""
    weights = onp.random.RandomState(0).uniform(0.5, 1.5, onp.shape(fn(*map(np.array, values))))

    def loss(vals):
        return float((fn(*map(np.array, vals)).asnumpy() * weights).sum())

    arrays = [np.array(v) for v in values]
    for a in arrays:
        a.attach_grad()
    with autograd.record():
        out = fn(*arrays)
        total = np.sum(out * np.array(weights, dtype=out.dtype))
    total.backward()
    for i, v in enumerate(values):
        numeric = onp.zeros_like(v)
        for idx in onp.ndindex(v.shape):
            plus, minus = list(values), list(values)
            plus[i], minus[i] = v.copy(), v.copy()
            plus[i][idx] += eps
            minus[i][idx] -= eps
            numeric[idx] = (loss(plus) - loss(minus)) / (2 * eps)
        onp.testing.assert_allclose(
            arrays[i].grad.asnumpy(),
            numeric,
            rtol=rtol,
            atol=atol,
            err_msg=f"gradient of input {i}",
        )


UNARY_COMPOSITIONS = [
    lambda x: np.mean(x, axis=0),
    lambda x: np.var(x, axis=-1, keepdims=True),
    lambda x: np.std(x),
    lambda x: np.linalg.norm(x),
    lambda x: np.linalg.norm(x, ord=1, axis=0),
    lambda x: np.linalg.norm(x, ord=3, axis=-1),
    lambda x: np.cumsum(x, axis=0),
    lambda x: np.roll(x, 1, axis=0),
    lambda x: np.diff(x, axis=0),
    lambda x: np.flip(x),
    lambda x: np.tile(x, (2, 1)),
    lambda x: np.repeat(x, onp.arange(x.shape[0]) % 3, axis=0),
    lambda x: np.sort(x, axis=-1),
    lambda x: np.take(x, onp.array([0, 0, -1]), axis=0),
    lambda x: np.exp2(x),
    lambda x: np.logaddexp(x, 2 * x),
    lambda x: np.float_power(np.abs(x) + 1, 1.5),
    lambda x: np.moveaxis(x, 0, -1),
    lambda x: np.pad(x, 1, mode="reflect"),
    lambda x: np.prod(x, axis=0),
    lambda x: np.max(x, axis=-1),
    lambda x: np.clip(x, -0.5123457, 0.4876543),  # bounds no drawn value hits
    lambda x: np.where(x > 0, x * x, -x),
    lambda x: np.trace(np.matmul(x, x.T)),
    lambda x: np.diagonal(np.outer(x, x)),
    lambda x: np.tril(np.dot(x.T, x)),
    lambda x: np.tensordot(x, x, axes=([0], [0])),
    lambda x: np.average(x, axis=0, weights=np.ones(x.shape[0]) * 2.0),
    lambda x: np.linalg.matrix_power(np.dot(x.T, x), 2),
    lambda x: np.stack(np.split(x, x.shape[0], axis=0), axis=1),
    lambda x: np.concatenate([x, np.square(x)], axis=None),
    lambda x: np.meshgrid(x[0], x[-1])[1] * np.meshgrid(x[0], x[-1])[0],
    lambda x: np.einsum("ij,ij->j", x, x),
    lambda x: x.reshape(-1).T[::2],
    lambda x: np.copy(x) * np.positive(x),
]


@pytest.mark.parametrize("fn", UNARY_COMPOSITIONS, ids=range(len(UNARY_COMPOSITIONS)))
@given(data=st.data())
def test_composition_gradients(fn, data):
    shape = data.draw(shapes(2, 2, min_side=2, max_side=3))
    x = floats(data.draw, shape, -1.5, 1.5, away_from=0.0, gap=0.1)
    x = x + onp.arange(x.size).reshape(shape) * 1e-3  # no ties for max/sort
    assert_grads_match(fn, x)


@given(data=st.data())
def test_binary_gradients_with_broadcasting(data):
    sa, sb = broadcast_pair(data.draw)
    a, b = floats(data.draw, sa, 0.5, 2), floats(data.draw, sb, 0.5, 2)
    assert_grads_match(lambda u, v: np.power(u, v) / np.maximum(u, 1.0123457), a, b)
    assert_grads_match(lambda u, v: np.hypot(u, v) - np.arctan2(u, v), a, b)


def test_dot_of_3d_operands_differentiates():
    rng = onp.random.RandomState(3)
    assert_grads_match(np.dot, rng.randn(2, 3), rng.randn(2, 3, 2))
    assert_grads_match(np.inner, rng.randn(2, 3), rng.randn(4, 3))
    assert_grads_match(lambda m: np.linalg.norm(m, ord=np.inf, axis=(0, 1)), rng.randn(3, 3))


def test_random_parameters_are_differentiable():
    np.random.seed(4)
    lo, hi = np.array([0.0, 1.0]), np.array([2.0, 5.0])
    hi.attach_grad()
    with autograd.record():
        u = np.random.uniform(lo, hi)
    u.backward()
    base = (u - lo) / (hi - lo)
    onp.testing.assert_allclose(hi.grad.asnumpy(), base.asnumpy(), rtol=1e-6)
