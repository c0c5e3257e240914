"""Resizing and cropping of HWC images (MXNet's ``mx.image`` helpers and the kernels of the
vision transforms).

Resampling runs on Pillow's C filters, one call per image (per channel for float images or
unusual channel counts), so no Python loop touches pixels. Interpolation codes are MXNet's
(OpenCV's): 0 nearest, 1 bilinear, 2 area, 3 bicubic, 4 Lanczos, 9 auto (bicubic to enlarge,
area to shrink, bilinear otherwise), 10 a random one of 0-4. Pillow's bilinear and bicubic
filters widen when shrinking (antialiasing), so results differ slightly from OpenCV's.
Functions named ``*_array`` take and return raw NumPy/CuPy arrays; the others take NDArrays.
"""

from __future__ import annotations

import math
from typing import Any

import numpy

from .. import errors
from ._arrays import hw_axes, like_device, rewrap, rng, to_host, unwrap
from .codec import require_pillow

__all__ = [
    "center_crop",
    "center_rect",
    "color_normalize",
    "crop_array",
    "fixed_crop",
    "imresize",
    "interp_method",
    "random_crop",
    "random_rect",
    "random_size_crop",
    "random_size_rect",
    "resize_array",
    "resize_short",
    "scale_down",
    "short_side_size",
]

_FILTER_NAMES = ("NEAREST", "BILINEAR", "BOX", "BICUBIC", "LANCZOS")  # codes 0..4


def interp_method(interp: int, sizes: tuple[int, int, int, int] | None = None) -> int:
    """Resolve MXNet's interpolation code (9: auto, 10: random) to one of 0-4; ``sizes`` is
    (old_h, old_w, new_h, new_w)."""
    if interp == 9:
        if sizes is None:
            return 2
        oh, ow, nh, nw = sizes
        if nh > oh and nw > ow:
            return 3
        if nh < oh and nw < ow:
            return 2
        return 1
    if interp == 10:
        return int(rng().integers(0, 5))
    if interp not in (0, 1, 2, 3, 4):
        raise errors.MXNetValueError(
            f"unknown interpolation {interp!r}: use 0 (nearest), 1 (bilinear), 2 (area), "
            "3 (bicubic), 4 (Lanczos), 9 (auto) or 10 (random)"
        )
    return interp


def _resample_plane(plane: numpy.ndarray, width: int, height: int, resample: Any, image_mod):
    """Resize one 2-d plane (or an HxWx3 uint8 image) with Pillow; float planes go through
    Pillow's 32-bit float mode."""
    if plane.dtype != numpy.uint8:
        plane = plane.astype(numpy.float32, copy=False)
    img = image_mod.fromarray(numpy.ascontiguousarray(plane))
    return numpy.array(img.resize((width, height), resample))  # a writable copy


def _resize_image(img: numpy.ndarray, width: int, height: int, resample: Any, image_mod):
    """Resize one HxW or HxWxC host image, keeping its dtype."""
    if img.ndim == 2:
        return _cast_back(_resample_plane(img, width, height, resample, image_mod), img.dtype)
    channels = img.shape[2]
    if img.dtype == numpy.uint8 and channels in (1, 3):  # L and RGB: one Pillow call
        plane = img[:, :, 0] if channels == 1 else img
        out = _resample_plane(plane, width, height, resample, image_mod)
        return out.reshape(height, width, channels)
    out = numpy.empty((height, width, channels), dtype=img.dtype)
    for c in range(channels):  # one call per channel (RGBA would be premultiplied as one image)
        out[:, :, c] = _cast_back(
            _resample_plane(img[:, :, c], width, height, resample, image_mod), img.dtype
        )
    return out


def _cast_back(values: numpy.ndarray, dtype: numpy.dtype) -> numpy.ndarray:
    """Float results in an integer or other float dtype (integers rounded and saturated)."""
    if values.dtype == dtype:
        return values
    if numpy.dtype(dtype).kind in "iub":
        info = numpy.iinfo(dtype)
        values = numpy.clip(numpy.rint(values), info.min, info.max)
    return values.astype(dtype)


def resize_array(data: Any, width: int, height: int, interp: int = 1) -> Any:
    """Resize a raw HxW, HxWxC or NxHxWxC array to ``height`` x ``width``."""
    h, w = hw_axes(data, "resize")
    width, height = int(width), int(height)
    if width <= 0 or height <= 0:
        raise errors.MXNetValueError(
            f"resize: the target size must be positive, got {width}x{height}"
        )
    method = interp_method(interp, (h, w, height, width))
    if (h, w) == (height, width):
        return data.copy()  # a new array, as every other size gives
    image_mod, _ = require_pillow("image resizing")
    resample = getattr(image_mod.Resampling, _FILTER_NAMES[method])
    host = to_host(data)
    if host.ndim == 4:
        out = numpy.stack([_resize_image(im, width, height, resample, image_mod) for im in host])
    else:
        out = _resize_image(host, width, height, resample, image_mod)
    return like_device(out, data)


def imresize(src: Any, w: int, h: int, interp: int = 1) -> Any:
    """Resize an HxWxC image NDArray to ``h`` x ``w`` (note the order: width first)."""
    return rewrap(resize_array(unwrap(src, "imresize"), w, h, interp), src)


def short_side_size(h: int, w: int, size: int) -> tuple[int, int]:
    """(new_h, new_w) with the shorter side ``size`` and the aspect ratio kept (floored)."""
    if h > w:
        return size * h // w, size
    return size, size * w // h


def resize_short(src: Any, size: int, interp: int = 2) -> Any:
    """Resize so that the shorter side is ``size``, keeping the aspect ratio."""
    data = unwrap(src, "resize_short")
    new_h, new_w = short_side_size(*hw_axes(data, "resize_short"), size)
    return rewrap(resize_array(data, new_w, new_h, interp), src)


