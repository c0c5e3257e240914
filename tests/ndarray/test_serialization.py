"""nd.save / nd.load: files crafted byte by byte from MXNet's format (independently of the
writer), round trips of every dtype, list vs dict, old format versions, sparse layouts, errors
naming the file, and atomic replacement when a write fails."""

import io
import os
import struct

import numpy as np
import pytest

import gluonlite as gl
from gluonlite import errors, nd
from gluonlite.ndarray import serialization, sparse

V1, V2, V3 = 0xF993FAC8, 0xF993FAC9, 0xF993FACA
FLAGS = {"float32": 0, "float64": 1, "float16": 2, "uint8": 3, "int32": 4, "int8": 5,
         "int64": 6, "bool": 7}  # fmt: skip


def header(n):
    return struct.pack("<QQQ", 0x112, 0, n)


def shape_bytes(shape):
    return struct.pack(f"<i{len(shape)}q", len(shape), *shape)


def dense_bytes(a, magic=V2, ctx=(1, 0)):
    a = np.asarray(a, order="C")
    meta = struct.pack("<Ii", magic, 0) + shape_bytes(a.shape) + struct.pack("<ii", *ctx)
    return (
        meta
        + struct.pack("<i", FLAGS[a.dtype.name])
        + a.astype(a.dtype.newbyteorder("<")).tobytes()
    )


def names_bytes(names):
    out = struct.pack("<Q", len(names))
    for n in names:
        raw = n.encode()
        out += struct.pack("<Q", len(raw)) + raw
    return out


def csr_bytes(data, indices, indptr, shape):
    """MXNet's NDArray::Save for kCSRStorage: storage shape before the shape, aux types and
    shapes after the dtype flag (indptr first), values, then indptr and indices."""
    return (struct.pack("<Ii", V2, 2) + shape_bytes(data.shape) + shape_bytes(shape)
            + struct.pack("<iii", 1, 0, FLAGS[data.dtype.name])
            + struct.pack("<i", 6) + shape_bytes(indptr.shape)
            + struct.pack("<i", 6) + shape_bytes(indices.shape)
            + data.tobytes() + indptr.astype("<i8").tobytes()
            + indices.astype("<i8").tobytes())  # fmt: skip


def rsp_bytes(data, indices, shape):
    return (struct.pack("<Ii", V2, 1) + shape_bytes(data.shape) + shape_bytes(shape)
            + struct.pack("<iii", 1, 0, FLAGS[data.dtype.name])
            + struct.pack("<i", 6) + shape_bytes(indices.shape)
            + data.tobytes() + indices.astype("<i8").tobytes())  # fmt: skip


WEIGHT = np.arange(42, dtype=np.float32).reshape(6, 7) / 7
BIAS = np.array([0.5, -1.5, 2.0, 0.0, 1.0, 3.25], np.float32)
DICT_FILE = header(2) + dense_bytes(WEIGHT) + dense_bytes(BIAS) + names_bytes(["weight", "bias"])


# ---- files crafted from the spec ----------------------------------------------------------------
def test_empty_dict_is_32_bytes(tmp_path):
    path = tmp_path / "empty.params"
    nd.save(path, {})
    assert path.read_bytes() == header(0) + struct.pack("<Q", 0)
    assert os.path.getsize(path) == 32
    assert nd.load(path) == []  # MXNet returns a list when the file has no names


def test_reader_on_crafted_dict_and_writer_matches_it(tmp_path):
    path = tmp_path / "dense.params"
    path.write_bytes(DICT_FILE)
    out = nd.load(str(path))
    assert list(out) == ["weight", "bias"]
    assert isinstance(out["weight"], nd.NDArray) and out["weight"].context == gl.cpu(0)
    np.testing.assert_array_equal(out["weight"].asnumpy(), WEIGHT)
    np.testing.assert_array_equal(out["bias"].asnumpy(), BIAS)
    out["bias"] += 1  # loaded arrays are writable (in-place add writes into the buffer)
    nd.save(path, {"weight": nd.array(WEIGHT), "bias": nd.array(BIAS)})
    assert path.read_bytes() == DICT_FILE


