"""The standard workloads of shared/WORKLOADS.md: data, parameters (drawn in registration
order from RandomState(1), He-normal weights), and the same models in gluonlite, PyTorch and
hand-written NumPy."""
from __future__ import annotations

import numpy as np

SHAPES = {
    "mlp_small": (32, 784),
    "mlp_large": (512, 784),
    "lenet": (64, 1, 28, 28),
    "resnet_tiny": (32, 3, 32, 32),
}
SCHEDULE = {"mlp_small": (5, 100), "mlp_large": (5, 30), "lenet": (5, 50), "resnet_tiny": (5, 30)}
LR = 0.1


def batch(workload: str) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(0)
    x = rng.standard_normal(SHAPES[workload]).astype(np.float32)
    y = rng.randint(0, 10, SHAPES[workload][0])
    return x, y


def param_specs(workload: str) -> list[tuple[str, tuple[int, ...]]]:
    """(kind, shape) of every parameter in registration order: kind is weight, bias, gamma or
    beta (BN running statistics are not drawn)."""
    if workload.startswith("mlp"):
        h = 256 if workload == "mlp_small" else 1024
        dims = [(784, h), (h, h), (h, 10)]
        return [s for i, o in dims for s in (("weight", (o, i)), ("bias", (o,)))]
    if workload == "lenet":
        return [("weight", (6, 1, 5, 5)), ("bias", (6,)), ("weight", (16, 6, 5, 5)),
                ("bias", (16,)), ("weight", (120, 256)), ("bias", (120,)),
                ("weight", (84, 120)), ("bias", (84,)), ("weight", (10, 84)), ("bias", (10,))]
    specs = [("weight", (16, 3, 3, 3)), ("gamma", (16,)), ("beta", (16,))]
    for cin, cout, stride in RESNET_STAGES:
        specs += [("weight", (cout, cin, 3, 3)), ("gamma", (cout,)), ("beta", (cout,)),
                  ("weight", (cout, cout, 3, 3)), ("gamma", (cout,)), ("beta", (cout,))]
        if stride != 1 or cin != cout:
            specs += [("weight", (cout, cin, 1, 1)), ("gamma", (cout,)), ("beta", (cout,))]
    return specs + [("weight", (10, 64)), ("bias", (10,))]


RESNET_STAGES = [(16, 16, 1), (16, 32, 2), (32, 64, 2)]


def draw_params(workload: str) -> list[np.ndarray]:
    rng = np.random.RandomState(1)
    out = []
    for kind, shape in param_specs(workload):
        if kind == "weight":
            fan_in = int(np.prod(shape[1:]))
            out.append((rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32))
        else:
            out.append(np.full(shape, 1.0 if kind == "gamma" else 0.0, np.float32))
    return out


# ---- gluonlite ----------------------------------------------------------------------------------
def gluonlite_model(workload: str):
    from gluonlite import nd, nn

    if workload.startswith("mlp"):
        h = 256 if workload == "mlp_small" else 1024
        net = nn.HybridSequential()
        net.add(nn.Dense(h, activation="relu", in_units=784),
                nn.Dense(h, activation="relu", in_units=h), nn.Dense(10, in_units=h))
        return net
    if workload == "lenet":
        net = nn.HybridSequential()
        net.add(nn.Conv2D(6, 5, in_channels=1, activation="relu"), nn.MaxPool2D(2, 2),
                nn.Conv2D(16, 5, in_channels=6, activation="relu"), nn.MaxPool2D(2, 2),
                nn.Flatten(), nn.Dense(120, activation="relu", in_units=256),
                nn.Dense(84, activation="relu", in_units=120), nn.Dense(10, in_units=84))
        return net

    def conv_bn(cin, cout, k, stride, pad):
        seq = nn.HybridSequential()
        seq.add(nn.Conv2D(cout, k, stride, pad, use_bias=False, in_channels=cin),
                nn.BatchNorm(in_channels=cout))
        return seq

    class Basic(nn.HybridBlock):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.body1 = conv_bn(cin, cout, 3, stride, 1)
            self.body2 = conv_bn(cout, cout, 3, 1, 1)
            self.down = conv_bn(cin, cout, 1, stride, 0) if stride != 1 or cin != cout else None

        def forward(self, x):
            y = self.body2(nd.relu(self.body1(x)))
            return nd.relu(y + (self.down(x) if self.down is not None else x))

    class ResNetTiny(nn.HybridBlock):
        def __init__(self):
            super().__init__()
            self.stem = conv_bn(3, 16, 3, 1, 1)
            self.stages = nn.HybridSequential()
            for cin, cout, stride in RESNET_STAGES:
                self.stages.add(Basic(cin, cout, stride))
            self.pool = nn.GlobalAvgPool2D()
            self.fc = nn.Dense(10, in_units=64)

        def forward(self, x):
            return self.fc(self.pool(self.stages(nd.relu(self.stem(x)))))

    return ResNetTiny()