def scale_down(src_size: tuple[int, int], size: tuple[int, int]) -> tuple[int, int]:
    """A crop size (w, h) shrunk, keeping its aspect ratio, to fit an image of ``src_size``
    (w, h)."""
    w, h = size
    sw, sh = src_size
    if sh < h:
        w, h = float(w * sh) / h, sh
    if sw < w:
        w, h = sw, float(h * sw) / w
    return int(w), int(h)


def crop_array(
    data: Any,
    x0: int,
    y0: int,
    w: int,
    h: int,
    size: tuple[int, int] | None = None,
    interp: int = 2,
) -> Any:
    """The (w x h) window at (x0, y0) of a raw image (or batch) array, as a new array, resized
    to ``size`` (w, h) when given."""
    height, width = hw_axes(data, "crop")
    if x0 < 0 or y0 < 0 or w <= 0 or h <= 0 or x0 + w > width or y0 + h > height:
        raise errors.MXNetValueError(
            f"crop window x={x0}, y={y0}, w={w}, h={h} does not fit in an image of "
            f"width {width} and height {height}"
        )
    window = data[:, y0 : y0 + h, x0 : x0 + w] if data.ndim == 4 else data[y0 : y0 + h, x0 : x0 + w]
    if size is not None and (w, h) != tuple(size):
        return resize_array(window, size[0], size[1], interp)
    return window.copy()  # C order, and never a view into the caller's (dataset's) array


def center_rect(height: int, width: int, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """(x0, y0, w, h) of the centred crop of ``size`` (w, h), scaled down to fit."""
    new_w, new_h = scale_down((width, height), size)
    return (width - new_w) // 2, (height - new_h) // 2, new_w, new_h


def random_rect(height: int, width: int, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """(x0, y0, w, h) of a uniformly placed crop of ``size`` (w, h), scaled down to fit."""
    new_w, new_h = scale_down((width, height), size)
    gen = rng()
    x0 = int(gen.integers(0, width - new_w + 1))
    y0 = int(gen.integers(0, height - new_h + 1))
    return x0, y0, new_w, new_h


def random_size_rect(
    height: int,
    width: int,
    area: float | tuple[float, float],
    ratio: tuple[float, float],
    size: tuple[int, int],
    attempts: int = 10,
) -> tuple[int, int, int, int]:
    """(x0, y0, w, h) of a crop whose area fraction is uniform in ``area`` and whose aspect
    ratio w/h is log-uniform in ``ratio``; the centre crop of ``size`` after ``attempts``
    misses (MXNet's ``random_size_crop``)."""
    lo, hi = (area, 1.0) if isinstance(area, (int, float)) else area
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    gen = rng()
    for _ in range(attempts):
        target = gen.uniform(lo, hi) * height * width
        aspect = math.exp(gen.uniform(*log_ratio))
        new_w = round(math.sqrt(target * aspect))
        new_h = round(math.sqrt(target / aspect))
        if 0 < new_w <= width and 0 < new_h <= height:
            x0 = int(gen.integers(0, width - new_w + 1))
            y0 = int(gen.integers(0, height - new_h + 1))
            return x0, y0, new_w, new_h
    return center_rect(height, width, size)


def _size_pair(size: int | tuple[int, int]) -> tuple[int, int]:
    return (size, size) if isinstance(size, (int, numpy.integer)) else (int(size[0]), int(size[1]))


def _crop_to(src: Any, rect: tuple[int, int, int, int], size, interp: int, who: str):
    data = unwrap(src, who)
    return rewrap(crop_array(data, *rect, size, interp), src), rect


def fixed_crop(
    src: Any,
    x0: int,
    y0: int,
    w: int,
    h: int,
    size: tuple[int, int] | None = None,
    interp: int = 2,
) -> Any:
    """Crop the (w x h) window at (x0, y0), and resize it to ``size`` (w, h) when given."""
    return _crop_to(src, (x0, y0, w, h), size, interp, "fixed_crop")[0]


def center_crop(src: Any, size: int | tuple[int, int], interp: int = 2):
    """The centred crop of ``size`` (w, h) (scaled down to fit, then resized up to ``size``)
    and its rectangle (x0, y0, w, h)."""
    size = _size_pair(size)
    rect = center_rect(*hw_axes(unwrap(src, "center_crop"), "center_crop"), size)
    return _crop_to(src, rect, size, interp, "center_crop")


def random_crop(src: Any, size: int | tuple[int, int], interp: int = 2):
    """A uniformly placed crop of ``size`` (w, h) and its rectangle (x0, y0, w, h)."""
    size = _size_pair(size)
    rect = random_rect(*hw_axes(unwrap(src, "random_crop"), "random_crop"), size)
    return _crop_to(src, rect, size, interp, "random_crop")


def random_size_crop(
    src: Any,
    size: int | tuple[int, int],
    area: float | tuple[float, float],
    ratio: tuple[float, float],
    interp: int = 2,
):
    """A crop of random area and aspect ratio resized to ``size`` (w, h), and its rectangle
    (see :func:`random_size_rect`)."""
    size = _size_pair(size)
    height, width = hw_axes(unwrap(src, "random_size_crop"), "random_size_crop")
    rect = random_size_rect(height, width, area, ratio, size)
    return _crop_to(src, rect, size, interp, "random_size_crop")


def color_normalize(src: Any, mean: Any, std: Any = None) -> Any:
    """``(src - mean) / std`` (either may be None), broadcasting over the channel axis."""
    if mean is not None:
        src = src - mean
    if std is not None:
        src = src / std
    return src
