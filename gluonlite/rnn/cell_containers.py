"""Cells made of cells (MXNet 1.x ``gluon.rnn``): stacks (``SequentialRNNCell``), both time
directions (``BidirectionalCell``), and wrappers that change a cell's step (dropout on the
inputs, residual connections, zoneout)."""

from __future__ import annotations

from collections.abc import Callable
from numbers import Number
from typing import Any

from .. import ndarray as nd
from ..errors import MXNetRuntimeError, MXNetTypeError, MXNetValueError
from ..ops.registry import P
from ._sequence import as_steps, formatted, masked, reversed_steps
from .rnn_cell import HybridRecurrentCell, RecurrentCell

__all__ = [
    "BidirectionalCell",
    "DropoutCell",
    "HybridSequentialRNNCell",
    "ModifierCell",
    "ResidualCell",
    "SequentialRNNCell",
    "ZoneoutCell",
]


def _split_states(cells: list, states: list) -> list[list]:
    """Cut the flat state list into each cell's share, in order."""
    parts, start = [], 0
    for cell in cells:
        n = len(cell.state_info())
        parts.append(list(states[start : start + n]))
        start += n
    return parts


class _CellStack:
    """Cells run one after the other, each feeding the next; states are concatenated."""

    def add(self, cell: RecurrentCell) -> None:
        """Append a cell (named '0', '1', ... in order)."""
        self.register_child(cell)

    def state_info(self, batch_size: int = 0) -> list[dict]:
        return [info for c in self._children.values() for info in c.state_info(batch_size)]

    def begin_state(self, batch_size: int = 0, func: Callable = nd.zeros, **kwargs: Any):
        self._check_unmodified()
        return [
            s for c in self._children.values() for s in c.begin_state(batch_size, func, **kwargs)
        ]

    def forward(self, inputs: Any, states: list) -> tuple[Any, list]:
        self._counter += 1
        cells = list(self._children.values())
        if any(isinstance(c, BidirectionalCell) for c in cells):
            raise MXNetRuntimeError(
                f"{type(self).__name__} holds a BidirectionalCell, which cannot be stepped: "
                "use unroll()"
            )
        new_states = []
        for cell, own in zip(cells, _split_states(cells, states)):
            inputs, own = cell(inputs, own)
            new_states.extend(own)
        return inputs, new_states

    def unroll(
        self, length, inputs, begin_state=None, layout="NTC", merge_outputs=None, valid_length=None
    ):
        """Unroll each cell over the whole sequence in turn (see ``RecurrentCell.unroll``)."""
        self.reset()
        steps = as_steps(length, inputs, layout)
        cells = list(self._children.values())
        begin_state = self._default_state(steps, begin_state)
        seq, new_states = inputs, []
        for k, (cell, own) in enumerate(zip(cells, _split_states(cells, begin_state))):
            merge = merge_outputs if k == len(cells) - 1 else None
            seq, own = cell.unroll(length, seq, own, layout, merge, valid_length)
            new_states.extend(own)
        return seq, new_states

    def __getitem__(self, i: int) -> RecurrentCell:
        return list(self._children.values())[i]

    def __len__(self) -> int:
        return len(self._children)


class SequentialRNNCell(_CellStack, RecurrentCell):
    """Stack of cells: each step runs every cell in order."""


class HybridSequentialRNNCell(_CellStack, HybridRecurrentCell):
    """Stack of hybridizable cells."""


class BidirectionalCell(HybridRecurrentCell):
    """Runs ``l_cell`` forward and ``r_cell`` backward in time and concatenates their
    outputs on the feature axis; it can only be unrolled, not stepped."""

    def __init__(self, l_cell: RecurrentCell, r_cell: RecurrentCell, output_prefix: str = "bi_"):
        # output_prefix named MXNet's symbol outputs; eager arrays have no names
        super().__init__()
        self.l_cell = l_cell
        self.r_cell = r_cell

    def forward(self, inputs: Any, states: list) -> Any:
        raise MXNetRuntimeError("BidirectionalCell cannot be stepped: use unroll()")

    def state_info(self, batch_size: int = 0) -> list[dict]:
        return self.l_cell.state_info(batch_size) + self.r_cell.state_info(batch_size)

    def begin_state(self, batch_size: int = 0, func: Callable = nd.zeros, **kwargs: Any):
        self._check_unmodified()
        return self.l_cell.begin_state(batch_size, func, **kwargs) + self.r_cell.begin_state(
            batch_size, func, **kwargs
        )

    def unroll(
        self, length, inputs, begin_state=None, layout="NTC", merge_outputs=None, valid_length=None
    ):
        """Outputs are ``concat(forward, backward)`` per step; states are the forward cell's
        then the backward cell's."""
        self.reset()
        steps = as_steps(length, inputs, layout)
        begin_state = self._default_state(steps, begin_state)
        n_left = len(self.l_cell.state_info())
        l_out, l_states = self.l_cell.unroll(
            length, steps, begin_state[:n_left], layout, merge_outputs, valid_length
        )
        r_out, r_states = self.r_cell.unroll(
            length,
            reversed_steps(steps, valid_length),
            begin_state[n_left:],
            layout,
            False,
            valid_length,
        )
        r_out = reversed_steps(r_out, valid_length)
        merge = isinstance(l_out, nd.NDArray) if merge_outputs is None else merge_outputs
        l_out, r_out = formatted(l_out, layout, merge), formatted(r_out, layout, merge)
        if merge:
            outputs = nd.concat(l_out, r_out, dim=-1)
        else:
            outputs = [nd.concat(a, b, dim=-1) for a, b in zip(l_out, r_out)]
        if valid_length is not None:
            outputs = formatted(masked(outputs, valid_length, layout), layout, merge)
        return outputs, l_states + r_states

    def __repr__(self) -> str:
        return f"BidirectionalCell(forward={self.l_cell!r}, backward={self.r_cell!r})"


