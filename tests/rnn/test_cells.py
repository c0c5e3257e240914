"""rnn cells: one step against the NumPy gate equations, unroll (layouts, merge_outputs, list
inputs, valid_length), stacking, bidirectional unrolling, the wrapper cells, saved names and
the errors for misuse."""

import numpy as np
import pytest

import gluonlite as gl
from gluonlite import autograd, nd, rnn

from . import reference

CELLS = {"lstm": rnn.LSTMCell, "gru": rnn.GRUCell, "rnn_tanh": rnn.RNNCell}


def make_cell(mode, hidden=3, width=4, seed=0, **kwargs):
    """A float64 cell with N(0, 0.25) parameters (returned by name)."""
    cell = CELLS[mode](hidden, input_size=width, **kwargs)
    cell.initialize()
    cell.cast("float64")
    rng = np.random.RandomState(seed)
    values = {}
    for name, p in cell.collect_params().items():
        values[name] = rng.normal(0, 0.5, p.shape)
        p.set_data(values[name])
    return cell, values


def f64(a):
    return nd.array(a, dtype="float64")


@pytest.mark.parametrize("mode", ["lstm", "gru", "rnn_tanh"])
def test_one_step_matches_gate_equations(mode):
    cell, params = make_cell(mode)
    rng = np.random.RandomState(1)
    x, h, c = rng.normal(size=(2, 4)), rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    states = [f64(h), f64(c)] if mode == "lstm" else [f64(h)]
    out, new = cell(f64(x), states)
    want_h, want_c = reference.step(mode, x, h, c, params)
    np.testing.assert_allclose(out.asnumpy(), want_h, rtol=1e-12)
    np.testing.assert_allclose(new[0].asnumpy(), want_h, rtol=1e-12)
    if mode == "lstm":
        np.testing.assert_allclose(new[1].asnumpy(), want_c, rtol=1e-12)


def test_activations_by_name_and_callable():
    x = nd.array([[0.5, -2.0]])
    for act, fn in (
        ("relu", lambda v: np.maximum(v, 0)),
        ("softrelu", lambda v: np.log1p(np.exp(v))),
        (lambda v: v * 2, lambda v: v * 2),
    ):
        cell = rnn.RNNCell(2, activation=act, input_size=2)
        cell.initialize(gl.init.One())
        out, _ = cell(x, cell.begin_state(1))
        np.testing.assert_allclose(out.asnumpy(), fn(np.full((1, 2), -1.5)), rtol=1e-6)


def test_deferred_input_size_and_state_info():
    cell = rnn.LSTMCell(5)
    assert repr(cell) == "LSTMCell(None -> 5)"
    cell.initialize()
    out, (h, c) = cell(nd.ones((2, 3, 2)), cell.begin_state(2))  # the step flattens (3, 2)
    assert cell.i2h_weight.shape == (20, 6) and out.shape == h.shape == c.shape == (2, 5)
    assert cell.state_info(2) == [{"shape": (2, 5), "__layout__": "NC"}] * 2
    assert repr(rnn.RNNCell(3, "relu", input_size=2)) == "RNNCell(2 -> 3, relu)"


@pytest.mark.parametrize("layout", ["NTC", "TNC"])
def test_unroll_equals_stepping(layout):
    cell, _ = make_cell("lstm")
    x = np.random.RandomState(2).normal(size=(2, 5, 4))  # NTC
    data = f64(x if layout == "NTC" else np.swapaxes(x, 0, 1))
    merged, states = cell.unroll(5, data, layout=layout, merge_outputs=True)
    steps, states_list = cell.unroll(5, data, layout=layout, merge_outputs=False)
    assert merged.shape == data.shape[:2] + (3,) and len(steps) == 5
    s = cell.begin_state(2, dtype="float64")
    for t in range(5):
        out, s = cell(f64(x[:, t]), s)
        np.testing.assert_allclose(steps[t].asnumpy(), out.asnumpy(), rtol=1e-12)
        got = merged.asnumpy()[:, t] if layout == "NTC" else merged.asnumpy()[t]
        np.testing.assert_allclose(got, out.asnumpy(), rtol=1e-12)
    for a, b, c in zip(states, states_list, s):
        np.testing.assert_allclose(a.asnumpy(), c.asnumpy(), rtol=1e-12)
        np.testing.assert_allclose(b.asnumpy(), c.asnumpy(), rtol=1e-12)
    listed, _ = cell.unroll(5, [f64(x[:, t]) for t in range(5)], merge_outputs=None)
    assert isinstance(listed, list)
    with pytest.raises(ValueError, match="length=4"):
        cell.unroll(4, data, layout=layout)


