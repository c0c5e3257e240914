"""Trainer: batch-size rescaling against a hand-computed update, stale gradients (warning,
untouched parameters, ignore_stale_grad), data parallelism over two contexts == one context on
the whole batch, checkpoint/resume equality, float16 master weights, learning-rate control,
deferred initialization, grad_req='null', update on kvstore, and argument errors."""

import warnings

import numpy as np
import pytest

import gluonlite as gl
from gluonlite import autograd, kvstore, nd, nn
from gluonlite import optimizer as opt
from gluonlite.errors import MXNetRuntimeError, MXNetTypeError, MXNetValueError
from gluonlite.lr_scheduler import FactorScheduler
from gluonlite.trainer import Trainer
from gluonlite.utils import split_and_load

CTX2 = [gl.cpu(0), gl.cpu(1)]


class Affine(nn.HybridBlock):
    """y = x W^T + b; ``in_units=0`` leaves W's input size to the first forward."""

    def __init__(self, units=2, in_units=3):
        super().__init__()
        self.units = units
        self.weight = nn.Parameter("weight", shape=(units, in_units), allow_deferred_init=True)
        self.bias = nn.Parameter("bias", shape=(units,), init="zeros")

    def infer_shape(self, x):
        self.weight.shape = (self.units, x.shape[-1])

    def forward(self, x):
        ctx = x.context
        return nd.dot(x, self.weight.data(ctx), transpose_b=True) + self.bias.data(ctx)


class TwoHeads(nn.Block):
    def __init__(self):
        super().__init__()
        self.a = Affine()
        self.b = Affine()

    def forward(self, x, use_b=False):
        return self.b(x) if use_b else self.a(x)


W0 = np.array([[0.5, -0.2, 0.1], [0.3, 0.4, -0.6]])
B0 = np.array([0.05, -0.1])


def make_net(ctx=None, dtype=np.float32):
    net = Affine()
    net.initialize(ctx=ctx)
    net.weight.set_data(W0.astype(dtype))
    net.bias.set_data(B0.astype(dtype))
    return net


def batch(seed=0, n=8):
    rng = np.random.RandomState(seed)
    return rng.normal(size=(n, 3)), rng.normal(size=(n, 2))


def sq_loss(out, y):
    d = out - y
    return (d * d).sum()


def backward(net, x, y, ctx_list=None):
    """Forward/backward on the whole batch, or on one slice per context."""
    if ctx_list is None:
        with autograd.record():
            loss = sq_loss(net(nd.array(x)), nd.array(y))
        loss.backward()
        return
    xs, ys = split_and_load(x, ctx_list), split_and_load(y, ctx_list)
    with autograd.record():
        losses = [sq_loss(net(a), b) for a, b in zip(xs, ys)]
    for loss in losses:
        loss.backward()


def numpy_grads(w, b, x, y):
    r = x @ w.T + b - y
    return 2 * r.T @ x, 2 * r.sum(axis=0)


def weights(net, ctx=None):
    return net.weight.data(ctx).asnumpy(), net.bias.data(ctx).asnumpy()


# ---- the update ---------------------------------------------------------------------------
def test_step_rescales_by_batch_size():
    net = make_net()
    trainer = Trainer(
        net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01}
    )
    w, b = W0.copy(), B0.copy()
    mom_w, mom_b = np.zeros_like(w), np.zeros_like(b)
    for seed in range(3):
        x, y = batch(seed)
        backward(net, x, y)
        trainer.step(8)
        gw, gb = numpy_grads(w, b, x, y)
        mom_w = 0.9 * mom_w - 0.1 * 0.01 * w - 0.1 * gw / 8
        mom_b = 0.9 * mom_b - 0.1 * 0.01 * b - 0.1 * gb / 8
        w, b = w + mom_w, b + mom_b
    got_w, got_b = weights(net)
    np.testing.assert_allclose(got_w, w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_b, b, rtol=1e-5, atol=1e-6)


def test_rescale_grad_of_optimizer_multiplies():
    net = make_net()
    trainer = Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "rescale_grad": 2.0})
    x, y = batch()
    backward(net, x, y)
    trainer.step(4)
    assert trainer.optimizer.rescale_grad == 0.5
    gw, _ = numpy_grads(W0, B0, x, y)
    np.testing.assert_allclose(weights(net)[0], W0 - 0.1 * 0.5 * gw, rtol=1e-5)


