"""torch.optim as an independent oracle, where its conventions coincide with MXNet's:
SGD with momentum and L2 weight decay (MXNet keeps -lr * velocity, the same trajectory at a
constant lr), Nesterov, Adam with eps=0 (torch adds eps after the bias correction of sqrt(v),
MXNet before), RMSProp/Adagrad with eps=0 (torch adds it outside the square root, MXNet
inside), AdaDelta at lr=1 (MXNet's has no learning rate) and Adamax with eps=0."""

import numpy as np
import pytest

from gluonlite import nd
from gluonlite import optimizer as opt

torch = pytest.importorskip("torch")

STEPS = 4
CASES = [
    ("sgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01},
     lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01)),
    ("nag", {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01},
     lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01, nesterov=True)),
    ("adam", {"learning_rate": 0.01, "wd": 0.01, "epsilon": 0.0},
     lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.01, eps=0.0)),
    ("rmsprop", {"learning_rate": 0.01, "gamma1": 0.95, "epsilon": 0.0},
     lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.95, eps=0.0)),
    ("adagrad", {"learning_rate": 0.1, "eps": 0.0},
     lambda p: torch.optim.Adagrad(p, lr=0.1, eps=0.0)),
    ("adadelta", {"rho": 0.9, "epsilon": 1e-5},
     lambda p: torch.optim.Adadelta(p, lr=1.0, rho=0.9, eps=1e-5)),
    ("adamax", {"learning_rate": 0.01},
     lambda p: torch.optim.Adamax(p, lr=0.01, eps=0.0)),
]  # fmt: skip


@pytest.mark.parametrize(("name", "kwargs", "make_torch"), CASES, ids=[c[0] for c in CASES])
def test_matches_torch_optim(name, kwargs, make_torch):
    rng = np.random.RandomState(7)
    w0 = rng.normal(size=(5, 3))
    grads = [rng.normal(size=(5, 3)) for _ in range(STEPS)]
    tw = torch.tensor(w0, dtype=torch.float64, requires_grad=True)
    topt = make_torch([tw])
    w = nd.array(w0, dtype=np.float64)
    updater = opt.get_updater(opt.create(name, **kwargs))
    for g in grads:
        tw.grad = torch.tensor(g, dtype=torch.float64)
        topt.step()
        updater(0, nd.array(g, dtype=np.float64), w)
    np.testing.assert_allclose(w.asnumpy(), tw.detach().numpy(), rtol=1e-9, atol=1e-12)
