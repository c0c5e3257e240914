"""MXNet's neural-network operators (``FullyConnected``, ``Activation``, ``softmax``,
``Dropout``, ``Embedding``, ``Sequence*``...) as compositions of registered ops: no gradient
code here. Convolution and pooling (``mx_conv``) and the normalization layers (``mx_norm``) are
re-exported from here, so this one module lists every neural-network operator of ``nd``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy

from .. import errors
from ..autograd.state import STATE
from ..ops.registry import P
from .mx_conv import (
    Convolution,
    Deconvolution,
    Pooling,
    channel_shape,
    constant_like,
    mx_operator,
)
from .mx_math import sigmoid, softsign
from .mx_norm import BatchNorm, GroupNorm, InstanceNorm, L2Normalization, LayerNorm
from .ndarray import NDArray

__all__ = [
    "Activation",
    "BatchNorm",
    "Convolution",
    "Deconvolution",
    "Dropout",
    "Embedding",
    "FullyConnected",
    "GroupNorm",
    "InstanceNorm",
    "L2Normalization",
    "LayerNorm",
    "LeakyReLU",
    "Pooling",
    "SequenceLast",
    "SequenceMask",
    "SequenceReverse",
    "log_softmax",
    "smooth_l1",
    "softmax",
    "softmax_cross_entropy",
    "softmin",
]
METHODS = ("softmax", "log_softmax")

_SELU_LAMBDA = 1.0507009873554805
_SELU_ALPHA = 1.6732632423543772
_INT = numpy.dtype("int64")


# ---- dense layer and activations ----------------------------------------------------------------
@mx_operator
def FullyConnected(
    data: NDArray,
    weight: NDArray,
    bias: NDArray | None = None,
    num_hidden: int | None = None,
    no_bias: bool = False,
    flatten: bool = True,
) -> NDArray:
    """data @ weight.T + bias, weight (num_hidden, in); ``flatten`` first reshapes data to
    (N, -1), otherwise the product acts on the last axis."""
    x = P.reshape(data, newshape=(data.shape[0], -1)) if flatten and data.ndim != 2 else data
    units = weight.shape[0] if num_hidden is None else int(num_hidden)
    if weight.ndim != 2 or tuple(weight.shape) != (units, x.shape[-1]):
        raise errors.ShapeError(
            f"FullyConnected: weight of shape {tuple(weight.shape)} does not fit data of shape "
            f"{tuple(data.shape)} (flatten={flatten}); expected ({units}, {x.shape[-1]})\n"
            f"  called from {errors.user_frame()}"
        )
    y = P.matmul(x, P.transpose(weight))
    return y if no_bias or bias is None else P.add(y, bias)


def _softrelu(x: NDArray) -> NDArray:
    """log(1 + e^x), exact for large x (the exp is capped where the result is x itself)."""
    return P.where(P.greater(x, 20.0), x, P.log1p(P.exp(P.minimum(x, 20.0))))


_ACTIVATIONS = {
    "relu": lambda x: P.relu(x),
    "sigmoid": sigmoid,
    "tanh": lambda x: P.tanh(x),
    "softrelu": _softrelu,
    "softsign": softsign,
}


@mx_operator
def Activation(data: NDArray, act_type: str = "relu") -> NDArray:
    """Elementwise activation: 'relu', 'sigmoid', 'tanh', 'softrelu' (log(1+e^x)), 'softsign'."""
    try:
        fn = _ACTIVATIONS[act_type]
    except KeyError:
        raise errors.MXNetValueError(
            f"Activation: act_type must be one of {sorted(_ACTIVATIONS)}, not {act_type!r}"
        ) from None
    return fn(data)


def _elu(x: NDArray, alpha: float) -> NDArray:
    # expm1 of min(x, 0): the unused branch never overflows, so its gradient stays finite
    return P.where(P.greater(x, 0.0), x, P.multiply(P.expm1(P.minimum(x, 0.0)), alpha))


def _gelu(x: NDArray) -> NDArray:
    """The exact form 0.5 x (1 + erf(x / sqrt 2))."""
    return P.multiply(P.multiply(x, 0.5), P.add(P.erf(P.multiply(x, 1.0 / math.sqrt(2.0))), 1.0))


def _leaky(x: NDArray, slope: Any) -> NDArray:
    return P.where(P.greater(x, 0.0), x, P.multiply(x, slope))


@mx_operator
def LeakyReLU(
    data: NDArray,
    gamma: NDArray | None = None,
    act_type: str = "leaky",
    slope: float = 0.25,
    lower_bound: float = 0.125,
    upper_bound: float = 0.334,
) -> NDArray:
    """'leaky' (x or slope*x), 'prelu' (learned gamma, broadcast on axis 1), 'elu', 'selu',
    'gelu' (exact erf form) and 'rrelu' (random slope in training, the mean slope otherwise)."""
    if act_type == "leaky":
        return _leaky(data, slope)
    if act_type == "prelu":
        if gamma is None:
            raise errors.MXNetValueError("LeakyReLU(act_type='prelu') needs the gamma array")
        if gamma.size > 1 and data.ndim > 1:
            gamma = P.reshape(gamma, newshape=channel_shape(data.ndim, 1, gamma.size))
        return _leaky(data, gamma)
    if act_type == "elu":
        return _elu(data, slope)
    if act_type == "selu":
        return P.multiply(_elu(data, _SELU_ALPHA), _SELU_LAMBDA)
    if act_type == "gelu":
        return _gelu(data)
    if act_type == "rrelu":
        if not STATE.training:
            return _leaky(data, (lower_bound + upper_bound) / 2.0)
        slopes = P.random_uniform(
            low=lower_bound,
            high=upper_bound,
            shape=tuple(data.shape),
            dtype=data.dtype,
            ctx=data.context,
        )
        return _leaky(data, slopes)
    raise errors.MXNetValueError(
        f"LeakyReLU: act_type must be 'leaky', 'prelu', 'elu', 'selu', 'gelu' or 'rrelu', not "
        f"{act_type!r}"
    )


# ---- softmax family -----------------------------------------------------------------------------
def _before(length: NDArray, ndim: int, axis: int, size: int) -> NDArray:
    """Bool mask: position along ``axis`` (of ``size``) < ``length`` (shaped to broadcast)."""
    steps = constant_like(length, numpy.arange(size))
    return P.less(P.reshape(steps, newshape=channel_shape(ndim, axis, size)), length)


def _softmax_input(data, axis, temperature, use_length, length):
    """data / temperature, with positions past ``length`` set to -inf; the mask (or None)."""
    x = data if temperature in (None, 1.0) else P.true_divide(data, float(temperature))
    if not use_length:
        return x, None
    if length is None:
        raise errors.MXNetValueError("softmax: use_length=True needs the length array")
    axis = axis % data.ndim
    length = P.reshape(length, newshape=(*data.shape[:axis], 1, *data.shape[axis + 1 :]))
    mask = _before(length, data.ndim, axis, data.shape[axis])
    return P.where(mask, x, -numpy.inf), mask


def _cast(y: NDArray, dtype: Any) -> NDArray:
    if dtype is None or numpy.dtype(dtype) == y.dtype:
        return y
    return P.astype(y, dtype=numpy.dtype(dtype))


@mx_operator
def softmax(
    data: NDArray,
    length: NDArray | None = None,
    axis: int = -1,
    temperature: float | None = None,
    use_length: bool = False,
    dtype: Any = None,
) -> NDArray:
    """exp(x/T) / sum(exp(x/T)) along ``axis`` (computed as exp(log_softmax), stable); with
    ``use_length``, positions at or past ``length`` get 0."""
    x, mask = _softmax_input(data, axis, temperature, use_length, length)
    y = P.exp(P.log_softmax(x, axis=axis))
    if mask is not None:
        y = P.where(mask, y, 0.0)
    return _cast(y, dtype)


@mx_operator
def log_softmax(
    data: NDArray,
    axis: int = -1,
    temperature: float | None = None,
    dtype: Any = None,
    use_length: bool = False,
    length: NDArray | None = None,
) -> NDArray:
    """log(softmax(x/T)) along ``axis``, computed stably."""
    x, _ = _softmax_input(data, axis, temperature, use_length, length)
    return _cast(P.log_softmax(x, axis=axis), dtype)


@mx_operator
def softmin(
    data: NDArray,
    axis: int = -1,
    temperature: float | None = None,
    dtype: Any = None,
    use_length: bool = False,
    length: NDArray | None = None,
) -> NDArray:
    """softmax of -x."""
    return softmax(P.negative(data), length, axis, temperature, use_length, dtype)


@mx_operator
def softmax_cross_entropy(data: NDArray, label: NDArray) -> NDArray:
    """sum over the batch of -log softmax(data)[i, label_i], as a (1,) array."""
    idx = P.reshape(P.astype(label, dtype=_INT), newshape=(data.shape[0], 1))
    picked = P.take_along_axis(P.log_softmax(data, axis=-1), idx, axis=1)
    return P.reshape(P.negative(P.sum(picked)), newshape=(1,))


# ---- dropout and embedding ----------------------------------------------------------------------
@mx_operator
def Dropout(
    data: NDArray,
    p: float = 0.5,
    mode: str = "training",
    axes: Any = (),
    cudnn_off: bool = False,
) -> NDArray:
    """Inverted dropout: zero each element with probability p and scale the rest by 1/(1-p);
    the identity unless training (or mode='always'). ``axes`` share one mask value along them."""
    if mode not in ("training", "always"):
        raise errors.MXNetValueError(f"Dropout: mode must be 'training' or 'always', not {mode!r}")
    if not 0.0 <= p <= 1.0:
        raise errors.MXNetValueError(f"Dropout: p={p} must be in [0, 1]")
    if p == 0.0 or (mode == "training" and not STATE.training):
        return data
    if p == 1.0:
        return P.multiply(data, 0.0)
    shared = {a % data.ndim for a in ((axes,) if isinstance(axes, int) else axes)}
    shape = tuple(1 if i in shared else s for i, s in enumerate(data.shape))
    u = P.random_uniform(low=0.0, high=1.0, shape=shape, dtype=data.dtype, ctx=data.context)
    mask = P.multiply(P.astype(P.greater_equal(u, p), dtype=data.dtype), 1.0 / (1.0 - p))
    return P.multiply(data, mask)


@mx_operator
def Embedding(
    data: NDArray,
    weight: NDArray,
    input_dim: int | None = None,
    output_dim: int | None = None,
    dtype: Any = "float32",
    sparse_grad: bool = False,
) -> NDArray:
    """Rows of weight (input_dim, output_dim) picked by ``data`` (float indices allowed, clipped
    to [0, input_dim)); the result has shape data.shape + (output_dim,)."""
    rows = weight.shape[0] if input_dim is None else int(input_dim)
    if (
        weight.ndim != 2
        or weight.shape[0] != rows
        or (output_dim is not None and weight.shape[1] != int(output_dim))
    ):
        raise errors.ShapeError(
            f"Embedding: weight of shape {tuple(weight.shape)} does not match input_dim="
            f"{input_dim}, output_dim={output_dim}\n  called from {errors.user_frame()}"
        )
    return P.take(weight, P.astype(data, dtype=_INT), axis=0, mode="clip")


# ---- sequences (axis 0 or 1 is time, the other is batch) ----------------------------------------
def _time_mask(data: NDArray, sequence_length: NDArray, axis: int) -> NDArray:
    """Bool mask broadcasting against ``data``: time step < the sequence's length."""
    length = P.reshape(sequence_length, newshape=(1, -1) if axis == 0 else (-1, 1))
    mask = _before(length, 2, axis, data.shape[axis])
    return P.reshape(mask, newshape=tuple(mask.shape) + (1,) * (data.ndim - 2))


