"""Matching loaded arrays to parameters by name, with errors that name every mismatch."""
from __future__ import annotations

from typing import Any

from ..errors import MXNetValueError
from .parameter import Parameter

__all__ = ["assign_loaded"]


def assign_loaded(
    params: dict[str, Parameter],
    loaded: dict[str, Any],
    filename: str,
    ctx: Any = None,
    allow_missing: bool = False,
    ignore_extra: bool = False,
    cast_dtype: bool = False,
    dtype_source: str = "current",
) -> None:
    """Copy ``loaded[name]`` into ``params[name]`` for every name, initialising parameters that
    have no data yet (on ``ctx``) and checking shapes."""
    missing = [n for n in params if n not in loaded]
    if missing and not allow_missing:
        raise MXNetValueError(
            f"{filename} has no values for parameters {missing} (it has {sorted(loaded)}). "
            "Pass allow_missing=True to keep their current values"
        )
    extra = [n for n in loaded if n not in params]
    if extra and not ignore_extra:
        raise MXNetValueError(
            f"{filename} has values {extra} that match no parameter of this model (its "
            f"parameters are {list(params)}). Pass ignore_extra=True to skip them"
        )
    mismatched = []
    for name, param in params.items():
        if name not in loaded:
            continue
        value = loaded[name]
        if param.shape is not None and len(param.shape) == value.ndim and all(
            d in (0, v) for d, v in zip(param.shape, value.shape)
        ):
            continue
        if param.shape is not None:
            mismatched.append(f"'{name}': model {param.shape} vs file {tuple(value.shape)}")
    if mismatched:
        raise MXNetValueError(
            f"shape mismatch loading {filename}: " + "; ".join(mismatched)
        )
    for name, param in params.items():
        if name not in loaded:
            continue
        value = loaded[name]
        if cast_dtype and dtype_source == "saved":
            param.cast(value.dtype)
        elif value.dtype != param.dtype:
            value = value.astype(param.dtype)
        if param._data is None:
            param.shape = value.shape
            if param._deferred is None:
                param.initialize(ctx=ctx)
            param.set_data(value)
        else:
            param.set_data(value)
        if ctx is not None and param.list_ctx() != (ctx if isinstance(ctx, list) else [ctx]):
            param.reset_ctx(ctx)
