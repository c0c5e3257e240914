"""Image transforms (MXNet's ``gluon.data.vision.transforms``): Blocks that take and return
image NDArrays, chained with :class:`Compose`.

Images are HxWxC (or NxHxWxC batches), uint8 on the 0-255 scale, until :class:`ToTensor` turns
them into float32 CxHxW tensors in [0, 1]. ``Cast``, ``ToTensor`` and ``Normalize`` are
HybridBlocks written with operators (they hybridize and run on any device); the geometric and
random transforms are plain Blocks over NumPy/Pillow kernels (``gluonlite.image``), because
they draw a random decision per call and their output shapes depend on the input's. Random
transforms draw from gluonlite's global generator, so ``gluonlite.random.seed`` repeats them.
Sizes given as pairs are (width, height), and an int size means size x size, as in MXNet.

Every transform passes extra inputs through (``t(image, label)`` returns ``(image', label)``),
so a Compose can be a dataset's ``transform`` directly.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy

from ... import errors
from ...image import color
from ...image._arrays import array_module, rewrap, rng, unwrap
from ...image.geometry import (
    center_rect,
    crop_array,
    random_rect,
    random_size_rect,
    resize_array,
    short_side_size,
)
from ...ndarray.creation import array, wrap
from ...ndarray.dispatch import ArrayBase
from ...nn import Block, HybridBlock, Sequential
from ...ops.registry import P

__all__ = [
    "Cast",
    "CenterCrop",
    "Compose",
    "CropResize",
    "Normalize",
    "RandomBrightness",
    "RandomColorJitter",
    "RandomContrast",
    "RandomCrop",
    "RandomFlipLeftRight",
    "RandomFlipTopBottom",
    "RandomGray",
    "RandomHorizontalFlip",
    "RandomHue",
    "RandomLighting",
    "RandomResizedCrop",
    "RandomSaturation",
    "Resize",
    "ToTensor",
]

SizeLike = int | tuple[int, int]


def _with_rest(out: Any, rest: tuple) -> Any:
    """The transformed image, followed by the untouched extra inputs when there are any."""
    return (out, *rest) if rest else out


def _wh(size: SizeLike, who: str) -> tuple[int, int]:
    """A (width, height) pair from an int or a pair."""
    pair = (size, size) if isinstance(size, numbers.Integral) else tuple(size)
    if len(pair) != 2 or not all(isinstance(s, numbers.Integral) and s > 0 for s in pair):
        raise errors.MXNetValueError(
            f"{who}: size must be a positive int or (width, height), got {size!r}"
        )
    return int(pair[0]), int(pair[1])


def _as_ndarray(x: Any, who: str) -> Any:
    """NDArrays as they are; NumPy images wrapped (no copy) so operators accept them."""
    if isinstance(x, ArrayBase):
        return x
    if isinstance(x, numpy.ndarray):
        return wrap(x)
    raise errors.MXNetTypeError(f"{who} expects an image NDArray, got {type(x).__name__}")


def _image(x: Any, who: str) -> Any:
    """The raw array of an HxWxC image or NxHxWxC batch."""
    data = unwrap(x, who)
    if data.ndim not in (3, 4):
        raise errors.ShapeError(
            f"{who} expects an image of shape (H, W, C) or a batch (N, H, W, C), got shape "
            f"{tuple(data.shape)}"
        )
    return data


class _Function(Block):
    """A plain callable as a transform of the image alone."""

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        super().__init__()
        self._fn = fn

    def forward(self, x: Any, *rest: Any) -> Any:
        return _with_rest(self._fn(x), rest)


class Compose(Sequential):
    """Apply transforms one after the other (plain callables are applied to the image)."""

    def __init__(self, transforms: Sequence[Callable[..., Any]] = ()) -> None:
        super().__init__()
        for t in transforms:
            if not callable(t):
                raise errors.MXNetTypeError(f"Compose: {t!r} is not a transform (not callable)")
            self.add(t if isinstance(t, Block) else _Function(t))

    def forward(self, x: Any, *rest: Any) -> Any:
        for block in self._children.values():
            out = block(x, *rest)
            x, rest = (out[0], tuple(out[1:])) if isinstance(out, tuple) else (out, ())
        return _with_rest(x, rest)


# ---- tensor conversion (operators: hybridizable) -------------------------------------------------
class Cast(HybridBlock):
    """Cast to ``dtype`` (default float32)."""

    def __init__(self, dtype: Any = "float32") -> None:
        super().__init__()
        self._dtype = numpy.dtype(dtype)

    def forward(self, x: Any, *rest: Any) -> Any:
        return _with_rest(P.astype(_as_ndarray(x, "Cast"), dtype=self._dtype), rest)


class ToTensor(HybridBlock):
    """HxWxC (or NxHxWxC) images on the 0-255 scale to float32 CxHxW (NxCxHxW) in [0, 1]."""

    def forward(self, x: Any, *rest: Any) -> Any:
        x = _as_ndarray(x, "ToTensor")
        if x.ndim not in (3, 4):
            raise errors.ShapeError(
                f"ToTensor expects an image (H, W, C) or a batch (N, H, W, C), got shape {x.shape}"
            )
        axes = (2, 0, 1) if x.ndim == 3 else (0, 3, 1, 2)
        scaled = P.true_divide(P.astype(x, dtype=numpy.dtype(numpy.float32)), 255.0)
        return _with_rest(P.transpose(scaled, axes=axes), rest)


class Normalize(HybridBlock):
    """``(x - mean) / std`` per channel of CxHxW (or NxCxHxW) tensors; ``mean`` and ``std``
    are numbers or one value per channel."""

    def __init__(self, mean: float | Sequence[float] = 0.0, std: float | Sequence[float] = 1.0):
        super().__init__()
        self._mean = self._values(mean, "mean")
        self._std = self._values(std, "std")
        if numpy.any(self._std == 0):
            raise errors.MXNetValueError(f"Normalize: std must be non-zero, got {std!r}")
        self._constants: dict[tuple, tuple[Any, Any]] = {}

    @staticmethod
    def _values(v: Any, name: str) -> numpy.ndarray:
        values = numpy.asarray(v, dtype=numpy.float64).reshape(-1)
        if values.size == 0:
            raise errors.MXNetValueError(f"Normalize: {name} is empty")
        return values

    def _operands(self, x: Any) -> tuple[Any, Any]:
        """mean and std as scalars, or as (C, 1, 1) constants on x's context and dtype."""
        channels = x.shape[-3]
        for name, v in (("mean", self._mean), ("std", self._std)):
            if v.size not in (1, channels):
                raise errors.ShapeError(
                    f"Normalize: {name} has {v.size} values but the input of shape {x.shape} "
                    f"has {channels} channels (axis -3); give 1 or {channels} values"
                )
        key = (x.context, x.dtype)
        if key not in self._constants:
            self._constants[key] = tuple(
                float(v[0]) if v.size == 1 else array(v.reshape(-1, 1, 1), x.context, x.dtype)
                for v in (self._mean, self._std)
            )
        return self._constants[key]

    def forward(self, x: Any, *rest: Any) -> Any:
        x = _as_ndarray(x, "Normalize")
        if x.ndim not in (3, 4):
            raise errors.ShapeError(
                f"Normalize expects a tensor (C, H, W) or a batch (N, C, H, W), got shape {x.shape}"
            )
        if x.dtype.kind != "f":
            raise errors.MXNetTypeError(
                f"Normalize expects a float tensor, got {x.dtype}: apply ToTensor (or Cast) first"
            )
        mean, std = self._operands(x)
        return _with_rest(P.true_divide(P.subtract(x, mean), std), rest)


