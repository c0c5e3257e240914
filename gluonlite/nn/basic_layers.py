"""Basic layers (MXNet 1.x ``gluon.nn``): Dense, Dropout, Embedding, Flatten, Identity.

Each layer is a thin HybridBlock over one ``nd`` operator; parameters with an unknown input
size are created with a 0 dimension and sized by ``infer_shape`` at the first forward. The
small helpers here (parameter creation, shape-tuple parsing, MXNet-style reprs) are shared by
the other layer modules.
"""

from __future__ import annotations

import math
from typing import Any

from .. import ndarray as nd
from ..errors import MXNetValueError
from .activations import Activation
from .block import Block, HybridBlock
from .parameter import Parameter

__all__ = ["Dense", "Dropout", "Embedding", "Flatten", "Identity"]


def new_param(block: Block, name: str, **kwargs: Any) -> Parameter:
    """Create parameter ``name`` of ``block`` (or take it from the ``params=`` dict the block was
    given, MXNet 1.x weight sharing such as ``Dense(..., params=embedding.params)``)."""
    return block._params.get(name, **kwargs)


def as_tuple(value: Any, n: int, what: str, layer: str) -> tuple[int, ...]:
    """An int or a sequence of ``n`` ints as an n-tuple (MXNet accepts both for sizes)."""
    if isinstance(value, int):
        return (value,) * n
    value = tuple(int(v) for v in value)
    if len(value) != n:
        raise MXNetValueError(f"{layer}: {what}={value} must be an int or a sequence of {n} ints")
    return value


def format_kwargs(name: str, kwargs: dict, **extra: Any) -> str:
    """``Name(k=v, ...)`` in MXNet's style (values by repr)."""
    items = [f"{k}={v!r}" for k, v in kwargs.items()]
    items += [f"{k}={v}" for k, v in extra.items()]
    return f"{name}({', '.join(items)})"


def make_activation(activation: Any) -> Block | None:
    """The layer's ``activation=`` argument as a child block (a name like 'relu' or a Block)."""
    if activation is None or isinstance(activation, Block):
        return activation
    return Activation(activation)


class Dense(HybridBlock):
    """Fully connected layer: ``activation(x @ weight.T + bias)``, weight (units, in_units).

    ``flatten=True`` first reshapes the input to (N, -1); otherwise the product acts on the
    last axis. ``in_units=0`` infers the input size at the first forward."""

    def __init__(
        self,
        units: int,
        activation: Any = None,
        use_bias: bool = True,
        flatten: bool = True,
        dtype: Any = "float32",
        weight_initializer: Any = None,
        bias_initializer: Any = "zeros",
        in_units: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._units, self._flatten = int(units), flatten
        self.weight = new_param(
            self,
            "weight",
            shape=(units, in_units),
            init=weight_initializer,
            dtype=dtype,
            allow_deferred_init=True,
        )
        self.bias = None
        if use_bias:
            self.bias = new_param(
                self,
                "bias",
                shape=(units,),
                init=bias_initializer,
                dtype=dtype,
                allow_deferred_init=True,
            )
        self.act = make_activation(activation)

    def infer_shape(self, x: Any, *args: Any) -> None:
        in_units = math.prod(x.shape[1:]) if self._flatten else x.shape[-1]
        self.weight.shape = (self._units, in_units)

    def forward(self, x: Any) -> Any:
        ctx = x.context
        bias = self.bias
        y = nd.FullyConnected(
            x,
            self.weight.data(ctx),
            None if bias is None else bias.data(ctx),
            num_hidden=self._units,
            no_bias=bias is None,
            flatten=self._flatten,
        )
        return y if self.act is None else self.act(y)

    def __repr__(self) -> str:
        units, in_units = self.weight.shape
        act = "linear" if self.act is None else self.act
        return f"{type(self).__name__}({in_units or None} -> {units}, {act})"


class Dropout(HybridBlock):
    """Zero a fraction ``rate`` of the inputs (scaling the rest by 1/(1-rate)) in training mode;
    the identity in predict mode. ``axes`` share one mask value along those axes."""

    def __init__(self, rate: float, axes: Any = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not 0.0 <= rate <= 1.0:
            raise MXNetValueError(f"Dropout: rate={rate} must be in [0, 1]")
        self._rate, self._axes = rate, axes

    def forward(self, x: Any) -> Any:
        if self._rate == 0:
            return x
        return nd.Dropout(x, p=self._rate, axes=self._axes)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p = {self._rate}, axes={self._axes})"


class Embedding(HybridBlock):
    """Look up rows of weight (input_dim, output_dim) by the (float or int) indices in the input;
    the output has shape ``x.shape + (output_dim,)``."""

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        dtype: Any = "float32",
        weight_initializer: Any = None,
        sparse_grad: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._kwargs = {
            "input_dim": input_dim,
            "output_dim": output_dim,
            "dtype": dtype,
            "sparse_grad": sparse_grad,
        }
        self.weight = new_param(
            self,
            "weight",
            shape=(input_dim, output_dim),
            init=weight_initializer,
            dtype=dtype,
            allow_deferred_init=True,
            grad_stype="row_sparse" if sparse_grad else "default",
        )

    def forward(self, x: Any) -> Any:
        return nd.Embedding(x, self.weight.data(x.context), **self._kwargs)

    def __repr__(self) -> str:
        k = self._kwargs
        return f"{type(self).__name__}({k['input_dim']} -> {k['output_dim']}, {k['dtype']})"


class Flatten(HybridBlock):
    """Reshape (N, d1, d2, ...) to (N, d1*d2*...)."""

    def forward(self, x: Any) -> Any:
        return nd.flatten(x)

    def __repr__(self) -> str:
        return type(self).__name__


class Identity(HybridBlock):
    """Return the input unchanged (a placeholder layer)."""

    def forward(self, x: Any) -> Any:
        return x
