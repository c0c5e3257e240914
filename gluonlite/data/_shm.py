"""Shared-memory transport of batches from DataLoader workers to the main process.

A batch travels as a small pickled header; every array of at least ``THRESHOLD`` bytes lives in
an anonymous shared-memory file (Linux ``memfd_create``) whose descriptor crosses the worker's
Unix socket (``SCM_RIGHTS``). The main process maps it and wraps the mapping as the array's
buffer, so the payload is written once (by the worker's batchify, straight into the segment) and
never copied through a pipe. Each worker recycles its segments: the main process maps every
array of a segment as a view of one root array, and when the last view goes it names the segment
back (with its next request to that worker), which may then reuse it; fresh memory would cost a
page fault per page on both sides. The segments have no name: the kernel frees one when the last
mapping of it goes, so a crashed process cannot leak any, and no ``/dev/shm`` size limit applies.

Where ``memfd_create`` or descriptor passing is missing (macOS, Windows) arrays are pickled
inline instead: the same protocol, with copies.
"""

from __future__ import annotations

import array
import io
import math
import mmap
import os
import pickle
import socket
import struct
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy

from ..context import Context, cpu
from ..ndarray.dispatch import ArrayBase

__all__ = [
    "AVAILABLE", "THRESHOLD", "Channel", "collecting", "decode", "empty", "encode", "release",
]  # fmt: skip

THRESHOLD = 64 * 1024  # smaller arrays are cheaper to pickle than to map
AVAILABLE = (
    hasattr(os, "memfd_create")
    and hasattr(socket, "SCM_RIGHTS")
    and hasattr(socket.socket, "sendmsg")
)
_MAX_FDS = 250  # descriptors per message (Linux allows 253); arrays beyond go inline
_MAX_FREE = 8  # released segments a worker keeps for reuse
_HEAD = struct.Struct("<QI")  # payload length, number of descriptors (each followed by an id)
_ID = struct.Struct("<q")


class _Segment:
    """A shared-memory file of a worker, mapped once and reused for many batches (fresh pages
    cost a page fault each, on both sides: reuse makes a batch ~10x cheaper to ship)."""

    __slots__ = ("base", "fd", "id", "map", "size")

    def __init__(self, seg_id: int, size: int) -> None:
        self.id = seg_id
        self.size = size
        self.fd = os.memfd_create("gluonlite-batch", os.MFD_CLOEXEC)
        try:
            os.ftruncate(self.fd, size)
            self.map = mmap.mmap(self.fd, size)
        except BaseException:
            os.close(self.fd)
            raise
        self.base = _address(numpy.frombuffer(self.map, numpy.uint8, 1))

    def close(self) -> None:
        os.close(self.fd)
        try:
            self.map.close()
        except BufferError:  # an array of the worker still uses it: unmapped when that goes
            pass


# Worker-side state. ``_batch`` holds the segments taken while the current batch is built (None
# outside a worker, where ``empty`` is numpy.empty); ``_shipped`` those the main process still
# uses (it names them back through ``release``); ``_free`` those ready for reuse.
_batch: list[_Segment] | None = None
_shipped: dict[int, _Segment] = {}
_free: list[_Segment] = []
_next_id = 0


def _address(a: numpy.ndarray) -> int:
    return a.__array_interface__["data"][0]


def _alloc(shape: tuple[int, ...], dtype: numpy.dtype) -> numpy.ndarray:
    """A new array in a segment (a free one that is large enough, else a new one)."""
    global _next_id
    count = math.prod(shape)
    nbytes = count * dtype.itemsize
    fits = [seg for seg in _free if seg.size >= nbytes]
    if fits:
        seg = min(fits, key=lambda s: s.size)
        _free.remove(seg)
    else:
        _next_id += 1
        pages = (nbytes + mmap.PAGESIZE - 1) // mmap.PAGESIZE
        seg = _Segment(_next_id, pages * mmap.PAGESIZE)
    _batch.append(seg)
    return numpy.frombuffer(seg.map, dtype, count).reshape(shape)


def empty(shape: tuple[int, ...], dtype: Any) -> numpy.ndarray:
    """``numpy.empty``, except that inside a worker a large array is placed in shared memory,
    so the batch it belongs to reaches the main process without a copy."""
    dtype = numpy.dtype(dtype)
    shape = tuple(shape)
    if _batch is None or math.prod(shape) * dtype.itemsize < THRESHOLD or dtype.hasobject:
        return numpy.empty(shape, dtype)
    return _alloc(shape, dtype)


@contextmanager
def collecting() -> Iterator[None]:
    """Within the block, ``empty`` allocates shared memory for one batch. On exit the segments
    the batch's message named (``encode``'s ids) wait for ``release``, the others are free."""
    global _batch
    _batch = [] if AVAILABLE else None
    try:
        yield
    finally:
        for seg in _batch or ():
            if seg.id in _shipped:
                continue
            _free.append(seg)
        _batch = None
        _trim()


def release(ids: Any) -> None:
    """The main process no longer uses these segments: make them reusable."""
    for seg_id in ids:
        seg = _shipped.pop(seg_id, None)
        if seg is not None:
            _free.append(seg)
    _trim()


def _trim() -> None:
    """Keep at most ``_MAX_FREE`` free segments, the largest."""
    if len(_free) > _MAX_FREE:
        _free.sort(key=lambda s: s.size, reverse=True)
        for seg in _free[_MAX_FREE:]:
            seg.close()
        del _free[_MAX_FREE:]


