"""Per-op overhead of eager autograd (workload ``op_overhead`` of shared/WORKLOADS.md).

One iteration: ``with record: y = x*2+1`` then ``y.backward()`` on a (1,) float32 leaf; and the
same forward without recording. 2 warm-up loops, 15 timed loops of 1000 iterations; medians.
Printed side by side with a hand-written NumPy step and PyTorch CPU (when importable).

    python bench/op_overhead.py
"""
from __future__ import annotations

import numpy as np
from _common import median, print_table, timeit, torch_or_none

import gluonlite as gl
from gluonlite import autograd, nd

ITERS, LOOPS = 1000, 15


def gluonlite_loops():
    x = nd.ones((1,))
    x.attach_grad()

    def record():
        for _ in range(ITERS):
            with autograd.record():
                y = x * 2 + 1
            y.backward()

    def norecord():
        for _ in range(ITERS):
            x * 2 + 1

    return record, norecord


def numpy_loops():
    x = np.ones((1,), np.float32)
    gx = np.zeros_like(x)

    def record():
        for _ in range(ITERS):
            x * 2 + 1
            gx.__iadd__(2 * np.ones_like(x))

    def norecord():
        for _ in range(ITERS):
            x * 2 + 1

    return record, norecord


def torch_loops(torch):
    x = torch.ones((1,), requires_grad=True)

    def record():
        for _ in range(ITERS):
            y = x * 2 + 1
            y.backward()

    def norecord():
        with torch.no_grad():
            for _ in range(ITERS):
                x * 2 + 1

    return record, norecord


def main() -> None:
    frameworks = {"gluonlite": gluonlite_loops(), "numpy": numpy_loops()}
    torch = torch_or_none()
    if torch is not None:
        frameworks["torch"] = torch_loops(torch)
    us = {}
    for name, (record, norecord) in frameworks.items():
        us[name] = tuple(median(timeit(f, LOOPS)) / ITERS * 1e6 for f in (record, norecord))
    rows = []
    for name, (rec, norec) in us.items():
        row = [name, rec, norec, rec / us["numpy"][0]]
        if torch is not None:
            row.append(rec / us["torch"][0])
        rows.append(row)
    header = ["framework", "record+backward us/iter", "no-record us/iter", "x numpy"]
    if torch is not None:
        header.append("x torch")
    print_table(f"op_overhead (gluonlite {gl.__version__}, median of {LOOPS} loops of {ITERS})",
                header, rows)


if __name__ == "__main__":
    main()