def test_allreduce_then_update_equals_step():
    x, y = batch()
    results = []
    for split in (False, True):
        net = make_net(CTX2)
        trainer = Trainer(net.collect_params(), "adam", {"learning_rate": 0.01})
        backward(net, x, y, CTX2)
        if split:
            trainer.allreduce_grads()
            trainer.update(8)
        else:
            trainer.step(8)
        results.append(weights(net, gl.cpu(1)))
    np.testing.assert_array_equal(results[0][0], results[1][0])


# ---- stale gradients ------------------------------------------------------------------------
def test_stale_gradient_warns_and_leaves_parameters_unchanged():
    net = TwoHeads()
    net.initialize()
    trainer = Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    before_b = net.b.weight.data().asnumpy().copy()
    before_a = net.a.weight.data().asnumpy().copy()
    x, y = batch()
    with autograd.record():
        loss = sq_loss(net(nd.array(x)), nd.array(y))
    loss.backward()
    with pytest.warns(UserWarning, match=r"`b\.weight`, `b\.bias`") as record:
        trainer.step(8)
    assert "a.weight" not in str(record[0].message)
    np.testing.assert_array_equal(net.b.weight.data().asnumpy(), before_b)
    assert not np.array_equal(net.a.weight.data().asnumpy(), before_a)
    # a second step without backward: every parameter is stale and nothing moves
    after_a = net.a.weight.data().asnumpy().copy()
    with pytest.warns(UserWarning, match=r"`a\.weight`"):
        trainer.step(8)
    np.testing.assert_array_equal(net.a.weight.data().asnumpy(), after_a)


def test_ignore_stale_grad_is_silent():
    net = TwoHeads()
    net.initialize()
    trainer = Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    before_b = net.b.weight.data().asnumpy().copy()
    x, y = batch()
    with autograd.record():
        loss = sq_loss(net(nd.array(x)), nd.array(y))
    loss.backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trainer.step(8, ignore_stale_grad=True)
    np.testing.assert_array_equal(net.b.weight.data().asnumpy(), before_b)


def test_null_grad_req_is_skipped_silently():
    net = make_net()
    net.bias.grad_req = "null"
    trainer = Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    x, y = batch()
    backward(net, x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trainer.step(8)
    np.testing.assert_array_equal(weights(net)[1], B0.astype(np.float32))


# ---- data parallelism -------------------------------------------------------------------
@pytest.mark.parametrize("update_on_kvstore", [None, True])
@pytest.mark.parametrize("name", ["sgd", "adam"])
def test_two_contexts_equal_one_context(name, update_on_kvstore):
    params = {"learning_rate": 0.05, "wd": 0.01}
    if name == "sgd":
        params["momentum"] = 0.9
    one, two = make_net(), make_net(CTX2)
    t1 = Trainer(one.collect_params(), name, dict(params))
    t2 = Trainer(two.collect_params(), name, dict(params), update_on_kvstore=update_on_kvstore)
    for seed in range(3):
        x, y = batch(seed)
        backward(one, x, y)
        t1.step(8)
        backward(two, x, y, CTX2)
        t2.step(8)
    assert t2._kvstore is not None and t2._update_on_kvstore == bool(update_on_kvstore)
    for ctx in CTX2:
        for got, want in zip(weights(two, ctx), weights(one)):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    if update_on_kvstore:
        with pytest.raises(MXNetRuntimeError, match="update_on_kvstore"):
            t2.allreduce_grads()


def test_no_kvstore_means_no_reduction():
    net = make_net(CTX2)
    trainer = Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1}, kvstore=None)
    x, y = batch()
    backward(net, x, y, CTX2)
    trainer.step(8)
    gw0, _ = numpy_grads(W0, B0, x[:4], y[:4])
    gw1, _ = numpy_grads(W0, B0, x[4:], y[4:])
    np.testing.assert_allclose(weights(net, gl.cpu(0))[0], W0 - 0.1 * gw0 / 8, rtol=1e-5)
    np.testing.assert_allclose(weights(net, gl.cpu(1))[0], W0 - 0.1 * gw1 / 8, rtol=1e-5)


