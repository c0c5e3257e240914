"""MXNet's names for arithmetic: ``broadcast_add``, ``elemwise_mul``, ``add``... (all the same
broadcasting primitives), and NDArray comparison operators with MXNet's dtype rule."""
from __future__ import annotations

from typing import Any

from ..ops.registry import P
from .ndarray import NDArray

__all__ = [
    "add", "subtract", "multiply", "divide", "true_divide", "power", "maximum", "minimum",
    "negative", "broadcast_add", "broadcast_sub", "broadcast_minus", "broadcast_mul",
    "broadcast_div", "broadcast_power", "broadcast_maximum", "broadcast_minimum",
    "elemwise_add", "elemwise_sub", "elemwise_mul", "elemwise_div", "broadcast_plus",
]


def _binary(op, doc):
    def fn(lhs: Any, rhs: Any, out: NDArray | None = None, **kwargs: Any):
        result = op(lhs, rhs)
        if out is not None:
            return result.copyto(out)
        return result

    fn.__doc__ = doc
    return fn


add = broadcast_add = broadcast_plus = elemwise_add = _binary(P.add, "lhs + rhs, broadcasting.")
subtract = broadcast_sub = broadcast_minus = elemwise_sub = _binary(
    P.subtract, "lhs - rhs, broadcasting."
)
multiply = broadcast_mul = elemwise_mul = _binary(P.multiply, "lhs * rhs, broadcasting.")
divide = true_divide = broadcast_div = elemwise_div = _binary(
    P.true_divide, "lhs / rhs, broadcasting."
)
power = broadcast_power = _binary(P.power, "lhs ** rhs, broadcasting.")
maximum = broadcast_maximum = _binary(P.maximum, "Elementwise maximum, broadcasting.")
minimum = broadcast_minimum = _binary(P.minimum, "Elementwise minimum, broadcasting.")


def negative(data: NDArray, **kwargs: Any) -> NDArray:
    """-data."""
    return P.negative(data)
