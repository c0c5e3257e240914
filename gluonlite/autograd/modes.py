"""Scopes that switch recording and training mode: ``record``, ``pause``, ``train_mode``..."""
from __future__ import annotations

from .state import STATE

__all__ = [
    "record", "pause", "train_mode", "predict_mode", "is_recording", "is_training",
    "set_recording", "set_training",
]


class _scope:
    """Set the flags on entry and restore them on exit (a plain class: this sits on the hot path
    of every training step, and generator-based context managers cost several microseconds)."""

    __slots__ = ("recording", "training", "old")

    def __init__(self, recording: bool | None, training: bool | None) -> None:
        self.recording = recording
        self.training = training

    def __enter__(self) -> None:
        self.old = (STATE.recording, STATE.training)
        if self.recording is not None:
            STATE.recording = self.recording
        if self.training is not None:
            STATE.training = self.training

    def __exit__(self, *exc) -> None:
        STATE.recording, STATE.training = self.old


def record(train_mode: bool = True):
    """Record ops for backward inside this scope (training mode on unless ``train_mode=False``)."""
    return _scope(True, train_mode)


def pause(train_mode: bool = False):
    """Stop recording inside this scope (prediction mode unless ``train_mode=True``)."""
    return _scope(False, train_mode)


def train_mode():
    """Training mode (Dropout active, BatchNorm uses batch statistics) without changing recording."""
    return _scope(None, True)


def predict_mode():
    """Prediction mode without changing recording."""
    return _scope(None, False)


def is_recording() -> bool:
    return STATE.recording


def is_training() -> bool:
    return STATE.training


def set_recording(is_recording: bool) -> bool:
    """Set the recording flag; returns the previous value."""
    old, STATE.recording = STATE.recording, bool(is_recording)
    return old


def set_training(train_mode: bool) -> bool:
    """Set the training flag; returns the previous value."""
    old, STATE.training = STATE.training, bool(train_mode)
    return old
