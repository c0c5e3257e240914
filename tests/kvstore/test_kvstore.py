"""The in-process kvstore's MXNet semantics (init/push/pull/pushpull/broadcast, lists of
devices and keys, updaters and optimizers on the store, state files), the store factory and its
errors, and — only where mpi4py and mpiexec exist — a two-process MPI run."""

import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import gluonlite as gl
from gluonlite import kvstore, nd
from gluonlite import optimizer as opt
from gluonlite.errors import MXNetError, MXNetTypeError, MXNetValueError

SHAPE = (2, 3)


def full(v, ctx=None):
    return nd.ones(SHAPE, ctx=ctx) * v


def test_identity():
    kv = kvstore.create("local")
    assert (kv.type, kv.rank, kv.num_workers) == ("local", 0, 1)
    assert kvstore.create(kv) is kv
    assert kv.is_capable(kvstore.KVStoreBase.OPTIMIZER)


def test_push_replaces_with_sum_and_pull_copies():
    """MXNet's documented example: init 2, push 8 -> 8, push four ones -> 4."""
    kv = kvstore.create("device")
    kv.init(3, full(2))
    a = nd.zeros(SHAPE)
    kv.pull(3, out=a)
    np.testing.assert_array_equal(a.asnumpy(), 2)
    kv.push(3, full(8))
    kv.pull(3, out=a)
    np.testing.assert_array_equal(a.asnumpy(), 8)
    kv.push(3, [nd.ones(SHAPE, ctx=gl.cpu(i)) for i in range(4)])
    outs = [nd.zeros(SHAPE, ctx=gl.cpu(i)) for i in range(2)]
    kv.pull(3, out=outs)
    for o, i in zip(outs, range(2)):
        assert o.context == gl.cpu(i)
        np.testing.assert_array_equal(o.asnumpy(), 4)


def test_updater_on_push():
    kv = kvstore.create("local")
    kv.init(3, full(4))

    def update(key, grad, stored):
        stored += grad * 2

    kv._set_updater(update)
    kv.push(3, nd.ones(SHAPE))
    a = nd.zeros(SHAPE)
    kv.pull(3, out=a)
    np.testing.assert_array_equal(a.asnumpy(), 6)


def test_key_lists_and_string_keys():
    kv = kvstore.create("local")
    kv.init(["w", "b"], [full(1), full(2)])
    kv.push(["w", "b"], [[full(1), full(3)], full(5)])
    out = [nd.zeros(SHAPE), nd.zeros(SHAPE)]
    kv.pull(["w", "b"], out=out)
    np.testing.assert_array_equal(out[0].asnumpy(), 4)
    np.testing.assert_array_equal(out[1].asnumpy(), 5)


def test_pushpull_is_an_allreduce():
    kv = kvstore.create("device")
    grads = [full(1, gl.cpu(0)), full(2, gl.cpu(1))]
    kv.pushpull("g", grads)  # no init needed without an optimizer; result written in place
    for g in grads:
        np.testing.assert_array_equal(g.asnumpy(), 3)
    out = [nd.zeros(SHAPE), nd.zeros(SHAPE, ctx=gl.cpu(1))]
    kv.pushpull("g", [full(5), full(5)], out=out)
    np.testing.assert_array_equal(out[1].asnumpy(), 10)


def test_broadcast():
    kv = kvstore.create("device")
    outs = [nd.zeros(SHAPE, ctx=gl.cpu(i)) for i in range(3)]
    kv.broadcast(7, full(9), out=outs)
    for o in outs:
        np.testing.assert_array_equal(o.asnumpy(), 9)


def test_set_optimizer_updates_stored_weights(tmp_path):
    kv = kvstore.create("local")
    kv.set_optimizer(opt.SGD(learning_rate=0.1, momentum=0.9))
    kv.init(0, full(1.0))
    w = nd.zeros(SHAPE)
    for _ in range(2):
        kv.push(0, [full(1.0), full(1.0)])
    kv.pull(0, out=w)
    # mom1 = -0.2, w1 = 0.8; mom2 = -0.18 - 0.2, w2 = 0.42
    np.testing.assert_allclose(w.asnumpy(), 0.42, rtol=1e-6)
    kv.save_optimizer_states(str(tmp_path / "kv.states"), dump_optimizer=True)
    kv2 = kvstore.create("local")
    kv2.set_optimizer(opt.SGD(learning_rate=0.1, momentum=0.9))
    kv2.load_optimizer_states(str(tmp_path / "kv.states"))
    np.testing.assert_allclose(kv2._updater.states[0].asnumpy(), -0.38, rtol=1e-6)
    assert kv2._updater.optimizer.num_update == 2


def test_errors():
    kv = kvstore.create("local")
    with pytest.raises(MXNetValueError, match="has not been initialized"):
        kv.pull(1, out=nd.zeros(SHAPE))
    with pytest.raises(MXNetValueError, match="has not been initialized"):
        kv.push(1, full(1))
    kv.init(1, full(1))
    with pytest.raises(MXNetValueError, match="duplicate init"):
        kv.init(1, full(1))
    with pytest.raises(MXNetValueError, match="needs out="):
        kv.pull(1)
    with pytest.raises(MXNetTypeError, match="ints or strings"):
        kv.push(1.5, full(1))
    with pytest.raises(MXNetValueError, match="2 keys need a list of 2 values"):
        kv.push([1, 2], full(1))
    with pytest.raises(MXNetValueError, match="no optimizer"):
        kv.save_optimizer_states("unused")
    with pytest.raises(MXNetValueError, match="unknown kvstore type 'tcp'"):
        kvstore.create("tcp")


