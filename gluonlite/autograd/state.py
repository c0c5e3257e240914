"""The two global autograd flags: is the tape recording, and is the model in training mode.

Plain module state (not thread-local) because eager dispatch reads it on every op.
"""
from __future__ import annotations

__all__ = ["STATE"]


class _State:
    __slots__ = ("recording", "training")

    def __init__(self) -> None:
        self.recording = False
        self.training = False


STATE = _State()
