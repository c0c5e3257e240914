"""DataLoader worker pools: processes (batches come back through ``_shm``) or threads.

A pool serves every epoch of one DataLoader. The main process sends each batch's indices to
worker ``batch number % num_workers`` and reads that worker's results in order, so which worker
loads a batch, and so each worker's stream of random draws, is fixed: worker ``w`` reseeds
gluonlite's, NumPy's legacy and Python's generators with ``seed + w`` once at start, where
``seed`` is the one given to ``gluonlite.random.seed`` (fresh entropy when none was).

Processes are forked where the platform can (Linux), else spawned (then the dataset and the
batchify function must pickle). They ignore SIGINT (Ctrl-C reaches the main process, which
shuts them down), exit when the main process closes their socket or dies, and are terminated
if they do not exit within half a second of shutdown. A pool is closed when its DataLoader is
deleted or collected, at interpreter exit, and after an error that leaves a worker's stream
unreadable (a timeout, a dead worker, an interrupt while reading).
"""

from __future__ import annotations

import collections
import concurrent.futures
import multiprocessing
import multiprocessing.connection
import os
import pickle
import random as _py_random
import secrets
import signal
import socket
import time
import traceback
import weakref
from collections.abc import Callable
from typing import Any

import numpy

from .. import errors
from ..ndarray.dispatch import default_array_class, set_default_array_class
from ..ops import random as _ops_random
from . import _shm

__all__ = ["DataLoaderTimeoutError", "ProcessPool", "ThreadPool", "base_seed"]

_SHUTDOWN_GRACE_S = 0.5
_PARENT_POLL_S = 1.0


class DataLoaderTimeoutError(errors.MXNetError, multiprocessing.TimeoutError, TimeoutError):
    """A worker did not deliver a batch within the DataLoader's ``timeout``."""


def _timeout_error(who: str, index: int, timeout: float) -> DataLoaderTimeoutError:
    return DataLoaderTimeoutError(
        f"DataLoader {who} did not deliver batch {index} within timeout={timeout} s. The "
        "dataset's __getitem__, a transform or the batchify function may hang or be slow: "
        "raise `timeout` for slow loading, or look for a deadlock (a lock held while the "
        "workers were forked, a GPU used inside a worker)"
    )


class _RemoteTraceback(Exception):
    """The worker-side traceback text of an exception, shown as its cause."""

    def __str__(self) -> str:
        return self.args[0]


def base_seed() -> int:
    """The seed workers derive theirs from: gluonlite's global seed, else fresh entropy."""
    seed = _ops_random._global_seed
    return secrets.randbits(63) if seed is None else seed


def _reseed(seed: int) -> None:
    _ops_random.seed(seed)
    numpy.random.seed(seed % 2**32)
    _py_random.seed(seed)


def _load(dataset: Any, batchify_fn: Callable, indices: Any) -> Any:
    return batchify_fn([dataset[i] for i in indices])


def _error_message(tag: Any, exc: Exception) -> tuple:
    """An exception as a message the main process can always rebuild."""
    text = traceback.format_exc()
    try:
        blob = pickle.dumps(exc, pickle.HIGHEST_PROTOCOL)
        pickle.loads(blob)
    except Exception:  # noqa: BLE001  (one that does not round-trip: send its type and text)
        blob = None
    return ("err", tag, blob, f"{type(exc).__module__}.{type(exc).__qualname__}", str(exc), text)


def rebuild_error(blob: bytes | None, type_name: str, message: str, text: str, where: str):
    """The worker's exception (its own type when it unpickles) with the worker's traceback as
    its cause and a note naming the worker."""
    exc = None
    if blob is not None:
        try:
            exc = pickle.loads(blob)
        except Exception:  # noqa: BLE001  (a class missing here: fall back to the text)
            exc = None
    if not isinstance(exc, BaseException):
        exc = errors.MXNetRuntimeError(f"{type_name}: {message}")
    exc.__cause__ = _RemoteTraceback(f"\n\nTraceback in {where}:\n{text}")
    if hasattr(exc, "add_note"):  # Python >= 3.11
        exc.add_note(f"(raised in {where}; its traceback is shown above)")
    return exc


