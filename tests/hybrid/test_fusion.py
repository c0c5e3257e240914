"""Elementwise fusion: which equations group together, fused NumPy replays equal to the unfused
equations bit for bit, the generated C of every ``Op.elementwise`` template and of fused chains
compiled with g++ and compared with the NumPy forwards, and CuPy kernels against unfused CuPy
runs when a GPU is present."""

import ctypes
import dataclasses
import functools
import re
import shutil
import subprocess
import sys
import types

import numpy as np
import pytest

import gluonlite as gl
from gluonlite import autograd, nd, nn
from gluonlite.hybrid import fusion, passes
from gluonlite.hybrid.graph import Eqn, Literal, Var
from gluonlite.hybrid.program import Program
from gluonlite.ops import fused as fused_module
from gluonlite.ops.fused import FusedProgram, Member, elementwise_kernel_args
from gluonlite.ops.fused_c import PREAMBLE, kernel_source

F32, F64 = np.dtype("float32"), np.dtype("float64")


def eqn(name, *ins, op=None, **attrs):
    """An equation of op ``name`` over Vars and Literals, its output typed by running it."""
    op = op or gl.ops.get(name)
    sample = [np.full(v.shape, 0.5, v.dtype) if isinstance(v, Var) else v.value for v in ins]
    with np.errstate(all="ignore"):
        out = np.asarray(op.forward(np, *sample, **attrs))
    return Eqn(op, tuple(ins), attrs, (Var(out.shape, out.dtype),))


def fused(eqns):
    return [e for e in eqns if e.op.name == "fused_elementwise"]


def members(e):
    return [m.op for m in e.attrs["program"].members]


# ---- grouping -----------------------------------------------------------------------------------
def test_a_chain_becomes_one_equation_with_the_roots_output():
    x, y = Var((3, 4), F32), Var((4,), F32)
    e1 = eqn("multiply", x, Literal(0.5))
    e2 = eqn("exp", e1.outs[0])
    e3 = eqn("add", e2.outs[0], y)
    (f,) = fusion.fuse([e1, e2, e3], {e3.outs[0]})
    assert f.op.name == "fused_elementwise" and f.outs == e3.outs and f.ins == (x, y)
    assert members(f) == ["multiply", "exp", "add"]
    assert str(f).endswith(
        "= fused_elementwise[program={x0, x1 -> t0:float32 = multiply x0 0.5; "
        "t1:float32 = exp t0; add t1 x1}] %" + f"{x.id} %{y.id}"
    )


def test_a_value_read_twice_inside_the_group_is_fused():
    x = Var((5,), F64)
    t = eqn("exp", x)
    u = eqn("multiply", t.outs[0], t.outs[0])
    v = eqn("add", u.outs[0], t.outs[0])
    (f,) = fusion.fuse([t, u, v], {v.outs[0]})
    assert members(f) == ["exp", "multiply", "add"] and f.ins == (x,)


def test_values_read_outside_the_group_or_live_out_stay_visible():
    x = Var((3, 4), F32)
    e1 = eqn("exp", x)
    e2 = eqn("multiply", e1.outs[0], Literal(2.0))
    e3 = eqn("add", e2.outs[0], Literal(1.0))
    e4 = eqn("sum", e1.outs[0])  # a non-fusable reader of e1
    out = fusion.fuse([e1, e2, e3, e4], {e3.outs[0], e4.outs[0]})
    assert out[0] is e1 and out[2] is e4
    assert members(out[1]) == ["multiply", "add"]
    # the same, but e2's value is needed after the list: nothing left to fuse
    live = {e2.outs[0], e3.outs[0], e4.outs[0]}
    assert fusion.fuse([e1, e2, e3, e4], live) == [e1, e2, e3, e4]


def test_a_value_read_by_two_groups_is_a_root():
    x = Var((6,), F32)
    a = eqn("exp", x)
    b = eqn("negative", a.outs[0])
    c = eqn("sqrt", a.outs[0])
    d = eqn("sum", b.outs[0])
    e = eqn("sum", c.outs[0])
    out = fusion.fuse([a, b, c, d, e], {d.outs[0], e.outs[0]})
    assert out == [a, b, c, d, e]


def test_random_and_mutating_ops_never_fuse():
    x = Var((4,), F32)
    for changed in ({"random": True}, {"mutates": (0,)}):
        op = dataclasses.replace(gl.ops.get("exp"), **changed)
        e1 = eqn("exp", x, op=op)
        e2 = eqn("add", e1.outs[0], Literal(1.0))
        e3 = eqn("sqrt", e2.outs[0])
        out = fusion.fuse([e1, e2, e3], {e3.outs[0]})
        assert out[0] is e1 and members(out[1]) == ["add", "sqrt"]


