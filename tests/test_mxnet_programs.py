"""MXNet 1.x Gluon programs, written as MXNet users write them, run with `mxnet` replaced by
`gluonlite` in the imports (the project's central promise)."""
import numpy as np
import pytest

import gluonlite as mx
from gluonlite import autograd, gluon, nd
from gluonlite.gluon import nn

sklearn_datasets = pytest.importorskip("sklearn.datasets")


def _digits():
    data = sklearn_datasets.load_digits()
    order = np.random.RandomState(0).permutation(len(data.target))
    x = (data.data[order] / 16.0).astype("float32")
    y = data.target[order]
    return x[:1400], y[:1400].astype("float32"), x[1400:], y[1400:]


def test_straight_dope_style_mlp_training_loop(tmp_path):
    x_train, y_train, x_test, y_test = _digits()
    ctx = mx.cpu()
    net = nn.Sequential()
    with net.name_scope():
        net.add(nn.Dense(64, activation="relu"))
        net.add(nn.Dense(10))
    net.collect_params().initialize(mx.init.Normal(sigma=0.1), ctx=ctx)
    softmax_cross_entropy = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.5})
    train_data = gluon.data.DataLoader(gluon.data.ArrayDataset(x_train, y_train),
                                       batch_size=64, shuffle=True)

    def evaluate_accuracy(data_iterator, net):
        acc = mx.metric.Accuracy()
        for data, label in data_iterator:
            output = net(data.as_in_context(ctx).reshape((-1, 64)))
            predictions = nd.argmax(output, axis=1)
            acc.update(preds=predictions, labels=label)
        return acc.get()[1]

    for _ in range(15):
        cumulative_loss = 0.0
        for data, label in train_data:
            data = data.as_in_context(ctx).reshape((-1, 64))
            label = label.as_in_context(ctx)
            with autograd.record():
                output = net(data)
                loss = softmax_cross_entropy(output, label)
            loss.backward()
            trainer.step(data.shape[0])
            cumulative_loss += nd.sum(loss).asscalar()
    test_data = gluon.data.DataLoader(gluon.data.ArrayDataset(x_test, y_test), batch_size=100)
    assert evaluate_accuracy(test_data, net) > 0.9
    assert np.isfinite(cumulative_loss)
    net.save_parameters(str(tmp_path / "mlp.params"))
    clone = nn.Sequential()
    clone.add(nn.Dense(64, activation="relu"), nn.Dense(10))
    clone.load_parameters(str(tmp_path / "mlp.params"), ctx=ctx)
    batch = nd.array(x_test[:5])
    mx.test_utils.assert_almost_equal(clone(batch), net(batch))


class Gluon1Block(gluon.HybridBlock):
    """MXNet 1.x style: prefix/params kwargs, name_scope, params.get, hybrid_forward with F."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.weight = self.params.get("weight", shape=(units, 64))
            self.bias = self.params.get("bias", shape=(units,), init=mx.init.Zero())
            self.dense = nn.Dense(10)

    def hybrid_forward(self, F, x, weight, bias):
        h = F.relu(F.FullyConnected(x, weight, bias, num_hidden=weight.shape[0]))
        return self.dense(F.Dropout(h, p=0.1))


def test_gluon1_custom_hybrid_block_hybridized_with_split_and_load():
    x_train, y_train, _, _ = _digits()
    net = Gluon1Block(32, prefix="model_")
    net.initialize(mx.init.Xavier(), ctx=[mx.cpu(0), mx.cpu(1)])
    net.hybridize()
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.01})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    first = last = None
    for _ in range(12):
        data = gluon.utils.split_and_load(nd.array(x_train[:256]), [mx.cpu(0), mx.cpu(1)])
        label = gluon.utils.split_and_load(nd.array(y_train[:256]), [mx.cpu(0), mx.cpu(1)])
        with autograd.record():
            losses = [loss_fn(net(d), lab) for d, lab in zip(data, label)]
        for loss in losses:
            loss.backward()
        trainer.step(256)
        value = sum(loss.mean().asscalar() for loss in losses) / 2
        first = value if first is None else first
        last = value
    assert last < first * 0.6
    weights = [w.asnumpy() for w in net.weight.list_data()]
    np.testing.assert_allclose(weights[0], weights[1], rtol=1e-6)  # devices stay in sync
