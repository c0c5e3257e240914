"""Samples for the sliding-window primitives (ops/conv.py): im2col, col2im and the convolution
trio conv, conv_transpose, conv_weight_grad.

The references are naive loops over output positions and kernel offsets (and einsums over the
gathered windows), written independently of the strided, chunked implementation.
"""

import numpy as np
from hypothesis import strategies as st

from .sampling import floats, sample


def _out(size, k, s, d, pad):
    return (size + pad[0] + pad[1] - d * (k - 1) - 1) // s + 1


def _geometry(draw, max_nsp=3, sides=(6, 4, 3), kernels=(3, 3, 2), max_stride=2):
    """An image shape and window geometry (1-3 spatial axes) with at least one window."""
    nsp = draw(st.integers(1, max_nsp))
    max_side = sides[nsp - 1]
    max_k = kernels[nsp - 1]
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 3 if nsp < 3 else 2))
    spatial, kernel, stride, dilate, pad = [], [], [], [], []
    for _ in range(nsp):
        size = draw(st.integers(1, max_side))
        k, s = draw(st.integers(1, max_k)), draw(st.integers(1, max_stride))
        d = draw(st.integers(1, 2))
        p = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
        if _out(size, k, s, d, p) < 1:  # make it fit: the smallest kernel always does
            k, d = 1, 1
        spatial.append(size)
        kernel.append(k)
        stride.append(s)
        dilate.append(d)
        pad.append(p)
    attrs = {
        "kernel": tuple(kernel),
        "stride": tuple(stride),
        "dilate": tuple(dilate),
        "pad": tuple(pad),
    }
    return (n, c, *spatial), attrs


def _positions(kernel, stride, dilate, pad, spatial):
    out = tuple(map(_out, spatial, kernel, stride, dilate, pad))
    for o in np.ndindex(*out):
        for k in np.ndindex(*kernel):
            yield o, k, tuple(oi * s + ki * d for oi, ki, s, d in zip(o, k, stride, dilate))


def ref_im2col(x, kernel, stride, dilate, pad, fill=0.0):
    n, c, *spatial = x.shape
    padded = np.full((n, c, *(s + lo + hi for s, (lo, hi) in zip(spatial, pad))), fill)
    padded[(slice(None), slice(None), *(slice(lo, lo + s) for s, (lo, _) in zip(spatial, pad)))] = x
    out = tuple(map(_out, spatial, kernel, stride, dilate, pad))
    res = np.empty((n, *out, *kernel, c))
    for o, k, at in _positions(kernel, stride, dilate, pad, spatial):
        res[(slice(None), *o, *k, slice(None))] = padded[(slice(None), slice(None), *at)]
    return res


def ref_col2im(cols, shape, kernel, stride, dilate, pad):
    n, c, *spatial = shape
    padded = np.zeros((n, c, *(s + lo + hi for s, (lo, hi) in zip(spatial, pad))))
    for o, k, at in _positions(kernel, stride, dilate, pad, spatial):
        padded[(slice(None), slice(None), *at)] += cols[(slice(None), *o, *k, slice(None))]
    return padded[
        (slice(None), slice(None), *(slice(lo, lo + s) for s, (lo, _) in zip(spatial, pad)))
    ]


@sample("im2col", ref_im2col)
def _im2col(draw):
    shape, attrs = _geometry(draw)
    attrs["fill"] = draw(st.sampled_from([0.0, -1.5]))
    return (floats(draw, shape),), attrs


@sample("col2im", ref_col2im)
def _col2im(draw):
    shape, attrs = _geometry(draw)
    n, c, *spatial = shape
    out = tuple(map(_out, spatial, attrs["kernel"], attrs["stride"], attrs["dilate"], attrs["pad"]))
    attrs["shape"] = shape
    return (floats(draw, (n, *out, *attrs["kernel"], c)),), attrs