def test_gradient_compression_is_accepted():
    kv = kvstore.create("device")
    kv.set_gradient_compression({"type": "none"})
    with pytest.warns(UserWarning, match="not implemented"):
        kv.set_gradient_compression({"type": "2bit", "threshold": 0.5})
    with pytest.raises(MXNetValueError, match="'type' key"):
        kv.set_gradient_compression({"threshold": 0.5})


@pytest.mark.skipif(importlib.util.find_spec("mpi4py") is not None, reason="mpi4py installed")
def test_dist_without_mpi4py_says_how_to_install():
    with pytest.raises(MXNetError, match=r"pip install gluonlite\[dist\].*mpiexec -n N"):
        kvstore.create("dist_sync")


@pytest.mark.skipif(importlib.util.find_spec("horovod") is not None, reason="horovod installed")
def test_horovod_missing_is_a_clear_error():
    with pytest.raises(MXNetError, match="pip install horovod.*dist_sync"):
        kvstore.create("horovod")


@pytest.mark.skipif(importlib.util.find_spec("cupy") is not None, reason="cupy installed")
def test_nccl_without_cupy_is_a_clear_error():
    with pytest.raises(MXNetError, match="CuPy"):
        kvstore.create("nccl")


class FakeComm:
    """mpi4py's communicator API for two workers holding identical values: an all-reduce
    doubles, a broadcast keeps."""

    def __init__(self):
        self.calls = []

    def Get_rank(self):
        return 0

    def Get_size(self):
        return 2

    def Allreduce(self, inplace, buf, op):
        assert isinstance(buf, np.ndarray) and buf.flags.c_contiguous
        self.calls.append(("allreduce", buf.dtype))
        buf *= 2

    def Bcast(self, buf, root):
        self.calls.append(("bcast", root))

    def Barrier(self):
        self.calls.append(("barrier",))


def test_mpi_store_hooks_with_a_fake_communicator(monkeypatch):
    from types import SimpleNamespace

    from gluonlite.kvstore import dist

    comm = FakeComm()
    monkeypatch.setattr(
        dist, "_mpi", lambda: SimpleNamespace(COMM_WORLD=comm, IN_PLACE=None, SUM="sum")
    )
    kv = kvstore.create("dist_sync")
    assert (kv.type, kv.rank, kv.num_workers) == ("dist_sync", 0, 2)
    grads = [full(1, gl.cpu(0)), full(2, gl.cpu(1))]
    kv.pushpull(0, grads)
    for g in grads:
        np.testing.assert_array_equal(g.asnumpy(), 6)  # (1 + 2) summed over two workers
    half = nd.ones(SHAPE, dtype=np.float16)
    kv.pushpull(1, half)  # float16 travels as float32
    assert half.dtype == np.float16 and comm.calls[-1] == ("allreduce", np.float32)
    np.testing.assert_array_equal(half.asnumpy(), 2)
    kv.init(2, full(3))
    assert comm.calls[-1] == ("bcast", 0)
    kv.barrier()
    assert kvstore.create("dist_async").type == "dist_async"


MPI_SCRIPT = textwrap.dedent("""
    import numpy as np
    import gluonlite as gl
    from gluonlite import autograd, kvstore, nd, nn
    from gluonlite.trainer import Trainer

    kv = kvstore.create("dist_sync")
    rank, n = kv.rank, kv.num_workers
    assert n == 2
    g = nd.ones((3,)) * (rank + 1)
    kv.pushpull("g", g)
    assert np.allclose(g.asnumpy(), 3), g
    w = nd.zeros((3,))
    kv.broadcast("w", nd.ones((3,)) * (10 + rank), out=w)
    assert np.allclose(w.asnumpy(), 10), w

    # data-parallel training: each worker sees half the batch; step(n * B) == one process
    rng = np.random.RandomState(0)
    x, y = rng.normal(size=(8, 3)), rng.normal(size=(8, 2))
    p = nn.Parameter("weight", shape=(2, 3))
    p.initialize()
    p.set_data(np.full((2, 3), 0.1))
    trainer = Trainer([p], "sgd", {"learning_rate": 0.1}, kvstore=kvstore.create("dist_sync"))
    xs, ys = nd.array(x[rank * 4:(rank + 1) * 4]), nd.array(y[rank * 4:(rank + 1) * 4])
    with autograd.record():
        d = nd.dot(xs, p.data(), transpose_b=True) - ys
        loss = (d * d).sum()
    loss.backward()
    trainer.step(8)
    w0 = np.full((2, 3), 0.1)
    r = x @ w0.T - y
    want = w0 - 0.1 * (2 * r.T @ x) / 8
    assert np.allclose(p.data().asnumpy(), want, atol=1e-5), (p.data().asnumpy(), want)
    print("rank", rank, "ok")
""")


@pytest.mark.skipif(importlib.util.find_spec("mpi4py") is None, reason="mpi4py not installed")
@pytest.mark.skipif(shutil.which("mpiexec") is None, reason="mpiexec not found")
def test_dist_sync_over_two_mpi_processes(tmp_path):
    script = tmp_path / "dist.py"
    script.write_text(MPI_SCRIPT)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    result = subprocess.run(
        ["mpiexec", "-n", "2", sys.executable, str(script)],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("ok") == 2