def test_no_member_moves_past_a_mutation_of_what_it_reads():
    x, y, z = Var((4,), F32), Var((4,), F32), Var((4,), F32)
    a = eqn("exp", x)
    b = eqn("add", a.outs[0], Literal(1.0))

    def ema(target):
        return Eqn(gl.ops.get("ema_update"), (target, y), {"momentum": 0.9}, ())

    blocked = [a, ema(x), b]
    assert fusion.fuse(blocked, {b.outs[0]}) == blocked
    out = fusion.fuse([a, ema(z), b], {b.outs[0]})
    assert out[0].op.name == "ema_update" and members(out[1]) == ["exp", "add"]


def test_single_ops_and_unsupported_types_are_left_alone():
    x = Var((4,), F32)
    single = [eqn("exp", x)]
    assert fusion.fuse(single, {single[0].outs[0]}) == single
    for dtype in ("float16", "int32", "complex64"):
        v = Var((4,), dtype)
        e1 = eqn("add", v, v)
        e2 = eqn("multiply", e1.outs[0], v)
        assert not fused(fusion.fuse([e1, e2], {e2.outs[0]})), dtype
    clip = eqn("clip", x, a_min=0.0, a_max=1.0)  # no template: its values need attributes
    inf = eqn("maximum", clip.outs[0], Literal(float("-inf")))  # no C literal
    tail = eqn("exp", inf.outs[0])
    assert not fused(fusion.fuse([clip, inf, tail], {tail.outs[0]}))


def test_predicates_fuse_with_float_operands_only():
    x, m = Var((4,), F32), Var((4,), bool)
    g = eqn("greater", x, Literal(0.0))
    k = eqn("multiply", x, g.outs[0])
    assert members(fusion.fuse([g, k], {k.outs[0]})[0]) == ["greater", "multiply"]
    both = eqn("logical_and", m, m)  # computes in bool: not in a float kernel
    k2 = eqn("multiply", x, both.outs[0])
    assert not fused(fusion.fuse([both, k2], {k2.outs[0]}))


def test_programs_compare_by_literal_spelling_and_cse_merges_twins():
    def program(value):
        args = (("x", 0), ("c", value, repr(value)))
        return FusedProgram(
            ("float32",), (Member("multiply", args, "float32", "float32"),), (True,)
        )

    assert program(0.0) == program(0.0) and hash(program(0.0)) == hash(program(0.0))
    assert program(0.0) != program(-0.0) and program(1) != program(True)
    x = Var((3,), F32)
    chains = [[eqn("exp", x)] for _ in range(2)]
    for chain in chains:
        chain.append(eqn("add", chain[0].outs[0], Literal(1.0)))
    eqns = fusion.fuse([*chains[0], *chains[1]], {chains[0][1].outs[0], chains[1][1].outs[0]})
    merged, replace = passes.cse(eqns)
    assert len(merged) == 1 and replace == {chains[1][1].outs[0]: chains[0][1].outs[0]}


def test_fusion_applies_on_cupy_only():
    x = Var((3,), F32)
    chain = [eqn("exp", x)]
    chain.append(eqn("negative", chain[0].outs[0]))
    assert fusion.fuse_elementwise(chain, {chain[1].outs[0]}, np) == chain
    assert not fusion.profitable(np) and fusion.profitable(object())


# ---- NumPy execution: bit-exact against the unfused equations -----------------------------------
class Mixed(nn.HybridBlock):
    """Chains and trees with broadcasting, literals, predicates, casts, a select, and products
    whose buffer a fused result may take over while a later member still reads them."""

    def forward(self, x, w, b):
        h = nd.dot(x, w)
        a = nd.exp(h * 0.5) - b
        m = nd.where(a > 1.0, a, h * -0.25)
        s = nd.relu(m) * h + 2
        t = nd.abs(nd.tanh(h)) / (1.5 + nd.square(b))
        u = nd.dot(x, w + 1.0)
        z = nd.sum(nd.exp(u) * u - u * 0.5, axis=1)
        c = nd.sum(x, axis=1, keepdims=True)
        r = nd.exp(c + b) * nd.sin(c * b)  # the output buffer holds exp(...) while sin runs
        return s, nd.sqrt(t) - nd.maximum(s, h), (a > 0.5) * b, z, nd.sum(r, axis=0)


def _mixed_inputs(dtype, rng):
    return [rng.standard_normal(s).astype(dtype) for s in ((6, 5), (5, 7), (7,))]


