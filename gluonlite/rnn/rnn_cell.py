"""Recurrent cells (MXNet 1.x ``gluon.rnn`` cells): one time step per call and ``unroll`` over
a sequence. Containers and wrappers of cells live in ``cell_containers``.

A cell call is ``output, new_states = cell(inputs, states)``; ``states`` is a list whose layout
``state_info`` describes. Cells save their parameters under plain structural names
(``i2h_weight``, ``l_cell.h2h_bias``, ``0.i2h_bias``...), as MXNet does.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .. import ndarray as nd
from ..errors import MXNetRuntimeError
from ..nn.block import Block, HybridBlock
from ..ops.registry import P
from ._sequence import as_steps, formatted, last_valid, masked
from ._step import activation, gru_update, lstm_update

__all__ = [
    "GRUCell",
    "HybridRecurrentCell",
    "LSTMCell",
    "RNNCell",
    "RecurrentCell",
]


# ---- base classes ---------------------------------------------------------------------------------
class RecurrentCell(Block):
    """Base class of the recurrent cells: subclasses define ``state_info`` and the step
    (``forward(inputs, states)``, or ``hybrid_forward(F, inputs, states, **params)``)."""

    def __init__(self, prefix: str | None = None, params: Any = None) -> None:
        super().__init__(prefix, params)
        self._modified = False
        self.reset()

    def reset(self) -> None:
        """Reset the step counters (and those of the children) before a new sequence."""
        self._init_counter = -1
        self._counter = -1
        for child in self._children.values():
            if isinstance(child, RecurrentCell):
                child.reset()

    def state_info(self, batch_size: int = 0) -> list[dict]:
        """Shape and layout of each state, e.g. ``[{'shape': (N, H), '__layout__': 'NC'}]``."""
        raise NotImplementedError(f"{type(self).__name__} must implement state_info")

    def _check_unmodified(self) -> None:
        if self._modified:
            raise MXNetRuntimeError(
                f"{type(self).__name__} is wrapped by a modifier cell (ZoneoutCell, "
                "ResidualCell...): call the modifier cell instead of this one"
            )

    def begin_state(self, batch_size: int = 0, func: Callable = nd.zeros, **kwargs: Any) -> list:
        """The initial states, ``func(shape=..., **kwargs)`` for each entry of ``state_info``
        (``func`` may be ``nd.zeros``, ``nd.ones``, ``nd.random.uniform``...)."""
        self._check_unmodified()
        states = []
        for info in self.state_info(batch_size):
            self._init_counter += 1
            spec = dict(info or {}, **kwargs)
            states.append(func(name=f"{self.prefix}begin_state_{self._init_counter}", **spec))
        return states

    def _default_state(self, steps: list, begin_state: list | None) -> list:
        if begin_state is not None:
            return begin_state
        first = steps[0]
        return self.begin_state(batch_size=first.shape[0], ctx=first.context, dtype=first.dtype)

    def unroll(
        self,
        length: int,
        inputs: Any,
        begin_state: list | None = None,
        layout: str = "NTC",
        merge_outputs: bool | None = None,
        valid_length: Any = None,
    ) -> tuple[Any, list]:
        """Run the cell over ``length`` steps of ``inputs`` (one array in ``layout`` or a
        list of per-step arrays). Returns ``(outputs, states)``: outputs merged into one array
        (``merge_outputs=True``), a list of steps (False), or as produced (None). With
        ``valid_length`` (N,), steps past each length are zeroed and the states are those of
        each sequence's last valid step."""
        self.reset()
        steps = as_steps(length, inputs, layout)
        states = self._default_state(steps, begin_state)
        outputs, history = [], []
        for x in steps:
            out, states = self(x, states)
            outputs.append(out)
            if valid_length is not None:
                history.append(states)
        if valid_length is not None:
            states = last_valid(history, valid_length)
            outputs = masked(outputs, valid_length, layout)
        return formatted(outputs, layout, merge_outputs), states

    def forward(self, inputs: Any, states: list) -> tuple[Any, list]:
        """One time step: ``(output, new_states)``."""
        self._counter += 1
        return super().forward(inputs, states)

    def _alias(self) -> str:
        return type(self).__name__.lower()


class HybridRecurrentCell(RecurrentCell, HybridBlock):
    """A recurrent cell that can be hybridized; its step is ``hybrid_forward`` or ``forward``."""


