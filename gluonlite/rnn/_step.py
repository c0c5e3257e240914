"""One time step of each recurrence, shared by the cells and the layers so both compute the
same numbers (MXNet's gate orders: LSTM [i, f, g, o], GRU [r, z, n] with the reset gate applied
after the h2h product). Compositions of registered ops only: autograd flows through them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import ndarray as nd
from ..ops.indexing import ALL
from ..ops.registry import P

__all__ = ["activation", "columns", "gru_update", "lstm_update"]

Activation = Callable[[Any], Any]

_NAMED: dict[str, Activation] = {
    "tanh": lambda x: P.tanh(x),
    "relu": lambda x: P.relu(x),
    "sigmoid": lambda x: nd.sigmoid(x),
    "softsign": lambda x: nd.softsign(x),
}


def activation(spec: str | Callable) -> Activation:
    """The function for an activation given as an ``Activation`` act_type name, or as any
    callable (a function or a Block such as ``nn.LeakyReLU``)."""
    if isinstance(spec, str):
        return _NAMED.get(spec) or (lambda x: nd.Activation(x, act_type=spec))
    return spec


def columns(x: Any, start: int, stop: int) -> Any:
    """``x[:, start:stop]`` (a view): one gate block of a (N, G*H) pre-activation."""
    return P.getitem(x, key=(ALL, (start, stop, None)))


def lstm_update(
    gates: Any, c: Any, act: Activation, ract: Activation, clip: tuple | None = None
) -> tuple[Any, Any]:
    """``(h', c')`` from the summed pre-activations (N, 4H) and the cell state (N, H):
    ``c' = f·c + i·act(g)``, ``h' = o·act(c')``. ``clip`` = (min, max) bounds c'."""
    h = c.shape[-1]
    # the recurrent activation runs once over all four blocks: one op instead of three
    s = ract(gates)
    i, f, o = columns(s, 0, h), columns(s, h, 2 * h), columns(s, 3 * h, 4 * h)
    g = act(columns(gates, 2 * h, 3 * h))
    c = P.add(P.multiply(f, c), P.multiply(i, g))
    if clip is not None:
        c = P.clip(c, a_min=clip[0], a_max=clip[1])
    return P.multiply(o, act(c)), c


def gru_update(xg: Any, hg: Any, h: Any, act: Activation, ract: Activation) -> Any:
    """``h'`` from the input and hidden projections (each (N, 3H), each with its own bias):
    ``n = act(x_n + r·h_n)``, ``h' = (1-z)·n + z·h``, computed as ``n + z·(h - n)``."""
    size = h.shape[-1]
    rz = ract(P.add(columns(xg, 0, 2 * size), columns(hg, 0, 2 * size)))
    r, z = columns(rz, 0, size), columns(rz, size, 2 * size)
    n = act(P.add(columns(xg, 2 * size, 3 * size), P.multiply(r, columns(hg, 2 * size, 3 * size))))
    return P.add(n, P.multiply(z, P.subtract(h, n)))
