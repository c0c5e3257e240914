"""``np.random``: NumPy's sampling functions over gluonlite's generators (the ``random_*``
primitives), so ``np.random.seed``, ``npx.seed`` and ``gluonlite.random.seed`` all repeat a run.

``size`` is NumPy's: the whole output shape (None: one value, as a 0-d array, where NumPy
gives a Python float). Floats are float32 unless ``dtype`` says otherwise (float64 after
``npx.set_np(dtype=True)``); integers are int64. With array parameters the draws are shifted
and scaled with recorded ops, so gradients reach ``low``/``high``/``loc``/``scale``.
"""

from __future__ import annotations

import numbers
import os
from typing import Any

import numpy

from .. import errors
from ..ndarray.dispatch import ArrayBase
from ..ndarray.random import seed as _seed
from ..ops.registry import P
from .creation import arange, context_of, default_dtype
from .math import operands
from .ndarray import as_np_ndarray

__all__ = [
    "choice", "exponential", "gamma", "normal", "permutation", "rand", "randint", "randn",
    "seed", "shuffle", "uniform",
]  # fmt: skip


def seed(seed: int | None = None, ctx: Any = "all") -> None:
    """Seed gluonlite's generators (every device's, or ``ctx``'s): later draws repeat."""
    if seed is None:
        seed = int.from_bytes(os.urandom(8), "little")
    _seed(seed, ctx)


def _size(size: Any) -> tuple[int, ...]:
    if size is None:
        return ()
    if isinstance(size, numbers.Integral):
        return (int(size),)
    return tuple(int(s) for s in size)


def _finish(result: ArrayBase, out: Any) -> Any:
    result = as_np_ndarray(result)
    return result if out is None else result.copyto(out)


def _draw(op: Any, params: tuple, size: Any, dtype: Any, ctx: Any, device: Any, out: Any):
    """``op`` with scalar parameters, drawn directly in ``dtype`` on the asked context."""
    dt = default_dtype() if dtype is None else numpy.dtype(dtype)
    shape = _size(size)
    if out is not None and size is None:
        shape = tuple(out.shape)
    return _finish(op(*params, shape=shape, dtype=dt, ctx=context_of(ctx, device)), out)


def _standard(op: Any, params: list, size: Any, dtype: Any, out: Any) -> ArrayBase:
    """A standard draw of the broadcast shape of array ``params`` (and ``size``), on their
    context and in their float dtype unless ``dtype`` says otherwise."""
    arrays = [p for p in params if isinstance(p, ArrayBase)]
    shape = _size(size) if size is not None else numpy.broadcast_shapes(*(a.shape for a in arrays))
    floats = [a.dtype for a in arrays if a.dtype.kind == "f"]
    dt = numpy.dtype(dtype) if dtype is not None else (floats[0] if floats else default_dtype())
    return op(shape=shape, dtype=dt, ctx=arrays[0]._ctx)


def _shifted(op: Any, first: Any, second: Any, span: bool, *where: Any) -> Any:
    """``op(first, second)``: drawn directly for scalars; for arrays, a recorded standard draw
    times ``second - first`` (``span``) or ``second``, plus ``first``. ``where``: as ``_draw``."""
    size, dtype, _, _, out = where
    a, b = operands(first, second) or (first, second)
    if not isinstance(a, ArrayBase) and not isinstance(b, ArrayBase):
        return _draw(op, (float(a), float(b)), *where)
    standard = _standard(op, [a, b], size, dtype, out)
    return _finish(P.add(P.multiply(standard, P.subtract(b, a) if span else b), a), out)


def uniform(
    low: Any = 0.0,
    high: Any = 1.0,
    size: Any = None,
    dtype: Any = None,
    ctx: Any = None,
    out: Any = None,
    device: Any = None,
) -> Any:
    """Samples from U[low, high)."""
    return _shifted(P.random_uniform, low, high, True, size, dtype, ctx, device, out)


