"""Vision datasets read from local files (MXNet's ``gluon.data.vision.datasets``).

``ImageFolderDataset`` decodes image files on access (Pillow); ``MNIST``, ``FashionMNIST``,
``CIFAR10`` and ``CIFAR100`` read the datasets' standard binary files once into memory. Nothing
is downloaded: when files are missing, the error says where gluonlite looked and which files to
place there. Samples are ``(HxWxC uint8 NDArray, label)``, passed through ``transform(data,
label)`` when one is given.
"""

from __future__ import annotations

import gzip
import os
import tarfile
import warnings
from collections.abc import Callable
from typing import Any

import numpy

from ... import errors
from ...context import cpu
from ...image.codec import imread
from ...ndarray.creation import wrap
from ..dataset import Dataset

__all__ = ["CIFAR10", "CIFAR100", "MNIST", "FashionMNIST", "ImageFolderDataset"]

Transform = Callable[[Any, Any], Any]


class MissingFileError(errors.MXNetError, FileNotFoundError):
    """A dataset's files are not where it looked."""


def data_dir() -> str:
    """Where datasets live by default: ``$GLUONLITE_HOME`` or ``~/.gluonlite``."""
    return os.environ.get("GLUONLITE_HOME", os.path.join(os.path.expanduser("~"), ".gluonlite"))


# ---- image folders -------------------------------------------------------------------------------
class ImageFolderDataset(Dataset):
    """Images stored one folder per class: ``root/<class>/<image>``.

    Classes are the sub-folders in sorted order (``synsets[label]`` names label ``label``);
    ``items`` lists every ``(path, label)``. Files whose extension is not .jpg, .jpeg or .png
    are skipped with a warning. ``flag`` 1 decodes to 3-channel RGB, 0 to 1-channel grayscale.
    """

    _EXTENSIONS = (".jpg", ".jpeg", ".png")

    def __init__(self, root: str, flag: int = 1, transform: Transform | None = None) -> None:
        self._root = os.path.expanduser(root)
        self._flag = flag
        self._transform = transform
        if not os.path.isdir(self._root):
            raise MissingFileError(
                f"ImageFolderDataset: no folder at {self._root!r}; it should hold one "
                "sub-folder of images per class"
            )
        self.synsets: list[str] = []
        self.items: list[tuple[str, int]] = []
        self._list_images()

    def _list_images(self) -> None:
        for folder in sorted(os.listdir(self._root)):
            path = os.path.join(self._root, folder)
            if not os.path.isdir(path):
                warnings.warn(f"Ignoring {path}, which is not a directory.", stacklevel=3)
                continue
            label = len(self.synsets)
            self.synsets.append(folder)
            for name in sorted(os.listdir(path)):
                filename = os.path.join(path, name)
                ext = os.path.splitext(name)[1]
                if ext.lower() not in self._EXTENSIONS:
                    warnings.warn(
                        f"Ignoring {filename} of type {ext or '(none)'}. Only "
                        f"{', '.join(self._EXTENSIONS)} are read.",
                        stacklevel=3,
                    )
                    continue
                self.items.append((filename, label))

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, idx: int) -> Any:
        path, label = self.items[idx]
        img = imread(path, self._flag)
        if self._transform is not None:
            return self._transform(img, label)
        return img, label


# ---- in-memory datasets (MNIST, CIFAR) -----------------------------------------------------------
class _InMemoryDataset(Dataset):
    """Images (N, H, W, C) uint8 and int32 labels held in memory; sample ``i`` is
    ``(NDArray view of image i, label i)``."""

    def __init__(self, root: str, transform: Transform | None) -> None:
        self._root = os.path.expanduser(root)
        self._transform = transform
        self._images, self._label = self._load()

    def _load(self) -> tuple[numpy.ndarray, numpy.ndarray]:
        raise NotImplementedError

    def __len__(self) -> int:
        return len(self._label)

    def __getitem__(self, idx: int) -> Any:
        data, label = wrap(self._images[idx], cpu()), self._label[idx]
        if self._transform is not None:
            return self._transform(data, label)
        return data, label


def _find(root: str, candidates: list[str]) -> str | None:
    """The first of ``candidates`` (paths relative to ``root``) that exists."""
    for name in candidates:
        path = os.path.join(root, name)
        if os.path.isfile(path):
            return path
    return None


