"""Sliding windows: their geometry, the gathering of window columns shared by convolution and
pooling, and the ``im2col`` / ``col2im`` primitives (windows and their adjoint).

The convolution trio lives in ``conv.py`` and max pooling in ``pool.py``. Windows are gathered
in the input's own memory order, a chunk of images at a time (padded a chunk at a time), and
one BLAS product per chunk does the arithmetic:

- channels-last input (the usual case: the primitives here return (N, C, *S) views of
  (N, *S, C) memory) is copied chunk by chunk into a padded (n, *S, C) buffer; each window row
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

import numpy

from .registry import P, register

__all__ = ["channels_first_axes", "channels_last_axes", "window_out_size"]

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
    shape = (*out, *geo.kernel, x.shape[1] // groups)  # one image's windows, per group
    per_image = math.prod(shape)
    nb = _chunk(xp, n, per_image * groups * x.dtype.itemsize)
    scratch = _workspace(xp, groups * nb * per_image, x.dtype)
    for i in range(0, n, nb):  # padded a chunk at a time: no padded copy of all of x
        j = min(n, i + nb)
        win = geo.windows(xp, geo.padded_channels_last(xp, x[i:j]), out, groups)
        part = scratch[: groups * (j - i) * per_image].reshape(groups, j - i, *shape)
        xp.copyto(part, win)
        yield i, j, part.reshape(groups, (j - i) * math.prod(out), -1)


def _offset_chunks(xp, x, geo: _Geometry, out):
    """(i, j, cols) per chunk of images: the windows of images i:j of channels-first x
    (N, C, *S) as columns (C*k, (j-i)*prod(out)), rows ordered like w's (C, *kernel), in
    scratch memory."""
    n = x.shape[0]
    lead = (x.shape[1], *geo.kernel)  # (C, *kernel)
    taps = math.prod(lead)
    per_image = taps * math.prod(out)
    nb = _chunk(xp, n, per_image * x.dtype.itemsize, _OFFSET_CHUNK_BYTES)
    scratch = _workspace(xp, nb * per_image, x.dtype)
    for i in range(0, n, nb):  # padded a chunk at a time: no padded copy of all of x
        j = min(n, i + nb)
        win = geo.offset_windows(xp, geo.padded_channels_first(xp, x[i:j]), out)
        part = scratch[: (j - i) * per_image].reshape(*lead, j - i, *out)
        xp.copyto(part, win)
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
