"""Test-wide settings: hypothesis profiles (a quick default; HYPOTHESIS_PROFILE=thorough for
more examples) and a fixed global seed for every test."""
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "default", max_examples=12, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                           HealthCheck.data_too_large],
)
settings.register_profile(
    "thorough", max_examples=200, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(autouse=True)
def _seed():
    """Every test starts from the same NumPy and gluonlite random state."""
    import gluonlite

    np.random.seed(0)
    gluonlite.random.seed(0)
    yield
