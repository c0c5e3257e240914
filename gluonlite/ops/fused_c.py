"""C code for fused per-element programs: one generator that serves both CuPy's
``ElementwiseKernel`` (on GPU) and the g++ harness of the tests (on CPU), so the tests check the
very code a GPU would compile.

The ``Op.elementwise`` template convention: a C expression over ``in0, in1, ...`` in which every
operand has already been converted to ``T``, the C type the op computes in (``float`` or
``double``): NumPy's result type of the operands (Python scalars weak, as NumPy 2 treats them)
and, unless the output is bool, of the output. The expression's value is then converted to the
output's C type (``bool`` for comparisons; a cast such as ``astype`` is just ``in0``). Literal
operands are inlined and converted to ``T`` like the others, as NumPy converts a Python scalar
to the array's type. A template sees no attributes: an op whose values depend on attributes
other than its output dtype (clip's bounds) has none. Templates call the standard ``<cmath>``
functions by their C names (CUDA has float overloads of them; the host harness adds ``using
namespace std``) and the ``gl_`` helpers of :data:`PREAMBLE`, which mirror NumPy where C
differs (NaN propagation of maximum/minimum, the sign of zero).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy

from .registry import get

if TYPE_CHECKING:
    from .fused import FusedProgram

__all__ = ["PREAMBLE", "KernelSource", "c_literal", "c_type", "kernel_source"]

PREAMBLE = r"""
#if defined(__CUDACC__)
#define GL_FN __device__ inline
#else
#define GL_FN inline
#endif
// NumPy's maximum/minimum: a NaN in either operand wins; on ties the second operand is returned
template <typename T> GL_FN T gl_max(T a, T b) { return (a > b || a != a) ? a : b; }
template <typename T> GL_FN T gl_min(T a, T b) { return (a < b || a != a) ? a : b; }
// NumPy's sign: -1, +0 or 1, NaN for NaN
template <typename T> GL_FN T gl_sign(T x) {
    return x > T(0) ? T(1) : (x < T(0) ? T(-1) : (x == T(0) ? T(0) : x));
}
// without <cmath>'s isnan/isinf, whose host and device overloads differ
template <typename T> GL_FN bool gl_isnan(T x) { return x != x; }
template <typename T> GL_FN bool gl_isinf(T x) { return x == x && x - x != x - x; }
template <typename T> GL_FN bool gl_isfinite(T x) { return x - x == x - x; }
"""

_C_TYPES = {
    "bool": "bool",
    "int8": "signed char",
    "uint8": "unsigned char",
    "int16": "short",
    "uint16": "unsigned short",
    "int32": "int",
    "uint32": "unsigned int",
    "int64": "long long",
    "uint64": "unsigned long long",
    "float32": "float",
    "float64": "double",
}
_COMPUTE_TYPES = ("float32", "float64")
_MAX_EXACT_INT = 2**53  # larger integers would round differently through double on the way
_PLACEHOLDER = re.compile(r"\b(?:in(\d+)|T)\b")


def c_type(dtype: Any) -> str | None:
    """The C type of a NumPy dtype, or None when C has none here (float16, complex)."""
    return _C_TYPES.get(numpy.dtype(dtype).name)


def c_literal(value: Any) -> str | None:
    """``value`` as a C literal with the same value (a double literal for floats), or None when
    it has none: non-finite floats, huge integers, anything but a real scalar."""
    if isinstance(value, (bool, numpy.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, numpy.integer)):
        return str(int(value)) if abs(int(value)) <= _MAX_EXACT_INT else None
    if isinstance(value, (float, numpy.floating)) and math.isfinite(value):
        return repr(float(value))  # the shortest spelling that reads back as the same double
    return None


def computes_in(dtype: Any) -> bool:
    """Whether a member may compute in ``dtype`` (a fused kernel computes in float or double)."""
    return numpy.dtype(dtype).name in _COMPUTE_TYPES


@dataclass(frozen=True)
class KernelSource:
    """A fused program as C: per-element inputs ``(name, dtype)``, the output, and the body
    that assigns the output from the inputs (intermediates are local constants)."""

    inputs: tuple[tuple[str, str], ...]
    output: tuple[str, str]
    body: str


def kernel_source(program: FusedProgram) -> KernelSource:
    """The C body of ``program``: each member's ``Op.elementwise`` template with its operands
    filled in, assigned to a local of the member's output type."""
    last = len(program.members) - 1
    lines = []
    for j, m in enumerate(program.members):
        compute, result = _C_TYPES[m.compute], _C_TYPES[m.dtype]
        operands = [f"(({compute}){_operand(a)})" for a in m.args]

        def fill(match: re.Match, operands=operands, compute=compute) -> str:
            return compute if match.group(1) is None else operands[int(match.group(1))]

        expr = _PLACEHOLDER.sub(fill, get(m.op).elementwise)
        target = "y" if j == last else f"const {result} t{j}"
        lines.append(f"{target} = ({result})({expr});")
    inputs = tuple((f"x{k}", d) for k, d in enumerate(program.inputs))
    return KernelSource(inputs, ("y", program.members[-1].dtype), "\n".join(lines))


def _operand(arg: tuple) -> str:
    kind = arg[0]
    if kind == "x":
        return f"x{arg[1]}"
    if kind == "t":
        return f"t{arg[1]}"
    literal = c_literal(arg[1])
    if literal is None:
        raise ValueError(f"fused program literal {arg[1]!r} has no C spelling")
    return literal
