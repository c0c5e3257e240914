"""Samples for the fused elementwise op (ops/fused.py): a small program with broadcasting, a
literal, a bool intermediate and a select, called eagerly (the NumPy replay path)."""

import numpy as np

from gluonlite.ops.fused import FusedProgram, Member

from .sampling import broadcast_pair, floats, sample

# x0, x1 -> t0 = multiply x0 x1; t1:bool = greater t0 0.5; where t1 t0 x1
_PROGRAM = FusedProgram(
    ("float64", "float64"),
    (
        Member("multiply", (("x", 0), ("x", 1)), "float64", "float64"),
        Member("greater", (("t", 0), ("c", 0.5, "0.5")), "bool", "float64"),
        Member("where", (("t", 1), ("t", 0), ("x", 1)), "float64", "float64"),
    ),
    (False, False, True),
)


def _reference(x, y, program):
    return np.where(x * y > 0.5, x * y, np.broadcast_to(y, np.broadcast_shapes(x.shape, y.shape)))


@sample("fused_elementwise", _reference, name="select", grad=False)
def _select(draw):
    sa, sb = broadcast_pair(draw)
    return (floats(draw, sa), floats(draw, sb)), {"program": _PROGRAM}
