"""MXNet's elementwise math as compositions of registered ops: activations (sigmoid, softsign,
rsqrt...), MXNet's rounding rules, ``clip``/``where`` with MXNet's signatures, comparisons that
return 0/1 in the input's dtype (not bool), and the NDArray operators and methods built on them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy

from .. import errors
from ..ops.registry import P, get
from .dispatch import invoke_inplace
from .ndarray import NDArray

__all__ = [
    "broadcast_equal",
    "broadcast_greater",
    "broadcast_greater_equal",
    "broadcast_lesser",
    "broadcast_lesser_equal",
    "broadcast_logical_and",
    "broadcast_logical_or",
    "broadcast_logical_xor",
    "broadcast_mod",
    "broadcast_not_equal",
    "clip",
    "equal",
    "greater",
    "greater_equal",
    "lesser",
    "lesser_equal",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "modulo",
    "not_equal",
    "rcbrt",
    "relu",
    "rint",
    "round",
    "rsqrt",
    "sigmoid",
    "softsign",
    "where",
]

# elementwise primitives that MXNet also offers as NDArray methods (x.exp(), x.abs()...)
_PRIMITIVE_METHODS = (
    "abs",
    "sign",
    "sqrt",
    "cbrt",
    "square",
    "reciprocal",
    "exp",
    "log",
    "log1p",
    "expm1",
    "log2",
    "log10",
    "sin",
    "cos",
    "tan",
    "tanh",
    "sinh",
    "cosh",
    "arcsin",
    "arccos",
    "arctan",
    "arcsinh",
    "arccosh",
    "arctanh",
    "floor",
    "ceil",
    "trunc",
    "fix",
)
METHODS = _PRIMITIVE_METHODS + (
    "relu",
    "sigmoid",
    "softsign",
    "rsqrt",
    "rcbrt",
    "round",
    "rint",
    "clip",
    "__eq__",
    "__ne__",
    "__gt__",
    "__ge__",
    "__lt__",
    "__le__",
    "__abs__",
    "__mod__",
    "__rmod__",
    "__imod__",
    "__floordiv__",
    "__rfloordiv__",
)


def _mx_style(fn: Callable[..., NDArray]) -> Callable[..., NDArray]:
    """Give a composition MXNet's ``out=`` (the result is copied into it) and ``name=``."""

    @functools.wraps(fn)
    def wrapper(*args: Any, out: NDArray | None = None, name: str | None = None, **kw: Any):
        result = fn(*args, **kw)
        return result if out is None else result.copyto(out)

    return wrapper


def _method_of(op_name: str) -> Callable[..., NDArray]:
    op = get(op_name)

    def method(data: NDArray, out: NDArray | None = None, name: str | None = None) -> NDArray:
        result = op(data)
        return result if out is None else result.copyto(out)

    method.__name__ = method.__qualname__ = op_name
    method.__doc__ = op.doc
    return method


for _name in _PRIMITIVE_METHODS:
    globals()[_name] = _method_of(_name)


# ---- activations and powers ---------------------------------------------------------------------
@_mx_style
def relu(data: NDArray) -> NDArray:
    """max(data, 0)."""
    return P.relu(data)


@_mx_style
def sigmoid(data: NDArray) -> NDArray:
    """1 / (1 + exp(-x)), computed as 0.5 * (tanh(x / 2) + 1): no overflow for large |x|."""
    return P.multiply(P.add(P.tanh(P.multiply(data, 0.5)), 1.0), 0.5)


@_mx_style
def softsign(data: NDArray) -> NDArray:
    """x / (1 + |x|)."""
    return P.true_divide(data, P.add(P.abs(data), 1.0))


@_mx_style
def rsqrt(data: NDArray) -> NDArray:
    """1 / sqrt(x)."""
    return P.reciprocal(P.sqrt(data))


@_mx_style
def rcbrt(data: NDArray) -> NDArray:
    """1 / cbrt(x)."""
    return P.reciprocal(P.cbrt(data))


# ---- MXNet's rounding (differs from NumPy's half-to-even at exact halves) -----------------------
@_mx_style
def round(data: NDArray) -> NDArray:
    """Nearest integer, halves away from zero (C's round: -2.5 -> -3, 2.5 -> 3)."""
    t = P.trunc(data)
    half_or_more = P.greater_equal(P.abs(P.subtract(data, t)), 0.5)
    return P.where(half_or_more, P.add(t, P.sign(data)), t)


@_mx_style
def rint(data: NDArray) -> NDArray:
    """Nearest integer, halves down (MXNet's rint: -2.5 -> -3, 2.5 -> 2)."""
    lo, hi = P.floor(data), P.ceil(data)
    return P.where(P.less_equal(P.subtract(data, lo), P.subtract(hi, data)), lo, hi)


