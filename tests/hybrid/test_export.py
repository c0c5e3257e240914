"""export → SymbolBlock.imports round trips, MXNet-written symbol files, and the Symbol API."""
import json

import numpy as np
import pytest

import gluonlite as gl
from gluonlite import nd, nn
from gluonlite.hybrid import SymbolBlock, symbol


def small_cnn():
    net = nn.HybridSequential()
    net.add(nn.Conv2D(4, 3, padding=1, activation="relu"), nn.BatchNorm(),
            nn.MaxPool2D(2), nn.Flatten(), nn.Dense(6, activation="tanh"), nn.Dropout(0.5),
            nn.Dense(3))
    net.initialize(gl.init.Xavier())
    return net


@pytest.mark.parametrize("make", [small_cnn])
def test_export_import_round_trip(tmp_path, make):
    net = make()
    x = nd.array(np.random.RandomState(0).randn(2, 3, 8, 8))
    net(x)  # finish deferred init
    net.hybridize()
    y = net(x)
    sym_file, params_file = net.export(str(tmp_path / "model"), epoch=3)
    assert params_file.endswith("model-0003.params")
    loaded = SymbolBlock.imports(sym_file, ["data"], params_file)
    np.testing.assert_allclose(loaded(x).asnumpy(), y.asnumpy(), rtol=1e-5, atol=1e-6)
    # the names are the structural ones of save_parameters
    saved = gl.nd.load(params_file)
    names = {k.split(":", 1)[1] for k in saved}
    assert names == set(net._collect_params_with_prefix())
    assert any(k.startswith("aux:") and k.endswith("running_mean") for k in saved)
    # the imported block hybridizes and saves/loads with the same names
    loaded.hybridize()
    np.testing.assert_allclose(loaded(x).asnumpy(), y.asnumpy(), rtol=1e-5, atol=1e-6)
    f = str(tmp_path / "again.params")
    loaded.save_parameters(f)
    net.load_parameters(f)


def test_imports_keeps_the_saved_dtype(tmp_path):
    net = small_cnn()
    net.cast("float64")
    x = nd.array(np.random.RandomState(1).randn(2, 3, 8, 8), dtype="float64")
    net(x)
    net.hybridize()
    y = net(x)
    sym_file, params_file = net.export(str(tmp_path / "f64"))
    loaded = SymbolBlock.imports(sym_file, ["data"], params_file)
    assert {p.data().dtype for p in loaded.collect_params().values()} == {np.dtype("float64")}
    np.testing.assert_array_equal(loaded(x).asnumpy(), y.asnumpy())


def test_export_requires_a_traced_call(tmp_path):
    net = nn.Dense(2)
    net.initialize()
    with pytest.raises(gl.MXNetError, match="hybridize"):
        net.export(str(tmp_path / "x"))


def _mxnet_style_files(tmp_path):
    """A symbol and params file written the way MXNet 1.9 writes them for
    Dense(4, activation='relu') -> Dense(2)."""
    nodes = [
        {"op": "null", "name": "data", "inputs": []},
        {"op": "null", "name": "dense0_weight", "attrs": {"__dtype__": "0",
         "__lr_mult__": "1.0", "__shape__": "(4, 0)"}, "inputs": []},
        {"op": "null", "name": "dense0_bias", "attrs": {"__shape__": "(4,)"}, "inputs": []},
        {"op": "FullyConnected", "name": "dense0_fwd",
         "attrs": {"flatten": "True", "no_bias": "False", "num_hidden": "4"},
         "inputs": [[0, 0, 0], [1, 0, 0], [2, 0, 0]]},
        {"op": "Activation", "name": "dense0_relu_fwd", "attrs": {"act_type": "relu"},
         "inputs": [[3, 0, 0]]},
        {"op": "null", "name": "dense1_weight", "inputs": []},
        {"op": "null", "name": "dense1_bias", "inputs": []},
        {"op": "FullyConnected", "name": "dense1_fwd",
         "attrs": {"flatten": "True", "no_bias": "False", "num_hidden": "2"},
         "inputs": [[4, 0, 0], [5, 0, 0], [6, 0, 0]]},
        {"op": "_mul_scalar", "name": "_mulscalar0", "attrs": {"scalar": "2.0"},
         "inputs": [[7, 0, 0]]},
    ]
    doc = {"nodes": nodes, "arg_nodes": [0, 1, 2, 5, 6], "node_row_ptr": list(range(10)),
           "heads": [[8, 0, 0]], "attrs": {"mxnet_version": ["int", 10901]}}
    sym_file = tmp_path / "mx-symbol.json"
    sym_file.write_text(json.dumps(doc))
    rng = np.random.RandomState(1)
    w0, b0 = rng.randn(4, 3).astype("f4"), rng.randn(4).astype("f4")
    w1, b1 = rng.randn(2, 4).astype("f4"), rng.randn(2).astype("f4")
    params = {"arg:dense0_weight": w0, "arg:dense0_bias": b0, "arg:dense1_weight": w1,
              "arg:dense1_bias": b1}
    params_file = tmp_path / "mx-0000.params"
    nd.save(str(params_file), {k: nd.array(v) for k, v in params.items()})
    return str(sym_file), str(params_file), (w0, b0, w1, b1)


def test_imports_a_model_exported_by_mxnet(tmp_path):
    sym_file, params_file, (w0, b0, w1, b1) = _mxnet_style_files(tmp_path)
    net = SymbolBlock.imports(sym_file, ["data"], params_file)
    x = np.random.RandomState(2).randn(5, 3).astype("f4")
    expected = 2.0 * (np.maximum(x @ w0.T + b0, 0) @ w1.T + b1)
    np.testing.assert_allclose(net(nd.array(x)).asnumpy(), expected, rtol=1e-5, atol=1e-6)


def test_symbol_api(tmp_path):
    sym_file, _, _ = _mxnet_style_files(tmp_path)
    sym = symbol.load(sym_file)
    assert sym.list_arguments() == ["data", "dense0_weight", "dense0_bias", "dense1_weight",
                                    "dense1_bias"]
    args, outs, aux = sym.infer_shape(data=(7, 3))
    assert outs == [(7, 2)] and args[1] == (4, 3) and args[3] == (2, 4) and aux == []
    again = symbol.load_json(sym.tojson())
    assert again.list_outputs() == sym.list_outputs()
    assert symbol.var("x").list_arguments() == ["x"]


def test_export_writes_mxnet_operators(tmp_path):
    net = small_cnn()
    x = nd.ones((1, 3, 8, 8))
    net(x)
    net.hybridize()
    net(x)
    sym_file, _ = net.export(str(tmp_path / "ops"))
    ops = [n["op"] for n in json.loads(open(sym_file).read())["nodes"] if n["op"] != "null"]
    for name in ("Convolution", "Activation", "BatchNorm", "Pooling", "FullyConnected",
                 "Dropout"):
        assert name in ops, (name, ops)
    assert not any(op.startswith("_gluonlite.") for op in ops), ops
