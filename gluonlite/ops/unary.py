"""Elementwise unary primitives with NumPy names and semantics (exp, log, trig, rounding,
special functions, relu).

Every op takes ``out=`` and may run in place. Gradients are written with registered ops, so
they differentiate again; rounding ops and ``sign`` have a zero gradient. The special functions
(erf, erfinv, gamma, gammaln, polygamma) come from scipy.special (cupyx.scipy.special on GPU),
imported on first use; without scipy, slower pure-NumPy fallbacks serve the CPU.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy

from ..errors import MXNetRuntimeError
from .compare import keep_where
from .registry import P, register

__all__ = ["special"]

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI_OVER_TWO = math.sqrt(math.pi) / 2.0


# ---- the special-function backend ---------------------------------------------------------------
def _float_dtype(x: numpy.ndarray) -> numpy.dtype:
    return x.dtype if x.dtype.kind == "f" else numpy.dtype(numpy.float64)


def _vectorized(fn: Callable[[float], float]) -> Callable[..., numpy.ndarray]:
    """A scalar ``math`` function as an array function with ``out=`` (the no-scipy fallback)."""
    vec = numpy.vectorize(fn, otypes=[numpy.float64])

    def apply(x: Any, out: numpy.ndarray | None = None) -> numpy.ndarray:
        x = numpy.asarray(x)
        y = vec(x).astype(_float_dtype(x), copy=False)
        if out is None:
            return y
        out[...] = y
        return out

    return apply


_erf_fallback = _vectorized(math.erf)


def _erfinv_fallback(x: Any, out: numpy.ndarray | None = None) -> numpy.ndarray:
    """erfinv without scipy: Winitzki's closed-form estimate (error ~2e-3), then three Newton
    steps on erf (quadratic convergence: ~1e-16); +-1 give +-inf and |x| > 1 gives nan."""
    x = numpy.asarray(x)
    xf = x.astype(numpy.float64)
    a = 0.147
    with numpy.errstate(divide="ignore", invalid="ignore"):
        ln = numpy.log1p(-xf * xf)
        t = 2.0 / (math.pi * a) + ln / 2.0
        y = numpy.sign(xf) * numpy.sqrt(numpy.sqrt(t * t - ln / a) - t)
        finite = numpy.isfinite(y)
        for _ in range(3):
            step = (_erf_fallback(y) - xf) / (_TWO_OVER_SQRT_PI * numpy.exp(-y * y))
            y = numpy.where(finite, y - step, y)
    y = y.astype(_float_dtype(x), copy=False)
    if out is None:
        return y
    out[...] = y
    return out


def _polygamma_fallback(n: int, x: Any) -> numpy.ndarray:
    raise MXNetRuntimeError(
        "polygamma (also the gradient of gamma and gammaln) needs scipy on the CPU: "
        "pip install scipy"
    )


_FALLBACKS: dict[str, Callable[..., Any]] = {
    "erf": _erf_fallback,
    "erfinv": _erfinv_fallback,
    "gamma": _vectorized(math.gamma),
    "gammaln": _vectorized(math.lgamma),
    "polygamma": _polygamma_fallback,
}


@functools.cache
def special(xp: Any, name: str) -> Callable[..., Any]:
    """The special function ``name`` for arrays of ``xp``: cupyx.scipy.special on GPU,
    scipy.special on CPU, or a pure-NumPy fallback when scipy is not installed."""
    if xp is not numpy:
        import cupyx.scipy.special as sp

        return getattr(sp, name)
    try:
        import scipy.special as sp
    except ImportError:
        return _FALLBACKS[name]
    return getattr(sp, name)


# ---- registration helpers -----------------------------------------------------------------------
def _zero_grad(g, ins, outs):
    """Piecewise-constant ops (rounding, sign): zero almost everywhere, in g's dtype."""
    return P.multiply(g, 0.0)


def _unary(
    name: str, grad, doc: str, *, save_ins=(), save_outs=(), forward=None, elementwise: str = ""
) -> None:
    """Register the elementwise op ``name``; by default its forward is ``xp.<name>``, and
    ``elementwise`` is its C expression (``Op.elementwise``)."""
    if forward is None:

        def forward(xp, x, out=None):
            return getattr(xp, name)(x, out=out)

    register(
        name,
        forward,
        grads=(grad,),
        save_ins=save_ins,
        save_outs=save_outs,
        inplace=((0, 0),),
        accepts_out=True,
        elementwise=elementwise,
        doc=doc,
    )