# ---- clip and where -----------------------------------------------------------------------------
def _bound(value: Any, dtype: numpy.dtype) -> int | float | None:
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise errors.MXNetTypeError(
            f"clip: a_min and a_max must be numbers, got {type(value).__name__}"
        ) from None
    return int(value) if dtype.kind in "iub" else value


@_mx_style
def clip(data: NDArray, a_min: Any, a_max: Any) -> NDArray:
    """Limit the values to [a_min, a_max]; the gradient passes only inside the range."""
    lo, hi = _bound(a_min, data.dtype), _bound(a_max, data.dtype)
    if lo is not None and hi is not None and lo > hi:
        raise errors.MXNetValueError(f"clip: a_min ({lo}) must not exceed a_max ({hi})")
    return P.clip(data, a_min=lo, a_max=hi)


@_mx_style
def where(condition: NDArray, x: NDArray, y: NDArray) -> NDArray:
    """x where condition is nonzero, else y. As in MXNet, condition may also be 1-d with one
    value per row of x (selecting whole rows, also for square x); otherwise the three
    broadcast together."""
    ndim = getattr(x, "ndim", 0)
    if condition.ndim == 1 and ndim > 1 and condition.shape[0] == x.shape[0]:
        condition = P.reshape(condition, newshape=condition.shape + (1,) * (ndim - 1))
    return P.where(condition, x, y)


# ---- comparisons and logic: 0/1 in the operands' dtype ------------------------------------------
def _operands_dtype(lhs: Any, rhs: Any) -> numpy.dtype:
    dtypes = [a.dtype for a in (lhs, rhs) if isinstance(a, NDArray)]
    if not dtypes:
        raise errors.MXNetTypeError("comparison: at least one operand must be an NDArray")
    return numpy.result_type(*dtypes)


def _as_values(op_name: str, doc: str) -> Callable[..., NDArray]:
    op = get(op_name)

    @_mx_style
    def fn(lhs: Any, rhs: Any) -> NDArray:
        return P.astype(op(lhs, rhs), dtype=_operands_dtype(lhs, rhs))

    fn.__name__ = fn.__qualname__ = op_name
    fn.__doc__ = f"{doc}, broadcasting; 1 where true and 0 elsewhere, in the operands' dtype."
    return fn


equal = broadcast_equal = _as_values("equal", "lhs == rhs")
not_equal = broadcast_not_equal = _as_values("not_equal", "lhs != rhs")
greater = broadcast_greater = _as_values("greater", "lhs > rhs")
greater_equal = broadcast_greater_equal = _as_values("greater_equal", "lhs >= rhs")
lesser = broadcast_lesser = _as_values("less", "lhs < rhs")
lesser_equal = broadcast_lesser_equal = _as_values("less_equal", "lhs <= rhs")
logical_and = broadcast_logical_and = _as_values("logical_and", "lhs and rhs (nonzero is true)")
logical_or = broadcast_logical_or = _as_values("logical_or", "lhs or rhs (nonzero is true)")
logical_xor = broadcast_logical_xor = _as_values("logical_xor", "lhs xor rhs (nonzero is true)")


@_mx_style
def logical_not(data: NDArray) -> NDArray:
    """1 where data is zero, else 0, in data's dtype."""
    return P.astype(P.logical_not(data), dtype=data.dtype)


@_mx_style
def modulo(lhs: Any, rhs: Any) -> NDArray:
    """lhs % rhs with broadcasting; the result has the sign of rhs (Python's %)."""
    return P.mod(lhs, rhs)


broadcast_mod = modulo


# ---- NDArray operators --------------------------------------------------------------------------
def _operator(fn: Callable[[Any, Any], NDArray], reflected: bool = False):
    """A binary operator method: Python and NumPy scalars, NumPy arrays and lists are accepted;
    anything else (None, strings) returns NotImplemented, so ``x == None`` is False."""

    def method(self: NDArray, other: Any) -> Any:
        other = self._operand(other)
        if other is NotImplemented:
            return NotImplemented
        return fn(other, self) if reflected else fn(self, other)

    return method


__eq__ = _operator(equal)
__ne__ = _operator(not_equal)
__gt__ = _operator(greater)
__ge__ = _operator(greater_equal)
__lt__ = _operator(lesser)
__le__ = _operator(lesser_equal)
__mod__ = _operator(P.mod)
__rmod__ = _operator(P.mod, reflected=True)
__floordiv__ = _operator(P.floor_divide)
__rfloordiv__ = _operator(P.floor_divide, reflected=True)


def __abs__(self: NDArray) -> NDArray:
    return P.abs(self)


def __imod__(self: NDArray, other: Any) -> Any:
    """self %= other, in place (see ``dispatch.invoke_inplace``)."""
    other = self._operand(other)
    if other is NotImplemented:
        return NotImplemented
    return invoke_inplace(get("mod"), self, (self, other), {})
