"""BatchNorm (training vs prediction, MXNet's running-statistics update), LayerNorm, GroupNorm
and InstanceNorm against NumPy formulas, with finite-difference gradients, deferred shapes,
names and reprs."""

import numpy as np
import pytest

import gluonlite as gl
from gluonlite import autograd, nd, nn

from .gradcheck import check_gradients, prepare


def _normalize(x, axes, eps):
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)  # biased, as MXNet
    return (x - mean) / np.sqrt(var + eps)


def _channel(v, ndim, axis=1):
    shape = [1] * ndim
    shape[axis] = -1
    return np.asarray(v).reshape(shape)


def _set_affine(layer, c):
    gamma, beta = np.random.uniform(0.5, 1.5, c), np.random.randn(c)
    layer.gamma.set_data(gamma)
    layer.beta.set_data(beta)
    return gamma, beta


# ---- BatchNorm ------------------------------------------------------------------------------
def test_batchnorm_training_uses_batch_stats_and_updates_running_stats():
    x = np.random.randn(6, 3, 2, 2) * 2 + 1
    layer = nn.BatchNorm(momentum=0.8, epsilon=1e-3)
    xa = prepare(layer, x)
    gamma, beta = _set_affine(layer, 3)
    with autograd.record():
        y = layer(xa).asnumpy()
    axes = (0, 2, 3)
    want = _normalize(x, axes, 1e-3) * _channel(gamma, 4) + _channel(beta, 4)
    np.testing.assert_allclose(y, want, rtol=1e-10)
    np.testing.assert_allclose(layer.running_mean.data().asnumpy(), 0.2 * x.mean(axis=axes))
    np.testing.assert_allclose(
        layer.running_var.data().asnumpy(), 0.8 * 1 + 0.2 * x.var(axis=axes), rtol=1e-12
    )


def test_batchnorm_predict_and_global_stats_use_running_stats():
    x = np.random.randn(4, 3, 5)
    layer = nn.BatchNorm()
    xa = prepare(layer, x)
    gamma, beta = _set_affine(layer, 3)
    mean, var = np.random.randn(3), np.random.uniform(0.5, 2, 3)
    layer.running_mean.set_data(mean)
    layer.running_var.set_data(var)
    want = (x - _channel(mean, 3)) / np.sqrt(_channel(var, 3) + 1e-5) * _channel(
        gamma, 3
    ) + _channel(beta, 3)
    np.testing.assert_allclose(layer(xa).asnumpy(), want, rtol=1e-10)
    frozen = nn.BatchNorm(use_global_stats=True)
    prepare(frozen, x)
    for name in ("gamma", "beta", "running_mean", "running_var"):
        getattr(frozen, name).set_data(getattr(layer, name).data().asnumpy())
    with autograd.record():
        y = frozen(xa).asnumpy()
    np.testing.assert_allclose(y, want, rtol=1e-10)
    np.testing.assert_allclose(frozen.running_mean.data().asnumpy(), mean)


@pytest.mark.parametrize("train", [True, False])
def test_batchnorm_gradients(train):
    layer = nn.BatchNorm(in_channels=3)
    xa = prepare(layer, np.random.randn(4, 3, 2))
    _set_affine(layer, 3)
    layer.running_var.set_data(np.random.uniform(0.5, 2, 3))
    check_gradients(layer, xa, train=train)


def test_batchnorm_last_axis_and_scale_center_flags():
    x = np.random.randn(5, 4)
    layer = nn.BatchNorm(axis=-1, scale=False, center=False)
    xa = prepare(layer, x)
    assert layer.gamma.grad_req == "null" and layer.beta.grad_req == "null"
    layer.gamma.set_data(np.full(4, 3.0))  # ignored: scale=False fixes gamma at 1
    with autograd.record():
        y = layer(xa).asnumpy()
    np.testing.assert_allclose(y, _normalize(x, (0,), 1e-5), rtol=1e-10)
    check_gradients(layer, xa)


def test_batchnorm_names_deferred_shapes_and_repr():
    layer = nn.BatchNorm()
    assert list(layer.collect_params().keys()) == ["gamma", "beta", "running_mean", "running_var"]
    assert layer.running_mean.grad_req == "null" and layer.running_var.grad_req == "null"
    assert layer.gamma.shape == (0,)
    assert repr(layer) == (
        "BatchNorm(axis=1, eps=1e-05, momentum=0.9, fix_gamma=False, use_global_stats=False, "
        "in_channels=None)"
    )
    layer.initialize()
    layer(nd.ones((2, 16, 3)))
    assert all(p.shape == (16,) for p in layer.collect_params().values())
    np.testing.assert_array_equal(layer.running_var.data().asnumpy(), 1)
    assert repr(layer).endswith("in_channels=16)")
    known = nn.BatchNorm(in_channels=5)
    known.initialize()
    assert known.gamma.data().shape == (5,)