def _grouped_cols(x, kernel, stride, dilate, pad, groups):
    """Windows of x as (n, *out, K, G, C/G) with the kernel offsets flattened."""
    cols = ref_im2col(x, kernel, stride, dilate, pad)
    lead = cols.shape[: 1 + len(kernel)]
    return cols.reshape(*lead, int(np.prod(kernel)), groups, x.shape[1] // groups)


def _grouped_weight(w, groups):
    """w (O, C/G, *k) as (G, O/G, C/G, K)."""
    return w.reshape(groups, w.shape[0] // groups, w.shape[1], -1)


def _to_channels_first(y):
    return np.moveaxis(y, -1, 1)


def ref_conv(x, w, stride, dilate, pad, groups):
    cols = _grouped_cols(x, w.shape[2:], stride, dilate, pad, groups)
    y = np.einsum("...kgc,gock->...go", cols, _grouped_weight(w, groups))
    return _to_channels_first(y.reshape(*y.shape[:-2], -1))


def ref_conv_transpose(gy, w, size, stride, dilate, pad, groups):
    wg = _grouped_weight(w, groups)
    g = np.moveaxis(gy, 1, -1)
    g = g.reshape(*g.shape[:-1], groups, -1)  # (n, *out, G, O/G)
    cols = np.einsum("...go,gock->...kgc", g, wg)
    kernel = w.shape[2:]
    cols = cols.reshape(*cols.shape[: 1 + len(kernel)], *kernel, -1)
    return ref_col2im(cols, (gy.shape[0], w.shape[1] * groups, *size), kernel, stride, dilate, pad)


def ref_conv_weight_grad(x, gy, kernel, stride, dilate, pad, groups):
    cols = _grouped_cols(x, kernel, stride, dilate, pad, groups)
    cols = cols.reshape(-1, *cols.shape[-3:])  # (positions, K, G, C/G)
    g = np.moveaxis(gy, 1, -1).reshape(cols.shape[0], groups, -1)
    dw = np.einsum("pkgc,pgo->gock", cols, g)
    return dw.reshape(gy.shape[1], x.shape[1] // groups, *kernel)


def _conv_case(draw, **geometry):
    """x, w, geometry attrs (with groups) and the output spatial shape of one convolution; with
    one group up to 6 channels (few channels are gathered by kernel offset, more as rows)."""
    shape, attrs = _geometry(draw, **geometry)
    n, _c, *spatial = shape
    groups = draw(st.sampled_from([1, 2]))
    cg, og = draw(st.integers(1, 6 if groups == 1 else 2)), draw(st.integers(1, 2))
    kernel = attrs.pop("kernel")
    attrs["groups"] = groups
    out = tuple(map(_out, spatial, kernel, attrs["stride"], attrs["dilate"], attrs["pad"]))
    x = floats(draw, (n, cg * groups, *spatial))
    w = floats(draw, (og * groups, cg, *kernel))
    return x, w, attrs, out


@sample("conv", ref_conv)
def _conv(draw):
    x, w, attrs, _ = _conv_case(draw)
    return (x, w), attrs


@sample("conv_transpose", ref_conv_transpose)
def _conv_transpose(draw):
    x, w, attrs, out = _conv_case(draw)
    gy = floats(draw, (x.shape[0], w.shape[0], *out))
    return (gy, w), {**attrs, "size": x.shape[2:]}


@sample("conv_transpose", ref_conv_transpose, name="strided", grad=False)
def _conv_transpose_strided(draw):
    """Larger images and strides up to 3, forward only: every residue class of the strided
    scatter, with and without taps, clipped at both ends."""
    x, w, attrs, out = _conv_case(draw, max_nsp=2, sides=(12, 9), kernels=(4, 3), max_stride=3)
    gy = floats(draw, (x.shape[0], w.shape[0], *out))
    return (gy, w), {**attrs, "size": x.shape[2:]}


@sample("conv_weight_grad", ref_conv_weight_grad)
def _conv_weight_grad(draw):
    x, w, attrs, out = _conv_case(draw)
    gy = floats(draw, (x.shape[0], w.shape[0], *out))
    return (x, gy), {**attrs, "kernel": w.shape[2:]}


def ref_max_pool(x, kernel, stride, pad):
    cols = ref_im2col(x, kernel, stride, (1,) * len(kernel), pad, fill=np.finfo(x.dtype).min)
    return _to_channels_first(cols.max(axis=tuple(range(1 + len(kernel), 1 + 2 * len(kernel)))))


@sample("max_pool", ref_max_pool)
def _max_pool(draw):
    shape, attrs = _geometry(draw)
    del attrs["dilate"]
    # padding < kernel: every window holds real data (a window wholly in the padding yields the
    # dtype's lowest value, which finite differences cannot handle; tests/ndarray covers it)
    attrs["pad"] = tuple(
        (min(lo, k - 1), min(hi, k - 1)) for (lo, hi), k in zip(attrs["pad"], attrs["kernel"])
    )
    x = floats(draw, shape)
    # distinct values (no ties, where the gradient is one-sided): a shuffled grid plus noise
    order = draw(st.permutations(range(x.size)))
    x = (np.asarray(order, dtype=np.float64).reshape(shape) + 0.5 * np.tanh(x)) * 0.1
    return (x,), attrs


def _first_max(x, kernel, stride, pad):
    """Per output position: the (padded) input index of its window's first maximum."""
    n, c, *spatial = x.shape
    low = np.finfo(x.dtype).min
    padded = np.full((n, c, *(s + lo + hi for s, (lo, hi) in zip(spatial, pad))), low)
    padded[(slice(None), slice(None), *(slice(lo, lo + s) for s, (lo, _) in zip(spatial, pad)))] = x
    out = tuple(map(_out, spatial, kernel, stride, (1,) * len(kernel), pad))
    where = {}
    for b, ch in np.ndindex(n, c):
        for o in np.ndindex(*out):
            taps = [
                tuple(oi * s + ki for oi, s, ki in zip(o, stride, k)) for k in np.ndindex(*kernel)
            ]
            vals = [padded[(b, ch, *t)] for t in taps]
            where[(b, ch, *o)] = (b, ch, *taps[int(np.argmax(vals))])
    return padded.shape, where, out


def ref_max_pool_grad(x, y, g, kernel, stride, pad):
    shape, where, _ = _first_max(x, kernel, stride, pad)
    gx = np.zeros(shape)
    for o, i in where.items():
        gx[i] += g[o]
    return gx[
        (slice(None), slice(None), *(slice(lo, lo + s) for s, (lo, _) in zip(x.shape[2:], pad)))
    ]


def ref_max_pool_pick(x, y, c, kernel, stride, pad):
    shape, where, out = _first_max(x, kernel, stride, pad)
    cp = np.zeros(shape)
    cp[(slice(None), slice(None), *(slice(lo, lo + s) for s, (lo, _) in zip(x.shape[2:], pad)))] = c
    res = np.zeros((*x.shape[:2], *out))
    for o, i in where.items():
        res[o] = cp[i]
    return res


def _pool_case(draw, with_ties):
    (x,), attrs = _max_pool(draw)
    if with_ties:  # ties: the first maximum in row-major window order takes the gradient
        x = np.round(x * 2) / 2
    return x, ref_max_pool(x, **attrs), attrs


@sample("max_pool_grad", ref_max_pool_grad, wrt=(2,))
def _max_pool_grad(draw):
    x, y, attrs = _pool_case(draw, draw(st.booleans()))
    return (x, y, floats(draw, y.shape)), attrs


@sample("max_pool_pick", ref_max_pool_pick, wrt=(2,))
def _max_pool_pick(draw):
    x, y, attrs = _pool_case(draw, draw(st.booleans()))
    return (x, y, floats(draw, x.shape)), attrs
