"""Optimizers (MXNet's ``mx.optimizer``): the update rules a Trainer applies to Parameters.

``Optimizer`` holds hyper-parameters and per-index update counts; an ``Updater`` holds the
per-weight states for one device and calls ``update``. Built-in rules reproduce MXNet 1.x's
formulas and run in place on the raw NumPy/CuPy buffers. New rules subclass ``Optimizer``,
implement ``create_state``/``update`` and are made available to ``create`` by ``register``.
"""

from .adam import FTML, LAMB, Adam, Adamax, AdamW, Nadam
from .adaptive import FTRL, AdaDelta, AdaGrad, Adagrad, Ftrl, RMSProp
from .optimizer import Optimizer, Test, Updater, create, get_updater, register
from .sgd import DCASGD, NAG, SGD, SGLD, Signum, ccSGD

__all__ = [
    "DCASGD",
    "FTML",
    "FTRL",
    "LAMB",
    "NAG",
    "SGD",
    "SGLD",
    "AdaDelta",
    "AdaGrad",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Ftrl",
    "Nadam",
    "Optimizer",
    "RMSProp",
    "Signum",
    "Test",
    "Updater",
    "ccSGD",
    "create",
    "get_updater",
    "register",
]