def test_list_save_has_no_names(tmp_path):
    path = tmp_path / "list.params"
    nd.save(path, [nd.array(WEIGHT), nd.array(BIAS)])
    expected = header(2) + dense_bytes(WEIGHT) + dense_bytes(BIAS) + names_bytes([])
    assert path.read_bytes() == expected
    out = nd.load(path)
    assert isinstance(out, list) and len(out) == 2
    nd.save(path, nd.array(BIAS))  # a single array saves as a list of one
    (single,) = nd.load(path)
    np.testing.assert_array_equal(single.asnumpy(), BIAS)


def test_old_versions_and_scalars():
    v1 = header(1) + struct.pack("<I", V1) + shape_bytes((2,)) + struct.pack("<iii", 1, 0, 4)
    v1 += np.array([7, -8], "<i4").tobytes() + names_bytes([])
    np.testing.assert_array_equal(nd.load(v1)[0].asnumpy(), [7, -8])
    legacy = header(1) + struct.pack("<III", 2, 2, 1) + struct.pack("<iii", 1, 0, 1)
    legacy += np.array([[1.5], [2.5]], "<f8").tobytes() + names_bytes([])
    got = nd.load(legacy)[0]
    assert got.shape == (2, 1) and got.dtype == np.float64
    v3 = header(1) + dense_bytes(np.array(3.5, np.float32), magic=V3) + names_bytes(["s"])
    assert nd.load(v3)["s"].shape == ()
    scalar = nd.ones((1,)).reshape(())
    buf = io.BytesIO()
    nd.save(buf, {"s": scalar})
    one = dense_bytes(np.array(1.0, np.float32), magic=V3)
    assert buf.getvalue() == header(1) + one + names_bytes(["s"])
    none_v2 = header(1) + struct.pack("<Ii", V2, 0) + shape_bytes(()) + names_bytes([])
    assert nd.load(none_v2)[0].size == 0


def test_crafted_sparse_files():
    data = np.array([1.0, 2.0, 3.0], np.float32)
    indices, indptr = np.array([2, 0, 1]), np.array([0, 1, 1, 3])
    raw = header(2) + csr_bytes(data, indices, indptr, (3, 4))
    raw += rsp_bytes(np.array([[5.0, 6.0]], np.float32), np.array([2]), (4, 2))
    raw += names_bytes(["c", "r"])
    out = nd.load(raw)
    np.testing.assert_array_equal(out["c"].asnumpy(), [[0, 0, 1, 0], [0, 0, 0, 0], [2, 3, 0, 0]])
    np.testing.assert_array_equal(out["r"].asnumpy(), [[0, 0], [0, 0], [5, 6], [0, 0]])
    buf = io.BytesIO()
    nd.save(buf, {"c": out["c"], "r": out["r"]})
    assert buf.getvalue() == raw


# ---- round trips --------------------------------------------------------------------------------
DTYPES = ["float32", "float64", "float16", "uint8", "int32", "int8", "int64", "bool", "int16",
          "uint16", "uint32", "uint64"]  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
def test_round_trip_every_dtype(tmp_path, dtype):
    values = (np.arange(24).reshape(2, 3, 4) % 7).astype(dtype)
    path = tmp_path / f"{dtype}.params"
    nd.save(path, {"x": nd.array(values, dtype=dtype), "empty": nd.zeros((0, 3), dtype=dtype)})
    out = nd.load(path)
    assert out["x"].dtype == np.dtype(dtype) and out["empty"].shape == (0, 3)
    np.testing.assert_array_equal(out["x"].asnumpy(), values)


def test_non_contiguous_and_numpy_inputs_save_in_c_order():
    x = nd.array(WEIGHT).T
    buf = io.BytesIO()
    nd.save(buf, [x, WEIGHT.T])
    a, b = nd.load(buf.getvalue())
    np.testing.assert_array_equal(a.asnumpy(), WEIGHT.T)
    np.testing.assert_array_equal(b.asnumpy(), WEIGHT.T)


def test_load_sources(tmp_path):
    path = tmp_path / "f.params"
    path.write_bytes(DICT_FILE)
    with open(path, "rb") as f:
        assert list(nd.load(f)) == ["weight", "bias"]
    assert list(nd.load(io.BytesIO(DICT_FILE))) == ["weight", "bias"]
    assert list(serialization.load_frombuffer(memoryview(DICT_FILE))) == ["weight", "bias"]


