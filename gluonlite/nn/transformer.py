"""Attention layers (extras: MXNet 1.x keeps these in GluonNLP): MultiHeadAttention and
TransformerEncoderLayer, batch-major (N, T, C) and composed of Dense, LayerNorm and Dropout."""

from __future__ import annotations

import math
from typing import Any

from .. import ndarray as nd
from ..errors import MXNetValueError
from .basic_layers import Dense, Dropout
from .block import HybridBlock
from .norm_layers import LayerNorm

__all__ = ["MultiHeadAttention", "TransformerEncoderLayer"]

_MASKED = -1e9  # finite, so a fully masked row gives a uniform softmax rather than NaN


class MultiHeadAttention(HybridBlock):
    """Scaled dot-product attention over ``num_heads`` heads of size units/num_heads.

    ``forward(query, key=None, value=None, mask=None)``: query (N, Tq, C), key and value
    (N, Tk, C) (default: the query, i.e. self-attention); ``mask`` broadcasts to (N, Tq, Tk)
    with 1 where attending is allowed. Returns (N, Tq, units)."""

    def __init__(
        self,
        units: int,
        num_heads: int,
        dropout: float = 0.0,
        use_bias: bool = True,
        weight_initializer: Any = None,
        bias_initializer: Any = "zeros",
        in_units: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if units % num_heads:
            raise MXNetValueError(
                f"MultiHeadAttention: num_heads={num_heads} must divide units={units}"
            )
        self._units, self._heads = units, num_heads
        proj = {
            "flatten": False,
            "use_bias": use_bias,
            "weight_initializer": weight_initializer,
            "bias_initializer": bias_initializer,
        }
        self.query_proj = Dense(units, in_units=in_units, **proj)
        self.key_proj = Dense(units, in_units=in_units, **proj)
        self.value_proj = Dense(units, in_units=in_units, **proj)
        self.out_proj = Dense(units, in_units=units, **proj)
        self.dropout = Dropout(dropout)

    def _split_heads(self, x: Any) -> Any:
        """(N, T, units) -> (N*heads, T, units/heads)."""
        n, t, _ = x.shape
        x = nd.reshape(x, (n, t, self._heads, -1))
        return nd.reshape(nd.transpose(x, axes=(0, 2, 1, 3)), (n * self._heads, t, -1))

    def forward(self, query: Any, key: Any = None, value: Any = None, mask: Any = None) -> Any:
        key = query if key is None else key
        value = key if value is None else value
        n, tq, _ = query.shape
        q = self._split_heads(self.query_proj(query))
        k = self._split_heads(self.key_proj(key))
        v = self._split_heads(self.value_proj(value))
        scores = nd.batch_dot(q, k, transpose_b=True) * (1.0 / math.sqrt(q.shape[-1]))
        if mask is not None:
            scores = nd.reshape(scores, (n, self._heads, tq, -1))
            mask = nd.expand_dims(mask, axis=1)  # one mask for all heads
            scores = nd.reshape(nd.where(mask, scores, _MASKED), (n * self._heads, tq, -1))
        attn = self.dropout(nd.softmax(scores, axis=-1))
        out = nd.reshape(nd.batch_dot(attn, v), (n, self._heads, tq, -1))
        out = nd.reshape(nd.transpose(out, axes=(0, 2, 1, 3)), (n, tq, self._units))
        return self.out_proj(out)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(units={self._units}, num_heads={self._heads})"


class TransformerEncoderLayer(HybridBlock):
    """Self-attention then a position-wise feed-forward network (units -> hidden_size ->
    units), each wrapped in dropout, a residual connection and LayerNorm: after the residual
    (post-norm, the original Transformer) or before the sublayer (``pre_norm=True``)."""

    def __init__(
        self,
        units: int,
        hidden_size: int,
        num_heads: int,
        dropout: float = 0.0,
        activation: str = "relu",
        pre_norm: bool = False,
        layer_norm_eps: float = 1e-5,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._pre_norm = pre_norm
        self.attention = MultiHeadAttention(units, num_heads, dropout, in_units=units)
        self.ffn_1 = Dense(hidden_size, activation=activation, flatten=False, in_units=units)
        self.ffn_2 = Dense(units, flatten=False, in_units=hidden_size)
        self.dropout = Dropout(dropout)
        self.ln_1 = LayerNorm(epsilon=layer_norm_eps, in_channels=units)
        self.ln_2 = LayerNorm(epsilon=layer_norm_eps, in_channels=units)

    def _residual(self, x: Any, sublayer: Any, norm: Any) -> Any:
        if self._pre_norm:
            return x + self.dropout(sublayer(norm(x)))
        return norm(x + self.dropout(sublayer(x)))

    def forward(self, x: Any, mask: Any = None) -> Any:
        x = self._residual(x, lambda h: self.attention(h, mask=mask), self.ln_1)
        return self._residual(x, lambda h: self.ffn_2(self.ffn_1(h)), self.ln_2)