# ---- encoding -----------------------------------------------------------------------------------
class _Pickler(pickle.Pickler):
    """Pickles a batch with its large arrays replaced by references to shared segments."""

    def __init__(self, file: io.BytesIO) -> None:
        super().__init__(file, pickle.HIGHEST_PROTOCOL)
        self.segments: list[_Segment] = []

    def _segment_ref(self, a: numpy.ndarray) -> tuple | None:
        """``("shm", segment index, offset, shape, dtype, strides)`` for a large array."""
        if _batch is None or a.nbytes < THRESHOLD or a.dtype.hasobject:
            return None
        start = _address(a)
        for seg in _batch:
            if seg.base <= start < seg.base + seg.size:
                break
        else:  # a large array built outside the batchify functions: copy it into a segment
            copy = _alloc(a.shape, a.dtype)
            numpy.copyto(copy, a)
            a, seg, start = copy, _batch[-1], _batch[-1].base
        if seg not in self.segments:
            if len(self.segments) == _MAX_FDS:
                return None
            self.segments.append(seg)
        index = self.segments.index(seg)
        return ("shm", index, start - seg.base, a.shape, a.dtype.str, a.strides)

    def persistent_id(self, obj: Any) -> Any:
        if isinstance(obj, ArrayBase):
            ctx = obj.context
            data = obj._data
            if ctx.xp is not numpy:
                data = data.get()
            ref = self._segment_ref(data) or ("inline", numpy.asarray(data))
            return ("nd", type(obj), (ctx.device_type, ctx.device_id), ref)
        if type(obj) is numpy.ndarray:
            return self._segment_ref(obj)
        return None


def encode(obj: Any) -> tuple[bytes, list[int], list[int]]:
    """(header bytes, descriptors to send with it, their segment ids) for ``obj``; the
    segments count as shipped until ``release``."""
    buf = io.BytesIO()
    pickler = _Pickler(buf)
    pickler.dump(obj)
    for seg in pickler.segments:
        _shipped[seg.id] = seg
    return buf.getvalue(), [s.fd for s in pickler.segments], [s.id for s in pickler.segments]


class _Unpickler(pickle.Unpickler):
    def __init__(self, data: bytes, roots: list[numpy.ndarray]) -> None:
        super().__init__(io.BytesIO(data))
        self._roots = roots

    def _array(self, ref: tuple) -> numpy.ndarray:
        if ref[0] == "inline":
            return ref[1]
        _, index, offset, shape, dtype, strides = ref
        return numpy.ndarray(
            shape, dtype, buffer=self._roots[index], offset=offset, strides=strides
        )

    def persistent_load(self, pid: Any) -> Any:
        if pid[0] == "nd":
            _, cls, (device_type, device_id), ref = pid
            data = self._array(ref)
            if device_type == "gpu":
                ctx = Context(device_type, device_id)
                with ctx.device():
                    return cls._wrap(ctx.xp.asarray(data), ctx)
            ctx = cpu(device_id) if device_type == "cpu" else Context(device_type, device_id)
            return cls._wrap(data, ctx)
        return self._array(pid)


def decode(
    data: bytes, fds: list[int], ids: list[int], on_release: Callable[[int], Any] | None = None
) -> Any:
    """The object ``encode`` made, its arrays views of the received segments. Every array of a
    segment is a view of one root array; when the last goes, ``on_release(segment id)`` runs
    (from a finalizer: it must only record the id)."""
    roots = []
    try:
        for fd, seg_id in zip(fds, ids):
            root = numpy.frombuffer(mmap.mmap(fd, os.fstat(fd).st_size), numpy.uint8)
            if on_release is not None:
                weakref.finalize(root, on_release, seg_id).atexit = False
            roots.append(root)
    finally:
        for fd in fds:
            os.close(fd)
    return _Unpickler(data, roots).load()


# ---- framing ------------------------------------------------------------------------------------
class Channel:
    """Length-prefixed messages with optional descriptors over one end of a socket pair."""

    def __init__(self, sock: socket.socket) -> None:
        sock.setblocking(True)
        self.sock = sock

    def send(self, payload: bytes, fds: Sequence[int] = (), ids: Sequence[int] = ()) -> None:
        """One message; each descriptor travels with an integer id."""
        head = _HEAD.pack(len(payload), len(fds)) + b"".join(_ID.pack(i) for i in ids)
        if fds:
            rights = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))]
            sent = self.sock.sendmsg([head], rights)
            self.sock.sendall(head[sent:] + payload)
        else:
            self.sock.sendall(head + payload)

    def recv(self) -> tuple[bytearray, list[int], list[int]] | None:
        """The next (payload, descriptors, their ids), or None at end of stream."""
        head, fds = self._recv_head()
        if not head:
            return None
        try:
            head = bytes(head) + self._read(_HEAD.size - len(head))
            size, nfds = _HEAD.unpack(head)
            if len(fds) != nfds:
                raise OSError(f"expected {nfds} shared-memory descriptors, received {len(fds)}")
            ids = [_ID.unpack_from(self._read(_ID.size))[0] for _ in range(nfds)]
            return self._read(size), fds, ids
        except BaseException:
            for fd in fds:
                os.close(fd)
            raise

    def _read(self, size: int) -> bytearray:
        buf = bytearray(size)
        view = memoryview(buf)
        got = 0
        while got < size:
            n = self.sock.recv_into(view[got:])
            if not n:
                raise EOFError("connection closed inside a message")
            got += n
        return buf

    def _recv_head(self) -> tuple[bytes, list[int]]:
        if not AVAILABLE:
            return self.sock.recv(_HEAD.size), []
        flags = getattr(socket, "MSG_CMSG_CLOEXEC", 0)
        space = socket.CMSG_SPACE(_MAX_FDS * array.array("i").itemsize)
        head, ancillary, _, _ = self.sock.recvmsg(_HEAD.size, space, flags)
        fds = array.array("i")
        for level, kind, data in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
        return head, list(fds)
