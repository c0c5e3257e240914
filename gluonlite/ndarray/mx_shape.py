"""MXNet's shape operators: ``reshape`` with its special codes, ``flatten``, ``concat``,
``split``, ``slice``, ``pad``... with MXNet's argument names and conventions, written as
compositions of the shape and indexing primitives (no gradient code)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .. import errors
from ..ops import shape as _np_shape
from ..ops.indexing import ALL, ARRAY
from ..ops.registry import P
from .ndarray import NDArray

__all__ = [
    "Concat",
    "Flatten",
    "Pad",
    "Reshape",
    "SliceChannel",
    "SwapAxis",
    "broadcast_axes",
    "broadcast_axis",
    "broadcast_like",
    "broadcast_to",
    "concat",
    "concatenate",
    "depth_to_space",
    "diag",
    "expand_dims",
    "flatten",
    "flip",
    "moveaxis",
    "pad",
    "repeat",
    "reshape",
    "reshape_like",
    "reverse",
    "slice",
    "slice_axis",
    "slice_like",
    "space_to_depth",
    "split",
    "split_v2",
    "squeeze",
    "stack",
    "swapaxes",
    "tile",
    "transpose",
]
METHODS = (
    "reshape",
    "reshape_like",
    "flatten",
    "expand_dims",
    "squeeze",
    "transpose",
    "swapaxes",
    "broadcast_to",
    "broadcast_like",
    "broadcast_axes",
    "tile",
    "repeat",
    "split",
    "flip",
    "slice",
    "slice_axis",
    "pad",
)


def _where() -> str:
    return f"\n  called from {errors.user_frame()}"


# ---- reshape ----------------------------------------------------------------------------------
def _groups(spec: tuple[int, ...]) -> list[tuple[int, ...]]:
    """The codes of a reshape spec, with each -4 grouped with the two sizes that follow it."""
    groups = []
    i = 0
    while i < len(spec):
        if spec[i] == -4:
            if i + 2 >= len(spec):
                raise errors.MXNetValueError(f"reshape: -4 in {spec} must be followed by two sizes")
            groups.append(spec[i : i + 3])
            i += 3
        else:
            groups.append(spec[i : i + 1])
            i += 1
    return groups


def mx_reshape_shape(
    src: tuple[int, ...], spec: Sequence[int], reverse: bool = False
) -> tuple[int, ...]:
    """The shape MXNet's reshape gives ``src`` for ``spec``: a positive size is taken as is,
    0 copies the source dim, -1 is inferred, -2 copies all remaining dims, -3 merges two
    consecutive dims, -4 splits one dim into the next two sizes (one may be -1). With
    ``reverse`` the codes are matched right to left."""
    spec = tuple(int(s) for s in spec)
    groups = _groups(spec)
    dims = list(src)
    if reverse:
        groups = [g if g[0] != -4 else (-4, g[2], g[1]) for g in reversed(groups)]
        dims.reverse()
    out: list[int] = []
    infer = None
    j = 0

    def bad(why: str) -> errors.ShapeError:
        return errors.ShapeError(f"reshape: cannot apply {spec} to shape {tuple(src)}: {why}")

    for g in groups:
        code = g[0]
        if code in (0, -3, -4) and j + (code == -3) >= len(dims):
            raise bad(f"code {code} has no source dimension left to use")
        if code == 0:
            out.append(dims[j])
            j += 1
        elif code == -1:
            if infer is not None:
                raise bad("only one dimension can be -1")
            infer = len(out)
            out.append(1)
            j += 1
        elif code == -2:
            out.extend(dims[j:])
            j = len(dims)
        elif code == -3:
            out.append(dims[j] * dims[j + 1])
            j += 2
        elif code == -4:
            d, a, b = dims[j], g[1], g[2]
            if a == -1 and b == -1:
                raise bad("-4 cannot split into two -1 sizes")
            a = d // b if a == -1 else a
            b = d // a if b == -1 else b
            if a * b != d:
                raise bad(f"-4 cannot split dimension {d} into ({g[1]}, {g[2]})")
            out += [a, b]
            j += 1
        elif code > 0:
            out.append(code)
            j += 1
        else:
            raise bad(f"unknown code {code} (the special codes are 0, -1, -2, -3, -4)")
    total = math.prod(src)
    if infer is not None:
        known = math.prod(out)
        if known and total % known == 0:
            out[infer] = total // known
    if reverse:
        out.reverse()
    if math.prod(out) != total:
        raise errors.ShapeError(
            f"reshape: cannot reshape an array of shape {tuple(src)} ({total} elements) into "
            f"shape {tuple(out)} ({math.prod(out)} elements), asked for as {spec}"
            f"{' with reverse=True' if reverse else ''}" + _where()
        )
    return tuple(out)


def reshape(data: NDArray, *shape: Any, reverse: bool = False, **kwargs: Any) -> NDArray:
    """MXNet reshape (also ``x.reshape(2, 3)``, ``x.reshape((2, 3))``, ``shape=``), with the
    special codes of :func:`mx_reshape_shape`; a view when NumPy can make one."""
    kwargs.pop("name", None)
    out = kwargs.pop("out", None)
    spec = None
    for alias in ("shape", "newshape", "target_shape"):  # MXNet, NumPy, old MXNet
        spec = kwargs.pop(alias, spec)
    if kwargs:
        raise errors.MXNetTypeError(f"reshape: unexpected arguments {sorted(kwargs)}")
    if spec is None:
        spec = shape[0] if len(shape) == 1 and not hasattr(shape[0], "__index__") else shape
    spec = (spec,) if hasattr(spec, "__index__") else tuple(spec)
    result = P.reshape(data, newshape=mx_reshape_shape(tuple(data.shape), spec, reverse))
    return result if out is None else result.copyto(out)


Reshape = reshape


def _reshaped(data: NDArray, shape: tuple[int, ...], op: str) -> NDArray:
    if math.prod(shape) != data.size:
        raise errors.ShapeError(
            f"{op}: cannot reshape an array of shape {tuple(data.shape)} into {shape}" + _where()
        )
    return P.reshape(data, newshape=shape)


def reshape_like(
    lhs: NDArray,
    rhs: NDArray,
    lhs_begin: int | None = None,
    lhs_end: int | None = None,
    rhs_begin: int | None = None,
    rhs_end: int | None = None,
) -> NDArray:
    """Reshape lhs to rhs's shape; with begin/end, only lhs.shape[lhs_begin:lhs_end] is
    replaced by rhs.shape[rhs_begin:rhs_end]."""
    ls, rs = tuple(lhs.shape), tuple(rhs.shape)
    shape = (
        ls[: lhs_begin or 0] + rs[rhs_begin:rhs_end] + (ls[lhs_end:] if lhs_end is not None else ())
    )
    return _reshaped(lhs, shape, "reshape_like")


def flatten(data: NDArray) -> NDArray:
    """Collapse every axis but the first: (N, a, b) -> (N, a*b); (N,) -> (N, 1)."""
    shape = tuple(data.shape) or (1,)
    return P.reshape(data, newshape=(shape[0], math.prod(shape[1:])))


Flatten = flatten


def expand_dims(data: NDArray, axis: int) -> NDArray:
    """Insert a size-1 axis at ``axis``."""
    return _np_shape.expand_dims(data, axis)


def squeeze(data: NDArray, axis: int | Sequence[int] | None = None) -> NDArray:
    """Remove size-1 axes (all when ``axis`` is None); an all-ones shape gives (1,), as MXNet
    has no 0-d arrays."""
    out = _np_shape.squeeze(data, axis if axis is None or isinstance(axis, int) else tuple(axis))
    return P.reshape(out, newshape=(1,)) if out.ndim == 0 else out


def transpose(data: NDArray, *args: Any, axes: Any = None) -> NDArray:
    """Permute the axes (reverse them when ``axes`` is None or empty); ``x.transpose(1, 0)``
    and ``x.transpose((1, 0))`` both work."""
    if args:
        axes = args[0] if len(args) == 1 and not isinstance(args[0], int) else args
    axes = tuple(axes) if axes else None
    return P.transpose(data, axes=axes)


def swapaxes(data: NDArray, dim1: int = 0, dim2: int = 0) -> NDArray:
    """Exchange two axes."""
    return _np_shape.swapaxes(data, dim1, dim2)


SwapAxis = swapaxes


def moveaxis(tensor: NDArray, source: int, destination: int) -> NDArray:
    """Move one axis to a new position, keeping the others in order."""
    perm = [d for d in range(tensor.ndim) if d != source % tensor.ndim]
    perm.insert(destination % tensor.ndim, source % tensor.ndim)
    return P.transpose(tensor, axes=tuple(perm))


# ---- broadcasting -----------------------------------------------------------------------------
def broadcast_to(data: NDArray, shape: Sequence[int]) -> NDArray:
    """Broadcast to ``shape``; a 0 in ``shape`` keeps that dimension of ``data``."""
    shape = tuple(shape)
    lead = len(shape) - data.ndim
    target = tuple(data.shape[i - lead] if s == 0 and i >= lead else s for i, s in enumerate(shape))
    return P.broadcast_to(data, shape=target)


def broadcast_like(
    lhs: NDArray,
    rhs: NDArray,
    lhs_axes: Sequence[int] | None = None,
    rhs_axes: Sequence[int] | None = None,
) -> NDArray:
    """Broadcast lhs to rhs's shape (or only lhs_axes to the sizes of rhs_axes)."""
    if lhs_axes is None:
        return P.broadcast_to(lhs, shape=tuple(rhs.shape))
    target = list(lhs.shape)
    for la, ra in zip(lhs_axes, rhs_axes):
        target[la] = rhs.shape[ra]
    return P.broadcast_to(lhs, shape=tuple(target))


