"""PyTorch as an independent oracle for the layers whose conventions are easiest to get wrong:
Conv2D / Conv2DTranspose (stride, padding, dilation, groups), pooling (ceil mode, average
divisors) and BatchNorm in training mode, with MXNet's momentum (torch's is 1 - m) and MXNet's
biased running variance (torch keeps the unbiased one). Skipped when torch is not installed."""

import numpy as np
import pytest

from gluonlite import autograd, nd, nn

torch = pytest.importorskip("torch")
F = torch.nn.functional


def _t(a):
    """A float64 torch copy (torch's in-place updates must not touch our NumPy arrays)."""
    return torch.tensor(np.asarray(a, dtype=np.float64))


@pytest.mark.parametrize(
    "kw",
    [
        {"channels": 6, "kernel_size": 3, "strides": 2, "padding": 1, "dilation": 1, "groups": 2},
        {
            "channels": 4,
            "kernel_size": (3, 2),
            "strides": (1, 2),
            "padding": (2, 1),
            "dilation": (2, 1),
            "groups": 4,
        },
        {"channels": 3, "kernel_size": 1, "strides": 1, "padding": 0, "dilation": 1, "groups": 1},
    ],
)
def test_conv2d_matches_torch(kw):
    x = np.random.randn(2, 4, 7, 6)
    layer = nn.Conv2D(**kw)
    layer.initialize()
    layer(nd.array(x))
    layer.cast("float64")
    w, b = layer.weight.data().asnumpy(), np.random.randn(kw["channels"])
    layer.bias.set_data(b)
    want = F.conv2d(
        _t(x),
        _t(w),
        _t(b),
        stride=kw["strides"],
        padding=kw["padding"],
        dilation=kw["dilation"],
        groups=kw["groups"],
    ).numpy()
    got = layer(nd.array(x, dtype="float64")).asnumpy()
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_conv2d_transpose_matches_torch():
    x = np.random.randn(2, 4, 3, 4)
    layer = nn.Conv2DTranspose(6, 3, strides=2, padding=1, output_padding=1, groups=2, dilation=1)
    layer.initialize()
    layer(nd.array(x))
    layer.cast("float64")
    w, b = layer.weight.data().asnumpy(), np.random.randn(6)
    layer.bias.set_data(b)
    want = F.conv_transpose2d(
        _t(x), _t(w), _t(b), stride=2, padding=1, output_padding=1, groups=2
    ).numpy()
    np.testing.assert_allclose(
        layer(nd.array(x, dtype="float64")).asnumpy(), want, rtol=1e-10, atol=1e-12
    )


@pytest.mark.parametrize("ceil_mode", [False, True])
def test_pooling_matches_torch(ceil_mode):
    """6 px, k=3, s=2, p=1: no ceil-mode window starts in the padding, where the two agree."""
    x = np.random.randn(2, 3, 6, 6)
    xa = nd.array(x, dtype="float64")
    got = nn.MaxPool2D(3, 2, 1, ceil_mode=ceil_mode)(xa).asnumpy()
    want = F.max_pool2d(_t(x), 3, 2, 1, ceil_mode=ceil_mode).numpy()
    np.testing.assert_allclose(got, want)
    for include in (True, False):
        got = nn.AvgPool2D(3, 2, 1, ceil_mode=ceil_mode, count_include_pad=include)(xa)
        want = F.avg_pool2d(_t(x), 3, 2, 1, ceil_mode=ceil_mode, count_include_pad=include)
        np.testing.assert_allclose(got.asnumpy(), want.numpy(), rtol=1e-12)


def test_batchnorm_training_matches_torch_with_momentum_conversion():
    x = np.random.randn(8, 3, 4, 4) * 3 + 2
    layer = nn.BatchNorm(momentum=0.9, in_channels=3)
    layer.initialize()
    layer.cast("float64")
    gamma, beta = np.random.uniform(0.5, 1.5, 3), np.random.randn(3)
    rm0, rv0 = np.random.randn(3), np.random.uniform(0.5, 2, 3)
    for name, value in (
        ("gamma", gamma),
        ("beta", beta),
        ("running_mean", rm0),
        ("running_var", rv0),
    ):
        getattr(layer, name).set_data(value)
    with autograd.record():
        got = layer(nd.array(x, dtype="float64")).asnumpy()
    t_mean, t_var = _t(rm0), _t(rv0)
    want = F.batch_norm(
        _t(x), t_mean, t_var, _t(gamma), _t(beta), training=True, momentum=1 - 0.9, eps=1e-5
    ).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.running_mean.data().asnumpy(), t_mean.numpy(), rtol=1e-12)
    # torch folds in the unbiased batch variance; MXNet the biased one (n / (n - 1) smaller)
    n = x.size // 3
    unbiased = (t_var.numpy() - 0.9 * rv0) / 0.1
    np.testing.assert_allclose(
        layer.running_var.data().asnumpy(), 0.9 * rv0 + 0.1 * unbiased * (n - 1) / n, rtol=1e-10
    )