def _run(eqns, graph, arrays, xp=np):
    prog = Program(eqns, graph.inputs, dict(graph.consts), graph.outputs, xp, True)
    results = []
    for _ in range(2):  # the second run reuses the arena
        table = prog.new_table()
        for v, a in zip(graph.inputs, arrays):
            table[prog.slot[v]] = a
        arena = prog.acquire()
        prog.run(table, arena)
        prog.release(arena)
        results.append([table[prog.slot[v]].copy() for v in graph.outputs])
    return prog, results[-1]


@pytest.mark.parametrize("dtype", [F32, F64], ids=str)
def test_numpy_fused_programs_equal_the_unfused_equations(dtype):
    rng = np.random.default_rng(0)
    arrays = _mixed_inputs(dtype, rng)
    graph = gl.hybrid.trace(Mixed(), *(nd.array(a, dtype=dtype) for a in arrays))
    eqns = fusion.fuse(graph.eqns, graph.outputs)
    assert len(fused(eqns)) >= 3 and len(eqns) < len(graph.eqns)
    _, want = _run(graph.eqns, graph, arrays)
    fused_prog, got = _run(eqns, graph, arrays)
    assert fused_prog.plan.inplace > 0  # some fused result took over an input's buffer
    for g, w in zip(got, want):
        assert g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)


def test_training_program_fused_on_each_side_of_the_split(monkeypatch):
    net = nn.HybridSequential()
    net.add(nn.Dense(8, activation="relu", in_units=5), nn.Dense(3, in_units=8))
    net.initialize()
    net.hybridize()
    x = nd.array(np.random.default_rng(1).standard_normal((4, 5)))
    for _ in range(2):
        with autograd.record():
            y = (net(x) * 2.0).sigmoid()
        y.backward()
    entry = net._hybrid_state.last
    prog, split = entry.train, entry.split
    keep = [v for v in (*entry.train_outputs, *entry.grads) if v is not None]
    monkeypatch.setattr(fusion, "profitable", lambda xp: True)
    eqns, new_split = fusion.fuse_training(prog.eqns, split, keep, np)
    assert fused(eqns[:new_split]) and fused(eqns[new_split:])
    forward_outs = {o for e in prog.eqns[:split] for o in e.outs}
    assert all(o in forward_outs for e in eqns[:new_split] for o in e.outs)
    assert not any(o in forward_outs for e in eqns[new_split:] for o in e.outs)

    def grads(eqns, split):
        g = entry.graph
        seeds = [s for s in entry.seeds if s is not None]
        p = Program(
            eqns,
            [*g.inputs, *g.params, *seeds],
            _consts(prog),
            entry.train_outputs,
            np,
            False,
            hold=entry.grads,
        )
        table = p.new_table()
        values = [x._data, *(param.data()._data for param in entry.params)]
        for v, a in zip([*g.inputs, *g.params], values):
            table[p.slot[v]] = a
        arena = p.acquire()
        p.run(table, arena, 0, split)
        for s in seeds:
            table[p.slot[s]] = np.full(s.shape, 0.5, s.dtype)
        p.run(table, arena, split)
        return [table[p.slot[v]].copy() for v in entry.grads if v is not None]

    for got, want in zip(grads(eqns, new_split), grads(prog.eqns, split)):
        np.testing.assert_array_equal(got, want)


def _consts(prog):
    by_slot = {s: v for v, s in prog.slot.items()}
    return {by_slot[s]: value for s, value in prog.const_slots}


# ---- generated C, compiled with g++ -------------------------------------------------------------
_SPECIAL = np.array(
    [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -3.0, 1e-3, 7.25, np.inf, -np.inf, np.nan]
)


def _values(rng, shape, dtype):
    """Random normals and uniforms mixed with zeros of both signs, +-1, +-inf and NaN."""
    n = int(np.prod(shape))
    pool = np.concatenate([_SPECIAL, rng.standard_normal(64) * 3, rng.uniform(-1, 1, 64)])
    return rng.choice(pool, n).reshape(shape).astype(dtype)


def _operands(rng, arity, dtype):
    """Operands broadcasting to a grid on which every special value meets every other one."""
    column = np.concatenate([_SPECIAL, _values(rng, (20,), np.float64)]).astype(dtype)
    if arity == 1:
        return [column]
    if arity == 2:
        return [column[:, None], column[::-1].copy()]
    return [rng.random((column.size, column.size)) < 0.5, column[:, None], column[::-1].copy()]


def _arity(op):
    return len(set(re.findall(r"\bin(\d+)", op.elementwise)))


