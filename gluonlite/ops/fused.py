"""``fused_elementwise``: a chain or tree of per-element ops run as one op (built by the graph
pass ``hybrid.fusion``; nothing else calls it).

Its ``program`` attribute lists the member ops in order, over the fused op's inputs ``x0, x1,
...``, earlier members' results ``t0, t1, ...`` and literals. On CuPy it runs as one
``ElementwiseKernel`` generated from the members' C templates (``fused_c``), built once per
program; on NumPy it replays the members' own forwards in order, writing into the one output
buffer wherever the program's schedule says that is safe, so results equal the unfused ops bit
for bit.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy

from .fused_c import PREAMBLE, kernel_source
from .registry import get, register

__all__ = ["MAX_ALIASED_INPUTS", "FusedProgram", "Member", "elementwise_kernel_args"]

# Inputs whose buffer the result may take over: any same-shaped input is safe (the kernel reads
# an element's inputs before writing it; the NumPy schedule writes nothing into the output
# before the last read of such an input), so the limit only bounds the declared pairs.
MAX_ALIASED_INPUTS = 32


class Member(NamedTuple):
    """One member op: ``op`` applied to ``args`` (``("x", k)`` input k, ``("t", j)`` member j's
    result, ``("c", value, repr(value))`` a literal, kept apart from equal-valued literals of
    another spelling such as -0.0 and 0.0), with output and computation dtype names and the
    equation's attributes as sorted pairs (for the NumPy forward; a C template reads none)."""

    op: str
    args: tuple[tuple, ...]
    dtype: str
    compute: str
    attrs: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class FusedProgram:
    """The member ops of one fused equation (hashable: programs are attributes and cache keys).

    ``inputs`` are the dtype names of x0, x1, ...; the last member's result is the output.
    ``into_out[j]`` says whether member j writes into the output buffer on NumPy.
    """

    inputs: tuple[str, ...]
    members: tuple[Member, ...]
    into_out: tuple[bool, ...]

    @functools.cached_property
    def numpy_steps(self) -> tuple[tuple, tuple]:
        """The NumPy replay resolved once: the literal values, and per member its forward, the
        positions of its arguments in [inputs, literals, results], its attributes, and whether
        it writes into the output buffer."""
        literals = tuple(a[1] for m in self.members for a in m.args if a[0] == "c")
        n_in = len(self.inputs)
        first_result = n_in + len(literals)
        steps = []
        n_lit = 0
        for m, into in zip(self.members, self.into_out):
            where = []
            for a in m.args:
                if a[0] == "c":
                    where.append(n_in + n_lit)
                    n_lit += 1
                else:
                    where.append(a[1] if a[0] == "x" else first_result + a[1])
            op = get(m.op)
            steps.append((op.forward, tuple(where), dict(m.attrs), into and op.accepts_out))
        return literals, tuple(steps)

    def __repr__(self) -> str:
        names = ", ".join(f"x{k}" for k in range(len(self.inputs)))
        last = len(self.members) - 1
        steps = []
        for j, m in enumerate(self.members):
            args = " ".join(repr(a[1]) if a[0] == "c" else f"{a[0]}{a[1]}" for a in m.args)
            head = "" if j == last else f"t{j}:{m.dtype} = "
            steps.append(f"{head}{m.op} {args}")
        return "{" + names + " -> " + "; ".join(steps) + "}"


def _forward(xp: Any, *ins: Any, program: FusedProgram, out: Any = None) -> Any:
    """The program's result, into ``out`` when given."""
    if xp is numpy:
        return _replay(xp, ins, program, out)
    kernel = _cupy_kernel(program)
    return kernel(*ins) if out is None else kernel(*ins, out)


def _replay(xp: Any, ins: tuple, program: FusedProgram, out: Any) -> Any:
    """Run the members' forwards in order (the NumPy path)."""
    literals, steps = program.numpy_steps
    values = [*ins, *literals]
    for forward, where, attrs, into in steps:
        args = [values[i] for i in where]
        values.append(
            forward(xp, *args, out=out, **attrs)
            if into and out is not None
            else forward(xp, *args, **attrs)
        )
    result = values[-1]
    if out is not None and result is not out:  # a root without out= (where): one copy
        xp.copyto(out, result)
        return out
    return result


@functools.cache
def _cupy_kernel(program: FusedProgram) -> Any:
    """One CuPy ElementwiseKernel for the program (CuPy broadcasts its inputs)."""
    import cupy

    args = elementwise_kernel_args(program)
    return cupy.ElementwiseKernel(
        args["in_params"],
        args["out_params"],
        args["operation"],
        name=args["name"],
        preamble=args["preamble"],
    )


def elementwise_kernel_args(program: FusedProgram) -> dict[str, str]:
    """``cupy.ElementwiseKernel``'s arguments for the program, by parameter name: input and
    output parameter lists, the body, a name and the helper preamble."""
    src = kernel_source(program)
    return {
        "in_params": ", ".join(f"{dtype} {name}" for name, dtype in src.inputs),
        "out_params": f"{src.output[1]} {src.output[0]}",
        "operation": src.body,
        "name": "gluonlite_fused",
        "preamble": PREAMBLE,
    }


register(
    "fused_elementwise",
    _forward,
    broadcasting=True,
    accepts_out=True,
    inplace=tuple((k, 0) for k in range(MAX_ALIASED_INPUTS)),
    doc="Several per-element ops in one pass (see ``program``); made by hybrid.fusion.",
)