def test_unroll_valid_length():
    cell, _ = make_cell("gru")
    x = np.random.RandomState(3).normal(size=(3, 4, 4))
    lengths = [4, 1, 3]
    out, (h,) = cell.unroll(4, f64(x), valid_length=nd.array(lengths), merge_outputs=True)
    for n, length in enumerate(lengths):
        alone, (h_alone,) = cell.unroll(length, f64(x[n : n + 1, :length]), merge_outputs=True)
        np.testing.assert_allclose(out.asnumpy()[n, :length], alone.asnumpy()[0], rtol=1e-12)
        np.testing.assert_allclose(out.asnumpy()[n, length:], 0)
        np.testing.assert_allclose(h.asnumpy()[n], h_alone.asnumpy()[0], rtol=1e-12)


def test_sequential_cell_stacks():
    a, _ = make_cell("lstm", hidden=3, width=4, seed=1)
    b, _ = make_cell("gru", hidden=2, width=3, seed=2)
    stack = rnn.SequentialRNNCell()
    stack.add(a)
    stack.add(b)
    assert len(stack) == 2 and stack[1] is b
    assert [i["shape"] for i in stack.state_info(5)] == [(5, 3), (5, 3), (5, 2)]
    assert list(stack.collect_params())[:2] == ["0.i2h_weight", "0.h2h_weight"]
    x = f64(np.random.RandomState(4).normal(size=(2, 3, 4)))
    out, states = stack.unroll(3, x, merge_outputs=True)
    mid, _ = a.unroll(3, x, merge_outputs=True)
    want, s_b = b.unroll(3, mid, merge_outputs=True)
    np.testing.assert_allclose(out.asnumpy(), want.asnumpy(), rtol=1e-12)
    assert len(states) == 3
    np.testing.assert_allclose(states[2].asnumpy(), s_b[0].asnumpy(), rtol=1e-12)
    step, new = stack(x[:, 0], stack.begin_state(2, dtype="float64"))
    assert step.shape == (2, 2) and len(new) == 3
    from gluonlite.rnn import rnn_cell  # MXNet's module path for the containers works too

    assert rnn_cell.SequentialRNNCell is rnn.SequentialRNNCell
    hybrid = rnn.HybridSequentialRNNCell()
    hybrid.add(rnn.RNNCell(2))
    hybrid.initialize()
    assert hybrid.unroll(3, nd.ones((1, 3, 4)), merge_outputs=True)[0].shape == (1, 3, 2)


@pytest.mark.parametrize("valid", [False, True])
def test_bidirectional_cell(valid):
    l_cell, _ = make_cell("lstm", seed=5)
    r_cell, _ = make_cell("gru", seed=6)
    bi = rnn.BidirectionalCell(l_cell, r_cell)
    assert next(iter(bi.collect_params())) == "l_cell.i2h_weight"
    x = np.random.RandomState(5).normal(size=(4, 2, 4))  # TNC
    lengths = [4, 2] if valid else [4, 4]
    kwargs = {"valid_length": nd.array(lengths)} if valid else {}
    out, states = bi.unroll(4, f64(x), layout="TNC", merge_outputs=True, **kwargs)
    assert out.shape == (4, 2, 6) and len(states) == 3
    for n, length in enumerate(lengths):
        seq = f64(x[:length, n : n + 1])
        fwd, _ = l_cell.unroll(length, seq, layout="TNC", merge_outputs=True)
        bwd, (h_r,) = r_cell.unroll(
            length, f64(x[:length, n : n + 1][::-1].copy()), layout="TNC", merge_outputs=True
        )
        want = np.concatenate([fwd.asnumpy(), bwd.asnumpy()[::-1]], axis=2)[:, 0]
        np.testing.assert_allclose(out.asnumpy()[:length, n], want, rtol=1e-12)
        np.testing.assert_allclose(out.asnumpy()[length:, n], 0)
        np.testing.assert_allclose(states[2].asnumpy()[n], h_r.asnumpy()[0], rtol=1e-12)
    steps, _ = bi.unroll(4, f64(x), layout="TNC", merge_outputs=False, **kwargs)
    np.testing.assert_allclose(steps[1].asnumpy(), out.asnumpy()[1], rtol=1e-12)
    with pytest.raises(RuntimeError, match="unroll"):
        bi(f64(x[0]), bi.begin_state(2))
    stack = rnn.SequentialRNNCell()
    stack.add(bi)
    with pytest.raises(RuntimeError, match="unroll"):
        stack(f64(x[0]), stack.begin_state(2))


