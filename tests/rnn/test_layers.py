"""rnn.RNN / LSTM / GRU layers: numbers against the NumPy reference (single and multi-layer,
bidirectional, state row order), layouts, returned states, MXNet's saved names, loading a file
written with MXNet's names, sequence lengths, projection, and gradients by finite differences."""

import numpy as np
import pytest

import gluonlite as gl
from gluonlite import autograd, nd, nn, rnn

from . import reference

LAYERS = {"lstm": rnn.LSTM, "gru": rnn.GRU, "rnn_tanh": rnn.RNN, "rnn_relu": rnn.RNN}


def make(mode, hidden, **kwargs):
    if mode.startswith("rnn_"):
        kwargs["activation"] = mode[4:]
    return LAYERS[mode](hidden, **kwargs)


def randomize(layer, rng, scale=0.5):
    """Fill every parameter with N(0, scale²) values; returns them by registered name."""
    values = {}
    for name, p in layer.collect_params().items():
        values[name] = rng.normal(0, scale, p.shape).astype(p.dtype)
        p.set_data(values[name])
    return values


def run_case(mode, num_layers, bidirectional, steps=4, batch=3, width=5, hidden=4, seed=0):
    rng = np.random.RandomState(seed)
    dirs = 2 if bidirectional else 1
    layer = make(
        mode,
        hidden,
        num_layers=num_layers,
        bidirectional=bidirectional,
        input_size=width,
        dtype="float64",
    )
    layer.initialize()
    params = randomize(layer, rng)
    x = rng.normal(size=(steps, batch, width))
    h0 = rng.normal(size=(num_layers * dirs, batch, hidden))
    c0 = rng.normal(size=h0.shape) if mode == "lstm" else None
    states = [nd.array(h0, dtype="float64")]
    if c0 is not None:
        states.append(nd.array(c0, dtype="float64"))
    out, new_states = layer(nd.array(x, dtype="float64"), states)
    want = reference.layer(mode, x, params, h0, c0, num_layers, dirs)
    return out, new_states, want


