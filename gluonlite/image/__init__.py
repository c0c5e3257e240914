"""Image decoding, resizing, cropping and colour helpers (MXNet's ``mx.image``).

Images are HxWxC NDArrays (uint8, RGB) as ``imread``/``imdecode`` return them. Decoding and
resampling use Pillow, an optional dependency (``pip install gluonlite[vision]``) imported on
first use. The vision transforms (``gluon.data.vision.transforms``) are built on these.
"""

from .codec import MissingDependencyError, imdecode, imread
from .geometry import (
    center_crop,
    color_normalize,
    fixed_crop,
    imresize,
    random_crop,
    random_size_crop,
    resize_short,
    scale_down,
)

__all__ = [
    "MissingDependencyError",
    "center_crop",
    "color_normalize",
    "fixed_crop",
    "imdecode",
    "imread",
    "imresize",
    "random_crop",
    "random_size_crop",
    "resize_short",
    "scale_down",
]