def _read_maybe_gzip(path: str) -> bytes:
    """A file's bytes, gunzipped when it is gzip-compressed (detected by its magic number)."""
    try:
        with open(path, "rb") as f:
            compressed = f.read(2) == b"\x1f\x8b"
        if not compressed:
            with open(path, "rb") as f:
                return f.read()
        with gzip.open(path, "rb") as f:
            return f.read()
    except (OSError, EOFError) as exc:
        raise errors.MXNetValueError(f"cannot read {path}: {exc}; the file is corrupt") from None


def _parse_idx(raw: bytes, path: str, magic: int, ndim: int) -> numpy.ndarray:
    """The uint8 array of an IDX file (big-endian magic, then ``ndim`` int32 dims, then data)."""
    header = 4 + 4 * ndim
    if len(raw) < header or int.from_bytes(raw[:4], "big") != magic:
        found = int.from_bytes(raw[:4], "big") if len(raw) >= 4 else None
        raise errors.MXNetValueError(
            f"{path} is not an IDX file of {ndim}-d unsigned bytes: expected magic number "
            f"{magic:#010x}, found {found if found is None else hex(found)}"
        )
    dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(numpy.prod(dims))
    if len(raw) != expected:
        raise errors.MXNetValueError(
            f"{path} is truncated or corrupt: its header announces shape {dims} "
            f"({expected} bytes) but the file holds {len(raw)} bytes"
        )
    return numpy.frombuffer(raw, dtype=numpy.uint8, offset=header).reshape(dims)


class MNIST(_InMemoryDataset):
    """MNIST handwritten digits: 28x28x1 uint8 images and int32 labels 0-9, read from the IDX
    files (``train-images-idx3-ubyte`` ..., gzipped or not) in ``root``."""

    _NAME = "MNIST"
    _SOURCE = "http://yann.lecun.com/exdb/mnist/"

    def __init__(
        self,
        root: str = os.path.join(data_dir(), "datasets", "mnist"),
        train: bool = True,
        transform: Transform | None = None,
    ) -> None:
        self._train = train
        super().__init__(root, transform)

    def _locate(self, stem: str) -> str:
        dotted = stem.replace("-idx", ".idx")  # the t10k-images.idx3-ubyte spelling
        path = _find(self._root, [stem, stem + ".gz", dotted, dotted + ".gz"])
        if path is None:
            part = "training" if self._train else "test"
            raise MissingFileError(
                f"{self._NAME}: the {part} file {stem} (or {stem}.gz) is not in "
                f"{self._root!r}. gluonlite does not download datasets: place "
                f"{self._files()[0]} and {self._files()[1]} (gzipped or not, from "
                f"{self._SOURCE}) in that folder, or pass root=<folder holding them>"
            )
        return path

    def _files(self) -> tuple[str, str]:
        prefix = "train" if self._train else "t10k"
        return f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"

    def _load(self) -> tuple[numpy.ndarray, numpy.ndarray]:
        image_file, label_file = (self._locate(stem) for stem in self._files())
        images = _parse_idx(_read_maybe_gzip(image_file), image_file, 0x803, 3)
        labels = _parse_idx(_read_maybe_gzip(label_file), label_file, 0x801, 1)
        if len(images) != len(labels):
            raise errors.MXNetValueError(
                f"{self._NAME}: {image_file} holds {len(images)} images but {label_file} "
                f"holds {len(labels)} labels"
            )
        return images[..., None], labels.astype(numpy.int32)


class FashionMNIST(MNIST):
    """Fashion-MNIST (Zalando's clothing images), a drop-in replacement for MNIST with the same
    file names and format."""

    _NAME = "FashionMNIST"
    _SOURCE = "https://github.com/zalandoresearch/fashion-mnist"

    def __init__(
        self,
        root: str = os.path.join(data_dir(), "datasets", "fashion-mnist"),
        train: bool = True,
        transform: Transform | None = None,
    ) -> None:
        super().__init__(root, train, transform)