def _check_seq_axis(op: str, axis: int) -> None:
    if axis not in (0, 1):
        raise errors.MXNetValueError(f"{op}: axis must be 0 or 1 (the time axis), not {axis}")


@mx_operator
def SequenceMask(
    data: NDArray,
    sequence_length: NDArray | None = None,
    use_sequence_length: bool = False,
    value: float = 0.0,
    axis: int = 0,
) -> NDArray:
    """Set the steps of each sequence at or past its length to ``value``."""
    _check_seq_axis("SequenceMask", axis)
    if not use_sequence_length:
        return data
    return P.where(_time_mask(data, sequence_length, axis), data, float(value))


def _time_index(data: NDArray, index: NDArray, axis: int) -> NDArray:
    """``index`` (time steps shaped (T', N) or (N, T') by axis) broadcast to gather from data."""
    shape = tuple(index.shape) + tuple(data.shape[2:])
    index = P.reshape(
        P.astype(index, dtype=_INT), newshape=tuple(index.shape) + (1,) * (data.ndim - 2)
    )
    return P.broadcast_to(index, shape=shape)


@mx_operator
def SequenceLast(
    data: NDArray,
    sequence_length: NDArray | None = None,
    use_sequence_length: bool = False,
    axis: int = 0,
) -> NDArray:
    """The last valid step of each sequence (the step at length - 1), time axis removed."""
    _check_seq_axis("SequenceLast", axis)
    steps = data.shape[axis]
    if use_sequence_length:
        last = P.subtract(sequence_length, 1)
    else:
        last = constant_like(data, numpy.full((data.shape[1 - axis],), steps - 1))
    last = P.reshape(last, newshape=(1, -1) if axis == 0 else (-1, 1))
    picked = P.take_along_axis(data, _time_index(data, last, axis), axis=axis)
    return P.reshape(picked, newshape=tuple(s for i, s in enumerate(data.shape) if i != axis))


