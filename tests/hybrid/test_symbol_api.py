"""The MXNet 1.x Symbol API: composition, MXNet's node and argument names, shape inference,
JSON round trips, executors (bind/simple_bind) and the gradients of loss outputs."""

import json

import numpy as np
import pytest

import gluonlite as gl
from gluonlite import autograd, nd, nn
from gluonlite.hybrid import sym_namespace as sym


def _mlp():
    data = sym.var("data")
    fc1 = sym.FullyConnected(data=data, num_hidden=8, name="fc1")
    act = sym.Activation(fc1, act_type="relu", name="relu1")
    fc2 = sym.FullyConnected(act, num_hidden=3, name="fc2")
    return sym.SoftmaxOutput(fc2, name="softmax")


def _randomize(exe, scale=0.5, seed=0):
    rng = np.random.RandomState(seed)
    for name, arr in exe.arg_dict.items():
        if name.endswith(("weight", "bias")):
            arr[:] = nd.array(rng.randn(*arr.shape) * scale, dtype=arr.dtype)


# ---- names and shapes ---------------------------------------------------------------------------
def test_mlp_names_match_mxnet():
    net = _mlp()
    assert net.list_arguments() == [
        "data",
        "fc1_weight",
        "fc1_bias",
        "fc2_weight",
        "fc2_bias",
        "softmax_label",
    ]
    assert net.list_outputs() == ["softmax_output"]
    assert net.list_auxiliary_states() == []
    internals = net.get_internals().list_outputs()
    assert internals == [
        "data",
        "fc1_weight",
        "fc1_bias",
        "fc1_output",
        "relu1_output",
        "fc2_weight",
        "fc2_bias",
        "fc2_output",
        "softmax_label",
        "softmax_output",
    ]
    assert net.name == "softmax" and repr(net) == "<Symbol softmax>"


def test_infer_shape_creates_parameter_shapes():
    args, outs, aux = _mlp().infer_shape(data=(5, 4))
    assert args == [(5, 4), (8, 4), (8,), (3, 8), (3,), (5,)]
    assert outs == [(5, 3)] and aux == []
    # positional shapes, in list_arguments order
    assert _mlp().infer_shape((5, 4))[1] == [(5, 3)]
    assert _mlp().infer_shape_partial()[1] == [None]


def test_batchnorm_auxiliary_states_and_conv_shapes():
    data = sym.var("data")
    conv = sym.Convolution(data, kernel=(3, 3), num_filter=4, pad=(1, 1), name="conv")
    bn = sym.BatchNorm(conv, name="bn")
    pool = sym.Pooling(
        sym.Activation(bn, act_type="relu"), kernel=(2, 2), stride=(2, 2), pool_type="max"
    )
    net = sym.FullyConnected(sym.Flatten(pool), num_hidden=2, name="fc")
    assert net.list_arguments() == [
        "data",
        "conv_weight",
        "conv_bias",
        "bn_gamma",
        "bn_beta",
        "fc_weight",
        "fc_bias",
    ]
    assert net.list_auxiliary_states() == ["bn_moving_mean", "bn_moving_var"]
    args, outs, aux = net.infer_shape(data=(2, 3, 6, 6))
    assert args[1] == (4, 3, 3, 3) and args[5] == (2, 36) and outs == [(2, 2)]
    assert aux == [(4,), (4,)]


def test_auto_names_follow_mxnet_counters():
    with sym.NameManager():
        x = sym.var("x")
        a = sym.FullyConnected(x, num_hidden=2)
        b = sym.FullyConnected(a, num_hidden=2, no_bias=True)
        assert (a.name, b.name) == ("fullyconnected0", "fullyconnected1")
        assert b.list_arguments() == [
            "x",
            "fullyconnected0_weight",
            "fullyconnected0_bias",
            "fullyconnected1_weight",
        ]
        assert sym.Activation(x, act_type="tanh").name == "activation0"
    with sym.Prefix("net_"):
        assert sym.FullyConnected(sym.var("x"), num_hidden=1).name == "net_fullyconnected0"


