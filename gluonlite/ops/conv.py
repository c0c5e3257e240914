"""Sliding-window primitives: ``im2col`` / ``col2im`` (windows and their adjoint, for pooling)
and the convolution trio ``conv``, ``conv_transpose``, ``conv_weight_grad``.

The trio is closed under differentiation: each one's gradients are the other two, so
convolutions are differentiable to any order. All work channels-last: the input is copied once
into a padded (N, *S, C) buffer, windows are gathered from it so that each window row (kernel
offsets x channels) is contiguous, and one BLAS product per chunk of images does the arithmetic.
On the CPU the gather runs a few images at a time so the window columns stay in cache (gathering
and multiplying a whole batch's columns at once is memory-bound and 2-4x slower); on a GPU the
whole batch is one chunk. Outputs are (N, C, *S) views of channels-last memory, so the next
window gather reads them without a layout copy.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy

from .registry import P, register

__all__ = ["channels_first_axes", "channels_last_axes", "lowest", "window_out_size"]

_CHUNK_BYTES = 1 << 21  # window columns gathered at once on the CPU: about one L2 cache


def window_out_size(
    size: int, kernel: int, stride: int = 1, dilate: int = 1, pad: tuple[int, int] = (0, 0)
) -> int:
    """Number of windows of ``kernel`` taps (``dilate`` apart) that fit, ``stride`` apart, in
    ``size`` elements padded by ``pad = (before, after)``."""
    return (size + pad[0] + pad[1] - dilate * (kernel - 1) - 1) // stride + 1


def channels_last_axes(ndim: int) -> tuple[int, ...]:
    """Axes that turn (N, C, *spatial) into (N, *spatial, C)."""
    return (0, *range(2, ndim), 1)


def channels_first_axes(ndim: int) -> tuple[int, ...]:
    """Axes that turn (N, *spatial, C) into (N, C, *spatial)."""
    return (0, ndim - 1, *range(1, ndim - 1))


class _Geometry:
    """Kernel, stride, dilation and (before, after) padding of one windowing, with defaults."""

    def __init__(self, kernel, stride=None, dilate=None, pad=None) -> None:
        n = len(kernel)
        self.kernel = tuple(kernel)
        self.stride = tuple(stride) if stride else (1,) * n
        self.dilate = tuple(dilate) if dilate else (1,) * n
        self.pad = tuple(tuple(p) for p in pad) if pad else ((0, 0),) * n

    def out(self, spatial) -> tuple[int, ...]:
        return tuple(map(window_out_size, spatial, self.kernel, self.stride, self.dilate, self.pad))

    def check(self, op: str, shape) -> tuple[int, ...]:
        """Output spatial sizes for an input of ``shape`` (N, C, *S), or a ValueError."""
        if len(shape) != len(self.kernel) + 2:
            raise ValueError(
                f"{op}: kernel {self.kernel} needs {len(self.kernel)} spatial axes, the input has "
                f"shape {tuple(shape)}"
            )
        out = self.out(shape[2:])
        if min(out) < 1:
            raise ValueError(
                f"{op}: kernel {self.kernel} (dilate {self.dilate}) does not fit the input of "
                f"shape {tuple(shape)} padded by {self.pad}; use a smaller kernel or more padding"
            )
        return out

    def padded_channels_last(self, xp, x, fill: float = 0.0):
        """``x`` (N, C, *S) as a C-contiguous (N, *S_padded, C) buffer, ``fill`` in the border."""
        xl = x.transpose(channels_last_axes(x.ndim))
        if not any(lo or hi for lo, hi in self.pad):
            return xp.ascontiguousarray(xl)
        spatial = x.shape[2:]
        shape = (x.shape[0], *(s + lo + hi for s, (lo, hi) in zip(spatial, self.pad)), x.shape[1])
        buf = xp.empty(shape, dtype=x.dtype)
        for axis, (s, (lo, hi)) in enumerate(zip(spatial, self.pad), start=1):
            index = [slice(None)] * buf.ndim
            index[axis] = slice(0, lo)
            buf[tuple(index)] = fill
            index[axis] = slice(lo + s, None)
            buf[tuple(index)] = fill
        buf[(slice(None), *self.interior(spatial))] = xl
        return buf

    def interior(self, spatial) -> tuple[slice, ...]:
        """Slices of the unpadded region in a padded buffer's spatial axes."""
        return tuple(slice(lo, lo + s) for s, (lo, _) in zip(spatial, self.pad))

    def windows(self, xp, buf, out, groups: int = 1):
        """Strided view (G, N, *out, *kernel, C/G) of the windows of a padded channels-last
        buffer: no copy."""
        st = buf.strides
        inner, cg = st[1:-1], buf.shape[-1] // groups
        return xp.lib.stride_tricks.as_strided(
            buf,
            shape=(groups, buf.shape[0], *out, *self.kernel, cg),
            strides=(
                cg * st[-1],
                st[0],
                *(s * k for s, k in zip(inner, self.stride)),
                *(s * d for s, d in zip(inner, self.dilate)),
                st[-1],
            ),
        )

    def scatter(self, buf, cols, out) -> None:
        """Add windows ``cols`` (N, *out, *kernel, C) into the padded buffer (N, *S_padded, C):
        one strided add per kernel offset."""
        lead = (slice(None),) * (1 + len(out))
        for offset in itertools.product(*map(range, self.kernel)):
            target = tuple(
                slice(o * d, o * d + s * (m - 1) + 1, s)
                for o, d, s, m in zip(offset, self.dilate, self.stride, out)
            )
            buf[(slice(None), *target)] += cols[lead + offset]


