"""DataLoader: argument checks, last-batch modes, determinism with and without workers, worker
errors and timeouts surfacing in the main process, shared-memory transport, clean shutdown."""

import gc
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
import types
import weakref

import numpy as np
import pytest

import gluonlite.random
from gluonlite import cpu, errors, nd
from gluonlite.data import (
    ArrayDataset,
    BatchSampler,
    DataLoader,
    DataLoaderTimeoutError,
    Dataset,
    SequentialSampler,
    SimpleDataset,
    _shm,
)
from gluonlite.data import dataloader as dataloader_module
from gluonlite.data.batchify import default_batchify_fn
from gluonlite.ndarray.dispatch import default_array_class


def _dataset(n=40, feature=(3, 4)):
    x = np.arange(n * int(np.prod(feature)), dtype=np.float32).reshape((n, *feature))
    return ArrayDataset(x, np.arange(n))


def _epoch(loader):
    return [[a.asnumpy() for a in batch] for batch in loader]


def _same(a, b):
    return len(a) == len(b) and all(
        len(x) == len(y) and all(np.array_equal(u, v) for u, v in zip(x, y)) for x, y in zip(a, b)
    )


def _in_shared_memory(a):
    while isinstance(a, np.ndarray) and a.base is not None:
        a = a.base
    return type(getattr(a, "obj", a)).__name__ == "mmap"  # numpy may wrap it in a memoryview


def _no_workers_left():
    gc.collect()  # pools kept alive by the tracebacks of earlier tests' exceptions
    deadline = time.monotonic() + 3
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.02)
    return not multiprocessing.active_children()


class _Failing(Dataset):
    """Raises ``exc`` at index ``bad``."""

    def __init__(self, bad, exc):
        self.bad, self.exc = bad, exc

    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == self.bad:
            raise self.exc
        return np.float32(i)


class _Unpicklable(Exception):
    def __init__(self, a, b):  # pickles as _Unpicklable(msg): does not round-trip
        super().__init__(f"{a}-{b}")