@pytest.mark.parametrize(
    "make, op, name",
    [
        (lambda x, y: x + y, "elemwise_add", "_plus0"),
        (lambda x, y: x - y, "elemwise_sub", "_minus0"),
        (lambda x, y: x * y, "elemwise_mul", "_mul0"),
        (lambda x, y: x / y, "elemwise_div", "_div0"),
        (lambda x, y: x**y, "_power", "_power0"),
        (lambda x, y: x + 1, "_plus_scalar", "_plusscalar0"),
        (lambda x, y: 1 - x, "_rminus_scalar", "_rminusscalar0"),
        (lambda x, y: 2 * x, "_mul_scalar", "_mulscalar0"),
        (lambda x, y: 2 / x, "_rdiv_scalar", "_rdivscalar0"),
        (lambda x, y: -x, "_mul_scalar", "_mulscalar0"),
        (lambda x, y: x > 1, "_greater_scalar", "_greater_scalar0"),
        (lambda x, y: x == y, "_equal", "_equal0"),
    ],
)
def test_arithmetic_writes_mxnet_nodes(make, op, name):
    with sym.NameManager():
        s = make(sym.var("x"), sym.var("y"))
        assert s.nodes[-1]["op"] == op and s.name == name


def test_arithmetic_evaluates():
    x, y = sym.var("x"), sym.var("y")
    a, b = np.array([1.0, 2.0, 4.0], "f4"), np.array([2.0, 2.0, 0.5], "f4")
    expr = sym.Group([x + y, x - 1, 1 - x, x * y / 2, 2 / x, x**2, x > y, -x])
    outs = expr.eval(x=nd.array(a), y=nd.array(b))
    expected = [a + b, a - 1, 1 - a, a * b / 2, 2 / a, a**2, (a > b).astype("f4"), -a]
    for got, want in zip(outs, expected):
        np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-6)


def test_getitem_group_and_internals():
    net = _mlp()
    fc1 = net.get_internals()["fc1_output"]
    assert fc1.infer_shape(data=(2, 4))[1] == [(2, 8)]
    group = sym.Group([fc1, net])
    assert group.list_outputs() == ["fc1_output", "softmax_output"] and len(group) == 2
    assert [s.name for s in group] == ["fc1", "softmax"] and group.name is None
    assert group[1:].list_outputs() == ["softmax_output"]
    split = sym.split(sym.var("x"), num_outputs=3, axis=1, name="sp")
    assert split.list_outputs() == ["sp_output0", "sp_output1", "sp_output2"]
    with pytest.raises(gl.MXNetError, match="group of 3 outputs"):
        sym.Activation(split, act_type="relu")
    with pytest.raises(gl.MXNetError, match="outputs named"):
        net["nope"]
    assert net.get_children().list_outputs() == ["fc2_output", "softmax_label"]


def test_variable_attributes_and_scopes():
    w = sym.var("w", shape=(2, 3), lr_mult=2.0, wd_mult=0.0, dtype="float16", init=gl.init.One())
    attrs = w.list_attr()
    assert attrs["__shape__"] == "(2, 3)" and attrs["__lr_mult__"] == "2.0"
    assert attrs["__dtype__"] == "2" and json.loads(attrs["__init__"])[0] == "one"
    with sym.AttrScope(ctx_group="dev1", group="4"):
        fc = sym.FullyConnected(sym.var("x"), num_hidden=2, name="fc")
    assert fc.attr("__ctx_group__") == "dev1" and fc.attr("group") == "4"
    assert fc.attr("num_hidden") == "2"
    assert set(fc.attr_dict()) == {"x", "fc"}
    assert w.infer_type()[0] == [np.float16]


def test_json_round_trip_and_file(tmp_path):
    net = _mlp()
    f = str(tmp_path / "net-symbol.json")
    net.save(f)
    again = sym.load(f)
    assert again.tojson() == net.tojson()
    doc = json.loads(net.tojson())
    assert doc["arg_nodes"] == [0, 1, 2, 5, 6, 8]
    assert doc["nodes"][3] == {
        "op": "FullyConnected",
        "name": "fc1",
        "attrs": {"num_hidden": "8"},
        "inputs": [[0, 0, 0], [1, 0, 0], [2, 0, 0]],
    }
    x = nd.array(np.random.RandomState(0).randn(3, 4))
    e1 = net.simple_bind(gl.cpu(), data=(3, 4))
    _randomize(e1)
    e2 = again.bind(gl.cpu(), {k: v.copy() for k, v in e1.arg_dict.items()})
    np.testing.assert_allclose(e1.forward(data=x)[0].asnumpy(), e2.forward(data=x)[0].asnumpy())


