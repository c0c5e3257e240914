"""Max pooling primitives: ``max_pool``, its gradient ``max_pool_grad`` and ``max_pool_pick``
(the gradient's own adjoint), over the window geometry of ``windows.py``."""

from __future__ import annotations

import itertools
from typing import Any

import numpy

from .registry import P, register
from .windows import (
    _channels_last_out,
    _Geometry,
    _returned,
    channels_first_axes,
    channels_last_axes,
)

__all__ = ["lowest"]


# ---- max pooling --------------------------------------------------------------------------------
def lowest(dtype: Any) -> float | int:
    """The most negative finite value of ``dtype``: the padding of max pooling (MXNet fills
    windows with -FLT_MAX, so a window wholly inside the padding yields it)."""
    dtype = numpy.dtype(dtype)
    return float(numpy.finfo(dtype).min) if dtype.kind == "f" else int(numpy.iinfo(dtype).min)


def _offset_views(xp, x, geo: _Geometry, out, fill: float = 0.0):
    """(offset, view) per kernel offset, row-major: the (N, *out, C) entries of every window of
    x (N, C, *S) at that offset, strided views of a padded channels-last buffer."""
    win = geo.windows(xp, geo.padded_channels_last(xp, x, fill), out)[0]
    lead = (slice(None),) * (1 + len(out))
    for offset in itertools.product(*map(range, geo.kernel)):
        yield offset, win[lead + offset]


def _maximum_of(xp, views, y) -> None:
    """y = the elementwise maximum of ``views`` (a list of at least one array)."""
    if len(views) == 1:
        xp.copyto(y, views[0])
        return
    xp.maximum(views[0], views[1], out=y)
    for view in views[2:]:
        xp.maximum(y, view, out=y)


def _tile_max(xp, x, geo: _Geometry, out, y) -> None:
    """y (N, *out, C) = the maxima of windows that tile x (N, C, *S): x's channels-last memory
    viewed as (N, out_1, k_1, ..., out_d, k_d, C) and the kernel axes reduced one at a time, the
    first ones (all but the last) over long contiguous rows."""
    xl = xp.ascontiguousarray(x.transpose(channels_last_axes(x.ndim)))
    cur = xl.reshape(x.shape[0], *(d for m, k in zip(out, geo.kernel) for d in (m, k)), x.shape[1])
    nk = len(geo.kernel)
    for d in range(nk):
        views = [cur[(slice(None),) * (2 + d) + (t,)] for t in range(geo.kernel[d])]
        if len(views) == 1 and d < nk - 1:
            cur = views[0]
            continue
        cur = y if d == nk - 1 else xp.empty(views[0].shape, dtype=x.dtype)
        _maximum_of(xp, views, cur)


def _max_pool(xp, x, kernel, stride=None, pad=None, out=None):
    """Maximum of each window of x (N, C, *S): where the windows tile x, its kernel axes reduced
    one at a time; else one strided maximum per kernel offset over a padded channels-last view
    (no window gather, no reduction over small axes)."""
    geo = _Geometry(kernel, stride, None, pad)
    size = geo.check("max_pool", x.shape)
    y = _channels_last_out(xp, out, (*x.shape[:2], *size), x.dtype, dense=False)
    if geo.tiles(x.shape[2:], size):
        _tile_max(xp, x, geo, size, y)
    else:
        _maximum_of(xp, [v for _, v in _offset_views(xp, x, geo, size, lowest(x.dtype))], y)
    return _returned(xp, y, out)


def _routed(xp, x, y, g, geo: _Geometry, targets=None):
    """(offset, share) per kernel offset in row-major order: the part (N, *out, C) of g (in
    channels-last order) routed to the windows of x whose first maximum y sits at that offset,
    that is g where x equals the maximum there and no earlier offset took it. The share is
    written into ``targets[offset]`` where given."""
    top = y.transpose(channels_last_axes(y.ndim))
    rest = g.copy()
    hit = xp.empty(top.shape, dtype=bool)
    views = list(_offset_views(xp, x, geo, tuple(y.shape[2:]), lowest(x.dtype)))
    for index, (offset, view) in enumerate(views):
        xp.equal(view, top, out=hit)
        share = xp.multiply(rest, hit, out=None if targets is None else targets[offset])
        yield offset, share
        if index < len(views) - 1:
            rest -= share


def _max_pool_grad(xp, x, y, g, kernel, stride=None, pad=None, out=None):
    """Route g (N, C, *out) to the first maximum of each window of x (y = max_pool(x)); where
    the windows tile x, each offset's share is written in place, without zeroing first."""
    geo = _Geometry(kernel, stride, None, pad)
    size, out_size = tuple(x.shape[2:]), tuple(g.shape[2:])
    gx = _channels_last_out(xp, out, x.shape, g.dtype, dense=False)
    g_last = g.transpose(channels_last_axes(g.ndim))
    places = {offset: (target, source) for offset, target, source in geo.placements(size, out_size)}
    tiles = geo.tiles(size, out_size)
    if not tiles:
        gx[...] = 0
    targets = (
        {offset: gx[(slice(None), *t)] for offset, (t, _) in places.items()} if tiles else None
    )
    for offset, share in _routed(xp, x, y, g_last, geo, targets):
        if not tiles and offset in places:  # else written in place, or wholly in the padding
            target, source = places[offset]
            gx[(slice(None), *target)] += share[(slice(None), *source)]
    return _returned(xp, gx, out)


def _max_pool_pick(xp, x, y, c, kernel, stride=None, pad=None):
    """Adjoint of max_pool_grad in g: c (N, C, *S) read at the first maximum of each window."""
    geo = _Geometry(kernel, stride, None, pad)
    out = tuple(y.shape[2:])
    picks = dict(_offset_views(xp, c, geo, out))
    res = xp.zeros((y.shape[0], *out, y.shape[1]), dtype=c.dtype)
    for offset, first in _routed(xp, x, y, xp.ones_like(res), geo):
        res += picks[offset] * first
    return res.transpose(channels_first_axes(res.ndim))


def _pool_attrs(rule):
    return lambda g, ins, outs, kernel, stride=None, pad=None: rule(
        ins[0], ins[1] if len(ins) == 3 else outs[0], g, kernel=kernel, stride=stride, pad=pad
    )


register(
    "max_pool",
    _max_pool,
    grads=(_pool_attrs(lambda x, y, g, **geo: P.max_pool_grad(x, y, g, **geo)),),
    save_ins=(0,),
    save_outs=(0,),
    accepts_out=True,
    doc="Max pooling of (N, C, *spatial) over windows (attrs kernel, stride, pad as (before, "
    "after) per axis); padding holds the dtype's lowest value, and the gradient goes to each "
    "window's first maximum (MXNet's and PyTorch's choice).",
)
register(
    "max_pool_grad",
    _max_pool_grad,
    grads=(None, None, _pool_attrs(lambda x, y, c, **geo: P.max_pool_pick(x, y, c, **geo))),
    save_ins=(0, 1),
    accepts_out=True,
    doc="Gradient of max_pool(x) = y: g (N, C, *out) routed to each window's first maximum.",
)
register(
    "max_pool_pick",
    _max_pool_pick,
    grads=(None, None, _pool_attrs(lambda x, y, g, **geo: P.max_pool_grad(x, y, g, **geo))),
    save_ins=(0, 1),
    doc="Adjoint of max_pool_grad: c (N, C, *spatial) read at each window's first maximum.",
)