@pytest.mark.parametrize("mode", ["lstm", "gru", "rnn_tanh", "rnn_relu"])
def test_single_layer_matches_gate_equations(mode):
    out, states, (y, hn, cn) = run_case(mode, 1, False)
    np.testing.assert_allclose(out.asnumpy(), y, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(states[0].asnumpy(), hn, rtol=1e-10, atol=1e-12)
    if mode == "lstm":
        np.testing.assert_allclose(states[1].asnumpy(), cn, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode", ["lstm", "gru", "rnn_tanh"])
def test_multilayer_bidirectional_shapes_and_state_order(mode):
    out, states, (y, hn, cn) = run_case(mode, 2, True, hidden=3)
    assert out.shape == (4, 3, 6)
    assert [s.shape for s in states] == [(4, 3, 3)] * len(states)
    np.testing.assert_allclose(out.asnumpy(), y, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(states[0].asnumpy(), hn, rtol=1e-10, atol=1e-12)
    if mode == "lstm":
        np.testing.assert_allclose(states[1].asnumpy(), cn, rtol=1e-10, atol=1e-12)


def test_layouts_agree():
    tnc = rnn.GRU(4, num_layers=2, bidirectional=True)
    ntc = rnn.GRU(4, num_layers=2, bidirectional=True, layout="NTC")
    tnc.initialize()
    x = nd.random.uniform(shape=(5, 2, 3))
    y = tnc(x)
    ntc.initialize()
    ntc(nd.swapaxes(x, 0, 1))
    for name, p in ntc.collect_params().items():
        p.set_data(tnc.collect_params()[name].data())
    states = tnc.begin_state(2)
    out_ntc, s_ntc = ntc(nd.swapaxes(x, 0, 1), states)
    out_tnc, s_tnc = tnc(x, states)
    np.testing.assert_allclose(out_ntc.asnumpy(), np.swapaxes(y.asnumpy(), 0, 1), rtol=1e-6)
    np.testing.assert_allclose(out_tnc.asnumpy(), y.asnumpy(), rtol=1e-6)
    np.testing.assert_allclose(s_ntc[0].asnumpy(), s_tnc[0].asnumpy(), rtol=1e-6)


def test_states_are_returned_only_when_given():
    layer = rnn.LSTM(3)
    layer.initialize()
    x = nd.ones((2, 4, 5))
    out = layer(x)
    assert isinstance(out, nd.NDArray) and out.shape == (2, 4, 3)
    out, states = layer(x, layer.begin_state(batch_size=4))
    assert [s.shape for s in states] == [(1, 4, 3), (1, 4, 3)]
    gru = rnn.GRU(3)
    gru.initialize()
    out, states = gru(x, nd.zeros((1, 4, 3)))  # one array is taken as [h]
    assert isinstance(states, list) and states[0].shape == (1, 4, 3)
    np.testing.assert_allclose(gru(x).asnumpy(), out.asnumpy())


def test_begin_state_info_and_errors():
    layer = rnn.LSTM(3, num_layers=2, bidirectional=True, dtype="float64")
    assert layer.state_info(5)[0]["shape"] == (4, 5, 3)
    h, c = layer.begin_state(5, func=nd.ones)
    assert h.shape == c.shape == (4, 5, 3) and h.dtype == np.float64
    layer.initialize()
    with pytest.raises(ValueError, match=r"expected shapes \[\(4, 2, 3\), \(4, 2, 3\)\]"):
        layer(nd.ones((3, 2, 4), dtype="float64"), [nd.zeros((2, 2, 3), dtype="float64")] * 2)
    with pytest.raises(ValueError, match="3 axes"):
        layer(nd.ones((3, 4)))
    with pytest.raises(ValueError, match="layout"):
        rnn.GRU(3, layout="NCT")
    with pytest.raises(ValueError, match="use_sequence_length"):
        layer(nd.ones((3, 2, 4)), sequence_length=nd.array([1, 2]))


def test_deferred_input_size_and_repr():
    layer = rnn.LSTM(6, num_layers=2, bidirectional=True)
    assert repr(layer) == "LSTM(None -> 6, TNC, num_layers=2, bidirectional)"
    layer.initialize()
    layer(nd.ones((2, 1, 7)))
    assert layer.l0_i2h_weight.shape == (24, 7) and layer.r1_i2h_weight.shape == (24, 12)
    assert repr(layer) == "LSTM(7 -> 6, TNC, num_layers=2, bidirectional)"
    assert repr(rnn.RNN(3, dropout=0.5, layout="NTC")) == "RNN(None -> 3, NTC, dropout=0.5)"


def test_registered_and_saved_names(tmp_path):
    layer = rnn.LSTM(2, num_layers=2, input_size=3)
    assert list(layer.collect_params().keys()) == [
        f"l{i}_{k}" for i in range(2) for k in ("i2h_weight", "h2h_weight", "i2h_bias", "h2h_bias")
    ]
    assert list(layer.collect_params(".*bias").keys())[:2] == ["l0_i2h_bias", "l0_h2h_bias"]
    assert list(layer._collect_params_with_prefix(saved=True))[:4] == [
        "_unfused.0.i2h_weight",
        "_unfused.0.h2h_weight",
        "_unfused.0.i2h_bias",
        "_unfused.0.h2h_bias",
    ]
    bi = rnn.GRU(2, bidirectional=True, input_size=3)
    bi.initialize()
    f = str(tmp_path / "gru.params")
    bi.save_parameters(f)
    assert sorted(nd.load(f)) == sorted(
        f"_unfused.0.{d}_cell.{k}"
        for d in "lr"
        for k in ("i2h_weight", "h2h_weight", "i2h_bias", "h2h_bias")
    )


def test_save_load_round_trip(tmp_path):
    layer = rnn.LSTM(3, num_layers=2, bidirectional=True)
    layer.initialize()
    x = nd.random.uniform(shape=(4, 2, 5))
    y = layer(x)
    f = str(tmp_path / "lstm.params")
    layer.save_parameters(f)
    other = rnn.LSTM(3, num_layers=2, bidirectional=True)
    other.load_parameters(f)
    np.testing.assert_allclose(other(x).asnumpy(), y.asnumpy())


def test_load_a_file_written_with_mxnet_names(tmp_path):
    """The names MXNet 1.9 writes for a nested bidirectional GRU and for a plain RNN."""
    rng = np.random.RandomState(3)
    arrays = {}
    for d in "lr":
        arrays[f"enc._unfused.0.{d}_cell.i2h_weight"] = rng.normal(size=(6, 3))
        arrays[f"enc._unfused.0.{d}_cell.h2h_weight"] = rng.normal(size=(6, 2))
        arrays[f"enc._unfused.0.{d}_cell.i2h_bias"] = rng.normal(size=(6,))
        arrays[f"enc._unfused.0.{d}_cell.h2h_bias"] = rng.normal(size=(6,))
    f = str(tmp_path / "mxnet.params")
    nd.save(f, {k: nd.array(v) for k, v in arrays.items()})

    class Net(nn.Block):
        def __init__(self):
            super().__init__()
            self.enc = rnn.GRU(2, bidirectional=True)

        def forward(self, x):
            return self.enc(x)

    net = Net()
    net.load_parameters(f)
    np.testing.assert_allclose(
        net.enc.r0_h2h_bias.data().asnumpy(),
        arrays["enc._unfused.0.r_cell.h2h_bias"],
        rtol=1e-6,
    )
    net.save_parameters(str(tmp_path / "again.params"))
    assert sorted(nd.load(str(tmp_path / "again.params"))) == sorted(arrays)
    x = rng.normal(size=(3, 2, 3))
    params = {k.split(".")[-2][0] + "0_" + k.split(".")[-1]: v for k, v in arrays.items()}
    y, _, _ = reference.layer("gru", x, params, np.zeros((2, 2, 2)), dirs=2)
    np.testing.assert_allclose(net(nd.array(x)).asnumpy(), y, rtol=1e-5, atol=1e-6)

    plain = {
        "_unfused.0.i2h_weight": rng.normal(size=(2, 3)),
        "_unfused.0.h2h_weight": rng.normal(size=(2, 2)),
        "_unfused.0.i2h_bias": np.zeros(2),
        "_unfused.0.h2h_bias": np.zeros(2),
    }
    nd.save(f, {k: nd.array(v) for k, v in plain.items()})
    layer = rnn.RNN(2)
    layer.load_parameters(f)
    np.testing.assert_allclose(
        layer.l0_h2h_weight.data().asnumpy(), plain["_unfused.0.h2h_weight"], rtol=1e-6
    )


def test_share_parameters():
    a, b = rnn.GRU(3, input_size=2), rnn.GRU(3, input_size=2)
    a.initialize()
    b.share_parameters(a.collect_params())
    assert b.l0_h2h_weight is a.l0_h2h_weight
    x = nd.ones((2, 1, 2))
    np.testing.assert_allclose(b(x).asnumpy(), a(x).asnumpy())


def test_dropout_between_layers_only_in_training():
    layer = rnn.RNN(8, num_layers=2, dropout=0.5, activation="tanh")
    layer.initialize()
    x = nd.random.uniform(shape=(3, 4, 5))
    a, b = layer(x), layer(x)
    np.testing.assert_allclose(a.asnumpy(), b.asnumpy())
    with autograd.record():
        c = layer(x)
    assert not np.allclose(c.asnumpy(), a.asnumpy())
    with autograd.record(train_mode=False):
        d = layer(x)
    np.testing.assert_allclose(d.asnumpy(), a.asnumpy())


@pytest.mark.parametrize("mode,bidirectional", [("lstm", True), ("gru", False)])
def test_sequence_length(mode, bidirectional):
    """Each sequence gives what it gives alone, truncated to its length; padding is zero."""
    rng = np.random.RandomState(1)
    layer = make(mode, 3, bidirectional=bidirectional, use_sequence_length=True, dtype="float64")
    ref = make(mode, 3, bidirectional=bidirectional, dtype="float64")
    layer.initialize()
    ref.initialize()
    x = rng.normal(size=(5, 3, 2))
    layer(nd.array(x, dtype="float64"), sequence_length=nd.array([5, 2, 4]))
    ref(nd.array(x, dtype="float64"))
    for name, p in layer.collect_params().items():
        ref.collect_params()[name].set_data(p.data())
    lengths = [5, 2, 4]
    states = layer.begin_state(3, dtype="float64")
    out, new = layer(nd.array(x, dtype="float64"), states, nd.array(lengths))
    for n, length in enumerate(lengths):
        alone = nd.array(x[:length, n : n + 1], dtype="float64")
        y, s = ref(alone, ref.begin_state(1, dtype="float64"))
        np.testing.assert_allclose(out.asnumpy()[:length, n], y.asnumpy()[:, 0], rtol=1e-10)
        np.testing.assert_allclose(out.asnumpy()[length:, n], 0)
        for got, want in zip(new, s):
            np.testing.assert_allclose(got.asnumpy()[:, n], want.asnumpy()[:, 0], rtol=1e-10)


def test_lstm_projection_and_state_clip():
    rng = np.random.RandomState(2)
    layer = rnn.LSTM(4, projection_size=2, input_size=3, num_layers=2, dtype="float64")
    layer.initialize()
    assert layer.l1_i2h_weight.shape == (16, 2) and layer.l0_h2r_weight.shape == (2, 4)
    params = randomize(layer, rng)
    x = rng.normal(size=(3, 2, 3))
    h, c = layer.begin_state(2)
    assert h.shape == (2, 2, 2) and c.shape == (2, 2, 4)
    out, (hn, cn) = layer(nd.array(x, dtype="float64"), [h, c])
    y, want_h, want_c = reference.layer("lstm", x, params, h.asnumpy(), c.asnumpy(), 2)
    np.testing.assert_allclose(out.asnumpy(), y, rtol=1e-10)
    np.testing.assert_allclose(hn.asnumpy(), want_h, rtol=1e-10)
    np.testing.assert_allclose(cn.asnumpy(), want_c, rtol=1e-10)
    clipped = rnn.LSTM(4, input_size=3, state_clip_min=-0.1, state_clip_max=0.1)
    clipped.initialize(gl.init.One())
    _, (_, c) = clipped(nd.ones((3, 2, 3)), clipped.begin_state(2))
    assert np.abs(c.asnumpy()).max() <= 0.1 + 1e-7


def _loss(layer, x, weights):
    out, (h, c) = layer(x, layer.begin_state(x.shape[1], dtype="float64"))
    return (out * weights[0]).sum() + (h * weights[1]).sum() + (c * weights[2]).sum()


def test_lstm_gradients_match_finite_differences():
    rng = np.random.RandomState(4)
    layer = rnn.LSTM(2, bidirectional=True, num_layers=2, input_size=2, dtype="float64")
    layer.initialize()
    randomize(layer, rng)
    x = nd.array(rng.normal(size=(3, 2, 2)), dtype="float64")
    weights = [
        nd.array(rng.normal(size=s), dtype="float64") for s in ((3, 2, 4), (4, 2, 2), (4, 2, 2))
    ]
    x.attach_grad()
    with autograd.record():
        loss = _loss(layer, x, weights)
    loss.backward()

    def numeric(values, write):
        grad = np.zeros_like(values)
        for i in np.ndindex(values.shape):
            for sign in (1, -1):
                moved = values.copy()
                moved[i] += sign * 1e-6
                write(moved)
                grad[i] += sign * _loss(layer, x, weights).asscalar() / 2e-6
        write(values)
        return grad

    x_values = x.asnumpy()
    np.testing.assert_allclose(
        x.grad.asnumpy(),
        numeric(x_values, lambda v: x.__setitem__(slice(None), v)),
        rtol=1e-5,
        atol=1e-7,
    )
    for name in ("l0_i2h_weight", "r0_h2h_weight", "r1_h2h_bias"):
        p = layer.collect_params()[name]
        np.testing.assert_allclose(
            p.grad().asnumpy(), numeric(p.data().asnumpy(), p.set_data), rtol=1e-5, atol=1e-7
        )


def test_hybridized_layer_matches_eager():
    layer = rnn.LSTM(3, num_layers=2, bidirectional=True, layout="NTC")
    layer.initialize()
    x = nd.random.uniform(shape=(2, 4, 5))
    states = layer.begin_state(2)

    def run():
        with autograd.record():
            out, new = layer(x, states)
            loss = (out * out).sum() + new[1].sum()
        loss.backward()
        grad = layer.l1_h2h_weight.grad().asnumpy().copy()
        return out.asnumpy(), new[0].asnumpy(), grad, layer(x).asnumpy()

    eager = run()
    layer.hybridize()
    hybrid = run()
    assert layer.graph is not None  # the hybridized path really ran
    for a, b in zip(eager, hybrid):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