# ---- the worker process -------------------------------------------------------------------------
def _worker_main(
    sock: socket.socket, dataset: Any, batchify_fn: Callable, seed: int, array_cls: type,
    inherited: list[socket.socket], parent: int,
) -> None:  # fmt: skip
    """Serve (tag, indices) requests until the main process closes the socket or dies."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for s in inherited:  # forked copies of the main process's ends: hold none open
        s.close()
    _reseed(seed)
    set_default_array_class(array_cls)
    chan = _shm.Channel(sock)
    pending: collections.deque = collections.deque()
    try:
        while True:
            wait_s = 0.0 if pending else _PARENT_POLL_S
            while multiprocessing.connection.wait([sock], wait_s):  # take every queued request
                msg = chan.recv()
                if msg is None:
                    return
                tag, indices, cancelled, released = pickle.loads(msg[0])
                _shm.release(released)
                if cancelled:  # iterators the main process abandoned: skip their batches
                    pending = collections.deque(t for t in pending if t[0][0] not in cancelled)
                pending.append((tag, indices))
                wait_s = 0.0
            if not pending:
                if os.getppid() != parent:
                    return
                continue
            tag, indices = pending.popleft()
            with _shm.collecting():
                try:
                    message = _shm.encode(("ok", tag, _load(dataset, batchify_fn, indices)))
                except Exception as exc:  # noqa: BLE001  (any error goes to the main process)
                    message = _shm.encode(_error_message(tag, exc))
                chan.send(*message)
    except (OSError, EOFError):  # the main process went away mid-message
        return


def _stop_processes(procs: list, socks: list) -> None:
    """Close the sockets (workers see end of stream and exit), then terminate stragglers."""
    for s in socks:
        try:
            s.close()
        except OSError:
            pass
    deadline = time.monotonic() + _SHUTDOWN_GRACE_S
    for p in procs:
        p.join(max(0.0, deadline - time.monotonic()))
    for p in procs:
        if p.is_alive():
            p.terminate()
            p.join(_SHUTDOWN_GRACE_S)
        if p.is_alive():
            p.kill()
            p.join()
        p.close()


class ProcessPool:
    """``num_workers`` processes, each with its own socket; results are read in order."""

    def __init__(self, num_workers: int, dataset: Any, batchify_fn: Callable) -> None:
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        mp = multiprocessing.get_context(method)
        seed = base_seed()
        self._procs: list = []
        self._chans: list[_shm.Channel] = []
        socks: list[socket.socket] = []
        self._finalizer = weakref.finalize(self, _stop_processes, self._procs, socks)
        for wid in range(num_workers):
            mine, theirs = socket.socketpair()
            socks.append(mine)
            inherited = list(socks) if method == "fork" else []
            proc = mp.Process(
                target=_worker_main, name=f"gluonlite-DataLoader-worker-{wid}", daemon=True,
                args=(theirs, dataset, batchify_fn, (seed + wid) % 2**64, default_array_class(),
                      inherited, os.getpid()),
            )  # fmt: skip
            try:
                proc.start()
            except (pickle.PicklingError, AttributeError, TypeError) as exc:
                raise errors.MXNetTypeError(
                    f"DataLoader workers are spawned on this platform, so the dataset and the "
                    f"batchify function must pickle, and this one does not ({exc}); define them "
                    "at module level (no lambdas or local classes), or use thread_pool=True"
                ) from None
            finally:
                theirs.close()
            self._procs.append(proc)
            self._chans.append(_shm.Channel(mine))
        self.num_workers = num_workers
        self._ready: dict[tuple, tuple] = {}
        self._live: set[int] = set()
        # news for each worker, sent with its next request (deques: finalizers append to them)
        self._cancels = [collections.deque() for _ in range(num_workers)]
        self._released = [collections.deque() for _ in range(num_workers)]
        self._next_iter = 0

    @property
    def alive(self) -> bool:
        return self._finalizer.alive

    def new_iter(self) -> int:
        self._next_iter += 1
        self._live.add(self._next_iter)
        return self._next_iter

    def forget(self, iter_id: int) -> None:
        """Drop an iterator's buffered and future results (it was abandoned or finished); the
        workers hear of it with their next request and skip its queued batches. Sends nothing
        itself, since it may run from a finalizer in the middle of another message."""
        self._live.discard(iter_id)
        for tag in [t for t in self._ready if t[0] == iter_id]:
            del self._ready[tag]
        for cancels in self._cancels:
            cancels.append(iter_id)

    def submit(self, slot: int, tag: tuple, indices: Any) -> None:
        """Queue a batch on worker ``slot``, with the news since its last request: abandoned
        iterators, and shared segments whose arrays are gone."""
        cancelled = frozenset(_drain(self._cancels[slot]))
        released = _drain(self._released[slot])
        msg = pickle.dumps((tag, indices, cancelled, released), pickle.HIGHEST_PROTOCOL)
        try:
            self._chans[slot].send(msg)
        except OSError:
            error = self._died(slot, f"before batch {tag[1]} was sent to it")
            self.close()
            raise error from None
        except BaseException:
            self.close()
            raise

    def get(self, slot: int, tag: tuple, timeout: float) -> Any:
        """The result for ``tag`` from worker ``slot``; a worker's exception is re-raised."""
        try:
            while tag not in self._ready:
                self._read_one(slot, tag, timeout)
        except BaseException:
            self.close()  # the stream may be cut mid-message: this pool cannot be trusted
            raise
        kind, *rest = self._ready.pop(tag)
        if kind == "ok":
            return rest[0]
        raise rebuild_error(*rest, where=f"DataLoader worker {slot}")

    def _read_one(self, slot: int, tag: tuple, timeout: float) -> None:
        chan, proc = self._chans[slot], self._procs[slot]
        ready = multiprocessing.connection.wait([chan.sock, proc.sentinel], timeout)
        if not ready:
            raise _timeout_error(f"worker {slot} (pid {proc.pid})", tag[1], timeout)
        msg = chan.recv() if chan.sock in ready else None
        if msg is None:
            raise self._died(slot, f"while loading batch {tag[1]}")
        kind, got, *rest = _shm.decode(*msg, on_release=self._released[slot].append)
        if got[0] in self._live:
            self._ready[got] = (kind, *rest)

    def _died(self, slot: int, when: str) -> errors.MXNetRuntimeError:
        proc = self._procs[slot]
        proc.join(_SHUTDOWN_GRACE_S)
        return errors.MXNetRuntimeError(
            f"DataLoader worker {slot} (pid {proc.pid}) died unexpectedly "
            f"({_exit_reason(proc.exitcode)}) {when}; if it was killed for memory, use fewer "
            "workers or a smaller prefetch"
        )

    def close(self) -> None:
        self._ready.clear()
        self._finalizer()


