"""Recurrent networks (MXNet's ``gluon.rnn``): cells that compute one time step and unroll
over a sequence, and fused-style layers (``RNN``, ``LSTM``, ``GRU``) that run whole
multi-layer, optionally bidirectional sequences. Built on ``nn`` Blocks and ``nd`` operators
only, so autograd (and hybridize) see ordinary operator calls."""

from .cell_containers import (
    BidirectionalCell,
    DropoutCell,
    HybridSequentialRNNCell,
    ModifierCell,
    ResidualCell,
    SequentialRNNCell,
    ZoneoutCell,
)
from .rnn_cell import GRUCell, HybridRecurrentCell, LSTMCell, RecurrentCell, RNNCell
from .rnn_layer import GRU, LSTM, RNN

__all__ = [
    "GRU",
    "LSTM",
    "RNN",
    "BidirectionalCell",
    "DropoutCell",
    "GRUCell",
    "HybridRecurrentCell",
    "HybridSequentialRNNCell",
    "LSTMCell",
    "ModifierCell",
    "RNNCell",
    "RecurrentCell",
    "ResidualCell",
    "SequentialRNNCell",
    "ZoneoutCell",
]
