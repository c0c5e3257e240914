"""mx.mod.Module: fit on a separable problem, score/predict, checkpoints in MXNet's format,
the step-by-step API against a hand-written SGD step, and data parallelism over contexts."""

import logging

import numpy as np
import pytest

import gluonlite as gl
from gluonlite import io, module, nd
from gluonlite.hybrid import sym_namespace as sym


def _data(n=200, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.randn(n, 4).astype("f4")
    y = (x[:, 0] - x[:, 1] > 0).astype("f4")
    return x, y


def _net(hidden=16):
    data = sym.var("data")
    fc1 = sym.FullyConnected(data, num_hidden=hidden, name="fc1")
    act = sym.Activation(fc1, act_type="relu", name="relu1")
    fc2 = sym.FullyConnected(act, num_hidden=2, name="fc2")
    return sym.SoftmaxOutput(fc2, name="softmax")


def _fitted(num_epoch=10, **kwargs):
    x, y = _data()
    mod = module.Module(_net(), **kwargs)
    mod.fit(
        io.NDArrayIter(x, y, batch_size=20, shuffle=True),
        num_epoch=num_epoch,
        optimizer="sgd",
        optimizer_params={"learning_rate": 0.1, "momentum": 0.9},
        initializer=gl.init.Xavier(),
    )
    return mod


def test_fit_reaches_high_accuracy_and_score_predict():
    mod = _fitted()
    x, y = _data(seed=1)
    ((name, acc),) = mod.score(io.NDArrayIter(x, y, batch_size=20), "acc")
    assert name == "accuracy" and acc > 0.95
    probs = mod.predict(io.NDArrayIter(x[:45], y[:45], batch_size=20))
    assert probs.shape == (45, 2)  # the padding of the last batch is removed
    np.testing.assert_allclose(probs.asnumpy().sum(1), 1, rtol=1e-5)
    assert (probs.asnumpy().argmax(1) == y[:45]).mean() > 0.9
    assert mod.output_shapes == [("softmax_output", (20, 2))]
    assert mod.predict(nd.array(x[:20])).shape == (20, 2)


def test_fit_logs_and_calls_callbacks(tmp_path, caplog):
    x, y = _data(60)
    seen = []
    mod = module.Module(_net())
    with caplog.at_level(logging.INFO):
        mod.fit(
            io.NDArrayIter(x, y, batch_size=20),
            eval_data=io.NDArrayIter(x, y, 20),
            num_epoch=2,
            batch_end_callback=[
                gl.module.callback.Speedometer(20, 1),
                lambda p: seen.append((p.epoch, p.nbatch)),
            ],
            epoch_end_callback=module.callback.do_checkpoint(str(tmp_path / "m")),
        )
    assert seen == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]
    assert "Epoch[1] Validation-accuracy" in caplog.text and "samples/sec" in caplog.text
    assert (tmp_path / "m-symbol.json").exists() and (tmp_path / "m-0002.params").exists()


def test_checkpoint_round_trip_in_mxnet_format(tmp_path):
    mod = _fitted(num_epoch=2)
    prefix = str(tmp_path / "mlp")
    mod.save_checkpoint(prefix, 3, save_optimizer_states=True)
    saved = nd.load(f"{prefix}-0003.params")
    assert sorted(saved) == ["arg:fc1_bias", "arg:fc1_weight", "arg:fc2_bias", "arg:fc2_weight"]
    symbol, _, aux_params = module.load_checkpoint(prefix, 3)
    assert symbol.list_arguments() == _net().list_arguments() and aux_params == {}
    loaded = module.Module.load(prefix, 3, load_optimizer_states=True)
    x, y = _data(40, seed=2)
    loaded.bind(data_shapes=[("data", (20, 4))], label_shapes=[("softmax_label", (20,))])
    loaded.init_optimizer(optimizer="sgd", optimizer_params={"momentum": 0.9})
    it = io.NDArrayIter(x, y, batch_size=20)
    np.testing.assert_allclose(loaded.predict(it).asnumpy(), mod.predict(it).asnumpy(), rtol=1e-6)


