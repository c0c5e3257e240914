"""``np`` elementwise math: the registry's NumPy-named primitives under NumPy's signatures, and
the few NumPy functions that are compositions of them (``exp2``, ``logaddexp``, ``round`` with
decimals...).

Arguments may be arrays, NumPy arrays, lists or Python scalars; array-likes become arrays as
``np.array`` makes them (on the context of the array argument). With only scalars the answer is
NumPy's scalar, as in MXNet. Type promotion is NumPy's (NEP 50: a Python scalar takes the
array's dtype). ``out=`` receives the result and is returned.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy

from .. import errors
from ..ndarray.dispatch import ArrayBase
from ..ops.registry import P, get
from .creation import array, as_array

__all__ = [
    "abs",
    "absolute",
    "add",
    "arccos",
    "arccosh",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctan2",
    "arctanh",
    "around",
    "cbrt",
    "ceil",
    "clip",
    "cos",
    "cosh",
    "deg2rad",
    "degrees",
    "divide",
    "equal",
    "exp",
    "exp2",
    "expm1",
    "fix",
    "float_power",
    "floor",
    "floor_divide",
    "greater",
    "greater_equal",
    "hypot",
    "isfinite",
    "isinf",
    "isnan",
    "isneginf",
    "isposinf",
    "less",
    "less_equal",
    "log",
    "log1p",
    "log2",
    "log10",
    "logaddexp",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "maximum",
    "minimum",
    "mod",
    "multiply",
    "nan_to_num",
    "negative",
    "not_equal",
    "positive",
    "power",
    "rad2deg",
    "radians",
    "reciprocal",
    "remainder",
    "rint",
    "round",
    "round_",
    "sign",
    "sin",
    "sinh",
    "sqrt",
    "square",
    "subtract",
    "tan",
    "tanh",
    "true_divide",
    "trunc",
    "where",
]  # fmt: skip

_SCALARS = (int, float, bool, complex, numpy.generic)


def operands(*args: Any) -> list | None:
    """The array arguments of an ``np`` function, array-likes converted on the context of the
    first array among them; None when every argument is a scalar (NumPy then answers)."""
    like = next((a for a in args if isinstance(a, ArrayBase)), None)
    if like is None and all(a is None or isinstance(a, _SCALARS) for a in args):
        return None
    return [as_array(a, like) for a in args]


def array_arg(a: Any) -> ArrayBase:
    """The one array argument of an ``np`` function: an array as it is, anything else (a list,
    a NumPy array, a scalar) converted as ``np.array`` converts it."""
    return a if isinstance(a, ArrayBase) else as_array(numpy.asarray(a))


def finish(result: Any, out: Any) -> Any:
    """NumPy's ``out=``: copy the result into ``out`` and return ``out``."""
    return result if out is None else result.copyto(out)


def _cast(result: Any, dtype: Any) -> Any:
    return result if dtype is None else P.astype(result, dtype=numpy.dtype(dtype))


def _ufunc(name: str, op: Callable[..., Any], arity: int, doc: str) -> Callable[..., Any]:
    """An ``np`` function of ``arity`` array arguments over ``op`` (a registry op or a
    composition), with NumPy's ``out=`` and ``dtype=`` and its scalar-only fallback."""
    reference = getattr(numpy, name, None)

    def fn(*args: Any, out: Any = None, dtype: Any = None) -> Any:
        if len(args) != arity:
            raise errors.MXNetTypeError(
                f"np.{name} takes {arity} array argument(s), got {len(args)}"
            )
        arrays = operands(*args)
        if arrays is None:
            return reference(*args) if dtype is None else reference(*args, dtype=dtype)
        return finish(_cast(op(*arrays), dtype), out)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


def _primitive(name: str, arity: int) -> Callable[..., Any]:
    """The registry op ``name`` as an ``np`` function."""
    op = get(name)
    return _ufunc(name, op, arity, op.doc)


# ---- the registry's elementwise primitives ----------------------------------------------------
exp = _primitive("exp", 1)
log = _primitive("log", 1)
log1p = _primitive("log1p", 1)
expm1 = _primitive("expm1", 1)
log2 = _primitive("log2", 1)
log10 = _primitive("log10", 1)
sqrt = _primitive("sqrt", 1)
cbrt = _primitive("cbrt", 1)
square = _primitive("square", 1)
reciprocal = _primitive("reciprocal", 1)
abs = _primitive("abs", 1)
sign = _primitive("sign", 1)
sin = _primitive("sin", 1)
cos = _primitive("cos", 1)
tan = _primitive("tan", 1)
tanh = _primitive("tanh", 1)
sinh = _primitive("sinh", 1)
cosh = _primitive("cosh", 1)
arcsin = _primitive("arcsin", 1)
arccos = _primitive("arccos", 1)
arctan = _primitive("arctan", 1)
arcsinh = _primitive("arcsinh", 1)
arccosh = _primitive("arccosh", 1)
arctanh = _primitive("arctanh", 1)
floor = _primitive("floor", 1)
ceil = _primitive("ceil", 1)
rint = _primitive("rint", 1)
trunc = _primitive("trunc", 1)
fix = _primitive("fix", 1)
negative = _primitive("negative", 1)
isnan = _primitive("isnan", 1)
isinf = _primitive("isinf", 1)
isfinite = _primitive("isfinite", 1)
logical_not = _primitive("logical_not", 1)
add = _primitive("add", 2)
subtract = _primitive("subtract", 2)
multiply = _primitive("multiply", 2)
true_divide = _primitive("true_divide", 2)
floor_divide = _primitive("floor_divide", 2)
mod = _primitive("mod", 2)
power = _primitive("power", 2)
maximum = _primitive("maximum", 2)
minimum = _primitive("minimum", 2)
hypot = _primitive("hypot", 2)
arctan2 = _primitive("arctan2", 2)
equal = _primitive("equal", 2)
not_equal = _primitive("not_equal", 2)
greater = _primitive("greater", 2)
greater_equal = _primitive("greater_equal", 2)
less = _primitive("less", 2)
less_equal = _primitive("less_equal", 2)
logical_and = _primitive("logical_and", 2)
logical_or = _primitive("logical_or", 2)
logical_xor = _primitive("logical_xor", 2)
absolute = abs
divide = true_divide
remainder = mod


