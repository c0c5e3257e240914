"""Sliding-window primitives: ``im2col`` / ``col2im`` (windows and their adjoint, for pooling),
max pooling, and the convolution trio ``conv``, ``conv_transpose``, ``conv_weight_grad``.

The trio is closed under differentiation: each one's gradients are the other two, so
convolutions are differentiable to any order. Windows are gathered in the input's own memory
order, a chunk of images at a time, and one BLAS product per chunk does the arithmetic:

- channels-last input (the usual case: the primitives here return (N, C, *S) views of
  (N, *S, C) memory) is copied once into a padded (N, *S, C) buffer, and each window row
  (kernel offsets x channels) is one contiguous run;
- channels-first input with few channels (a network's input image), or under a 1x1 kernel, is
  gathered kernel offset by kernel offset into (C, *kernel, images, *out) columns, each image
  row one contiguous run (channels-last rows would be runs of one to three numbers, or need a
  layout copy of the whole input), which the product reads transposed.

On the CPU a chunk's columns fit in cache and live in a scratch buffer reused across calls
(allocating and freeing megabytes per call makes the C allocator hand the pages back to the OS
and fault them in again); on a GPU the whole batch is one chunk. conv_transpose is the
correlation of its input with the flipped kernel where that gathers less than products then
adds; otherwise (always at stride > 1) each kernel offset's product is added into an unpadded
channels-last result, summed per residue class of the positions modulo the stride (dense blocks,
long contiguous runs) and written to the class's strided grid once. Max pooling over windows
that tile the image reduces the kernel axes one at a time, long rows first.

conv, conv_transpose, conv_weight_grad, max_pool and max_pool_grad take ``out=``: they write
straight into it when it is laid out as they lay out their results (channels-last for images;
the memory planner of hybridized programs hands them such buffers), else copy into it.
"""

from __future__ import annotations

import itertools
import math
import threading
from typing import Any

import numpy

from .registry import P, register

__all__ = ["channels_first_axes", "channels_last_axes", "lowest", "window_out_size"]

_CHUNK_BYTES = 1 << 21  # channels-last window columns gathered at once on the CPU
_OFFSET_CHUNK_BYTES = 1 << 20  # offset-ordered columns (few channels) gathered at once
_SCATTER_CHUNK_BYTES = 1 << 22  # conv_transpose products scattered at once (fewer, larger ones)
_FEW_CHANNELS = 4  # channels-first inputs with at most this many channels gather by offset
_SCRATCH_LIMIT = 1 << 26  # larger column buffers are allocated per call, not kept
_scratch = threading.local()


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


def _pad(xp, x, pads, fill: float = 0.0):
    """``x`` padded by ``pads`` ((before, after) per axis) holding ``fill``, as a C-contiguous
    array (x itself when it is one and there is no padding)."""
    if not any(lo or hi for lo, hi in pads):
        return xp.ascontiguousarray(x)
    buf = xp.empty(tuple(s + lo + hi for s, (lo, hi) in zip(x.shape, pads)), dtype=x.dtype)
    for axis, (s, (lo, hi)) in enumerate(zip(x.shape, pads)):
        index = [slice(None)] * buf.ndim
        index[axis] = slice(0, lo)
        buf[tuple(index)] = fill
        index[axis] = slice(lo + s, None)
        buf[tuple(index)] = fill
    buf[tuple(slice(lo, lo + s) for s, (lo, _) in zip(x.shape, pads))] = x
    return buf


def _clip(count: int, start: int, size: int) -> tuple[slice, slice] | None:
    """(target, source) slices of the entries o in range(count) of one axis that land at
    o + start inside [0, size); None where none does."""
    first, last = max(0, -start), min(count, size - start)
    if last <= first:
        return None
    return slice(first + start, last + start), slice(first, last)


def _compose(grid: slice, inner: slice) -> slice:
    """The image slice of positions ``inner`` of a residue class laid out by ``grid``."""
    return slice(
        grid.start + grid.step * inner.start,
        grid.start + grid.step * (inner.stop - 1) + 1,
        grid.step,
    )


