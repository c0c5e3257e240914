"""``npx``'s neural-network operators: MXNet 2's snake_case names and argument names over the
``nd`` compositions (``npx.fully_connected`` is ``nd.FullyConnected``...), returning
``np.ndarray``s (zero-copy views that keep the autograd history).
"""

from __future__ import annotations

from typing import Any

from .. import ndarray as nd
from ..ndarray.dispatch import ArrayBase
from ..numpy.ndarray import as_np_ndarray

__all__ = [
    "activation", "batch_dot", "batch_norm", "convolution", "deconvolution", "dropout",
    "embedding", "fully_connected", "layer_norm", "leaky_relu", "log_softmax", "one_hot",
    "pick", "pooling", "relu", "sequence_mask", "sigmoid", "softmax", "topk",
]  # fmt: skip


def _np(result: Any) -> Any:
    """Outputs as np arrays (a list or tuple of outputs stays one)."""
    if isinstance(result, ArrayBase):
        return as_np_ndarray(result)
    if isinstance(result, (list, tuple)):
        return type(result)(_np(r) for r in result)
    return result


def _opt(value: Any) -> Any:
    """MXNet 2 spells 'not given' None where ``nd`` spells it ()."""
    return () if value is None else value


def relu(data: Any) -> Any:
    """max(data, 0)."""
    return _np(nd.relu(data))


def sigmoid(data: Any) -> Any:
    """1 / (1 + exp(-data))."""
    return _np(nd.sigmoid(data))


def activation(data: Any, act_type: str = "relu", **kwargs: Any) -> Any:
    """The activation ``act_type``: 'relu', 'sigmoid', 'tanh', 'softrelu' or 'softsign'."""
    return _np(nd.Activation(data, act_type=act_type))


def leaky_relu(
    data: Any,
    gamma: Any = None,
    act_type: str = "leaky",
    slope: float = 0.25,
    lower_bound: float = 0.125,
    upper_bound: float = 0.334,
    **kwargs: Any,
) -> Any:
    """Leaky ReLU and its variants ('leaky', 'prelu' with ``gamma``, 'elu', 'selu', 'gelu',
    'rrelu')."""
    return _np(
        nd.LeakyReLU(
            data,
            gamma=gamma,
            act_type=act_type,
            slope=slope,
            lower_bound=lower_bound,
            upper_bound=upper_bound,
        )
    )


def softmax(
    data: Any,
    axis: int = -1,
    length: Any = None,
    temperature: float | None = None,
    use_length: bool = False,
    dtype: Any = None,
) -> Any:
    """Softmax along ``axis`` (optionally masked by ``length`` with ``use_length``)."""
    return _np(
        nd.softmax(
            data,
            length=length,
            axis=axis,
            temperature=temperature,
            use_length=use_length,
            dtype=dtype,
        )
    )


def log_softmax(
    data: Any,
    axis: int = -1,
    length: Any = None,
    temperature: float | None = None,
    use_length: bool = False,
    dtype: Any = None,
) -> Any:
    """log(softmax(data)) along ``axis``, computed stably."""
    return _np(
        nd.log_softmax(
            data,
            axis=axis,
            temperature=temperature,
            dtype=dtype,
            use_length=use_length,
            length=length,
        )
    )


def batch_dot(
    a: Any,
    b: Any,
    transpose_a: bool = False,
    transpose_b: bool = False,
    forward_stype: Any = None,
) -> Any:
    """Matrix products of the (B, n, m) batches of ``a`` and ``b``."""
    return _np(nd.batch_dot(a, b, transpose_a=transpose_a, transpose_b=transpose_b))


def sequence_mask(
    data: Any,
    sequence_length: Any = None,
    use_sequence_length: bool = False,
    value: float = 0.0,
    axis: int = 0,
) -> Any:
    """``data`` with the steps beyond each sequence's length set to ``value``."""
    return _np(
        nd.SequenceMask(
            data,
            sequence_length=sequence_length,
            use_sequence_length=use_sequence_length,
            value=value,
            axis=axis,
        )
    )


def one_hot(
    data: Any, depth: int, on_value: float = 1.0, off_value: float = 0.0, dtype: Any = "float32"
) -> Any:
    """One-hot vectors of length ``depth`` for the integer (or float) indices ``data``."""
    return _np(nd.one_hot(data, depth, on_value=on_value, off_value=off_value, dtype=dtype))


def pick(data: Any, index: Any, axis: int = -1, mode: str = "clip", keepdims: bool = False):
    """``data[..., index[...], ...]`` along ``axis``: one element per index."""
    return _np(nd.pick(data, index, axis=axis, keepdims=keepdims, mode=mode))


def topk(
    data: Any,
    axis: int = -1,
    k: int = 1,
    ret_typ: str = "indices",
    is_ascend: bool = False,
    dtype: Any = "float32",
) -> Any:
    """The ``k`` largest (smallest with ``is_ascend``) along ``axis``: 'indices', 'value',
    'mask' or 'both'."""
    return _np(nd.topk(data, axis=axis, k=k, ret_typ=ret_typ, is_ascend=is_ascend, dtype=dtype))


