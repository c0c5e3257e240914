"""``nd.save`` / ``nd.load`` in MXNet's binary NDArray list format (the ``.params`` files).

The layout (little-endian) is the one MXNet 1.x's ``NDArray::Save`` writes: a list header
(magic 0x112, reserved, count), each array (magic, storage type, for sparse arrays the storage
shape, shape as int32 ndim + int64 dims, context, dtype flag, for sparse arrays the aux types
and shapes, raw C-order values, then the aux arrays), then the names. Loading only parses
numbers and raw bytes (no pickle, no code), checks every length against the file, and names
the file and the problem when something is wrong. Saving to a path is atomic: a crash
mid-write leaves the previous file untouched.
"""

from __future__ import annotations

import contextlib
import io
import os
import struct
import tempfile
from collections.abc import Callable
from typing import Any, BinaryIO

import numpy

from .. import errors
from ..context import cpu
from ..ops.sparse import INDEX_DTYPE
from .dispatch import ArrayBase
from .ndarray import NDArray
from .sparse import BaseSparseNDArray, CSRNDArray, RowSparseNDArray

__all__ = ["load", "load_frombuffer", "save"]

LIST_MAGIC = 0x112
V1_MAGIC, V2_MAGIC, V3_MAGIC = 0xF993FAC8, 0xF993FAC9, 0xF993FACA
_LEGACY_MAX_NDIM = 32  # pre-V1 files start each array with its ndim instead of a magic
# mshadow's type flags, as explicit little-endian dtypes
_DTYPES = {
    0: "<f4", 1: "<f8", 2: "<f2", 3: "|u1", 4: "<i4", 5: "|i1", 6: "<i8", 7: "|b1",
    8: "<i2", 9: "<u2", 10: "<u4", 11: "<u8",
}  # fmt: skip
_FLAGS = {numpy.dtype(code).str: flag for flag, code in _DTYPES.items()}
_DENSE, _ROW_SPARSE, _CSR = 0, 1, 2
_AUX_PARTS = {_ROW_SPARSE: ("_indices",), _CSR: ("_indptr", "_indices")}  # MXNet's aux order
_SPARSE_CLASS = {_ROW_SPARSE: RowSparseNDArray, _CSR: CSRNDArray}
_STYPE_CODE = {"row_sparse": _ROW_SPARSE, "csr": _CSR}


# ---- save ---------------------------------------------------------------------------------------
def _host(raw: Any) -> numpy.ndarray:
    """A raw array's values as a C-contiguous little-endian NumPy array (copied only if needed)."""
    host = raw if isinstance(raw, numpy.ndarray) else raw.get()
    return numpy.asarray(host, dtype=host.dtype.newbyteorder("<"), order="C")


def _flag(dtype: numpy.dtype, what: str) -> int:
    flag = _FLAGS.get(dtype.newbyteorder("<").str)
    if flag is None:
        raise errors.MXNetTypeError(
            f"save: {what} has dtype {dtype}, which MXNet's format cannot store; cast it to one "
            "of float32/64/16, uint8, int8/16/32/64, uint16/32/64 or bool"
        )
    return flag


def _shape_bytes(shape: tuple) -> bytes:
    return struct.pack(f"<i{len(shape)}q", len(shape), *shape)


def _write_array(f: BinaryIO, value: Any, what: str) -> None:
    """One array in NDArray::Save's layout (V3 magic for 0-d arrays, as MXNet's np mode)."""
    if isinstance(value, BaseSparseNDArray):
        stype = _STYPE_CODE[value.stype]
        values = _host(value._values)
        aux = [_host(getattr(value, part)) for part in _AUX_PARTS[stype]]
        head = struct.pack("<Ii", V2_MAGIC, stype) + _shape_bytes(values.shape)
        ctx, shape = value.context, value.shape
    else:
        stype, aux = _DENSE, []
        values = _host(value._data) if isinstance(value, ArrayBase) else _host(value)
        ctx = value.context if isinstance(value, ArrayBase) else cpu()
        shape = values.shape
        head = struct.pack("<Ii", V3_MAGIC if not shape else V2_MAGIC, stype)
    head += _shape_bytes(shape) + struct.pack(
        "<iii", ctx.device_typeid, ctx.device_id, _flag(values.dtype, what)
    )
    for a in aux:
        head += struct.pack("<i", _flag(a.dtype, what)) + _shape_bytes(a.shape)
    f.write(head)
    for part in [values, *aux]:
        if part.size:
            f.write(part.data)