def gluonlite_load(net, workload: str) -> None:
    """Set the drawn values into the parameters, in registration order."""
    trainable = [p for name, p in net.collect_params().items()
                 if not name.endswith(("running_mean", "running_var"))]
    for p, value in zip(trainable, draw_params(workload), strict=True):
        p.set_data(value)


# ---- PyTorch ------------------------------------------------------------------------------------
def torch_model(workload: str):
    import torch
    from torch import nn

    if workload.startswith("mlp"):
        h = 256 if workload == "mlp_small" else 1024
        net = nn.Sequential(nn.Linear(784, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(),
                            nn.Linear(h, 10))
    elif workload == "lenet":
        net = nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2, 2), nn.Conv2d(6, 16, 5),
                            nn.ReLU(), nn.MaxPool2d(2, 2), nn.Flatten(), nn.Linear(256, 120),
                            nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    else:
        def conv_bn(cin, cout, k, s, p):
            return nn.Sequential(nn.Conv2d(cin, cout, k, s, p, bias=False), nn.BatchNorm2d(cout))

        class Basic(nn.Module):
            def __init__(self, cin, cout, s):
                super().__init__()
                self.body1, self.body2 = conv_bn(cin, cout, 3, s, 1), conv_bn(cout, cout, 3, 1, 1)
                self.down = conv_bn(cin, cout, 1, s, 0) if s != 1 or cin != cout else None

            def forward(self, x):
                y = self.body2(torch.relu(self.body1(x)))
                return torch.relu(y + (self.down(x) if self.down is not None else x))

        class ResNetTiny(nn.Module):
            def __init__(self):
                super().__init__()
                self.stem = conv_bn(3, 16, 3, 1, 1)
                self.stages = nn.Sequential(*[Basic(*s) for s in RESNET_STAGES])
                self.fc = nn.Linear(64, 10)

            def forward(self, x):
                y = self.stages(torch.relu(self.stem(x)))
                return self.fc(y.mean(dim=(2, 3)))

        net = ResNetTiny()
    with torch.no_grad():
        for p, value in zip(net.parameters(), draw_params(workload), strict=True):
            p.copy_(torch.from_numpy(value))
    return net


# ---- hand-written NumPy (the limit for MLP and LeNet) -------------------------------------------
def numpy_step(workload: str):
    """A preallocated, in-place NumPy training step (SGD), returning the loss."""
    x, y = batch(workload)
    params = draw_params(workload)
    n = x.shape[0]
    onehot = np.zeros((n, 10), np.float32)
    onehot[np.arange(n), y] = 1.0
    if workload.startswith("mlp"):
        return _numpy_mlp(x, onehot, params)
    if workload == "lenet":
        return _numpy_lenet(x, onehot, params)
    return None


def _softmax_ce(logits, onehot, dlogits):
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    s = e.sum(axis=1, keepdims=True)
    loss = float((np.log(s) - (shifted * onehot).sum(axis=1, keepdims=True)).mean())
    np.divide(e, s, out=dlogits)
    dlogits -= onehot
    dlogits /= len(onehot)
    return loss


def _numpy_mlp(x, onehot, params):
    w1, b1, w2, b2, w3, b3 = params
    h1 = np.empty((len(x), w1.shape[0]), np.float32)
    h2 = np.empty((len(x), w2.shape[0]), np.float32)
    logits = np.empty((len(x), 10), np.float32)
    d3 = np.empty_like(logits)
    d2, d1 = np.empty_like(h2), np.empty_like(h1)
    gw = [np.empty_like(w) for w in (w1, w2, w3)]

    def step():
        np.matmul(x, w1.T, out=h1)
        np.add(h1, b1, out=h1)
        np.maximum(h1, 0, out=h1)
        np.matmul(h1, w2.T, out=h2)
        np.add(h2, b2, out=h2)
        np.maximum(h2, 0, out=h2)
        np.matmul(h2, w3.T, out=logits)
        np.add(logits, b3, out=logits)
        loss = _softmax_ce(logits, onehot, d3)
        np.matmul(d3.T, h2, out=gw[2])
        np.matmul(d3, w3, out=d2)
        np.multiply(d2, h2 > 0, out=d2)
        np.matmul(d2.T, h1, out=gw[1])
        np.matmul(d2, w2, out=d1)
        np.multiply(d1, h1 > 0, out=d1)
        np.matmul(d1.T, x, out=gw[0])
        for w, b, g, d in ((w1, b1, gw[0], d1), (w2, b2, gw[1], d2), (w3, b3, gw[2], d3)):
            b -= LR * d.sum(axis=0)
            g *= LR
            w -= g
        return loss

    return step


