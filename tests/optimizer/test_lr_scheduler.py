"""Learning-rate schedules: values against their formulas, warmup (linear and constant),
MXNet's stepping conventions, resumption by jumping ahead, and argument errors."""

import math

import pytest

from gluonlite import lr_scheduler as lrs
from gluonlite.errors import MXNetValueError


def values(sched, upto):
    return [sched(n) for n in range(upto)]


def test_base_scheduler_warmup_modes():
    linear = lrs.LRScheduler(base_lr=1.0, warmup_steps=4, warmup_begin_lr=0.2)
    assert values(linear, 6) == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0, 1.0])
    const = lrs.LRScheduler(
        base_lr=1.0, warmup_steps=3, warmup_begin_lr=0.1, warmup_mode="constant"
    )
    assert values(const, 5) == pytest.approx([0.1, 0.1, 0.1, 1.0, 1.0])


def test_factor_scheduler():
    sched = lrs.FactorScheduler(step=3, factor=0.5, base_lr=1.0)
    # lr = base * factor ** floor((n - 1) / step) for n >= 1
    want = [1.0] + [0.5 ** ((n - 1) // 3) for n in range(1, 12)]
    assert values(sched, 12) == pytest.approx(want)


def test_factor_scheduler_floor_and_warmup():
    sched = lrs.FactorScheduler(
        step=1, factor=0.1, stop_factor_lr=1e-3, base_lr=1.0, warmup_steps=2, warmup_begin_lr=0.5
    )
    assert values(sched, 7) == pytest.approx([0.5, 0.75, 0.1, 0.01, 1e-3, 1e-3, 1e-3])


def test_factor_scheduler_jumps_ahead():
    """A resumed run calls the schedule at a late update first: all decays apply at once."""
    sched = lrs.FactorScheduler(step=2, factor=0.5, base_lr=1.0)
    assert sched(9) == pytest.approx(0.0625)
    assert sched.count == 8


def test_multi_factor_scheduler():
    sched = lrs.MultiFactorScheduler(step=[2, 5], factor=0.1, base_lr=1.0)
    assert values(sched, 8) == pytest.approx([1, 1, 1, 0.1, 0.1, 0.1, 0.01, 0.01])
    warm = lrs.MultiFactorScheduler(
        step=[4], factor=0.5, base_lr=1.0, warmup_steps=2, warmup_begin_lr=0.0
    )
    assert values(warm, 6) == pytest.approx([0.0, 0.5, 1.0, 1.0, 1.0, 0.5])


def test_poly_scheduler():
    sched = lrs.PolyScheduler(
        max_update=10, base_lr=2.0, pwr=2, final_lr=0.5, warmup_steps=2, warmup_begin_lr=1.0
    )
    want = [1.0, 1.5] + [0.5 + 1.5 * (1 - (n - 2) / 8) ** 2 for n in range(2, 11)] + [0.5, 0.5]
    assert values(sched, 13) == pytest.approx(want)


def test_cosine_scheduler():
    sched = lrs.CosineScheduler(
        max_update=8, base_lr=1.0, final_lr=0.2, warmup_steps=3, warmup_begin_lr=0.1
    )
    warm = [0.1 + 0.9 * n / 3 for n in range(3)]
    cos = [0.2 + 0.8 * (1 + math.cos(math.pi * (n - 3) / 5)) / 2 for n in range(3, 9)]
    assert values(sched, 10) == pytest.approx(warm + cos + [0.2])


@pytest.mark.parametrize(("make", "match"), [
    (lambda: lrs.FactorScheduler(step=0), "greater or equal than 1"),
    (lambda: lrs.FactorScheduler(step=2, factor=1.5), "no more than 1"),
    (lambda: lrs.MultiFactorScheduler(step=[3, 2]), "increasing"),
    (lambda: lrs.MultiFactorScheduler(step=[0, 2]), "greater or equal than 1"),
    (lambda: lrs.PolyScheduler(max_update=0), "strictly positive"),
    (lambda: lrs.CosineScheduler(max_update=10, warmup_steps=-1), "positive or 0"),
    (lambda: lrs.LRScheduler(base_lr=0.1, warmup_begin_lr=1.0), "higher than warmup_begin_lr"),
    (lambda: lrs.LRScheduler(warmup_mode="cubic"), "linear and constant"),
])  # fmt: skip
def test_argument_errors(make, match):
    with pytest.raises(MXNetValueError, match=match):
        make()