class _Slow(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        if i == 0:
            time.sleep(30)
        return np.float32(i)


class _Noisy(Dataset):
    """Each sample draws from gluonlite's generator (a random transform)."""

    def __len__(self):
        return 16

    def __getitem__(self, i):
        return nd.random.uniform(shape=(2,)).asnumpy() + i


# ---- arguments ----------------------------------------------------------------------------------
def test_argument_checks():
    ds = _dataset(4)
    with pytest.raises(ValueError, match="batch_size must be specified"):
        DataLoader(ds)
    with pytest.raises(ValueError, match="shuffle must not be specified"):
        DataLoader(ds, batch_size=2, shuffle=True, sampler=SequentialSampler(4))
    with pytest.raises(ValueError, match="must not be specified if batch_sampler"):
        DataLoader(ds, batch_size=2, batch_sampler=BatchSampler(SequentialSampler(4), 2))
    with pytest.raises(ValueError, match="timeout must be positive"):
        DataLoader(ds, batch_size=2, timeout=0)
    with pytest.raises(ValueError, match="last_batch"):
        DataLoader(ds, batch_size=2, last_batch="drop")


def test_last_batch_modes_and_len():
    ds = SimpleDataset(list(range(10)))
    keep = DataLoader(ds, batch_size=4)
    assert len(keep) == 3 and [b.asnumpy().tolist() for b in keep][-1] == [8, 9]
    discard = DataLoader(ds, batch_size=4, last_batch="discard")
    assert len(discard) == 2 and [len(b) for b in discard] == [4, 4]
    roll = DataLoader(ds, batch_size=4, last_batch="rollover", num_workers=2)
    first = [b.asnumpy().tolist() for b in roll]
    assert first == [[0, 1, 2, 3], [4, 5, 6, 7]] and len(roll) == 3
    assert next(iter(roll)).asnumpy().tolist() == [8, 9, 0, 1]


def test_batch_sampler_and_custom_batchify():
    sampler = BatchSampler(SequentialSampler(6, start=2), 3)
    loader = DataLoader(
        SimpleDataset(list(range(10))),
        batch_sampler=sampler,
        batchify_fn=lambda samples: sum(samples),
    )
    assert list(loader) == [2 + 3 + 4, 5 + 6 + 7] and len(loader) == 2


# ---- determinism --------------------------------------------------------------------------------
@pytest.mark.parametrize("thread_pool", [False, True])
def test_workers_give_the_same_shuffled_batches(thread_pool):
    ds = _dataset()
    gluonlite.random.seed(7)
    plain = [_epoch(DataLoader(ds, batch_size=6, shuffle=True)) for _ in range(2)]
    gluonlite.random.seed(7)
    loader = DataLoader(ds, batch_size=6, shuffle=True, num_workers=2, thread_pool=thread_pool)
    workers = [_epoch(loader) for _ in range(2)]
    assert _same(plain[0], workers[0]) and _same(plain[1], workers[1])
    assert not _same(plain[0], plain[1])  # a new order each epoch
    del loader
    assert _no_workers_left()


def test_shuffle_repeats_under_a_seed():
    loader = DataLoader(_dataset(), batch_size=8, shuffle=True, num_workers=1, prefetch=0)
    gluonlite.random.seed(3)
    a = _epoch(loader)
    gluonlite.random.seed(3)
    assert _same(a, _epoch(loader))
    labels = np.concatenate([b[1] for b in a])
    assert sorted(labels.tolist()) == list(range(40)) and labels.tolist() != list(range(40))


def test_random_transforms_in_workers_repeat_under_a_seed():
    def run():
        gluonlite.random.seed(11)
        return _epoch(DataLoader(_Noisy(), batch_size=2, num_workers=2))

    a, b = run(), run()
    assert _same(a, b)
    noise = [batch[0] - np.arange(2 * i, 2 * i + 2)[:, None] for i, batch in enumerate(a)]
    assert not np.allclose(noise[0], noise[1])  # workers 0 and 1 draw different streams


# ---- worker failures ----------------------------------------------------------------------------
def test_worker_exception_keeps_its_type_message_and_traceback():
    loader = DataLoader(_Failing(5, KeyError("bad sample 5")), batch_size=2, num_workers=2)
    it = iter(loader)
    assert next(it).asnumpy().tolist() == [0, 1]
    next(it)
    with pytest.raises(KeyError, match="bad sample 5") as info:
        next(it)
    remote = str(info.value.__cause__)
    assert "Traceback" in remote and "__getitem__" in remote and "worker 0" in remote
    assert next(it).asnumpy().tolist() == [6, 7]  # the loader carries on
    assert len(_epoch(DataLoader(SimpleDataset([1, 2]), batch_size=1, num_workers=1))) == 2


def test_worker_exception_that_does_not_pickle():
    loader = DataLoader(_Failing(0, _Unpicklable(1, 2)), batch_size=2, num_workers=1)
    with pytest.raises(errors.MXNetRuntimeError, match=r"_Unpicklable: 1-2"):
        next(iter(loader))


def test_worker_exception_in_thread_pool():
    loader = DataLoader(
        _Failing(3, ValueError("nope")), batch_size=2, num_workers=2, thread_pool=True
    )
    with pytest.raises(ValueError, match="nope"):
        _epoch(loader)


def test_timeout_raises_and_stops_the_workers():
    loader = DataLoader(_Slow(), batch_size=2, num_workers=2, timeout=0.5)
    start = time.monotonic()
    with pytest.raises(DataLoaderTimeoutError, match="batch 0 within timeout=0.5") as info:
        next(iter(loader))
    assert isinstance(info.value, multiprocessing.TimeoutError)
    assert isinstance(info.value, TimeoutError)
    assert time.monotonic() - start < 5
    assert _no_workers_left()


def test_a_dead_worker_is_reported_not_waited_for():
    class Dies(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            os.kill(os.getpid(), signal.SIGKILL)

    with pytest.raises(errors.MXNetRuntimeError, match="died unexpectedly.*SIGKILL"):
        next(iter(DataLoader(Dies(), batch_size=2, num_workers=1, timeout=20)))
    assert _no_workers_left()


# ---- transport and shutdown ---------------------------------------------------------------------
def test_large_batches_arrive_through_shared_memory():
    ds = _dataset(16, feature=(3, 64, 64))  # 48 KiB per sample
    loader = DataLoader(
        ds,
        batch_size=4,
        num_workers=2,
        batchify_fn=lambda s: (
            nd.stack(*[nd.array(x) for x, _ in s]),
            np.stack([x for x, _ in s]),
            [y for _, y in s],
        ),
    )
    for i, (data, raw, labels) in enumerate(loader):
        assert type(data) is default_array_class() and data.shape == (4, 3, 64, 64)
        assert isinstance(raw, np.ndarray) and np.array_equal(raw, data.asnumpy())
        assert labels == list(range(4 * i, 4 * i + 4))
        if _shm.AVAILABLE:
            assert _in_shared_memory(data.handle) and _in_shared_memory(raw)
    data, label = next(iter(DataLoader(ds, batch_size=4, num_workers=1)))  # default batchify
    assert _in_shared_memory(data.handle) == _shm.AVAILABLE
    assert not _in_shared_memory(label.handle)  # small arrays travel inline
    data += 1  # batches are writable and private to the main process
    assert data.asnumpy()[0, 0, 0, 0] == 1


def _with_segment_count(samples):
    return default_batchify_fn(samples), _shm._next_id  # segments this worker has created


@pytest.mark.skipif(not _shm.AVAILABLE, reason="no memfd shared memory on this platform")
def test_shared_segments_are_reused_but_never_while_in_use():
    ds = _dataset(32, feature=(3, 64, 64))  # 192 KiB batches
    gluonlite.random.seed(5)
    expected = [b[0] for b in _epoch(DataLoader(ds, batch_size=4, shuffle=True))]
    gluonlite.random.seed(5)
    loader = DataLoader(
        ds, batch_size=4, shuffle=True, num_workers=2, batchify_fn=_with_segment_count
    )
    held = [data for (data, _), _ in loader]  # epoch 1 stays alive: 4 segments per worker
    for _ in range(6):  # reshuffled epochs, each batch dropped before the next arrives
        created = max(count for _, count in loader)
    assert all(np.array_equal(h.asnumpy(), e) for h, e in zip(held, expected))
    assert created <= 12  # 4 held + the few in flight, not 4 + 6 * 4


@pytest.mark.skipif(not _shm.AVAILABLE, reason="no memfd shared memory on this platform")
def test_no_descriptors_or_mappings_outlive_the_batches():
    def state():
        gc.collect()
        with open("/proc/self/maps") as f:
            maps = sum("gluonlite-batch" in line for line in f)
        return len(os.listdir("/proc/self/fd")), maps

    before = state()
    loader = DataLoader(_dataset(32, feature=(3, 64, 64)), batch_size=4, num_workers=2)
    for _ in range(3):
        batches = _epoch(loader)
    assert len(batches) == 8
    mid = next(iter(loader))
    assert state()[1] >= 1  # a live batch is a live mapping
    del mid, loader
    assert _no_workers_left() and state() == before


def test_clean_shutdown_after_break_and_del():
    loader = DataLoader(_dataset(), batch_size=2, num_workers=2, prefetch=6)
    for _ in loader:
        break
    pool = weakref.ref(loader._pool)
    assert len(multiprocessing.active_children()) == 2
    assert len(_epoch(loader)) == 20  # the abandoned pass does not disturb the next
    assert not pool()._ready
    del loader
    gc.collect()
    assert pool() is None and _no_workers_left()


def test_keyboard_interrupt_while_waiting_shuts_workers_down():
    loader = DataLoader(_Slow(), batch_size=2, num_workers=1)

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.3)
    try:
        with pytest.raises(KeyboardInterrupt):
            next(iter(loader))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert _no_workers_left()


def test_interpreter_exit_leaves_no_processes():
    script = textwrap.dedent("""
        import numpy as np
        from gluonlite.data import ArrayDataset, DataLoader
        loader = DataLoader(ArrayDataset(np.zeros((64, 3, 64, 64), np.float32)), batch_size=8,
                            num_workers=2)
        it = iter(loader)
        next(it)
        print(*[p.pid for p in loader._pool._procs])
    """)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=root,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "leaked" not in out.stderr and "Traceback" not in out.stderr
    for pid in map(int, out.stdout.split()):
        assert not os.path.exists(f"/proc/{pid}") or _is_zombie_reaped(pid)


def _is_zombie_reaped(pid):
    time.sleep(0.2)
    return not os.path.exists(f"/proc/{pid}")


def test_spawned_workers_need_a_picklable_dataset(monkeypatch):
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    loader = DataLoader(SimpleDataset([1, 2]), batch_size=1, num_workers=1, batchify_fn=lambda s: s)
    with pytest.raises(TypeError, match="must pickle.*thread_pool=True"):
        iter(loader)
    assert _no_workers_left()


def test_pin_memory_copies_into_pinned_buffers(monkeypatch):
    pinned = []

    def empty_pinned(shape, dtype):
        pinned.append(np.empty(shape, dtype))
        return pinned[-1]

    monkeypatch.setitem(sys.modules, "cupyx", types.SimpleNamespace(empty_pinned=empty_pinned))
    monkeypatch.setattr(dataloader_module, "num_gpus", lambda: 1)
    loader = DataLoader(_dataset(8), batch_size=4, pin_memory=True)
    data, label = next(iter(loader))
    assert data.handle is pinned[0] and label.handle is pinned[1]
    assert np.array_equal(data.asnumpy(), _dataset(8)[0:4][0]) and data.context == cpu()
    assert not DataLoader(_dataset(8), batch_size=4, pin_memory=False)._pin


def test_spawned_workers(monkeypatch):
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    loader = DataLoader(_dataset(8), batch_size=4, num_workers=1)
    assert _same(_epoch(loader), _epoch(DataLoader(_dataset(8), batch_size=4)))
    del loader
    assert _no_workers_left()


@pytest.mark.parametrize("num_workers", [0, 1])
def test_batches_follow_the_numpy_interface(num_workers):
    util = pytest.importorskip("gluonlite.util")
    pytest.importorskip("gluonlite.numpy.ndarray")
    util.set_np()
    try:
        data, label = next(iter(DataLoader(_dataset(8, (3, 64, 64)), 4, num_workers=num_workers)))
        assert type(data) is default_array_class() is type(label)
        assert type(data).__module__.startswith("gluonlite.numpy")
    finally:
        util.reset_np()


def test_a_worker_killed_between_epochs_is_reported():
    loader = DataLoader(_dataset(8), batch_size=2, num_workers=1)
    assert len(_epoch(loader)) == 4
    proc = loader._pool._procs[0]
    proc.kill()
    proc.join()
    with pytest.raises(errors.MXNetRuntimeError, match="died unexpectedly .killed by SIGKILL."):
        _epoch(loader)
    assert len(_epoch(loader)) == 4  # the next pass starts fresh workers
