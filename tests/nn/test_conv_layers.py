"""Convolution, transposed convolution, pooling and padding layers against direct NumPy
formulas (MXNet's conventions: weight layouts, ceil mode, average divisors), gradients by finite
differences, deferred shapes, channels-last layouts, reprs and a save/load round trip."""

import math

import numpy as np
import pytest

import gluonlite as gl
from gluonlite import autograd, nd, nn

from .gradcheck import check_gradients, prepare

FLT_MIN = float(np.finfo(np.float32).min)


# ---- NumPy references -----------------------------------------------------------------------
def _window(offset, dilate, stride, count):
    """Slice taking ``count`` positions ``stride`` apart from ``offset * dilate``."""
    start = offset * dilate
    return slice(start, start + stride * (count - 1) + 1, stride)


def conv_ref(x, w, b, stride, pad, dilate, groups):
    """Cross-correlation by summing over kernel offsets; w (O, C/groups, *k)."""
    nsp, o, k = x.ndim - 2, w.shape[0], w.shape[2:]
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pad])
    out = [(xp.shape[2 + i] - dilate[i] * (k[i] - 1) - 1) // stride[i] + 1 for i in range(nsp)]
    y = np.zeros((x.shape[0], o, *out))
    cg, og = x.shape[1] // groups, o // groups
    for g in range(groups):
        xs, ws = xp[:, g * cg : (g + 1) * cg], w[g * og : (g + 1) * og]
        for off in np.ndindex(*k):
            sl = tuple(_window(off[i], dilate[i], stride[i], out[i]) for i in range(nsp))
            patch = xs[(slice(None), slice(None), *sl)]
            y[:, g * og : (g + 1) * og] += np.einsum("nc...,oc->no...", patch, ws[(..., *off)])
    return y if b is None else y + b.reshape(1, -1, *[1] * nsp)


def deconv_ref(x, w, b, stride, pad, dilate, adj, groups):
    """Transposed convolution by scattering each input position; w (C, O/groups, *k)."""
    nsp, k = x.ndim - 2, w.shape[2:]
    cg, og = x.shape[1] // groups, w.shape[1]
    spatial = x.shape[2:]
    full = [(spatial[i] - 1) * stride[i] + dilate[i] * (k[i] - 1) + 1 + adj[i] for i in range(nsp)]
    y = np.zeros((x.shape[0], og * groups, *full))
    for g in range(groups):
        xs, ws = x[:, g * cg : (g + 1) * cg], w[g * cg : (g + 1) * cg]
        for off in np.ndindex(*k):
            sl = tuple(_window(off[i], dilate[i], stride[i], spatial[i]) for i in range(nsp))
            y[(slice(None), slice(g * og, (g + 1) * og), *sl)] += np.einsum(
                "nc...,co->no...", xs, ws[(..., *off)]
            )
    # the output keeps full - 2*pad positions: pad cropped on each side
    y = y[(slice(None), slice(None), *(slice(p, f - p) for p, f in zip(pad, full)))]
    return y if b is None else y + b.reshape(1, -1, *[1] * nsp)


def pool_ref(x, kernel, stride, pad, kind, ceil_mode=False, include_pad=True):
    """MXNet pooling window by window: max over real elements (-FLT_MAX for a window wholly in
    the padding), average over the window clipped to the padded input (include_pad) or over the
    real elements."""
    spatial = x.shape[2:]
    rnd = math.ceil if ceil_mode else math.floor
    out = [rnd((n + 2 * p - k) / s) + 1 for n, k, s, p in zip(spatial, kernel, stride, pad)]
    y = np.zeros(x.shape[:2] + tuple(out))
    for o in np.ndindex(*out):
        starts = [i * s - p for i, s, p in zip(o, stride, pad)]
        real = tuple(slice(max(a, 0), min(a + k, n)) for a, k, n in zip(starts, kernel, spatial))
        win = x[(slice(None), slice(None), *real)].reshape(x.shape[:2] + (-1,))
        if kind == "max":
            y[(..., *o)] = win.max(-1) if win.shape[-1] else FLT_MIN
        else:
            clipped = [min(a + k, n + p) - a for a, k, n, p in zip(starts, kernel, spatial, pad)]
            count = math.prod(clipped) if include_pad else max(win.shape[-1], 1)
            y[(..., *o)] = win.sum(-1) / count
    return y


def _weights(layer):
    return layer.weight.data().asnumpy(), layer.bias.data().asnumpy()


# ---- convolutions ---------------------------------------------------------------------------
def _random_layer(cls, kw, shape):
    """``cls(**kw)`` with random weights and bias; its random input (NumPy and NDArray), the
    weights and bias as NumPy, and ``t(option, default)``: an option of ``kw`` per axis."""
    layer = cls(**kw)
    x = np.random.randn(*shape)
    xa = prepare(layer, x, init=gl.init.Normal(0.5))
    layer.bias.set_data(np.random.randn(kw["channels"]))
    nsp = len(shape) - 2

    def t(name, default):
        v = kw.get(name, default)
        return (v,) * nsp if isinstance(v, int) else v

    return (layer, x, xa, *_weights(layer), t)


CONVS = [
    (nn.Conv1D, {"channels": 4, "kernel_size": 3, "strides": 2, "padding": 1}, (2, 2, 7), 1),
    (
        nn.Conv2D,
        {
            "channels": 6,
            "kernel_size": (3, 2),
            "strides": (2, 1),
            "padding": (1, 0),
            "dilation": (1, 2),
            "groups": 2,
        },
        (2, 4, 6, 6),
        2,
    ),
    (nn.Conv2D, {"channels": 3, "kernel_size": 3, "padding": 1, "groups": 3}, (1, 3, 5, 4), 3),
    (nn.Conv2D, {"channels": 2, "kernel_size": 2, "strides": 2, "dilation": 2}, (2, 3, 7, 7), 1),
    (nn.Conv3D, {"channels": 2, "kernel_size": 2, "padding": 1}, (1, 2, 3, 3, 2), 1),
]


@pytest.mark.parametrize("cls, kw, shape, groups", CONVS)
def test_conv_matches_numpy_and_gradients(cls, kw, shape, groups):
    layer, x, xa, w, b, t = _random_layer(cls, kw, shape)
    assert w.shape == (kw["channels"], shape[1] // groups, *layer._kernel)
    want = conv_ref(x, w, b, t("strides", 1), t("padding", 0), t("dilation", 1), groups)
    np.testing.assert_allclose(layer(xa).asnumpy(), want, rtol=1e-10, atol=1e-12)
    check_gradients(layer, xa)


DECONVS = [
    (
        nn.Conv1DTranspose,
        {"channels": 3, "kernel_size": 3, "strides": 2, "padding": 1, "output_padding": 1},
        (2, 2, 4),
        1,
    ),
    (
        nn.Conv2DTranspose,
        {
            "channels": 4,
            "kernel_size": 3,
            "strides": 2,
            "padding": 1,
            "output_padding": 1,
            "groups": 2,
        },
        (1, 4, 3, 3),
        2,
    ),
    (
        nn.Conv2DTranspose,
        {"channels": 2, "kernel_size": (2, 3), "strides": (1, 2), "dilation": (2, 1)},
        (2, 3, 3, 2),
        1,
    ),
    (nn.Conv3DTranspose, {"channels": 2, "kernel_size": 2, "strides": 2}, (1, 2, 2, 2, 2), 1),
]


@pytest.mark.parametrize("cls, kw, shape, groups", DECONVS)
def test_conv_transpose_matches_numpy_and_gradients(cls, kw, shape, groups):
    layer, x, xa, w, b, t = _random_layer(cls, kw, shape)
    assert w.shape == (shape[1], kw["channels"] // groups, *layer._kernel)
    want = deconv_ref(
        x, w, b, t("strides", 1), t("padding", 0), t("dilation", 1), t("output_padding", 0), groups
    )
    np.testing.assert_allclose(layer(xa).asnumpy(), want, rtol=1e-10, atol=1e-12)
    check_gradients(layer, xa)


def test_conv2d_transpose_output_size():
    layer = nn.Conv2DTranspose(3, 3, strides=2, padding=1, output_padding=1, in_channels=2)
    layer.initialize()
    assert layer.weight.shape == (2, 3, 3, 3)
    assert layer(nd.ones((1, 2, 5, 5))).shape == (1, 3, 10, 10)


def test_conv_deferred_shapes_and_names():
    conv = nn.Conv2D(8, 3, groups=2)
    assert conv.weight.shape == (8, 0, 3, 3)
    assert list(conv.collect_params().keys()) == ["weight", "bias"]
    conv.initialize()
    conv(nd.ones((1, 6, 5, 5)))
    assert conv.weight.shape == (8, 3, 3, 3)
    deconv = nn.Conv2DTranspose(8, 3, groups=2, use_bias=False)
    assert deconv.weight.shape == (0, 4, 3, 3)
    assert list(deconv.collect_params().keys()) == ["weight"]
    deconv.initialize()
    deconv(nd.ones((1, 6, 5, 5)))
    assert deconv.weight.shape == (6, 4, 3, 3)


def test_conv_in_channels_initializes_immediately():
    conv = nn.Conv1D(4, 3, in_channels=2)
    conv.initialize()
    assert conv.weight.data().shape == (4, 2, 3)
    assert conv.bias.data().shape == (4,)


def test_conv_activation_and_errors():
    conv = nn.Conv2D(2, 1, activation="relu", in_channels=1, use_bias=False)
    conv.initialize(gl.init.One())
    y = conv(nd.array(np.array([[[[-1.0, 2.0]]]])))
    np.testing.assert_allclose(y.asnumpy(), [[[[0.0, 2.0]], [[0.0, 2.0]]]])
    with pytest.raises(ValueError, match="groups"):
        nn.Conv2D(5, 3, groups=2)
    bad = nn.Conv2D(4, 3, groups=2)
    bad.initialize()
    with pytest.raises(ValueError, match="groups=2 must divide the 3 input channels"):
        bad(nd.ones((1, 3, 5, 5)))
    with pytest.raises(ValueError, match="groups=2 must divide the 3 input channels"):
        nn.Conv2D(4, 3, groups=2, in_channels=3)
    with pytest.raises(ValueError, match="kernel_size"):
        nn.Conv2D(4, (3, 3, 3))
    with pytest.raises(ValueError, match="layout"):
        nn.Conv2DTranspose(4, 3, layout="NHWC")


def test_conv_channels_last_layout():
    """NHWC data with MXNet's channels-last weight (O, kh, kw, C/groups) equals NCHW."""
    x = np.random.randn(2, 5, 4, 4).astype(np.float32)
    last = nn.Conv2D(6, (3, 2), padding=1, groups=2, layout="NHWC")
    last.initialize(gl.init.Normal(0.5))
    y_last = last(nd.array(x))
    assert last.weight.shape == (6, 3, 2, 2)
    first = nn.Conv2D(6, (3, 2), padding=1, groups=2, in_channels=4)
    first.initialize()
    first.weight.set_data(last.weight.data().asnumpy().transpose(0, 3, 1, 2))
    first.bias.set_data(last.bias.data().asnumpy())
    want = first(nd.array(x.transpose(0, 3, 1, 2))).asnumpy().transpose(0, 2, 3, 1)
    np.testing.assert_allclose(y_last.asnumpy(), want, rtol=1e-5, atol=1e-6)
    assert repr(last) == (
        "Conv2D(4 -> 6, kernel_size=(3, 2), stride=(1, 1), padding=(1, 1), groups=2)"
    )


def test_conv_reprs():
    conv = nn.Conv2D(6, kernel_size=(5, 5), in_channels=1)
    assert repr(conv) == "Conv2D(1 -> 6, kernel_size=(5, 5), stride=(1, 1))"
    conv = nn.Conv2D(16, 3, strides=2, padding=1, dilation=2, use_bias=False, activation="relu")
    assert repr(conv) == (
        "Conv2D(None -> 16, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), "
        "dilation=(2, 2), bias=False, Activation(relu))"
    )
    deconv = nn.Conv2DTranspose(3, 3, strides=2, output_padding=1, in_channels=8)
    assert repr(deconv) == (
        "Conv2DTranspose(8 -> 3, kernel_size=(3, 3), stride=(2, 2), output_padding=(1, 1))"
    )


# ---- pooling --------------------------------------------------------------------------------
POOLS = [
    (nn.MaxPool1D, {"pool_size": 3, "strides": 2, "padding": 1}, (2, 2, 7), "max", True),
    (nn.MaxPool2D, {}, (2, 3, 6, 4), "max", True),
    (
        nn.MaxPool2D,
        {"pool_size": 3, "strides": 2, "padding": 1, "ceil_mode": True},
        (1, 2, 6, 6),
        "max",
        True,
    ),
    (nn.MaxPool3D, {"pool_size": 2, "strides": 1}, (1, 2, 3, 3, 3), "max", True),
    (nn.AvgPool1D, {"pool_size": 2, "padding": 1, "ceil_mode": True}, (2, 2, 6), "avg", True),
    (nn.AvgPool2D, {"pool_size": 3, "strides": 2, "padding": 1}, (2, 2, 5, 5), "avg", True),
    (
        nn.AvgPool2D,
        {"pool_size": 3, "strides": 2, "padding": 1, "count_include_pad": False},
        (2, 2, 5, 5),
        "avg",
        False,
    ),
    (
        nn.AvgPool2D,
        {"pool_size": 3, "strides": 2, "padding": 1, "ceil_mode": True},
        (1, 2, 6, 6),
        "avg",
        True,
    ),
    (
        nn.AvgPool3D,
        {"pool_size": 2, "padding": 1, "count_include_pad": False},
        (1, 1, 3, 2, 3),
        "avg",
        False,
    ),
]


@pytest.mark.parametrize("cls, kw, shape, kind, include_pad", POOLS)
def test_pooling_matches_numpy_and_gradients(cls, kw, shape, kind, include_pad):
    layer = cls(**kw)
    nsp = len(shape) - 2
    x = np.random.randn(*shape)
    xa = prepare(layer, x)
    k = kw.get("pool_size", 2)
    k = (k,) * nsp if isinstance(k, int) else k
    s = kw.get("strides", k)
    s = (s,) * nsp if isinstance(s, int) else s
    p = (kw.get("padding", 0),) * nsp
    want = pool_ref(x, k, s, p, kind, kw.get("ceil_mode", False), include_pad)
    np.testing.assert_allclose(layer(xa).asnumpy(), want, rtol=1e-12)
    check_gradients(layer, xa)


def test_pooling_ceil_mode_sizes_and_padding_window():
    x = nd.array(np.random.randn(1, 1, 6, 6))
    assert nn.MaxPool2D(3, 2, 1, ceil_mode=True)(x).shape == (1, 1, 4, 4)
    assert nn.MaxPool2D(3, 2, 1)(x).shape == (1, 1, 3, 3)
    # 5 px, k=2, s=2, p=1, ceil: MXNet keeps a last window lying in the padding: -FLT_MAX
    x5 = np.random.randn(1, 1, 5, 5).astype(np.float32)
    y = nn.MaxPool2D(2, 2, 1, ceil_mode=True)(nd.array(x5)).asnumpy()
    assert y.shape == (1, 1, 4, 4)
    np.testing.assert_array_equal(y[0, 0, 3], FLT_MIN)
    np.testing.assert_allclose(y, pool_ref(x5, (2, 2), (2, 2), (1, 1), "max", True))


def test_global_pooling():
    x = np.random.randn(2, 3, 4, 5)
    for cls, fn in ((nn.GlobalAvgPool2D, np.mean), (nn.GlobalMaxPool2D, np.max)):
        y = cls()(nd.array(x, dtype="float64")).asnumpy()
        np.testing.assert_allclose(y, fn(x, axis=(2, 3), keepdims=True), rtol=1e-12)
    x1, x3 = np.random.randn(2, 3, 4), np.random.randn(1, 2, 2, 3, 2)
    assert nn.GlobalMaxPool1D()(nd.array(x1)).shape == (2, 3, 1)
    assert nn.GlobalAvgPool1D()(nd.array(x1)).shape == (2, 3, 1)
    np.testing.assert_allclose(
        nn.GlobalAvgPool3D()(nd.array(x3)).asnumpy(),
        x3.mean(axis=(2, 3, 4), keepdims=True),
        rtol=1e-5,
    )
    np.testing.assert_allclose(
        nn.GlobalMaxPool3D()(nd.array(x3)).asnumpy(),
        x3.max(axis=(2, 3, 4), keepdims=True),
        rtol=1e-6,
    )
    layer = nn.GlobalAvgPool2D()
    check_gradients(layer, prepare(layer, x))


def test_pooling_channels_last_and_reprs():
    x = np.random.randn(2, 4, 6, 3).astype(np.float32)
    y = nn.MaxPool2D(layout="NHWC")(nd.array(x)).asnumpy()
    want = pool_ref(x.transpose(0, 3, 1, 2), (2, 2), (2, 2), (0, 0), "max")
    np.testing.assert_allclose(y, want.transpose(0, 2, 3, 1), rtol=1e-6)
    assert repr(nn.MaxPool2D()) == (
        "MaxPool2D(size=(2, 2), stride=(2, 2), padding=(0, 0), ceil_mode=False, "
        "global_pool=False, pool_type=max, layout=NCHW)"
    )
    assert repr(nn.GlobalAvgPool2D()) == (
        "GlobalAvgPool2D(size=(1, 1), stride=(1, 1), padding=(0, 0), ceil_mode=True, "
        "global_pool=True, pool_type=avg, layout=NCHW)"
    )
    with pytest.raises(ValueError, match="layout"):
        nn.MaxPool1D(layout="NCHW")


def test_reflection_pad():
    x = np.random.randn(1, 2, 3, 4)
    layer = nn.ReflectionPad2D(2)
    xa = prepare(layer, x)
    want = np.pad(x, [(0, 0), (0, 0), (2, 2), (2, 2)], mode="reflect")
    np.testing.assert_allclose(layer(xa).asnumpy(), want)
    check_gradients(layer, xa)
    assert repr(nn.ReflectionPad2D(1)) == "ReflectionPad2D(padding=(0, 0, 0, 0, 1, 1, 1, 1))"


# ---- a whole CNN ----------------------------------------------------------------------------
def _small_cnn():
    net = nn.HybridSequential()
    net.add(
        nn.Conv2D(4, 3, padding=1),
        nn.BatchNorm(),
        nn.Activation("relu"),
        nn.MaxPool2D(),
        nn.Flatten(),
        nn.Dense(3),
    )
    return net


def test_cnn_save_load_round_trip(tmp_path):
    net = _small_cnn()
    net.initialize(gl.init.Xavier())
    x = nd.array(np.random.randn(2, 1, 6, 6))
    with autograd.record():
        net(x)  # moves the BatchNorm running statistics away from their initial values
    y = net(x).asnumpy()
    f = str(tmp_path / "cnn.params")
    net.save_parameters(f)
    assert set(nd.load(f)) == {
        "0.weight",
        "0.bias",
        "1.gamma",
        "1.beta",
        "1.running_mean",
        "1.running_var",
        "5.weight",
        "5.bias",
    }
    other = _small_cnn()
    other.load_parameters(f)
    np.testing.assert_allclose(other(x).asnumpy(), y, rtol=1e-6)
    assert other[0].weight.shape == (4, 1, 3, 3) and other[5].weight.shape == (3, 36)