def test_step_by_step_matches_hand_written_sgd():
    x, y = _data(8)
    mod = module.Module(_net(hidden=3))
    mod.bind(
        data_shapes=[io.DataDesc("data", (8, 4))], label_shapes=[io.DataDesc("softmax_label", (8,))]
    )
    mod.init_params(gl.init.Uniform(0.5))
    mod.init_optimizer(optimizer="sgd", optimizer_params=(("learning_rate", 0.1), ("wd", 0.01)))
    before = {k: v.asnumpy() for k, v in mod.get_params()[0].items()}
    batch = io.DataBatch([nd.array(x)], [nd.array(y)])
    mod.forward(batch, is_train=True)
    mod.backward()
    grads = {n: g[0].asnumpy() for n, g in zip(mod._param_names, mod._exec_group.grad_arrays)}
    mod.update()
    after = mod.get_params()[0]
    for name, w in before.items():
        wd = 0.01 if name.endswith("weight") else 0.0  # MXNet: no decay on biases
        expected = w - 0.1 * (grads[name] / 8 + wd * w)
        np.testing.assert_allclose(after[name].asnumpy(), expected, rtol=1e-5, atol=1e-6)
    metric = gl.metric.create("acc")
    mod.update_metric(metric, batch.label)
    assert metric.get()[1] >= 0.0
    assert mod.get_outputs()[0].shape == (8, 2)


def test_batchnorm_module_keeps_aux_params_and_set_params():
    data = sym.var("data")
    net = sym.SoftmaxOutput(
        sym.FullyConnected(sym.BatchNorm(data, name="bn"), num_hidden=2, name="fc"), name="softmax"
    )
    x, y = _data(40)
    mod = module.Module(net)
    mod.fit(io.NDArrayIter(x + 5, y, batch_size=20), num_epoch=2)
    arg_params, aux_params = mod.get_params()
    assert sorted(aux_params) == ["bn_moving_mean", "bn_moving_var"]
    assert abs(aux_params["bn_moving_mean"].asnumpy().mean() - 5) < 3.5
    other = module.Module(net)
    other.bind(data_shapes=[("data", (20, 4))], for_training=False, label_shapes=None)
    other.set_params(arg_params, aux_params)
    it = io.NDArrayIter(x, batch_size=20)
    np.testing.assert_allclose(other.predict(it).asnumpy(), mod.predict(it).asnumpy(), rtol=1e-5)
    with pytest.raises(RuntimeError, match="not presented"):
        other.set_params({}, aux_params)


def test_regression_module_with_mse():
    rng = np.random.RandomState(0)
    x = rng.randn(100, 3).astype("f4")
    y = x @ np.array([1.0, -2.0, 0.5], "f4") + 0.3
    net = sym.LinearRegressionOutput(
        sym.FullyConnected(sym.var("data"), num_hidden=1, name="fc"), name="lro"
    )
    mod = module.Module(net, label_names=["lro_label"])
    mod.fit(
        io.NDArrayIter(x, y, batch_size=10, label_name="lro_label"),
        num_epoch=20,
        eval_metric="mse",
        optimizer_params={"learning_rate": 0.1},
    )
    ((_, mse),) = mod.score(io.NDArrayIter(x, y, 10, label_name="lro_label"), "mse")
    assert mse < 1e-3


def test_data_parallel_over_two_contexts_matches_one():
    x, y = _data(16)
    results = []
    for ctx in ([gl.cpu(0)], [gl.cpu(0), gl.cpu(1)]):
        gl.random.seed(3)
        mod = module.Module(_net(hidden=4), context=ctx)
        mod.bind(data_shapes=[("data", (16, 4))], label_shapes=[("softmax_label", (16,))])
        mod.init_params(gl.init.Uniform(0.3))
        mod.init_optimizer(optimizer_params={"learning_rate": 0.5})
        batch = io.DataBatch([nd.array(x)], [nd.array(y)])
        for _ in range(3):
            mod.forward_backward(batch)
            mod.update()
        results.append({k: v.asnumpy() for k, v in mod.get_params()[0].items()})
        assert mod.get_outputs()[0].shape == (16, 2)
    for name in results[0]:
        np.testing.assert_allclose(results[1][name], results[0][name], rtol=1e-5, atol=1e-6)