def test_dropout_residual_and_zoneout_cells():
    x = nd.random.uniform(shape=(2, 3, 4))
    drop = rnn.DropoutCell(0.5)
    out, _ = drop.unroll(3, x, merge_outputs=True)
    np.testing.assert_allclose(out.asnumpy(), x.asnumpy())  # predict mode: the identity
    with autograd.record():
        out, _ = drop.unroll(3, nd.ones((50, 3, 4)), merge_outputs=True)
    assert set(np.unique(out.asnumpy())) == {0.0, 2.0}
    with pytest.raises(TypeError, match="number"):
        rnn.DropoutCell("0.5")

    base, _ = make_cell("rnn_tanh", hidden=4, width=4)
    res = rnn.ResidualCell(base)
    assert next(iter(res.collect_params())) == "base_cell.i2h_weight"
    x64 = f64(np.random.RandomState(6).normal(size=(2, 3, 4)))
    out, _ = res.unroll(3, x64, merge_outputs=True, valid_length=nd.array([3, 1]))
    base._modified = False
    plain, _ = base.unroll(3, x64, merge_outputs=True, valid_length=nd.array([3, 1]))
    base._modified = True
    mask = np.arange(3)[None, :, None] < np.array([3, 1])[:, None, None]
    want = plain.asnumpy() + x64.asnumpy() * mask
    np.testing.assert_allclose(out.asnumpy(), want, rtol=1e-12)
    step, _ = res(x64[:, 0], res.begin_state(2, dtype="float64"))
    assert step.shape == (2, 4)
    with pytest.raises(RuntimeError, match="modifier"):
        base.begin_state(2)
    with pytest.raises(ValueError, match="already"):
        rnn.ResidualCell(base)

    zone = rnn.ZoneoutCell(rnn.GRUCell(4, input_size=4), zoneout_outputs=0.5, zoneout_states=0.5)
    zone.initialize()
    out, _ = zone.unroll(3, x, merge_outputs=True)
    zone.base_cell._modified = False
    plain, _ = zone.base_cell.unroll(3, x, merge_outputs=True)
    np.testing.assert_allclose(out.asnumpy(), plain.asnumpy(), rtol=1e-6)  # predict: no zoneout
    with pytest.raises(ValueError, match="Bidirectional"):
        rnn.ZoneoutCell(rnn.BidirectionalCell(rnn.GRUCell(2), rnn.GRUCell(2)))


def test_cell_save_load_and_gradients(tmp_path):
    cell = rnn.LSTMCell(3)
    cell.initialize()
    x = nd.random.uniform(shape=(2, 4, 5))
    with autograd.record():
        out, _ = cell.unroll(4, x, merge_outputs=True)
    out.backward()
    assert np.abs(cell.h2h_weight.grad().asnumpy()).sum() > 0
    f = str(tmp_path / "cell.params")
    cell.save_parameters(f)
    assert sorted(nd.load(f)) == ["h2h_bias", "h2h_weight", "i2h_bias", "i2h_weight"]
    other = rnn.LSTMCell(3)
    other.load_parameters(f)
    np.testing.assert_allclose(other.unroll(4, x, merge_outputs=True)[0].asnumpy(), out.asnumpy())