def _special_forward(name: str):
    def forward(xp, x, out=None):
        return special(xp, name)(x, out=out)

    return forward


def _inv_sqrt_of(g, value):
    """g / sqrt(value): the shape of the inverse-trig gradients."""
    return P.true_divide(g, P.sqrt(value))


# ---- exponentials and logarithms ----------------------------------------------------------------
_unary(
    "exp",
    lambda g, ins, outs: P.multiply(g, outs[0]),
    "Elementwise e**x.",
    save_outs=(0,),
    elementwise="exp(in0)",
)
_unary(
    "log",
    lambda g, ins, outs: P.true_divide(g, ins[0]),
    "Natural logarithm.",
    save_ins=(0,),
    elementwise="log(in0)",
)
_unary(
    "log1p",
    lambda g, ins, outs: P.true_divide(g, P.add(ins[0], 1.0)),
    "log(1 + x), accurate for small x.",
    save_ins=(0,),
    elementwise="log1p(in0)",
)
_unary(
    "expm1",
    lambda g, ins, outs: P.multiply(g, P.add(outs[0], 1.0)),
    "exp(x) - 1, accurate for small x.",
    save_outs=(0,),
    elementwise="expm1(in0)",
)
_unary(
    "log2",
    lambda g, ins, outs: P.true_divide(g, P.multiply(ins[0], math.log(2.0))),
    "Base-2 logarithm.",
    save_ins=(0,),
    elementwise="log2(in0)",
)
_unary(
    "log10",
    lambda g, ins, outs: P.true_divide(g, P.multiply(ins[0], math.log(10.0))),
    "Base-10 logarithm.",
    save_ins=(0,),
    elementwise="log10(in0)",
)

# ---- powers -------------------------------------------------------------------------------------
_unary(
    "sqrt",
    lambda g, ins, outs: P.true_divide(g, P.multiply(outs[0], 2.0)),
    "Square root.",
    save_outs=(0,),
    elementwise="sqrt(in0)",
)
_unary(
    "cbrt",
    lambda g, ins, outs: P.true_divide(g, P.multiply(P.square(outs[0]), 3.0)),
    "Cube root (real, also of negative numbers).",
    save_outs=(0,),
    elementwise="cbrt(in0)",
)
_unary(
    "square",
    lambda g, ins, outs: P.multiply(g, P.multiply(ins[0], 2.0)),
    "x * x.",
    save_ins=(0,),
    elementwise="in0 * in0",
)
_unary(
    "reciprocal",
    lambda g, ins, outs: P.negative(P.multiply(g, P.square(outs[0]))),
    "1 / x.",
    save_outs=(0,),
    elementwise="(T)1 / in0",
)
_unary(
    "abs",
    lambda g, ins, outs: P.multiply(g, P.sign(ins[0])),
    "Absolute value (gradient 0 at 0).",
    save_ins=(0,),
    elementwise="fabs(in0)",
)
_unary(
    "sign", _zero_grad, "-1, 0 or 1 by the sign of x (zero gradient).", elementwise="gl_sign(in0)"
)