def test_kvstore_instance_is_used():
    kv = kvstore.create("device")
    net = make_net(CTX2)
    trainer = Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1}, kvstore=kv)
    backward(net, *batch(), CTX2)
    trainer.step(8)
    assert trainer._kvstore is kv
    np.testing.assert_array_equal(weights(net, gl.cpu(0))[0], weights(net, gl.cpu(1))[0])


# ---- checkpoints ------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "params"), [
    ("sgd", {"learning_rate": 0.1, "momentum": 0.9}),
    ("adam", {"learning_rate": 0.01, "wd": 0.001}),
    ("sgd", {"momentum": 0.5, "lr_scheduler": "factor"}),
])  # fmt: skip
@pytest.mark.parametrize("ctx", [None, CTX2])
def test_save_load_states_resumes_exactly(tmp_path, name, params, ctx):
    def make_trainer(net):
        p = dict(params)
        if p.get("lr_scheduler") == "factor":
            p["lr_scheduler"] = FactorScheduler(step=2, factor=0.5, base_lr=0.2)
        return Trainer(net.collect_params(), name, p)

    def train(net, trainer, seeds):
        for seed in seeds:
            x, y = batch(seed)
            backward(net, x, y, ctx)
            trainer.step(8)

    straight = make_net(ctx)
    t_straight = make_trainer(straight)
    train(straight, t_straight, range(6))

    first = make_net(ctx)
    t_first = make_trainer(first)
    train(first, t_first, range(3))
    first.save_parameters(str(tmp_path / "net.params"))
    t_first.save_states(str(tmp_path / "trainer.states"))

    resumed = Affine()
    resumed.initialize(ctx=ctx)
    resumed.load_parameters(str(tmp_path / "net.params"), ctx=ctx)
    t_resumed = make_trainer(resumed)
    t_resumed.load_states(str(tmp_path / "trainer.states"))
    assert t_resumed.optimizer.num_update == 3
    train(resumed, t_resumed, range(3, 6))
    for c in ctx or [None]:
        for got, want in zip(weights(resumed, c), weights(straight, c)):
            np.testing.assert_array_equal(got, want)
    assert t_resumed.learning_rate == t_straight.learning_rate


def test_load_states_restores_settings_and_class(tmp_path):
    net = make_net()
    trainer = Trainer(net.collect_params(), "adam", {"learning_rate": 0.01})
    backward(net, *batch())
    trainer.step(8)
    trainer.set_learning_rate(0.003)
    trainer.save_states(str(tmp_path / "s"))
    other = Trainer(make_net().collect_params(), "sgd", {"learning_rate": 0.5})
    other.load_states(str(tmp_path / "s"))
    assert isinstance(other.optimizer, opt.Adam)
    assert other.learning_rate == 0.003
    assert other.optimizer._index_update_count == {0: 1, 1: 1}
    assert other.optimizer.param_dict[0] is other._params[0]


def test_states_file_is_not_pickle(tmp_path):
    net = make_net()
    trainer = Trainer(net.collect_params(), "adam")
    backward(net, *batch())
    trainer.step(8)
    path = tmp_path / "s"
    trainer.save_states(str(path))
    loaded = nd.load(str(path))
    assert isinstance(loaded, dict) and "__gluonlite_optimizer_meta__" in loaded
    assert loaded["__gluonlite_optimizer_meta__"].dtype == np.uint8
    nd.save(str(path), {"x": nd.zeros((1,))})
    with pytest.raises(MXNetValueError, match="not a gluonlite optimizer-state file"):
        trainer.load_states(str(path))


def test_updater_state_bytes_round_trip():
    net = make_net()
    trainer = Trainer(net.collect_params(), "sgd", {"momentum": 0.9})
    backward(net, *batch())
    trainer.step(8)
    blob = trainer._updaters[0].get_states(dump_optimizer=True)
    fresh = opt.get_updater(opt.SGD(momentum=0.9))
    fresh.set_states(blob)
    np.testing.assert_array_equal(
        fresh.states[0].asnumpy(), trainer._updaters[0].states[0].asnumpy()
    )
    assert fresh.optimizer.num_update == 1