def test_batchnorm_keeps_float32_under_float16_cast():
    layer = nn.BatchNorm(in_channels=2)
    layer.initialize()
    layer.cast("float16")
    assert layer.gamma.data().dtype == np.float32


def test_sync_batchnorm_is_batchnorm_over_channels():
    x = np.random.randn(4, 3, 2)
    a, b = nn.SyncBatchNorm(in_channels=3, num_devices=2), nn.BatchNorm(in_channels=3)
    a.initialize()
    b.initialize()
    with autograd.record():
        ya, yb = a(nd.array(x)), b(nd.array(x))
    np.testing.assert_allclose(ya.asnumpy(), yb.asnumpy())
    np.testing.assert_allclose(a.running_var.data().asnumpy(), b.running_var.data().asnumpy())


# ---- LayerNorm / GroupNorm / InstanceNorm ---------------------------------------------------
def test_layernorm_matches_numpy_and_gradients():
    x = np.random.randn(3, 2, 5)
    layer = nn.LayerNorm()
    xa = prepare(layer, x)
    assert layer.gamma.shape == (5,)
    gamma, beta = _set_affine(layer, 5)
    want = _normalize(x, (-1,), 1e-5) * gamma + beta
    np.testing.assert_allclose(layer(xa).asnumpy(), want, rtol=1e-10)
    check_gradients(layer, xa)


def test_layernorm_other_axis_flags_and_repr():
    x = np.random.randn(3, 4, 2)
    layer = nn.LayerNorm(axis=1, center=False, scale=False, epsilon=1e-3)
    xa = prepare(layer, x)
    np.testing.assert_allclose(layer(xa).asnumpy(), _normalize(x, (1,), 1e-3), rtol=1e-10)
    assert layer.gamma.grad_req == "null"
    assert repr(nn.LayerNorm(in_channels=8)) == (
        "LayerNorm(eps=1e-05, axis=-1, center=True, scale=True, in_channels=8)"
    )
    assert list(layer.collect_params().keys()) == ["gamma", "beta"]


def test_groupnorm_matches_numpy_and_gradients():
    x = np.random.randn(2, 6, 3)
    layer = nn.GroupNorm(num_groups=3)
    assert layer.gamma.shape == (3,)
    xa = prepare(layer, x)
    gamma, beta = _set_affine(layer, 3)
    xhat = _normalize(x.reshape(2, 3, -1), (2,), 1e-5)
    want = (xhat * gamma[:, None] + beta[:, None]).reshape(x.shape)
    np.testing.assert_allclose(layer(xa).asnumpy(), want, rtol=1e-10)
    check_gradients(layer, xa)
    assert repr(nn.GroupNorm(2)) == "GroupNorm(eps=1e-05, num_groups=2, center=True, scale=True)"


def test_instancenorm_matches_numpy_and_gradients():
    x = np.random.randn(2, 3, 4)
    layer = nn.InstanceNorm(scale=True)
    xa = prepare(layer, x)
    gamma, beta = _set_affine(layer, 3)
    want = _normalize(x, (2,), 1e-5) * _channel(gamma, 3) + _channel(beta, 3)
    np.testing.assert_allclose(layer(xa).asnumpy(), want, rtol=1e-10)
    check_gradients(layer, xa)


def test_instancenorm_default_ignores_gamma_and_other_axis():
    x = np.random.randn(2, 4, 3, 2)
    layer = nn.InstanceNorm(axis=-1)
    xa = prepare(layer, x)
    assert layer.gamma.shape == (2,) and layer.gamma.grad_req == "null"
    layer.gamma.set_data(np.full(2, 5.0))
    beta = np.random.randn(2)
    layer.beta.set_data(beta)
    want = _normalize(x, (1, 2), 1e-5) + beta
    np.testing.assert_allclose(layer(xa).asnumpy(), want, rtol=1e-10)
    check_gradients(layer, xa)
    assert repr(nn.InstanceNorm(in_channels=3)) == (
        "InstanceNorm(eps=1e-05, axis=1, center=True, scale=False, in_channels=3)"
    )


def test_norm_layers_in_a_network_train_step():
    net = nn.HybridSequential()
    net.add(
        nn.Conv2D(4, 3),
        nn.GroupNorm(2),
        nn.InstanceNorm(),
        nn.Flatten(),
        nn.LayerNorm(),
        nn.Dense(2),
    )
    net.initialize(gl.init.Xavier())
    x = nd.array(np.random.randn(2, 1, 5, 5))
    with autograd.record():
        loss = net(x).sum()
    loss.backward()
    assert net[0].weight.grad().shape == (4, 1, 3, 3)
    assert np.isfinite(net[0].weight.grad().asnumpy()).all()
