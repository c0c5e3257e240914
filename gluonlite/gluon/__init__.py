"""``gluonlite.gluon``: MXNet's ``mxnet.gluon`` namespace over the same objects (no copies).

``gluon.nn`` *is* ``gluonlite.nn``, ``gluon.Trainer`` *is* ``gluonlite.Trainer``, and so on.
Submodule imports (``from gluonlite.gluon.data.vision import transforms``) resolve to the
same module objects through a small import alias, so no module is ever loaded twice.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

_ALIASES = {
    "nn": "gluonlite.nn",
    "rnn": "gluonlite.rnn",
    "loss": "gluonlite.loss",
    "metric": "gluonlite.metric",
    "utils": "gluonlite.utils",
    "data": "gluonlite.data",
    "model_zoo": "gluonlite.model_zoo",
    "parameter": "gluonlite.nn.parameter",
    "block": "gluonlite.nn.block",
    "trainer": "gluonlite.trainer",
}


class _AliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Maps ``gluonlite.gluon.<alias>[.rest]`` to the real module ``<target>[.rest]``."""

    prefix = __name__ + "."

    def find_spec(self, fullname, path, target=None):
        if not fullname.startswith(self.prefix):
            return None
        head, _, rest = fullname[len(self.prefix):].partition(".")
        if head not in _ALIASES:
            return None
        real = _ALIASES[head] + ("." + rest if rest else "")
        if importlib.util.find_spec(real) is None:
            return None
        return importlib.util.spec_from_loader(fullname, self, origin=real)

    def create_module(self, spec):
        return importlib.import_module(spec.origin)

    def exec_module(self, module):
        return None


if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
    sys.meta_path.insert(0, _AliasFinder())

from .. import loss, metric, nn, rnn, utils  # noqa: E402
from ..hybrid import SymbolBlock  # noqa: E402
from ..nn import Block, Constant, HybridBlock, Parameter, ParameterDict  # noqa: E402
from ..trainer import Trainer  # noqa: E402

__all__ = [
    "nn", "rnn", "loss", "metric", "utils", "Trainer", "Block", "HybridBlock", "Parameter",
    "Constant", "ParameterDict", "SymbolBlock",
]


def __getattr__(name: str):
    """Subpackages that load on first use (data, model_zoo) resolve lazily."""
    if name in _ALIASES:
        return importlib.import_module(_ALIASES[name])
    raise AttributeError(f"module 'gluonlite.gluon' has no attribute {name!r}")
