"""Dense, Dropout, Embedding, Flatten, Identity: outputs against NumPy formulas, gradients by
finite differences, deferred shapes, parameter names, sharing and reprs."""

import numpy as np
import pytest

import gluonlite as gl
from gluonlite import autograd, nd, nn
from gluonlite.errors import DeferredInitializationError

from .gradcheck import check_gradients, prepare


def _np(a):
    return a.asnumpy()


# ---- Dense ----------------------------------------------------------------------------------
@pytest.mark.parametrize("flatten", [True, False])
def test_dense_matches_numpy_and_gradients(flatten):
    x = np.random.randn(2, 3, 5)
    layer = nn.Dense(4, flatten=flatten)
    xa = prepare(layer, x, init=gl.init.Normal(0.5))
    w, b = _np(layer.weight.data()), np.random.randn(4)
    layer.bias.set_data(b)
    want = (x.reshape(2, -1) if flatten else x) @ w.T + b
    np.testing.assert_allclose(_np(layer(xa)), want, rtol=1e-12)
    assert layer.weight.shape == ((4, 15) if flatten else (4, 5))
    check_gradients(layer, xa)


def test_dense_activation_and_no_bias():
    layer = nn.Dense(3, activation="relu", use_bias=False, in_units=2)
    layer.initialize(gl.init.Normal(1.0))
    x = np.random.randn(5, 2).astype(np.float32)
    want = np.maximum(x @ _np(layer.weight.data()).T, 0)
    np.testing.assert_allclose(_np(layer(nd.array(x))), want, rtol=1e-6)
    assert list(layer.collect_params().keys()) == ["weight"]
    assert layer.bias is None


def test_dense_deferred_shape_and_names():
    layer = nn.Dense(4)
    assert list(layer.collect_params().keys()) == ["weight", "bias"]
    assert layer.weight.shape == (4, 0)
    layer.initialize()
    with pytest.raises(DeferredInitializationError, match="first"):
        layer.weight.data()
    layer(nd.ones((2, 3, 5)))
    assert layer.weight.shape == (4, 15)
    assert layer.weight.data().shape == (4, 15)
    np.testing.assert_array_equal(_np(layer.bias.data()), 0)


def test_dense_in_units_initializes_immediately():
    layer = nn.Dense(4, in_units=7, dtype="float64")
    layer.initialize()
    assert layer.weight.data().shape == (4, 7)
    assert layer.weight.data().dtype == np.float64


def test_dense_forward_without_initialize_says_how():
    with pytest.raises(DeferredInitializationError, match="initialize"):
        nn.Dense(2)(nd.ones((1, 3)))


def test_dense_repr():
    assert repr(nn.Dense(256, activation="relu", in_units=784)) == (
        "Dense(784 -> 256, Activation(relu))"
    )
    layer = nn.Dense(10)
    assert repr(layer) == "Dense(None -> 10, linear)"
    layer.initialize()
    layer(nd.ones((1, 6)))
    assert repr(layer) == "Dense(6 -> 10, linear)"


def test_prefix_and_params_keywords_share_weights():
    """MXNet 1.x weight tying: Dense(..., params=embedding.params) uses the embedding's weight."""
    emb = nn.Embedding(10, 4, prefix="emb_")
    dec = nn.Dense(10, in_units=4, flatten=False, params=emb.params)
    assert dec.weight is emb.weight
    assert dec.bias is not None and dec.bias is not emb.weight


# ---- Dropout --------------------------------------------------------------------------------
def test_dropout_predict_is_identity_and_train_scales():
    layer = nn.Dropout(0.25)
    x = nd.ones((200, 50))
    np.testing.assert_array_equal(_np(layer(x)), 1)
    with autograd.record(train_mode=False):
        np.testing.assert_array_equal(_np(layer(x)), 1)
    with autograd.record():
        y = _np(layer(x))
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.75)}
    assert abs((y == 0).mean() - 0.25) < 0.02


def test_dropout_gradient_is_the_mask_and_axes_share_it():
    layer = nn.Dropout(0.5, axes=(1,))
    x = nd.ones((6, 5, 3))
    x.attach_grad()
    with autograd.record():
        y = layer(x)
    y.backward()
    out, grad = _np(y), _np(x.grad)
    np.testing.assert_array_equal(out, grad)
    np.testing.assert_array_equal(out, np.broadcast_to(out[:, :1, :], out.shape))


def test_dropout_rate_zero_and_repr():
    x = nd.ones((2, 2))
    with autograd.record():
        assert nn.Dropout(0.0)(x) is x
    assert repr(nn.Dropout(0.5)) == "Dropout(p = 0.5, axes=())"
    with pytest.raises(ValueError, match="rate"):
        nn.Dropout(1.5)


# ---- Embedding ------------------------------------------------------------------------------
def test_embedding_lookup_and_gradient_accumulates():
    layer = nn.Embedding(6, 3)
    layer.initialize(gl.init.Normal(1.0))
    idx = np.array([[0, 2, 2], [5, 1, 2]], dtype=np.float32)
    w = _np(layer.weight.data())
    with autograd.record():
        y = layer(nd.array(idx))
    np.testing.assert_allclose(_np(y), w[idx.astype(int)])
    y.backward()
    counts = np.bincount(idx.astype(int).ravel(), minlength=6)[:, None]
    np.testing.assert_allclose(_np(layer.weight.grad()), np.broadcast_to(counts, (6, 3)))
    assert list(layer.collect_params().keys()) == ["weight"]
    assert layer.weight.shape == (6, 3)
    assert repr(layer) == "Embedding(6 -> 3, float32)"


# ---- Flatten / Identity ---------------------------------------------------------------------
def test_flatten_and_identity():
    x = np.random.randn(2, 3, 4).astype(np.float32)
    np.testing.assert_array_equal(_np(nn.Flatten()(nd.array(x))), x.reshape(2, 12))
    assert repr(nn.Flatten()) == "Flatten"
    a = nd.array(x)
    assert nn.Identity()(a) is a


def test_mlp_end_to_end_shapes_and_names():
    net = nn.HybridSequential()
    net.add(nn.Dense(8, activation="tanh"), nn.Dropout(0.1), nn.Dense(3))
    net.initialize()
    assert net(nd.ones((4, 2, 5))).shape == (4, 3)
    assert list(net.collect_params().keys()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
