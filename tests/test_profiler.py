"""mx.profiler: operator timing through the dispatcher, the aggregate table, the Chrome trace,
and user events."""

import json

import pytest

import gluonlite as gl
from gluonlite import autograd, nd, profiler
from gluonlite.hybrid import sym_namespace as sym
from gluonlite.ndarray import dispatch
from gluonlite.ndarray import ndarray as ndarray_module
from gluonlite.ops import registry


@pytest.fixture
def running(tmp_path):
    original = registry._dispatch
    profiler.dumps(reset=True)
    profiler.set_config(
        profile_all=True, aggregate_stats=True, filename=str(tmp_path / "profile.json")
    )
    profiler.set_state("run")
    try:
        yield tmp_path / "profile.json"
    finally:
        profiler.set_state("stop")
        profiler.dumps(reset=True)
        profiler.resume()
    assert registry._dispatch is original
    assert ndarray_module.invoke is dispatch.invoke


def _work():
    x = nd.ones((4, 3))
    x.attach_grad()
    with autograd.record():
        y = nd.FullyConnected(x, nd.ones((2, 3)), num_hidden=2, no_bias=True).sum()
    y.backward()


def test_table_names_executed_operators(running):
    _work()
    profiler.set_state("stop")
    table = profiler.dumps()
    assert "Profile Statistics" in table and "operator" in table
    assert "matmul" in table and "Total Count" in table
    stats = json.loads(profiler.dumps(format="json"))
    assert stats["operator"]["matmul"]["Count"] >= 2  # forward and backward products


def test_dump_writes_a_chrome_trace(running):
    _work()
    profiler.dump()
    trace = json.loads(running.read_text())
    events = [e for e in trace["traceEvents"] if e.get("ph") == "X"]
    assert {"matmul", "sum"} <= {e["name"] for e in events}
    assert all(e["dur"] >= 0 and "ts" in e and "pid" in e for e in events)


def test_stop_restores_the_dispatcher_and_pause_skips(running):
    assert registry._dispatch is not profiler._P.original
    profiler.pause()
    nd.ones(2) + 1
    assert profiler.dumps().count("add") == 0
    profiler.resume()
    nd.ones(2) + 1
    assert "add" in profiler.dumps(reset=True)
    assert "add" not in profiler.dumps()
    profiler.set_state("stop")
    assert registry._dispatch is profiler._P.original
    nd.ones(2) + 1
    assert "add" not in profiler.dumps()


def test_executor_nodes_and_scopes(running):
    exe = sym.FullyConnected(sym.var("data"), num_hidden=3, name="fc").simple_bind(
        gl.cpu(), data=(2, 4)
    )
    with profiler.Scope("layer1:"):
        exe.forward()
        nd.ones(2) * 2
    table = profiler.dumps()
    assert "symbolic" in table and "layer1:FullyConnected" in table
    assert "layer1:multiply" in table


def test_user_events(running):
    domain = profiler.Domain("app")
    with domain.new_task("load"):
        pass
    event = profiler.Event("step")
    event.start()
    event.stop()
    counter = domain.new_counter("items", 1)
    counter += 2
    domain.new_marker("here").mark()
    profiler.dump()
    trace = json.loads(running.read_text())["traceEvents"]
    names = {(e["name"], e["ph"]) for e in trace}
    assert {("load", "X"), ("step", "X"), ("items", "C"), ("here", "i")} <= names
    assert counter.value == 3


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown options"):
        profiler.set_config(nonsense=True)
    with pytest.raises(ValueError, match="'run' or 'stop'"):
        profiler.set_state("go")
    with pytest.raises(ValueError, match="sort_by"):
        profiler.dumps(sort_by="name")
