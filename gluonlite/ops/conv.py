"""The convolution trio ``conv``, ``conv_transpose`` and ``conv_weight_grad``: closed under
differentiation (each one's gradients are the other two), so convolutions are differentiable to
any order. Window gathering and its memory handling live in ``windows.py``."""

from __future__ import annotations

import math

from .registry import P, register
from .windows import (
    _SCATTER_CHUNK_BYTES,
    _by_offset,
    _channels_last_out,
    _channels_last_rows,
    _chunk,
    _Geometry,
    _offset_chunks,
    _returned,
    _row_chunks,
    _workspace,
)

__all__: list[str] = []


# ---- the convolution trio -----------------------------------------------------------------------
def _grouped_weight(w, groups: int):
    """w (O, C/G, *k) as (G, k*C/G, O/G): rows ordered like a window row (offsets, channels)."""
    o, cg, *kernel = w.shape
    nk = len(kernel)
    wg = w.reshape(groups, o // groups, cg, *kernel).transpose(0, *range(3, 3 + nk), 2, 1)
    return wg.reshape(groups, math.prod(kernel) * cg, o // groups)


def _correlate(xp, x, w, geo: _Geometry, groups: int, y) -> None:
    """y (N, *out, O) channels-last = cross-correlation of x (N, C, *S) with w (O, C/G, *k):
    window columns times the weight, one product per chunk of images."""
    o = w.shape[0]
    out = y.shape[1:-1]
    if _by_offset(x, geo, groups):
        wm = w.reshape(o, -1).T  # (C*k, O), rows ordered like the offset columns
        for i, j, cols in _offset_chunks(xp, x, geo, out):
            xp.matmul(cols.T, wm, out=y[i:j].reshape(-1, o))
        return
    wg = _grouped_weight(w, groups)
    for i, j, rows in _row_chunks(xp, x, geo, out, groups):
        target = y[i:j].reshape(-1, groups, o // groups).transpose(1, 0, 2)
        if groups == 1:
            xp.matmul(rows, wg, out=target)
        else:
            target[...] = xp.matmul(rows, wg)


def _conv(xp, x, w, stride=None, dilate=None, pad=None, groups=1, out=None):
    """Cross-correlation of x (N, C, *S) with w (O, C/G, *k): (N, O, *out), channels-last."""
    geo = _Geometry(w.shape[2:], stride, dilate, pad)
    size = geo.check("conv", x.shape)
    shape = (x.shape[0], w.shape[0], *size)
    y = _channels_last_out(xp, out, shape, xp.result_type(x, w))
    _correlate(xp, x, w, geo, groups, y)
    return _returned(xp, y, out)


def _weight_grad_by_offset(xp, x, gy, geo: _Geometry, out):
    """conv_weight_grad of channels-first x gathered by offset: gy times the offset columns."""
    o = gy.shape[1]
    rows_g = _channels_last_rows(xp, gy, 1).reshape(gy.shape[0] * math.prod(out), o)
    acc = xp.zeros((o, x.shape[1] * math.prod(geo.kernel)), dtype=xp.result_type(x, gy))
    for i, j, cols in _offset_chunks(xp, x, geo, out):
        acc += xp.matmul(rows_g[i * math.prod(out) : j * math.prod(out)].T, cols.T)
    return acc.reshape(o, x.shape[1], *geo.kernel)


def _weight_grad_by_rows(xp, x, gy, geo: _Geometry, out, groups: int):
    """conv_weight_grad from channels-last window rows: (G, k*C/G, O/G) summed over chunks."""
    rows_g = _channels_last_rows(xp, gy, groups)  # (N, prod(out), G, O/G)
    og = gy.shape[1] // groups
    taps = math.prod(geo.kernel) * (x.shape[1] // groups)
    acc = xp.zeros((groups, taps, og), dtype=xp.result_type(x, gy))
    for i, j, rows in _row_chunks(xp, x, geo, out, groups):
        g_rows = rows_g[i:j].reshape(-1, groups, og).transpose(1, 0, 2)
        acc += xp.matmul(rows.transpose(0, 2, 1), g_rows)
    nk = len(geo.kernel)
    acc = acc.reshape(groups, *geo.kernel, -1, og).transpose(0, nk + 2, nk + 1, *range(1, nk + 1))
    return acc.reshape(gy.shape[1], -1, *geo.kernel)


def _conv_weight_grad(xp, x, gy, kernel, stride=None, dilate=None, pad=None, groups=1, out=None):
    """d<conv(x, w), gy>/dw: the window columns of x times gy, summed over the batch, chunked."""
    geo = _Geometry(kernel, stride, dilate, pad)
    size = geo.check("conv_weight_grad", x.shape)
    if tuple(gy.shape[2:]) != size or gy.shape[0] != x.shape[0]:
        raise ValueError(
            f"conv_weight_grad: output gradient {gy.shape} does not match input {x.shape} with "
            f"kernel {geo.kernel}, stride {geo.stride}, dilate {geo.dilate}, pad {geo.pad}"
        )
    if _by_offset(x, geo, groups):
        dw = _weight_grad_by_offset(xp, x, gy, geo, size)
    else:
        dw = _weight_grad_by_rows(xp, x, gy, geo, size, groups)
    if out is None:
        return xp.ascontiguousarray(dw)
    xp.copyto(out, dw)
    return out


def _flipped_pads(geo: _Geometry, size, out):
    """Padding of gy for conv_transpose as a stride-1 correlation with the flipped kernel, or
    None where that would need negative padding."""
    pads = []
    for k, d, (lo, _), s, m in zip(geo.kernel, geo.dilate, geo.pad, size, out):
        before, after = d * (k - 1) - lo, s - m + lo
        if before < 0 or after < 0:
            return None
        pads.append((before, after))
    return tuple(pads)


def _flipped_weight(w, groups: int):
    """w (O, C/G, *k) of conv as the weight (C, O/G, *k) of the correlation that computes its
    conv_transpose: kernel reversed, in/out channels swapped per group."""
    o, cg, *kernel = w.shape
    nk = len(kernel)
    wf = w[(slice(None), slice(None), *(slice(None, None, -1),) * nk)]
    wf = wf.reshape(groups, o // groups, cg, *kernel).transpose(0, 2, 1, *range(3, 3 + nk))
    return wf.reshape(groups * cg, o // groups, *kernel)


def _covers(member, shape) -> bool:
    """Whether a member's target slices span a whole class of ``shape``."""
    return all(t.start == 0 and t.stop == n for t, n in zip(member[1], shape))


def _accumulate(acc, shares, members) -> None:
    """acc (M, *shape, C) = the sum of the members' shares (M, *out, C) at their targets, zeros
    where none lands; a share that covers acc is assigned first (no zero fill)."""
    cover = next((m for m in members if _covers(m, acc.shape[1:-1])), None)
    if cover is None:
        acc[...] = 0
    else:
        acc[...] = shares[cover[0]][(slice(None), *cover[2])]
    for offset, target, source in members:
        if (offset, target, source) != cover:
            acc[(slice(None), *target)] += shares[offset][(slice(None), *source)]


def _scatter(xp, y, shares, classes) -> None:
    """y (M, *size, C) = every kernel offset's share ``shares[offset]`` (M, *out, C) added at its
    place: summed per residue class in a dense array (long contiguous runs), then written to the
    class's strided grid in one go (at stride 1 the one class is y itself)."""
    if not all(members for _, members in classes):
        y[...] = 0  # some positions get nothing
    for grid, members in classes:
        target = y[(slice(None), *grid)]
        if not members:
            continue
        if all(g.step == 1 for g in grid):
            _accumulate(target, shares, members)
        elif len(members) == 1 and _covers(members[0], target.shape[1:-1]):
            offset, _, source = members[0]
            target[...] = shares[offset][(slice(None), *source)]
        else:
            acc = xp.empty(target.shape, dtype=y.dtype)
            _accumulate(acc, shares, members)
            target[...] = acc


def _scatter_products(xp, gy, w, geo: _Geometry, groups: int, y) -> None:
    """y (N, *size, C) channels-last = conv_transpose of gy (N, O, *out) with w (O, C/G, *k) as
    products then adds: each kernel offset's share gy @ w[offset] (one batched product per chunk
    of images and group) added at its strided place in y."""
    n, o = gy.shape[:2]
    out, cg, og = tuple(gy.shape[2:]), w.shape[1], o // groups
    classes = geo.classes(y.shape[1:-1], out)
    rows = _channels_last_rows(xp, gy, groups)  # (N, prod(out), G, O/G)
    wk = w.reshape(groups, og, cg, -1).transpose(0, 3, 1, 2)  # (G, k, O/G, C/G)
    per_image = wk.shape[1] * math.prod(out) * cg
    nb = _chunk(xp, n, per_image * y.dtype.itemsize, _SCATTER_CHUNK_BYTES)
    scratch = _workspace(xp, nb * per_image, y.dtype)
    for i in range(0, n, nb):
        j = min(n, i + nb)
        for g in range(groups):
            cols = scratch[: (j - i) * per_image].reshape(wk.shape[1], -1, cg)
            xp.matmul(rows[i:j, :, g].reshape(-1, og), wk[g], out=cols)
            shares = cols.reshape(*geo.kernel, j - i, *out, cg)
            _scatter(xp, y[i:j, ..., g * cg : (g + 1) * cg], shares, classes)


def _gather_is_cheaper(size, out, c: int, o: int) -> bool:
    """conv_transpose at stride 1: whether the correlation with the flipped kernel (columns of
    prod(size) * k * O numbers) beats products then adds (prod(out) * k * C numbers, each also
    added into a strided place: about three times the cost)."""
    return math.prod(size) * o <= 3 * math.prod(out) * c


def _conv_transpose(xp, gy, w, size, stride=None, dilate=None, pad=None, groups=1, out=None):
    """Adjoint of conv in x: gy (N, O, *out) with w (O, C/G, *k) to (N, C, *size)."""
    geo = _Geometry(w.shape[2:], stride, dilate, pad)
    n, o = gy.shape[:2]
    c = w.shape[1] * groups
    out_size = geo.out(size)
    if tuple(gy.shape[2:]) != out_size:
        raise ValueError(
            f"conv_transpose: input of shape {gy.shape} does not map to spatial size {tuple(size)}"
            f" with kernel {geo.kernel}, stride {geo.stride}, dilate {geo.dilate}, pad {geo.pad} "
            f"(that input would have spatial shape {out_size})"
        )
    y = _channels_last_out(xp, out, (n, c, *size), xp.result_type(gy, w))
    flipped = _flipped_pads(geo, size, out_size)
    if (
        flipped is not None
        and all(s == 1 for s in geo.stride)
        and _gather_is_cheaper(size, out_size, c, o)
    ):
        flip_geo = _Geometry(geo.kernel, None, geo.dilate, flipped)
        _correlate(xp, gy, _flipped_weight(w, groups), flip_geo, groups, y)
    else:
        _scatter_products(xp, gy, w, geo, groups, y)
    return _returned(xp, y, out)


def _conv_vjp(g, ins, outs, needs, **attrs):
    x, w = ins
    return [
        P.conv_transpose(g, w, size=tuple(x.shape[2:]), **attrs) if needs[0] else None,
        P.conv_weight_grad(x, g, kernel=tuple(w.shape[2:]), **attrs) if needs[1] else None,
    ]


def _conv_transpose_vjp(g, ins, outs, needs, size, **attrs):
    gy, w = ins
    return [
        P.conv(g, w, **attrs) if needs[0] else None,
        P.conv_weight_grad(g, gy, kernel=tuple(w.shape[2:]), **attrs) if needs[1] else None,
    ]


def _conv_weight_grad_vjp(g, ins, outs, needs, kernel, **attrs):
    x, gy = ins
    return [
        P.conv_transpose(gy, g, size=tuple(x.shape[2:]), **attrs) if needs[0] else None,
        P.conv(x, g, **attrs) if needs[1] else None,
    ]


register(
    "conv",
    _conv,
    vjp=_conv_vjp,
    save_ins=(0, 1),
    accepts_out=True,
    doc="N-d cross-correlation (1-3 spatial axes) of x (N, C, *S) with w (O, C/groups, *k): "
    "attrs stride, dilate, pad ((before, after) per axis, zeros) and groups; no bias.",
)
register(
    "conv_transpose",
    _conv_transpose,
    vjp=_conv_transpose_vjp,
    save_ins=(0, 1),
    accepts_out=True,
    doc="Transposed convolution, the adjoint of conv in its input: y (N, O, *out) with w "
    "(O, C/groups, *k) to (N, C, *size); same geometry attrs as conv, plus ``size``.",
)
register(
    "conv_weight_grad",
    _conv_weight_grad,
    vjp=_conv_weight_grad_vjp,
    save_ins=(0, 1),
    accepts_out=True,
    doc="Gradient of conv in its weight: x (N, C, *S) and gy (N, O, *out) to (O, C/groups, "
    "*kernel); same geometry attrs as conv, plus ``kernel``.",
)
