"""Convolution forward + backward: gluonlite vs PyTorch CPU on the conv shapes of the LeNet and
ResNet-tiny workloads (shared/WORKLOADS.md), float32, 2 threads, medians of repeated runs.

One timed call = forward under ``autograd.record()`` + backward with a fixed head gradient
(weight, bias and, except for a network's first layer, input gradients). Target: gluonlite
<= 1.2x PyTorch per conv.

Inputs are laid out in memory as inside the networks: a network's first layer reads the NCHW
batch, every other layer an activation that a gluonlite layer produced (channels-last memory
with NCHW shape), and the head gradient is channels-last too (what the backward of the next
layer hands over); PyTorch gets its own contiguous NCHW tensors. ``--nchw`` feeds gluonlite
NCHW-contiguous inputs and head gradients everywhere instead.

    python bench/conv.py [repeats] [--nchw]
"""

from __future__ import annotations

import argparse

import numpy as np
from _common import median, print_table, timeit, torch_or_none

from gluonlite import autograd, nd

# name, input (N, C, H, W), filters, kernel, stride, pad, bias, input needs a gradient
SHAPES = [
    ("lenet.conv1", (64, 1, 28, 28), 6, 5, 1, 0, True, False),
    ("lenet.conv2", (64, 6, 12, 12), 16, 5, 1, 0, True, True),
    ("resnet.stem", (32, 3, 32, 32), 16, 3, 1, 1, False, False),
    ("resnet.s1", (32, 16, 32, 32), 16, 3, 1, 1, False, True),
    ("resnet.s2.conv1", (32, 16, 32, 32), 32, 3, 2, 1, False, True),
    ("resnet.s2.conv2", (32, 32, 16, 16), 32, 3, 1, 1, False, True),
    ("resnet.s2.down", (32, 16, 32, 32), 32, 1, 2, 0, False, True),
    ("resnet.s3.conv1", (32, 32, 16, 16), 64, 3, 2, 1, False, True),
    ("resnet.s3.conv2", (32, 64, 8, 8), 64, 3, 1, 1, False, True),
    ("resnet.s3.down", (32, 32, 16, 16), 64, 1, 2, 0, False, True),
]


def _arrays(shape, filters, k, stride, pad):
    rng = np.random.RandomState(0)
    x = rng.standard_normal(shape).astype(np.float32)
    w = rng.standard_normal((filters, shape[1], k, k)) * np.sqrt(2.0 / (shape[1] * k * k))
    out = (shape[2] + 2 * pad - k) // stride + 1
    g = rng.standard_normal((shape[0], filters, out, out)).astype(np.float32)
    return x, w.astype(np.float32), np.zeros(filters, np.float32), g


def _channels_last(a):
    """An NDArray of a's NCHW shape whose memory is channels-last (NHWC)."""
    return nd.array(np.ascontiguousarray(a.transpose(0, 2, 3, 1))).transpose((0, 3, 1, 2))


def gluonlite_step(shape, filters, k, stride, pad, bias, x_grad, nchw=False):
    x, w, b, g = _arrays(shape, filters, k, stride, pad)
    activation = nd.array if nchw else _channels_last
    x = activation(x) if x_grad else nd.array(x)  # a network's input is NCHW
    w, b, g = nd.array(w), nd.array(b), activation(g)
    for v in (w, b) + ((x,) if x_grad else ()):
        v.attach_grad()

    def step():
        with autograd.record():
            y = nd.Convolution(
                x,
                w,
                b if bias else None,
                kernel=(k, k),
                stride=(stride, stride),
                pad=(pad, pad),
                num_filter=filters,
                no_bias=not bias,
            )
        y.backward(g)

    return step


def torch_step(torch, shape, filters, k, stride, pad, bias, x_grad):
    x, w, b, g = (torch.from_numpy(a) for a in _arrays(shape, filters, k, stride, pad))
    w.requires_grad_(True)
    b.requires_grad_(True)
    x.requires_grad_(x_grad)
    conv = torch.nn.functional.conv2d

    def step():
        for v in (x, w, b):
            v.grad = None
        y = conv(x, w, b if bias else None, stride=stride, padding=pad)
        y.backward(g)

    return step


def timed(step, repeats: int, warmup: int = 3) -> tuple[float, float]:
    """(median, minimum) milliseconds of ``repeats`` calls after ``warmup`` untimed ones; the
    minimum is the steadier figure when other processes share the 2 cores."""
    times = timeit(step, repeats, warmup)
    return median(times) * 1e3, min(times) * 1e3


def main(repeats: int = 30, nchw: bool = False) -> None:
    torch = torch_or_none()
    cases = [
        (name, (shape, filters, k, stride, pad, bias, x_grad))
        for name, shape, filters, k, stride, pad, bias, x_grad in SHAPES
    ]
    # one framework after the other: PyTorch's OpenMP threads spin for a while after each call
    # and would slow down whatever runs right after them
    ours = [timed(gluonlite_step(*args, nchw=nchw), repeats) for _, args in cases]
    theirs = [timed(torch_step(torch, *args), repeats) for _, args in cases] if torch else []
    rows = []
    for i, (name, (shape, filters, k, stride, *_)) in enumerate(cases):
        row = [name, f"{shape}->{filters} {k}x{k}/{stride}", *ours[i]]
        if theirs:
            row += [*theirs[i], ours[i][0] / theirs[i][0], ours[i][1] / theirs[i][1]]
        rows.append(row)
    header = ["conv", "shape", "gluonlite ms", "(min)"]
    if torch:
        header += ["torch ms", "(min)", "ratio", "(min)"]
    layout = "NCHW inputs" if nchw else "inputs laid out as in the networks"
    title = f"conv forward+backward, float32, {layout}, medians (and minima) of {repeats}"
    print_table(title, header, rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repeats", type=int, nargs="?", default=30)
    parser.add_argument("--nchw", action="store_true", help="NCHW-contiguous gluonlite inputs")
    args = parser.parse_args()
    main(args.repeats, args.nchw)
