"""Graph passes over a straight-line list of equations: dead-code elimination, common
subexpression elimination and constant folding. Side effects (ops that mutate an input) and
random draws are never removed, merged or folded, so replays keep eager semantics."""
from __future__ import annotations

from typing import Any, Iterable

import numpy

from .graph import Eqn, Literal, Var

__all__ = ["dce", "cse", "fold_constants", "transpose_matmul", "optimize"]


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


def _literal_key(value: Any) -> tuple:
    """A literal's CSE key: its type and, for floats, its spelling, so that 1, 1.0 and True
    (which promote differently) and 0.0 and -0.0 (which divide differently) never merge."""
    shown = repr(value) if isinstance(value, float) else _freeze(value)
    return ("l", type(value).__name__, shown)


def _axes(axes: Any, ndim: int) -> tuple[int, ...]:
    return tuple(reversed(range(ndim))) if axes is None else tuple(a % ndim for a in axes)


def _compose_transposes(eqn: Eqn, transposes: dict[Var, Eqn]) -> Eqn:
    """``transpose(transpose(x, a), b)`` as one ``transpose(x, a∘b)`` (gradient rules and the
    matmul rewrite emit such pairs)."""
    src = eqn.ins[0] if eqn.ins else None
    inner = transposes.get(src) if eqn.op.name == "transpose" else None
    if inner is None:
        return eqn
    first = _axes(inner.attrs.get("axes"), src.ndim)
    axes = tuple(first[a] for a in _axes(eqn.attrs.get("axes"), src.ndim))
    return Eqn(eqn.op, inner.ins, {**eqn.attrs, "axes": axes}, eqn.outs)


def _identity(eqn: Eqn) -> bool:
    """A reshape to the shape it already has, or a transpose that keeps the axis order
    (gradient rules emit these)."""
    if eqn.op.name not in ("reshape", "transpose"):
        return False
    src = eqn.ins[0] if eqn.ins else None
    if not isinstance(src, Var) or src.shape != eqn.outs[0].shape:
        return False
    if eqn.op.name == "transpose":
        return _axes(eqn.attrs.get("axes"), src.ndim) == tuple(range(src.ndim))
    return eqn.op.name == "reshape" and src.perm == eqn.outs[0].perm


def cse(eqns: list[Eqn], apart: frozenset[Var] = frozenset()) -> tuple[list[Eqn], dict[Var, Var]]:
    """Merge equations with the same op, inputs and attributes, and drop identity reshapes;
    returns the new list and the replacement map for removed outputs. Equations producing a
    Var in ``apart`` (backward recomputations) are never merged into an earlier twin."""
    seen: dict[Any, Eqn] = {}
    replace: dict[Var, Var] = {}
    transposes: dict[Var, Eqn] = {}
    out = []
    for eqn in eqns:
        ins = tuple(replace.get(v, v) if isinstance(v, Var) else v for v in eqn.ins)
        eqn = _compose_transposes(Eqn(eqn.op, ins, eqn.attrs, eqn.outs), transposes)
        if _identity(eqn):
            replace[eqn.outs[0]] = eqn.ins[0]
            continue
        if eqn.op.name == "transpose":
            transposes[eqn.outs[0]] = eqn
        if _effectful(eqn):
            out.append(eqn)
            continue
        key = (eqn.op.name,
               tuple(("v", v.id) if isinstance(v, Var) else _literal_key(v.value) for v in ins),
               _freeze(eqn.attrs))
        twin = None if apart.intersection(eqn.outs) else seen.get(key)
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


def _is_swap(eqn: Eqn) -> bool:
    """A transpose that swaps the two axes of a matrix."""
    axes = eqn.attrs.get("axes")
    return eqn.op.name == "transpose" and eqn.outs[0].ndim == 2 and axes in (None, (1, 0))


def transpose_matmul(eqns: list[Eqn], keep: set[Var]) -> list[Eqn]:
    """Rewrite ``t = transpose(matmul(a, b))`` as ``t = matmul(b.T, a.T)`` when the product is
    used only there: BLAS reads transposed operands for free, and ``t`` becomes a product the
    planner can place in a buffer of its own (a weight gradient lands in the gradient buffer
    in the right layout instead of being copied)."""
    producer = {o: i for i, e in enumerate(eqns) for o in e.outs}
    uses: dict[Var, int] = {}
    for e in eqns:
        for v in e.ins:
            if isinstance(v, Var):
                uses[v] = uses.get(v, 0) + 1
    out = list(eqns)
    for i, eqn in enumerate(eqns):
        src = eqn.ins[0] if eqn.ins else None
        if not _is_swap(eqn) or not isinstance(src, Var) or uses.get(src) != 1 or src in keep:
            continue
        j = producer.get(src)
        prod = eqns[j] if j is not None else None
        if prod is None or prod.op.name != "matmul" or prod.outs[0].ndim != 2:
            continue
        a, b = prod.ins
        if not (isinstance(a, Var) and isinstance(b, Var) and a.ndim == 2 and b.ndim == 2):
            continue
        swap = prod.op  # registry lookups stay out of this module: reuse the ops at hand
        bt, at = Var((b.shape[1], b.shape[0]), b.dtype), Var((a.shape[1], a.shape[0]), a.dtype)
        out[j] = None
        out[i] = [Eqn(eqn.op, (b,), {"axes": None}, (bt,)),
                  Eqn(eqn.op, (a,), {"axes": None}, (at,)),
                  Eqn(swap, (bt, at), dict(prod.attrs), eqn.outs)]
    flat: list[Eqn] = []
    for item in out:
        if isinstance(item, list):
            flat.extend(item)
        elif item is not None:
            flat.append(item)
    return flat


def substitute(vars_: list[Var | None], replace: dict[Var, Var]) -> list[Var | None]:
    return [replace.get(v, v) if v is not None else None for v in vars_]


def optimize(eqns: list[Eqn], consts: dict[Var, Any], roots: list[Var], xp: Any,
             apart: frozenset[Var] = frozenset()) -> tuple[list[Eqn], dict[Var, Var]]:
    """Constant folding, CSE (``apart`` as in :func:`cse`), the transpose(matmul) rewrite, CSE
    again, then DCE; returns equations and the Var replacement map."""
    eqns = fold_constants(eqns, consts, xp)
    eqns, replace = cse(eqns, apart)
    roots = substitute(roots, replace)
    eqns = transpose_matmul(eqns, {v for v in roots if v is not None})
    eqns, again = cse(eqns, apart)  # the rewrite's transposes of transposes fold away
    replace = {k: again.get(v, v) for k, v in replace.items()} | again
    roots = substitute(roots, again)
    eqns = dce(eqns, roots)
    return eqns, replace
