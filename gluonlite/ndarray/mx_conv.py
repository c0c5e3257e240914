"""MXNet's ``Convolution``, ``Deconvolution`` and ``Pooling``: attribute parsing and checks
around the ``conv`` / ``conv_transpose`` primitives and, for pooling, ``im2col`` windows and
reductions (no gradient code here).

The user-facing layout is MXNet's (NCW / NCHW / NCDHW); the primitives return views of
channels-last memory, which the next window gather reads without a layout copy.
"""

from __future__ import annotations

import ast
import math
from typing import Any

import numpy

from .. import errors
from ..ops.windows import channels_first_axes, window_out_size
from ..ops.registry import P
from .mx_operator import mx_operator
from .ndarray import NDArray

__all__ = ["Convolution", "Deconvolution", "Pooling", "conv", "deconv", "pool"]

_LAYOUTS = (None, "NCW", "NCHW", "NCDHW")


def constant_like(like: NDArray, values: Any, dtype: Any = None) -> NDArray:
    """A constant array on ``like``'s device, in ``like``'s dtype unless ``dtype`` is given."""
    xp = like.context.xp
    data = xp.asarray(values, dtype=like.dtype if dtype is None else dtype)
    return type(like)._wrap(data, like.context)


def channel_shape(ndim: int, axis: int, size: int) -> tuple[int, ...]:
    """(1, .., size, .., 1): the shape that broadcasts a per-channel vector along ``axis``."""
    shape = [1] * ndim
    shape[axis] = size
    return tuple(shape)


def shape_attr(value: Any, n: int, default: int, what: str, op: str) -> tuple[int, ...]:
    """An MXNet shape attribute (int, sequence, '(3, 3)' string or empty) as an n-tuple."""
    if isinstance(value, str):
        value = ast.literal_eval(value) if value.strip() else ()
    if value is None or (not isinstance(value, int) and len(value) == 0):
        return (default,) * n
    if isinstance(value, int):
        return (value,) * n
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value * n
    if len(value) != n:
        raise errors.MXNetValueError(
            f"{op}: {what}={value} has {len(value)} entries, the data has {n} spatial axes"
        )
    return value


def _check_data(op: str, data: NDArray, layout: Any) -> int:
    if layout not in _LAYOUTS:
        raise errors.MXNetValueError(
            f"{op}: layout {layout!r} is not supported; gluonlite takes channels-first data "
            f"(NCW, NCHW, NCDHW): transpose the data first"
        )
    if not 3 <= data.ndim <= 5:
        raise errors.ShapeError(
            f"{op}: data of shape {tuple(data.shape)} must have 3, 4 or 5 axes "
            f"(N, C, *spatial) with 1-3 spatial axes\n  called from {errors.user_frame()}"
        )
    return data.ndim - 2


def _check_fits(op: str, data: NDArray, kernel, stride, dilate, pads) -> tuple[int, ...]:
    out = tuple(map(window_out_size, data.shape[2:], kernel, stride, dilate, pads))
    if min(out) < 1:
        raise errors.ShapeError(
            f"{op}: kernel {kernel} (dilate {dilate}) is larger than the data of shape "
            f"{tuple(data.shape)} with padding {tuple(p[0] for p in pads)}; use a smaller kernel "
            f"or more padding\n  called from {errors.user_frame()}"
        )
    return out