def test_compose_replaces_variables():
    net1 = sym.FullyConnected(sym.var("data"), name="fc1", num_hidden=10)
    net2 = sym.FullyConnected(name="fc3", num_hidden=10)
    assert net2.list_arguments() == ["fc3_data", "fc3_weight", "fc3_bias"]
    composed = net2(fc3_data=net1, name="composed")
    assert composed.name == "composed"
    assert composed.list_arguments() == ["data", "fc1_weight", "fc1_bias", "fc3_weight", "fc3_bias"]
    assert net2.list_arguments() == ["fc3_data", "fc3_weight", "fc3_bias"]  # unchanged


def test_pickle_copy_constants_and_method_forms():
    import copy
    import pickle

    x = sym.var("x")
    net = sym.FullyConnected(x, num_hidden=2, name="fc") + sym.zeros((3, 2))
    assert pickle.loads(pickle.dumps(net)).tojson() == net.tojson()
    assert copy.deepcopy(net).list_arguments() == ["x", "fc_weight", "fc_bias"]
    out = net.eval(x=nd.ones((3, 4)), fc_weight=nd.ones((2, 4)), fc_bias=nd.zeros(2))[0]
    np.testing.assert_allclose(out.asnumpy(), np.full((3, 2), 4.0))
    shaped = x.reshape((3, 2)).transpose((1, 0)).sum(axis=1).astype("float16")
    (value,) = shaped.eval(x=nd.array(np.arange(6).reshape(2, 3)))
    assert value.dtype == np.float16 and value.asnumpy().tolist() == [6.0, 9.0]
    assert [n["op"] for n in shaped.nodes[1:]] == ["Reshape", "transpose", "sum", "Cast"]
    product = x * sym.var("y")
    assert product.infer_shape(x=(2, 5))[0] == [(2, 5), (2, 5)]
    declared = sym.var("d", shape=(4, 3))
    assert sym.FullyConnected(declared, num_hidden=2).infer_shape()[1] == [(4, 2)]


def test_unknown_operator_and_bad_inputs():
    with pytest.raises(AttributeError):
        sym.NoSuchOperator  # noqa: B018
    with pytest.raises(gl.MXNetError, match="has no input"):
        sym.FullyConnected(data=sym.var("x"), wieght=sym.var("w"), num_hidden=2)


# ---- executors ----------------------------------------------------------------------------------
def test_simple_bind_allocates_arrays():
    exe = _mlp().simple_bind(gl.cpu(), data=(5, 4))
    assert exe.arg_dict["fc1_weight"].shape == (8, 4)
    assert sorted(exe.grad_dict) == sorted(_mlp().list_arguments())
    assert [o.shape for o in exe.outputs] == [(5, 3)]
    exe2 = _mlp().simple_bind(gl.cpu(), grad_req={"fc1_weight": "write"}, data=(5, 4))
    assert list(exe2.grad_dict) == ["fc1_weight"]
    assert exe2.grad_arrays[0] is None


def test_executor_matches_gluon_dense():
    rng = np.random.RandomState(1)
    x = rng.randn(6, 4).astype("f4")
    head = rng.randn(6, 3).astype("f4")
    net = sym.FullyConnected(
        sym.Activation(
            sym.FullyConnected(sym.var("data"), num_hidden=5, name="fc1"), act_type="tanh"
        ),
        num_hidden=3,
        name="fc2",
    )
    exe = net.simple_bind(gl.cpu(), data=(6, 4))
    _randomize(exe, seed=2)
    gluon = nn.HybridSequential()
    gluon.add(nn.Dense(5, activation="tanh", in_units=4), nn.Dense(3, in_units=5))
    gluon.initialize()
    for layer, name in zip(gluon, ("fc1", "fc2")):
        layer.weight.set_data(exe.arg_dict[f"{name}_weight"].copy())
        layer.bias.set_data(exe.arg_dict[f"{name}_bias"].copy())
    out = exe.forward(is_train=True, data=nd.array(x))[0]
    exe.backward(nd.array(head))
    with autograd.record():
        ref = gluon(nd.array(x))
    ref.backward(nd.array(head))
    np.testing.assert_allclose(out.asnumpy(), ref.asnumpy(), rtol=1e-5, atol=1e-6)
    for layer, name in zip(gluon, ("fc1", "fc2")):
        np.testing.assert_allclose(
            exe.grad_dict[f"{name}_weight"].asnumpy(),
            layer.weight.grad().asnumpy(),
            rtol=1e-4,
            atol=1e-5,
        )
        np.testing.assert_allclose(
            exe.grad_dict[f"{name}_bias"].asnumpy(),
            layer.bias.grad().asnumpy(),
            rtol=1e-4,
            atol=1e-5,
        )


