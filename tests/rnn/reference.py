"""Hand-written NumPy recurrences (MXNET-SEMANTICS.md formulas), the oracle of the rnn tests:
LSTM gates [i, f, g, o], GRU [r, z, n] with the reset gate applied after the h2h product,
bidirectional outputs concat(fwd, bwd), final-state rows l0-fwd, l0-bwd, l1-fwd, ..."""

import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def step(mode, x, h, c, p):
    """One step from (N, C) inputs and states; ``p`` maps i2h_weight... to arrays."""
    xi = x @ p["i2h_weight"].T + p["i2h_bias"]
    hh = h @ p["h2h_weight"].T + p["h2h_bias"]
    if mode == "lstm":
        i, f, g, o = np.split(xi + hh, 4, axis=1)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        return (h @ p["h2r_weight"].T if "h2r_weight" in p else h), c
    if mode == "gru":
        xr, xz, xn = np.split(xi, 3, axis=1)
        hr, hz, hn = np.split(hh, 3, axis=1)
        r, z = sigmoid(xr + hr), sigmoid(xz + hz)
        n = np.tanh(xn + r * hn)
        return (1 - z) * n + z * h, None
    act = np.tanh if mode == "rnn_tanh" else (lambda v: np.maximum(v, 0))
    return act(xi + hh), None


def layer(mode, x, params, h0, c0=None, num_layers=1, dirs=1):
    """A multi-layer (bidirectional) recurrence on (T, N, C) inputs with registered-name
    parameters; returns (outputs, h_n, c_n)."""
    steps = x.shape[0]
    hn, cn = [], []
    for layer_index in range(num_layers):
        outs = []
        for d in range(dirs):
            row = layer_index * dirs + d
            p = {k[3:]: v for k, v in params.items() if k.startswith(f"{'lr'[d]}{layer_index}_")}
            h, c = h0[row], (c0[row] if c0 is not None else None)
            y = [None] * steps
            for t in range(steps) if d == 0 else reversed(range(steps)):
                h, c = step(mode, x[t], h, c, p)
                y[t] = h
            outs.append(np.stack(y))
            hn.append(h)
            cn.append(c)
        x = np.concatenate(outs, axis=2)
    return x, np.stack(hn), (np.stack(cn) if c0 is not None else None)
