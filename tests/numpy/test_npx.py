"""npx and Gluon in np mode: the switches and their scopes, npx operators against their nd
compositions, save/load, parameters read as np arrays, ``F.np``/``F.npx`` in hybrid_forward,
hybridize, DataLoader and the same training losses in np and nd style."""

import numpy as onp
import pytest

import gluonlite as gl
import gluonlite.numpy as np
import gluonlite.numpy_extension as npx
from gluonlite import autograd, nd, nn, util
from gluonlite.data import ArrayDataset, DataLoader
from gluonlite.errors import MXNetValueError
from gluonlite.loss import L2Loss, SoftmaxCrossEntropyLoss
from gluonlite.trainer import Trainer


# ---- switches ---------------------------------------------------------------------------------
def test_set_np_and_reset_np_switch_the_default_array_class():
    assert not npx.is_np_array() and type(nd.zeros(2)) is nd.NDArray
    npx.set_np()
    assert npx.is_np_array() and npx.is_np_shape() and util.is_np_array()
    assert type(nd.zeros(2)) is np.ndarray  # creation functions follow the mode
    assert type(np.ones(2)) is np.ndarray
    npx.reset_np()
    assert not npx.is_np_array() and not npx.is_np_shape()
    assert type(np.ones(2)) is np.ndarray  # np always makes np arrays
    with pytest.raises(MXNetValueError, match="shape=True"):
        npx.set_np(shape=False, array=True)


def test_scopes_restore_the_previous_state():
    with util.np_array():
        assert npx.is_np_array()
        with util.np_array(False):
            assert not npx.is_np_array()
        assert npx.is_np_array()
    assert not npx.is_np_array()
    with util.np_shape():
        assert npx.is_np_shape() and not npx.is_np_array()
    with util.np_default_dtype():
        assert np.zeros(1).dtype == onp.float64


def test_use_np_on_functions_and_classes():
    @npx.use_np
    def make():
        assert npx.is_np_array()
        return nd.ones(2)

    assert type(make()) is np.ndarray and not npx.is_np_array()

    @util.use_np
    class Net(nn.HybridBlock):
        def __init__(self):
            super().__init__()
            self.dense = nn.Dense(2, in_units=3)

        def forward(self, x):
            assert npx.is_np_array()
            return self.dense(x)

        @property
        def mode(self):
            return npx.is_np_array()

    net = Net()
    net.initialize()
    assert type(net(nd.ones((1, 3)).as_np_ndarray())) is np.ndarray
    assert net.mode and not npx.is_np_array()
    assert type(net.dense.weight.data()) is nd.NDArray  # outside the scope: nd again


# ---- npx operators ----------------------------------------------------------------------------
def _x(*shape):
    return onp.random.RandomState(0).randn(*shape).astype("float32")


NPX_VS_ND = [
    (lambda m, x: m.relu(x), "relu", "relu", (2, 3)),
    (lambda m, x: m.sigmoid(x), "sigmoid", "sigmoid", (2, 3)),
    (lambda m, x: npx.softmax(x, axis=0), "softmax", "softmax", (2, 3)),
    (lambda m, x: npx.log_softmax(x), "log_softmax", "log_softmax", (2, 3)),
    (lambda m, x: npx.activation(x, act_type="tanh"), "activation", "Activation", (2, 3)),
    (lambda m, x: npx.leaky_relu(x, slope=0.1), "leaky_relu", "LeakyReLU", (2, 3)),
]


@pytest.mark.parametrize(("call", "_npx", "_nd"), [c[:3] for c in NPX_VS_ND])
def test_npx_elementwise_matches_nd(call, _npx, _nd):
    x = _x(2, 3)
    got = call(npx, np.array(x))
    assert type(got) is np.ndarray
    want = {"relu": nd.relu, "sigmoid": nd.sigmoid}.get(_npx)
    if want is None:
        kwargs = {
            "softmax": {"axis": 0},
            "activation": {"act_type": "tanh"},
            "leaky_relu": {"slope": 0.1},
        }.get(_npx, {})
        want = lambda a: getattr(nd, _nd)(a, **kwargs)
    onp.testing.assert_allclose(got.asnumpy(), want(nd.array(x)).asnumpy(), rtol=1e-6)