def test_gradients_match_finite_differences():
    rng = np.random.RandomState(3)
    net = sym.tanh(sym.FullyConnected(sym.var("data"), num_hidden=3, name="fc")) * 2.0 + 1
    args = {"data": rng.randn(2, 4), "fc_weight": rng.randn(3, 4) * 0.5, "fc_bias": rng.randn(3)}
    head = rng.randn(2, 3)
    arrays = {k: nd.array(v, dtype="float64") for k, v in args.items()}
    grads = {k: nd.zeros(v.shape, dtype="float64") for k, v in args.items()}
    exe = net.bind(gl.cpu(), arrays, args_grad=grads)
    exe.forward(is_train=True)
    exe.backward(nd.array(head, dtype="float64"))

    def loss(values):
        e = net.bind(gl.cpu(), {k: nd.array(v, dtype="float64") for k, v in values.items()})
        return float((e.forward()[0].asnumpy() * head).sum())

    eps = 1e-6
    for name, value in args.items():
        numeric = np.zeros_like(value)
        for i in np.ndindex(value.shape):
            up, down = dict(args), dict(args)
            up[name], down[name] = value.copy(), value.copy()
            up[name][i] += eps
            down[name][i] -= eps
            numeric[i] = (loss(up) - loss(down)) / (2 * eps)
        np.testing.assert_allclose(grads[name].asnumpy(), numeric, rtol=1e-5, atol=1e-7)


def test_grad_req_add_null_and_zero_write():
    x = sym.var("x")
    net = sym.make_loss(sym.sum(x * x) + sym.sum(sym.var("unused") * 0))
    exe = net.bind(
        gl.cpu(),
        {"x": nd.array([1.0, 2.0]), "unused": nd.array([5.0])},
        args_grad={"x": nd.zeros(2), "unused": nd.ones(1)},
        grad_req={"x": "add", "unused": "write"},
    )
    exe.forward(is_train=True)
    exe.backward()
    exe.backward()
    np.testing.assert_allclose(exe.grad_dict["x"].asnumpy(), [4.0, 8.0])
    np.testing.assert_allclose(exe.grad_dict["unused"].asnumpy(), [0.0])
    frozen = net.bind(gl.cpu(), {"x": nd.array([1.0]), "unused": nd.array([1.0])}, grad_req="null")
    frozen.forward(is_train=True)
    frozen.backward()  # nothing wants a gradient: a no-op, as in MXNet
    assert frozen.grad_arrays == [None, None]


def test_bind_errors_and_copy_params_and_reshape():
    net = _mlp()
    with pytest.raises(gl.MXNetError, match="missing"):
        net.bind(gl.cpu(), {"data": nd.zeros((2, 4))})
    exe = net.simple_bind(gl.cpu(), data=(2, 4))
    with pytest.raises(gl.MXNetError, match="reshape"):
        exe.forward(data=nd.zeros((3, 4)))
    exe.copy_params_from({"fc1_bias": nd.ones(8)})
    assert exe.arg_dict["fc1_bias"].asnumpy().tolist() == [1.0] * 8
    with pytest.raises(gl.MXNetError, match="allow_extra_params"):
        exe.copy_params_from({"zzz": nd.ones(1)})
    bigger = exe.reshape(data=(7, 4))
    assert bigger.arg_dict["data"].shape == (7, 4)
    assert bigger.arg_dict["fc1_bias"] is exe.arg_dict["fc1_bias"]
    assert bigger.forward(data=nd.ones((7, 4)))[0].shape == (7, 3)
    with pytest.raises(gl.MXNetError, match="is_train=True"):
        exe.forward(is_train=False)
        exe.backward()