def _chunk(xp, n: int, per_image: int) -> int:
    """Images per chunk: as many as fit ``_CHUNK_BYTES`` on the CPU, all of them on a GPU."""
    if xp.__name__ != "numpy":
        return n
    return max(1, min(n, _CHUNK_BYTES // max(per_image, 1)))


# ---- im2col / col2im ----------------------------------------------------------------------------
def _im2col(xp, x, kernel, stride=None, dilate=None, pad=None, fill=0.0):
    """Sliding windows of ``x`` (N, C, *S) as a contiguous (N, *out, *kernel, C) array."""
    geo = _Geometry(kernel, stride, dilate, pad)
    out = geo.check("im2col", x.shape)
    return xp.ascontiguousarray(geo.windows(xp, geo.padded_channels_last(xp, x, fill), out)[0])


def _col2im(xp, cols, shape, kernel, stride=None, dilate=None, pad=None):
    """Adjoint of im2col: add every window of ``cols`` (N, *out, *kernel, C) into an image of
    ``shape`` (N, C, *S) and drop the padding."""
    geo = _Geometry(kernel, stride, dilate, pad)
    n, c, *spatial = shape
    out = geo.out(spatial)
    if cols.shape != (n, *out, *geo.kernel, c):
        raise ValueError(
            f"col2im: columns of shape {cols.shape} do not match an image of shape {tuple(shape)}"
            f" with kernel {geo.kernel}, stride {geo.stride}, dilate {geo.dilate}, pad {geo.pad} "
            f"(expected {(n, *out, *geo.kernel, c)})"
        )
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(spatial, geo.pad))
    buf = xp.zeros((n, *padded, c), dtype=cols.dtype)
    geo.scatter(buf, cols, out)
    crop = buf[(slice(None), *geo.interior(spatial))]
    return crop.transpose(channels_first_axes(buf.ndim))


register(
    "im2col",
    _im2col,
    grads=(
        lambda g, ins, outs, kernel, stride=None, dilate=None, pad=None, fill=0.0: P.col2im(
            g, shape=tuple(ins[0].shape), kernel=kernel, stride=stride, dilate=dilate, pad=pad
        ),
    ),
    doc="Sliding windows of an (N, C, *spatial) array (1-3 spatial axes) as a contiguous "
    "(N, *out, *kernel, C) array: attrs kernel, stride, dilate, pad ((before, after) per axis) "
    "and fill (the padding value).",
)
register(
    "col2im",
    _col2im,
    grads=(
        lambda g, ins, outs, shape, kernel, stride=None, dilate=None, pad=None: P.im2col(
            g, kernel=kernel, stride=stride, dilate=dilate, pad=pad
        ),
    ),
    doc="Adjoint of im2col: sum windows (N, *out, *kernel, C) back into an image of ``shape`` "
    "(N, C, *spatial), overlapping taps added, padding dropped.",
)


# ---- max pooling --------------------------------------------------------------------------------
def lowest(dtype: Any) -> float | int:
    """The most negative finite value of ``dtype``: the padding of max pooling (MXNet fills
    windows with -FLT_MAX, so a window wholly inside the padding yields it)."""
    dtype = numpy.dtype(dtype)
    return float(numpy.finfo(dtype).min) if dtype.kind == "f" else int(numpy.iinfo(dtype).min)


def _max_pool(xp, x, kernel, stride=None, pad=None):
    """Maximum of each window of x (N, C, *S): one strided maximum per kernel offset over a
    padded channels-last view (no window gather, no reduction over small axes)."""
    geo = _Geometry(kernel, stride, None, pad)
    out = geo.check("max_pool", x.shape)
    win = geo.windows(xp, geo.padded_channels_last(xp, x, lowest(x.dtype)), out)[0]
    lead = (slice(None),) * (1 + len(out))
    offsets = itertools.product(*map(range, geo.kernel))
    y = win[lead + next(offsets)].copy()
    for offset in offsets:
        xp.maximum(y, win[lead + offset], out=y)
    return y.transpose(channels_first_axes(y.ndim))


def _first_max_masks(xp, x, y, geo: _Geometry):
    """(offset, mask) for each kernel offset in row-major order: the mask (N, *out, C) marks the
    windows whose first maximum sits at that offset."""
    out = tuple(y.shape[2:])
    win = geo.windows(xp, geo.padded_channels_last(xp, x, lowest(x.dtype)), out)[0]
    top = y.transpose(channels_last_axes(y.ndim))
    taken = xp.zeros(top.shape, dtype=bool)
    lead = (slice(None),) * (1 + len(out))
    for offset in itertools.product(*map(range, geo.kernel)):
        hit = win[lead + offset] == top
        hit &= ~taken
        taken |= hit
        yield offset, hit


def _max_pool_grad(xp, x, y, g, kernel, stride=None, pad=None):
    """Route g (N, C, *out) to the first maximum of each window of x (y = max_pool(x))."""
    geo = _Geometry(kernel, stride, None, pad)
    spatial = x.shape[2:]
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(spatial, geo.pad))
    buf = xp.zeros((x.shape[0], *padded, x.shape[1]), dtype=g.dtype)
    g_last = g.transpose(channels_last_axes(g.ndim))
    out = g.shape[2:]
    for offset, hit in _first_max_masks(xp, x, y, geo):
        target = tuple(slice(o, o + s * (m - 1) + 1, s) for o, s, m in zip(offset, geo.stride, out))
        buf[(slice(None), *target)] += g_last * hit
    crop = buf[(slice(None), *geo.interior(spatial))]
    return crop.transpose(channels_first_axes(buf.ndim))


