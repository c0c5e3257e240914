"""Neural-network primitives: sliding windows (``im2col``), their adjoint (``col2im``) and a
stable ``log_softmax``.

Convolution, transposed convolution and pooling are compositions of these with ``matmul`` and
reductions (see ``gluonlite/ndarray/mx_conv.py``), so their gradients come for free. Windows are
gathered channels-last: each window row (kernel offsets x channels) is contiguous, which makes the
gather 2-5x faster than NCHW order and feeds one BLAS matrix product.
"""
from __future__ import annotations

import itertools
from typing import Any, Sequence

from .registry import P, register

__all__ = ["window_out_size", "channels_last_axes", "channels_first_axes"]

Pads = tuple[tuple[int, int], ...]


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


def _defaults(kernel: Sequence[int], stride, dilate, pad) -> tuple[tuple, tuple, Pads]:
    n = len(kernel)
    return (
        tuple(stride) if stride else (1,) * n,
        tuple(dilate) if dilate else (1,) * n,
        tuple(tuple(p) for p in pad) if pad else ((0, 0),) * n,
    )


def _padded_channels_last(xp, x, pad: Pads, fill: float):
    """``x`` (N, C, *S) as a C-contiguous (N, *S_padded, C) buffer whose border holds ``fill``."""
    xl = x.transpose(channels_last_axes(x.ndim))
    if not any(lo or hi for lo, hi in pad):
        return xp.ascontiguousarray(xl)
    spatial = x.shape[2:]
    shape = (x.shape[0], *(s + lo + hi for s, (lo, hi) in zip(spatial, pad)), x.shape[1])
    buf = xp.empty(shape, dtype=x.dtype)
    for axis, (s, (lo, hi)) in enumerate(zip(spatial, pad), start=1):
        index = [slice(None)] * buf.ndim
        index[axis] = slice(0, lo)
        buf[tuple(index)] = fill
        index[axis] = slice(lo + s, None)
        buf[tuple(index)] = fill
    buf[(slice(None), *(slice(lo, lo + s) for s, (lo, _) in zip(spatial, pad)), slice(None))] = xl
    return buf


def _im2col(xp, x, kernel, stride=None, dilate=None, pad=None, fill=0.0):
    """Sliding windows of ``x`` (N, C, *S) as a contiguous (N, *out, *kernel, C) array, ``pad``
    being ((before, after), ...) per spatial axis filled with ``fill``."""
    stride, dilate, pad = _defaults(kernel, stride, dilate, pad)
    spatial = x.shape[2:]
    if len(spatial) != len(kernel):
        raise ValueError(
            f"im2col: kernel {tuple(kernel)} needs {len(kernel)} spatial axes, the input has shape "
            f"{x.shape}"
        )
    out = tuple(map(window_out_size, spatial, kernel, stride, dilate, pad))
    if min(out) < 1:
        raise ValueError(
            f"im2col: kernel {tuple(kernel)} (dilate {dilate}) does not fit the input of shape "
            f"{x.shape} padded by {pad}; use a smaller kernel or more padding"
        )
    buf = _padded_channels_last(xp, x, pad, fill)
    st = buf.strides
    inner = st[1:-1]
    windows = xp.lib.stride_tricks.as_strided(
        buf,
        shape=(buf.shape[0], *out, *kernel, buf.shape[-1]),
        strides=(st[0], *(s * k for s, k in zip(inner, stride)),
                 *(s * d for s, d in zip(inner, dilate)), st[-1]),
    )
    return xp.ascontiguousarray(windows)


def _col2im(xp, cols, shape, kernel, stride=None, dilate=None, pad=None):
    """Adjoint of ``im2col``: add every window of ``cols`` (N, *out, *kernel, C) back into an
    image of ``shape`` (N, C, *S) and drop the padding; one strided add per kernel offset."""
    stride, dilate, pad = _defaults(kernel, stride, dilate, pad)
    nsp = len(kernel)
    n, c, *spatial = shape
    want = tuple(map(window_out_size, spatial, kernel, stride, dilate, pad))
    if cols.shape != (n, *want, *kernel, c):
        raise ValueError(
            f"col2im: columns of shape {cols.shape} do not match an image of shape {tuple(shape)} "
            f"with kernel {tuple(kernel)}, stride {stride}, dilate {dilate}, pad {pad} (expected "
            f"{(n, *want, *kernel, c)})"
        )
    buf = xp.zeros((n, *(s + lo + hi for s, (lo, hi) in zip(spatial, pad)), c), dtype=cols.dtype)
    lead = (slice(None),) * (1 + nsp)
    for offset in itertools.product(*map(range, kernel)):
        target = tuple(
            slice(o * d, o * d + s * (m - 1) + 1, s)
            for o, d, s, m in zip(offset, dilate, stride, want)
        )
        buf[(slice(None), *target)] += cols[lead + offset]
    crop = buf[(slice(None), *(slice(lo, lo + s) for s, (lo, _) in zip(spatial, pad)))]
    return crop.transpose(channels_first_axes(buf.ndim))


def _im2col_grad(g, ins, outs, kernel, stride=None, dilate=None, pad=None, fill=0.0):
    return P.col2im(g, shape=tuple(ins[0].shape), kernel=kernel, stride=stride, dilate=dilate,
                    pad=pad)


def _col2im_grad(g, ins, outs, shape, kernel, stride=None, dilate=None, pad=None):
    return P.im2col(g, kernel=kernel, stride=stride, dilate=dilate, pad=pad)


register(
    "im2col",
    _im2col,
    grads=(_im2col_grad,),
    doc="Sliding windows of an (N, C, *spatial) array (1-3 spatial axes) as a contiguous "
    "(N, *out, *kernel, C) array: attrs kernel, stride, dilate, pad ((before, after) per axis) "
    "and fill (the padding value).",
)
register(
    "col2im",
    _col2im,
    grads=(_col2im_grad,),
    doc="Adjoint of im2col: sum windows (N, *out, *kernel, C) back into an image of ``shape`` "
    "(N, C, *spatial), overlapping taps added, padding dropped.",
)


def _log_softmax(xp, x, axis=-1):
    top = xp.max(x, axis=axis, keepdims=True)
    top = xp.where(xp.isfinite(top), top, 0)  # rows of -inf stay -inf instead of nan
    out = x - top
    out -= xp.log(xp.sum(xp.exp(out), axis=axis, keepdims=True))
    return out


def _log_softmax_grad(g: Any, ins, outs, axis=-1):
    return P.subtract(g, P.multiply(P.exp(outs[0]), P.sum(g, axis=axis, keepdims=True)))


register(
    "log_softmax",
    _log_softmax,
    grads=(_log_softmax_grad,),
    save_outs=(0,),
    doc="log(softmax(x)) along ``axis``, computed stably (max subtracted, log-sum-exp).",
)