def test_batchnorm_executor_updates_moving_stats():
    net = sym.BatchNorm(sym.var("data"), name="bn", fix_gamma=False, momentum=0.9)
    exe = net.simple_bind(gl.cpu(), data=(8, 2))
    exe.arg_dict["bn_gamma"][:] = 1
    exe.aux_dict["bn_moving_var"][:] = 1
    x = np.random.RandomState(0).randn(8, 2).astype("f4") + 3
    exe.forward(is_train=True, data=nd.array(x))
    np.testing.assert_allclose(exe.aux_dict["bn_moving_mean"].asnumpy(), 0.1 * x.mean(0), rtol=1e-5)
    before = exe.aux_dict["bn_moving_mean"].asnumpy()
    exe.forward(is_train=False, data=nd.array(x))
    np.testing.assert_allclose(exe.aux_dict["bn_moving_mean"].asnumpy(), before)


# ---- loss outputs -------------------------------------------------------------------------------
def _softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


@pytest.mark.parametrize(
    "kwargs, scale",
    [
        ({}, 1.0),
        ({"normalization": "batch"}, 1 / 4),
        ({"grad_scale": 3.0}, 3.0),
    ],
)
def test_softmax_output_forward_and_gradient(kwargs, scale):
    rng = np.random.RandomState(4)
    z, label = rng.randn(4, 3).astype("f4"), np.array([0, 2, 1, 2], "f4")
    net = sym.SoftmaxOutput(sym.var("data"), name="softmax", **kwargs)
    exe = net.simple_bind(gl.cpu(), data=(4, 3))
    out = exe.forward(is_train=True, data=nd.array(z), softmax_label=nd.array(label))[0]
    exe.backward()
    p = _softmax(z)
    np.testing.assert_allclose(out.asnumpy(), p, rtol=1e-5)
    onehot = np.eye(3)[label.astype(int)]
    np.testing.assert_allclose(
        exe.grad_dict["data"].asnumpy(), (p - onehot) * scale, rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(exe.grad_dict["softmax_label"].asnumpy(), 0)


def test_softmax_output_ignore_label_and_valid_normalization():
    z, label = np.zeros((3, 2), "f4"), np.array([0, -1, 1], "f4")
    net = sym.SoftmaxOutput(
        sym.var("data"), use_ignore=True, ignore_label=-1, normalization="valid", name="sm"
    )
    exe = net.simple_bind(gl.cpu(), data=(3, 2))
    exe.forward(is_train=True, data=nd.array(z), sm_label=nd.array(label))
    exe.backward()
    expected = np.array([[-0.5, 0.5], [0.0, 0.0], [0.5, -0.5]]) / 2
    np.testing.assert_allclose(exe.grad_dict["data"].asnumpy(), expected, atol=1e-6)


@pytest.mark.parametrize(
    "op, link, diff",
    [
        ("LinearRegressionOutput", lambda x: x, lambda p, y: p - y),
        ("LogisticRegressionOutput", lambda x: 1 / (1 + np.exp(-x)), lambda p, y: p - y),
        ("MAERegressionOutput", lambda x: x, lambda p, y: np.sign(p - y)),
    ],
)
def test_regression_outputs(op, link, diff):
    rng = np.random.RandomState(5)
    z, y = rng.randn(4, 1).astype("f4"), rng.randn(4).astype("f4")
    net = getattr(sym, op)(sym.var("data"), name="reg")
    assert net.list_arguments() == ["data", "reg_label"]
    exe = net.simple_bind(gl.cpu(), data=(4, 1), reg_label=(4,))
    out = exe.forward(is_train=True, data=nd.array(z), reg_label=nd.array(y))[0]
    exe.backward()
    np.testing.assert_allclose(out.asnumpy(), link(z), rtol=1e-5)
    np.testing.assert_allclose(
        exe.grad_dict["data"].asnumpy(), diff(link(z), y[:, None]), rtol=1e-5, atol=1e-6
    )


def test_make_loss_gradient_ignores_head():
    x = sym.var("x")
    net = sym.make_loss(sym.square(x), grad_scale=2.0, normalization="batch")
    exe = net.simple_bind(gl.cpu(), x=(2, 3))
    exe.forward(is_train=True, x=nd.ones((2, 3)) * 3)
    exe.backward()
    np.testing.assert_allclose(exe.grad_dict["x"].asnumpy(), np.full((2, 3), 2.0 / 2 * 2 * 3))
    blocked = sym.BlockGrad(x) * x
    exe = blocked.simple_bind(gl.cpu(), x=(2,))
    exe.forward(is_train=True, x=nd.array([1.0, 2.0]))
    exe.backward(nd.ones(2))
    np.testing.assert_allclose(exe.grad_dict["x"].asnumpy(), [1.0, 2.0])
