"""Per-channel binary ufuncs on channels-last arrays: element for element NumPy's results (and
memory layout), whichever side the per-channel operand is on, with or without ``out=``."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gluonlite.ops.channel_broadcast import _tiled, binary

UFUNCS = [np.add, np.subtract, np.multiply, np.true_divide, np.maximum]


@st.composite
def cases(draw):
    n, c, h, w = (draw(st.integers(1, 6)), draw(st.integers(1, 20)), draw(st.integers(1, 9)),
                  draw(st.integers(1, 9)))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    x = rng.standard_normal((n, h, w, c)).astype(dtype).transpose(0, 3, 1, 2)
    if draw(st.booleans()):
        x = np.ascontiguousarray(x)  # plain NCHW: NumPy's own path
    vshape = draw(st.sampled_from([(1, c, 1, 1), (c, 1, 1), (1, 1, 1, 1)]))
    v = (rng.standard_normal(vshape) + 3).astype(draw(st.sampled_from([np.float32, np.float64])))
    return x, v, draw(st.sampled_from(UFUNCS)), draw(st.booleans()), draw(st.booleans())


@settings(max_examples=300, deadline=None)
@given(cases())
def test_binary_equals_numpy(case):
    x, v, ufunc, vec_first, with_out = case
    a, b = (v, x) if vec_first else (x, v)
    expected = ufunc(a, b)
    out = np.empty_like(expected) if with_out else None
    got = binary(np, ufunc, a, b, out)
    np.testing.assert_array_equal(got, expected)
    tiled = _tiled(ufunc, x, v, None, full_first=not vec_first)  # whatever the size
    if tiled is not None:
        np.testing.assert_array_equal(tiled, expected)
        assert tiled.strides == expected.strides
    assert got.dtype == expected.dtype
    if with_out:
        assert got is out
    else:
        assert got.strides == expected.strides  # same memory order as NumPy picks


def test_channels_last_takes_the_tiled_path_and_in_place_works():
    x = np.arange(8 * 16 * 16 * 16, dtype=np.float32).reshape(8, 16, 16, 16).transpose(0, 3, 1, 2)
    v = np.arange(16, dtype=np.float32).reshape(1, 16, 1, 1)
    expected = x * v
    assert _tiled(np.multiply, x, v, None, full_first=True) is not None
    binary(np, np.multiply, x, v, x)
    np.testing.assert_array_equal(x, expected)