# ---- trigonometric and hyperbolic ---------------------------------------------------------------
_unary(
    "sin",
    lambda g, ins, outs: P.multiply(g, P.cos(ins[0])),
    "Sine.",
    save_ins=(0,),
    elementwise="sin(in0)",
)
_unary(
    "cos",
    lambda g, ins, outs: P.negative(P.multiply(g, P.sin(ins[0]))),
    "Cosine.",
    save_ins=(0,),
    elementwise="cos(in0)",
)
_unary(
    "tan",
    lambda g, ins, outs: P.multiply(g, P.add(P.square(outs[0]), 1.0)),
    "Tangent.",
    save_outs=(0,),
    elementwise="tan(in0)",
)
_unary(
    "tanh",
    lambda g, ins, outs: P.multiply(g, P.subtract(1.0, P.square(outs[0]))),
    "Hyperbolic tangent.",
    save_outs=(0,),
    elementwise="tanh(in0)",
)
_unary(
    "sinh",
    lambda g, ins, outs: P.multiply(g, P.cosh(ins[0])),
    "Hyperbolic sine.",
    save_ins=(0,),
    elementwise="sinh(in0)",
)
_unary(
    "cosh",
    lambda g, ins, outs: P.multiply(g, P.sinh(ins[0])),
    "Hyperbolic cosine.",
    save_ins=(0,),
    elementwise="cosh(in0)",
)
_unary(
    "arcsin",
    lambda g, ins, outs: _inv_sqrt_of(g, P.subtract(1.0, P.square(ins[0]))),
    "Inverse sine.",
    save_ins=(0,),
    elementwise="asin(in0)",
)
_unary(
    "arccos",
    lambda g, ins, outs: P.negative(_inv_sqrt_of(g, P.subtract(1.0, P.square(ins[0])))),
    "Inverse cosine.",
    save_ins=(0,),
    elementwise="acos(in0)",
)
_unary(
    "arctan",
    lambda g, ins, outs: P.true_divide(g, P.add(P.square(ins[0]), 1.0)),
    "Inverse tangent.",
    save_ins=(0,),
    elementwise="atan(in0)",
)
_unary(
    "arcsinh",
    lambda g, ins, outs: _inv_sqrt_of(g, P.add(P.square(ins[0]), 1.0)),
    "Inverse hyperbolic sine.",
    save_ins=(0,),
    elementwise="asinh(in0)",
)
_unary(
    "arccosh",
    lambda g, ins, outs: _inv_sqrt_of(g, P.subtract(P.square(ins[0]), 1.0)),
    "Inverse hyperbolic cosine.",
    save_ins=(0,),
    elementwise="acosh(in0)",
)
_unary(
    "arctanh",
    lambda g, ins, outs: P.true_divide(g, P.subtract(1.0, P.square(ins[0]))),
    "Inverse hyperbolic tangent.",
    save_ins=(0,),
    elementwise="atanh(in0)",
)

# ---- rounding (NumPy semantics: round and rint go half to even) ---------------------------------
for _name, _doc, _c in [
    ("floor", "Largest integer <= x.", "floor(in0)"),
    ("ceil", "Smallest integer >= x.", "ceil(in0)"),
    (
        "round",
        "Nearest integer, halves to even (NumPy; nd.round is MXNet's half away from 0).",
        "rint(in0)",
    ),
    ("rint", "Nearest integer, halves to even (NumPy; nd.rint is MXNet's half down).", "rint(in0)"),
    ("trunc", "Integer part, rounding toward 0.", "trunc(in0)"),
    ("fix", "Round toward 0 (same values as trunc).", "trunc(in0)"),
]:
    _unary(_name, _zero_grad, _doc + " Zero gradient.", elementwise=_c)

# ---- special functions --------------------------------------------------------------------------
_unary(
    "erf",
    lambda g, ins, outs: P.multiply(
        g, P.multiply(P.exp(P.negative(P.square(ins[0]))), _TWO_OVER_SQRT_PI)
    ),
    "Gauss error function.",
    save_ins=(0,),
    forward=_special_forward("erf"),
    elementwise="erf(in0)",
)
_unary(
    "erfinv",
    lambda g, ins, outs: P.multiply(g, P.multiply(P.exp(P.square(outs[0])), _SQRT_PI_OVER_TWO)),
    "Inverse of erf on (-1, 1).",
    save_outs=(0,),
    forward=_special_forward("erfinv"),
)
_unary(
    "gamma",
    lambda g, ins, outs: P.multiply(g, P.multiply(outs[0], P.polygamma(ins[0], n=0))),
    "The gamma function.",
    save_ins=(0,),
    save_outs=(0,),
    forward=_special_forward("gamma"),
    elementwise="tgamma(in0)",
)
_unary(
    "gammaln",
    lambda g, ins, outs: P.multiply(g, P.polygamma(ins[0], n=0)),
    "log|gamma(x)|.",
    save_ins=(0,),
    forward=_special_forward("gammaln"),
)


def _polygamma(xp, x, n=0):
    return special(xp, "polygamma")(n, x).astype(_float_dtype(x), copy=False)


register(
    "polygamma",
    _polygamma,
    grads=(lambda g, ins, outs, n=0: P.multiply(g, P.polygamma(ins[0], n=n + 1)),),
    save_ins=(0,),
    doc="The n-th derivative of digamma (n=0: digamma itself, the derivative of gammaln); the "
    "gradient of gamma and gammaln, differentiable to any order.",
)


# ---- relu: a primitive for speed (one pass forward, one mask backward) --------------------------
_unary(
    "relu",
    lambda g, ins, outs: keep_where(g, P.greater(outs[0], 0)),
    "max(x, 0); the gradient at 0 is 0.",
    save_outs=(0,),
    forward=lambda xp, x, out=None: xp.maximum(x, 0, out=out),
    elementwise="gl_max(in0, (T)0)",
)
