"""Checkpoints in MXNet 1.x's format (``mx.model``): ``prefix-symbol.json`` plus
``prefix-%04d.params`` holding ``arg:``/``aux:`` arrays, and the batch-end record."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

__all__ = ["BatchEndParam", "load_checkpoint", "load_params", "save_checkpoint"]

BatchEndParam = namedtuple("BatchEndParams", ["epoch", "nbatch", "eval_metric", "locals"])


def save_checkpoint(
    prefix: str,
    epoch: int,
    symbol: Any,
    arg_params: dict,
    aux_params: dict,
    remove_amp_cast: bool = True,
) -> None:
    """Write ``prefix-symbol.json`` (when ``symbol`` is given) and ``prefix-%04d.params``."""
    from .. import ndarray as nd
    from ..context import cpu

    if symbol is not None:
        symbol.save(f"{prefix}-symbol.json", remove_amp_cast=remove_amp_cast)
    arrays = {f"arg:{k}": v.as_in_context(cpu()) for k, v in arg_params.items()}
    arrays.update({f"aux:{k}": v.as_in_context(cpu()) for k, v in aux_params.items()})
    nd.save(f"{prefix}-{epoch:04d}.params", arrays)


def load_params(prefix: str, epoch: int) -> tuple[dict, dict]:
    """(arg_params, aux_params) from ``prefix-%04d.params``."""
    from .. import ndarray as nd

    arg_params, aux_params = {}, {}
    for key, value in nd.load(f"{prefix}-{epoch:04d}.params").items():
        kind, _, name = key.partition(":")
        if kind == "arg":
            arg_params[name] = value
        elif kind == "aux":
            aux_params[name] = value
    return arg_params, aux_params


def load_checkpoint(prefix: str, epoch: int) -> tuple[Any, dict, dict]:
    """(symbol, arg_params, aux_params) saved by ``save_checkpoint`` (or by MXNet)."""
    from ..hybrid.symbol import load

    symbol = load(f"{prefix}-symbol.json")
    arg_params, aux_params = load_params(prefix, epoch)
    return symbol, arg_params, aux_params
