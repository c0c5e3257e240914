"""Sequences as the cells see them: one array in layout NTC/TNC, or a list of per-step (N, ...)
arrays; conversions between the two, and the valid-length helpers (mask, reverse, last step)."""

from __future__ import annotations

from typing import Any

from .. import ndarray as nd
from ..errors import MXNetValueError
from ..ops.indexing import ALL
from ..ops.registry import P

__all__ = [
    "as_steps",
    "formatted",
    "last_valid",
    "masked",
    "reversed_steps",
    "time_axis",
    "unstack",
]


def unstack(x: Any, axis: int = 0) -> list:
    """The slices of ``x`` along ``axis``, that axis removed (views).

    The one place a sequence is cut into steps: each slice is a ``getitem`` whose gradient is
    a full-size scatter, so backward costs O(T²) here; a multi-output split primitive (vjp:
    stack) would make it O(T)."""
    return [P.getitem(x, key=(ALL,) * axis + (t,)) for t in range(x.shape[axis])]


def time_axis(layout: str) -> int:
    """The position of T in the layout string (NTC: 1, TNC: 0)."""
    if sorted(layout) != ["C", "N", "T"]:
        raise MXNetValueError(f"unroll: layout must be 'NTC' or 'TNC', not {layout!r}")
    return layout.find("T")


def as_steps(length: int | None, inputs: Any, layout: str) -> list:
    """The inputs as a list of per-step arrays, checked against ``length``."""
    axis = time_axis(layout)
    if isinstance(inputs, nd.NDArray):
        inputs = unstack(inputs, axis)
    else:
        inputs = list(inputs)
    if length is not None and len(inputs) != length:
        raise MXNetValueError(
            f"unroll: length={length} but the inputs have {len(inputs)} time steps (layout "
            f"{layout!r}, time axis {axis})"
        )
    return inputs


def formatted(seq: Any, layout: str, merge: bool | None) -> Any:
    """``seq`` (array or list of steps) as one array along the time axis (merge True), as a
    list of steps (False), or as it is (None)."""
    if merge is True and not isinstance(seq, nd.NDArray):
        return nd.stack(*seq, axis=time_axis(layout))
    if merge is False and isinstance(seq, nd.NDArray):
        return as_steps(None, seq, layout)
    return seq


def masked(seq: Any, valid_length: Any, layout: str) -> Any:
    """Zero the steps at or past each sequence's valid length (one merged array)."""
    data = formatted(seq, layout, True)
    return nd.SequenceMask(
        data, sequence_length=valid_length, use_sequence_length=True, axis=time_axis(layout)
    )


def reversed_steps(steps: list, valid_length: Any) -> list:
    """The steps in reverse order; with ``valid_length`` only each sequence's valid part is
    reversed (its padding stays at the end)."""
    if valid_length is None:
        return steps[::-1]
    data = nd.SequenceReverse(
        nd.stack(*steps, axis=0), sequence_length=valid_length, use_sequence_length=True
    )
    return unstack(data)


def last_valid(history: list, valid_length: Any) -> list:
    """Each state at each sequence's last valid step, from the per-step state lists."""
    return [
        nd.SequenceLast(
            nd.stack(*states, axis=0), sequence_length=valid_length, use_sequence_length=True
        )
        for states in zip(*history)
    ]