# ---- geometry ------------------------------------------------------------------------------------
class _ImageTransform(Block):
    """A transform computed on the raw image array by ``_apply(data) -> data``."""

    def forward(self, x: Any, *rest: Any) -> Any:
        return _with_rest(rewrap(self._apply(_image(x, type(self).__name__)), x), rest)

    def _apply(self, data: Any) -> Any:
        raise NotImplementedError


def _height_width(data: Any) -> tuple[int, int]:
    return int(data.shape[-3]), int(data.shape[-2])


class Resize(_ImageTransform):
    """Resize to ``size``: (width, height), or size x size for an int; with ``keep_ratio`` an
    int is the shorter side's length and the aspect ratio is kept."""

    def __init__(self, size: SizeLike, keep_ratio: bool = False, interpolation: int = 1) -> None:
        super().__init__()
        self._size = _wh(size, "Resize")
        self._short = int(size) if keep_ratio and isinstance(size, numbers.Integral) else None
        self._interp = interpolation

    def _apply(self, data: Any) -> Any:
        if self._short is not None:
            new_h, new_w = short_side_size(*_height_width(data), self._short)
        else:
            new_w, new_h = self._size
        return resize_array(data, new_w, new_h, self._interp)


class CenterCrop(_ImageTransform):
    """The centred crop of ``size`` (width, height); an image smaller than ``size`` gives the
    largest centred crop of that aspect ratio, resized up to ``size``."""

    def __init__(self, size: SizeLike, interpolation: int = 1) -> None:
        super().__init__()
        self._size = _wh(size, "CenterCrop")
        self._interp = interpolation

    def _apply(self, data: Any) -> Any:
        rect = center_rect(*_height_width(data), self._size)
        return crop_array(data, *rect, self._size, self._interp)