def normal(
    loc: Any = 0.0,
    scale: Any = 1.0,
    size: Any = None,
    dtype: Any = None,
    ctx: Any = None,
    out: Any = None,
    device: Any = None,
) -> Any:
    """Samples from N(loc, scale**2)."""
    return _shifted(P.random_normal, loc, scale, False, size, dtype, ctx, device, out)


def randn(*size: int, **kwargs: Any) -> Any:
    """Standard normal samples of shape ``size`` (``randn(2, 3)``)."""
    return normal(0.0, 1.0, size or None, **kwargs)


def rand(*size: int, **kwargs: Any) -> Any:
    """U[0, 1) samples of shape ``size`` (``rand(2, 3)``)."""
    return uniform(0.0, 1.0, size or None, **kwargs)


def randint(
    low: int,
    high: int | None = None,
    size: Any = None,
    dtype: Any = None,
    ctx: Any = None,
    out: Any = None,
    device: Any = None,
) -> Any:
    """Integers drawn uniformly from [low, high) ([0, low) without ``high``); int64 by default."""
    if high is None:
        low, high = 0, low
    dt = numpy.dtype(numpy.int64 if dtype is None else dtype)
    if dt.kind not in "iu":
        raise errors.MXNetTypeError(f"randint: dtype must be an integer type, not {dt}")
    if high <= low:
        raise errors.MXNetValueError(f"randint: need low < high, got low={low}, high={high}")
    return _draw(P.random_randint, (int(low), int(high)), size, dt, ctx, device, out)


def exponential(
    scale: float = 1.0,
    size: Any = None,
    dtype: Any = None,
    ctx: Any = None,
    out: Any = None,
    device: Any = None,
) -> Any:
    """Samples from the exponential distribution of mean ``scale``."""
    return _draw(P.random_exponential, (float(scale),), size, dtype, ctx, device, out)


def gamma(
    shape: float = 1.0,
    scale: float = 1.0,
    size: Any = None,
    dtype: Any = None,
    ctx: Any = None,
    out: Any = None,
    device: Any = None,
) -> Any:
    """Samples from Gamma(shape, scale)."""
    return _draw(P.random_gamma, (float(shape), float(scale)), size, dtype, ctx, device, out)


def permutation(x: Any, ctx: Any = None) -> Any:
    """A random permutation of ``range(x)`` (an int), or a shuffled copy of an array along
    its first axis."""
    if isinstance(x, numbers.Integral):
        return as_np_ndarray(P.random_shuffle(arange(int(x), dtype=numpy.int64, ctx=ctx)))
    (a,) = operands(x)
    return P.random_shuffle(a)


def shuffle(x: ArrayBase) -> None:
    """Shuffle ``x`` in place along its first axis."""
    if not isinstance(x, ArrayBase) or x.ndim == 0:
        raise errors.MXNetTypeError("shuffle: x must be an array of at least one dimension")
    x[...] = P.random_shuffle(x)


def choice(
    a: Any,
    size: Any = None,
    replace: bool = True,
    p: Any = None,
    ctx: Any = None,
    out: Any = None,
) -> Any:
    """Samples from ``range(a)`` (an int) or from the elements of a 1-d array, with
    replacement by default, uniformly or with probabilities ``p``."""
    n = int(a) if isinstance(a, numbers.Integral) else len(a)
    shape = _size(size)
    count = int(numpy.prod(shape))
    if p is not None:
        if not replace:
            raise errors.MXNetValueError("choice: replace=False with p is not supported")
        (probs,) = operands(p)
        index = P.random_multinomial(probs, shape=shape, dtype=numpy.dtype(numpy.int64))
    elif replace:
        index = randint(0, n, size=shape, ctx=ctx)
    else:
        if count > n:
            raise errors.MXNetValueError(f"choice: cannot take {count} of {n} without replacement")
        order = permutation(n, ctx=ctx)
        index = P.reshape(P.getitem(order, key=((0, count, None),)), newshape=shape)
    if isinstance(a, numbers.Integral):
        return _finish(index, out)
    (values,) = operands(a)
    return _finish(P.take(values, index, axis=0), out)
