"""gluonlite.test_utils (MXNet's tolerances, random inputs, gradient checking, environment),
gluonlite.runtime.Features and gluonlite.util's helpers."""

import os

import numpy as onp
import pytest

import gluonlite as gl
import gluonlite.numpy as np
import gluonlite.numpy_extension as npx
from gluonlite import autograd, nd, runtime, test_utils, util
from gluonlite.errors import MXNetValueError


# ---- comparisons ----------------------------------------------------------------------------
def test_default_tolerances_by_dtype():
    assert test_utils.get_tols(onp.float32(1), onp.float32(1), None, None) == (1e-4, 1e-3)
    assert test_utils.get_tols(onp.float64(1), onp.float64(1), None, None) == (1e-5, 1e-20)
    assert test_utils.get_tols(onp.float16(1), onp.float64(1), None, None) == (1e-2, 1e-1)
    assert test_utils.get_tols(onp.int32(1), onp.int32(1), None, None) == (0, 0)
    assert test_utils.get_tols(1.0, 1.0, 0.5, {onp.dtype("float64"): 0.25}) == (0.5, 0.25)


def test_assert_almost_equal_uses_dtype_tolerances():
    a32 = onp.array([1.0, 2.0], dtype="float32")
    test_utils.assert_almost_equal(a32, a32 + 5e-4)  # within float32's atol 1e-3
    with pytest.raises(AssertionError):
        test_utils.assert_almost_equal(a32.astype("float64"), a32.astype("float64") + 5e-4)
    test_utils.assert_almost_equal(nd.array(a32), np.array(a32))
    test_utils.assert_almost_equal(np.array([True, False], dtype=bool), onp.array([True, False]))
    test_utils.assert_almost_equal(onp.array([onp.nan]), onp.array([onp.nan]), equal_nan=True)


def test_assert_almost_equal_message_names_the_worst_element():
    a = onp.zeros((2, 3))
    b = a.copy()
    b[1, 2] = 1.0
    with pytest.raises(AssertionError) as info:
        test_utils.assert_almost_equal(a, b, names=("got", "want"))
    text = str(info.value)
    assert "(1, 2)" in text and "got=0.0" in text and "want=1.0" in text and "1 of 6" in text
    with pytest.raises(AssertionError, match="shape"):
        test_utils.assert_almost_equal(onp.ones(2), onp.ones((2, 1)), use_broadcast=False)


def test_almost_equal_same_and_assert_exception():
    assert test_utils.almost_equal(onp.ones(3), onp.ones(3) + 1e-9)
    assert not test_utils.almost_equal(onp.ones(3), onp.ones(3) + 1e-3)
    assert test_utils.same(nd.array([1, 2]), onp.array([1.0, 2.0], dtype="float32"))
    assert not test_utils.same(onp.ones(2), onp.ones(3))
    test_utils.assert_exception(int, ValueError, "x")
    with pytest.raises(AssertionError):
        test_utils.assert_exception(int, ValueError, "3")
    test_utils.assert_allclose(onp.ones(2), onp.ones(2))
    test_utils.assert_almost_equal_ignore_nan(onp.array([onp.nan, 1.0]), onp.array([5.0, 1.0]))


# ---- random inputs --------------------------------------------------------------------------
def test_random_shapes_and_arrays():
    for _ in range(5):
        s2, s3 = test_utils.rand_shape_2d(3, 4), test_utils.rand_shape_3d()
        assert len(s2) == 2 and 1 <= s2[0] <= 3 and 1 <= s2[1] <= 4 and len(s3) == 3
        nd_shape = test_utils.rand_shape_nd(4, dim=2, allow_zero_size=True)
        assert len(nd_shape) == 4 and all(0 <= d <= 2 for d in nd_shape)
    a, b = test_utils.random_arrays((2, 3), ())
    assert a.shape == (2, 3) and a.dtype == onp.float32 and b.shape == ()
    assert test_utils.random_arrays((4,)).shape == (4,)
    assert [u.shape for u in test_utils.random_uniform_arrays((2,), (3,), low=1, high=2)] == [
        (2,),
        (3,),
    ]


def test_rand_ndarray_follows_the_mode_and_storage_types():
    x = test_utils.rand_ndarray((3, 4), dtype="float64")
    assert type(x) is nd.NDArray and x.dtype == onp.float64 and x.shape == (3, 4)
    csr = test_utils.rand_ndarray((4, 5), stype="csr", density=0.5)
    assert csr.stype == "csr" and csr.shape == (4, 5)
    rsp = test_utils.rand_ndarray((4, 5), stype="row_sparse", density=0.5)
    assert rsp.stype == "row_sparse"
    npx.set_np()
    assert type(test_utils.rand_ndarray((2,))) is np.ndarray