class CropResize(_ImageTransform):
    """The fixed window (x, y, width, height), resized to ``size`` (w, h) when given."""

    def __init__(
        self,
        x: int,
        y: int,
        width: int,
        height: int,
        size: SizeLike | None = None,
        interpolation: int | None = None,
    ) -> None:
        super().__init__()
        self._rect = (int(x), int(y), int(width), int(height))
        self._size = None if size is None else _wh(size, "CropResize")
        self._interp = 1 if interpolation is None else interpolation

    def _apply(self, data: Any) -> Any:
        return crop_array(data, *self._rect, self._size, self._interp)


class RandomResizedCrop(_ImageTransform):
    """A crop of random area (a fraction in ``scale`` of the image) and aspect ratio (w/h
    log-uniform in ``ratio``), resized to ``size`` (Inception-style augmentation)."""

    def __init__(
        self,
        size: SizeLike,
        scale: float | tuple[float, float] = (0.08, 1.0),
        ratio: tuple[float, float] = (3.0 / 4.0, 4.0 / 3.0),
        interpolation: int = 1,
    ) -> None:
        super().__init__()
        self._size = _wh(size, "RandomResizedCrop")
        self._scale = (float(scale), 1.0) if isinstance(scale, numbers.Real) else tuple(scale)
        if not 0 < self._scale[0] <= self._scale[1] or not 0 < ratio[0] <= ratio[1]:
            raise errors.MXNetValueError(
                f"RandomResizedCrop: scale {scale!r} and ratio {ratio!r} must be increasing "
                "pairs of positive numbers"
            )
        self._ratio = (float(ratio[0]), float(ratio[1]))
        self._interp = interpolation

    def _apply(self, data: Any) -> Any:
        rect = random_size_rect(*_height_width(data), self._scale, self._ratio, self._size)
        return crop_array(data, *rect, self._size, self._interp)


class RandomCrop(_ImageTransform):
    """A uniformly placed crop of ``size`` (width, height), after optional constant padding:
    ``pad`` an int (all four sides) or (top, bottom, left, right)."""

    def __init__(
        self,
        size: SizeLike,
        pad: int | Sequence[int] | None = None,
        pad_value: float = 0,
        interpolation: int = 1,
    ) -> None:
        super().__init__()
        self._size = _wh(size, "RandomCrop")
        if pad is None:
            self._pad = None
        elif isinstance(pad, numbers.Integral):
            self._pad = ((int(pad), int(pad)), (int(pad), int(pad)))
        elif len(pad) == 4:
            self._pad = ((int(pad[0]), int(pad[1])), (int(pad[2]), int(pad[3])))
        else:
            raise errors.MXNetValueError(
                f"RandomCrop: pad must be an int or (top, bottom, left, right), got {pad!r}"
            )
        self._pad_value = pad_value
        self._interp = interpolation

    def _apply(self, data: Any) -> Any:
        if self._pad is not None:
            widths = ((0, 0),) * (data.ndim - 3) + self._pad + ((0, 0),)
            data = array_module(data).pad(
                data, widths, mode="constant", constant_values=self._pad_value
            )
        rect = random_rect(*_height_width(data), self._size)
        return crop_array(data, *rect, self._size, self._interp)