# ---- compositions -----------------------------------------------------------------------------
def _composed(name: str, arity: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        return _ufunc(name, fn, arity, fn.__doc__ or "")

    return wrap


@_composed("positive", 1)
def positive(x: Any) -> Any:
    """+x (a copy)."""
    return P.astype(x, dtype=x.dtype)


@_composed("exp2", 1)
def exp2(x: Any) -> Any:
    """2 ** x."""
    return P.power(2.0, x) if x.dtype.kind == "f" else P.power(2.0, P.astype(x, dtype="float64"))


@_composed("degrees", 1)
def degrees(x: Any) -> Any:
    """Radians to degrees."""
    return P.multiply(x, 180.0 / numpy.pi)


@_composed("radians", 1)
def radians(x: Any) -> Any:
    """Degrees to radians."""
    return P.multiply(x, numpy.pi / 180.0)


rad2deg = _ufunc("rad2deg", degrees, 1, "Radians to degrees.")
deg2rad = _ufunc("deg2rad", radians, 1, "Degrees to radians.")


@_composed("isposinf", 1)
def isposinf(x: Any) -> Any:
    """x is +inf, as a bool array."""
    return P.logical_and(P.isinf(x), P.greater(x, 0))


@_composed("isneginf", 1)
def isneginf(x: Any) -> Any:
    """x is -inf, as a bool array."""
    return P.logical_and(P.isinf(x), P.less(x, 0))


@_composed("float_power", 2)
def float_power(x1: Any, x2: Any) -> Any:
    """x1 ** x2 computed in float64."""
    as64 = [
        P.astype(a, dtype="float64") if isinstance(a, ArrayBase) else float(a) for a in (x1, x2)
    ]
    return P.power(*as64)


@_composed("logaddexp", 2)
def logaddexp(x1: Any, x2: Any) -> Any:
    """log(exp(x1) + exp(x2)) without overflow."""
    m = P.maximum(x1, x2)
    m = P.where(P.isfinite(m), m, 0.0)
    return P.add(m, P.log(P.add(P.exp(P.subtract(x1, m)), P.exp(P.subtract(x2, m)))))


def round(a: Any, decimals: int = 0, out: Any = None) -> Any:
    """Round to ``decimals`` places, halves to even (NumPy; MXNet's ``nd.round`` rounds halves
    away from zero)."""
    (x,) = operands(a) or (None,)
    if x is None:
        return numpy.round(a, decimals)
    if decimals == 0:
        return finish(P.round(x), out)
    scale = 10.0**decimals
    return finish(P.true_divide(P.round(P.multiply(x, scale)), scale), out)


around = round_ = round


def clip(a: Any, a_min: Any = None, a_max: Any = None, out: Any = None) -> Any:
    """``a`` limited to [a_min, a_max] (either bound may be None or an array)."""
    x, lo, hi = operands(a, a_min, a_max) or (None,) * 3
    if x is None:
        return numpy.clip(a, a_min, a_max)
    if isinstance(lo, ArrayBase) or isinstance(hi, ArrayBase):
        result = x if lo is None else P.maximum(x, lo)
        result = result if hi is None else P.minimum(result, hi)
        return finish(result, out)
    return finish(P.clip(x, a_min=lo, a_max=hi), out)


def where(condition: Any, x: Any = None, y: Any = None) -> Any:
    """``x`` where ``condition`` is true (nonzero), else ``y``, all three broadcast together;
    with only ``condition``, ``nonzero(condition)``."""
    if x is None and y is None:
        from .manipulation import nonzero

        return nonzero(condition)
    if x is None or y is None:
        raise errors.MXNetValueError("where: give both x and y, or neither")
    cond, xv, yv = operands(condition, x, y) or (None,) * 3
    if cond is None:
        return numpy.where(condition, x, y)
    if not isinstance(cond, ArrayBase):  # a scalar condition with array x or y
        like = xv if isinstance(xv, ArrayBase) else yv
        cond = array(bool(cond), ctx=like._ctx)
    return P.where(cond, xv, yv)


def nan_to_num(
    x: Any,
    copy: bool = True,
    nan: float = 0.0,
    posinf: float | None = None,
    neginf: float | None = None,
) -> Any:
    """NaN replaced by ``nan`` and infinities by ``posinf``/``neginf`` (default: the dtype's
    largest and smallest finite values)."""
    (a,) = operands(x) or (None,)
    if a is None or a.dtype.kind not in "fc":
        return numpy.nan_to_num(x) if a is None else positive(a)
    info = numpy.finfo(a.dtype)
    hi = info.max if posinf is None else posinf
    lo = info.min if neginf is None else neginf
    result = P.where(P.isnan(a), nan, a)
    result = P.where(isposinf(a), hi, result)
    result = P.where(isneginf(a), lo, result)
    if not copy:
        a._data[...] = result._data
        return a
    return result
