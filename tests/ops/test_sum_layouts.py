"""The registered sum takes BLAS products where the memory layout makes NumPy's reduction slow
(per-channel sums of channels-last activations); results must equal NumPy's in every layout."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gluonlite.ops.reduce import _by_products, sum_over


@st.composite
def laid_out(draw):
    """An array of 2-4 axes stored in a random axis order, and a random set of axes to sum."""
    ndim = draw(st.integers(2, 4))
    shape = tuple(draw(st.lists(st.integers(1, 24), min_size=ndim, max_size=ndim)))
    order = draw(st.permutations(range(ndim)))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    stored = rng.standard_normal([shape[a] for a in order]).astype(dtype)
    x = stored.transpose(np.argsort(order))  # x.shape == shape, memory in `order`
    axes = tuple(draw(st.sets(st.integers(0, ndim - 1), min_size=1, max_size=ndim)))
    return x, axes, draw(st.booleans())


@settings(max_examples=300, deadline=None)
@given(laid_out())
def test_sum_over_equals_numpy_in_every_layout(case):
    x, axes, keepdims = case
    expected = np.sum(x.astype(np.float64), axis=axes, keepdims=keepdims)
    got = sum_over(np, x, axis=axes, keepdims=keepdims)
    assert got.shape == expected.shape and got.dtype == x.dtype
    tol = 1e-5 if x.dtype == np.float32 else 1e-12
    atol = tol * np.abs(x).sum() / max(1, got.size)
    np.testing.assert_allclose(got, expected, rtol=tol, atol=atol)
    direct = _by_products(x, tuple(sorted(axes)))  # the product path, whatever the size
    if direct is not None:
        np.testing.assert_allclose(direct, expected.reshape(direct.shape), rtol=tol, atol=atol)
    out = np.empty(expected.shape, x.dtype)
    assert sum_over(np, x, axis=axes, keepdims=keepdims, out=out) is out
    np.testing.assert_allclose(out, expected, rtol=tol, atol=atol)


def test_channels_last_per_channel_sums_take_the_product_path():
    x = np.ones((8, 6, 6, 3), np.float32).transpose(0, 3, 1, 2)  # NCHW stored channels-last
    assert _by_products(x, (0, 2, 3)) is not None
    np.testing.assert_array_equal(sum_over(np, x, axis=(0, 2, 3)), np.full(3, 288.0))
    assert _by_products(np.ones((8, 3, 6, 6), np.int64), (0, 2, 3)) is None  # integers: NumPy