def _single_cases(rng):
    """(id, fused equation, input arrays) for each templated op: array operands in float32 and
    float64 (where's condition is bool), weak literals on either side, mixed dtypes, and casts
    between float32, float64 and bool."""
    cases = []
    for op in gl.ops.all_ops():
        if not op.elementwise or op.name == "astype":
            continue
        arity = _arity(op)
        for dtype in (F32, F64):
            arrays = _operands(rng, arity, dtype)
            cases.append((op.name, str(dtype), arrays, [None] * arity, {}))
        if arity == 2:
            x = _operands(rng, 1, F32)[0]
            y = _operands(rng, 1, F64)[0]
            cases.append((op.name, "f32-literal", [x, None], [None, 0.1], {}))
            cases.append((op.name, "literal-f32", [None, x], [-1.5, None], {}))
            cases.append((op.name, "f64-literal", [y, None], [None, 0.1], {}))
            cases.append((op.name, "int-literal-f64", [None, y], [3, None], {}))
            cases.append((op.name, "f32-f64", [x[:, None], y], [None, None], {}))
    for src, dst in [(F32, F64), (F64, F32), (F32, bool), (F64, bool), (bool, F32)]:
        x = _operands(rng, 1, src)[0] if src != bool else rng.random(30) < 0.5
        cases.append(("astype", f"{src}-{dst}", [x], [None], {"dtype": np.dtype(dst)}))
    out = []
    for name, variant, arrays, literals, attrs in cases:
        ins = [
            Var(a.shape, a.dtype) if a is not None else Literal(v) for a, v in zip(arrays, literals)
        ]
        out.append(
            (
                f"{name}-{variant}",
                fusion.fused_eqn([eqn(name, *ins, **attrs)]),
                [a for a in arrays if a is not None],
            )
        )
    return out


def _chain_cases(rng):
    """(id, fused equation, input arrays) for each fused group of the Mixed block."""
    cases = []
    for dtype in (F32, F64):
        arrays = _mixed_inputs(dtype, rng)
        graph = gl.hybrid.trace(Mixed(), *(nd.array(a, dtype=dtype) for a in arrays))
        for k, e in enumerate(fused(fusion.fuse(graph.eqns, graph.outputs))):
            ins = [_values(rng, v.shape, v.dtype) for v in e.ins]
            cases.append((f"chain{k}-{dtype}", e, ins))
    return cases


_CASES = _single_cases(np.random.default_rng(2)) + _chain_cases(np.random.default_rng(3))


def _harness(k, e):
    """The generated body wrapped in a C loop over pre-broadcast contiguous arrays."""
    src = kernel_source(e.attrs["program"])
    ctypes_of = {name: _c_name(dtype) for name, dtype in (*src.inputs, src.output)}
    loads = "".join(
        f"    const {ctypes_of[n]} {n} = ((const {ctypes_of[n]}*)args[{i}])[i];\n"
        for i, (n, _) in enumerate(src.inputs)
    )
    out_t = ctypes_of[src.output[0]]
    return (
        f'extern "C" void case{k}(long size, void* const* args, void* result) {{\n'
        f"  for (long i = 0; i < size; ++i) {{\n{loads}    {out_t} y;\n"
        f"    {src.body}\n    (({out_t}*)result)[i] = y;\n  }}\n}}\n"
    )


def _c_name(dtype):
    return {"bool": "bool", "float32": "float", "float64": "double"}[np.dtype(dtype).name]


@pytest.fixture(scope="session")
def c_cases(tmp_path_factory):
    """All cases compiled into one shared library, once per session."""
    compiler = shutil.which("g++") or shutil.which("c++")
    if compiler is None:
        pytest.skip("no C++ compiler found")
    folder = tmp_path_factory.mktemp("fused_c")
    source = (
        "#include <cmath>\nusing namespace std;\n"
        + PREAMBLE
        + "".join(_harness(k, e) for k, (_, e, _) in enumerate(_CASES))
    )
    (folder / "cases.cpp").write_text(source)
    lib = folder / "cases.so"
    subprocess.run(
        [
            compiler,
            "-std=c++17",
            "-O1",
            "-shared",
            "-fPIC",
            "-o",
            str(lib),
            str(folder / "cases.cpp"),
        ],
        check=True,
        capture_output=True,
    )
    return ctypes.CDLL(str(lib))


def _call_c(lib, k, e, arrays):
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    flat = [np.ascontiguousarray(np.broadcast_to(a, shape)) for a in arrays]
    out = np.empty(shape, e.outs[0].dtype)
    ptrs = (ctypes.c_void_p * max(len(flat), 1))(*(a.ctypes.data for a in flat))
    getattr(lib, f"case{k}")(ctypes.c_long(out.size), ptrs, ctypes.c_void_p(out.ctypes.data))
    return out


