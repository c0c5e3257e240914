"""Samples for the random primitives (ops/random.py): forward only (``ref=None``), since draws
cannot match a NumPy reference; the statistics are tested in tests/ndarray/test_random.py."""

import numpy as np
from hypothesis import strategies as st

from .sampling import floats, sample, shapes

F32 = np.dtype("float32")


def _scalar_op(op, params, dtype=F32):
    """A sample drawing ``shape`` with scalar parameters given as keywords (Dropout's call)."""

    @sample(op, None, name="scalar", grad=False)
    def build(draw):
        return (), {**params, "shape": draw(shapes()), "dtype": dtype}


def _array_op(op, n_params, lo=0.5, hi=2.0):
    """A sample with array parameters (one draw per element, ``shape`` appended)."""

    @sample(op, None, name="array", grad=False)
    def build(draw):
        shape = draw(shapes(max_dims=2))
        params = tuple(floats(draw, shape, lo, hi) for _ in range(n_params))
        return params, {"shape": draw(shapes(max_dims=1)), "dtype": F32}


_scalar_op("random_uniform", {"low": -1.0, "high": 3.0})
_array_op("random_uniform", 2)
_scalar_op("random_normal", {"loc": 1.0, "scale": 2.0})
_array_op("random_normal", 2)
_scalar_op("random_randint", {"low": -3, "high": 7}, dtype=np.dtype("int32"))
_scalar_op("random_exponential", {"scale": 2.0})
_array_op("random_exponential", 1)
_scalar_op("random_gamma", {"alpha": 2.0, "beta": 0.5})
_array_op("random_gamma", 2)
_scalar_op("random_poisson", {"lam": 3.0})
_array_op("random_poisson", 1)
_scalar_op("random_bernoulli", {"prob": 0.3})
_array_op("random_bernoulli", 1, 0.0, 1.0)


@sample("random_multinomial", None, grad=False)
def _multinomial(draw):
    probs = floats(draw, draw(shapes(min_dims=1, max_dims=3)), 0.1, 1.0)
    return (probs,), {
        "shape": draw(st.sampled_from([(), (3,), (2, 2)])),
        "dtype": np.dtype("int32"),
    }


@sample("random_shuffle", None, grad=False)
def _shuffle(draw):
    return (floats(draw, draw(shapes(min_dims=1))),), {}
