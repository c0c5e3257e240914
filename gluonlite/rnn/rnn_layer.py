"""Recurrent layers (MXNet 1.x ``gluon.rnn.RNN``, ``LSTM``, ``GRU``): multi-layer, optionally
bidirectional recurrences over a whole sequence.

Each layer and direction projects the whole input sequence with one matrix product, then loops
over time for the recurrent part only, with the same step math as the cells. Parameters are
registered as ``l0_i2h_weight``, ``r0_h2h_bias``, ... (the ``collect_params()`` keys) and saved
under MXNet's ``_unfused.0.i2h_weight`` / ``_unfused.0.l_cell.i2h_weight`` names, so parameter
files interchange with MXNet 1.9.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from .. import ndarray as nd
from ..errors import MXNetValueError, ShapeError
from ..nn.block import HybridBlock
from ..nn.parameter import Parameter
from ..ops.registry import P
from ._sequence import last_valid, unstack
from ._step import activation, gru_update, lstm_update

__all__ = ["GRU", "LSTM", "RNN"]

_GATES = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}
_REGISTERED = re.compile(r"([lr])(\d+)_(\w+)\Z")
_TANH, _SIGMOID = activation("tanh"), activation("sigmoid")


class _RNNLayer(HybridBlock):
    """The shared machinery of RNN, LSTM and GRU; ``mode`` picks the step."""

    def __init__(
        self,
        hidden_size: int,
        num_layers: int,
        layout: str,
        dropout: float,
        bidirectional: bool,
        input_size: int,
        i2h_weight_initializer: Any,
        h2h_weight_initializer: Any,
        i2h_bias_initializer: Any,
        h2h_bias_initializer: Any,
        mode: str,
        projection_size: int | None = None,
        h2r_weight_initializer: Any = None,
        state_clip_min: float | None = None,
        state_clip_max: float | None = None,
        state_clip_nan: bool = False,
        dtype: Any = "float32",
        use_sequence_length: bool = False,
        prefix: str | None = None,
        params: Any = None,
    ) -> None:
        super().__init__(prefix, params)
        name = type(self).__name__
        if layout not in ("TNC", "NTC"):
            raise MXNetValueError(f"{name}: layout must be 'TNC' or 'NTC', not {layout!r}")
        if not 0 <= dropout < 1:
            raise MXNetValueError(f"{name}: dropout={dropout} must be in [0, 1)")
        if mode not in _GATES:
            raise MXNetValueError(f"{name}: activation must be 'relu' or 'tanh', not {mode[4:]!r}")
        if state_clip_nan:
            raise MXNetValueError(f"{name}: state_clip_nan=True is not supported")
        self._hidden_size = hidden_size
        self._projection_size = projection_size or None
        self._num_layers = num_layers
        self._mode = mode
        self._layout = layout
        self._dropout = dropout
        self._dir = 2 if bidirectional else 1
        self._input_size = input_size
        self._gates = _GATES[mode]
        self._clip = (
            None
            if state_clip_min is None and state_clip_max is None
            else (state_clip_min, state_clip_max)
        )
        self._dtype = dtype
        self._use_sequence_length = use_sequence_length
        rows = self._gates * hidden_size
        recurrent = self._projection_size or hidden_size
        width = input_size
        for layer in range(num_layers):
            for d in "lr"[: self._dir]:
                tag = f"{d}{layer}_"
                self._register(tag + "i2h_weight", (rows, width), i2h_weight_initializer)
                self._register(tag + "h2h_weight", (rows, recurrent), h2h_weight_initializer)
                self._register(tag + "i2h_bias", (rows,), i2h_bias_initializer)
                self._register(tag + "h2h_bias", (rows,), h2h_bias_initializer)
                if self._projection_size:
                    self._register(
                        tag + "h2r_weight", (recurrent, hidden_size), h2r_weight_initializer
                    )
            width = recurrent * self._dir

    def _register(self, name: str, shape: tuple, init: Any) -> Parameter:
        param = self._params.get(
            name, shape=shape, init=init, allow_deferred_init=True, dtype=self._dtype
        )
        setattr(self, name, param)
        return param

    # ---- names --------------------------------------------------------------------------------
    def _collect_params_with_prefix(self, prefix: str = "", saved: bool = False) -> OrderedDict:
        """The names ``save_parameters`` writes (``saved``): MXNet 1.9's
        ``_unfused.{layer}.{kind}`` and, when bidirectional, ``_unfused.{layer}.{l|r}_cell.{kind}``
        (its stack of unfused cells). Otherwise the registered names (``l0_i2h_weight``)."""
        if not saved:
            return super()._collect_params_with_prefix(prefix)
        out = OrderedDict()
        for name, param in self._reg_params.items():
            direction, layer, kind = _REGISTERED.match(name).groups()
            cell = f"{direction}_cell." if self._dir == 2 else ""
            out[f"{prefix}_unfused.{layer}.{cell}{kind}"] = param
        return out

    def __repr__(self) -> str:
        width = self.l0_i2h_weight.shape[1]
        text = f"{type(self).__name__}({width if width else None} -> {self._hidden_size}, "
        text += self._layout
        if self._num_layers != 1:
            text += f", num_layers={self._num_layers}"
        if self._dropout:
            text += f", dropout={self._dropout}"
        return text + (", bidirectional)" if self._dir == 2 else ")")

    def cast(self, dtype: Any) -> None:
        super().cast(dtype)
        self._dtype = dtype

    # ---- states -------------------------------------------------------------------------------
    def _state_spec(self, batch_size: int, size: int) -> dict:
        shape = (self._num_layers * self._dir, batch_size, size)
        return {"shape": shape, "__layout__": "LNC", "dtype": self._dtype}

    def state_info(self, batch_size: int = 0) -> list[dict]:
        """Shape, layout and dtype of each state: [h] (LSTM: [h, c]), (layers·dirs, N, H)."""
        return [self._state_spec(batch_size, self._hidden_size)]

    def begin_state(self, batch_size: int = 0, func: Callable = nd.zeros, **kwargs: Any) -> list:
        """The initial states, ``func(shape=..., **kwargs)`` for each entry of ``state_info``."""
        return [
            func(name=f"{self.prefix}h0_{i}", **dict(info, **kwargs))
            for i, info in enumerate(self.state_info(batch_size))
        ]

    def _zero_states(self, inputs: Any) -> list:
        batch = inputs.shape[self._layout.find("N")]
        return self.begin_state(batch, ctx=inputs.context, dtype=inputs.dtype)

    # ---- calling ------------------------------------------------------------------------------
    def __call__(
        self, inputs: Any, states: Any = None, sequence_length: Any = None, **kwargs: Any
    ) -> Any:
        lengths = () if sequence_length is None else (sequence_length,)
        if states is not None:
            return super().__call__(inputs, states, *lengths, **kwargs)
        # zeros made outside forward, so a traced forward takes the states as an input
        output, _ = super().__call__(inputs, self._zero_states(inputs), *lengths, **kwargs)
        return output

    def infer_shape(self, inputs: Any, *args: Any) -> None:
        """The first layer's input size is the last axis of the input."""
        self._check_input(inputs)
        for d in "lr"[: self._dir]:
            param = getattr(self, f"{d}0_i2h_weight")
            param.shape = (param.shape[0], inputs.shape[2])

    def _check_input(self, inputs: Any) -> None:
        if inputs.ndim != 3:
            raise ShapeError(
                f"{type(self).__name__}: the input must have 3 axes ({self._layout}), got shape "
                f"{tuple(inputs.shape)}"
            )

    def _check_states(self, states: list, batch: int) -> None:
        infos = self.state_info(batch)
        shapes = [tuple(s.shape) for s in states]
        expected = [info["shape"] for info in infos]
        if shapes != expected:
            raise ShapeError(
                f"{type(self).__name__}: invalid recurrent states: expected shapes {expected}, "
                f"got {shapes} (a list: [h] for RNN/GRU, [h, c] for LSTM; each "
                "(num_layers * directions, batch, hidden))"
            )

    def forward(self, inputs: Any, states: Any = None, sequence_length: Any = None) -> Any:
        """``output`` when no states are given, else ``(output, new_states)``. The output is
        (T, N, dirs·H) in TNC layout ((N, T, dirs·H) in NTC)."""
        if states is None:
            return self.forward(inputs, self._zero_states(inputs), sequence_length)[0]
        self._check_input(inputs)
        if (sequence_length is not None) != self._use_sequence_length:
            raise MXNetValueError(
                f"{type(self).__name__}: pass sequence_length exactly when the layer was "
                f"created with use_sequence_length=True (it is {self._use_sequence_length})"
            )
        states = [states] if isinstance(states, nd.NDArray) else list(states)
        self._check_states(states, inputs.shape[self._layout.find("N")])
        x = inputs if self._layout == "TNC" else nd.swapaxes(inputs, 0, 1)
        x, new_states = self._run(x, states, sequence_length)
        return (x if self._layout == "TNC" else nd.swapaxes(x, 0, 1)), new_states

    # ---- the recurrence -----------------------------------------------------------------------
    def _run(self, x: Any, states: list, lengths: Any) -> tuple[Any, list]:
        """All layers over (T, N, C) inputs; the final states are stacked in row order
        l0-fwd, l0-bwd, l1-fwd, ..."""
        finals: list[list] = [[] for _ in states]
        for layer in range(self._num_layers):
            outputs = []
            for d in range(self._dir):
                row = layer * self._dir + d
                begin = [P.getitem(s, key=(row,)) for s in states]
                y, last = self._direction(x, begin, f"{'lr'[d]}{layer}_", d == 1, lengths)
                outputs.append(y)
                for kept, state in zip(finals, last):
                    kept.append(state)
            x = outputs[0] if self._dir == 1 else nd.concat(*outputs, dim=2)
            if self._dropout and layer < self._num_layers - 1:
                x = nd.Dropout(x, p=self._dropout)
        return x, [nd.stack(*kept, axis=0) for kept in finals]

    def _weights(self, tag: str, ctx: Any) -> dict:
        kinds = ("i2h_weight", "h2h_weight", "i2h_bias", "h2h_bias")
        kinds += ("h2r_weight",) if self._projection_size else ()
        return {kind: getattr(self, tag + kind).data(ctx) for kind in kinds}

    def _direction(self, x: Any, states: list, tag: str, backward: bool, lengths: Any):
        """One layer in one direction: its (T, N, H) outputs and final states."""
        w = self._weights(tag, x.context)
        by_length = backward and lengths is not None
        if by_length:  # reverse each sequence's valid part, run forward, reverse back
            x = nd.SequenceReverse(x, sequence_length=lengths, use_sequence_length=True)
        steps, width = x.shape[0], x.shape[2]
        if width != w["i2h_weight"].shape[1]:
            raise ShapeError(
                f"{type(self).__name__}: {tag}i2h_weight {tuple(w['i2h_weight'].shape)} expects "
                f"{w['i2h_weight'].shape[1]} input features, got inputs of shape {tuple(x.shape)}"
            )
        pre = unstack(self._input_projection(x, w))
        step = self._step(w)
        order = range(steps - 1, -1, -1) if backward and not by_length else range(steps)
        outputs, history = [None] * steps, []
        for t in order:
            states = step(pre[t], states)
            outputs[t] = states[0]
            if lengths is not None:
                history.append(states)
        y = nd.stack(*outputs, axis=0)
        if lengths is None:
            return y, states
        y = nd.SequenceMask(y, sequence_length=lengths, use_sequence_length=True, axis=0)
        if by_length:
            y = nd.SequenceReverse(y, sequence_length=lengths, use_sequence_length=True)
        return y, last_valid(history, lengths)

    def _input_projection(self, x: Any, w: dict) -> Any:
        """``x W_ih^T + b`` for all time steps in one product (T, N, G·H). The h2h bias joins
        it here except for GRU, whose reset gate multiplies the h2h bias too."""
        steps, batch, width = x.shape
        bias = w["i2h_bias"] if self._mode == "gru" else P.add(w["i2h_bias"], w["h2h_bias"])
        flat = P.matmul(P.reshape(x, newshape=(steps * batch, width)), P.transpose(w["i2h_weight"]))
        return P.reshape(P.add(flat, bias), newshape=(steps, batch, -1))

    def _step(self, w: dict) -> Callable[[Any, list], list]:
        """``step(pre_t, states) -> new states`` for this layer's mode and weights."""
        h2h = P.transpose(w["h2h_weight"])
        if self._mode == "gru":
            bias = w["h2h_bias"]

            def gru(pre: Any, states: list) -> list:
                hg = P.add(P.matmul(states[0], h2h), bias)
                return [gru_update(pre, hg, states[0], _TANH, _SIGMOID)]

            return gru
        if self._mode == "lstm":
            h2r = P.transpose(w["h2r_weight"]) if self._projection_size else None

            def lstm(pre: Any, states: list) -> list:
                gates = P.add(pre, P.matmul(states[0], h2h))
                h, c = lstm_update(gates, states[1], _TANH, _SIGMOID, self._clip)
                return [h if h2r is None else P.matmul(h, h2r), c]

            return lstm
        act = activation(self._mode[4:])
        return lambda pre, states: [act(P.add(pre, P.matmul(states[0], h2h)))]


