"""Training-step speed and memory of the standard workloads (shared/WORKLOADS.md):
gluonlite eager, gluonlite hybridized (static_alloc), hand-written NumPy and PyTorch CPU eager
(when importable), each in a fresh process, printed side by side as ratios.

    python bench/hybrid.py                      # all four workloads
    python bench/hybrid.py --workloads lenet    # a subset
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc

import _common  # noqa: F401  (pins BLAS threads before numpy loads)
import numpy as np
import workloads as W
from _common import print_table

RUNNERS = [("gluonlite", "eager"), ("gluonlite", "hybrid"), ("numpy", "handwritten"),
           ("torch", "eager")]


def _gluonlite_step(workload: str, mode: str):
    import gluonlite as gl
    from gluonlite import autograd, nd

    net = W.gluonlite_model(workload)
    net.initialize()
    W.gluonlite_load(net, workload)
    if mode == "hybrid":
        net.hybridize(static_alloc=True, static_shape=True)
    loss_fn = gl.loss.SoftmaxCrossEntropyLoss()
    trainer = gl.Trainer(net.collect_params(), "sgd", {"learning_rate": W.LR})
    xs, ys = W.batch(workload)
    x, y = nd.array(xs), nd.array(ys)
    n = len(xs)

    def step():
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(n)
        nd.waitall()
        return loss

    def extra():
        state = getattr(net, "_hybrid_state", None)
        prog = state.last.train if state is not None and state.last is not None else None
        if prog is None:
            return {}
        return {"allocating_steps": prog.allocating_steps(), "arenas": prog.arenas_made,
                "plan": prog.plan.report(), "arena_mb": prog.plan.arena_bytes / 2**20}

    return step, lambda loss: float(loss.asnumpy().mean()), extra


def _torch_step(workload: str):
    import torch

    torch.set_num_threads(2)
    net = W.torch_model(workload)
    opt = torch.optim.SGD(net.parameters(), lr=W.LR)
    xs, ys = W.batch(workload)
    x, y = torch.from_numpy(xs), torch.from_numpy(ys.astype(np.int64))
    ce = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = ce(net(x), y)
        loss.backward()
        opt.step()
        return loss

    return step, lambda loss: float(loss.item()), dict


def worker(framework: str, mode: str, workload: str) -> dict:
    if framework == "gluonlite":
        step, to_float, extra = _gluonlite_step(workload, mode)
    elif framework == "torch":
        step, to_float, extra = _torch_step(workload)
    else:
        fn = W.numpy_step(workload)
        if fn is None:
            return {"skipped": True}
        step, to_float, extra = fn, float, dict
    warmup, steps = W.SCHEDULE[workload]
    start = time.perf_counter()
    first_loss = to_float(step())
    first = time.perf_counter() - start
    for _ in range(warmup - 1):
        step()
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        loss = step()
        times.append(time.perf_counter() - t)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    step()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    times.sort()
    return {
        "first_step_s": first, "median": times[len(times) // 2], "min": times[0],
        "p90": times[int(len(times) * 0.9)], "mean": sum(times) / len(times),
        "loss_first": first_loss, "loss_last": to_float(loss),
        "peak_step_mb": peak / 2**20,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, **extra(),
    }


def _has_torch() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default=",".join(W.SHAPES))
    parser.add_argument("--worker", nargs=3, metavar=("FRAMEWORK", "MODE", "WORKLOAD"))
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return
    runners = [r for r in RUNNERS if r[0] != "torch" or _has_torch()]
    rows = []
    for workload in args.workloads.split(","):
        results = {}
        for framework, mode in runners:
            out = subprocess.run(
                [sys.executable, __file__, "--worker", framework, mode, workload],
                capture_output=True, text=True, env=os.environ, check=False,
            )
            if out.returncode != 0:
                print(f"{framework}/{mode}/{workload} failed:\n{out.stderr[-2000:]}")
                continue
            results[(framework, mode)] = json.loads(out.stdout.strip().splitlines()[-1])
        rows += _rows(workload, results)
        for key in (("gluonlite", "hybrid"),):
            if key in results and "plan" in results[key]:
                r = results[key]
                print(f"{workload} hybrid: {r['plan']}; ops allocating per replayed step: "
                      f"{r['allocating_steps']}; arenas made: {r['arenas']}")
    print_table(
        "training step, median of timed steps (ms); ratios measured in this run",
        ["workload", "runner", "median ms", "min ms", "first step s", "x torch", "x eager",
         "peak step MB", "arena MB", "memory x eager", "loss step1", "loss last"], rows)
    print("memory = peak of one step's allocations (tracemalloc) + the persistent arena of a "
          "hybridized block, which static_alloc allocates once")


def _rows(workload: str, results: dict) -> list[list]:
    torch_median = results.get(("torch", "eager"), {}).get("median")
    eager = results.get(("gluonlite", "eager"), {})
    rows = []
    eager_mem = eager.get("peak_step_mb")
    for (framework, mode), r in results.items():
        if r.get("skipped"):
            continue
        memory = r["peak_step_mb"] + r.get("arena_mb", 0.0)
        rows.append([
            workload, f"{framework} {mode}", r["median"] * 1e3, r["min"] * 1e3, r["first_step_s"],
            r["median"] / torch_median if torch_median else "-",
            r["median"] / eager["median"] if framework == "gluonlite" and eager else "-",
            r["peak_step_mb"], r.get("arena_mb", "-"),
            memory / eager_mem if framework == "gluonlite" and eager_mem else "-",
            f"{r['loss_first']:.5f}", f"{r['loss_last']:.5f}",
        ])
    return rows


if __name__ == "__main__":
    main()