def test_npx_layers_match_nd():
    x, w, b = np.array(_x(2, 3, 5, 5)), np.array(_x(4, 3, 3, 3)), np.array(_x(4))
    conv = npx.convolution(x, w, b, kernel=(3, 3), pad=(1, 1), num_filter=4)
    want = nd.Convolution(
        x.as_nd_ndarray(),
        w.as_nd_ndarray(),
        b.as_nd_ndarray(),
        kernel=(3, 3),
        pad=(1, 1),
        num_filter=4,
    )
    onp.testing.assert_allclose(conv.asnumpy(), want.asnumpy(), rtol=1e-5)
    assert type(conv) is np.ndarray
    pooled = npx.pooling(conv, kernel=(2, 2), stride=(2, 2), pool_type="avg")
    assert pooled.shape == (2, 4, 2, 2)
    assert npx.pooling(conv, global_pool=True, pool_type="max").shape == (2, 4, 1, 1)
    up = npx.deconvolution(pooled, np.array(_x(4, 2, 2, 2)), kernel=(2, 2), stride=(2, 2))
    assert up.shape == (2, 2, 4, 4)
    fc = npx.fully_connected(x, np.array(_x(6, 75)), np.array(_x(6)), num_hidden=6)
    onp.testing.assert_allclose(
        fc.asnumpy(), x.asnumpy().reshape(2, -1) @ _x(6, 75).T + _x(6), rtol=1e-4, atol=1e-5
    )
    no_bias = npx.fully_connected(x, np.array(_x(6, 75)), num_hidden=6)
    onp.testing.assert_allclose(
        no_bias.asnumpy(), x.asnumpy().reshape(2, -1) @ _x(6, 75).T, rtol=1e-4, atol=1e-5
    )
    ln = npx.layer_norm(np.array(_x(2, 4)), np.ones(4), np.zeros(4))
    onp.testing.assert_allclose(ln.asnumpy().mean(-1), 0, atol=1e-6)
    bn = npx.batch_norm(
        np.array(_x(4, 3)), np.ones(3), np.zeros(3), np.zeros(3), np.ones(3), fix_gamma=False
    )
    assert bn.shape == (4, 3) and type(bn) is np.ndarray


def test_npx_indexing_and_sequence_ops():
    data = np.array([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]])
    onp.testing.assert_array_equal(npx.pick(data, np.array([1, 2])).asnumpy(), [5.0, 6.0])
    onp.testing.assert_array_equal(npx.topk(data, k=1).asnumpy(), [[1.0], [2.0]])
    onp.testing.assert_array_equal(
        npx.one_hot(np.array([0, 2]), 3).asnumpy(), [[1, 0, 0], [0, 0, 1]]
    )
    seq = npx.sequence_mask(np.ones((3, 2)), np.array([1, 3]), use_sequence_length=True)
    onp.testing.assert_array_equal(seq.asnumpy(), [[1, 1], [0, 1], [0, 1]])
    emb = npx.embedding(np.array([0, 2]), np.array(_x(3, 4)), input_dim=3, output_dim=4)
    onp.testing.assert_array_equal(emb.asnumpy(), _x(3, 4)[[0, 2]])
    bd = npx.batch_dot(np.ones((2, 3, 4)), np.ones((2, 4, 5)))
    assert bd.shape == (2, 3, 5) and float(bd[0, 0, 0]) == 4.0
    with autograd.record():
        dropped = npx.dropout(np.ones((100,)), p=0.5)
    assert set(onp.unique(dropped.asnumpy())) <= {0.0, 2.0}
    assert (npx.dropout(np.ones(4), p=0.5).asnumpy() == 1).all()  # predict mode


def test_npx_save_load_and_devices(tmp_path):
    f = str(tmp_path / "arrays.npx")
    npx.save(f, {"a": np.arange(3), "b": np.ones((2, 2), dtype="int32")})
    loaded = npx.load(f)
    assert type(loaded["a"]) is np.ndarray and loaded["b"].dtype == onp.int32
    onp.testing.assert_array_equal(loaded["a"].asnumpy(), [0, 1, 2])
    npx.save(f, np.ones(2))
    assert [a.shape for a in npx.load(f)] == [(2,)]
    assert npx.cpu() == gl.cpu() and npx.current_context() == npx.current_device()
    assert npx.num_gpus() == gl.num_gpus()
    npx.waitall()
    assert type(npx.from_numpy(onp.ones(2, "float32"))) is np.ndarray


def test_seeds_repeat_draws():
    npx.seed(7)
    a = np.random.uniform(size=4).asnumpy()
    np.random.seed(7)
    b = np.random.uniform(size=4).asnumpy()
    gl.random.seed(7)
    c = np.random.uniform(size=4).asnumpy()
    onp.testing.assert_array_equal(a, b)
    onp.testing.assert_array_equal(a, c)


