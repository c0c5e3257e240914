"""Every kind of layer, hybridized vs eager: forward outputs, input and parameter gradients,
running statistics and parameters after several Trainer steps, in training and prediction
mode, over two input shapes in a row (so the second retraces)."""
import numpy as np
import pytest

import gluonlite as gl
from gluonlite import autograd, nd, nn, rnn


def _dense():
    net = nn.HybridSequential()
    net.add(nn.Dense(5, activation="relu"), nn.Dense(3, flatten=False))
    return net, [(4, 6), (2, 6)]


def _conv():
    net = nn.HybridSequential()
    net.add(nn.Conv2D(3, 3, strides=2, padding=1, groups=1), nn.BatchNorm(),
            nn.Activation("relu"), nn.MaxPool2D(2, ceil_mode=True), nn.Conv2D(2, 1),
            nn.GlobalAvgPool2D(), nn.Flatten())
    return net, [(2, 2, 9, 9), (3, 2, 7, 7)]


def _norms():
    net = nn.HybridSequential()
    net.add(nn.Dense(8, flatten=False), nn.LayerNorm(), nn.Dropout(0.3), nn.Dense(4))
    return net, [(3, 5, 6), (2, 5, 6)]


def _deconv():
    net = nn.HybridSequential()
    net.add(nn.Conv2DTranspose(2, 3, strides=2, padding=1, output_padding=1),
            nn.AvgPool2D(2), nn.GroupNorm(2), nn.Activation("tanh"))
    return net, [(2, 3, 4, 4), (1, 3, 5, 5)]


def _lstm():
    net = nn.HybridSequential()
    net.add(rnn.LSTM(4, num_layers=2, bidirectional=True, layout="NTC"), nn.Dense(2))
    return net, [(2, 5, 3), (3, 5, 3)]


class _Embed(nn.HybridBlock):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(10, 4)
        self.out = nn.Dense(2)

    def forward(self, x):
        return self.out(self.emb(nd.floor(nd.abs(x) * 3) % 10))


def _embedding():
    return _Embed(), [(3, 4), (2, 4)]


MODELS = [_dense, _conv, _norms, _deconv, _lstm, _embedding]


def _pair(make):
    (eager, shapes), (hybrid, _) = make(), make()
    for net in (eager, hybrid):
        net.initialize(gl.init.Xavier())
        gl.random.seed(0)
        with autograd.predict_mode():
            net(nd.zeros(shapes[0], dtype="float64"))  # finish deferred init
        net.cast("float64")
    for pe, ph in zip(eager.collect_params().values(), hybrid.collect_params().values()):
        ph.set_data(pe.data())
    hybrid.hybridize()
    return eager, hybrid, shapes


@pytest.mark.parametrize("make", MODELS, ids=lambda m: m.__name__.strip("_"))
def test_training_and_prediction_match_eager(make):
    eager, hybrid, shapes = _pair(make)
    trainers = [gl.Trainer(n.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.5})
                for n in (eager, hybrid)]
    rng = np.random.RandomState(1)
    for shape in [shapes[0], shapes[0], shapes[1], shapes[1]]:
        x_np = rng.randn(*shape)
        results = []
        for net, trainer in zip((eager, hybrid), trainers):
            x = nd.array(x_np, dtype="float64")
            x.attach_grad()
            gl.random.seed(7)  # the same dropout masks
            with autograd.record():
                y = net(x)
                loss = (y * y).sum()
            loss.backward()
            trainer.step(shape[0])
            with autograd.predict_mode():
                pred = net(x)
            results.append((y.asnumpy(), x.grad.asnumpy(), pred.asnumpy()))
        for e, h in zip(*results):
            np.testing.assert_allclose(h, e, rtol=1e-9, atol=1e-10)
    for (name, pe), ph in zip(eager.collect_params().items(), hybrid.collect_params().values()):
        np.testing.assert_allclose(ph.data().asnumpy(), pe.data().asnumpy(), rtol=1e-9,
                                   atol=1e-10, err_msg=name)
    assert hybrid._hybrid_state.traces >= 2


def test_float32_model_zoo_network_matches():
    from gluonlite.model_zoo.vision import BasicBlockV2, ResNetV2

    def make():
        return ResNetV2(BasicBlockV2, [1, 1], [4, 4, 8], classes=3, thumbnail=True), [(2, 1, 8, 8)]

    eager, hybrid, shapes = _pair(make)
    for net in (eager, hybrid):
        net.cast("float32")
    x = nd.array(np.random.RandomState(0).randn(*shapes[0]))
    for _ in range(2):
        outs = []
        for net in (eager, hybrid):
            with autograd.record():
                y = net(x)
            y.backward()
            outs.append(y.asnumpy())
        np.testing.assert_allclose(outs[1], outs[0], rtol=1e-5, atol=1e-6)