def _max_pool_pick(xp, x, y, c, kernel, stride=None, pad=None):
    """Adjoint of max_pool_grad in g: c (N, C, *S) read at the first maximum of each window."""
    geo = _Geometry(kernel, stride, None, pad)
    picks = geo.windows(xp, geo.padded_channels_last(xp, c), tuple(y.shape[2:]))[0]
    lead = (slice(None),) * (y.ndim - 1)
    out = xp.zeros(picks.shape[: y.ndim - 1] + picks.shape[-1:], dtype=c.dtype)
    for offset, hit in _first_max_masks(xp, x, y, geo):
        out += picks[lead + offset] * hit
    return out.transpose(channels_first_axes(out.ndim))


def _pool_attrs(rule):
    return lambda g, ins, outs, kernel, stride=None, pad=None: rule(
        ins[0], ins[1] if len(ins) == 3 else outs[0], g, kernel=kernel, stride=stride, pad=pad
    )


register(
    "max_pool",
    _max_pool,
    grads=(_pool_attrs(lambda x, y, g, **geo: P.max_pool_grad(x, y, g, **geo)),),
    save_ins=(0,),
    save_outs=(0,),
    doc="Max pooling of (N, C, *spatial) over windows (attrs kernel, stride, pad as (before, "
    "after) per axis); padding holds the dtype's lowest value, and the gradient goes to each "
    "window's first maximum (MXNet's and PyTorch's choice).",
)
register(
    "max_pool_grad",
    _max_pool_grad,
    grads=(None, None, _pool_attrs(lambda x, y, c, **geo: P.max_pool_pick(x, y, c, **geo))),
    save_ins=(0, 1),
    doc="Gradient of max_pool(x) = y: g (N, C, *out) routed to each window's first maximum.",
)
register(
    "max_pool_pick",
    _max_pool_pick,
    grads=(None, None, _pool_attrs(lambda x, y, g, **geo: P.max_pool_grad(x, y, g, **geo))),
    save_ins=(0, 1),
    doc="Adjoint of max_pool_grad: c (N, C, *spatial) read at each window's first maximum.",
)