@pytest.mark.parametrize("k", range(len(_CASES)), ids=[c[0] for c in _CASES])
def test_generated_c_matches_the_numpy_forward(c_cases, k):
    case_id, e, arrays = _CASES[k]
    with np.errstate(all="ignore"):
        want = np.asarray(e.op.forward(np, *arrays, **e.attrs))  # the members' own forwards
        got = _call_c(c_cases, k, e, arrays)
    assert got.dtype == want.dtype and got.shape == want.shape
    if want.dtype == bool:
        np.testing.assert_array_equal(got, want, err_msg=case_id)
        return
    tol = 2e-6 if want.dtype == F32 else 1e-13
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol, equal_nan=True, err_msg=case_id)
    zeros = (got == 0) & (want == 0)
    np.testing.assert_array_equal(
        np.signbit(got[zeros]), np.signbit(want[zeros]), err_msg=f"{case_id}: sign of zero"
    )


def test_every_template_is_covered_by_a_c_case():
    covered = {c[0].split("-")[0] for c in _CASES if not c[0].startswith("chain")}
    assert covered == {op.name for op in gl.ops.all_ops() if op.elementwise}


def test_kernel_arguments_are_the_generated_source():
    x = Var((3,), F32)
    g = eqn("greater", x, Literal(0.0))
    k = eqn("multiply", x, g.outs[0])
    (f,) = fusion.fuse([g, k], {k.outs[0]})
    assert elementwise_kernel_args(f.attrs["program"]) == {
        "in_params": "float32 x0",
        "out_params": "float32 y",
        "operation": "const bool t0 = (bool)(((float)x0) > ((float)0.0));\n"
        "y = (float)(((float)x0) * ((float)t0));",
        "name": "gluonlite_fused",
        "preamble": PREAMBLE,
    }


def test_cupy_path_builds_one_kernel_per_program_from_that_source(monkeypatch):
    made = []

    class Kernel:  # stands in for cupy.ElementwiseKernel: records how it was built and called
        def __init__(self, *args, **kwargs):
            made.append((args, kwargs))

        def __call__(self, *arrays):
            return arrays

    monkeypatch.setitem(sys.modules, "cupy", types.SimpleNamespace(ElementwiseKernel=Kernel))
    monkeypatch.setattr(
        fused_module, "_cupy_kernel", functools.cache(fused_module._cupy_kernel.__wrapped__)
    )
    x = Var((3,), F32)
    chain = [eqn("exp", x)]
    chain.append(eqn("multiply", chain[0].outs[0], Literal(3.0)))
    (f,) = fusion.fuse(chain, {chain[1].outs[0]})
    program, gpu = f.attrs["program"], types.SimpleNamespace()
    assert f.op.forward(gpu, "a", program=program) == ("a",)
    assert f.op.forward(gpu, "a", program=program, out="o") == ("a", "o")
    args = elementwise_kernel_args(program)
    assert made == [
        (
            (args["in_params"], args["out_params"], args["operation"]),
            {"name": args["name"], "preamble": args["preamble"]},
        )
    ]


# ---- CuPy ---------------------------------------------------------------------------------------
def test_cupy_fused_matches_unfused():
    cupy = pytest.importorskip("cupy")
    rng = np.random.default_rng(4)
    for dtype in (F32, F64):
        arrays = _mixed_inputs(dtype, rng)
        graph = gl.hybrid.trace(Mixed(), *(nd.array(a, dtype=dtype) for a in arrays))
        eqns = fusion.fuse_elementwise(graph.eqns, graph.outputs, cupy)
        assert fused(eqns)
        on_gpu = [cupy.asarray(a) for a in arrays]
        _, want = _run(graph.eqns, graph, on_gpu, cupy)
        _, got = _run(eqns, graph, on_gpu, cupy)
        tol = 1e-5 if dtype == F32 else 1e-12
        for g, w in zip(got, want):
            np.testing.assert_allclose(cupy.asnumpy(g), cupy.asnumpy(w), rtol=tol, atol=tol)
    for case_id, e, arrays in _CASES:
        on_gpu = [cupy.asarray(a) for a in arrays]
        got = cupy.asnumpy(e.op.forward(cupy, *on_gpu, **e.attrs))
        want = np.asarray(e.op.forward(np, *arrays, **e.attrs))
        tol = 1e-5 if want.dtype == F32 else 1e-12
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol, equal_nan=True, err_msg=case_id)
