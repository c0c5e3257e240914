"""Samples for the elementwise unary primitives (ops/unary.py)."""

import numpy as np
import scipy.special as sp
from hypothesis import strategies as st

from .sampling import floats, sample, shapes


def _unary(op, ref, lo=-2.0, hi=2.0, away_from=None, gap=0.05, **kw):
    @sample(op, ref, **kw)
    def build(draw):
        return (floats(draw, draw(shapes()), lo, hi, away_from=away_from, gap=gap),), {}


def _off_kinks(draw):
    """Values whose fractional part stays in [0.1, 0.4] or [0.6, 0.9]: away from the integers
    and half-integers where the rounding ops jump."""
    x = floats(draw, draw(shapes()), -3.0, 3.0)
    frac = x - np.floor(x)
    frac = np.where(frac < 0.5, 0.1 + 0.6 * frac, 0.6 + 0.6 * (frac - 0.5))
    return np.floor(x) + frac


for _op, _ref, _lo, _hi, _away in [
    ("exp", np.exp, -2.0, 2.0, None),
    ("log", np.log, 0.3, 3.0, None),
    ("log1p", np.log1p, -0.5, 2.0, None),
    ("expm1", np.expm1, -2.0, 2.0, None),
    ("log2", np.log2, 0.3, 3.0, None),
    ("log10", np.log10, 0.3, 3.0, None),
    ("sqrt", np.sqrt, 0.3, 3.0, None),
    ("cbrt", np.cbrt, -2.0, 2.0, 0.0),
    ("square", np.square, -2.0, 2.0, None),
    ("reciprocal", np.reciprocal, -2.0, 2.0, 0.0),
    ("abs", np.abs, -2.0, 2.0, 0.0),
    ("sign", np.sign, -2.0, 2.0, 0.0),
    ("sin", np.sin, -3.0, 3.0, None),
    ("cos", np.cos, -3.0, 3.0, None),
    ("tan", np.tan, -1.2, 1.2, None),
    ("tanh", np.tanh, -2.0, 2.0, None),
    ("sinh", np.sinh, -2.0, 2.0, None),
    ("cosh", np.cosh, -2.0, 2.0, None),
    ("arcsin", np.arcsin, -0.8, 0.8, None),
    ("arccos", np.arccos, -0.8, 0.8, None),
    ("arctan", np.arctan, -2.0, 2.0, None),
    ("arcsinh", np.arcsinh, -2.0, 2.0, None),
    ("arccosh", np.arccosh, 1.2, 3.0, None),
    ("arctanh", np.arctanh, -0.8, 0.8, None),
    ("erf", sp.erf, -2.0, 2.0, None),
    ("erfinv", sp.erfinv, -0.9, 0.9, None),
    ("gamma", sp.gamma, 0.3, 4.0, None),
    ("gammaln", sp.gammaln, 0.3, 4.0, None),
    ("relu", lambda x: np.maximum(x, 0), -2.0, 2.0, 0.0),
]:
    _unary(_op, _ref, _lo, _hi, _away, gap=0.15 if _op in ("cbrt", "reciprocal") else 0.05)

for _op, _ref in [
    ("floor", np.floor),
    ("ceil", np.ceil),
    ("round", np.round),
    ("rint", np.rint),
    ("trunc", np.trunc),
    ("fix", np.fix),
]:
    sample(_op, _ref)(lambda draw: ((_off_kinks(draw),), {}))
    sample(_op, _ref, name="halves", grad=False)(
        lambda draw: ((np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5]),), {})
    )


@sample("polygamma", lambda x, n: sp.polygamma(n, x), grad_rtol=1e-4)
def _polygamma(draw):
    return (floats(draw, draw(shapes()), 0.5, 3.0),), {"n": draw(st.integers(0, 2))}