class RNN(_RNNLayer):
    """Multi-layer Elman RNN: ``h' = act(W_ih x + b_ih + W_hh h + b_hh)``, act 'relu' or
    'tanh'. States: [h] of shape (num_layers·dirs, N, H)."""

    def __init__(
        self,
        hidden_size: int,
        num_layers: int = 1,
        activation: str = "relu",
        layout: str = "TNC",
        dropout: float = 0,
        bidirectional: bool = False,
        i2h_weight_initializer: Any = None,
        h2h_weight_initializer: Any = None,
        i2h_bias_initializer: Any = "zeros",
        h2h_bias_initializer: Any = "zeros",
        input_size: int = 0,
        dtype: Any = "float32",
        **kwargs: Any,
    ) -> None:
        super().__init__(
            hidden_size,
            num_layers,
            layout,
            dropout,
            bidirectional,
            input_size,
            i2h_weight_initializer,
            h2h_weight_initializer,
            i2h_bias_initializer,
            h2h_bias_initializer,
            "rnn_" + activation,
            dtype=dtype,
            **kwargs,
        )


class LSTM(_RNNLayer):
    """Multi-layer LSTM, gates [i, f, g, o]. States: [h, c], each (num_layers·dirs, N, H)
    (h is (…, N, projection_size) with a projection, LSTMP: ``h = W_hr (o·tanh(c))``)."""

    def __init__(
        self,
        hidden_size: int,
        num_layers: int = 1,
        layout: str = "TNC",
        dropout: float = 0,
        bidirectional: bool = False,
        input_size: int = 0,
        i2h_weight_initializer: Any = None,
        h2h_weight_initializer: Any = None,
        i2h_bias_initializer: Any = "zeros",
        h2h_bias_initializer: Any = "zeros",
        projection_size: int | None = None,
        h2r_weight_initializer: Any = None,
        state_clip_min: float | None = None,
        state_clip_max: float | None = None,
        state_clip_nan: bool = False,
        dtype: Any = "float32",
        **kwargs: Any,
    ) -> None:
        super().__init__(
            hidden_size,
            num_layers,
            layout,
            dropout,
            bidirectional,
            input_size,
            i2h_weight_initializer,
            h2h_weight_initializer,
            i2h_bias_initializer,
            h2h_bias_initializer,
            "lstm",
            projection_size,
            h2r_weight_initializer,
            state_clip_min,
            state_clip_max,
            state_clip_nan,
            dtype,
            **kwargs,
        )

    def state_info(self, batch_size: int = 0) -> list[dict]:
        h = self._state_spec(batch_size, self._projection_size or self._hidden_size)
        return [h, self._state_spec(batch_size, self._hidden_size)]


class GRU(_RNNLayer):
    """Multi-layer GRU, gates [r, z, n] with the reset gate applied after the h2h product
    (cuDNN's variant). States: [h] of shape (num_layers·dirs, N, H)."""

    def __init__(
        self,
        hidden_size: int,
        num_layers: int = 1,
        layout: str = "TNC",
        dropout: float = 0,
        bidirectional: bool = False,
        input_size: int = 0,
        i2h_weight_initializer: Any = None,
        h2h_weight_initializer: Any = None,
        i2h_bias_initializer: Any = "zeros",
        h2h_bias_initializer: Any = "zeros",
        dtype: Any = "float32",
        **kwargs: Any,
    ) -> None:
        super().__init__(
            hidden_size,
            num_layers,
            layout,
            dropout,
            bidirectional,
            input_size,
            i2h_weight_initializer,
            h2h_weight_initializer,
            i2h_bias_initializer,
            h2h_bias_initializer,
            "gru",
            dtype=dtype,
            **kwargs,
        )