class _GatedCell(HybridRecurrentCell):
    """A cell with i2h/h2h weights and biases of ``gates * hidden_size`` rows."""

    _gates = 1

    def __init__(
        self, hidden_size: int, input_size: int, prefix: Any, params: Any, *initializers: Any
    ) -> None:
        super().__init__(prefix, params)
        self._hidden_size = hidden_size
        self._input_size = input_size
        rows = self._gates * hidden_size
        shapes = ((rows, input_size), (rows, hidden_size), (rows,), (rows,))
        names = ("i2h_weight", "h2h_weight", "i2h_bias", "h2h_bias")
        for name, shape, init in zip(names, shapes, initializers):
            param = self._params.get(name, shape=shape, init=init, allow_deferred_init=True)
            setattr(self, name, param)

    def state_info(self, batch_size: int = 0) -> list[dict]:
        return [{"shape": (batch_size, self._hidden_size), "__layout__": "NC"}]

    def infer_shape(self, inputs: Any, *args: Any) -> None:
        """The input size is the product of the non-batch axes (the step flattens them)."""
        rows = self._gates * self._hidden_size
        self.i2h_weight.shape = (rows, math.prod(inputs.shape[1:]))

    def _projections(self, F: Any, inputs: Any, h: Any, weights: tuple) -> tuple[Any, Any]:
        i2h_weight, h2h_weight, i2h_bias, h2h_bias = weights
        rows = self._gates * self._hidden_size
        i2h = F.FullyConnected(inputs, i2h_weight, i2h_bias, num_hidden=rows)
        h2h = F.FullyConnected(h, h2h_weight, h2h_bias, num_hidden=rows)
        return i2h, h2h

    def _mapping(self) -> str:
        width = self.i2h_weight.shape[1]
        return f"{width if width else None} -> {self._hidden_size}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._mapping()})"


class RNNCell(_GatedCell):
    """Elman cell: ``h' = act(W_ih x + b_ih + W_hh h + b_hh)``; one state (N, H)."""

    def __init__(
        self,
        hidden_size: int,
        activation: Any = "tanh",
        i2h_weight_initializer: Any = None,
        h2h_weight_initializer: Any = None,
        i2h_bias_initializer: Any = "zeros",
        h2h_bias_initializer: Any = "zeros",
        input_size: int = 0,
        prefix: str | None = None,
        params: Any = None,
    ) -> None:
        super().__init__(
            hidden_size, input_size, prefix, params, i2h_weight_initializer,
            h2h_weight_initializer, i2h_bias_initializer, h2h_bias_initializer,
        )  # fmt: skip
        self._activation = activation

    def _alias(self) -> str:
        return "rnn"

    def __repr__(self) -> str:
        return f"RNNCell({self._mapping()}, {self._activation})"

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        weights = (i2h_weight, h2h_weight, i2h_bias, h2h_bias)
        i2h, h2h = self._projections(F, inputs, states[0], weights)
        out = activation(self._activation)(P.add(i2h, h2h))
        return out, [out]


class _GatesCell(_GatedCell):
    """LSTM and GRU cells: an ``activation`` and a gate ``recurrent_activation``."""

    def __init__(
        self,
        hidden_size: int,
        i2h_weight_initializer: Any = None,
        h2h_weight_initializer: Any = None,
        i2h_bias_initializer: Any = "zeros",
        h2h_bias_initializer: Any = "zeros",
        input_size: int = 0,
        prefix: str | None = None,
        params: Any = None,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
    ) -> None:
        super().__init__(
            hidden_size, input_size, prefix, params, i2h_weight_initializer,
            h2h_weight_initializer, i2h_bias_initializer, h2h_bias_initializer,
        )  # fmt: skip
        self._activation = activation
        self._recurrent_activation = recurrent_activation

    def _activations(self) -> tuple[Callable, Callable]:
        return activation(self._activation), activation(self._recurrent_activation)


class LSTMCell(_GatesCell):
    """LSTM cell, gates [i, f, g, o]: ``c' = f·c + i·act(g)``, ``h' = o·act(c')``; states
    ``[h, c]``, each (N, H)."""

    _gates = 4

    def state_info(self, batch_size: int = 0) -> list[dict]:
        return super().state_info(batch_size) * 2

    def _alias(self) -> str:
        return "lstm"

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        weights = (i2h_weight, h2h_weight, i2h_bias, h2h_bias)
        i2h, h2h = self._projections(F, inputs, states[0], weights)
        h, c = lstm_update(P.add(i2h, h2h), states[1], *self._activations())
        return h, [h, c]


class GRUCell(_GatesCell):
    """GRU cell, gates [r, z, n], reset applied after the h2h product:
    ``n = act(W_in x + b_in + r·(W_hn h + b_hn))``, ``h' = (1-z)·n + z·h``; one state."""

    _gates = 3

    def _alias(self) -> str:
        return "gru"

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        weights = (i2h_weight, h2h_weight, i2h_bias, h2h_bias)
        i2h, h2h = self._projections(F, inputs, states[0], weights)
        h = gru_update(i2h, h2h, states[0], *self._activations())
        return h, [h]


def __getattr__(name: str) -> Any:
    """MXNet's ``rnn_cell`` module also holds the container cells (``rnn_cell.BidirectionalCell``);
    they live in ``cell_containers``, which imports this module, so they resolve lazily."""
    from . import cell_containers

    if name in cell_containers.__all__:
        return getattr(cell_containers, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