def test_forward_with_another_batch_size_rebinds():
    mod = _fitted(num_epoch=1)
    x, _ = _data(7)
    mod.forward(io.DataBatch([nd.array(x)]), is_train=False)
    assert mod.get_outputs()[0].shape == (7, 2)


def test_bind_checks_names():
    with pytest.raises(gl.MXNetError, match="data names"):
        module.Module(_net(), data_names=["x"])
    with pytest.warns(UserWarning, match="label name"):
        module.Module(_net(), label_names=["nope"])
    mod = module.Module(_net())
    with pytest.raises(RuntimeError, match="bind"):
        mod.init_params()


def test_classic_mxnet_program_through_the_top_level_names(tmp_path):
    """The MXNet 1.x symbolic workflow, spelled as such programs spell it (``mx.sym``,
    ``mx.io``, ``mx.mod``, ``mx.callback``, ``mx.model``)."""
    mx = gl
    if not all(hasattr(mx, n) for n in ("sym", "symbol", "io", "mod", "callback", "model")):
        pytest.skip("top-level names not wired into gluonlite/__init__.py yet")
    x, y = _data(100)
    data = mx.sym.Variable("data")
    fc1 = mx.sym.FullyConnected(data=data, name="fc1", num_hidden=16)
    act1 = mx.sym.Activation(data=fc1, name="relu1", act_type="relu")
    fc2 = mx.sym.FullyConnected(data=act1, name="fc2", num_hidden=2)
    mlp = mx.symbol.SoftmaxOutput(data=fc2, name="softmax")
    train_iter = mx.io.NDArrayIter(x, y, batch_size=10, shuffle=True)
    mod = mx.mod.Module(
        symbol=mlp, context=mx.cpu(), data_names=["data"], label_names=["softmax_label"]
    )
    prefix = str(tmp_path / "mlp")
    mod.fit(
        train_iter,
        eval_data=mx.io.NDArrayIter(x, y, batch_size=10),
        optimizer="sgd",
        optimizer_params={"learning_rate": 0.1},
        eval_metric="acc",
        num_epoch=5,
        initializer=mx.init.Xavier(),
        batch_end_callback=mx.callback.Speedometer(10, 5),
        epoch_end_callback=mx.callback.do_checkpoint(prefix),
    )
    sym, arg_params, _ = mx.model.load_checkpoint(prefix, 5)
    assert sym.tojson() == mlp.tojson() and "fc1_weight" in arg_params
    assert mod.score(mx.io.NDArrayIter(x, y, batch_size=10), mx.metric.Accuracy())[0][1] > 0.9


def test_fixed_params_stay_and_input_grads():
    x, y = _data(10)
    mod = module.Module(_net(hidden=3), fixed_param_names=["fc1_weight"])
    mod.bind(
        data_shapes=[("data", (10, 4))],
        label_shapes=[("softmax_label", (10,))],
        inputs_need_grad=True,
    )
    mod.init_params(gl.init.Uniform(0.5))
    mod.init_optimizer(optimizer_params={"learning_rate": 1.0})
    before = {k: v.asnumpy() for k, v in mod.get_params()[0].items()}
    mod.forward_backward(io.DataBatch([nd.array(x)], [nd.array(y)]))
    mod.update()
    after = mod.get_params()[0]
    np.testing.assert_array_equal(after["fc1_weight"].asnumpy(), before["fc1_weight"])
    assert not np.allclose(after["fc2_weight"].asnumpy(), before["fc2_weight"])
    assert mod.get_input_grads()[0].shape == (10, 4)
