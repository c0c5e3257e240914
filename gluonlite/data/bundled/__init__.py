"""Small real data sets shipped inside the package (see README.md here for sources and
licences), materialised on demand as image folders."""
from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy

from ...errors import MXNetValueError

__all__ = ["load_uci_digits", "materialize_image_folder", "digits_image_folder"]

_HERE = Path(__file__).parent


def load_uci_digits() -> tuple[numpy.ndarray, numpy.ndarray]:
    """(images uint8 of shape (1797, 8, 8) scaled to 0-255, labels int64)."""
    with gzip.open(_HERE / "uci_digits.csv.gz", "rt") as f:
        table = numpy.loadtxt(f, delimiter=",", dtype=numpy.int64)
    images = (table[:, :64].reshape(-1, 8, 8) * 255 // 16).astype(numpy.uint8)
    return images, table[:, 64]


def materialize_image_folder(images: numpy.ndarray, labels: numpy.ndarray, root: str | Path,
                             val_fraction: float = 0.2, seed: int = 0) -> Path:
    """Write ``root/train/<label>/*.png`` and ``root/val/<label>/*.png`` (a seeded split per
    class), once: an existing complete folder is reused."""
    from PIL import Image

    root = Path(root)
    marker = root / ".complete"
    if marker.exists():
        return root
    if len(images) != len(labels):
        raise MXNetValueError(f"{len(images)} images but {len(labels)} labels")
    rng = numpy.random.RandomState(seed)
    for label in numpy.unique(labels):
        idx = numpy.flatnonzero(labels == label)
        rng.shuffle(idx)
        n_val = max(1, int(round(len(idx) * val_fraction)))
        for split, part in (("val", idx[:n_val]), ("train", idx[n_val:])):
            folder = root / split / str(label)
            folder.mkdir(parents=True, exist_ok=True)
            for i in part:
                Image.fromarray(images[i]).save(folder / f"{i:05d}.png")
    marker.touch()
    return root


def digits_image_folder(root: str | Path | None = None) -> Path:
    """The bundled UCI digits as an image folder (default ``~/.gluonlite/datasets/uci_digits``)."""
    home = Path(os.environ.get("GLUONLITE_HOME", Path.home() / ".gluonlite"))
    images, labels = load_uci_digits()
    return materialize_image_folder(images, labels, root or home / "datasets" / "uci_digits")