def broadcast_axis(data: NDArray, axis: Any = (), size: Any = ()) -> NDArray:
    """Broadcast the size-1 ``axis`` (int or tuple) to ``size``."""
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    sizes = (size,) if isinstance(size, int) else tuple(size)
    target = list(data.shape)
    for a, s in zip(axes, sizes):
        if data.shape[a] != 1:
            raise errors.ShapeError(
                f"broadcast_axis: axis {a} of shape {tuple(data.shape)} must have size 1" + _where()
            )
        target[a] = s
    return P.broadcast_to(data, shape=tuple(target))


broadcast_axes = broadcast_axis


def tile(data: NDArray, reps: Any) -> NDArray:
    """Repeat the whole array ``reps`` times along each axis (NumPy's tile)."""
    return _np_shape.tile(data, reps if isinstance(reps, int) else tuple(reps))


def repeat(data: NDArray, repeats: int, axis: int | None = None) -> NDArray:
    """Repeat each element ``repeats`` times along ``axis`` (None: flattened)."""
    return P.repeat(data, repeats=int(repeats), axis=axis)


# ---- joining and splitting --------------------------------------------------------------------
def concat(*data: NDArray, dim: int = 1, num_args: int | None = None, **kwargs: Any) -> NDArray:
    """Join arrays along an existing axis ``dim`` (default 1)."""
    return P.concatenate(*data, axis=dim)


