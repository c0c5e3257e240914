"""Activation layers (MXNet 1.x ``gluon.nn``): Activation, LeakyReLU, PReLU, ELU, SELU, GELU,
Swish, SiLU. Each is one ``nd`` operator or a short composition of them."""

from __future__ import annotations

import math
from typing import Any

from .. import init
from .. import ndarray as nd
from ..errors import MXNetValueError
from .block import HybridBlock

__all__ = ["ELU", "GELU", "SELU", "Activation", "LeakyReLU", "PReLU", "SiLU", "Swish"]

_PRELU_INIT = init.Constant(0.25)  # MXNet's default slope


class Activation(HybridBlock):
    """An elementwise activation by name: 'relu', 'sigmoid', 'tanh', 'softrelu', 'softsign'."""

    def __init__(self, activation: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._act_type = activation

    def forward(self, x: Any) -> Any:
        return nd.Activation(x, act_type=self._act_type)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._act_type})"


class LeakyReLU(HybridBlock):
    """``x`` for x > 0, ``alpha * x`` otherwise (alpha >= 0)."""

    def __init__(self, alpha: float, **kwargs: Any) -> None:
        if alpha < 0:
            raise MXNetValueError(f"LeakyReLU: the slope alpha={alpha} must be >= 0")
        super().__init__(**kwargs)
        self._alpha = alpha

    def forward(self, x: Any) -> Any:
        return nd.LeakyReLU(x, act_type="leaky", slope=self._alpha)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._alpha})"


class PReLU(HybridBlock):
    """Leaky ReLU with a learned slope ``alpha``: shape (1,) shared by all inputs, or
    (in_channels,) with one slope per channel (axis 1)."""

    def __init__(
        self, alpha_initializer: Any = _PRELU_INIT, in_channels: int = 1, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.alpha = self._params.get("alpha", shape=(in_channels,), init=alpha_initializer)

    def forward(self, x: Any) -> Any:
        return nd.LeakyReLU(x, gamma=self.alpha.data(x.context), act_type="prelu")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(in_channels={self.alpha.shape[0]})"


class ELU(HybridBlock):
    """``x`` for x > 0, ``alpha * (exp(x) - 1)`` otherwise."""

    def __init__(self, alpha: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._alpha = alpha

    def forward(self, x: Any) -> Any:
        return nd.LeakyReLU(x, act_type="elu", slope=self._alpha)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(alpha={self._alpha})"


class SELU(HybridBlock):
    """Scaled ELU with the self-normalizing constants (lambda 1.0507..., alpha 1.6732...)."""

    def forward(self, x: Any) -> Any:
        return nd.LeakyReLU(x, act_type="selu")


class GELU(HybridBlock):
    """``x * Phi(x)``: the exact erf form by default (MXNet's), or the tanh approximation."""

    def __init__(self, approximation: str = "erf", **kwargs: Any) -> None:
        if approximation not in ("erf", "tanh"):
            raise MXNetValueError(
                f"GELU: approximation must be 'erf' or 'tanh', not {approximation!r}"
            )
        super().__init__(**kwargs)
        self._approximation = approximation

    def forward(self, x: Any) -> Any:
        if self._approximation == "erf":
            return nd.LeakyReLU(x, act_type="gelu")
        inner = (x + x * x * x * 0.044715) * math.sqrt(2.0 / math.pi)
        return x * (nd.tanh(inner) + 1.0) * 0.5

    def __repr__(self) -> str:
        return f"{type(self).__name__}(approximation={self._approximation})"


class Swish(HybridBlock):
    """``x * sigmoid(beta * x)``."""

    def __init__(self, beta: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._beta = beta

    def forward(self, x: Any) -> Any:
        return x * nd.sigmoid(x * self._beta if self._beta != 1.0 else x)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(beta={self._beta})"


class SiLU(HybridBlock):
    """``x * sigmoid(x)`` (Swish with beta 1)."""

    def forward(self, x: Any) -> Any:
        return x * nd.sigmoid(x)
