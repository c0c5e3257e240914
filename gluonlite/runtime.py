"""MXNet's ``runtime`` module: which optional backends this installation can use.

``Features()`` is an ordered mapping from MXNet's feature names to ``Feature`` records, found by
probing the optional packages rather than compile flags: CUDA means CuPy sees a GPU, CUDNN and
NCCL that CuPy ships those libraries, OPENCV that an image backend (Pillow) is importable, MPI
and DIST_KVSTORE that mpi4py is installed, BLAS_* which BLAS NumPy is linked against. Probing
never initialises MPI or a GPU context beyond what ``context.num_gpus()`` already does.
"""

from __future__ import annotations

import collections
import importlib.util
from typing import Any

import numpy

from .context import num_gpus

__all__ = ["Feature", "Features", "feature_list"]


class Feature:
    """One optional feature: its ``name`` and whether it is ``enabled``."""

    __slots__ = ("enabled", "index", "name")

    def __init__(self, name: str, enabled: bool, index: int = 0) -> None:
        self.name = name
        self.enabled = bool(enabled)
        self.index = index

    def __repr__(self) -> str:
        return f"{'✔' if self.enabled else '✖'} {self.name}"


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _cupy_has(submodule: str) -> bool:
    """Whether CuPy (with a GPU) provides ``cupy.cuda.<submodule>`` (cudnn, nccl)."""
    if not num_gpus():
        return False
    try:
        module = importlib.import_module(f"cupy.cuda.{submodule}")
    except Exception:  # noqa: BLE001  (missing, or present but unloadable: either way, absent)
        return False
    return getattr(module, "available", True) is not False


def _blas_name() -> str:
    """The BLAS library NumPy was built with, lower-cased ('' when unknown)."""
    try:
        config = numpy.show_config(mode="dicts")
        return str(config["Build Dependencies"]["blas"]["name"]).lower()
    except Exception:  # noqa: BLE001  (older NumPy, or a config without that entry)
        return ""


def _probe() -> list[tuple[str, bool]]:
    gpus = num_gpus() > 0
    blas = _blas_name()
    mpi = _installed("mpi4py")
    return [
        ("CUDA", gpus),
        ("CUDNN", _cupy_has("cudnn")),
        ("NCCL", _cupy_has("nccl")),
        ("CPU", True),
        ("BLAS_OPEN", "openblas" in blas),
        ("BLAS_MKL", "mkl" in blas),
        ("BLAS_APPLE", "accelerate" in blas),
        ("LAPACK", True),  # NumPy always carries LAPACK
        ("OPENCV", _installed("PIL")),  # the image backend: Pillow plays OpenCV's part
        ("MPI", mpi),
        ("DIST_KVSTORE", mpi),
        ("INT64_TENSOR_SIZE", True),
        ("SCIPY", _installed("scipy")),
        ("DEBUG", False),
    ]


def feature_list() -> list[Feature]:
    """Every known feature, in a fixed order."""
    return [Feature(name, enabled, i) for i, (name, enabled) in enumerate(_probe())]


class Features(collections.OrderedDict):
    """Name -> ``Feature`` for this installation (one shared instance, probed once).

    ``Features().is_enabled('CUDA')``; iterating gives the names, ``values()`` the records."""

    instance: Features | None = None

    def __new__(cls, *args: Any, **kwargs: Any) -> Features:  # noqa: PYI034
        if cls.instance is None:
            inst = super().__new__(cls)
            collections.OrderedDict.__init__(inst, [(f.name, f) for f in feature_list()])
            cls.instance = inst
        return cls.instance

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Filled once in ``__new__``; constructing again returns the same mapping."""

    def __repr__(self) -> str:
        return str(list(self.values()))

    def is_enabled(self, feature_name: str) -> bool:
        """Whether ``feature_name`` (case-insensitive) is present; unknown names raise."""
        name = feature_name.upper()
        if name not in self:
            raise RuntimeError(
                f"Feature '{name}' is unknown, known features are: {list(self.keys())}"
            )
        return self[name].enabled