def _pairs(pad: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    return tuple((p, p) for p in pad)


def _with_bias(y: NDArray, b: NDArray | None) -> NDArray:
    if b is None:
        return y
    return P.add(y, P.reshape(b, newshape=(1, b.shape[0]) + (1,) * (y.ndim - 2)))


def conv(
    x: NDArray,
    w: NDArray,
    b: NDArray | None,
    stride: tuple,
    dilate: tuple,
    pad: tuple,
    groups: int = 1,
) -> NDArray:
    """Cross-correlation of x (N, C, *S) with w (O, C/groups, *k), plus b (O,)."""
    y = P.conv(x, w, stride=stride, dilate=dilate, pad=_pairs(pad), groups=groups)
    return _with_bias(y, b)


def deconv(
    x: NDArray,
    w: NDArray,
    b: NDArray | None,
    stride: tuple,
    dilate: tuple,
    pad: tuple,
    adj: tuple,
    groups: int = 1,
) -> NDArray:
    """Transposed convolution of x (N, Cin, *S) with w (Cin, O/groups, *k), plus b (O,); output
    size (in-1)*stride - 2*pad + dilate*(k-1) + adj + 1."""
    size = tuple(
        (s - 1) * st - 2 * p + d * (k - 1) + a + 1
        for s, st, p, d, k, a in zip(x.shape[2:], stride, pad, dilate, w.shape[2:], adj)
    )
    y = P.conv_transpose(
        x, w, size=size, stride=stride, dilate=dilate, pad=_pairs(pad), groups=groups
    )
    return _with_bias(y, b)


def _check_weight(op: str, data: NDArray, weight: NDArray, want: tuple) -> None:
    if tuple(weight.shape) != want:
        raise errors.ShapeError(
            f"{op}: weight of shape {tuple(weight.shape)} does not fit data of shape "
            f"{tuple(data.shape)}; expected {want}\n  called from {errors.user_frame()}"
        )


def _groups(op: str, channels: int, filters: int, num_group: int) -> int:
    if num_group < 1 or channels % num_group or filters % num_group:
        raise errors.MXNetValueError(
            f"{op}: num_group={num_group} must divide both the input channels ({channels}) and "
            f"num_filter ({filters})"
        )
    return num_group


def _geometry(op: str, data: NDArray, weight: NDArray, layout: Any, *attrs: Any) -> tuple:
    """Check ``data`` against ``layout``; its spatial rank, then the (kernel, stride, dilate,
    pad) ``attrs`` as tuples of that length (the kernel by default the weight's)."""
    kernel, stride, dilate, pad = attrs
    nsp = _check_data(op, data, layout)
    return (
        nsp,
        shape_attr(kernel or tuple(weight.shape[2:]), nsp, 1, "kernel", op),
        shape_attr(stride, nsp, 1, "stride", op),
        shape_attr(dilate, nsp, 1, "dilate", op),
        shape_attr(pad, nsp, 0, "pad", op),
    )


def _use_bias(bias: NDArray | None, no_bias: bool | None) -> NDArray | None:
    """MXNet's no_bias flag; when left unset, a given bias is used."""
    return None if no_bias else bias


@mx_operator
def Convolution(
    data: NDArray,
    weight: NDArray,
    bias: NDArray | None = None,
    kernel: Any = (),
    stride: Any = (),
    dilate: Any = (),
    pad: Any = (),
    num_filter: int | None = None,
    num_group: int = 1,
    workspace: int = 1024,
    no_bias: bool = False,
    cudnn_tune: Any = None,
    cudnn_off: bool = False,
    layout: str | None = None,
) -> NDArray:
    """MXNet ``Convolution``: N-d cross-correlation (1-3 spatial axes) with weight
    (num_filter, C/num_group, *kernel), optional bias (num_filter,), zero padding."""
    op = "Convolution"
    _, kernel, stride, dilate, pad = _geometry(
        op, data, weight, layout, kernel, stride, dilate, pad
    )
    filters = weight.shape[0] if num_filter is None else int(num_filter)
    groups = _groups(op, data.shape[1], filters, int(num_group))
    _check_weight(op, data, weight, (filters, data.shape[1] // groups, *kernel))
    _check_fits(op, data, kernel, stride, dilate, _pairs(pad))
    y = conv(data, weight, _use_bias(bias, no_bias), stride, dilate, pad, groups)
    return y


def _deconv_pads(spatial, kernel, stride, dilate, pad, adj, target) -> tuple[tuple, tuple]:
    """MXNet's rule: a target shape overrides pad and adj (total = s*(in-1) + dk - target)."""
    if not target:
        return pad, adj
    pads, adjs = [], []
    for s, k, st, d, t in zip(spatial, kernel, stride, dilate, target):
        total = st * (s - 1) + d * (k - 1) + 1 - t
        if total < 0:
            raise errors.MXNetValueError(
                f"Deconvolution: target_shape {tuple(target)} is too large for data of spatial "
                f"shape {tuple(spatial)} with kernel {kernel} and stride {stride}"
            )
        pads.append((total + 1) // 2)
        adjs.append(total % 2)
    return tuple(pads), tuple(adjs)


@mx_operator
def Deconvolution(
    data: NDArray,
    weight: NDArray,
    bias: NDArray | None = None,
    kernel: Any = (),
    stride: Any = (),
    dilate: Any = (),
    pad: Any = (),
    adj: Any = (),
    target_shape: Any = (),
    num_filter: int | None = None,
    num_group: int = 1,
    workspace: int = 512,
    no_bias: bool | None = None,
    cudnn_tune: Any = None,
    cudnn_off: bool = False,
    layout: str | None = None,
) -> NDArray:
    """MXNet ``Deconvolution`` (transposed convolution): weight (C, num_filter/num_group,
    *kernel); output size (in-1)*stride - 2*pad + dilate*(kernel-1) + adj + 1, or target_shape."""
    op = "Deconvolution"
    nsp, kernel, stride, dilate, pad = _geometry(
        op, data, weight, layout, kernel, stride, dilate, pad
    )
    adj = shape_attr(adj, nsp, 0, "adj", op)
    target = shape_attr(target_shape, nsp, 0, "target_shape", op) if target_shape else ()
    groups = int(num_group)
    filters = weight.shape[1] * groups if num_filter is None else int(num_filter)
    _groups(op, data.shape[1], filters, groups)
    _check_weight(op, data, weight, (data.shape[1], filters // groups, *kernel))
    pad, adj = _deconv_pads(data.shape[2:], kernel, stride, dilate, pad, adj, target)
    if any(a >= max(s, d) for a, s, d in zip(adj, stride, dilate)):
        raise errors.MXNetValueError(
            f"{op}: adj {adj} must be smaller than stride {stride} or dilate {dilate}"
        )
    y = deconv(data, weight, _use_bias(bias, no_bias), stride, dilate, pad, adj, groups)
    return y


def _pool_pads(spatial, kernel, stride, pad, convention: str) -> tuple:
    """(before, after) padding per axis giving MXNet's output size for ``convention``."""
    pads = []
    for s, k, st, p in zip(spatial, kernel, stride, pad):
        if convention == "valid":
            pads.append((p, p))
        elif convention == "full":  # ceil mode; a last window may start inside the padding
            n_out = -(-(s + 2 * p - k) // st) + 1
            pads.append((p, (n_out - 1) * st + k - s - p))
        elif convention == "same":
            total = max((-(-s // st) - 1) * st + k - s, 0)
            pads.append((total // 2, total - total // 2))
        else:
            raise errors.MXNetValueError(
                f"Pooling: pooling_convention must be 'valid', 'full' or 'same', not {convention!r}"
            )
    return tuple(pads)


def _window_counts(spatial, kernel, stride, pads, user_pad, out, include_pad: bool):
    """Divisor of each average window as an (*out, 1) float64 array: the window clipped to the
    padded input (include_pad), or its number of real elements (at least 1)."""
    counts = numpy.ones((1,))
    for s, k, st, (lo, _), p, m in zip(spatial, kernel, stride, pads, user_pad, out):
        start = numpy.arange(m) * st - lo
        if include_pad:
            axis = numpy.minimum(start + k, s + p) - start
        else:
            axis = numpy.minimum(start + k, s) - numpy.maximum(start, 0)
        counts = numpy.multiply.outer(counts, axis)
    return numpy.maximum(counts.reshape(*out, 1), 1)


def pool(
    x: NDArray,
    kernel: tuple,
    stride: tuple,
    pad: tuple,
    pool_type: str = "max",
    convention: str = "valid",
    count_include_pad: bool = True,
) -> NDArray:
    """Max / average / sum pooling of x (N, C, *S) over windows, MXNet's conventions."""
    nsp = len(kernel)
    spatial = tuple(x.shape[2:])
    pads = _pool_pads(spatial, kernel, stride, pad, convention)
    out = _check_fits("Pooling", x, kernel, stride, (1,) * nsp, pads)
    if pool_type == "max":
        return P.max_pool(x, kernel=kernel, stride=stride, pad=pads)
    win = P.im2col(x, kernel=kernel, stride=stride, dilate=(1,) * nsp, pad=pads)
    y = P.sum(win, axis=tuple(range(1 + nsp, 1 + 2 * nsp)))
    if pool_type == "avg":
        counts = _window_counts(spatial, kernel, stride, pads, pad, out, count_include_pad)
        if (counts == counts.flat[0]).all():
            y = P.multiply(y, 1.0 / float(counts.flat[0]))
        else:
            y = P.true_divide(y, constant_like(y, counts))
    return P.transpose(y, axes=channels_first_axes(y.ndim))


def _global_pool(x: NDArray, pool_type: str) -> NDArray:
    axes = tuple(range(2, x.ndim))
    if pool_type == "max":
        return P.max(x, axis=axes, keepdims=True)
    y = P.sum(x, axis=axes, keepdims=True)
    return P.multiply(y, 1.0 / math.prod(x.shape[2:])) if pool_type == "avg" else y


@mx_operator
def Pooling(
    data: NDArray,
    kernel: Any = (),
    pool_type: str = "max",
    global_pool: bool = False,
    cudnn_off: bool = False,
    pooling_convention: str = "valid",
    stride: Any = (),
    pad: Any = (),
    p_value: int | None = None,
    count_include_pad: bool | None = None,
    layout: str | None = None,
) -> NDArray:
    """MXNet ``Pooling``: 'max', 'avg' or 'sum' over windows (stride defaults to 1, pad to 0);
    'full' convention is ceil mode; ``global_pool`` reduces every spatial axis to 1."""
    op = "Pooling"
    nsp = _check_data(op, data, layout)
    if pool_type not in ("max", "avg", "sum"):
        raise errors.MXNetValueError(
            f"{op}: pool_type must be 'max', 'avg' or 'sum', not {pool_type!r}"
        )
    if global_pool:
        y = _global_pool(data, pool_type)
    else:
        if not kernel:
            raise errors.MXNetValueError(f"{op}: give a kernel, or set global_pool=True")
        y = pool(
            data,
            shape_attr(kernel, nsp, 1, "kernel", op),
            shape_attr(stride, nsp, 1, "stride", op),
            shape_attr(pad, nsp, 0, "pad", op),
            pool_type,
            pooling_convention,
            True if count_include_pad is None else count_include_pad,
        )
    return y
