"""Graph passes over a straight-line list of equations: dead-code elimination, common
subexpression elimination and constant folding. Side effects (ops that mutate an input) and
random draws are never removed, merged or folded, so replays keep eager semantics."""
from __future__ import annotations

from typing import Any, Iterable

import numpy

from .graph import Eqn, Literal, Var

__all__ = ["dce", "cse", "fold_constants", "optimize"]


def _effectful(eqn: Eqn) -> bool:
    return bool(eqn.op.mutates) or eqn.op.random


def dce(eqns: list[Eqn], roots: Iterable[Var]) -> list[Eqn]:
    """Keep only equations that feed ``roots`` or have side effects."""
    live = set(roots)
    kept = []
    for eqn in reversed(eqns):
        if _effectful(eqn) or any(o in live for o in eqn.outs):
            kept.append(eqn)
            live.update(v for v in eqn.ins if isinstance(v, Var))
    kept.reverse()
    return kept


def _freeze(value: Any) -> Any:
    """A hashable stand-in for an attribute value (lists, dicts, dtypes, arrays)."""
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, slice):
        return ("slice", value.start, value.stop, value.step)
    if isinstance(value, numpy.ndarray):
        return ("array", id(value))
    try:
        hash(value)
    except TypeError:
        return ("object", id(value))
    return value


def cse(eqns: list[Eqn]) -> tuple[list[Eqn], dict[Var, Var]]:
    """Merge equations with the same op, inputs and attributes; returns the new list and the
    replacement map for removed outputs."""
    seen: dict[Any, Eqn] = {}
    replace: dict[Var, Var] = {}
    out = []
    for eqn in eqns:
        ins = tuple(replace.get(v, v) if isinstance(v, Var) else v for v in eqn.ins)
        eqn = Eqn(eqn.op, ins, eqn.attrs, eqn.outs)
        if _effectful(eqn):
            out.append(eqn)
            continue
        key = (eqn.op.name,
               tuple(("v", v.id) if isinstance(v, Var) else ("l", _freeze(v.value)) for v in ins),
               _freeze(eqn.attrs))
        twin = seen.get(key)
        if twin is None:
            seen[key] = eqn
            out.append(eqn)
        else:
            replace.update(zip(eqn.outs, twin.outs))
    return out, replace


def fold_constants(eqns: list[Eqn], consts: dict[Var, Any], xp: Any) -> list[Eqn]:
    """Evaluate equations whose inputs are all constants or literals, adding their results to
    ``consts`` (in place) and dropping them from the list."""
    out = []
    for eqn in eqns:
        foldable = not _effectful(eqn) and all(
            isinstance(v, Literal) or v in consts for v in eqn.ins
        )
        if not foldable:
            out.append(eqn)
            continue
        args = [v.value if isinstance(v, Literal) else consts[v] for v in eqn.ins]
        attrs = {k: v for k, v in eqn.attrs.items() if k != "ctx"}
        result = eqn.op.forward(xp, *args, **attrs)
        results = result if len(eqn.outs) > 1 else (result,)
        for var, value in zip(eqn.outs, results):
            consts[var] = xp.asarray(value)
    return out


def substitute(vars_: list[Var | None], replace: dict[Var, Var]) -> list[Var | None]:
    return [replace.get(v, v) if v is not None else None for v in vars_]


def optimize(eqns: list[Eqn], consts: dict[Var, Any], roots: list[Var], xp: Any
             ) -> tuple[list[Eqn], dict[Var, Var]]:
    """Constant folding, CSE, then DCE; returns equations and the Var replacement map."""
    eqns = fold_constants(eqns, consts, xp)
    eqns, replace = cse(eqns)
    eqns = dce(eqns, substitute(roots, replace))
    return eqns, replace