class DropoutCell(HybridRecurrentCell):
    """Dropout on the inputs (the states pass through); ``axes`` share one mask value."""

    def __init__(
        self, rate: float, axes: tuple = (), prefix: str | None = None, params: Any = None
    ) -> None:
        super().__init__(prefix, params)
        if not isinstance(rate, Number):
            raise MXNetTypeError(f"DropoutCell: rate must be a number, not {rate!r}")
        self._rate = rate
        self._axes = axes

    def __repr__(self) -> str:
        return f"DropoutCell(rate={self._rate}, axes={self._axes})"

    def state_info(self, batch_size: int = 0) -> list[dict]:
        return []

    def _alias(self) -> str:
        return "dropout"

    def hybrid_forward(self, F, inputs, states):
        if self._rate > 0:
            inputs = F.Dropout(inputs, p=self._rate, axes=self._axes)
        return inputs, states

    def unroll(
        self, length, inputs, begin_state=None, layout="NTC", merge_outputs=None, valid_length=None
    ):
        """One dropout over the whole sequence when it is (or is to be) one array."""
        self.reset()
        seq = formatted(inputs, layout, merge_outputs)
        if isinstance(seq, nd.NDArray):
            return self.hybrid_forward(nd, seq, begin_state or [])
        return super().unroll(length, seq, begin_state, layout, merge_outputs)


class ModifierCell(HybridRecurrentCell):
    """Base of the cells that wrap one ``base_cell`` and change its step; the wrapped cell
    must then only be used through the wrapper."""

    def __init__(self, base_cell: RecurrentCell) -> None:
        if base_cell._modified:
            raise MXNetValueError(
                f"cell {base_cell.name} is already wrapped by a modifier cell; a cell can only "
                "be modified once"
            )
        base_cell._modified = True
        super().__init__(prefix=base_cell.prefix + self._alias())
        self.base_cell = base_cell

    @property
    def params(self) -> Any:
        return self.base_cell.params

    def state_info(self, batch_size: int = 0) -> list[dict]:
        return self.base_cell.state_info(batch_size)

    def begin_state(self, batch_size: int = 0, func: Callable = nd.zeros, **kwargs: Any):
        self._check_unmodified()
        self.base_cell._modified = False
        try:
            return self.base_cell.begin_state(batch_size, func, **kwargs)
        finally:
            self.base_cell._modified = True

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_cell!r})"


class ResidualCell(ModifierCell):
    """Adds the input to the base cell's output (Wu et al., 2016)."""

    def _alias(self) -> str:
        return "residual"

    def hybrid_forward(self, F, inputs, states):
        output, states = self.base_cell(inputs, states)
        return P.add(output, inputs), states

    def unroll(
        self, length, inputs, begin_state=None, layout="NTC", merge_outputs=None, valid_length=None
    ):
        """The base cell's unroll plus the (masked, with ``valid_length``) inputs."""
        self.reset()
        self.base_cell._modified = False
        try:
            outputs, states = self.base_cell.unroll(
                length, inputs, begin_state, layout, merge_outputs, valid_length
            )
        finally:
            self.base_cell._modified = True
        merge = isinstance(outputs, nd.NDArray) if merge_outputs is None else merge_outputs
        if valid_length is not None:
            inputs = masked(as_steps(length, inputs, layout), valid_length, layout)
        inputs = formatted(inputs, layout, merge)
        if merge:
            return P.add(outputs, inputs), states
        return [P.add(o, i) for o, i in zip(outputs, inputs)], states


class ZoneoutCell(ModifierCell):
    """Zoneout (Krueger et al., 2016): in training, each output and state unit keeps its
    previous value with probability ``zoneout_outputs`` / ``zoneout_states``."""

    def __init__(
        self, base_cell: RecurrentCell, zoneout_outputs: float = 0.0, zoneout_states: float = 0.0
    ) -> None:
        if isinstance(base_cell, BidirectionalCell):
            raise MXNetValueError(
                "ZoneoutCell cannot wrap a BidirectionalCell, which cannot be stepped: wrap the "
                "cells inside it instead"
            )
        super().__init__(base_cell)
        self.zoneout_outputs = zoneout_outputs
        self.zoneout_states = zoneout_states
        self._prev_output = None

    def _alias(self) -> str:
        return "zoneout"

    def reset(self) -> None:
        super().reset()
        self._prev_output = None

    def hybrid_forward(self, F, inputs, states):
        output, new_states = self.base_cell(inputs, states)

        def zoneout(p: float, new: Any, old: Any) -> Any:
            keep_new = F.Dropout(F.ones_like(new), p=p)
            return F.where(keep_new, new, old)

        prev = self._prev_output if self._prev_output is not None else F.zeros_like(output)
        if self.zoneout_outputs:
            output = zoneout(self.zoneout_outputs, output, prev)
        if self.zoneout_states:
            new_states = [zoneout(self.zoneout_states, n, o) for n, o in zip(new_states, states)]
        self._prev_output = output
        return output, new_states
