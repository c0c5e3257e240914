"""MXNet's neural-network operators (ndarray/mx_nn.py, mx_conv.py) against NumPy formulas,
naive loop references and, where it imports, PyTorch."""

import itertools
import math

import numpy as np
import pytest

import gluonlite as gl
from gluonlite import autograd, nd

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # PyTorch is only a cross-check
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
RNG = np.random.RandomState(0)
FLT_MAX = float(np.finfo(np.float32).max)


def f64(a):
    return nd.array(a, dtype="float64")


def naive_conv(x, w, stride, pad, dilate, groups):
    """Direct loops over output positions: cross-correlation, zero padding, groups."""
    n, _c, *spatial = x.shape
    o, cg, *kernel = w.shape
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pad])
    out = [
        (s + 2 * p - d * (k - 1) - 1) // st + 1
        for s, p, d, k, st in zip(spatial, pad, dilate, kernel, stride)
    ]
    y = np.zeros((n, o, *out))
    og = o // groups
    for pos in itertools.product(*map(range, out)):
        for f in range(o):
            g = f // og
            acc = 0.0
            for tap in itertools.product(*map(range, kernel)):
                idx = tuple(q * st + t * d for q, st, t, d in zip(pos, stride, tap, dilate))
                acc = acc + np.einsum(
                    "nc,c->n",
                    xp[(slice(None), slice(g * cg, (g + 1) * cg), *idx)],
                    w[(f, slice(None), *tap)],
                )
            y[(slice(None), f, *pos)] = acc
    return y


# ---- Convolution --------------------------------------------------------------------------------
CONV_CASES = [  # input shape, filters, kernel, stride, pad, dilate, groups
    ((2, 3, 9), 4, (3,), (2,), (1,), (2,), 1),
    ((2, 4, 7, 6), 6, (3, 2), (2, 1), (1, 2), (2, 1), 2),
    ((1, 2, 5, 6, 5), 4, (2, 3, 2), (1, 2, 1), (1, 0, 1), (2, 1, 1), 1),
    ((2, 4, 6, 6), 8, (3, 3), (1, 1), (1, 1), (1, 1), 4),
]


def _geometry(filters, kernel, stride, pad, dilate, groups):
    """A CONV_CASES row (without the shape) as nd.Convolution's keyword arguments."""
    return {
        "kernel": kernel,
        "stride": stride,
        "pad": pad,
        "dilate": dilate,
        "num_filter": filters,
        "num_group": groups,
    }


