"""MXNet's ``test_utils``: the comparison, random-input and gradient-checking helpers that MXNet's
own tests and many user test suites import.

Tolerances follow MXNet's defaults by dtype (float16 1e-2/1e-1, float32 1e-4/1e-3, float64
1e-5/1e-20, exact for integers and bools; the looser of the two operands' wins).
``check_numeric_gradient`` takes a callable of arrays (a function, a Block) or a Symbol, and
compares autograd's gradient with central finite differences.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy
import numpy.testing as npt

from . import autograd
from .context import Context, current_context
from .ndarray import array as _array
from .ndarray import waitall
from .ndarray.dispatch import ArrayBase
from .util import use_np

__all__ = [
    "almost_equal", "assert_allclose", "assert_almost_equal", "assert_almost_equal_ignore_nan",
    "assert_exception", "check_numeric_gradient", "default_atols", "default_context",
    "default_device", "default_dtype", "default_numeric_eps", "default_rtols", "environment",
    "get_atol", "get_rtol", "get_tolerance", "get_tols", "rand_ndarray", "rand_shape_2d",
    "rand_shape_3d", "rand_shape_nd", "random_arrays", "random_uniform_arrays", "same",
    "set_default_context", "set_default_device", "use_np",
]  # fmt: skip


# ---- contexts and dtypes ----------------------------------------------------------------------
def default_context() -> Context:
    """The context tests run on (the current default context)."""
    return current_context()


_installed_default: list[Context] = []


def set_default_context(ctx: Any) -> None:
    """Make ``ctx`` the default context (below any active ``with ctx:`` block)."""
    stack = Context._stack
    if _installed_default and stack and stack[0] is _installed_default[0]:
        stack.pop(0)
    _installed_default[:] = [Context(ctx)]
    stack.insert(0, _installed_default[0])


default_device, set_default_device = default_context, set_default_context


def default_dtype() -> type:
    """The dtype of test data: float32."""
    return numpy.float32


def _by_dtype(f16: float, f32: float, f64: float) -> dict[numpy.dtype, float]:
    table = {
        numpy.dtype(t): 0.0
        for t in (bool, "int8", "uint8", "int32", "uint32", "int64", "uint64", "int16", "uint16")
    }
    table.update(
        {numpy.dtype("float16"): f16, numpy.dtype("float32"): f32, numpy.dtype("float64"): f64}
    )
    return table


def default_rtols() -> dict[numpy.dtype, float]:
    """Relative tolerance per dtype (MXNet's table)."""
    return _by_dtype(1e-2, 1e-4, 1e-5)


def default_atols() -> dict[numpy.dtype, float]:
    """Absolute tolerance per dtype (MXNet's table)."""
    return _by_dtype(1e-1, 1e-3, 1e-20)


def default_numeric_eps() -> dict[numpy.dtype, float]:
    """Finite-difference step per float dtype (powers of two, so no bits are lost)."""
    return {
        numpy.dtype("float16"): 2.0**-6,
        numpy.dtype("float32"): 2.0**-9,
        numpy.dtype("float64"): 2.0**-14,
    }


def get_tolerance(dat: Any, tol: Any, default_tol: dict) -> float:
    """``tol`` if it is a number, else its (or the default table's) entry for dat's dtype."""
    if isinstance(tol, numbers.Number):
        return float(tol)
    dtype = numpy.dtype(getattr(dat, "dtype", numpy.asarray(dat).dtype))
    table = {} if tol is None else {numpy.dtype(k): v for k, v in tol.items()}
    return table.get(dtype, default_tol.get(dtype, default_tol[numpy.dtype("float64")]))


def get_tols(x: Any, y: Any, rtol: Any, atol: Any) -> tuple[float, float]:
    """The (rtol, atol) to compare ``x`` with ``y``: the looser of the two dtypes' defaults."""
    return (
        max(get_tolerance(x, rtol, default_rtols()), get_tolerance(y, rtol, default_rtols())),
        max(get_tolerance(x, atol, default_atols()), get_tolerance(y, atol, default_atols())),
    )


def get_rtol(rtol: float | None = None, dtype: Any = numpy.float64) -> float:
    return default_rtols()[numpy.dtype(dtype)] if rtol is None else rtol


def get_atol(atol: float | None = None, dtype: Any = numpy.float64) -> float:
    return default_atols()[numpy.dtype(dtype)] if atol is None else atol


# ---- comparisons ----------------------------------------------------------------------------------
def _host(a: Any) -> Any:
    """NumPy values of an array (gluonlite arrays are copied to the host); others as they are."""
    return a.asnumpy() if isinstance(a, ArrayBase) else a


def same(a: Any, b: Any) -> bool:
    """Whether two arrays have the same shape and exactly the same values."""
    return bool(numpy.array_equal(_host(a), _host(b)))


def almost_equal(
    a: Any,
    b: Any,
    rtol: float | None = None,
    atol: float | None = None,
    equal_nan: bool = False,
    use_broadcast: bool = True,
) -> bool:
    """``numpy.allclose`` with MXNet's float64 defaults (rtol 1e-5, atol 1e-20)."""
    a, b = _host(a), _host(b)
    if not use_broadcast and numpy.shape(a) != numpy.shape(b):
        return False
    return bool(numpy.allclose(a, b, rtol=get_rtol(rtol), atol=get_atol(atol), equal_nan=equal_nan))


def _max_violation(a: numpy.ndarray, b: numpy.ndarray, rtol: float, atol: float) -> tuple:
    diff = numpy.where(numpy.equal(a, b), 0, numpy.abs(a - b))
    violation = diff / (atol + rtol * numpy.abs(b) + 1e-20)
    violation = numpy.where(numpy.isnan(violation), numpy.inf, violation)
    index = numpy.unravel_index(numpy.argmax(violation), violation.shape)
    return index, violation[index]


def assert_almost_equal(
    a: Any,
    b: Any,
    rtol: Any = None,
    atol: Any = None,
    names: tuple[str, str] = ("a", "b"),
    equal_nan: bool = False,
    use_broadcast: bool = True,
    mismatches: tuple[int, int] = (10, 10),
) -> None:
    """Assert that ``a`` and ``b`` (arrays, NumPy arrays or numbers) are close: |a - b| <=
    atol + rtol * |b| elementwise, with MXNet's per-dtype defaults. The message names the
    worst element, its values and how many elements are off."""
    rtol, atol = get_tols(a, b, rtol, atol)
    a, b = numpy.asarray(_host(a)), numpy.asarray(_host(b))
    if not use_broadcast and a.shape != b.shape:
        raise AssertionError(
            f"{names[0]}.shape = {a.shape} and {names[1]}.shape = {b.shape} are not equal"
        )
    if a.dtype == bool and b.dtype == bool:
        npt.assert_equal(a, b)
        return
    try:
        close = numpy.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
    except ValueError as exc:
        raise AssertionError(
            f"cannot compare {names[0]} {a.shape} with {names[1]} {b.shape}: {exc}"
        ) from None
    if close.all():
        return
    a, b = numpy.broadcast_arrays(a.astype(numpy.float64), b.astype(numpy.float64))
    index, worst = _max_violation(a, b, rtol, atol)
    bad = int((~close).sum())
    message = (
        f"Error {worst:f} exceeds tolerance rtol={rtol:e}, atol={atol:e} "
        f"({bad} of {close.size} elements, {100 * bad / close.size:.1f}%). Location of maximum "
        f"error: {tuple(int(i) for i in index)}, {names[0]}={a[index]:.8f}, "
        f"{names[1]}={b[index]:.8f}"
    )
    with numpy.printoptions(threshold=4 * mismatches[0], suppress=True):
        raise AssertionError(npt.build_err_msg([a, b], err_msg=message, names=names))


def assert_allclose(
    a: Any, b: Any, rtol: float = 1e-07, atol: float = 0, equal_nan: bool = True
) -> None:
    """``assert_almost_equal`` with NumPy's ``assert_allclose`` defaults."""
    assert_almost_equal(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


def assert_almost_equal_ignore_nan(
    a: Any, b: Any, rtol: Any = None, atol: Any = None, names: tuple[str, str] = ("a", "b")
) -> None:
    """``assert_almost_equal`` where a NaN in either array matches anything."""
    a, b = numpy.array(_host(a), dtype=float), numpy.array(_host(b), dtype=float)
    nan = numpy.logical_or(numpy.isnan(a), numpy.isnan(b))
    a[nan] = 0
    b[nan] = 0
    assert_almost_equal(a, b, rtol, atol, names)


def assert_exception(f: Callable[..., Any], exception_type: type, *args: Any, **kwargs: Any):
    """Assert that ``f(*args, **kwargs)`` raises ``exception_type``."""
    try:
        f(*args, **kwargs)
    except exception_type:
        return
    raise AssertionError(f"{getattr(f, '__name__', f)} did not raise {exception_type.__name__}")


# ---- random inputs ----------------------------------------------------------------------------------
def random_arrays(*shapes: Any) -> Any:
    """Standard-normal float32 NumPy arrays of the given shapes (one array for one shape)."""
    arrays = [
        numpy.array(numpy.random.randn(), dtype=default_dtype())
        if len(s) == 0
        else numpy.random.randn(*s).astype(default_dtype())
        for s in shapes
    ]
    return arrays[0] if len(arrays) == 1 else arrays


def random_uniform_arrays(
    *shapes: Any, low: float = 0.0, high: float = 1.0, dtype: Any = None
) -> list:
    """Uniform NumPy arrays of the given shapes."""
    dtype = default_dtype() if dtype is None else dtype
    return [numpy.random.uniform(low, high, size=s).astype(dtype) for s in shapes]


def rand_shape_2d(dim0: int = 10, dim1: int = 10, allow_zero_size: bool = False) -> tuple:
    """A random 2-d shape with sides up to dim0 and dim1."""
    low = 0 if allow_zero_size else 1
    return numpy.random.randint(low, dim0 + 1), numpy.random.randint(low, dim1 + 1)


def rand_shape_3d(
    dim0: int = 10, dim1: int = 10, dim2: int = 10, allow_zero_size: bool = False
) -> tuple:
    """A random 3-d shape with sides up to dim0, dim1 and dim2."""
    low = 0 if allow_zero_size else 1
    return tuple(numpy.random.randint(low, d + 1) for d in (dim0, dim1, dim2))


def rand_shape_nd(num_dim: int, dim: int = 10, allow_zero_size: bool = False) -> tuple:
    """A random ``num_dim``-d shape with sides up to ``dim``."""
    low = 0 if allow_zero_size else 1
    return tuple(int(s) for s in numpy.random.randint(low, dim + 1, size=num_dim))


def rand_ndarray(
    shape: Any,
    stype: str = "default",
    density: float | None = None,
    dtype: Any = None,
    modifier_func: Callable | None = None,
    shuffle_csr_indices: bool = False,
    distribution: str | None = None,
    ctx: Any = None,
) -> Any:
    """A random array of ``shape`` (the current default array class; 'csr' and 'row_sparse'
    keep about ``density`` of the values, random when not given)."""
    values = random_arrays(tuple(shape))
    if modifier_func is not None:
        values = numpy.vectorize(modifier_func)(values).astype(values.dtype)
    if stype == "default":
        return _array(values, ctx=ctx, dtype=dtype)
    if stype not in ("csr", "row_sparse"):
        raise ValueError(f"unknown storage type {stype!r}: use 'default', 'csr' or 'row_sparse'")
    density = numpy.random.rand() if density is None else density
    if stype == "row_sparse":
        values[numpy.random.rand(values.shape[0]) >= density] = 0
    else:
        values[numpy.random.rand(*values.shape) >= density] = 0
    return _array(values, ctx=ctx, dtype=dtype).tostype(stype)


# ---- gradients --------------------------------------------------------------------------------
def _as_callable(sym: Any) -> tuple[Callable[..., Any], list[str] | None]:
    """A function of arrays for ``sym`` (a callable, or a Symbol evaluated by name) and the
    argument names (None for a callable: positional)."""
    if hasattr(sym, "list_arguments") and hasattr(sym, "tojson"):
        from .hybrid.symbol import evaluate

        def run(**values: Any) -> Any:
            return evaluate(sym, values)[0][0]

        return run, list(sym.list_arguments())
    if not callable(sym):
        raise TypeError(f"check_numeric_gradient needs a callable or a Symbol, got {type(sym)}")
    return sym, None


def check_numeric_gradient(
    sym: Any,
    location: Any,
    aux_states: Any = None,
    numeric_eps: float | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    grad_nodes: Any = None,
    use_forward_train: bool = True,
    ctx: Any = None,
    grad_stype_dict: Any = None,
    dtype: Any = numpy.float32,
) -> None:
    """Check autograd's gradient of ``sym`` at ``location`` against central finite differences.

    ``sym`` is a callable of arrays (``lambda x, w: ...``, a Block) or a Symbol; ``location``
    the input values (a list in argument order, or a dict by name), ``aux_states`` extra
    inputs that are not differentiated (a dict), ``grad_nodes`` the names (or positions) to
    check (default: all). The output is projected on random weights, as MXNet does, so one
    backward checks every output element. Default rtol 1e-2; atol and step by dtype."""
    fn, arg_names = _as_callable(sym)
    dt = numpy.dtype(dtype)
    ctx = Context(ctx) if ctx is not None else default_context()
    if isinstance(location, dict):
        names = list(location)
        values = {k: numpy.asarray(_host(v), dtype=dt) for k, v in location.items()}
    else:
        names = arg_names if arg_names is not None else list(range(len(location)))
        values = {k: numpy.asarray(_host(v), dtype=dt) for k, v in zip(names, location)}
    extra = {k: _array(_host(v), ctx=ctx, dtype=dt) for k, v in (aux_states or {}).items()}
    checked = list(values) if grad_nodes is None else list(grad_nodes)
    eps = numeric_eps if numeric_eps is not None else default_numeric_eps()[dt]
    rtol = 1e-2 if rtol is None else rtol
    atol = get_atol(atol, dt)

    def call(arrays: dict) -> Any:
        positional = [arrays[k] for k in names if isinstance(k, int)]
        named = {k: v for k, v in arrays.items() if not isinstance(k, int)}
        out = fn(*positional, **named, **extra)
        return out if isinstance(out, ArrayBase) else sum(o.sum() for o in out)

    inputs = {k: _array(v, ctx=ctx, dtype=dt) for k, v in values.items()}
    for k in checked:
        inputs[k].attach_grad()
    with autograd.record(train_mode=use_forward_train):
        out = call(inputs)
        proj = _array(numpy.random.rand(*out.shape) + 0.1, ctx=ctx, dtype=out.dtype)
        head = (out * proj).sum()
    head.backward()
    projection = proj.asnumpy().astype(numpy.float64)

    def value_at(k: Any, flat_index: int, delta: float) -> float:
        moved = dict(values)
        moved[k] = values[k].copy()
        moved[k].reshape(-1)[flat_index] += delta
        arrays = {n: _array(v, ctx=ctx, dtype=dt) for n, v in moved.items()}
        with autograd.pause(train_mode=use_forward_train):
            result = call(arrays).asnumpy().astype(numpy.float64)
        return float((result * projection).sum())

    for k in checked:
        numeric = numpy.zeros(values[k].shape, dtype=numpy.float64)
        for i in range(values[k].size):
            numeric.reshape(-1)[i] = (value_at(k, i, eps / 2) - value_at(k, i, -eps / 2)) / eps
        assert_almost_equal(
            numeric, inputs[k].grad.asnumpy(), rtol, atol, (f"NUMERICAL_{k}", f"BACKWARD_{k}")
        )


# ---- environment ----------------------------------------------------------------------------
@contextmanager
def environment(*args: Any) -> Iterator[None]:
    """Set environment variables for a block (``with environment('NAME', 'v'):`` or with a
    dict; a None value unsets), restoring them afterwards. Also a decorator."""
    if len(args) == 1 and isinstance(args[0], dict):
        wanted = dict(args[0])
    elif len(args) == 2:
        wanted = {args[0]: args[1]}
    else:
        raise ValueError("environment() takes one dict, or a variable name and a value")
    saved = {name: os.environ.get(name) for name in wanted}

    def apply(settings: dict) -> None:
        for name, value in settings.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = str(value)

    apply(wanted)
    try:
        yield
    finally:
        waitall()
        apply(saved)