# ---- errors -------------------------------------------------------------------------------------
def _load_error(tmp_path, raw, match):
    path = tmp_path / "bad.params"
    path.write_bytes(raw)
    with pytest.raises(errors.MXNetValueError, match=match) as info:
        nd.load(path)
    assert str(path) in str(info.value)


def test_bad_magics(tmp_path):
    _load_error(tmp_path, struct.pack("<QQQ", 0x113, 0, 0) + bytes(8), "list magic is 0x113")
    bad = header(1) + struct.pack("<I", 0xDEADBEEF) + bytes(40)
    _load_error(tmp_path, bad, "0xDEADBEEF.*not an NDArray magic")


def test_every_truncation_is_reported(tmp_path):
    for cut in range(len(DICT_FILE)):
        _load_error(tmp_path, DICT_FILE[:cut], "truncated")


def test_unknown_flags_and_inconsistent_names(tmp_path):
    raw = bytearray(header(1) + dense_bytes(BIAS) + names_bytes([]))
    flag_at = 24 + 4 + 4 + 12 + 8
    raw[flag_at : flag_at + 4] = struct.pack("<i", 13)
    _load_error(tmp_path, bytes(raw), "unknown dtype flag 13")
    raw = header(1) + struct.pack("<Ii", V2, 5) + bytes(16)
    _load_error(tmp_path, raw, "unknown storage type 5")
    raw = header(1) + dense_bytes(BIAS) + names_bytes(["a", "b"])
    _load_error(tmp_path, raw, "1 arrays but 2 names")
    raw = header(1) + dense_bytes(BIAS) + struct.pack("<QQ", 1, 2) + b"\xff\xfe"
    _load_error(tmp_path, raw, "UTF-8")
    csr = header(1) + csr_bytes(np.ones(2, np.float32), np.array([0, 1]), np.array([0, 1]), (1, 2))
    _load_error(tmp_path, csr + names_bytes([]), "indptr")


def test_save_rejects_bad_input(tmp_path):
    with pytest.raises(errors.MXNetTypeError, match="dict keys must be str"):
        nd.save(tmp_path / "x", {1: nd.ones(1)})
    with pytest.raises(errors.MXNetTypeError, match="'w' is a str"):
        nd.save(tmp_path / "x", {"w": "nope"})
    with pytest.raises(errors.MXNetTypeError, match="save expects"):
        nd.save(tmp_path / "x", 3)
    with pytest.raises(errors.MXNetTypeError, match="complex64"):
        nd.save(tmp_path / "x", [np.ones(2, np.complex64)])
    assert not list(tmp_path.iterdir())


# ---- atomic writes ------------------------------------------------------------------------------
def test_failed_write_leaves_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "model.params"
    nd.save(path, {"weight": nd.array(WEIGHT), "bias": nd.array(BIAS)})
    before = path.read_bytes()
    real = serialization._write_array
    calls = []

    def crash_on_second(f, value, what):
        calls.append(what)
        if len(calls) == 2:
            f.write(b"partial")
            raise OSError("disk full")
        real(f, value, what)

    monkeypatch.setattr(serialization, "_write_array", crash_on_second)
    with pytest.raises(OSError, match="disk full"):
        nd.save(path, {"weight": nd.zeros((6, 7)), "bias": nd.zeros(6)})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.params"]  # no temp file left


def test_new_file_mode_follows_umask(tmp_path):
    old = os.umask(0o027)
    try:
        nd.save(tmp_path / "m.params", [nd.ones(1)])
    finally:
        os.umask(old)
    assert os.stat(tmp_path / "m.params").st_mode & 0o777 == 0o640
    os.chmod(tmp_path / "m.params", 0o600)
    nd.save(tmp_path / "m.params", [nd.ones(1)])  # replacing keeps the file's mode
    assert os.stat(tmp_path / "m.params").st_mode & 0o777 == 0o600


def test_save_sparse_through_file_object():
    c = sparse.csr_matrix(np.eye(3, dtype=np.float32))
    buf = io.BytesIO()
    nd.save(buf, [c])
    (back,) = nd.load(buf.getvalue())
    np.testing.assert_array_equal(back.asnumpy(), np.eye(3))