Concat = concat


def concatenate(arrays: Sequence[NDArray], axis: int = 0, always_copy: bool = True) -> NDArray:
    """Join a list of arrays along ``axis`` (default 0)."""
    return P.concatenate(*arrays, axis=axis)


def stack(*data: NDArray, axis: int = 0, num_args: int | None = None, **kwargs: Any) -> NDArray:
    """Join same-shaped arrays along a new ``axis``."""
    return _np_shape.stack(data, axis)


def _finish_split(parts: list, axis: int, squeeze_axis: bool, op: str) -> Any:
    if squeeze_axis:
        if any(p.shape[axis] != 1 for p in parts):
            raise errors.ShapeError(
                f"{op}: squeeze_axis=True needs parts of size 1 along axis {axis}, got "
                f"{parts[0].shape[axis]}" + _where()
            )
        parts = [_np_shape.squeeze(p, axis) for p in parts]
    return parts[0] if len(parts) == 1 else parts


def split(
    data: NDArray, num_outputs: int, axis: int = 1, squeeze_axis: bool = False
) -> NDArray | list[NDArray]:
    """``num_outputs`` equal parts along ``axis`` (a list; one part is returned alone)."""
    return _finish_split(_np_shape.split(data, int(num_outputs), axis), axis, squeeze_axis, "split")


SliceChannel = split


def split_v2(
    data: NDArray, indices_or_sections: Any, axis: int = 0, squeeze_axis: bool = False
) -> NDArray | list[NDArray]:
    """NumPy-style split: ``n`` equal parts, or cuts before each given index."""
    sections = indices_or_sections
    sections = sections if isinstance(sections, int) else tuple(sections)
    return _finish_split(_np_shape.split(data, sections, axis), axis, squeeze_axis, "split_v2")


def flip(data: NDArray, axis: Any) -> NDArray:
    """Reverse the elements along ``axis`` (int or tuple)."""
    return P.flip(data, axis=axis if isinstance(axis, int) else tuple(axis))


reverse = flip


# ---- slicing ----------------------------------------------------------------------------------
def slice(
    data: NDArray, begin: Sequence[Any], end: Sequence[Any], step: Sequence[Any] | None = None
) -> NDArray:
    """``data[b0:e0:s0, b1:e1:s1, ...]`` for the given axes (None entries mean the default)."""
    begin, end = tuple(begin), tuple(end)
    step = tuple(step) if step else (None,) * len(begin)
    if not len(begin) == len(end) == len(step):
        raise errors.MXNetValueError(
            f"slice: begin {begin}, end {end} and step {step} must have one length" + _where()
        )
    return P.getitem(data, key=tuple(zip(begin, end, step)))