@mx_operator
def SequenceReverse(
    data: NDArray,
    sequence_length: NDArray | None = None,
    use_sequence_length: bool = False,
    axis: int = 0,
) -> NDArray:
    """Reverse the first length steps of each sequence along axis 0; later steps stay."""
    if axis != 0:
        raise errors.MXNetValueError("SequenceReverse: only axis=0 (time first) is supported")
    steps, batch = data.shape[:2]
    t = constant_like(data, numpy.arange(steps).reshape(steps, 1))
    if use_sequence_length:
        length = P.reshape(sequence_length, newshape=(1, batch))
        index = P.where(P.less(t, length), P.subtract(P.subtract(length, 1), t), t)
    else:
        index = P.broadcast_to(P.subtract(float(steps - 1), t), shape=(steps, batch))
    return P.take_along_axis(data, _time_index(data, index, 0), axis=0)


# ---- losses -------------------------------------------------------------------------------------
@mx_operator
def smooth_l1(data: NDArray, scalar: float = 1.0) -> NDArray:
    """0.5 (s x)^2 where |x| < 1/s^2, else |x| - 0.5/s^2 (s = ``scalar``)."""
    sigma2 = float(scalar) ** 2
    a = P.abs(data)
    return P.where(
        P.less(a, 1.0 / sigma2),
        P.multiply(P.square(data), 0.5 * sigma2),
        P.subtract(a, 0.5 / sigma2),
    )
