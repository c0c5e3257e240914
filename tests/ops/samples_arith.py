"""Samples for the arithmetic primitives (ops/arith.py)."""
import numpy as np

from .sampling import broadcast_pair, floats, sample, shapes


def _binary(op, ref, lo=-2.0, hi=2.0, b_lo=None, b_hi=None, **kw):
    @sample(op, ref, name="broadcast", **kw)
    def build(draw):
        sa, sb = broadcast_pair(draw)
        return (floats(draw, sa, lo, hi),
                floats(draw, sb, lo if b_lo is None else b_lo, hi if b_hi is None else b_hi)), {}

    @sample(op, ref, name="scalar", **kw)
    def build_scalar(draw):
        return (floats(draw, draw(shapes()), lo, hi), 1.5), {}


_binary("add", np.add)
_binary("subtract", np.subtract)
_binary("multiply", np.multiply)
_binary("true_divide", np.true_divide, b_lo=0.5, b_hi=2.0)
_binary("power", np.power, lo=0.3, hi=2.0)


def _minmax(op, ref):
    @sample(op, ref, name="broadcast")
    def build(draw):
        sa, sb = broadcast_pair(draw)
        a = floats(draw, sa)
        b = floats(draw, sb)
        # keep ties out: the gradient is defined one-sided there
        b = np.where(np.abs(np.broadcast_to(a, np.broadcast_shapes(sa, sb)).min() - b) < 0.05,
                     b + 0.1, b)
        if np.any(np.abs(np.broadcast_to(a, np.broadcast_shapes(sa, sb))
                         - np.broadcast_to(b, np.broadcast_shapes(sa, sb))) < 0.02):
            b = b + 0.037
        return (a, b), {}


_minmax("maximum", np.maximum)
_minmax("minimum", np.minimum)


@sample("negative", np.negative)
def _neg(draw):
    return (floats(draw, draw(shapes())),), {}


@sample("astype", lambda x, dtype: x.astype(dtype), name="f32", grad=False, rtol=1e-6)
def _astype32(draw):
    return (floats(draw, draw(shapes())),), {"dtype": np.dtype("float32")}


@sample("astype", lambda x, dtype: x.astype(dtype), name="f64")
def _astype64(draw):
    return (floats(draw, draw(shapes())),), {"dtype": np.dtype("float64")}


@sample("stop_gradient", lambda x: x, grad=False)
def _stop_gradient(draw):
    return (floats(draw, draw(shapes())),), {}
