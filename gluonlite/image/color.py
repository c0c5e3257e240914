"""Colour adjustments of channels-last images (HxWxC or NxHxWxC, RGB, values on the 0-255
scale): the kernels of the colour-jitter transforms.

Each works on raw NumPy or CuPy arrays in whole-array operations, computes in float32 (float64
for float64 input) and returns the input's dtype; integer results are rounded and clipped to the
dtype's range (MXNet's ``saturate_cast`` clips too, but truncates). Single-channel images pass unchanged
through the adjustments that need colour (saturation, hue, lighting).
"""

from __future__ import annotations

import math
from typing import Any

import numpy

from ._arrays import array_module

__all__ = [
    "LUMA",
    "PCA_EIGVAL",
    "PCA_EIGVEC",
    "adjust_brightness",
    "adjust_contrast",
    "adjust_hue",
    "adjust_lighting",
    "adjust_saturation",
    "to_gray",
]

LUMA = numpy.array([0.299, 0.587, 0.114])  # ITU-R BT.601 luma weights of R, G, B
# AlexNet's principal components of ImageNet RGB pixels (0-255 scale), MXNet's lighting noise
PCA_EIGVAL = numpy.array([55.46, 4.794, 1.148])
PCA_EIGVEC = numpy.array(
    [[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140], [-0.5836, -0.6948, 0.4203]]
)
_RGB_TO_YIQ = numpy.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.321], [0.211, -0.523, 0.311]])
_YIQ_TO_RGB = numpy.linalg.inv(_RGB_TO_YIQ)


def _work_dtype(dtype: numpy.dtype) -> numpy.dtype:
    return numpy.dtype(numpy.float64 if dtype == numpy.float64 else numpy.float32)


def _saturate(values: Any, dtype: numpy.dtype, xp: Any) -> Any:
    """Float results back in ``dtype``; integer dtypes are rounded and clipped first."""
    if dtype.kind in "iub":
        info = numpy.iinfo(dtype)
        xp.rint(values, out=values)
        xp.clip(values, info.min, info.max, out=values)
    return values.astype(dtype, copy=False)


def _gray(data: Any, xp: Any, keepdims: bool = True) -> Any:
    """Per-pixel luma of an RGB array (in the working float dtype)."""
    work = _work_dtype(data.dtype)
    gray = data[..., :3].astype(work, copy=False) @ xp.asarray(LUMA, dtype=work)
    return gray[..., None] if keepdims else gray


def _blend(data: Any, factor: float, other: Any, xp: Any) -> Any:
    """``data * factor + other * (1 - factor)`` in the working dtype, saturated back."""
    out = xp.multiply(data, factor, dtype=_work_dtype(data.dtype))
    out += other * (1.0 - factor)
    return _saturate(out, data.dtype, xp)


def adjust_brightness(data: Any, factor: float) -> Any:
    """Scale every value by ``factor`` (0 gives black, 1 the image)."""
    xp = array_module(data)
    return _saturate(xp.multiply(data, factor, dtype=_work_dtype(data.dtype)), data.dtype, xp)


def adjust_contrast(data: Any, factor: float) -> Any:
    """Blend each image with its mean gray level (0 gives flat gray, 1 the image)."""
    xp = array_module(data)
    pixels = data.reshape(data.shape[:-3] + (-1, data.shape[-1]))  # (..., H*W, C)
    luma = _gray(pixels, xp, keepdims=False) if data.shape[-1] >= 3 else pixels[..., 0]
    gray_mean = luma.mean(axis=-1, dtype=_work_dtype(data.dtype))  # one level per image
    return _blend(data, factor, gray_mean.reshape(gray_mean.shape + (1, 1, 1)), xp)


def adjust_saturation(data: Any, factor: float) -> Any:
    """Blend each pixel with its gray level (0 gives grayscale, 1 the image)."""
    if data.shape[-1] < 3:
        return data
    xp = array_module(data)
    return _blend(data, factor, _gray(data.astype(_work_dtype(data.dtype), copy=False), xp), xp)


def adjust_hue(data: Any, shift: float) -> Any:
    """Rotate hues by ``shift`` turns (1.0 is a full turn): a rotation of the chroma plane in
    YIQ space, one 3x3 matrix product per pixel."""
    if data.shape[-1] < 3 or shift == 0:
        return data
    xp = array_module(data)
    cos, sin = math.cos(2 * math.pi * shift), math.sin(2 * math.pi * shift)
    rotation = numpy.array([[1.0, 0.0, 0.0], [0.0, cos, -sin], [0.0, sin, cos]])
    matrix = (_YIQ_TO_RGB @ rotation @ _RGB_TO_YIQ).T
    work = _work_dtype(data.dtype)
    rgb = data[..., :3].astype(work)
    out = (rgb.reshape(-1, 3) @ xp.asarray(matrix, dtype=work)).reshape(rgb.shape)
    if data.shape[-1] > 3:  # keep extra channels (alpha) as they are
        out = xp.concatenate([out, data[..., 3:].astype(work)], axis=-1)
    return _saturate(out, data.dtype, xp)


def adjust_lighting(data: Any, alpha_rgb: Any) -> Any:
    """Add AlexNet's PCA colour noise: ``eigvec @ (alpha_rgb * eigval)`` to every RGB pixel."""
    if data.shape[-1] < 3:
        return data
    xp = array_module(data)
    work = _work_dtype(data.dtype)
    offset = numpy.zeros(data.shape[-1])
    offset[:3] = PCA_EIGVEC @ (numpy.asarray(alpha_rgb, dtype=numpy.float64) * PCA_EIGVAL)
    out = xp.add(data, xp.asarray(offset, dtype=work), dtype=work)
    return _saturate(out, data.dtype, xp)


def to_gray(data: Any) -> Any:
    """The luma of each pixel, repeated over the three colour channels."""
    if data.shape[-1] < 3:
        return data
    xp = array_module(data)
    gray = _gray(data, xp)
    out = xp.broadcast_to(gray, data.shape[:-1] + (3,))
    if data.shape[-1] > 3:
        out = xp.concatenate([out, data[..., 3:].astype(out.dtype)], axis=-1)
    return _saturate(xp.array(out), data.dtype, xp)