# ---- Gluon in np mode -------------------------------------------------------------------------
def test_parameters_read_as_np_arrays_and_gradients_reach_them():
    net = nn.Dense(3, in_units=2)
    net.initialize()  # created in nd mode
    npx.set_np()
    w = net.weight.data()
    assert type(w) is np.ndarray and w._data is net.weight._data[0]._data
    x = np.ones((4, 2))
    with autograd.record():
        loss = net(x).sum()
    loss.backward()
    g = net.weight.grad()
    assert type(g) is np.ndarray
    onp.testing.assert_allclose(g.asnumpy(), onp.full((3, 2), 4.0))
    assert all(type(a) is np.ndarray for a in net.weight.list_data() + net.weight.list_grad())
    npx.reset_np()
    assert type(net.weight.data()) is nd.NDArray


class _FStyle(nn.HybridBlock):
    """MXNet 1.x np-mode code: F.np and F.npx inside hybrid_forward."""

    def __init__(self):
        super().__init__()
        self.weight = gl.nn.Parameter("weight", shape=(4, 3))

    def hybrid_forward(self, F, x, weight):
        return F.npx.relu(F.np.dot(x, weight.T)) + F.np.sum(x, axis=1, keepdims=True)


def test_f_np_in_hybrid_forward_and_hybridize_equals_eager():
    npx.set_np()
    net = _FStyle()
    net.initialize()
    x = np.array(_x(5, 3))
    x.attach_grad()
    with autograd.record():
        eager = net(x)
    eager.backward()
    eager_grad = x.grad.asnumpy().copy()
    net.hybridize()
    for _ in range(2):  # trace, then replay
        with autograd.record():
            hybrid = net(x)
        hybrid.backward()
        assert type(hybrid) is np.ndarray
        onp.testing.assert_allclose(hybrid.asnumpy(), eager.asnumpy(), rtol=1e-6)
        onp.testing.assert_allclose(x.grad.asnumpy(), eager_grad, rtol=1e-6)
    npx.reset_np()
    out = net(nd.array(_x(5, 3)))  # nd input: a new signature (npx still returns np arrays)
    onp.testing.assert_allclose(out.asnumpy(), eager.asnumpy(), rtol=1e-6)


def test_dataloader_batches_and_metrics_in_np_mode():
    npx.set_np()
    data = ArrayDataset(onp.arange(12, dtype="float32").reshape(6, 2), onp.arange(6))
    batches = list(DataLoader(data, batch_size=4))
    assert all(type(d) is np.ndarray and type(lbl) is np.ndarray for d, lbl in batches)
    assert batches[0][0].shape == (4, 2) and batches[1][1].shape == (2,)
    acc = gl.metric.Accuracy()
    acc.update(np.array([1, 0]), np.array([[0.2, 0.8], [0.9, 0.1]]))
    assert acc.get()[1] == 1.0


def _train(np_mode, hybridize=False, steps=5):
    gl.random.seed(0)
    if np_mode:
        npx.set_np()
    rng = onp.random.RandomState(1)
    X = rng.randn(16, 5).astype("float32")
    Y = (X @ onp.arange(1, 6, dtype="float32"))[:, None]
    mod = np if np_mode else nd
    x, y = mod.array(X), mod.array(Y)
    net = nn.Sequential()
    net.add(nn.Dense(8, activation="relu"), nn.Dense(1))
    net.initialize()
    if hybridize:
        net.hybridize()
    trainer = Trainer(net.collect_params(), "sgd", {"learning_rate": 0.05})
    loss_fn = L2Loss()
    losses = []
    for _ in range(steps):
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(16)
        assert type(loss) is (np.ndarray if np_mode else nd.NDArray)
        losses.append(loss.asnumpy())
    npx.reset_np()
    return losses


def test_np_style_training_gives_the_nd_losses_step_by_step():
    nd_losses = _train(np_mode=False)
    for np_losses in (_train(np_mode=True), _train(np_mode=True, hybridize=True)):
        for a, b in zip(nd_losses, np_losses):
            onp.testing.assert_allclose(a, b, rtol=1e-6)
    assert nd_losses[-1].mean() < nd_losses[0].mean()


def test_classification_loss_with_int_labels_in_np_mode():
    npx.set_np()
    net = nn.Dense(3, in_units=4)
    net.initialize()
    loss = SoftmaxCrossEntropyLoss()(net(np.ones((2, 4))), np.array([0, 2], dtype="int64"))
    assert type(loss) is np.ndarray and loss.shape == (2,)
