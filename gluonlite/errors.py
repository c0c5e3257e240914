"""The exception hierarchy: MXNetError is the root, and each error also subclasses a builtin.

Code written for MXNet catches ``MXNetError``; code written for Python catches ``ValueError``
or ``TypeError``. Both work because every concrete error inherits from both.
"""
from __future__ import annotations

import os
import traceback

__all__ = [
    "MXNetError",
    "MXNetValueError",
    "MXNetTypeError",
    "MXNetIndexError",
    "MXNetRuntimeError",
    "ShapeError",
    "DeferredInitializationError",
    "TracerConversionError",
    "user_frame",
]


class MXNetError(Exception):
    """Root of every error gluonlite raises on purpose."""


class MXNetValueError(MXNetError, ValueError):
    """A bad value: a shape, an attribute, a file's contents."""


class ShapeError(MXNetValueError):
    """Shapes that do not fit together; the message names the op and every shape."""


class MXNetTypeError(MXNetError, TypeError):
    """A bad type: a dtype, an argument of the wrong kind."""


class MXNetIndexError(MXNetError, IndexError):
    """An index out of range."""


class MXNetRuntimeError(MXNetError, RuntimeError):
    """A misuse of state, such as a second backward through a freed graph."""


class DeferredInitializationError(MXNetRuntimeError):
    """A parameter whose shape is not known yet was read before the first forward."""


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def user_frame() -> str:
    """Return 'file:line' of the innermost stack frame outside gluonlite (the user's own line)."""
    for frame in reversed(traceback.extract_stack()):
        path = os.path.abspath(frame.filename)
        if not path.startswith(_PACKAGE_DIR) and "importlib" not in path:
            return f"{frame.filename}:{frame.lineno}"
    return "<unknown>"


class TracerConversionError(MXNetTypeError):
    """A traced value was turned into a Python bool/number/array inside a hybridized forward."""
