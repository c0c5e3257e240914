"""Contexts, the error hierarchy, and the package's import-time promises."""
import subprocess
import sys

import numpy as np
import pytest

import gluonlite as gl
from gluonlite import base, nd


def test_contexts():
    assert gl.cpu() == gl.cpu(0) == gl.Context("cpu", 0)
    assert str(gl.cpu(1)) == "cpu(1)" and gl.cpu(1) != gl.cpu()
    assert gl.current_context() == gl.cpu()
    with gl.cpu(3):
        assert gl.current_context() == gl.cpu(3)
        assert nd.zeros((2,)).context == gl.cpu(3)
    assert gl.current_context() == gl.cpu()
    assert hash(gl.cpu()) == hash(gl.Context("cpu"))


@pytest.mark.skipif(gl.num_gpus() > 0, reason="checks the no-GPU error")
def test_gpu_without_cupy_or_device_says_what_is_missing():
    with pytest.raises(gl.MXNetError, match="CuPy"):
        gl.gpu(0)


def test_error_classes_subclass_builtins():
    assert issubclass(gl.errors.MXNetValueError, ValueError)
    assert issubclass(gl.errors.ShapeError, gl.MXNetError)
    assert issubclass(gl.errors.MXNetTypeError, TypeError)
    assert base.MXNetError is gl.MXNetError
    assert isinstance(3, base.integer_types) and isinstance(2.0, base.numeric_types)
    assert base.py_str(b"ab") == "ab"


def test_broadcast_mismatch_names_op_shapes_and_user_line():
    with pytest.raises(gl.errors.ShapeError) as info:
        nd.ones((2, 3)) + nd.ones((4,))
    msg = str(info.value)
    assert "'add'" in msg and "(2, 3)" in msg and "(4,)" in msg and "test_core.py" in msg


def test_dot_mismatch_names_both_shapes():
    with pytest.raises(ValueError) as info:
        nd.dot(nd.ones((2, 3)), nd.ones((4, 5)))
    assert "(2, 3)" in str(info.value) and "(4, 5)" in str(info.value)


def test_ragged_input_is_refused():
    with pytest.raises(ValueError, match="ragged"):
        nd.array([[1, 2], [3]])


def test_import_needs_no_gpu_stack():
    code = (
        "import sys, gluonlite; "
        "bad = [m for m in ('cupy', 'PIL', 'mpi4py', 'scipy', 'torch', 'matplotlib') "
        "if m in sys.modules]; print(bad); assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_default_dtype_is_float32():
    assert nd.array(np.arange(3.0)).dtype == np.float32
    assert nd.array([1, 2]).dtype == np.float32
    assert nd.array(np.arange(3.0), dtype="float64").dtype == np.float64
    assert nd.zeros((2,)).dtype == np.float32
