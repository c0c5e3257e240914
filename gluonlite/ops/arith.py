"""Binary arithmetic primitives with NumPy broadcasting, negation and dtype casts (per-channel
operands on channels-last arrays through :mod:`.channel_broadcast`)."""
from __future__ import annotations

from .channel_broadcast import binary
from .compare import keep_where
from .registry import P, register

__all__: list[str] = []


def _minus_one(b):
    """b - 1, staying a Python number for a scalar exponent (no array on another device)."""
    return b - 1 if isinstance(b, (int, float)) else P.subtract(b, 1)


register(
    "add",
    lambda xp, a, b, out=None: binary(xp, xp.add, a, b, out),
    grads=(lambda g, ins, outs: g, lambda g, ins, outs: g),
    broadcasting=True, inplace=((0, 0), (1, 0)), accepts_out=True,
    elementwise="in0 + in1",
    doc="Elementwise a + b with broadcasting.",
)
register(
    "subtract",
    lambda xp, a, b, out=None: binary(xp, xp.subtract, a, b, out),
    grads=(lambda g, ins, outs: g, lambda g, ins, outs: P.negative(g)),
    broadcasting=True, inplace=((0, 0), (1, 0)), accepts_out=True,
    elementwise="in0 - in1",
    doc="Elementwise a - b with broadcasting.",
)
register(
    "multiply",
    lambda xp, a, b, out=None: binary(xp, xp.multiply, a, b, out),
    grads=(
        lambda g, ins, outs: P.multiply(g, ins[1]),
        lambda g, ins, outs: P.multiply(g, ins[0]),
    ),
    save_ins=(0, 1), broadcasting=True, inplace=((0, 0), (1, 0)), accepts_out=True,
    elementwise="in0 * in1",
    doc="Elementwise a * b with broadcasting.",
)
register(
    "true_divide",
    lambda xp, a, b, out=None: binary(xp, xp.true_divide, a, b, out),
    grads=(
        lambda g, ins, outs: P.true_divide(g, ins[1]),
        lambda g, ins, outs: P.negative(P.true_divide(P.multiply(g, outs[0]), ins[1])),
    ),
    save_ins=(1,), save_outs=(0,), broadcasting=True, inplace=((0, 0), (1, 0)),
    accepts_out=True, elementwise="in0 / in1",
    doc="Elementwise a / b with broadcasting (true division).",
)
register(
    "power",
    lambda xp, a, b, out=None: xp.power(a, b, out=out),
    grads=(
        lambda g, ins, outs: P.multiply(g, P.multiply(ins[1], P.power(ins[0], _minus_one(ins[1])))),
        lambda g, ins, outs: P.multiply(g, P.multiply(outs[0], P.log(ins[0]))),
    ),
    save_ins=(0, 1), save_outs=(0,), broadcasting=True, accepts_out=True,
    elementwise="pow(in0, in1)",
    doc="Elementwise a ** b with broadcasting.",
)
register(
    "maximum",
    lambda xp, a, b, out=None: binary(xp, xp.maximum, a, b, out),
    grads=(
        lambda g, ins, outs: keep_where(g, P.greater_equal(ins[0], ins[1])),
        lambda g, ins, outs: keep_where(g, P.less(ins[0], ins[1])),
    ),
    save_ins=(0, 1), broadcasting=True, inplace=((0, 0), (1, 0)), accepts_out=True,
    elementwise="gl_max(in0, in1)",
    doc="Elementwise maximum with broadcasting; ties send the gradient to the first input.",
)
register(
    "minimum",
    lambda xp, a, b, out=None: binary(xp, xp.minimum, a, b, out),
    grads=(
        lambda g, ins, outs: keep_where(g, P.less_equal(ins[0], ins[1])),
        lambda g, ins, outs: keep_where(g, P.greater(ins[0], ins[1])),
    ),
    save_ins=(0, 1), broadcasting=True, inplace=((0, 0), (1, 0)), accepts_out=True,
    elementwise="gl_min(in0, in1)",
    doc="Elementwise minimum with broadcasting; ties send the gradient to the first input.",
)
register(
    "negative",
    lambda xp, a, out=None: xp.negative(a, out=out),
    grads=(lambda g, ins, outs: P.negative(g),),
    inplace=((0, 0),), accepts_out=True, elementwise="-in0", doc="Elementwise -a.",
)


def _astype(xp, a, dtype, copy=True):
    return a.astype(dtype, copy=copy)


register(
    "astype",
    _astype,
    grads=(lambda g, ins, outs, dtype, copy=True: P.astype(g, dtype=ins[0].dtype),),
    elementwise="in0",  # the conversion to T and then to the output type is the cast
    doc="Cast to ``dtype``; the gradient is cast back to the input's dtype.",
)


register(
    "stop_gradient",
    lambda xp, a: a.view(),
    view=True,
    doc="The same values with no gradient flowing back (MXNet's BlockGrad / stop_gradient).",
)