def _drain(news: collections.deque) -> list:
    """Empty a deque that a finalizer may append to meanwhile (popleft is atomic)."""
    out = []
    while news:
        out.append(news.popleft())
    return out


def _exit_reason(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class ThreadPool:
    """``num_workers`` threads of this process sharing the dataset (no copies, no pickling;
    worthwhile when loading releases the GIL: file reads, image decoding)."""

    def __init__(self, num_workers: int, dataset: Any, batchify_fn: Callable) -> None:
        self._executor = concurrent.futures.ThreadPoolExecutor(
            num_workers, thread_name_prefix="gluonlite-DataLoader"
        )
        self._dataset = dataset
        self._batchify_fn = batchify_fn
        self._futures: dict[tuple, concurrent.futures.Future] = {}
        self._next_iter = 0
        self._finalizer = weakref.finalize(
            self, self._executor.shutdown, False, cancel_futures=True
        )
        self.num_workers = num_workers

    @property
    def alive(self) -> bool:
        return self._finalizer.alive

    def new_iter(self) -> int:
        self._next_iter += 1
        return self._next_iter

    def forget(self, iter_id: int) -> None:
        for tag in [t for t in self._futures if t[0] == iter_id]:
            self._futures.pop(tag).cancel()

    def submit(self, slot: int, tag: tuple, indices: Any) -> None:
        self._futures[tag] = self._executor.submit(_load, self._dataset, self._batchify_fn, indices)

    def get(self, slot: int, tag: tuple, timeout: float) -> Any:
        future = self._futures.pop(tag)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            if future.done():  # the dataset itself raised a TimeoutError
                raise
            raise _timeout_error("worker thread", tag[1], timeout) from None

    def close(self) -> None:
        self._futures.clear()
        self._finalizer()
