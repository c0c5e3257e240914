"""Quick start: fit y = 2·x₁ − 3.4·x₂ + 4.2 by gradient descent with NDArrays and autograd.

    python -m gluonlite.examples.quickstart
"""
from __future__ import annotations

import numpy as np

from gluonlite import autograd, nd
from gluonlite.ops import P


def main(steps: int = 200, lr: float = 0.1) -> None:
    rng = np.random.RandomState(0)
    true_w, true_b = np.array([[2.0], [-3.4]]), 4.2
    features = rng.normal(size=(1000, 2))
    labels = features @ true_w + true_b + rng.normal(scale=0.01, size=(1000, 1))
    X, y = nd.array(features), nd.array(labels)

    w = nd.zeros((2, 1))
    b = nd.zeros((1,))
    for param in (w, b):
        param.attach_grad()
    for step in range(steps):
        with autograd.record():
            err = nd.dot(X, w) + b - y
            loss = P.sum(err * err) / (2 * len(X))
        loss.backward()
        for param in (w, b):
            param -= lr * param.grad
        if step % 50 == 0 or step == steps - 1:
            print(f"step {step:3d}  loss {loss.item():.6f}")
    print(f"learned w = {w.asnumpy().ravel().round(3)}, b = {b.asnumpy().round(3)}")
    print(f"true    w = {true_w.ravel()}, b = [{true_b}]")


if __name__ == "__main__":
    main()