@pytest.mark.parametrize("shape,filters,kernel,stride,pad,dilate,groups", CONV_CASES)
def test_convolution_matches_loops(shape, filters, kernel, stride, pad, dilate, groups):
    x = RNG.randn(*shape)
    w = RNG.randn(filters, shape[1] // groups, *kernel)
    b = RNG.randn(filters)
    geo = _geometry(filters, kernel, stride, pad, dilate, groups)
    y = nd.Convolution(f64(x), f64(w), f64(b), **geo)
    want = naive_conv(x, w, stride, pad, dilate, groups) + b.reshape(1, -1, *[1] * len(kernel))
    np.testing.assert_allclose(y.asnumpy(), want, rtol=1e-10, atol=1e-10)
    nb = nd.Convolution(f64(x), f64(w), no_bias=True, **geo)
    np.testing.assert_allclose(
        nb.asnumpy(), want - b.reshape(1, -1, *[1] * len(kernel)), rtol=1e-10, atol=1e-10
    )


@needs_torch
@pytest.mark.parametrize("shape,filters,kernel,stride,pad,dilate,groups", CONV_CASES)
def test_convolution_matches_torch_with_gradients(
    shape, filters, kernel, stride, pad, dilate, groups
):
    x, w, b = RNG.randn(*shape), RNG.randn(filters, shape[1] // groups, *kernel), RNG.randn(filters)
    args = [f64(a) for a in (x, w, b)]
    for a in args:
        a.attach_grad()
    with autograd.record():
        y = nd.Convolution(*args, **_geometry(filters, kernel, stride, pad, dilate, groups))
    head = RNG.randn(*y.shape)
    y.backward(f64(head))
    targs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[len(kernel)]
    ty = conv(*targs, stride=stride, padding=pad, dilation=dilate, groups=groups)
    ty.backward(torch.tensor(head))
    np.testing.assert_allclose(y.asnumpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-10)
    for a, t in zip(args, targs):
        np.testing.assert_allclose(a.grad.asnumpy(), t.grad.numpy(), rtol=1e-10, atol=1e-10)


@needs_torch
def test_chained_convolutions_and_pooling_match_torch():
    """Outputs are channels-last memory under an NCHW shape: the next layer and every
    gradient must read them correctly."""
    x, w1, w2 = RNG.randn(2, 3, 9, 9), RNG.randn(4, 3, 3, 3), RNG.randn(5, 4, 3, 3)
    args = [f64(a) for a in (x, w1, w2)]
    for a in args:
        a.attach_grad()
    with autograd.record():
        h = nd.Convolution(args[0], args[1], kernel=(3, 3), pad=(1, 1), num_filter=4, no_bias=True)
        h = nd.Pooling(nd.relu(h), kernel=(2, 2), stride=(2, 2), pooling_convention="full")
        y = nd.Convolution(h, args[2], kernel=(3, 3), stride=(2, 2), num_filter=5, no_bias=True)
        loss = (y * y).sum()
    loss.backward()
    targs = [torch.tensor(a, requires_grad=True) for a in (x, w1, w2)]
    th = F.max_pool2d(F.relu(F.conv2d(targs[0], targs[1], padding=1)), 2, 2, ceil_mode=True)
    ty = F.conv2d(th, targs[2], stride=2)
    (ty * ty).sum().backward()
    np.testing.assert_allclose(y.asnumpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-10)
    for a, t in zip(args, targs):
        np.testing.assert_allclose(a.grad.asnumpy(), t.grad.numpy(), rtol=1e-9, atol=1e-10)


def _numeric_grad(fn, arrays, i, eps=1e-6):
    base = [a.copy() for a in arrays]
    grad = np.zeros_like(base[i])
    for idx in np.ndindex(base[i].shape):
        plus, minus = [a.copy() for a in base], [a.copy() for a in base]
        plus[i][idx] += eps
        minus[i][idx] -= eps
        grad[idx] = (fn(*plus) - fn(*minus)) / (2 * eps)
    return grad


def test_convolution_gradient_finite_differences_strided_dilated_grouped():
    x, w, b = RNG.randn(1, 4, 7, 6), RNG.randn(4, 2, 2, 3), RNG.randn(4)
    head = RNG.randn(1, 4, 4, 3)
    geo = {
        "kernel": (2, 3),
        "stride": (2, 2),
        "pad": (1, 2),
        "dilate": (2, 2),
        "num_filter": 4,
        "num_group": 2,
    }

    def loss(x, w, b):
        return float((nd.Convolution(f64(x), f64(w), f64(b), **geo).asnumpy() * head).sum())

    args = [f64(a) for a in (x, w, b)]
    for a in args:
        a.attach_grad()
    with autograd.record():
        y = nd.Convolution(*args, **geo)
    assert y.shape == head.shape
    y.backward(f64(head))
    for i, a in enumerate(args):
        np.testing.assert_allclose(
            a.grad.asnumpy(), _numeric_grad(loss, [x, w, b], i), rtol=1e-6, atol=1e-7
        )


def test_convolution_second_derivative():
    """d/dw of sum(dL/dx): the gradient of the input gradient (conv_transpose) in the weight."""
    x, w = f64(RNG.randn(1, 2, 5, 5)), f64(RNG.randn(3, 2, 3, 3))
    x.attach_grad()
    w.attach_grad()
    with autograd.record():
        y = nd.Convolution(
            x, w, kernel=(3, 3), pad=(1, 1), stride=(2, 2), num_filter=3, no_bias=True
        )
        (gx,) = autograd.grad((y * y).sum(), [x], create_graph=True)
        z = (gx * gx).sum()
    z.backward()

    def z_of(wv):
        wv = f64(wv)
        xv = f64(x.asnumpy())
        xv.attach_grad()
        with autograd.record():
            yv = nd.Convolution(
                xv, wv, kernel=(3, 3), pad=(1, 1), stride=(2, 2), num_filter=3, no_bias=True
            )
            loss = (yv * yv).sum()
        loss.backward()
        return float((xv.grad.asnumpy() ** 2).sum())

    np.testing.assert_allclose(
        w.grad.asnumpy(), _numeric_grad(z_of, [w.asnumpy()], 0), rtol=1e-5, atol=1e-6
    )


def test_convolution_output_is_channels_last_memory_with_nchw_shape():
    x = nd.array(RNG.randn(2, 3, 8, 8))
    w = nd.array(RNG.randn(5, 3, 3, 3))
    y = nd.Convolution(x, w, kernel=(3, 3), num_filter=5, no_bias=True)
    assert y.shape == (2, 5, 6, 6) and y.dtype == np.float32
    np.testing.assert_allclose(
        y.asnumpy(),
        naive_conv(
            x.asnumpy().astype(np.float64),
            w.asnumpy().astype(np.float64),
            (1, 1),
            (0, 0),
            (1, 1),
            1,
        ),
        rtol=1e-4,
        atol=1e-4,
    )


def test_convolution_errors_name_the_problem():
    x = nd.ones((1, 3, 5, 5))
    with pytest.raises(gl.errors.ShapeError, match=r"weight of shape \(4, 2, 3, 3\)"):
        nd.Convolution(x, nd.ones((4, 2, 3, 3)), kernel=(3, 3), num_filter=4, no_bias=True)
    with pytest.raises(gl.errors.ShapeError, match="larger than the data"):
        nd.Convolution(x, nd.ones((4, 3, 7, 7)), kernel=(7, 7), num_filter=4, no_bias=True)
    with pytest.raises(gl.errors.MXNetValueError, match="layout 'NHWC'"):
        nd.Convolution(x, nd.ones((4, 3, 3, 3)), kernel=(3, 3), num_filter=4, layout="NHWC")
    with pytest.raises(gl.errors.MXNetValueError, match="num_group=2"):
        nd.Convolution(x, nd.ones((4, 1, 3, 3)), kernel=(3, 3), num_filter=4, num_group=2)
    with pytest.raises(gl.errors.ShapeError, match="3, 4 or 5 axes"):
        nd.Convolution(nd.ones((3, 5)), nd.ones((4, 3, 3)), kernel=(3,), num_filter=4)


def _channels_last(a):
    """A float64 NDArray of a's NCHW shape with channels-last memory (what layers produce)."""
    nhwc = np.ascontiguousarray(np.moveaxis(a, 1, -1))
    return nd.array(nhwc, dtype="float64").transpose((0, a.ndim - 1, *range(1, a.ndim - 1)))


@needs_torch
@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("channels", [1, 3, 6])
@pytest.mark.parametrize(
    "kernel,stride,pad,dilate",
    [
        (1, 1, 0, 1),
        (1, 2, 0, 1),
        (2, 2, 0, 1),
        (3, 1, 1, 1),
        (3, 2, 1, 1),
        (3, 3, 2, 1),
        (3, 1, 2, 2),
        (5, 1, 0, 1),
        (4, 3, 1, 1),
    ],
)
def test_convolution_gathers_and_scatters_match_torch(
    kernel, stride, pad, dilate, channels, channels_last
):
    """Forward, input and weight gradients through both window gathers (offset-ordered columns
    of few channels-first channels, channels-last rows otherwise) and both input-gradient
    paths (correlation with the flipped kernel, strided scatter by residue class)."""
    x, w = RNG.randn(2, channels, 9, 8), RNG.randn(4, channels, kernel, kernel)
    layout = _channels_last if channels_last else f64
    xv, wv = layout(x), f64(w)
    for a in (xv, wv):
        a.attach_grad()
    geo = {"kernel": (kernel,) * 2, "stride": (stride,) * 2, "pad": (pad,) * 2}
    with autograd.record():
        y = nd.Convolution(xv, wv, dilate=(dilate,) * 2, num_filter=4, no_bias=True, **geo)
    head = RNG.randn(*y.shape)
    y.backward(layout(head))
    tx, tw = (torch.tensor(a, requires_grad=True) for a in (x, w))
    ty = F.conv2d(tx, tw, stride=stride, padding=pad, dilation=dilate)
    ty.backward(torch.tensor(head))
    np.testing.assert_allclose(y.asnumpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(xv.grad.asnumpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(wv.grad.asnumpy(), tw.grad.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("channels_last_out", [False, True])
def test_window_primitives_write_into_out(channels_last_out):
    """conv, conv_transpose, conv_weight_grad, max_pool and max_pool_grad with ``out=`` (how
    hybridized programs hand over planned memory, channels-last for images): the result lands
    in the given buffer, whatever its memory order."""
    x, w = RNG.randn(2, 3, 7, 6), RNG.randn(4, 3, 3, 3)
    geo = {"stride": (2, 1), "dilate": (1, 1), "pad": ((1, 1), (0, 1)), "groups": 1}
    gy = RNG.randn(2, 4, 4, 5)
    pool = {"kernel": (2, 2), "stride": (2, 2), "pad": ((0, 1), (0, 0))}
    tiles = {"kernel": (2, 2), "stride": (2, 2)}  # windows that tile the image
    x6 = np.round(x[:, :, :6] * 2) / 2  # with ties
    y, y6 = (gl.ops.get("max_pool").forward(np, a, **p) for a, p in ((x, pool), (x6, tiles)))
    cases = [
        ("conv", (x, w), geo),
        ("conv_transpose", (gy, w), {**geo, "size": (7, 6)}),
        ("conv_weight_grad", (x, gy), {**geo, "kernel": (3, 3)}),
        ("max_pool", (x,), pool),
        ("max_pool_grad", (x, y, RNG.randn(*y.shape)), pool),
        ("max_pool", (x6,), tiles),
        ("max_pool_grad", (x6, y6, RNG.randn(*y6.shape)), tiles),
    ]
    for name, args, attrs in cases:
        op = gl.ops.get(name)
        assert op.accepts_out, name
        want = np.asarray(op.forward(np, *args, **attrs))
        out = np.empty(want.shape)
        if channels_last_out:
            out = np.empty((want.shape[0], *want.shape[2:], want.shape[1]))
            out = out.transpose(0, out.ndim - 1, *range(1, out.ndim - 1))
        assert op.forward(np, *args, out=out, **attrs) is out, name
        np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-12, err_msg=name)


# ---- Deconvolution ------------------------------------------------------------------------------
def test_deconvolution_output_size_formula():
    x = nd.ones((1, 2, 5, 5))
    w = nd.ones((2, 3, 3, 3))
    y = nd.Deconvolution(x, w, kernel=(3, 3), stride=(2, 2), pad=(1, 1), adj=(1, 1), num_filter=3)
    assert y.shape == (1, 3, 10, 10)
    t = nd.Deconvolution(x, w, kernel=(3, 3), stride=(2, 2), target_shape=(10, 10), num_filter=3)
    assert t.shape == (1, 3, 10, 10)


def test_deconvolution_is_the_adjoint_of_convolution():
    x, w, g = RNG.randn(2, 4, 7, 7), RNG.randn(6, 2, 3, 3), RNG.randn(2, 6, 4, 4)
    geo = {"kernel": (3, 3), "stride": (2, 2), "pad": (1, 1), "num_group": 2}
    y = nd.Convolution(f64(x), f64(w), num_filter=6, no_bias=True, **geo).asnumpy()
    back = nd.Deconvolution(f64(g), f64(w), num_filter=4, **geo).asnumpy()
    np.testing.assert_allclose((y * g).sum(), (x * back).sum(), rtol=1e-10)


@needs_torch
@pytest.mark.parametrize(
    "stride,pad,adj,groups,dilate",
    [
        (2, 1, 1, 1, 1),
        (1, 1, 0, 2, 1),
        (3, 0, 2, 1, 1),
        (2, 2, 0, 2, 2),
        (1, 0, 0, 1, 2),
    ],
)
def test_deconvolution_matches_torch_with_gradients(stride, pad, adj, groups, dilate):
    x, w, b = RNG.randn(2, 4, 5, 4), RNG.randn(4, 3, 3, 2), RNG.randn(3 * groups)
    args = [f64(a) for a in (x, w, b)]
    for a in args:
        a.attach_grad()
    with autograd.record():
        y = nd.Deconvolution(
            *args,
            kernel=(3, 2),
            stride=(stride,) * 2,
            pad=(pad,) * 2,
            adj=(adj,) * 2,
            dilate=(dilate,) * 2,
            num_filter=3 * groups,
            num_group=groups,
            no_bias=False,
        )
    head = RNG.randn(*y.shape)
    y.backward(f64(head))
    targs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    ty = F.conv_transpose2d(
        *targs, stride=stride, padding=pad, output_padding=adj, groups=groups, dilation=dilate
    )
    ty.backward(torch.tensor(head))
    np.testing.assert_allclose(y.asnumpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-10)
    for a, t in zip(args, targs):
        np.testing.assert_allclose(a.grad.asnumpy(), t.grad.numpy(), rtol=1e-10, atol=1e-10)


def test_deconvolution_no_bias_defaults_to_ignoring_nothing_given():
    x, w = nd.ones((1, 1, 2, 2)), nd.ones((1, 1, 1, 1))
    assert nd.Deconvolution(x, w, kernel=(1, 1), num_filter=1).asnumpy().sum() == 4.0
    y = nd.Deconvolution(x, w, nd.ones((1,)), kernel=(1, 1), num_filter=1, no_bias=True)
    assert y.asnumpy().sum() == 4.0


# ---- Pooling ------------------------------------------------------------------------------------
def test_pooling_full_convention_sizes():
    x = nd.array(RNG.randn(1, 1, 6, 6))
    y = nd.Pooling(x, kernel=(3, 3), stride=(2, 2), pad=(1, 1), pooling_convention="full")
    assert y.shape == (1, 1, 4, 4)
    assert nd.Pooling(x, kernel=(3, 3), stride=(2, 2), pad=(1, 1)).shape == (1, 1, 3, 3)


def test_max_pooling_full_window_inside_padding_is_minus_flt_max():
    x = RNG.randn(1, 2, 5, 5).astype(np.float32)
    y = nd.Pooling(
        nd.array(x), kernel=(2, 2), stride=(2, 2), pad=(1, 1), pooling_convention="full"
    ).asnumpy()
    assert y.shape == (1, 2, 4, 4)
    assert (y[:, :, 3, :] == -FLT_MAX).all() and (y[:, :, :, 3] == -FLT_MAX).all()
    padded = np.pad(x, [(0, 0), (0, 0), (1, 1), (1, 1)], constant_values=-np.inf)
    want = padded[:, :, :6, :6].reshape(1, 2, 3, 2, 3, 2).max(axis=(3, 5))
    np.testing.assert_array_equal(y[:, :, :3, :3], want)


def _avg_reference(x, k, s, p, include_pad, full):
    n_in = x.shape[-1]
    n_out = (-(-(n_in + 2 * p - k) // s) if full else (n_in + 2 * p - k) // s) + 1
    y = np.zeros(x.shape[:2] + (n_out, n_out))
    for i, j in itertools.product(range(n_out), repeat=2):
        hs, ws = i * s - p, j * s - p
        he, we = min(hs + k, n_in), min(ws + k, n_in)
        window = x[:, :, max(hs, 0) : he, max(ws, 0) : we]
        if include_pad:
            count = (min(hs + k, n_in + p) - hs) * (min(ws + k, n_in + p) - ws)
        else:
            count = max((he - max(hs, 0)) * (we - max(ws, 0)), 1)
        y[:, :, i, j] = window.sum(axis=(2, 3)) / count
    return y


@pytest.mark.parametrize("include_pad", [True, False])
@pytest.mark.parametrize("full", [True, False])
def test_avg_pooling_divisors(include_pad, full):
    x = RNG.randn(2, 3, 6, 6)
    y = nd.Pooling(
        f64(x),
        kernel=(3, 3),
        stride=(2, 2),
        pad=(1, 1),
        pool_type="avg",
        count_include_pad=include_pad,
        pooling_convention="full" if full else "valid",
    )
    np.testing.assert_allclose(
        y.asnumpy(), _avg_reference(x, 3, 2, 1, include_pad, full), rtol=1e-12
    )


def test_sum_and_global_pooling():
    x = RNG.randn(2, 3, 4, 5)
    y = nd.Pooling(f64(x), kernel=(2, 2), stride=(2, 1), pool_type="sum")
    want = np.stack(
        [
            x[:, :, 2 * i : 2 * i + 2, j : j + 2].sum(axis=(2, 3))
            for i in range(2)
            for j in range(4)
        ],
        -1,
    ).reshape(2, 3, 2, 4)
    np.testing.assert_allclose(y.asnumpy(), want, rtol=1e-12)
    for kind, fn in [("max", np.max), ("avg", np.mean), ("sum", np.sum)]:
        g = nd.Pooling(f64(x), pool_type=kind, global_pool=True, kernel=(9, 9))
        np.testing.assert_allclose(g.asnumpy(), fn(x, axis=(2, 3), keepdims=True), rtol=1e-12)


def test_pooling_1d_and_3d():
    x1 = RNG.randn(2, 3, 7)
    y1 = nd.Pooling(f64(x1), kernel=(3,), stride=(2,), pool_type="max").asnumpy()
    np.testing.assert_allclose(
        y1, np.stack([x1[:, :, 2 * i : 2 * i + 3].max(-1) for i in range(3)], -1)
    )
    x3 = RNG.randn(1, 2, 4, 4, 4)
    y3 = nd.Pooling(f64(x3), kernel=(2, 2, 2), stride=(2, 2, 2), pool_type="avg").asnumpy()
    np.testing.assert_allclose(y3, x3.reshape(1, 2, 2, 2, 2, 2, 2, 2).mean(axis=(3, 5, 7)))


@needs_torch
def test_pooling_gradients_match_torch():
    x = RNG.randn(2, 3, 7, 7)
    for kind, tfn in [("max", F.max_pool2d), ("avg", F.avg_pool2d)]:
        a = f64(x)
        a.attach_grad()
        with autograd.record():
            y = nd.Pooling(a, kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type=kind)
        head = RNG.randn(*y.shape)
        y.backward(f64(head))
        t = torch.tensor(x, requires_grad=True)
        ty = tfn(t, 3, 2, 1)
        ty.backward(torch.tensor(head))
        np.testing.assert_allclose(y.asnumpy(), ty.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(a.grad.asnumpy(), t.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_pooling_errors():
    x = nd.ones((1, 1, 4, 4))
    with pytest.raises(gl.errors.MXNetValueError, match="pool_type"):
        nd.Pooling(x, kernel=(2, 2), pool_type="median")
    with pytest.raises(gl.errors.ShapeError, match="larger than the data"):
        nd.Pooling(x, kernel=(5, 5))
    with pytest.raises(gl.errors.MXNetValueError, match="pooling_convention"):
        nd.Pooling(x, kernel=(2, 2), pooling_convention="round")


# ---- normalization ------------------------------------------------------------------------------
def _bn_params(c):
    return (
        nd.array(RNG.uniform(0.5, 1.5, c)),
        nd.array(RNG.randn(c)),
        nd.zeros((c,)),
        nd.ones((c,)),
    )


def test_batchnorm_training_uses_batch_stats_and_updates_running_stats():
    x = RNG.randn(4, 3, 2, 2).astype(np.float32)
    gamma, beta, rm, rv = _bn_params(3)
    rm0, rv0 = rm.asnumpy().copy(), rv.asnumpy().copy()
    with autograd.record():
        y = nd.BatchNorm(nd.array(x), gamma, beta, rm, rv, eps=1e-5, momentum=0.9, fix_gamma=False)
    mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
    g, b = gamma.asnumpy(), beta.asnumpy()
    want = (x - mean.reshape(1, 3, 1, 1)) / np.sqrt(var.reshape(1, 3, 1, 1) + 1e-5)
    want = want * g.reshape(1, 3, 1, 1) + b.reshape(1, 3, 1, 1)
    np.testing.assert_allclose(y.asnumpy(), want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(rm.asnumpy(), 0.9 * rm0 + 0.1 * mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rv.asnumpy(), 0.9 * rv0 + 0.1 * var, rtol=1e-5)


def test_batchnorm_predict_mode_uses_moving_stats_and_leaves_them():
    x = RNG.randn(4, 3, 2).astype(np.float32)
    gamma, beta, _, _ = _bn_params(3)
    rm, rv = nd.array(RNG.randn(3)), nd.array(RNG.uniform(0.5, 2, 3))
    before = rm.asnumpy().copy(), rv.asnumpy().copy()
    y = nd.BatchNorm(nd.array(x), gamma, beta, rm, rv, fix_gamma=True)  # eps 1e-3, gamma = 1
    want = (x - before[0].reshape(1, 3, 1)) / np.sqrt(before[1].reshape(1, 3, 1) + 1e-3)
    np.testing.assert_allclose(
        y.asnumpy(), want + beta.asnumpy().reshape(1, 3, 1), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_array_equal(rm.asnumpy(), before[0])
    np.testing.assert_array_equal(rv.asnumpy(), before[1])
    with autograd.record():
        g = nd.BatchNorm(nd.array(x), gamma, beta, rm, rv, use_global_stats=True)
    np.testing.assert_allclose(g.asnumpy(), y.asnumpy(), rtol=1e-6)
    np.testing.assert_array_equal(rm.asnumpy(), before[0])


def test_batchnorm_last_axis_output_mean_var_and_gradient():
    x = f64(RNG.randn(5, 4))
    gamma, beta = f64(RNG.uniform(0.5, 1.5, 4)), f64(RNG.randn(4))
    for a in (x, gamma, beta):
        a.attach_grad()
    with autograd.record():
        y, mean, inv_std = nd.BatchNorm(
            x,
            gamma,
            beta,
            f64(np.zeros(4)),
            f64(np.ones(4)),
            axis=-1,
            fix_gamma=False,
            output_mean_var=True,
            eps=1e-5,
        )
        (y * y * y).sum().backward()
    xv = x.asnumpy()
    np.testing.assert_allclose(mean.asnumpy(), xv.mean(0))
    np.testing.assert_allclose(inv_std.asnumpy(), 1 / np.sqrt(xv.var(0) + 1e-5))
    xhat = (xv - xv.mean(0)) / np.sqrt(xv.var(0) + 1e-5)
    yv = xhat * gamma.asnumpy() + beta.asnumpy()
    gy = 3 * yv**2
    np.testing.assert_allclose(beta.grad.asnumpy(), gy.sum(0), rtol=1e-10)
    np.testing.assert_allclose(gamma.grad.asnumpy(), (gy * xhat).sum(0), rtol=1e-10)
    gxhat = gy * gamma.asnumpy()
    gx = (gxhat - gxhat.mean(0) - xhat * (gxhat * xhat).mean(0)) / np.sqrt(xv.var(0) + 1e-5)
    np.testing.assert_allclose(x.grad.asnumpy(), gx, rtol=1e-8, atol=1e-10)


def _normalize(x, axes, eps):
    return (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + eps)


def test_layer_group_instance_norm_formulas():
    x = RNG.randn(2, 4, 3, 3)
    g4, b4 = RNG.randn(4), RNG.randn(4)
    y = nd.LayerNorm(f64(x), f64(RNG.randn(3) * 0 + 1), f64(np.zeros(3)))
    np.testing.assert_allclose(y.asnumpy(), _normalize(x, -1, 1e-5), rtol=1e-10, atol=1e-12)
    y = nd.LayerNorm(f64(x), f64(g4), f64(b4), axis=1, eps=1e-3)
    want = _normalize(x, 1, 1e-3) * g4.reshape(1, 4, 1, 1) + b4.reshape(1, 4, 1, 1)
    np.testing.assert_allclose(y.asnumpy(), want, rtol=1e-10, atol=1e-12)
    g2, b2 = RNG.randn(2), RNG.randn(2)
    y = nd.GroupNorm(f64(x), f64(g2), f64(b2), num_groups=2)
    grouped = _normalize(x.reshape(2, 2, -1), 2, 1e-5) * g2.reshape(1, 2, 1) + b2.reshape(1, 2, 1)
    np.testing.assert_allclose(y.asnumpy(), grouped.reshape(x.shape), rtol=1e-10, atol=1e-12)
    y = nd.InstanceNorm(f64(x), f64(g4), f64(b4))
    want = _normalize(x, (2, 3), 1e-3) * g4.reshape(1, 4, 1, 1) + b4.reshape(1, 4, 1, 1)
    np.testing.assert_allclose(y.asnumpy(), want, rtol=1e-10, atol=1e-12)
    with pytest.raises(gl.errors.MXNetValueError, match="num_groups=3"):
        nd.GroupNorm(f64(x), f64(np.ones(3)), f64(np.zeros(3)), num_groups=3)


def test_l2_normalization_modes():
    x = RNG.randn(2, 3, 4)
    for mode, axes in [("instance", (1, 2)), ("channel", (1,)), ("spatial", (2,))]:
        y = nd.L2Normalization(f64(x), mode=mode).asnumpy()
        np.testing.assert_allclose(y, x / np.sqrt((x**2).sum(axes, keepdims=True) + 1e-10))


# ---- dropout, embedding -------------------------------------------------------------------------
def test_dropout_is_identity_in_predict_mode():
    x = nd.array(RNG.randn(3, 4))
    np.testing.assert_array_equal(nd.Dropout(x, p=0.5).asnumpy(), x.asnumpy())
    x.attach_grad()
    with autograd.record(train_mode=False):
        y = nd.Dropout(x, p=0.5)
    y.backward()
    np.testing.assert_array_equal(y.asnumpy(), x.asnumpy())
    np.testing.assert_array_equal(x.grad.asnumpy(), np.ones((3, 4)))


def test_dropout_training_preserves_the_mean_and_shares_masks_on_axes():
    gl.ops.random.seed(3)
    x = nd.ones((200, 50))
    with autograd.record():
        y = nd.Dropout(x, p=0.3).asnumpy()
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)
    assert abs(kept.mean() - 0.7) < 0.02 and abs(y.mean() - 1.0) < 0.03
    with autograd.train_mode():
        z = nd.Dropout(nd.ones((4, 6, 5)), p=0.5, axes=(1,)).asnumpy()
    assert (z == z[:, :1, :]).all()
    np.testing.assert_array_equal(
        nd.Dropout(nd.ones((2, 2)), p=0.5, mode="always").asnumpy() % 2.0, np.zeros((2, 2))
    )
    with autograd.train_mode():
        assert (nd.Dropout(nd.ones((3,)), p=1.0).asnumpy() == 0).all()


def test_embedding_takes_float_indices_and_accumulates_row_gradients():
    w = nd.array(np.arange(12.0).reshape(4, 3))
    w.attach_grad()
    idx = nd.array([[0, 2], [2, 3]])
    with autograd.record():
        y = nd.Embedding(idx, w, input_dim=4, output_dim=3)
    assert y.shape == (2, 2, 3)
    np.testing.assert_array_equal(y.asnumpy(), np.arange(12.0).reshape(4, 3)[[[0, 2], [2, 3]]])
    y.backward()
    np.testing.assert_array_equal(w.grad.asnumpy()[:, 0], [1, 0, 2, 1])
    with pytest.raises(gl.errors.ShapeError, match="input_dim=5"):
        nd.Embedding(idx, w, input_dim=5, output_dim=3)


# ---- softmax family -----------------------------------------------------------------------------
def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


def test_softmax_and_log_softmax_are_stable():
    x = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0]])
    np.testing.assert_allclose(nd.softmax(f64(x)).asnumpy(), _softmax(x), rtol=1e-12)
    shifted = x - x.max(-1, keepdims=True)
    want = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
    np.testing.assert_allclose(nd.log_softmax(f64(x)).asnumpy(), want, rtol=1e-12)
    assert np.isfinite(nd.log_softmax(f64(x)).asnumpy()).all()
    y = f64(x).softmax(axis=0).asnumpy()
    np.testing.assert_allclose(y, _softmax(x, 0), rtol=1e-12)


def test_softmax_temperature_length_softmin_and_dtype():
    x = RNG.randn(2, 5)
    np.testing.assert_allclose(nd.softmax(f64(x), temperature=2.0).asnumpy(), _softmax(x / 2))
    np.testing.assert_allclose(nd.softmin(f64(x), axis=1).asnumpy(), _softmax(-x))
    y = nd.softmax(f64(x), f64(np.array([2, 5])), use_length=True).asnumpy()
    np.testing.assert_allclose(y[0, :2], _softmax(x[0, :2]))
    np.testing.assert_array_equal(y[0, 2:], 0)
    np.testing.assert_allclose(y[1], _softmax(x[1]))
    assert nd.log_softmax(nd.array(x), dtype="float64").dtype == np.float64


def test_softmax_second_derivative():
    x = f64(RNG.randn(4))
    w = RNG.randn(4)
    x.attach_grad()
    with autograd.record():
        s = nd.softmax(x)
        (g,) = autograd.grad((s * f64(w)).sum(), [x], create_graph=True)
        (g * g).sum().backward()
    sv = _softmax(x.asnumpy())

    def first(v):
        sv = _softmax(v)
        return sv * (w - (sv * w).sum())

    def z(v):
        return float((first(v) ** 2).sum())

    np.testing.assert_allclose(g.asnumpy(), first(x.asnumpy()), rtol=1e-10)
    np.testing.assert_allclose(x.grad.asnumpy(), _numeric_grad(z, [x.asnumpy()], 0), rtol=1e-6)
    assert sv.sum() == pytest.approx(1.0)


def test_softmax_cross_entropy():
    x, label = RNG.randn(3, 4), np.array([0.0, 3.0, 1.0])
    got = nd.softmax_cross_entropy(f64(x), f64(label)).asnumpy()
    want = -np.log(_softmax(x))[np.arange(3), label.astype(int)].sum()
    assert got.shape == (1,)
    np.testing.assert_allclose(got[0], want, rtol=1e-12)


# ---- activations and dense ----------------------------------------------------------------------
def test_fully_connected_flatten_and_last_axis():
    x, w, b = RNG.randn(2, 3, 5), RNG.randn(4, 15), RNG.randn(4)
    y = nd.FullyConnected(f64(x), f64(w), f64(b), num_hidden=4)
    np.testing.assert_allclose(y.asnumpy(), x.reshape(2, -1) @ w.T + b, rtol=1e-12)
    w2 = RNG.randn(4, 5)
    y = nd.FullyConnected(f64(x), f64(w2), f64(b), num_hidden=4, flatten=False)
    np.testing.assert_allclose(y.asnumpy(), x @ w2.T + b, rtol=1e-12)
    y = nd.FullyConnected(f64(x), f64(w2), num_hidden=4, flatten=False, no_bias=True)
    np.testing.assert_allclose(y.asnumpy(), x @ w2.T, rtol=1e-12)
    with pytest.raises(gl.errors.ShapeError, match=r"expected \(4, 15\)"):
        nd.FullyConnected(f64(x), f64(w2), num_hidden=4)


def _erf(x):
    return np.vectorize(math.erf)(x)


ACTIVATIONS = {
    "tanh": np.tanh,
    "softrelu": lambda x: np.log1p(np.exp(x)),
    "softsign": lambda x: x / (1 + np.abs(x)),
    "relu": lambda x: np.maximum(x, 0),
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
}


@pytest.mark.parametrize("act", sorted(ACTIVATIONS))
def test_activation_formulas(act):
    x = RNG.randn(3, 4) * 3
    np.testing.assert_allclose(
        nd.Activation(f64(x), act_type=act).asnumpy(), ACTIVATIONS[act](x), rtol=1e-10, atol=1e-12
    )


def test_softrelu_is_exact_for_large_inputs_with_finite_gradient():
    x = f64(np.array([-50.0, 0.0, 30.0, 800.0]))
    x.attach_grad()
    with autograd.record():
        y = nd.Activation(x, act_type="softrelu")
    y.backward()
    np.testing.assert_allclose(y.asnumpy(), [np.log1p(np.exp(-50.0)), np.log(2), 30.0, 800.0])
    np.testing.assert_allclose(x.grad.asnumpy(), [np.exp(-50.0), 0.5, 1.0, 1.0], rtol=1e-12)


def test_leaky_relu_variants():
    x = RNG.randn(2, 3, 4) * 2
    sel_l, sel_a = 1.0507009873554805, 1.6732632423543772
    cases = {
        "leaky": np.where(x > 0, x, 0.1 * x),
        "elu": np.where(x > 0, x, 0.1 * np.expm1(x)),
        "selu": sel_l * np.where(x > 0, x, sel_a * np.expm1(x)),
        "gelu": 0.5 * x * (1 + _erf(x / np.sqrt(2))),
    }
    for act, want in cases.items():
        got = nd.LeakyReLU(f64(x), act_type=act, slope=0.1).asnumpy()
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12, err_msg=act)
    gamma = RNG.uniform(0.1, 0.5, 3)
    got = nd.LeakyReLU(f64(x), f64(gamma), act_type="prelu").asnumpy()
    np.testing.assert_allclose(got, np.where(x > 0, x, gamma.reshape(1, 3, 1) * x))
    got = nd.LeakyReLU(f64(x), act_type="rrelu").asnumpy()
    np.testing.assert_allclose(got, np.where(x > 0, x, (0.125 + 0.334) / 2 * x))
    with pytest.raises(gl.errors.MXNetValueError, match="act_type"):
        nd.LeakyReLU(f64(x), act_type="swish")


def test_gelu_second_derivative():
    x = f64(np.array([-1.5, -0.2, 0.3, 2.0]))
    x.attach_grad()
    with autograd.record():
        y = nd.LeakyReLU(x, act_type="gelu")
        (g,) = autograd.grad(y.sum(), [x], create_graph=True)
        g.sum().backward()
    v = x.asnumpy()
    pdf = np.exp(-v * v / 2) / np.sqrt(2 * np.pi)
    np.testing.assert_allclose(g.asnumpy(), 0.5 * (1 + _erf(v / np.sqrt(2))) + v * pdf)
    np.testing.assert_allclose(x.grad.asnumpy(), pdf * (2 - v * v), rtol=1e-10)


# ---- sequences and losses -----------------------------------------------------------------------
def test_sequence_mask_last_reverse():
    x = RNG.randn(4, 3, 2)
    length = np.array([1.0, 4.0, 2.0])
    y = nd.SequenceMask(f64(x), f64(length), use_sequence_length=True, value=-1.0).asnumpy()
    steps = np.arange(4).reshape(4, 1, 1)
    np.testing.assert_array_equal(y, np.where(steps < length.reshape(1, 3, 1), x, -1.0))
    xt = np.swapaxes(x, 0, 1)
    yt = nd.SequenceMask(f64(xt), f64(length), use_sequence_length=True, axis=1).asnumpy()
    np.testing.assert_array_equal(
        yt, np.where(steps.reshape(1, 4, 1) < length.reshape(3, 1, 1), xt, 0.0)
    )
    last = nd.SequenceLast(f64(x), f64(length), use_sequence_length=True).asnumpy()
    np.testing.assert_array_equal(last, x[[0, 3, 1], [0, 1, 2]])
    np.testing.assert_array_equal(nd.SequenceLast(f64(x)).asnumpy(), x[-1])
    np.testing.assert_array_equal(nd.SequenceLast(f64(xt), axis=1).asnumpy(), x[-1])
    rev = nd.SequenceReverse(f64(x), f64(length), use_sequence_length=True).asnumpy()
    want = x.copy()
    for b, n in enumerate(length.astype(int)):
        want[:n, b] = x[:n, b][::-1]
    np.testing.assert_array_equal(rev, want)
    np.testing.assert_array_equal(nd.SequenceReverse(f64(x)).asnumpy(), x[::-1])
    np.testing.assert_array_equal(nd.SequenceMask(f64(x)).asnumpy(), x)


def test_sequence_ops_differentiate_into_the_data():
    x = f64(RNG.randn(3, 2, 2))
    x.attach_grad()
    with autograd.record():
        y = nd.SequenceLast(x, f64(np.array([2.0, 3.0])), use_sequence_length=True)
    y.backward()
    want = np.zeros((3, 2, 2))
    want[1, 0] = want[2, 1] = 1
    np.testing.assert_array_equal(x.grad.asnumpy(), want)


def test_smooth_l1():
    x = np.array([-3.0, -0.5, 0.0, 0.2, 2.0])
    for s in (1.0, 2.0):
        want = np.where(np.abs(x) < 1 / s**2, 0.5 * (s * x) ** 2, np.abs(x) - 0.5 / s**2)
        np.testing.assert_allclose(nd.smooth_l1(f64(x), scalar=s).asnumpy(), want)


def test_out_and_name_keywords():
    x = nd.array(RNG.randn(2, 3))
    out = nd.zeros((2, 3))
    r = nd.softmax(x, out=out, name="sm")
    assert r is out
    np.testing.assert_allclose(out.asnumpy(), _softmax(x.asnumpy()), rtol=1e-6)
