"""Functional autograd entry points: ``backward``, ``grad`` and ``mark_variables``."""
from __future__ import annotations

from typing import Any, Sequence

from ..errors import MXNetValueError
from .engine import run_backward
from .tape import Leaf

__all__ = ["backward", "grad", "mark_variables"]


def _as_list(x: Any) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def backward(
    heads: Any, head_grads: Any = None, retain_graph: bool = False, train_mode: bool = True
) -> None:
    """Backpropagate from ``heads`` (one array or a list) into every variable's ``.grad``."""
    heads = _as_list(heads)
    hg = None if head_grads is None else _as_list(head_grads)
    run_backward(heads, hg, retain_graph=retain_graph)


def grad(
    heads: Any,
    variables: Any,
    head_grads: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    train_mode: bool = True,
) -> list:
    """Gradients of ``heads`` with respect to ``variables``, returned as a list (``.grad`` is not
    touched). With ``create_graph=True`` the results are recorded, so they can be differentiated
    again (higher-order derivatives)."""
    heads = _as_list(heads)
    hg = None if head_grads is None else _as_list(head_grads)
    if retain_graph is None:
        retain_graph = create_graph
    out = run_backward(
        heads, hg, retain_graph=retain_graph, create_graph=create_graph,
        variables=_as_list(variables),
    )
    return out


def mark_variables(variables: Any, gradients: Any, grad_reqs: str | Sequence[str] = "write") -> None:
    """Make ``variables`` leaves whose gradients go into the given ``gradients`` buffers."""
    variables, gradients = _as_list(variables), _as_list(gradients)
    if len(variables) != len(gradients):
        raise MXNetValueError(
            f"mark_variables: {len(variables)} variables but {len(gradients)} gradient buffers"
        )
    reqs = [grad_reqs] * len(variables) if isinstance(grad_reqs, str) else list(grad_reqs)
    for var, buf, req in zip(variables, gradients, reqs):
        var._entry = None if req == "null" else (Leaf(buf, req), 0)