def _entries(data: Any) -> tuple[list, list[str]]:
    """(arrays, names) of what ``save`` accepts: one array, a list/tuple, or a dict by name."""
    kinds = (ArrayBase, BaseSparseNDArray, numpy.ndarray)
    if isinstance(data, kinds):
        return [data], []
    if isinstance(data, dict):
        bad = [k for k in data if not isinstance(k, str)]
        if bad:
            raise errors.MXNetTypeError(f"save: dict keys must be str, got {bad[0]!r}")
        arrays, names = list(data.values()), list(data)
    elif isinstance(data, (list, tuple)):
        arrays, names = list(data), []
    else:
        raise errors.MXNetTypeError(
            f"save expects an NDArray, a list of NDArrays or a dict str -> NDArray, got "
            f"{type(data).__name__}"
        )
    for i, a in enumerate(arrays):
        if not isinstance(a, kinds):
            where = repr(names[i]) if names else f"item {i}"
            raise errors.MXNetTypeError(f"save: {where} is a {type(a).__name__}, not an NDArray")
    return arrays, names


def _write_all(f: BinaryIO, arrays: list, names: list[str]) -> None:
    f.write(struct.pack("<QQQ", LIST_MAGIC, 0, len(arrays)))
    for i, a in enumerate(arrays):
        _write_array(f, a, f"array {names[i]!r}" if names else f"array {i}")
    f.write(struct.pack("<Q", len(names)))
    for name in names:
        raw = name.encode("utf-8")
        f.write(struct.pack("<Q", len(raw)) + raw)


def _new_file_mode(path: str) -> int:
    """The mode of the file being replaced, else what open() would give under the umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], None]) -> None:
    """Run ``write(file)`` on a temporary file beside ``path``, flush and fsync it, then rename
    it over ``path``: readers see the old file or the complete new one, never a partial one."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _new_file_mode(path))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError, AttributeError):  # persist the rename (POSIX only)
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def save(fname: str | os.PathLike | BinaryIO, data: Any) -> None:
    """Save an NDArray, a list of NDArrays or a dict str -> NDArray (dense or sparse) in
    MXNet's binary format, readable by ``mx.nd.load`` and ``load_parameters`` of MXNet 1.x.
    ``fname`` is a path (written atomically) or a binary file object."""
    arrays, names = _entries(data)
    if hasattr(fname, "write"):
        _write_all(fname, arrays, names)
    else:
        atomic_write(fname, lambda f: _write_all(f, arrays, names))


# ---- load ---------------------------------------------------------------------------------------
class _Reader:
    """Reads fields from a binary stream; every shortfall is an error naming the file."""

    def __init__(self, f: BinaryIO, name: str) -> None:
        self.f, self.name, self.left = f, name, None
        if getattr(f, "seekable", lambda: False)():
            here = f.tell()
            self.left = f.seek(0, io.SEEK_END) - here
            f.seek(here)

    def fail(self, what: str) -> errors.MXNetValueError:
        return errors.MXNetValueError(f"cannot load {self.name}: {what}")

    def _need(self, n: int, what: str) -> None:
        if self.left is not None:
            if n > self.left:
                raise self.fail(
                    f"the file is truncated: {what} needs {n} bytes, {self.left} are left"
                )
            self.left -= n

    def unpack(self, fmt: str, what: str) -> tuple:
        n = struct.calcsize(fmt)
        self._need(n, what)
        raw = self.f.read(n)
        if len(raw) != n:
            raise self.fail(f"the file is truncated: {what} needs {n} bytes, {len(raw)} are left")
        return struct.unpack(fmt, raw)

    def shape(self, what: str, dim_format: str = "q", ndim: int | None = None) -> tuple:
        if ndim is None:
            (ndim,) = self.unpack("<i", f"the ndim of {what}")
        if ndim < -1 or ndim > 64:
            raise self.fail(f"{what} has an invalid ndim {ndim}")
        dims = self.unpack(f"<{max(ndim, 0)}{dim_format}", f"the shape of {what}")
        if any(d < 0 for d in dims):
            raise self.fail(f"{what} has a negative dimension in its shape {dims}")
        return dims if ndim >= 0 else None

    def dtype(self, what: str) -> numpy.dtype:
        (flag,) = self.unpack("<i", f"the dtype flag of {what}")
        if flag not in _DTYPES:
            known = ", ".join(f"{k}={numpy.dtype(v).name}" for k, v in _DTYPES.items())
            raise self.fail(f"{what} has an unknown dtype flag {flag} (known: {known})")
        return numpy.dtype(_DTYPES[flag])

    def array(self, dtype: numpy.dtype, shape: tuple, what: str) -> numpy.ndarray:
        count = int(numpy.prod(shape, dtype=numpy.int64))
        nbytes = count * dtype.itemsize
        self._need(nbytes, f"the values of {what}")
        out = numpy.empty(count, dtype=dtype.newbyteorder("="))
        view = out.view(numpy.uint8)
        got = self.f.readinto(view) if hasattr(self.f, "readinto") else None
        if got is None:
            raw = self.f.read(nbytes)
            got = len(raw)
            view[:got] = numpy.frombuffer(raw, numpy.uint8)
        if got != nbytes:
            raise self.fail(
                f"the file is truncated: the values of {what} need {nbytes} bytes, {got} are left"
            )
        return out.reshape(shape)


