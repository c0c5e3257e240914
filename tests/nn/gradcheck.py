"""Shared checks for layer tests: float64 preparation of a layer and a central-difference
gradient check of a layer's input and parameters."""

import numpy as np

from gluonlite import autograd, nd


def prepare(layer, x, init=None):
    """Initialize ``layer``, run one forward to infer deferred shapes, cast it to float64 and
    return ``x`` as a float64 NDArray with an attached gradient."""
    layer.initialize(init)
    layer(nd.array(x))
    layer.cast("float64")
    arr = nd.array(x, dtype="float64")
    arr.attach_grad()
    return arr


def trainable(layer):
    """The data arrays of the parameters that get gradients."""
    return [p.data() for p in layer.collect_params().values() if p.grad_req != "null"]


def check_gradients(layer, x, train=True, rtol=1e-5, atol=1e-7, eps=1e-6, max_points=12):
    """Compare autograd's gradient of sum(layer(x) * w) (w fixed and random) with respect to
    ``x`` and every trainable parameter against central differences at up to ``max_points``
    random entries of each array."""
    rng = np.random.default_rng(0)
    mode = autograd.train_mode if train else autograd.predict_mode
    with mode():
        shape = layer(x).shape
    weight = rng.standard_normal(shape)
    w = nd.array(weight, dtype="float64")

    def value():
        with mode():
            return float((layer(x).asnumpy() * weight).sum())

    arrays = [x] + trainable(layer)
    for a in arrays:
        a.grad._data[...] = 0
    with autograd.record(train_mode=train):
        loss = (layer(x) * w).sum()
    loss.backward()
    for k, a in enumerate(arrays):
        analytic = a.grad.asnumpy().copy()
        values = a._data  # perturbed in place, outside any recording
        for i in rng.choice(values.size, size=min(values.size, max_points), replace=False):
            idx = np.unravel_index(i, values.shape)
            orig = values[idx]
            values[idx] = orig + eps
            plus = value()
            values[idx] = orig - eps
            minus = value()
            values[idx] = orig
            numeric = (plus - minus) / (2 * eps)
            assert abs(numeric - analytic[idx]) <= atol + rtol * abs(numeric), (
                f"array {k} (shape {values.shape}) at {idx}: autograd {analytic[idx]}, "
                f"numeric {numeric}"
            )
