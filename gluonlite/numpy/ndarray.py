"""``np.ndarray``: gluonlite's NDArray with NumPy's semantics (MXNet's ``mx.np.ndarray``).

It is a subclass of ``nd.NDArray``, so it goes wherever an NDArray goes (autograd, Blocks,
losses, the Trainer, DataLoader batches) and every op keeps it: an op returns the class of its
first array input. Only the methods where MXNet's ``nd`` and NumPy disagree are overridden
here (0-d results, NumPy ``reshape``, bool comparisons, ``repr``); the NumPy-named methods
(``sum``, ``argmax``, ``dot``...) are bound from the ``np`` functions in ``numpy/__init__``.
Both classes share one buffer and one autograd entry when converted (``as_nd_ndarray`` and
``NDArray.as_np_ndarray``), so a converted array is the same variable.
"""

from __future__ import annotations

from typing import Any

import numpy

from .. import errors
from ..context import Context, cpu
from ..ndarray.dispatch import ArrayBase
from ..ndarray.ndarray import NDArray, _move
from ..ops.registry import P, get

__all__ = ["as_nd_ndarray", "as_np_ndarray", "ndarray"]


def _compare(op_name: str, doc: str):
    """A comparison operator giving a bool array (NumPy), where ``nd`` gives 0/1 values."""
    op = get(op_name)

    def method(self: ndarray, other: Any) -> Any:
        other = self._operand(other)
        if other is NotImplemented:
            return NotImplemented
        return op(self, other)

    method.__name__ = method.__qualname__ = f"__{op_name}__"
    method.__doc__ = doc
    return method


def _logical(op_name: str, symbol: str, reflected: bool = False):
    """``&``, ``|``, ``^`` on bool arrays (NumPy's logical meaning for booleans)."""
    op = get(op_name)

    def method(self: ndarray, other: Any) -> Any:
        other = self._operand(other)
        if other is NotImplemented:
            return NotImplemented
        kinds = {self.dtype.kind, getattr(other, "dtype", numpy.dtype(bool)).kind}
        if kinds != {"b"}:
            raise errors.MXNetTypeError(
                f"'{symbol}' is supported on bool arrays only (got {self.dtype} and "
                f"{getattr(other, 'dtype', type(other).__name__)}); use np.logical_and/or/xor "
                "for truth values, or .asnumpy() for integer bit operations"
            )
        return op(other, self) if reflected else op(self, other)

    return method


class ndarray(NDArray):
    """An n-dimensional array with NumPy semantics on a gluonlite device (``mx.np.ndarray``):
    full reductions and scalar indexing give 0-d arrays, comparisons give bool arrays,
    ``reshape`` is NumPy's, and ``repr`` prints ``array([...])``."""

    __slots__ = ()
    __hash__ = NDArray.__hash__

    def __new__(cls, shape: Any, dtype: Any = numpy.float32, ctx: Context | None = None):
        """``np.ndarray(shape)``: an uninitialised array (prefer ``np.empty``/``np.zeros``)."""
        from .creation import empty

        return empty(shape, dtype=dtype, ctx=ctx)

    # ---- NumPy's results where nd has MXNet's ---------------------------------------------------
    def _index_result(self, out: ArrayBase) -> ArrayBase:
        """Scalar indexing keeps NumPy's 0-d result (``nd`` reshapes it to (1,))."""
        return out

    __eq__ = _compare("equal", "self == other, elementwise, as a bool array.")
    __ne__ = _compare("not_equal", "self != other, elementwise, as a bool array.")
    __gt__ = _compare("greater", "self > other, elementwise, as a bool array.")
    __ge__ = _compare("greater_equal", "self >= other, elementwise, as a bool array.")
    __lt__ = _compare("less", "self < other, elementwise, as a bool array.")
    __le__ = _compare("less_equal", "self <= other, elementwise, as a bool array.")
    __and__ = _logical("logical_and", "&")
    __rand__ = _logical("logical_and", "&", reflected=True)
    __or__ = _logical("logical_or", "|")
    __ror__ = _logical("logical_or", "|", reflected=True)
    __xor__ = _logical("logical_xor", "^")
    __rxor__ = _logical("logical_xor", "^", reflected=True)

    def __invert__(self) -> ndarray:
        if self.dtype.kind != "b":
            raise errors.MXNetTypeError(
                f"'~' is supported on bool arrays only, not {self.dtype}; use np.logical_not"
            )
        return P.logical_not(self)

    @property
    def device(self) -> Context:
        """The array's device (MXNet 2's name for ``ctx``)."""
        return self._ctx

    def to_device(self, device: Any) -> ndarray:
        """This array on ``device`` (itself when already there)."""
        return self.as_in_context(Context(device))

    def astype(
        self,
        dtype: Any,
        order: str = "K",
        casting: str = "unsafe",
        subok: bool = True,
        copy: bool = True,
    ) -> ndarray:
        """The array cast to ``dtype`` (NumPy's signature; only C order exists here)."""
        return NDArray.astype(self, dtype, copy=copy)

    def tolist(self) -> Any:
        """The values as nested Python lists (a Python scalar for a 0-d array)."""
        return self.asnumpy().tolist()

    @property
    def grad(self) -> ndarray | None:
        """The gradient buffer of a variable, as an np array."""
        grad = NDArray.grad.fget(self)
        return grad if grad is None or type(grad) is ndarray else as_np_ndarray(grad)

    # ---- printing ---------------------------------------------------------------------------
    def __repr__(self) -> str:
        """NumPy's repr with MXNet's conventions: the default dtype (float32, or float64 after
        ``set_np(dtype=True)``) and bool are not printed, other dtypes are, and so is a
        non-cpu device."""
        from ..util import is_np_default_dtype

        text = repr(self.asnumpy())
        default = numpy.dtype(numpy.float64 if is_np_default_dtype() else numpy.float32)
        if "dtype=" in text:
            if self.dtype == default:
                text = text[: text.rindex(",")] + ")"
        elif self.dtype not in (default, numpy.dtype(bool)):
            text = f"{text[:-1]}, dtype={self.dtype})"
        if self._ctx.device_type != "cpu":
            text = f"{text[:-1]}, ctx={self._ctx})"
        return text

    def __str__(self) -> str:
        return str(self.asnumpy())

    def __format__(self, spec: str) -> str:
        if self.ndim == 0:
            return format(self.item(), spec)
        return format(str(self), spec)

    def __reduce__(self):
        return (_rebuild, (self.asnumpy(), self._ctx.device_type, self._ctx.device_id))


def as_np_ndarray(array: ArrayBase) -> ndarray:
    """The same array (shared memory and autograd history) as an ``np.ndarray``; bound as
    ``NDArray.as_np_ndarray`` and ``ndarray.as_np_ndarray``. An np array is returned as is."""
    if type(array) is ndarray:
        return array
    return ndarray._wrap(array._data, array._ctx, array._entry)


def as_nd_ndarray(array: ArrayBase) -> NDArray:
    """The same array (shared memory and autograd history) as an ``nd.NDArray``; bound as
    ``NDArray.as_nd_ndarray`` and ``ndarray.as_nd_ndarray``. An NDArray is returned as is."""
    if type(array) is NDArray:
        return array
    return NDArray._wrap(array._data, array._ctx, array._entry)


def _rebuild(values: numpy.ndarray, device_type: str, device_id: int) -> ndarray:
    """Unpickling support (DataLoader workers): values are plain NumPy, never code."""
    ctx = cpu() if device_type != "gpu" else Context(device_type, device_id)
    return ndarray._wrap(_move(values, ctx), ctx)
