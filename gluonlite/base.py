"""MXNet's ``base`` module: the root exception and the type tuples that MXNet code imports."""
from __future__ import annotations

import numbers

import numpy as _np

from .errors import MXNetError

__all__ = ["MXNetError", "integer_types", "numeric_types", "string_types", "py_str"]

integer_types = (int, _np.integer)
numeric_types = (float, int, _np.generic, numbers.Number)
string_types = (str,)


def py_str(x: bytes | str) -> str:
    """Decode bytes from C-style APIs into a Python string (MXNet's helper)."""
    return x.decode("utf-8") if isinstance(x, bytes) else x
