"""The decorator for MXNet-named operator compositions (``FullyConnected``, ``Convolution``...).

It adds MXNet's ``out=`` and ``name=`` keywords, and while a hybridize trace is active it marks
the call as one region of the graph — its MXNet name, its array inputs in MXNet's order and its
other arguments as attributes — so that ``export`` can write it as one MXNet node.
"""
from __future__ import annotations

import functools
import inspect
from typing import Any, Callable

from . import dispatch
from .dispatch import ArrayBase

__all__ = ["mx_operator"]


def _inputs_and_attrs(sig: inspect.Signature, args: tuple, kwargs: dict) -> tuple[list, dict]:
    bound = sig.bind(*args, **kwargs)
    inputs, attrs = [], {}
    for pname, value in bound.arguments.items():
        kind = sig.parameters[pname].kind
        values = value if kind is inspect.Parameter.VAR_POSITIONAL else (value,)
        if kind is inspect.Parameter.VAR_KEYWORD:
            attrs.update({k: v for k, v in value.items() if not isinstance(v, ArrayBase)})
            continue
        for v in values:
            if isinstance(v, ArrayBase):
                inputs.append(v)
            elif v is not None and kind is not inspect.Parameter.VAR_POSITIONAL:
                attrs[pname] = v
    return inputs, attrs


def mx_operator(fn: Callable[..., Any] | None = None, *, mx_name: str | None = None):
    """Decorate an MXNet operator composition (optionally naming the MXNet op it exports as)."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        op_name = mx_name or fn.__name__
        sig = inspect.signature(fn)

        @functools.wraps(fn)
        def wrapper(*args: Any, out: Any = None, name: str | None = None, **kwargs: Any) -> Any:
            hook = dispatch.trace_hook
            if hook is None or not hasattr(hook, "enter_region"):
                result = fn(*args, **kwargs)
            else:
                inputs, attrs = _inputs_and_attrs(sig, args, kwargs)
                region = hook.enter_region(op_name, inputs, attrs)
                result = None
                try:
                    result = fn(*args, **kwargs)
                finally:
                    hook.exit_region(region, result if result is not None else ())
            return result if out is None else result.copyto(out)

        wrapper.mx_name = op_name
        return wrapper

    return decorate(fn) if fn is not None else decorate