def _axis_classes(k: int, s: int, d: int, lo: int, n: int, m: int) -> list:
    """One axis of a scatter of window entries (o in range(m), tap t at o * s + t * d - lo) into
    an image axis of n, by residue class a (positions a, a + s, ...): (grid, taps) per class, the
    class's slice of the image and, for each tap landing on it, (t, target, source) slices with
    entry o at class position o + q, clipped to the class."""
    classes = []
    for a in range(min(s, n)):
        count = len(range(a, n, s))
        taps = []
        for t in range(k):
            q, r = divmod(t * d - lo - a, s)
            part = _clip(m, q, count) if r == 0 else None
            if part:
                taps.append((t, *part))
        classes.append((slice(a, None, s), taps))
    return classes


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
        """``x`` (N, C, *S) as a C-contiguous (N, *S_padded, C) buffer, ``fill`` in the border:
        no copy where x is channels-last in memory and there is no padding."""
        xl = x.transpose(channels_last_axes(x.ndim))
        return _pad(xp, xl, ((0, 0), *self.pad, (0, 0)), fill)

    def padded_channels_first(self, xp, x):
        """``x`` (N, C, *S) as a C-contiguous (N, C, *S_padded) buffer, zeros in the border."""
        return _pad(xp, x, ((0, 0), (0, 0), *self.pad))

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

    def offset_windows(self, xp, buf, out):
        """Strided view (C, *kernel, N, *out) of the windows of a padded channels-first buffer
        (N, C, *S_padded): for each channel and kernel offset, the shifted image it reads."""
        st = buf.strides
        inner = st[2:]
        return xp.lib.stride_tricks.as_strided(
            buf,
            shape=(buf.shape[1], *self.kernel, buf.shape[0], *out),
            strides=(
                st[1],
                *(s * d for s, d in zip(inner, self.dilate)),
                st[0],
                *(s * k for s, k in zip(inner, self.stride)),
            ),
        )

    def placements(self, size, out):
        """(offset, target, source) for each kernel offset landing inside an unpadded image of
        ``size``: the image slices its window entries (over ``out``) land on, and the slices of
        ``out`` that land there."""
        return [
            (offset, tuple(_compose(g, t) for g, t in zip(grid, target)), source)
            for grid, members in self.classes(size, out)
            for offset, target, source in members
        ]

    def classes(self, size, out):
        """The placements grouped by residue class of the image positions modulo the stride:
        (grid, members) per class, grid the image slices of the class and members (offset,
        target, source) for each kernel offset landing on it, target in class coordinates (so
        that within a class every share is a dense block)."""
        per_axis = [
            _axis_classes(k, s, d, lo, n, m)
            for k, s, d, (lo, _), n, m in zip(
                self.kernel, self.stride, self.dilate, self.pad, size, out
            )
        ]
        found = []
        for combo in itertools.product(*per_axis):
            members = [
                tuple(zip(*taps))  # (offset, target, source)
                for taps in itertools.product(*(taps for _, taps in combo))
            ]
            found.append((tuple(grid for grid, _ in combo), members))
        return found

    def tiles(self, size, out) -> bool:
        """Whether the windows partition an image of ``size`` exactly (no overlap, no gap, no
        padding): each element then belongs to exactly one window."""
        return all(
            s == k and d == 1 and lo == hi == 0 and n == m * s
            for k, s, d, (lo, hi), n, m in zip(
                self.kernel, self.stride, self.dilate, self.pad, size, out
            )
        )


# ---- memory -------------------------------------------------------------------------------------
def _workspace(xp, size: int, dtype):
    """A flat scratch array of ``size`` elements for window columns: on the CPU one buffer per
    thread, reused across calls (callers hold at most one at a time and never return it)."""
    nbytes = size * numpy.dtype(dtype).itemsize
    if xp is not numpy or nbytes > _SCRATCH_LIMIT:
        return xp.empty(size, dtype=dtype)
    buf = getattr(_scratch, "buf", None)
    if buf is None or buf.nbytes < nbytes:
        buf = _scratch.buf = numpy.empty(nbytes, dtype=numpy.uint8)
    return buf[:nbytes].view(dtype)