def _read_array(r: _Reader, what: str, array_class: type) -> Any:
    """One array written by any version of NDArray::Save."""
    (magic,) = r.unpack("<I", f"the magic number of {what}")
    if magic in (V2_MAGIC, V3_MAGIC):
        (stype,) = r.unpack("<i", f"the storage type of {what}")
        if stype not in (_DENSE, _ROW_SPARSE, _CSR):
            raise r.fail(
                f"{what} has an unknown storage type {stype} (0 dense, 1 row_sparse, 2 csr)"
            )
        sshape = r.shape(f"the storage shape of {what}") if stype != _DENSE else None
        shape = r.shape(what)
        none = shape is None or (magic == V2_MAGIC and not shape)
    elif magic == V1_MAGIC or magic <= _LEGACY_MAX_NDIM:
        stype, sshape = _DENSE, None
        shape = r.shape(what) if magic == V1_MAGIC else r.shape(what, "I", ndim=magic)
        none = not shape
    else:
        raise r.fail(
            f"{what} starts with 0x{magic:08X}, which is not an NDArray magic number "
            f"(0x{V1_MAGIC:08X}, 0x{V2_MAGIC:08X} or 0x{V3_MAGIC:08X}); the file is "
            "corrupt or not an MXNet NDArray file"
        )
    if none:  # an array saved without shape or data (MXNet's "none" NDArray)
        return array_class._wrap(numpy.zeros(0, numpy.float32), cpu())
    r.unpack("<ii", f"the context of {what}")  # arrays always load onto cpu(0)
    dtype = r.dtype(what)
    if stype == _DENSE:
        return array_class._wrap(r.array(dtype, shape, what), cpu())
    aux_meta = [
        (r.dtype(f"an index array of {what}"), r.shape(f"an index array of {what}"))
        for _ in _AUX_PARTS[stype]
    ]
    values = r.array(dtype, sshape, what)
    aux = [
        r.array(dt, s, f"an index array of {what}").astype(INDEX_DTYPE, copy=False)
        for dt, s in aux_meta
    ]
    cls = _SPARSE_CLASS[stype]
    parts = dict(zip(_AUX_PARTS[stype], aux), _values=values)
    out = cls._make(cpu(), shape, *(parts[p] for p in cls._parts))
    try:
        out.check_format(full_check=False)
    except errors.MXNetValueError as exc:
        raise r.fail(f"{what}: {exc}") from None
    return out


def read(f: BinaryIO, name: str, array_class: type = NDArray) -> list | dict:
    """Parse an NDArray list file from a binary stream; dense arrays become ``array_class``
    (``nd.NDArray`` here, the np interface passes its own class)."""
    r = _Reader(f, name)
    magic, _, count = r.unpack("<QQQ", "the list header")
    if magic != LIST_MAGIC:
        raise r.fail(
            f"not an MXNet NDArray file: the list magic is 0x{magic:X}, expected 0x{LIST_MAGIC:X}"
        )
    arrays = [_read_array(r, f"array {i}", array_class) for i in range(count)]
    (n_names,) = r.unpack("<Q", "the number of names")
    if n_names not in (0, count):
        raise r.fail(f"the file holds {count} arrays but {n_names} names")
    names = []
    for i in range(n_names):
        (length,) = r.unpack("<Q", f"the length of name {i}")
        (raw,) = r.unpack(f"<{length}s", f"name {i}")
        try:
            names.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise r.fail(f"name {i} is not valid UTF-8: {raw[:40]!r}") from None
    return dict(zip(names, arrays)) if names else arrays


def load(fname: str | os.PathLike | BinaryIO | bytes) -> list | dict:
    """Load arrays saved by ``save`` or by MXNet (``nd.save``, ``save_parameters``, ``export``):
    a dict when the file has names, else a list (so an empty dict loads as ``[]``, as in MXNet).
    Arrays land on cpu(0); ``fname`` may also be a binary file object or the file's bytes."""
    if isinstance(fname, (bytes, bytearray, memoryview)):
        return load_frombuffer(fname)
    if hasattr(fname, "read"):
        return read(fname, getattr(fname, "name", "<stream>"))
    path = os.fspath(fname)
    with open(path, "rb") as f:
        return read(f, path)


def load_frombuffer(buf: bytes) -> list | dict:
    """Load from the bytes of a saved file (MXNet's ``nd.load_frombuffer``)."""
    return read(io.BytesIO(buf), "<bytes>")
