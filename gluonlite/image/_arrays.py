"""Plumbing shared by the image functions: raw arrays in and out of NDArrays, the host copy
that Pillow needs, and the seeded generator that random augmentations draw from."""

from __future__ import annotations

from typing import Any

import numpy

from .. import errors
from ..context import cpu
from ..ndarray.creation import wrap
from ..ndarray.dispatch import ArrayBase
from ..ops.random import generator

__all__ = ["array_module", "hw_axes", "like_device", "rewrap", "rng", "to_host", "unwrap"]


def unwrap(x: Any, who: str) -> Any:
    """The raw NumPy/CuPy array of an NDArray (NumPy arrays pass through)."""
    if isinstance(x, ArrayBase):
        return x._data
    if isinstance(x, numpy.ndarray):
        return x
    raise errors.MXNetTypeError(f"{who} expects an image NDArray, got {type(x).__name__}")


def rewrap(data: Any, like: Any) -> Any:
    """``data`` as an array of ``like``'s class on ``like``'s context (a new NDArray on cpu
    when ``like`` was a NumPy array)."""
    if isinstance(like, ArrayBase):
        return type(like)._wrap(data, like._ctx)
    return wrap(data, cpu())


def to_host(data: Any) -> numpy.ndarray:
    """A NumPy view (cpu) or copy (gpu) of a raw array."""
    return data if isinstance(data, numpy.ndarray) else data.get()


def like_device(host: numpy.ndarray, data: Any) -> Any:
    """``host`` moved onto the device of the raw array ``data``."""
    if isinstance(data, numpy.ndarray):
        return host
    import cupy

    with data.device:
        return cupy.asarray(host)


def array_module(data: Any) -> Any:
    """numpy or cupy, whichever owns the raw array."""
    if isinstance(data, numpy.ndarray):
        return numpy
    import cupy

    return cupy


def rng() -> numpy.random.Generator:
    """gluonlite's seeded cpu generator (``gluonlite.random.seed`` makes draws repeat)."""
    return generator(numpy)


def hw_axes(data: Any, who: str) -> tuple[int, int]:
    """(height, width) of an HxW, HxWxC or NxHxWxC image array."""
    if data.ndim not in (2, 3, 4):
        raise errors.ShapeError(
            f"{who} expects an image of shape (H, W, C) or a batch (N, H, W, C), got shape "
            f"{tuple(data.shape)}"
        )
    if data.ndim == 4:
        return int(data.shape[1]), int(data.shape[2])
    return int(data.shape[0]), int(data.shape[1])
