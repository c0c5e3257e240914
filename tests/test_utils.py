"""utils: split_data/split_and_load shapes, contexts and the even_split error;
clip_global_norm's returned norm, in-place scaling and non-finite warning; check_sha1."""

import hashlib

import numpy as np
import pytest

import gluonlite as gl
from gluonlite import nd, utils
from gluonlite.errors import MXNetValueError


def test_split_data_even_and_uneven():
    x = nd.array(np.arange(20).reshape(10, 2))
    parts = utils.split_data(x, 5)
    assert [p.shape for p in parts] == [(2, 2)] * 5
    np.testing.assert_array_equal(np.concatenate([p.asnumpy() for p in parts]), x.asnumpy())
    uneven = utils.split_data(x, 3, even_split=False)
    assert [p.shape[0] for p in uneven] == [4, 3, 3]
    np.testing.assert_array_equal(uneven[1].asnumpy(), x.asnumpy()[4:7])
    assert [p.shape[0] for p in utils.split_data(x, 12, even_split=False)] == [1] * 10 + [0, 0]


def test_split_data_other_axis():
    x = nd.array(np.arange(24).reshape(2, 6, 2))
    parts = utils.split_data(x, 3, batch_axis=1)
    assert [p.shape for p in parts] == [(2, 2, 2)] * 3
    np.testing.assert_array_equal(parts[2].asnumpy(), x.asnumpy()[:, 4:6])


def test_even_split_error_names_shape_and_fix():
    with pytest.raises(MXNetValueError, match=r"\(10, 2\) cannot be evenly split into 3 slices"):
        utils.split_data(nd.zeros((10, 2)), 3)
    with pytest.raises(MXNetValueError, match="even_split=False"):
        utils.split_and_load(nd.zeros((5, 2)), [gl.cpu(0), gl.cpu(1)])


def test_split_and_load_contexts_and_numpy_input():
    ctxs = [gl.cpu(0), gl.cpu(1)]
    data = np.arange(12, dtype=np.float64).reshape(6, 2)
    parts = utils.split_and_load(data, ctxs)
    assert [p.context for p in parts] == ctxs
    assert [p.shape for p in parts] == [(3, 2), (3, 2)]
    assert parts[0].dtype == np.float32  # MXNet: nd.array of NumPy data is float32
    np.testing.assert_array_equal(parts[1].asnumpy(), data[3:])
    single = utils.split_and_load(nd.array(data), [gl.cpu(1)])
    assert len(single) == 1 and single[0].context == gl.cpu(1) and single[0].shape == (6, 2)


def test_clip_global_norm_scales_in_place():
    a = nd.array([[3.0, 0.0]])
    b = nd.array([4.0])
    norm = utils.clip_global_norm([a, b], 1.0)
    assert isinstance(norm, float) and norm == pytest.approx(5.0)
    np.testing.assert_allclose(a.asnumpy(), [[0.6, 0.0]], rtol=1e-6)
    np.testing.assert_allclose(b.asnumpy(), [0.8], rtol=1e-6)
    total = np.sqrt((a.asnumpy() ** 2).sum() + (b.asnumpy() ** 2).sum())
    assert total == pytest.approx(1.0, rel=1e-6)


def test_clip_global_norm_below_max_and_array_result():
    a = nd.array([0.3, 0.4])
    norm = utils.clip_global_norm([a], 1.0, check_isfinite=False)
    assert isinstance(norm, nd.NDArray) and norm.shape == (1,)
    assert norm.asscalar() == pytest.approx(0.5)
    np.testing.assert_allclose(a.asnumpy(), [0.3, 0.4], rtol=1e-6)


def test_clip_global_norm_mixed_contexts_and_float16():
    a = nd.array([6.0, 0.0], ctx=gl.cpu(0), dtype=np.float16)
    b = nd.array([8.0], ctx=gl.cpu(1))
    assert utils.clip_global_norm([a, b], 5.0) == pytest.approx(10.0)
    assert a.dtype == np.float16
    np.testing.assert_allclose(a.asnumpy(), [3.0, 0.0], rtol=1e-3)
    np.testing.assert_allclose(b.asnumpy(), [4.0], rtol=1e-6)


def test_clip_global_norm_warns_on_nan():
    with pytest.warns(UserWarning, match="nan or inf"):
        utils.clip_global_norm([nd.array([np.nan, 1.0])], 1.0)
    with pytest.raises(MXNetValueError):
        utils.clip_global_norm([], 1.0)


def test_check_sha1(tmp_path):
    path = tmp_path / "f.bin"
    payload = b"gluonlite" * 1000
    path.write_bytes(payload)
    assert utils.check_sha1(str(path), hashlib.sha1(payload).hexdigest())
    assert not utils.check_sha1(str(path), "0" * 40)