class CIFAR10(_InMemoryDataset):
    """CIFAR-10: 32x32x3 uint8 images and int32 labels 0-9, read from the binary version's
    files (``data_batch_1.bin`` ... ``data_batch_5.bin``, ``test_batch.bin``) in ``root``, in
    its ``cifar-10-batches-bin`` sub-folder, or inside ``cifar-10-binary.tar.gz`` there."""

    _NAME = "CIFAR10"
    _ARCHIVE = ("cifar-10-binary.tar.gz", "cifar-10-batches-bin")
    _TRAIN = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
    _TEST = ("test_batch.bin",)
    _LABEL_BYTES = 1
    _CLASSES = (10,)

    def __init__(
        self,
        root: str = os.path.join(data_dir(), "datasets", "cifar10"),
        train: bool = True,
        transform: Transform | None = None,
    ) -> None:
        self._train = train
        super().__init__(root, transform)

    def _label_column(self) -> int:
        return 0

    def _read_files(self) -> list[tuple[str, bytes]]:
        """(name, bytes) of each needed file, from the folder or else from the archive."""
        names = self._TRAIN if self._train else self._TEST
        archive_name, subdir = self._ARCHIVE
        paths = [_find(self._root, [n, os.path.join(subdir, n)]) for n in names]
        if all(paths):
            return [(p, _read_maybe_gzip(p)) for p in paths]
        archive = os.path.join(self._root, archive_name)
        if os.path.isfile(archive):
            return self._read_archive(archive, names)
        raise MissingFileError(
            f"{self._NAME}: {', '.join(n for n, p in zip(names, paths) if p is None)} not found "
            f"in {self._root!r} (nor in its {subdir} sub-folder, nor as {archive_name} there). "
            f"gluonlite does not download datasets: place the binary version's files "
            f"({', '.join(names)}) or {archive_name} (from "
            "https://www.cs.toronto.edu/~kriz/cifar.html) in that folder, or pass root=<folder>"
        )

    def _read_archive(self, archive: str, names: tuple[str, ...]) -> list[tuple[str, bytes]]:
        try:
            with tarfile.open(archive) as tar:
                members = {os.path.basename(m.name): m for m in tar.getmembers() if m.isfile()}
                missing = [n for n in names if n not in members]
                if missing:
                    raise errors.MXNetValueError(f"{archive} lacks {', '.join(missing)}")
                return [(f"{archive}:{n}", tar.extractfile(members[n]).read()) for n in names]
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise errors.MXNetValueError(f"cannot read {archive}: {exc}; it is corrupt") from None

    def _load(self) -> tuple[numpy.ndarray, numpy.ndarray]:
        record = self._LABEL_BYTES + 3072
        images, labels = [], []
        for name, raw in self._read_files():
            if not raw or len(raw) % record:
                raise errors.MXNetValueError(
                    f"{name} is not a {self._NAME} binary batch: its {len(raw)} bytes are not a "
                    f"whole number of {record}-byte records ({self._LABEL_BYTES} label byte(s) "
                    "and a 3x32x32 image each)"
                )
            rows = numpy.frombuffer(raw, dtype=numpy.uint8).reshape(-1, record)
            label = rows[:, self._label_column()]
            limit = self._CLASSES[self._label_column()]
            if label.max() >= limit:
                raise errors.MXNetValueError(
                    f"{name} is corrupt: it holds label {int(label.max())}, but {self._NAME} "
                    f"labels are below {limit}"
                )
            images.append(rows[:, self._LABEL_BYTES :].reshape(-1, 3, 32, 32))
            labels.append(label)
        data = numpy.ascontiguousarray(numpy.concatenate(images).transpose(0, 2, 3, 1))
        return data, numpy.concatenate(labels).astype(numpy.int32)


class CIFAR100(CIFAR10):
    """CIFAR-100: 32x32x3 uint8 images with the 20 coarse labels, or the 100 fine ones when
    ``fine_label`` is true, read from ``train.bin`` / ``test.bin`` (binary version) in ``root``,
    its ``cifar-100-binary`` sub-folder, or ``cifar-100-binary.tar.gz`` there."""

    _NAME = "CIFAR100"
    _ARCHIVE = ("cifar-100-binary.tar.gz", "cifar-100-binary")
    _TRAIN = ("train.bin",)
    _TEST = ("test.bin",)
    _LABEL_BYTES = 2
    _CLASSES = (20, 100)

    def __init__(
        self,
        root: str = os.path.join(data_dir(), "datasets", "cifar100"),
        fine_label: bool = False,
        train: bool = True,
        transform: Transform | None = None,
    ) -> None:
        self._fine_label = fine_label
        super().__init__(root, train, transform)

    def _label_column(self) -> int:
        return int(self._fine_label)
