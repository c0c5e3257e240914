"""Every registered op: forward against its NumPy reference and gradient against finite
differences, on hypothesis-drawn shapes and values; and no op may be registered untested."""
import importlib
import pathlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

import gluonlite as gl

from .sampling import SAMPLES, check_forward, check_grad

for _path in sorted(pathlib.Path(__file__).parent.glob("samples_*.py")):
    importlib.import_module(f"{__package__}.{_path.stem}")


def test_every_op_has_samples():
    covered = {s.op for s in SAMPLES}
    missing = sorted(op.name for op in gl.ops.all_ops() if op.name not in covered)
    assert not missing, f"registered ops without test samples: {missing}"


def test_samples_name_registered_ops():
    names = {op.name for op in gl.ops.all_ops()}
    unknown = sorted({s.op for s in SAMPLES} - names)
    assert not unknown, f"samples for ops that are not registered: {unknown}"


@pytest.mark.parametrize("s", SAMPLES, ids=lambda s: s.id)
@given(data=st.data())
def test_forward(s, data):
    args, attrs = s.build(data.draw)
    check_forward(s, args, attrs)


GRAD_SAMPLES = [s for s in SAMPLES if s.grad]


@pytest.mark.parametrize("s", GRAD_SAMPLES, ids=lambda s: s.id)
@given(data=st.data())
def test_gradient(s, data):
    args, attrs = s.build(data.draw)
    check_grad(s, args, attrs)
