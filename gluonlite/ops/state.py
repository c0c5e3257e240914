"""Side-effect primitives: in-place updates of state arrays (BatchNorm's running statistics).

They are ops, not raw array code, so that a hybridized graph records them and every replay
updates the state exactly as eager mode does.
"""
from __future__ import annotations

from .registry import register

__all__: list[str] = []


def _ema_update(xp, running, value, momentum):
    """running <- momentum * running + (1 - momentum) * value, in place; no outputs."""
    running *= momentum
    running += (1.0 - momentum) * value
    return ()


register(
    "ema_update",
    _ema_update,
    num_outputs=0,
    mutates=(0,),
    doc="In place: running = momentum·running + (1−momentum)·value (MXNet's momentum "
    "convention for BatchNorm running statistics).",
)