def _chunk(xp, n: int, per_image: int, budget: int = _CHUNK_BYTES) -> int:
    """Images per chunk: as many as fit ``budget`` bytes on the CPU, all of them on a GPU."""
    if xp is not numpy:
        return n
    return max(1, min(n, budget // max(per_image, 1)))


def _channels_last_out(xp, out, shape, dtype, dense: bool = True):
    """Where to write a result of ``shape`` (N, C, *S) as (N, *S, C): ``out``'s memory when it is
    given with this dtype (and, if ``dense``, laid out channels-last), else a new array."""
    if out is not None and out.dtype == dtype:
        view = out.transpose(channels_last_axes(out.ndim))
        if not dense or view.flags.c_contiguous:
            return view
    return xp.empty((shape[0], *shape[2:], shape[1]), dtype=dtype)


def _returned(xp, y, out):
    """The (N, C, *S) result held in channels-last ``y``: its view, or ``out`` holding it."""
    y = y.transpose(channels_first_axes(y.ndim))
    if out is None:
        return y
    if not xp.may_share_memory(y, out):
        xp.copyto(out, y)
    return out


def _channels_last_rows(xp, y, groups: int):
    """y (N, O, *S) as (N, prod(S), G, O/G) channels-last rows (a view when y's memory is)."""
    yl = xp.ascontiguousarray(y.transpose(channels_last_axes(y.ndim)))
    return yl.reshape(y.shape[0], math.prod(y.shape[2:]), groups, y.shape[1] // groups)


# ---- window columns -----------------------------------------------------------------------------
def _by_offset(x, geo: _Geometry, groups: int) -> bool:
    """Whether x's windows are gathered offset by offset: channels-first memory with few
    channels, or any number of them under a 1x1 kernel (the gather is then a strided copy of
    x in its own order, where channels-last rows would need a layout copy of all of x)."""
    few = x.shape[1] <= _FEW_CHANNELS or all(k == 1 for k in geo.kernel)
    return groups == 1 and few and x.flags.c_contiguous


def _row_chunks(xp, x, geo: _Geometry, out, groups: int):
    """(i, j, rows) per chunk of images: the windows of images i:j of x (N, C, *S) as
    channels-last rows (G, (j-i)*prod(out), k*C/G) in scratch memory."""
    n = x.shape[0]
    win = geo.windows(xp, geo.padded_channels_last(xp, x), out, groups)
    per_image = math.prod(win.shape[2:])
    nb = _chunk(xp, n, per_image * groups * x.dtype.itemsize)
    scratch = _workspace(xp, groups * nb * per_image, x.dtype)
    for i in range(0, n, nb):
        j = min(n, i + nb)
        part = scratch[: groups * (j - i) * per_image].reshape(groups, j - i, *win.shape[2:])
        xp.copyto(part, win[:, i:j])
        yield i, j, part.reshape(groups, (j - i) * math.prod(out), -1)


def _offset_chunks(xp, x, geo: _Geometry, out):
    """(i, j, cols) per chunk of images: the windows of images i:j of channels-first x
    (N, C, *S) as columns (C*k, (j-i)*prod(out)), rows ordered like w's (C, *kernel), in
    scratch memory."""
    n, nk = x.shape[0], len(geo.kernel)
    win = geo.offset_windows(xp, geo.padded_channels_first(xp, x), out)
    taps = math.prod(win.shape[: 1 + nk])
    per_image = taps * math.prod(out)
    nb = _chunk(xp, n, per_image * x.dtype.itemsize, _OFFSET_CHUNK_BYTES)
    scratch = _workspace(xp, nb * per_image, x.dtype)
    lead = (slice(None),) * (1 + nk)
    for i in range(0, n, nb):
        j = min(n, i + nb)
        part = scratch[: (j - i) * per_image].reshape(*win.shape[: 1 + nk], j - i, *out)
        xp.copyto(part, win[(*lead, slice(i, j))])
        yield i, j, part.reshape(taps, -1)


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
    y = xp.zeros((n, *spatial, c), dtype=cols.dtype)
    lead = (slice(None),) * (1 + len(out))
    for offset, target, source in geo.placements(spatial, out):
        y[(slice(None), *target)] += cols[lead + offset][(slice(None), *source)]
    return y.transpose(channels_first_axes(y.ndim))


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


def _offset_views(xp, x, geo: _Geometry, out, fill: float = 0.0):
    """(offset, view) per kernel offset, row-major: the (N, *out, C) entries of every window of
    x (N, C, *S) at that offset, strided views of a padded channels-last buffer."""
    win = geo.windows(xp, geo.padded_channels_last(xp, x, fill), out)[0]
    lead = (slice(None),) * (1 + len(out))
    for offset in itertools.product(*map(range, geo.kernel)):
        yield offset, win[lead + offset]


def _maximum_of(xp, views, y) -> None:
    """y = the elementwise maximum of ``views`` (a list of at least one array)."""
    if len(views) == 1:
        xp.copyto(y, views[0])
        return
    xp.maximum(views[0], views[1], out=y)
    for view in views[2:]:
        xp.maximum(y, view, out=y)


def _tile_max(xp, x, geo: _Geometry, out, y) -> None:
    """y (N, *out, C) = the maxima of windows that tile x (N, C, *S): x's channels-last memory
    viewed as (N, out_1, k_1, ..., out_d, k_d, C) and the kernel axes reduced one at a time, the
    first ones (all but the last) over long contiguous rows."""
    xl = xp.ascontiguousarray(x.transpose(channels_last_axes(x.ndim)))
    cur = xl.reshape(x.shape[0], *(d for m, k in zip(out, geo.kernel) for d in (m, k)), x.shape[1])
    nk = len(geo.kernel)
    for d in range(nk):
        views = [cur[(slice(None),) * (2 + d) + (t,)] for t in range(geo.kernel[d])]
        if len(views) == 1 and d < nk - 1:
            cur = views[0]
            continue
        cur = y if d == nk - 1 else xp.empty(views[0].shape, dtype=x.dtype)
        _maximum_of(xp, views, cur)


def _max_pool(xp, x, kernel, stride=None, pad=None, out=None):
    """Maximum of each window of x (N, C, *S): where the windows tile x, its kernel axes reduced
    one at a time; else one strided maximum per kernel offset over a padded channels-last view
    (no window gather, no reduction over small axes)."""
    geo = _Geometry(kernel, stride, None, pad)
    size = geo.check("max_pool", x.shape)
    y = _channels_last_out(xp, out, (*x.shape[:2], *size), x.dtype, dense=False)
    if geo.tiles(x.shape[2:], size):
        _tile_max(xp, x, geo, size, y)
    else:
        _maximum_of(xp, [v for _, v in _offset_views(xp, x, geo, size, lowest(x.dtype))], y)
    return _returned(xp, y, out)


def _routed(xp, x, y, g, geo: _Geometry, targets=None):
    """(offset, share) per kernel offset in row-major order: the part (N, *out, C) of g (in
    channels-last order) routed to the windows of x whose first maximum y sits at that offset,
    that is g where x equals the maximum there and no earlier offset took it. The share is
    written into ``targets[offset]`` where given."""
    top = y.transpose(channels_last_axes(y.ndim))
    rest = g.copy()
    hit = xp.empty(top.shape, dtype=bool)
    views = list(_offset_views(xp, x, geo, tuple(y.shape[2:]), lowest(x.dtype)))
    for index, (offset, view) in enumerate(views):
        xp.equal(view, top, out=hit)
        share = xp.multiply(rest, hit, out=None if targets is None else targets[offset])
        yield offset, share
        if index < len(views) - 1:
            rest -= share


def _max_pool_grad(xp, x, y, g, kernel, stride=None, pad=None, out=None):
    """Route g (N, C, *out) to the first maximum of each window of x (y = max_pool(x)); where
    the windows tile x, each offset's share is written in place, without zeroing first."""
    geo = _Geometry(kernel, stride, None, pad)
    size, out_size = tuple(x.shape[2:]), tuple(g.shape[2:])
    gx = _channels_last_out(xp, out, x.shape, g.dtype, dense=False)
    g_last = g.transpose(channels_last_axes(g.ndim))
    places = {offset: (target, source) for offset, target, source in geo.placements(size, out_size)}
    tiles = geo.tiles(size, out_size)
    if not tiles:
        gx[...] = 0
    targets = (
        {offset: gx[(slice(None), *t)] for offset, (t, _) in places.items()} if tiles else None
    )
    for offset, share in _routed(xp, x, y, g_last, geo, targets):
        if not tiles and offset in places:  # else written in place, or wholly in the padding
            target, source = places[offset]
            gx[(slice(None), *target)] += share[(slice(None), *source)]
    return _returned(xp, gx, out)


def _max_pool_pick(xp, x, y, c, kernel, stride=None, pad=None):
    """Adjoint of max_pool_grad in g: c (N, C, *S) read at the first maximum of each window."""
    geo = _Geometry(kernel, stride, None, pad)
    out = tuple(y.shape[2:])
    picks = dict(_offset_views(xp, c, geo, out))
    res = xp.zeros((y.shape[0], *out, y.shape[1]), dtype=c.dtype)
    for offset, first in _routed(xp, x, y, xp.ones_like(res), geo):
        res += picks[offset] * first
    return res.transpose(channels_first_axes(res.ndim))


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
    accepts_out=True,
    doc="Max pooling of (N, C, *spatial) over windows (attrs kernel, stride, pad as (before, "
    "after) per axis); padding holds the dtype's lowest value, and the gradient goes to each "
    "window's first maximum (MXNet's and PyTorch's choice).",
)
register(
    "max_pool_grad",
    _max_pool_grad,
    grads=(None, None, _pool_attrs(lambda x, y, c, **geo: P.max_pool_pick(x, y, c, **geo))),
    save_ins=(0, 1),
    accepts_out=True,
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


def _correlate(xp, x, w, geo: _Geometry, groups: int, y) -> None:
    """y (N, *out, O) channels-last = cross-correlation of x (N, C, *S) with w (O, C/G, *k):
    window columns times the weight, one product per chunk of images."""
    o = w.shape[0]
    out = y.shape[1:-1]
    if _by_offset(x, geo, groups):
        wm = w.reshape(o, -1).T  # (C*k, O), rows ordered like the offset columns
        for i, j, cols in _offset_chunks(xp, x, geo, out):
            xp.matmul(cols.T, wm, out=y[i:j].reshape(-1, o))
        return
    wg = _grouped_weight(w, groups)
    for i, j, rows in _row_chunks(xp, x, geo, out, groups):
        target = y[i:j].reshape(-1, groups, o // groups).transpose(1, 0, 2)
        if groups == 1:
            xp.matmul(rows, wg, out=target)
        else:
            target[...] = xp.matmul(rows, wg)


def _conv(xp, x, w, stride=None, dilate=None, pad=None, groups=1, out=None):
    """Cross-correlation of x (N, C, *S) with w (O, C/G, *k): (N, O, *out), channels-last."""
    geo = _Geometry(w.shape[2:], stride, dilate, pad)
    size = geo.check("conv", x.shape)
    shape = (x.shape[0], w.shape[0], *size)
    y = _channels_last_out(xp, out, shape, xp.result_type(x, w))
    _correlate(xp, x, w, geo, groups, y)
    return _returned(xp, y, out)


def _weight_grad_by_offset(xp, x, gy, geo: _Geometry, out):
    """conv_weight_grad of channels-first x gathered by offset: gy times the offset columns."""
    o = gy.shape[1]
    rows_g = _channels_last_rows(xp, gy, 1).reshape(gy.shape[0] * math.prod(out), o)
    acc = xp.zeros((o, x.shape[1] * math.prod(geo.kernel)), dtype=xp.result_type(x, gy))
    for i, j, cols in _offset_chunks(xp, x, geo, out):
        acc += xp.matmul(rows_g[i * math.prod(out) : j * math.prod(out)].T, cols.T)
    return acc.reshape(o, x.shape[1], *geo.kernel)


def _weight_grad_by_rows(xp, x, gy, geo: _Geometry, out, groups: int):
    """conv_weight_grad from channels-last window rows: (G, k*C/G, O/G) summed over chunks."""
    rows_g = _channels_last_rows(xp, gy, groups)  # (N, prod(out), G, O/G)
    og = gy.shape[1] // groups
    taps = math.prod(geo.kernel) * (x.shape[1] // groups)
    acc = xp.zeros((groups, taps, og), dtype=xp.result_type(x, gy))
    for i, j, rows in _row_chunks(xp, x, geo, out, groups):
        g_rows = rows_g[i:j].reshape(-1, groups, og).transpose(1, 0, 2)
        acc += xp.matmul(rows.transpose(0, 2, 1), g_rows)
    nk = len(geo.kernel)
    acc = acc.reshape(groups, *geo.kernel, -1, og).transpose(0, nk + 2, nk + 1, *range(1, nk + 1))
    return acc.reshape(gy.shape[1], -1, *geo.kernel)


def _conv_weight_grad(xp, x, gy, kernel, stride=None, dilate=None, pad=None, groups=1, out=None):
    """d<conv(x, w), gy>/dw: the window columns of x times gy, summed over the batch, chunked."""
    geo = _Geometry(kernel, stride, dilate, pad)
    size = geo.check("conv_weight_grad", x.shape)
    if tuple(gy.shape[2:]) != size or gy.shape[0] != x.shape[0]:
        raise ValueError(
            f"conv_weight_grad: output gradient {gy.shape} does not match input {x.shape} with "
            f"kernel {geo.kernel}, stride {geo.stride}, dilate {geo.dilate}, pad {geo.pad}"
        )
    if _by_offset(x, geo, groups):
        dw = _weight_grad_by_offset(xp, x, gy, geo, size)
    else:
        dw = _weight_grad_by_rows(xp, x, gy, geo, size, groups)
    if out is None:
        return xp.ascontiguousarray(dw)
    xp.copyto(out, dw)
    return out


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


def _flipped_weight(w, groups: int):
    """w (O, C/G, *k) of conv as the weight (C, O/G, *k) of the correlation that computes its
    conv_transpose: kernel reversed, in/out channels swapped per group."""
    o, cg, *kernel = w.shape
    nk = len(kernel)
    wf = w[(slice(None), slice(None), *(slice(None, None, -1),) * nk)]
    wf = wf.reshape(groups, o // groups, cg, *kernel).transpose(0, 2, 1, *range(3, 3 + nk))
    return wf.reshape(groups * cg, o // groups, *kernel)


def _covers(member, shape) -> bool:
    """Whether a member's target slices span a whole class of ``shape``."""
    return all(t.start == 0 and t.stop == n for t, n in zip(member[1], shape))


def _accumulate(acc, shares, members) -> None:
    """acc (M, *shape, C) = the sum of the members' shares (M, *out, C) at their targets, zeros
    where none lands; a share that covers acc is assigned first (no zero fill)."""
    cover = next((m for m in members if _covers(m, acc.shape[1:-1])), None)
    if cover is None:
        acc[...] = 0
    else:
        acc[...] = shares[cover[0]][(slice(None), *cover[2])]
    for offset, target, source in members:
        if (offset, target, source) != cover:
            acc[(slice(None), *target)] += shares[offset][(slice(None), *source)]


def _scatter(xp, y, shares, classes) -> None:
    """y (M, *size, C) = every kernel offset's share ``shares[offset]`` (M, *out, C) added at its
    place: summed per residue class in a dense array (long contiguous runs), then written to the
    class's strided grid in one go (at stride 1 the one class is y itself)."""
    if not all(members for _, members in classes):
        y[...] = 0  # some positions get nothing
    for grid, members in classes:
        target = y[(slice(None), *grid)]
        if not members:
            continue
        if all(g.step == 1 for g in grid):
            _accumulate(target, shares, members)
        elif len(members) == 1 and _covers(members[0], target.shape[1:-1]):
            offset, _, source = members[0]
            target[...] = shares[offset][(slice(None), *source)]
        else:
            acc = xp.empty(target.shape, dtype=y.dtype)
            _accumulate(acc, shares, members)
            target[...] = acc


def _scatter_products(xp, gy, w, geo: _Geometry, groups: int, y) -> None:
    """y (N, *size, C) channels-last = conv_transpose of gy (N, O, *out) with w (O, C/G, *k) as
    products then adds: each kernel offset's share gy @ w[offset] (one batched product per chunk
    of images and group) added at its strided place in y."""
    n, o = gy.shape[:2]
    out, cg, og = tuple(gy.shape[2:]), w.shape[1], o // groups
    classes = geo.classes(y.shape[1:-1], out)
    rows = _channels_last_rows(xp, gy, groups)  # (N, prod(out), G, O/G)
    wk = w.reshape(groups, og, cg, -1).transpose(0, 3, 1, 2)  # (G, k, O/G, C/G)
    per_image = wk.shape[1] * math.prod(out) * cg
    nb = _chunk(xp, n, per_image * y.dtype.itemsize, _SCATTER_CHUNK_BYTES)
    scratch = _workspace(xp, nb * per_image, y.dtype)
    for i in range(0, n, nb):
        j = min(n, i + nb)
        for g in range(groups):
            cols = scratch[: (j - i) * per_image].reshape(wk.shape[1], -1, cg)
            xp.matmul(rows[i:j, :, g].reshape(-1, og), wk[g], out=cols)
            shares = cols.reshape(*geo.kernel, j - i, *out, cg)
            _scatter(xp, y[i:j, ..., g * cg : (g + 1) * cg], shares, classes)


def _gather_is_cheaper(size, out, c: int, o: int) -> bool:
    """conv_transpose at stride 1: whether the correlation with the flipped kernel (columns of
    prod(size) * k * O numbers) beats products then adds (prod(out) * k * C numbers, each also
    added into a strided place: about three times the cost)."""
    return math.prod(size) * o <= 3 * math.prod(out) * c


def _conv_transpose(xp, gy, w, size, stride=None, dilate=None, pad=None, groups=1, out=None):
    """Adjoint of conv in x: gy (N, O, *out) with w (O, C/G, *k) to (N, C, *size)."""
    geo = _Geometry(w.shape[2:], stride, dilate, pad)
    n, o = gy.shape[:2]
    c = w.shape[1] * groups
    out_size = geo.out(size)
    if tuple(gy.shape[2:]) != out_size:
        raise ValueError(
            f"conv_transpose: input of shape {gy.shape} does not map to spatial size {tuple(size)}"
            f" with kernel {geo.kernel}, stride {geo.stride}, dilate {geo.dilate}, pad {geo.pad} "
            f"(that input would have spatial shape {out_size})"
        )
    y = _channels_last_out(xp, out, (n, c, *size), xp.result_type(gy, w))
    flipped = _flipped_pads(geo, size, out_size)
    if (
        flipped is not None
        and all(s == 1 for s in geo.stride)
        and _gather_is_cheaper(size, out_size, c, o)
    ):
        flip_geo = _Geometry(geo.kernel, None, geo.dilate, flipped)
        _correlate(xp, gy, _flipped_weight(w, groups), flip_geo, groups, y)
    else:
        _scatter_products(xp, gy, w, geo, groups, y)
    return _returned(xp, y, out)


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
    accepts_out=True,
    doc="N-d cross-correlation (1-3 spatial axes) of x (N, C, *S) with w (O, C/groups, *k): "
    "attrs stride, dilate, pad ((before, after) per axis, zeros) and groups; no bias.",
)
register(
    "conv_transpose",
    _conv_transpose,
    vjp=_conv_transpose_vjp,
    save_ins=(0, 1),
    accepts_out=True,
    doc="Transposed convolution, the adjoint of conv in its input: y (N, O, *out) with w "
    "(O, C/groups, *k) to (N, C, *size); same geometry attrs as conv, plus ``size``.",
)
register(
    "conv_weight_grad",
    _conv_weight_grad,
    vjp=_conv_weight_grad_vjp,
    save_ins=(0, 1),
    accepts_out=True,
    doc="Gradient of conv in its weight: x (N, C, *S) and gy (N, O, *out) to (O, C/groups, "
    "*kernel); same geometry attrs as conv, plus ``kernel``.",
)
