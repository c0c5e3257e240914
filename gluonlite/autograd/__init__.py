"""Tape-based automatic differentiation (MXNet's ``autograd``).

Under ``record()`` every op call that touches a variable (an array that called
``attach_grad()``) pushes a node on the tape; ``backward``/``grad`` walk it in reverse.
``state`` and ``tape`` are the bottom half read by eager dispatch; the rest is the user API.
"""
from .api import backward, grad, mark_variables
from .function import Function
from .modes import (
    is_recording, is_training, pause, predict_mode, record, set_recording, set_training,
    train_mode,
)

__all__ = [
    "record", "pause", "train_mode", "predict_mode", "is_recording", "is_training",
    "set_recording", "set_training", "backward", "grad", "mark_variables", "Function",
]