# ---- the convolution trio -----------------------------------------------------------------------
def _grouped_weight(w, groups: int):
    """w (O, C/G, *k) as (G, k*C/G, O/G): rows ordered like a window row (offsets, channels)."""
    o, cg, *kernel = w.shape
    nk = len(kernel)
    wg = w.reshape(groups, o // groups, cg, *kernel).transpose(0, *range(3, 3 + nk), 2, 1)
    return wg.reshape(groups, math.prod(kernel) * cg, o // groups)


def _channels_last_rows(xp, y, groups: int):
    """y (N, O, *S) as (N, prod(S), G, O/G) channels-last rows (a view when y's memory is)."""
    yl = xp.ascontiguousarray(y.transpose(channels_last_axes(y.ndim)))
    return yl.reshape(y.shape[0], -1, groups, y.shape[1] // groups)


def _correlate(xp, x, wg, geo: _Geometry, groups: int, dtype):
    """Cross-correlation of x (N, C, *S) with grouped weight rows wg (G, k*C/G, O/G):
    (N, *out, O) channels-last, chunked gather + matmul."""
    n = x.shape[0]
    out = geo.check("conv", x.shape)
    win = geo.windows(xp, geo.padded_channels_last(xp, x), out, groups)
    o = wg.shape[0] * wg.shape[2]
    y = xp.empty((n, *out, o), dtype=dtype)
    per_image = math.prod(win.shape[2:]) * groups
    nb = _chunk(xp, n, per_image * x.dtype.itemsize)
    cols = xp.empty((groups, nb, *win.shape[2:]), dtype=x.dtype)
    for i in range(0, n, nb):
        j = min(n, i + nb)
        part = cols[:, : j - i]
        xp.copyto(part, win[:, i:j])
        rows = part.reshape(groups, -1, wg.shape[1])
        target = y[i:j].reshape(-1, groups, o // groups).transpose(1, 0, 2)
        if groups == 1:
            xp.matmul(rows, wg, out=target)
        else:
            target[...] = xp.matmul(rows, wg)
    return y


def _conv(xp, x, w, stride=None, dilate=None, pad=None, groups=1):
    geo = _Geometry(w.shape[2:], stride, dilate, pad)
    y = _correlate(xp, x, _grouped_weight(w, groups), geo, groups, xp.result_type(x, w))
    return y.transpose(channels_first_axes(y.ndim))


def _conv_weight_grad(xp, x, gy, kernel, stride=None, dilate=None, pad=None, groups=1):
    """d<conv(x, w), gy>/dw: the window columns of x times gy, summed over the batch, chunked."""
    geo = _Geometry(kernel, stride, dilate, pad)
    n, c = x.shape[:2]
    out = geo.check("conv_weight_grad", x.shape)
    if tuple(gy.shape[2:]) != out or gy.shape[0] != n:
        raise ValueError(
            f"conv_weight_grad: output gradient {gy.shape} does not match input {x.shape} with "
            f"kernel {geo.kernel}, stride {geo.stride}, dilate {geo.dilate}, pad {geo.pad}"
        )
    win = geo.windows(xp, geo.padded_channels_last(xp, x), out, groups)
    rows_g = _channels_last_rows(xp, gy, groups)  # (N, prod(out), G, O/G)
    cg, og = c // groups, gy.shape[1] // groups
    taps = math.prod(geo.kernel) * cg
    acc = xp.zeros((groups, taps, og), dtype=xp.result_type(x, gy))
    nb = _chunk(xp, n, math.prod(win.shape[2:]) * groups * x.dtype.itemsize)
    cols = xp.empty((groups, nb, *win.shape[2:]), dtype=x.dtype)
    for i in range(0, n, nb):
        j = min(n, i + nb)
        part = cols[:, : j - i]
        xp.copyto(part, win[:, i:j])
        rows = part.reshape(groups, -1, taps).transpose(0, 2, 1)
        acc += xp.matmul(rows, rows_g[i:j].reshape(-1, groups, og).transpose(1, 0, 2))
    nk = len(geo.kernel)
    acc = acc.reshape(groups, *geo.kernel, cg, og).transpose(0, nk + 2, nk + 1, *range(1, nk + 1))
    return xp.ascontiguousarray(acc).reshape(gy.shape[1], cg, *geo.kernel)


def _flipped_pads(geo: _Geometry, size, out):
    """Padding of gy for conv_transpose as a stride-1 correlation with the flipped kernel, or
    None where that would need negative padding."""
    pads = []
    for k, d, (lo, _), s, m in zip(geo.kernel, geo.dilate, geo.pad, size, out):
        before, after = d * (k - 1) - lo, s - m + lo
        if before < 0 or after < 0:
            return None
        pads.append((before, after))
    return tuple(pads)


def _conv_transpose(xp, gy, w, size, stride=None, dilate=None, pad=None, groups=1):
    """Adjoint of conv in x: gy (N, O, *out) with w (O, C/G, *k) to (N, C, *size)."""
    geo = _Geometry(w.shape[2:], stride, dilate, pad)
    n, o = gy.shape[:2]
    cg, nk = w.shape[1], len(geo.kernel)
    out = geo.out(size)
    if tuple(gy.shape[2:]) != out:
        raise ValueError(
            f"conv_transpose: input of shape {gy.shape} does not map to spatial size {tuple(size)}"
            f" with kernel {geo.kernel}, stride {geo.stride}, dilate {geo.dilate}, pad {geo.pad} "
            f"(that input would have spatial shape {out})"
        )
    dtype = xp.result_type(gy, w)
    flipped = _flipped_pads(geo, size, out)
    if all(s == 1 for s in geo.stride) and flipped is not None:
        # a stride-1 correlation of gy with the flipped, in/out-swapped kernel: a gather, no scatter
        wf = w[(slice(None), slice(None), *(slice(None, None, -1),) * nk)]
        wf = wf.reshape(groups, o // groups, cg, *geo.kernel).transpose(0, 2, 1, *range(3, 3 + nk))
        wf = wf.reshape(groups * cg, o // groups, *geo.kernel)
        flip_geo = _Geometry(geo.kernel, None, geo.dilate, flipped)
        y = _correlate(xp, gy, _grouped_weight(wf, groups), flip_geo, groups, dtype)
        return y.transpose(channels_first_axes(y.ndim))
    rows_g = _channels_last_rows(xp, gy, groups)  # (N, prod(out), G, O/G)
    wt = _grouped_weight(w, groups).transpose(0, 2, 1)  # (G, O/G, k*C/G)
    c = cg * groups
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(size, geo.pad))
    buf = xp.zeros((n, *padded, c), dtype=dtype)
    nb = _chunk(xp, n, math.prod(out) * wt.shape[2] * groups * dtype.itemsize)
    for i in range(0, n, nb):
        j = min(n, i + nb)
        cols = xp.matmul(rows_g[i:j].reshape(-1, groups, o // groups).transpose(1, 0, 2), wt)
        cols = cols.reshape(groups, j - i, *out, *geo.kernel, cg)
        if groups > 1:
            cols = xp.moveaxis(cols, 0, -2)
        geo.scatter(buf[i:j], cols.reshape(j - i, *out, *geo.kernel, c), out)
    crop = buf[(slice(None), *geo.interior(size))]
    return crop.transpose(channels_first_axes(buf.ndim))


def _conv_vjp(g, ins, outs, needs, **attrs):
    x, w = ins
    return [
        P.conv_transpose(g, w, size=tuple(x.shape[2:]), **attrs) if needs[0] else None,
        P.conv_weight_grad(x, g, kernel=tuple(w.shape[2:]), **attrs) if needs[1] else None,
    ]


def _conv_transpose_vjp(g, ins, outs, needs, size, **attrs):
    gy, w = ins
    return [
        P.conv(g, w, **attrs) if needs[0] else None,
        P.conv_weight_grad(g, gy, kernel=tuple(w.shape[2:]), **attrs) if needs[1] else None,
    ]


def _conv_weight_grad_vjp(g, ins, outs, needs, kernel, **attrs):
    x, gy = ins
    return [
        P.conv_transpose(gy, g, size=tuple(x.shape[2:]), **attrs) if needs[0] else None,
        P.conv(x, g, **attrs) if needs[1] else None,
    ]


register(
    "conv",
    _conv,
    vjp=_conv_vjp,
    save_ins=(0, 1),
    doc="N-d cross-correlation (1-3 spatial axes) of x (N, C, *S) with w (O, C/groups, *k): "
    "attrs stride, dilate, pad ((before, after) per axis, zeros) and groups; no bias.",
)
register(
    "conv_transpose",
    _conv_transpose,
    vjp=_conv_transpose_vjp,
    save_ins=(0, 1),
    doc="Transposed convolution, the adjoint of conv in its input: y (N, O, *out) with w "
    "(O, C/groups, *k) to (N, C, *size); same geometry attrs as conv, plus ``size``.",
)
register(
    "conv_weight_grad",
    _conv_weight_grad,
    vjp=_conv_weight_grad_vjp,
    save_ins=(0, 1),
    doc="Gradient of conv in its weight: x (N, C, *S) and gy (N, O, *out) to (O, C/groups, "
    "*kernel); same geometry attrs as conv, plus ``kernel``.",
)