# ---- precision, learning rate, deferred init, errors ------------------------------------------
def test_multi_precision_float16_parameters():
    net = make_net()
    net.cast("float16")
    trainer = Trainer(
        net.collect_params(),
        "sgd",
        {"learning_rate": 0.1, "momentum": 0.9, "multi_precision": True},
    )
    w = W0.astype(np.float16).astype(np.float32)
    b = B0.astype(np.float16).astype(np.float32)
    mom_w, mom_b = np.zeros_like(w), np.zeros_like(b)
    for seed in range(2):
        x, y = batch(seed)
        with autograd.record():
            loss = sq_loss(net(nd.array(x, dtype=np.float16)), nd.array(y, dtype=np.float16))
        loss.backward()
        gw = net.weight.grad().asnumpy().astype(np.float32)
        gb = net.bias.grad().asnumpy().astype(np.float32)
        trainer.step(8)
        mom_w = 0.9 * mom_w - 0.1 * gw / 8
        mom_b = 0.9 * mom_b - 0.1 * gb / 8
        w, b = w + mom_w, b + mom_b
    master = trainer._updaters[0].states[0][0]
    assert master.dtype == np.float32 and net.weight.data().dtype == np.float16
    np.testing.assert_allclose(master.asnumpy(), w, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(net.weight.data().asnumpy(), w.astype(np.float16))


def test_learning_rate_and_set_learning_rate():
    net = make_net()
    trainer = Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    assert trainer.learning_rate == 0.1
    trainer.set_learning_rate(0.02)
    assert trainer.learning_rate == 0.02 and trainer.optimizer.lr == 0.02
    sched = Trainer(
        make_net().collect_params(),
        "sgd",
        {"lr_scheduler": FactorScheduler(step=1, factor=0.5, base_lr=1.0)},
    )
    assert sched.learning_rate == 1.0
    with pytest.raises(UserWarning, match="LRScheduler"):
        sched.set_learning_rate(0.1)


def test_deferred_initialization_before_trainer():
    net = Affine(in_units=0)
    net.initialize(ctx=CTX2)
    trainer = Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    x, y = batch()
    backward(net, x, y, CTX2)  # the first forward finishes the initialization
    w_before = net.weight.data(gl.cpu(0)).asnumpy().copy()
    trainer.step(8)
    gw, _ = numpy_grads(w_before, np.zeros(2), x, y)
    for ctx in CTX2:
        np.testing.assert_allclose(
            net.weight.data(ctx).asnumpy(), w_before - 0.1 * gw / 8, rtol=1e-5, atol=1e-6
        )


def test_params_as_list_and_shared_parameters():
    net = make_net()
    params = [net.weight, net.bias, net.weight]
    trainer = Trainer(params, opt.SGD(learning_rate=0.1))
    assert len(trainer._params) == 2
    backward(net, *batch())
    trainer.step(8)
    assert trainer.optimizer.num_update == 1


def test_user_optimizer_through_trainer():
    @opt.register
    class HalfStep(opt.Optimizer):
        def create_state(self, index, weight):
            return None

        def update(self, index, weight, grad, state):
            self._update_count(index)
            weight[:] = weight - 0.5 * self.rescale_grad * grad

    try:
        net = make_net()
        trainer = Trainer(net.collect_params(), "halfstep")
        x, y = batch()
        backward(net, x, y)
        trainer.step(8)
        gw, _ = numpy_grads(W0, B0, x, y)
        np.testing.assert_allclose(weights(net)[0], W0 - 0.5 * gw / 8, rtol=1e-5)
    finally:
        del opt.Optimizer.opt_registry["halfstep"]


def test_argument_errors():
    net = make_net()
    with pytest.raises(MXNetTypeError, match="list or dict of Parameters"):
        Trainer(net, "sgd")
    with pytest.raises(MXNetTypeError, match="list of int"):
        Trainer([1, 2], "sgd")
    with pytest.raises(MXNetValueError, match="optimizer_params must be None"):
        Trainer(net.collect_params(), opt.SGD(), {"learning_rate": 0.1})
    other = make_net(CTX2)
    with pytest.raises(MXNetValueError, match="same set of contexts"):
        Trainer([net.weight, other.weight], "sgd")