# ---- random flips --------------------------------------------------------------------------------
class _WithProbability(_ImageTransform):
    """Apply ``_always(data)`` with probability ``p``; otherwise pass the image through."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = float(p)

    def _apply(self, data: Any) -> Any:
        if self.p <= 0 or (self.p < 1 and rng().random() >= self.p):
            return data
        return self._always(data)

    def _always(self, data: Any) -> Any:
        raise NotImplementedError


class _RandomFlip(_WithProbability):
    _axis = -2

    def _always(self, data: Any) -> Any:
        index = [slice(None)] * data.ndim
        index[self._axis] = slice(None, None, -1)
        return data[tuple(index)].copy()


class RandomFlipLeftRight(_RandomFlip):
    """Mirror the image left to right with probability ``p``."""

    _axis = -2


RandomHorizontalFlip = RandomFlipLeftRight


class RandomFlipTopBottom(_RandomFlip):
    """Flip the image upside down with probability ``p``."""

    _axis = -3


# ---- random colour -------------------------------------------------------------------------------
def _factor_range(amount: float, name: str) -> tuple[float, float]:
    """MXNet's jitter range [max(0, 1 - amount), 1 + amount]."""
    if amount < 0:
        raise errors.MXNetValueError(f"{name} must be non-negative, got {amount!r}")
    return max(0.0, 1.0 - amount), 1.0 + amount


_ADJUST = {
    "brightness": color.adjust_brightness,
    "contrast": color.adjust_contrast,
    "saturation": color.adjust_saturation,
    "hue": lambda data, factor: color.adjust_hue(data, factor - 1.0),  # factor 1: no rotation
}


class _RandomEnhance(_ImageTransform):
    """Apply one colour adjustment with a factor drawn uniformly from the jitter range."""

    _kind = ""

    def __init__(self, amount: float) -> None:
        super().__init__()
        self._range = _factor_range(amount, self._kind)

    def _apply(self, data: Any) -> Any:
        if self._range == (1.0, 1.0):
            return data
        return _ADJUST[self._kind](data, rng().uniform(*self._range))


class RandomBrightness(_RandomEnhance):
    """Scale brightness by a factor from [max(0, 1 - brightness), 1 + brightness]."""

    _kind = "brightness"


class RandomContrast(_RandomEnhance):
    """Scale contrast by a factor from [max(0, 1 - contrast), 1 + contrast]."""

    _kind = "contrast"


class RandomSaturation(_RandomEnhance):
    """Scale saturation by a factor from [max(0, 1 - saturation), 1 + saturation]."""

    _kind = "saturation"


class RandomHue(_RandomEnhance):
    """Rotate hues by up to ``hue`` turns either way (a factor from [max(0, 1 - hue), 1 + hue]
    around 1)."""

    _kind = "hue"


class RandomColorJitter(_ImageTransform):
    """Jitter brightness, contrast, saturation and hue, each with a factor from its range, in a
    random order (adjustments with amount 0 are skipped)."""

    def __init__(
        self, brightness: float = 0, contrast: float = 0, saturation: float = 0, hue: float = 0
    ) -> None:
        super().__init__()
        amounts = zip(
            ("brightness", "contrast", "saturation", "hue"), (brightness, contrast, saturation, hue)
        )
        self._ranges = [(k, _factor_range(a, k)) for k, a in amounts if a != 0]

    def _apply(self, data: Any) -> Any:
        gen = rng()
        for i in gen.permutation(len(self._ranges)):
            kind, bounds = self._ranges[i]
            data = _ADJUST[kind](data, gen.uniform(*bounds))
        return data


class RandomLighting(_ImageTransform):
    """AlexNet-style PCA lighting noise with per-component strength drawn from N(0, alpha)."""

    def __init__(self, alpha: float) -> None:
        super().__init__()
        if alpha < 0:
            raise errors.MXNetValueError(
                f"RandomLighting: alpha must be non-negative, got {alpha!r}"
            )
        self._alpha = float(alpha)

    def _apply(self, data: Any) -> Any:
        if self._alpha == 0:
            return data
        return color.adjust_lighting(data, rng().normal(0.0, self._alpha, size=3))


class RandomGray(_WithProbability):
    """Convert to grayscale (kept as three channels) with probability ``p``."""

    def _always(self, data: Any) -> Any:
        return color.to_gray(data)
