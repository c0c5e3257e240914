"""Matrix products: ``matmul`` (NumPy semantics, batched) and ``einsum`` (opt_einsum paths)."""
from __future__ import annotations

import opt_einsum

from .registry import P, register
from .shape_utils import sum_to

__all__: list[str] = []


def _swap_last2(x):
    axes = tuple(range(x.ndim - 2)) + (x.ndim - 1, x.ndim - 2)
    return P.transpose(x, axes=axes)


def _as_matrices(g, a_shape, b_shape):
    """Views of a, b and g as (..., m, k), (..., k, n), (..., m, n) for 1-d operands."""
    a2 = a_shape if len(a_shape) > 1 else (1,) + tuple(a_shape)
    b2 = b_shape if len(b_shape) > 1 else tuple(b_shape) + (1,)
    g_shape = list(g.shape)
    if len(a_shape) == 1:
        g_shape.insert(len(g_shape) - (len(b_shape) > 1), 1)
    if len(b_shape) == 1:
        g_shape.append(1)
    return a2, b2, P.reshape(g, newshape=tuple(g_shape))


def _matmul_grad_a(g, ins, outs):
    a, b = ins
    a2, b2, g2 = _as_matrices(g, a.shape, b.shape)
    ga = P.matmul(g2, _swap_last2(P.reshape(b, newshape=b2)))
    return P.reshape(sum_to(ga, a2), newshape=a.shape)


def _matmul_grad_b(g, ins, outs):
    a, b = ins
    a2, b2, g2 = _as_matrices(g, a.shape, b.shape)
    gb = P.matmul(_swap_last2(P.reshape(a, newshape=a2)), g2)
    return P.reshape(sum_to(gb, b2), newshape=b.shape)


register(
    "matmul",
    lambda xp, a, b, out=None: xp.matmul(a, b, out=out),
    grads=(_matmul_grad_a, _matmul_grad_b),
    save_ins=(0, 1), accepts_out=True,
    doc="Matrix product with NumPy's rules (batched over leading axes, 1-d operands promoted).",
)


def _einsum(xp, *operands, subscripts):
    return opt_einsum.contract(subscripts, *operands, backend=xp.__name__)


def _einsum_vjp(g, ins, outs, needs, subscripts):
    """d/d operand i of an einsum is the einsum of g with the other operands into operand i's
    subscripts; repeated indices within one operand (diagonals) are not differentiable here."""
    lhs, out_sub = subscripts.split("->")
    subs = lhs.split(",")
    grads = []
    for i, need in enumerate(needs):
        if not need:
            grads.append(None)
            continue
        if len(set(subs[i])) != len(subs[i]):
            raise NotImplementedError(
                f"einsum gradient for an operand with a repeated index ({subs[i]!r})"
            )
        others = [s for j, s in enumerate(subs) if j != i]
        present = set(out_sub).union(*others) if others else set(out_sub)
        # indices of operand i summed away alone need broadcasting back
        kept = "".join(c for c in subs[i] if c in present)
        spec = ",".join([out_sub] + others) + "->" + kept
        gi = P.einsum(g, *[ins[j] for j in range(len(subs)) if j != i], subscripts=spec)
        if kept != subs[i]:
            shape = tuple(ins[i].shape[subs[i].index(c)] if c in kept else 1 for c in subs[i])
            perm_src = "".join(c for c in subs[i] if c in kept)
            gi = P.reshape(gi, newshape=tuple(ins[i].shape[subs[i].index(c)] for c in perm_src))
            gi = P.broadcast_to(P.reshape(gi, newshape=shape), shape=ins[i].shape)
        grads.append(gi)
    return tuple(grads)


register(
    "einsum",
    _einsum,
    vjp=_einsum_vjp,
    save_ins=tuple(range(64)),
    doc="Einstein summation over explicit subscripts ('ij,jk->ik'), contraction order chosen "
    "by opt_einsum.",
)