def batch_norm(
    x: Any,
    gamma: Any,
    beta: Any,
    running_mean: Any,
    running_var: Any,
    eps: float = 1e-3,
    momentum: float = 0.9,
    fix_gamma: bool = True,
    use_global_stats: bool = False,
    output_mean_var: bool = False,
    axis: int = 1,
    cudnn_off: bool = False,
    min_calib_range: Any = None,
    max_calib_range: Any = None,
    **kwargs: Any,
) -> Any:
    """Batch normalization over every axis but ``axis``; in training mode the running
    statistics are updated in place (running = momentum * running + (1 - momentum) * batch)."""
    return _np(
        nd.BatchNorm(
            x,
            gamma,
            beta,
            running_mean,
            running_var,
            eps=eps,
            momentum=momentum,
            fix_gamma=fix_gamma,
            use_global_stats=use_global_stats,
            output_mean_var=output_mean_var,
            axis=axis,
        )
    )


def layer_norm(
    data: Any,
    gamma: Any = None,
    beta: Any = None,
    axis: int = -1,
    eps: float = 1e-5,
    output_mean_var: bool = False,
) -> Any:
    """Normalization over ``axis`` (biased variance), then ``gamma * x + beta``."""
    return _np(nd.LayerNorm(data, gamma, beta, axis=axis, eps=eps, output_mean_var=output_mean_var))


def dropout(
    data: Any,
    p: float = 0.5,
    mode: str = "training",
    axes: Any = None,
    cudnn_off: bool = True,
    **kwargs: Any,
) -> Any:
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p) (training mode
    only, unless ``mode='always'``)."""
    return _np(nd.Dropout(data, p=p, mode=mode, axes=_opt(axes)))


def embedding(
    data: Any,
    weight: Any,
    input_dim: int | None = None,
    output_dim: int | None = None,
    dtype: Any = "float32",
    sparse_grad: bool = False,
    **kwargs: Any,
) -> Any:
    """Rows of ``weight`` at the indices ``data``."""
    return _np(
        nd.Embedding(
            data,
            weight,
            input_dim=input_dim,
            output_dim=output_dim,
            dtype=dtype,
            sparse_grad=sparse_grad,
        )
    )


def fully_connected(
    x: Any,
    weight: Any,
    bias: Any = None,
    num_hidden: int | None = None,
    no_bias: bool | None = None,
    flatten: bool = True,
    **kwargs: Any,
) -> Any:
    """``x @ weight.T + bias`` (``x`` flattened to 2-d first with ``flatten``). ``no_bias``
    defaults to "no bias given" (MXNet 2 defaults it to True and then ignores a given bias)."""
    no_bias = bias is None if no_bias is None else no_bias
    return _np(
        nd.FullyConnected(
            x,
            weight,
            None if no_bias else bias,
            num_hidden=num_hidden,
            no_bias=no_bias,
            flatten=flatten,
        )
    )


def convolution(
    data: Any,
    weight: Any,
    bias: Any = None,
    kernel: Any = None,
    stride: Any = None,
    dilate: Any = None,
    pad: Any = None,
    num_filter: int | None = None,
    num_group: int = 1,
    workspace: int = 1024,
    no_bias: bool = False,
    cudnn_tune: Any = None,
    cudnn_off: bool = False,
    layout: str | None = None,
) -> Any:
    """N-d convolution (cross-correlation) of (N, C, *spatial) data with (O, C/groups, *k)
    weights."""
    return _np(
        nd.Convolution(
            data,
            weight,
            None if no_bias else bias,
            kernel=_opt(kernel),
            stride=_opt(stride),
            dilate=_opt(dilate),
            pad=_opt(pad),
            num_filter=num_filter,
            num_group=num_group,
            no_bias=no_bias or bias is None,
            layout=layout,
        )
    )


def deconvolution(
    data: Any,
    weight: Any,
    bias: Any = None,
    kernel: Any = None,
    stride: Any = None,
    dilate: Any = None,
    pad: Any = None,
    adj: Any = None,
    target_shape: Any = None,
    num_filter: int | None = None,
    num_group: int = 1,
    workspace: int = 512,
    no_bias: bool | None = None,
    cudnn_tune: Any = None,
    cudnn_off: bool = False,
    layout: str | None = None,
) -> Any:
    """Transposed convolution, the adjoint of ``convolution`` in its data (a given ``bias`` is
    used unless ``no_bias=True``)."""
    return _np(
        nd.Deconvolution(
            data,
            weight,
            None if no_bias else bias,
            kernel=_opt(kernel),
            stride=_opt(stride),
            dilate=_opt(dilate),
            pad=_opt(pad),
            adj=_opt(adj),
            target_shape=_opt(target_shape),
            num_filter=num_filter,
            num_group=num_group,
            no_bias=no_bias or bias is None,
            layout=layout,
        )
    )


def pooling(
    data: Any,
    kernel: Any = None,
    stride: Any = None,
    pad: Any = None,
    pool_type: str = "max",
    pooling_convention: str = "valid",
    global_pool: bool = False,
    cudnn_off: bool = False,
    p_value: int | None = None,
    count_include_pad: bool | None = None,
    layout: str | None = None,
    **kwargs: Any,
) -> Any:
    """Max, average, sum or Lp pooling over windows (or the whole input with ``global_pool``)."""
    return _np(
        nd.Pooling(
            data,
            kernel=_opt(kernel),
            pool_type=pool_type,
            global_pool=global_pool,
            pooling_convention=pooling_convention,
            stride=_opt(stride),
            pad=_opt(pad),
            p_value=p_value,
            count_include_pad=count_include_pad,
            layout=layout,
        )
    )
