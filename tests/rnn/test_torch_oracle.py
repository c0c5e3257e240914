"""rnn layers against torch.nn.LSTM / GRU / RNN on the same weights (skipped without torch).
torch stacks the same gates in the same order (LSTM i, f, g, o; GRU r, z, n with the reset gate
after the h2h product) and orders h_n rows like MXNet, so the weights copy over one to one."""

import numpy as np
import pytest

from gluonlite import autograd, nd, rnn

torch = pytest.importorskip("torch")

CASES = [
    ("lstm", 1, False),
    ("lstm", 2, True),
    ("gru", 1, True),
    ("gru", 2, False),
    ("rnn_tanh", 2, True),
    ("rnn_relu", 1, False),
]


def _torch_layer(mode, hidden, width, num_layers, bidirectional):
    kwargs = {"num_layers": num_layers, "bidirectional": bidirectional, "dtype": torch.float64}
    if mode == "lstm":
        return torch.nn.LSTM(width, hidden, **kwargs)
    if mode == "gru":
        return torch.nn.GRU(width, hidden, **kwargs)
    return torch.nn.RNN(width, hidden, nonlinearity=mode[4:], **kwargs)


def _ours(mode, hidden, num_layers, bidirectional):
    kwargs = {"num_layers": num_layers, "bidirectional": bidirectional, "dtype": "float64"}
    if mode == "lstm":
        return rnn.LSTM(hidden, **kwargs)
    if mode == "gru":
        return rnn.GRU(hidden, **kwargs)
    return rnn.RNN(hidden, activation=mode[4:], **kwargs)


@pytest.mark.parametrize("mode,num_layers,bidirectional", CASES)
def test_layer_matches_torch(mode, num_layers, bidirectional):
    torch.manual_seed(0)
    steps, batch, width, hidden = 5, 3, 4, 3
    ref = _torch_layer(mode, hidden, width, num_layers, bidirectional)
    ours = _ours(mode, hidden, num_layers, bidirectional)
    ours.initialize()
    x = np.random.RandomState(0).normal(size=(steps, batch, width))
    ours(nd.array(x, dtype="float64"))  # infers the input size
    params = ours.collect_params()
    for layer in range(num_layers):
        for d, suffix in enumerate(["", "_reverse"][: 1 + bidirectional]):
            for ours_kind, torch_kind in (("i2h", "ih"), ("h2h", "hh")):
                for part in ("weight", "bias"):
                    value = getattr(ref, f"{part}_{torch_kind}_l{layer}{suffix}").detach().numpy()
                    params[f"{'lr'[d]}{layer}_{ours_kind}_{part}"].set_data(value)

    rng = np.random.RandomState(1)
    dirs = 1 + bidirectional
    h0 = rng.normal(size=(num_layers * dirs, batch, hidden))
    c0 = rng.normal(size=h0.shape)
    xt = torch.tensor(x, requires_grad=True)
    if mode == "lstm":
        y_ref, (h_ref, c_ref) = ref(xt, (torch.tensor(h0), torch.tensor(c0)))
        states = [nd.array(h0, dtype="float64"), nd.array(c0, dtype="float64")]
    else:
        y_ref, h_ref = ref(xt, torch.tensor(h0))
        states = [nd.array(h0, dtype="float64")]
    xs = nd.array(x, dtype="float64")
    xs.attach_grad()
    with autograd.record():
        y, new_states = ours(xs, states)
        loss = (y * y).sum() + new_states[0].sum()
    loss.backward()
    ((y_ref * y_ref).sum() + h_ref.sum()).backward()

    np.testing.assert_allclose(y.asnumpy(), y_ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        new_states[0].asnumpy(), h_ref.detach().numpy(), rtol=1e-10, atol=1e-12
    )
    if mode == "lstm":
        np.testing.assert_allclose(
            new_states[1].asnumpy(), c_ref.detach().numpy(), rtol=1e-10, atol=1e-12
        )
    np.testing.assert_allclose(xs.grad.asnumpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(
        params["l0_h2h_weight"].grad().asnumpy(),
        ref.weight_hh_l0.grad.numpy(),
        rtol=1e-9,
        atol=1e-11,
    )
