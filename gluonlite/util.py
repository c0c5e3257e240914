"""MXNet's ``util`` module: the switches of the NumPy interface and the decorators that scope them.

``set_np()`` makes ``np.ndarray`` the array class that creation functions, initializers,
parameters, DataLoader batches, losses and metrics produce (``gluonlite.ndarray.dispatch``'s
default array class); ``reset_np()`` goes back to ``nd.NDArray``. The ``np`` functions always
return ``np.ndarray``s, whatever the mode. ``set_np(dtype=True)`` makes float64 the default
dtype of the ``np`` creation functions (float32 otherwise, as in MXNet).
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
from collections.abc import Callable, Iterator
from typing import Any

from .context import num_gpus
from .errors import MXNetValueError
from .ndarray import NDArray
from .ndarray.dispatch import default_array_class, set_default_array_class

__all__ = [
    "get_gpu_count", "getenv", "is_np_array", "is_np_default_dtype", "is_np_shape", "np_array",
    "np_default_dtype", "np_shape", "reset_np", "set_np", "set_np_default_dtype", "set_np_shape",
    "setenv", "use_np", "use_np_array", "use_np_default_dtype", "use_np_shape",
]  # fmt: skip

_flags = {"shape": False, "dtype": False}


def _np_class() -> type:
    from .numpy.ndarray import ndarray  # the layer above: imported when first needed

    return ndarray


# ---- the three switches -----------------------------------------------------------------------
def is_np_array() -> bool:
    """Whether Gluon produces ``np.ndarray``s (after ``set_np()``) rather than ``nd.NDArray``s."""
    return default_array_class() is _np_class()


def is_np_shape() -> bool:
    """Whether NumPy shape semantics are on (0-d and zero-size arrays; gluonlite always has
    them, the flag is kept for code that reads it)."""
    return _flags["shape"]


def is_np_default_dtype() -> bool:
    """Whether the ``np`` creation functions default to float64 (``set_np(dtype=True)``)."""
    return _flags["dtype"]


def _set_array(active: bool) -> bool:
    previous = is_np_array()
    set_default_array_class(_np_class() if active else NDArray)
    return previous


def set_np_shape(active: bool) -> bool:
    """Turn NumPy shape semantics on or off; returns the previous setting."""
    previous, _flags["shape"] = _flags["shape"], bool(active)
    return previous


def set_np_default_dtype(is_np_default_dtype: bool = True) -> bool:
    """Make float64 (True) or float32 (False) the default dtype of ``np`` creation; returns the
    previous setting."""
    previous, _flags["dtype"] = _flags["dtype"], bool(is_np_default_dtype)
    return previous


def set_np(shape: bool = True, array: bool = True, dtype: bool = False) -> None:
    """Switch on MXNet's NumPy interface: Gluon then takes and returns ``np.ndarray``s.

    ``array=True`` needs ``shape=True`` (as in MXNet); ``dtype=True`` makes float64 the default
    dtype of the ``np`` creation functions instead of float32."""
    if array and not shape:
        raise MXNetValueError(
            "set_np(shape=False, array=True): NumPy array semantics need NumPy shape semantics; "
            "pass shape=True (the default)"
        )
    _set_array(array)
    set_np_shape(shape)
    set_np_default_dtype(dtype)


def reset_np() -> None:
    """Switch the NumPy interface off again: back to ``nd.NDArray`` and float32 defaults."""
    set_np(shape=False, array=False, dtype=False)


# ---- scopes: context managers and decorators ---------------------------------------------------
def _state() -> tuple[bool, bool, bool]:
    return is_np_shape(), is_np_array(), is_np_default_dtype()


def _restore(state: tuple[bool, bool, bool]) -> None:
    shape, array, dtype = state
    set_np_shape(shape)
    _set_array(array)
    set_np_default_dtype(dtype)


@contextlib.contextmanager
def _scope(shape: bool | None = None, array: bool | None = None, dtype: bool | None = None):
    """Set the given switches for the body, then restore all three."""
    saved = _state()
    try:
        if shape is not None:
            set_np_shape(shape)
        if array is not None:
            _set_array(array)
        if dtype is not None:
            set_np_default_dtype(dtype)
        yield
    finally:
        _restore(saved)


def np_shape(active: bool = True) -> contextlib.AbstractContextManager:
    """``with np_shape():`` NumPy shape semantics inside the block."""
    return _scope(shape=active)


def np_array(active: bool = True) -> contextlib.AbstractContextManager:
    """``with np_array():`` Gluon produces ``np.ndarray``s inside the block."""
    return _scope(array=active)


def np_default_dtype(active: bool = True) -> contextlib.AbstractContextManager:
    """``with np_default_dtype():`` float64 is the ``np`` creation default inside the block."""
    return _scope(dtype=active)


_WRAPPED_DUNDERS = ("__init__", "__call__")


def _scoped(fn: Callable, switches: dict) -> Callable:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _scope(**switches):
            return fn(*args, **kwargs)

    return wrapper


def _members_to_wrap(cls: type) -> Iterator[tuple[str, Any]]:
    """The class's own methods and properties, plus ``__init__`` and ``__call__`` (inherited
    ones too, so that calling an instance of a Block subclass runs in the scope)."""
    for name, member in list(vars(cls).items()):
        if not (name.startswith("__") and name.endswith("__")) or name in _WRAPPED_DUNDERS:
            yield name, member
    for name in _WRAPPED_DUNDERS:
        inherited = getattr(cls, name, None)
        if name not in vars(cls) and inspect.isfunction(inherited):
            yield name, inherited


def _decorator(**switches: bool) -> Callable[[Any], Any]:
    def decorate(obj: Any) -> Any:
        if not isinstance(obj, type):
            if not callable(obj):
                raise MXNetValueError(f"cannot scope {obj!r}: expected a function or a class")
            return _scoped(obj, switches)
        for name, member in _members_to_wrap(obj):
            if isinstance(member, (staticmethod, classmethod)):
                setattr(obj, name, type(member)(_scoped(member.__func__, switches)))
            elif isinstance(member, property):
                fget = member.fget and _scoped(member.fget, switches)
                setattr(obj, name, property(fget, member.fset, member.fdel, member.__doc__))
            elif inspect.isfunction(member):
                setattr(obj, name, _scoped(member, switches))
        return obj

    return decorate


def use_np_shape(func: Any) -> Any:
    """Decorator: run a function (or every method of a class) with NumPy shape semantics."""
    return _decorator(shape=True)(func)


def use_np_array(func: Any) -> Any:
    """Decorator: run a function (or every method of a class) with ``np.ndarray`` as Gluon's
    array class."""
    return _decorator(array=True)(func)


def use_np(func: Any) -> Any:
    """Decorator: run a function (or every method of a class, e.g. a HybridBlock) with MXNet's
    NumPy interface on (``use_np_shape`` and ``use_np_array`` together)."""
    return _decorator(shape=True, array=True)(func)


def use_np_default_dtype(func: Any) -> Any:
    """Decorator: run a function (or every method of a class) with float64 as the ``np``
    creation default."""
    return _decorator(dtype=True)(func)


# ---- environment and devices -------------------------------------------------------------------
def getenv(name: str) -> str | None:
    """The value of environment variable ``name`` (None when unset)."""
    return os.environ.get(name)


def setenv(name: str, value: str | None) -> None:
    """Set environment variable ``name`` (unset it when ``value`` is None)."""
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def get_gpu_count() -> int:
    """Number of GPUs gluonlite can use (0 without CuPy or a driver)."""
    return num_gpus()