def _numpy_lenet(x, onehot, params):
    from numpy.lib.stride_tricks import sliding_window_view as windows

    c1w, c1b, c2w, c2b, f1w, f1b, f2w, f2b, f3w, f3b = params
    n = len(x)
    x_nhwc = np.ascontiguousarray(x.transpose(0, 2, 3, 1))

    def conv(inp, w, b, cols):
        k = w.shape[2]
        oh, ow = inp.shape[1] - k + 1, inp.shape[2] - k + 1
        np.copyto(cols.reshape(n, oh, ow, inp.shape[3], k, k),
                  windows(inp, (k, k), axis=(1, 2)))
        wmat = w.reshape(w.shape[0], -1)  # (O, C*k*k), matching (C, kh, kw) window order
        return (cols @ wmat.T + b).reshape(n, oh, ow, -1), wmat

    def pool_relu(a):
        n_, h, w_, c = a.shape
        r = a.reshape(n_, h // 2, 2, w_ // 2, 2, c)
        m = r.max(axis=(2, 4))
        mask = r == m[:, :, None, :, None, :]
        return np.maximum(m, 0), mask

    cols1 = np.empty((n * 24 * 24, 25), np.float32)
    cols2 = np.empty((n * 8 * 8, 150), np.float32)
    dlog = np.empty((n, 10), np.float32)

    def col2im(dcols, shape, k, out):
        out[...] = 0
        d = dcols.reshape(n, shape[1] - k + 1, shape[2] - k + 1, shape[3], k, k)
        for i in range(k):
            for j in range(k):
                out[:, i:i + d.shape[1], j:j + d.shape[2], :] += d[..., i, j]
        return out

    dp1 = np.empty((n, 12, 12, 6), np.float32)

    def step():
        a1, w1m = conv(x_nhwc, c1w, c1b, cols1)
        p1, m1 = pool_relu(a1)
        a2, w2m = conv(p1, c2w, c2b, cols2)
        p2, m2 = pool_relu(a2)
        flat = p2.transpose(0, 3, 1, 2).reshape(n, -1)  # C,H,W order as the reference
        h1 = np.maximum(flat @ f1w.T + f1b, 0)
        h2 = np.maximum(h1 @ f2w.T + f2b, 0)
        loss = _softmax_ce(h2 @ f3w.T + f3b, onehot, dlog)
        dh2 = (dlog @ f3w) * (h2 > 0)
        dh1 = (dh2 @ f2w) * (h1 > 0)
        dflat = dh1 @ f1w
        grads = [dlog.T @ h2, dlog.sum(0), dh2.T @ h1, dh2.sum(0), dh1.T @ flat, dh1.sum(0)]
        dp2 = dflat.reshape(n, 16, 4, 4).transpose(0, 2, 3, 1) * (p2 > 0)
        da2 = (mask_up(dp2, m2)).reshape(n * 64, 16)
        gc2w = (da2.T @ cols2).reshape(c2w.shape)
        col2im(da2 @ w2m, p1.shape, 5, dp1)
        np.multiply(dp1, p1 > 0, out=dp1)
        da1 = mask_up(dp1, m1).reshape(n * 576, 6)
        gc1w = (da1.T @ cols1).reshape(c1w.shape)
        updates = list(zip((f3w, f3b, f2w, f2b, f1w, f1b), grads))
        updates += [(c2b, da2.sum(0)), (c2w, gc2w), (c1b, da1.sum(0)), (c1w, gc1w)]
        for p, g in updates:
            np.subtract(p, LR * g, out=p)
        return loss

    def mask_up(d, mask):
        n_, h, w_, c = d.shape
        return (mask * d[:, :, None, :, None, :]).reshape(n_, h * 2, w_ * 2, c)

    return step
