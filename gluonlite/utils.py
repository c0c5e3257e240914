"""Training helpers (MXNet's ``gluon.utils``): split a batch across devices, clip gradients by
their global norm, and verify a file's SHA-1. (No ``download``: gluonlite never touches the
network.)"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Sequence
from typing import Any

import numpy

from .errors import MXNetValueError

__all__ = ["check_sha1", "clip_global_norm", "split_and_load", "split_data"]


def split_data(data: Any, num_slice: int, batch_axis: int = 0, even_split: bool = True) -> list:
    """Split ``data`` into ``num_slice`` slices along ``batch_axis``. With ``even_split=False``
    the first ``size % num_slice`` slices get one extra element (and slices may be empty)."""
    size = data.shape[batch_axis]
    if even_split and size % num_slice != 0:
        raise MXNetValueError(
            f"data with shape {tuple(data.shape)} cannot be evenly split into {num_slice} "
            f"slices along axis {batch_axis}. Use a batch size that's multiple of {num_slice} "
            "or set even_split=False to allow uneven partitioning of data."
        )
    each, extras = divmod(size, num_slice)
    bounds = numpy.cumsum([0] + [each + 1] * extras + [each] * (num_slice - extras)).tolist()
    if batch_axis == 0:
        return [data[bounds[i] : bounds[i + 1]] for i in range(num_slice)]
    index = [slice(None)] * data.ndim
    slices = []
    for i in range(num_slice):
        index[batch_axis] = slice(bounds[i], bounds[i + 1])
        slices.append(data[tuple(index)])
    return slices


def split_and_load(
    data: Any, ctx_list: Sequence[Any], batch_axis: int = 0, even_split: bool = True
) -> list:
    """Split ``data`` along ``batch_axis`` into one slice per context and load each slice
    onto its context (NumPy input becomes an NDArray on the first context first)."""
    from .ndarray import array
    from .ndarray.dispatch import ArrayBase

    if not isinstance(data, ArrayBase):
        data = array(data, ctx=ctx_list[0])
    if len(ctx_list) == 1:
        return [data.as_in_context(ctx_list[0])]
    slices = split_data(data, len(ctx_list), batch_axis, even_split)
    return [s.as_in_context(ctx) for s, ctx in zip(slices, ctx_list)]


def clip_global_norm(arrays: Sequence[Any], max_norm: float, check_isfinite: bool = True) -> Any:
    """Scale ``arrays`` in place so that their joint L2 norm is at most ``max_norm``.

    Returns the norm before scaling: a float when ``check_isfinite`` (which also warns on
    NaN/inf), otherwise a 1-element array on the first array's context (no host sync)."""
    if len(arrays) == 0:
        raise MXNetValueError("clip_global_norm needs at least one array")
    ctx = arrays[0].context
    xp = ctx.xp
    total = None
    for arr in arrays:
        raw = arr._data.ravel()
        if raw.dtype == numpy.float16:
            raw = raw.astype(numpy.float32)
        sq = arr.context.xp.vdot(raw, raw)
        if not _same_device(arr.context, ctx):
            sq = float(sq)
        total = sq if total is None else total + sq
    norm = xp.sqrt(xp.asarray(total, dtype=numpy.float32)).reshape(1)
    if check_isfinite and not numpy.isfinite(float(norm[0])):
        warnings.warn(
            UserWarning("nan or inf is detected. Clipping results will be undefined."), stacklevel=2
        )
    scale = xp.minimum(max_norm / (norm + 1e-8), 1.0)
    for arr in arrays:
        factor = (
            scale if _same_device(arr.context, ctx) else arr.context.xp.asarray([float(scale[0])])
        )
        arr._data *= factor.astype(arr.dtype)
    if check_isfinite:
        return float(norm[0])
    return type(arrays[0])._wrap(norm, ctx)


def _same_device(a: Any, b: Any) -> bool:
    return a == b or (a.xp is numpy and b.xp is numpy)


def check_sha1(filename: str, sha1_hash: str) -> bool:
    """Whether the file's SHA-1 hex digest equals ``sha1_hash``."""
    sha1 = hashlib.sha1()
    with open(filename, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            sha1.update(chunk)
    return sha1.hexdigest() == sha1_hash
