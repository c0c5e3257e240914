"""Debug mode for hybridize: replay every call next to an eager run of the same forward and
raise at the first equation whose replayed value differs, naming the op.

Turn it on with ``net.hybridize(check=True)`` or the environment variable
``GLUONLITE_HYBRID_CHECK=1``. Random draws and state updates (BatchNorm running statistics)
are rewound between the two runs, so both see the same generator state and parameters.
"""
from __future__ import annotations

import os
from typing import Any

import numpy

from .. import errors
from ..ops import random as _random
from .graph import Var
from .tracer import Tracer, tracing

__all__ = ["enabled", "eager_values"]


def enabled(block: Any) -> bool:
    flags = getattr(block, "_flags", {})
    return bool(flags.get("check")) or os.environ.get("GLUONLITE_HYBRID_CHECK", "") not in (
        "", "0")


def _snapshot(block: Any, ctx: Any) -> tuple:
    params = [p for p in block.collect_params().values() if p._data is not None]
    values = [p.data(ctx)._data.copy() for p in params]
    xp = ctx.xp
    gen = _random.generator(xp)
    state = gen.bit_generator.state if hasattr(gen, "bit_generator") else gen.get_state()
    return params, values, gen, state


def _restore(snapshot: tuple, ctx: Any) -> None:
    params, values, gen, state = snapshot
    for p, v in zip(params, values):
        p.data(ctx)._data[...] = v
    if hasattr(gen, "bit_generator"):
        gen.bit_generator.state = state
    else:
        gen.set_state(state)


def eager_values(block: Any, graph: Any, args: tuple, kwargs: dict, ctx: Any) -> tuple[dict, Any]:
    """Run the forward eagerly under a fresh tracer and map the cached graph's Vars to the
    values this run computed (equation by equation); state and randomness are rewound so the
    replay that follows starts from the same point."""
    snapshot = _snapshot(block, ctx)
    tracer = Tracer()
    with tracing(tracer):
        block.forward(*args, **kwargs)
    _restore(snapshot, ctx)
    if [e.op.name for e in tracer.eqns] != [e.op.name for e in graph.eqns]:
        raise errors.MXNetRuntimeError(
            "hybridize check: this call runs a different sequence of operators than the traced "
            "graph, so the forward is not static for this input signature"
        )
    expected: dict[Var, Any] = {}
    for old, new in zip(graph.eqns, tracer.eqns):
        for o_old, o_new in zip(old.outs, new.outs):
            expected[o_old] = tracer.values[o_new]
    return expected, snapshot


def comparer(expected: dict, slot: dict, block_name: str):
    """``on_step`` callback raising at the first output that differs from the eager value."""

    def on_step(eqn: Any, table: list) -> None:
        for var in eqn.outs:
            want = expected.get(var)
            if want is None or var not in slot:
                continue
            got = table[slot[var]]
            ok = numpy.allclose(_host(got), _host(want), rtol=1e-5, atol=1e-6, equal_nan=True)
            if not ok:
                diff = numpy.max(numpy.abs(_host(got).astype(float) - _host(want).astype(float)))
                raise errors.MXNetRuntimeError(
                    f"hybridize check ({block_name}): the replayed value of `{eqn}` differs "
                    f"from eager mode (max abs difference {diff:.3g}); first divergence at "
                    f"operator '{eqn.op.name}'"
                )

    return on_step


def _host(x: Any) -> numpy.ndarray:
    return x.get() if hasattr(x, "get") else numpy.asarray(x)
