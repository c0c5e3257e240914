"""``np.ndarray``'s NumPy-named methods, bound from the ``np`` functions so each is written once
(as ``nd`` binds its MXNet-named ones): ``x.sum()`` is ``np.sum(x)``. The few whose method
signature differs from the function's (``reshape(*shape)``, ``clip(min, max)``...) are
written here.
"""

from __future__ import annotations

from typing import Any

from .. import errors
from ..ndarray import NDArray
from ..ops.registry import P
from . import manipulation, math, products, reductions
from .ndarray import ndarray

__all__: list[str] = []


def reshape(self: ndarray, *shape: Any, order: str = "C", **kwargs: Any) -> ndarray:
    """NumPy reshape: ``x.reshape(2, 3)``, ``x.reshape((2, 3))`` or ``x.reshape(-1)``."""
    for alias in ("shape", "newshape"):
        if alias in kwargs:
            shape = (kwargs.pop(alias),)
    if kwargs:
        raise errors.MXNetTypeError(f"reshape: unexpected arguments {sorted(kwargs)}")
    if not shape:
        raise errors.MXNetTypeError("reshape: give the new shape")
    target = shape[0] if len(shape) == 1 and not hasattr(shape[0], "__index__") else shape
    return manipulation.reshape(self, target, order)


def flatten(self: ndarray, order: str = "C") -> ndarray:
    """A 1-d copy of the array (NumPy's ``flatten``; MXNet's ``nd`` keeps the first axis)."""
    flat = manipulation.ravel(self, order)
    return P.astype(flat, dtype=flat.dtype)


def clip(self: ndarray, min: Any = None, max: Any = None, out: Any = None) -> ndarray:
    """The array limited to [min, max]."""
    return math.clip(self, min, max, out=out)


def item(self: ndarray, *args: Any) -> Any:
    """One element as a Python scalar: the only one, or the one at a flat index or index tuple."""
    if not args:
        return NDArray.item(self)
    return self.asnumpy().item(*args)


_FROM_FUNCTIONS = {
    reductions: (
        "sum",
        "mean",
        "max",
        "min",
        "prod",
        "argmax",
        "argmin",
        "std",
        "var",
        "cumsum",
        "all",
        "any",
    ),
    manipulation: (
        "ravel",
        "squeeze",
        "swapaxes",
        "expand_dims",
        "broadcast_to",
        "take",
        "sort",
        "argsort",
        "nonzero",
        "repeat",
        "diagonal",
        "trace",
        "flip",
    ),
    math: ("round", "rint"),
    products: ("dot",),
}

for _module, _names in _FROM_FUNCTIONS.items():
    for _name in _names:
        setattr(ndarray, _name, getattr(_module, _name))

for _method in (reshape, flatten, clip, item):
    setattr(ndarray, _method.__name__, _method)