# ---- gradients ------------------------------------------------------------------------------
def test_check_numeric_gradient_on_callables_and_dicts():
    rng = onp.random.RandomState(0)
    a, b = rng.rand(2, 3), rng.rand(3, 2)
    test_utils.check_numeric_gradient(lambda x, y: np.tanh(np.dot(x, y)), [a, b])
    test_utils.check_numeric_gradient(
        lambda x, y: nd.dot(x, y) * 2,
        {"x": a, "y": b},
        grad_nodes=["x"],
        dtype=onp.float64,
        rtol=1e-6,
    )
    net = gl.nn.Dense(2, in_units=3)
    net.initialize()
    test_utils.check_numeric_gradient(net, [a])


def test_check_numeric_gradient_catches_a_wrong_gradient():
    class Wrong(autograd.Function):
        def forward(self, x):
            return x * x

        def backward(self, dy):
            return dy  # should be 2 * x * dy

    with pytest.raises(AssertionError, match="NUMERICAL"):
        test_utils.check_numeric_gradient(lambda x: Wrong()(x), [onp.full((2,), 3.0)])


def test_check_numeric_gradient_on_a_symbol(tmp_path):
    from gluonlite.hybrid import symbol

    net = gl.nn.Dense(2, in_units=3)
    net.initialize()
    net.hybridize()
    net(nd.ones((1, 3)))
    sym_file, _ = net.export(str(tmp_path / "dense"))
    sym = symbol.load(sym_file)
    rng = onp.random.RandomState(0)
    shapes = {"data": (2, 3), "weight": (2, 3), "bias": (2,)}
    location = {
        name: rng.rand(*next(v for k, v in shapes.items() if name.endswith(k)))
        for name in sym.list_arguments()
    }
    test_utils.check_numeric_gradient(sym, location)
    test_utils.check_numeric_gradient(sym, [location[n] for n in sym.list_arguments()])


# ---- contexts, environment, use_np ----------------------------------------------------------
def test_default_context_and_its_setter():
    assert test_utils.default_context() == gl.current_context()
    test_utils.set_default_context(gl.cpu(1))
    try:
        assert gl.current_context() == gl.cpu(1) and test_utils.default_device() == gl.cpu(1)
        with gl.cpu(2):
            assert gl.current_context() == gl.cpu(2)
        assert nd.zeros(1).context == gl.cpu(1)
        test_utils.set_default_context(gl.cpu(3))
        assert gl.current_context() == gl.cpu(3)
    finally:
        test_utils.set_default_context(gl.cpu(0))
    assert gl.current_context() == gl.cpu(0)


def test_environment_as_context_manager_and_decorator():
    os.environ.pop("GLUONLITE_TEST_A", None)
    os.environ["GLUONLITE_TEST_B"] = "old"
    with test_utils.environment({"GLUONLITE_TEST_A": "1", "GLUONLITE_TEST_B": None}):
        assert os.environ["GLUONLITE_TEST_A"] == "1" and "GLUONLITE_TEST_B" not in os.environ
    assert "GLUONLITE_TEST_A" not in os.environ and os.environ["GLUONLITE_TEST_B"] == "old"

    @test_utils.environment("GLUONLITE_TEST_B", "new")
    def read():
        return util.getenv("GLUONLITE_TEST_B")

    assert read() == "new" and os.environ["GLUONLITE_TEST_B"] == "old"
    util.setenv("GLUONLITE_TEST_B", None)
    assert util.getenv("GLUONLITE_TEST_B") is None
    with pytest.raises(ValueError), test_utils.environment("only-a-name"):
        pass


def test_use_np_is_exported():
    @test_utils.use_np
    def inside():
        return util.is_np_array()

    assert inside() and not util.is_np_array()
    assert util.get_gpu_count() == gl.num_gpus()
    with pytest.raises(MXNetValueError):
        util.use_np(42)


# ---- runtime --------------------------------------------------------------------------------
def test_runtime_features():
    features = runtime.Features()
    assert features is runtime.Features()
    assert "CUDA" in features and next(iter(features)) == "CUDA"
    assert features.is_enabled("cuda") == (gl.num_gpus() > 0)
    assert features.is_enabled("CPU") and features.is_enabled("LAPACK")
    assert features.is_enabled("OPENCV") == _importable("PIL")
    assert features.is_enabled("MPI") == _importable("mpi4py")
    with pytest.raises(RuntimeError, match="unknown"):
        features.is_enabled("FLUX_CAPACITOR")
    feature = features["CPU"]
    assert feature.name == "CPU" and feature.enabled and repr(feature) == "✔ CPU"
    assert repr(features).startswith("[") and "CUDA" in repr(features)
    assert [f.name for f in runtime.feature_list()] == list(features)


def _importable(name):
    import importlib.util

    return importlib.util.find_spec(name) is not None
