"""The two global autograd flags: is the tape recording, and is the model in training mode.

Plain module state (not thread-local) because eager dispatch reads it on every op.
"""
from __future__ import annotations

__all__ = ["STATE"]


class _State:
    __slots__ = ("recording", "training", "retain_graph")

    def __init__(self) -> None:
        self.recording = False
        self.training = False
        self.retain_graph = False  # set during a backward that keeps its graph


STATE = _State()
