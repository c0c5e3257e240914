"""Containers and function wrappers: Sequential, HybridSequential, Lambda, HybridLambda."""
from __future__ import annotations

from typing import Any, Callable

from ..errors import MXNetValueError
from .block import Block, HybridBlock

__all__ = ["Sequential", "HybridSequential", "Lambda", "HybridLambda"]


class _SequentialMixin:
    """Children run one after the other; each output feeds the next."""

    def add(self, *blocks: Block) -> None:
        """Append blocks (named '0', '1', ... in order)."""
        for block in blocks:
            self.register_child(block)

    def forward(self, x: Any, *args: Any) -> Any:
        for block in self._children.values():
            x = block(x, *args)
            args = ()
            if isinstance(x, (tuple, list)):
                x, *args = x
        return (x, *args) if args else x

    def __getitem__(self, key: int | slice) -> Any:
        layers = list(self._children.values())[key]
        if isinstance(key, slice):
            net = type(self)()
            net.add(*layers)
            return net
        return layers

    def __len__(self) -> int:
        return len(self._children)


class Sequential(_SequentialMixin, Block):
    """Stack Blocks sequentially."""


class HybridSequential(_SequentialMixin, HybridBlock):
    """Stack HybridBlocks sequentially; hybridizable as a whole."""

    def add(self, *blocks: Block) -> None:
        for block in blocks:
            if not isinstance(block, HybridBlock):
                raise MXNetValueError(
                    f"HybridSequential can only hold HybridBlocks, got {type(block).__name__}; "
                    "use Sequential for plain Blocks"
                )
        super().add(*blocks)


def _resolve(function: str | Callable, kind: str) -> Callable:
    if isinstance(function, str):
        from .. import ndarray

        fn = getattr(ndarray, function, None)
        if fn is None:
            raise MXNetValueError(f"{kind}: no operator named {function!r} in nd")
        return fn
    if not callable(function):
        raise MXNetValueError(f"{kind} needs a callable or an operator name, got {function!r}")
    return function


class Lambda(Block):
    """Wrap a function ``fn(*inputs)`` (or the name of an ``nd`` operator) as a Block."""

    def __init__(self, function: str | Callable, prefix: str | None = None) -> None:
        super().__init__(prefix)
        self._func = _resolve(function, "Lambda")
        self._func_name = function if isinstance(function, str) else function.__name__

    def forward(self, *args: Any) -> Any:
        return self._func(*args)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._func_name})"


class HybridLambda(HybridBlock):
    """Wrap ``fn(F, *inputs)`` (or the name of an ``nd`` operator) as a HybridBlock."""

    def __init__(self, function: str | Callable, prefix: str | None = None) -> None:
        super().__init__(prefix)
        if isinstance(function, str):
            op = _resolve(function, "HybridLambda")
            self._func = lambda F, *args: op(*args)
        else:
            self._func = _resolve(function, "HybridLambda")
        self._func_name = function if isinstance(function, str) else function.__name__

    def forward(self, *args: Any) -> Any:
        from .. import ndarray as F

        return self._func(F, *args)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._func_name})"