def slice_axis(data: NDArray, axis: int, begin: int, end: int | None) -> NDArray:
    """``data[..., begin:end, ...]`` on one axis (end None: to the end)."""
    ax = axis % data.ndim
    return P.getitem(data, key=(ALL,) * ax + ((begin, end, None),))


def slice_like(data: NDArray, shape_like: NDArray, axes: Sequence[int] = ()) -> NDArray:
    """Crop ``data`` to ``shape_like``'s sizes on ``axes`` (all axes when empty)."""
    axes = {a % data.ndim for a in axes} if axes else set(range(data.ndim))
    key = tuple((0, shape_like.shape[d], None) if d in axes else ALL for d in range(data.ndim))
    return P.getitem(data, key=key)


def pad(
    data: NDArray,
    mode: str = "constant",
    pad_width: Sequence[int] = (),
    constant_value: float = 0.0,
) -> NDArray:
    """Pad with MXNet's flat ``pad_width`` (before/after for every axis in turn); mode
    'constant', 'edge' or 'reflect'."""
    flat = tuple(int(p) for p in pad_width)
    if len(flat) != 2 * data.ndim:
        raise errors.ShapeError(
            f"pad: pad_width needs {2 * data.ndim} values (before and after for each of the "
            f"{data.ndim} axes of {tuple(data.shape)}), got {flat}" + _where()
        )
    pairs = tuple(zip(flat[::2], flat[1::2]))
    return P.pad(data, pad_width=pairs, mode=mode, constant_value=constant_value)


Pad = pad


def diag(data: NDArray, k: int = 0, axis1: int = 0, axis2: int = 1) -> NDArray:
    """1-d: a square matrix with ``data`` on the k-th diagonal; n-d: the k-th diagonal of the
    (axis1, axis2) planes, as a new last axis."""
    xp, ctx = data._ctx.xp, data._ctx

    def positions(n: int, shift: int) -> NDArray:
        return type(data)._wrap(xp.arange(shift, shift + n), ctx)

    if data.ndim == 1:
        n = data.shape[0]
        m = n + abs(k)
        rows, cols = positions(n, max(-k, 0)), positions(n, max(k, 0))
        return P.scatter_add(data, rows, cols, key=(ARRAY, ARRAY), shape=(m, m))
    a1, a2 = axis1 % data.ndim, axis2 % data.ndim
    n = max(0, min(data.shape[a1] - max(-k, 0), data.shape[a2] - max(k, 0)))
    key = [ALL] * data.ndim
    key[a1] = key[a2] = ARRAY
    rows, cols = positions(n, max(-k, 0)), positions(n, max(k, 0))
    arrays = (rows, cols) if a1 < a2 else (cols, rows)
    out = P.getitem(data, *arrays, key=tuple(key))
    where = min(a1, a2) if abs(a1 - a2) == 1 else 0  # NumPy's place for the diagonal axis
    return moveaxis(out, where, -1)


def depth_to_space(data: NDArray, block_size: int) -> NDArray:
    """(N, C, H, W) -> (N, C/b², H·b, W·b), moving depth blocks into space (MXNet's order)."""
    n, c, h, w = data.shape
    b = block_size
    if c % (b * b):
        raise errors.ShapeError(
            f"depth_to_space: channels {c} are not divisible by block_size² = {b * b}" + _where()
        )
    x = P.reshape(data, newshape=(n, b, b, c // (b * b), h, w))
    x = P.transpose(x, axes=(0, 3, 4, 1, 5, 2))
    return P.reshape(x, newshape=(n, c // (b * b), h * b, w * b))


def space_to_depth(data: NDArray, block_size: int) -> NDArray:
    """(N, C, H, W) -> (N, C·b², H/b, W/b), the inverse of depth_to_space."""
    n, c, h, w = data.shape
    b = block_size
    if h % b or w % b:
        raise errors.ShapeError(
            f"space_to_depth: height {h} and width {w} must be divisible by block_size {b}"
            + _where()
        )
    x = P.reshape(data, newshape=(n, c, h // b, b, w // b, b))
    x = P.transpose(x, axes=(0, 3, 5, 1, 2, 4))
    return P.reshape(x, newshape=(n, c * b * b, h // b, w // b))
