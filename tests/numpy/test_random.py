"""np.random: NumPy's signatures (``size`` is the whole shape), MXNet's dtypes (float32, int64),
gluonlite's generator (seeding repeats draws), and the distributions' basic statistics."""

import numpy as onp
import pytest

import gluonlite.numpy as np
from gluonlite.errors import MXNetError


@pytest.mark.parametrize(
    ("draw", "shape", "dtype"),
    [
        (lambda: np.random.uniform(), (), "float32"),
        (lambda: np.random.uniform(1, 2, size=(2, 3)), (2, 3), "float32"),
        (lambda: np.random.uniform(size=4, dtype="float64"), (4,), "float64"),
        (lambda: np.random.normal(0, 1, (3,)), (3,), "float32"),
        (lambda: np.random.randn(2, 2), (2, 2), "float32"),
        (lambda: np.random.rand(3), (3,), "float32"),
        (lambda: np.random.randint(5, size=(2,)), (2,), "int64"),
        (lambda: np.random.randint(-3, 3, size=4, dtype="int32"), (4,), "int32"),
        (lambda: np.random.choice(5, 3), (3,), "int64"),
        (lambda: np.random.choice(np.array([1.0, 2.0]), size=(2, 2)), (2, 2), "float32"),
        (lambda: np.random.permutation(4), (4,), "int64"),
        (lambda: np.random.exponential(2.0, size=3), (3,), "float32"),
        (lambda: np.random.gamma(2.0, 1.0, size=3), (3,), "float32"),
        (lambda: np.random.uniform(np.zeros(3), np.ones(3)), (3,), "float32"),
        (lambda: np.random.normal(np.zeros((2, 1)), 1.0, size=(2, 4)), (2, 4), "float32"),
    ],
)
def test_shapes_and_dtypes(draw, shape, dtype):
    x = draw()
    assert type(x) is np.ndarray and x.shape == shape and x.dtype == onp.dtype(dtype)


def test_seed_repeats_and_ranges_hold():
    np.random.seed(11)
    a = np.random.uniform(-1, 1, size=1000)
    np.random.seed(11)
    b = np.random.uniform(-1, 1, size=1000)
    onp.testing.assert_array_equal(a.asnumpy(), b.asnumpy())
    assert -1 <= float(a.min()) and float(a.max()) < 1
    n = np.random.normal(3.0, 2.0, size=20000).asnumpy()
    assert abs(n.mean() - 3.0) < 0.1 and abs(n.std() - 2.0) < 0.1
    r = np.random.randint(2, 5, size=1000).asnumpy()
    assert set(onp.unique(r)) == {2, 3, 4}


def test_choice_shuffle_permutation():
    np.random.seed(0)
    picks = np.random.choice(10, 10, replace=False).asnumpy()
    assert sorted(picks) == list(range(10))
    weighted = np.random.choice(3, 2000, p=np.array([0.0, 0.25, 0.75])).asnumpy()
    assert 0 not in weighted and 0.65 < (weighted == 2).mean() < 0.85
    x = np.arange(12).reshape(6, 2)
    before = x.asnumpy().copy()
    assert np.random.shuffle(x) is None
    after = x.asnumpy()
    assert sorted(map(tuple, after)) == sorted(map(tuple, before))
    perm = np.random.permutation(np.arange(5))
    assert sorted(perm.asnumpy()) == [0, 1, 2, 3, 4]
    with pytest.raises(MXNetError):
        np.random.choice(3, 5, replace=False)
    with pytest.raises(MXNetError):
        np.random.randint(3, 3)


def test_out_argument():
    out = np.zeros((2, 2))
    assert np.random.uniform(out=out) is out
    assert float(out.max()) > 0
