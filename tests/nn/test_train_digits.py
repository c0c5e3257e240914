"""End to end: an MLP and a small CNN learn scikit-learn's 8x8 digits to >= 95% held-out
accuracy with a plain SGD loop (layers, deferred init, autograd, softmax cross-entropy)."""

import numpy as np
import pytest

import gluonlite as gl
from gluonlite import autograd, nd, nn
from gluonlite.loss import SoftmaxCrossEntropyLoss

datasets = pytest.importorskip("sklearn.datasets")


@pytest.fixture(scope="module")
def digits():
    data = datasets.load_digits()
    x = (data.images / 16.0).astype(np.float32)[:, None]  # (N, 1, 8, 8)
    y = data.target.astype(np.float32)
    order = np.random.default_rng(0).permutation(len(y))
    test, train = order[:360], order[360:]
    return x[train], y[train], x[test], y[test]


def _train(net, digits, epochs, lr, batch=32):
    x_train, y_train, x_test, y_test = digits
    gl.random.seed(0)
    net.initialize(gl.init.Xavier())
    loss_fn = SoftmaxCrossEntropyLoss()
    rng = np.random.default_rng(1)
    params = [p for p in net.collect_params().values() if p.grad_req != "null"]
    for _ in range(epochs):
        order = rng.permutation(len(y_train))
        for start in range(0, len(order), batch):
            idx = order[start : start + batch]
            xb, yb = nd.array(x_train[idx]), nd.array(y_train[idx])
            with autograd.record():
                loss = loss_fn(net(xb), yb)
            loss.backward()
            for p in params:  # SGD on the raw arrays, the gradient averaged over the batch
                p.data()._data -= (lr / len(idx)) * p.grad()._data
    pred = net(nd.array(x_test)).asnumpy().argmax(axis=1)
    return (pred == y_test).mean()


def test_mlp_learns_digits(digits):
    net = nn.HybridSequential()
    net.add(nn.Dense(64, activation="relu"), nn.Dense(10))
    assert _train(net, digits, epochs=20, lr=0.5) >= 0.95


def test_cnn_learns_digits(digits):
    net = nn.HybridSequential()
    net.add(
        nn.Conv2D(8, 3, padding=1, activation="relu"),
        nn.MaxPool2D(),
        nn.Conv2D(16, 3, padding=1),
        nn.BatchNorm(),
        nn.Activation("relu"),
        nn.MaxPool2D(),
        nn.Flatten(),
        nn.Dense(10),
    )
    assert _train(net, digits, epochs=10, lr=0.2) >= 0.95
