"""Every test here leaves the NumPy interface off (``npx.reset_np()``), whatever it switched on,
so the other test packages keep seeing ``nd.NDArray`` defaults."""

import pytest

from gluonlite import util


@pytest.fixture(autouse=True)
def _np_mode_off():
    util.reset_np()
    yield
    util.reset_np()
