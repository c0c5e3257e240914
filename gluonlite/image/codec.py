"""Image decoding on Pillow: files and byte buffers to HWC uint8 arrays (MXNet's ``imread`` and
``imdecode``).

Pillow is optional (the ``vision`` extra): it is imported on first use, and every function that
needs it says how to install it when it is missing.
"""

from __future__ import annotations

import io
import os
from typing import Any

import numpy

from .. import errors
from ..context import cpu
from ..ndarray.creation import wrap
from ..ndarray.dispatch import ArrayBase

__all__ = ["MissingDependencyError", "imdecode", "imread", "require_pillow"]


class MissingDependencyError(errors.MXNetError, ImportError):
    """An optional dependency that a function needs is not installed."""


_pil_modules: tuple[Any, Any] | None = None


def require_pillow(what: str) -> tuple[Any, Any]:
    """Pillow's ``(Image, ImageOps)`` modules, or an error saying that ``what`` needs Pillow."""
    global _pil_modules
    if _pil_modules is None:
        try:
            from PIL import Image, ImageOps
        except ImportError:
            raise MissingDependencyError(
                f"{what} needs Pillow, which is not installed: pip install gluonlite[vision] "
                "(or pip install pillow)"
            ) from None
        _pil_modules = (Image, ImageOps)
    return _pil_modules


def _decode(stream: Any, flag: int, to_rgb: bool, source: str) -> numpy.ndarray:
    """Decode one image from a file name or file object to an HxWxC uint8 NumPy array."""
    if flag not in (0, 1):
        raise errors.MXNetValueError(
            f"flag must be 1 (colour, 3 channels) or 0 (grayscale, 1 channel), got {flag!r}"
        )
    image_mod, image_ops = require_pillow("image decoding")
    try:
        with image_mod.open(stream) as img:
            img.load()
            image_ops.exif_transpose(img, in_place=True)  # OpenCV's imread honours it too
            mode = "L" if flag == 0 else "RGB"
            data = numpy.array(img if img.mode == mode else img.convert(mode))  # writable
    except (FileNotFoundError, PermissionError):
        raise
    except (OSError, SyntaxError, ValueError, image_mod.DecompressionBombError) as exc:
        raise errors.MXNetValueError(
            f"cannot decode image {source}: {exc}. The file is corrupt, truncated or not an "
            "image format Pillow reads"
        ) from None
    if flag == 0:
        return data[:, :, None]
    return data if to_rgb else numpy.ascontiguousarray(data[:, :, ::-1])


def imread(filename: str | os.PathLike, flag: int = 1, to_rgb: bool = True) -> Any:
    """Read and decode an image file to an HxWx3 (``flag=1``) or HxWx1 (``flag=0``) uint8 array,
    RGB unless ``to_rgb=False`` (then BGR, OpenCV's order)."""
    path = os.fspath(filename)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"imread: no image file at {path!r}")
    return wrap(_decode(path, flag, to_rgb, repr(path)), cpu())


def imdecode(buf: Any, flag: int = 1, to_rgb: bool = True) -> Any:
    """Decode an encoded image (bytes, a uint8 NumPy array or NDArray of the file's bytes) to an
    HxWxC uint8 array, like :func:`imread`."""
    if isinstance(buf, ArrayBase):
        buf = buf.asnumpy()
    if isinstance(buf, numpy.ndarray):
        if buf.dtype != numpy.uint8:
            raise errors.MXNetTypeError(
                f"imdecode expects the encoded bytes as uint8, got an array of dtype {buf.dtype}"
            )
        buf = buf.tobytes()
    if not isinstance(buf, (bytes, bytearray, memoryview)):
        raise errors.MXNetTypeError(
            f"imdecode expects bytes or a uint8 array of encoded image data, got {type(buf).__name__}"
        )
    return wrap(_decode(io.BytesIO(buf), flag, to_rgb, f"from a buffer of {len(buf)} bytes"), cpu())
