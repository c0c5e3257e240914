"""Learning-rate schedules (MXNet's ``mx.lr_scheduler``): ``scheduler(num_update) -> lr``.

An optimizer calls its scheduler with its ``num_update`` before every update. Schedules may
keep a position (FactorScheduler and MultiFactorScheduler advance ``base_lr`` as updates
pass), which ``Trainer.save_states`` records so that a resumed run continues exactly. All take
a warmup: for ``num_update < warmup_steps`` the rate rises linearly from ``warmup_begin_lr`` to
the base rate (``warmup_mode='linear'``) or stays at ``warmup_begin_lr`` ('constant').
"""

from __future__ import annotations

import logging
import math

from .errors import MXNetValueError

_log = logging.getLogger(__name__)

__all__ = [
    "CosineScheduler",
    "FactorScheduler",
    "LRScheduler",
    "MultiFactorScheduler",
    "PolyScheduler",
]


class LRScheduler:
    """Base class: a constant ``base_lr`` after the warmup; subclasses define ``__call__``."""

    def __init__(
        self,
        base_lr: float = 0.01,
        warmup_steps: int = 0,
        warmup_begin_lr: float = 0,
        warmup_mode: str = "linear",
    ) -> None:
        self.base_lr = base_lr
        if not isinstance(warmup_steps, int):
            raise MXNetValueError(f"warmup_steps must be an int, got {warmup_steps!r}")
        self.warmup_steps = warmup_steps
        self.warmup_final_lr = base_lr
        self.warmup_begin_lr = warmup_begin_lr
        if self.warmup_begin_lr > self.warmup_final_lr:
            raise MXNetValueError(
                f"Base lr ({base_lr}) has to be higher than warmup_begin_lr ({warmup_begin_lr})"
            )
        if self.warmup_steps < 0:
            raise MXNetValueError("Warmup steps has to be positive or 0")
        if warmup_mode not in ("linear", "constant"):
            raise MXNetValueError(
                f"Supports only linear and constant modes of warmup, not {warmup_mode!r}"
            )
        self.warmup_mode = warmup_mode

    def get_warmup_lr(self, num_update: int) -> float:
        """The rate during warmup (``num_update < warmup_steps``)."""
        if self.warmup_mode == "linear":
            increase = (self.warmup_final_lr - self.warmup_begin_lr) * (
                float(num_update) / float(self.warmup_steps)
            )
            return self.warmup_begin_lr + increase
        return self.warmup_begin_lr

    def __call__(self, num_update: int) -> float:
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        return self.base_lr


class FactorScheduler(LRScheduler):
    """Multiply the rate by ``factor`` every ``step`` updates, never below ``stop_factor_lr``:
    ``lr = base_lr * factor ** floor((num_update - 1) / step)``."""

    def __init__(
        self,
        step: int,
        factor: float = 1,
        stop_factor_lr: float = 1e-8,
        base_lr: float = 0.01,
        warmup_steps: int = 0,
        warmup_begin_lr: float = 0,
        warmup_mode: str = "linear",
    ) -> None:
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        if step < 1:
            raise MXNetValueError("Schedule step must be greater or equal than 1 round")
        if factor > 1.0:
            raise MXNetValueError("Factor must be no more than 1 to make lr reduce")
        self.step = step
        self.factor = factor
        self.stop_factor_lr = stop_factor_lr
        self.count = 0

    def __call__(self, num_update: int) -> float:
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        # a while, not an if: jumping ahead (a resumed run) applies every missed decay
        while num_update > self.count + self.step:
            self.count += self.step
            self.base_lr *= self.factor
            if self.base_lr < self.stop_factor_lr:
                self.base_lr = self.stop_factor_lr
                _log.info(
                    "Update[%d]: now learning rate arrived at %0.5e, will not change in the future",
                    num_update,
                    self.base_lr,
                )
            else:
                _log.info("Update[%d]: Change learning rate to %0.5e", num_update, self.base_lr)
        return self.base_lr


class MultiFactorScheduler(LRScheduler):
    """Multiply the rate by ``factor`` once ``num_update`` passes each of the increasing
    update counts in ``step``."""

    def __init__(
        self,
        step: list[int],
        factor: float = 1,
        base_lr: float = 0.01,
        warmup_steps: int = 0,
        warmup_begin_lr: float = 0,
        warmup_mode: str = "linear",
    ) -> None:
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        if not isinstance(step, list) or len(step) < 1:
            raise MXNetValueError(f"step must be a non-empty list of update counts, got {step!r}")
        for i, s in enumerate(step):
            if i != 0 and s <= step[i - 1]:
                raise MXNetValueError("Schedule step must be an increasing integer list")
            if s < 1:
                raise MXNetValueError("Schedule step must be greater or equal than 1 round")
        if factor > 1.0:
            raise MXNetValueError("Factor must be no more than 1 to make lr reduce")
        self.step = step
        self.cur_step_ind = 0
        self.factor = factor
        self.count = 0

    def __call__(self, num_update: int) -> float:
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        while self.cur_step_ind < len(self.step) and num_update > self.step[self.cur_step_ind]:
            self.count = self.step[self.cur_step_ind]
            self.cur_step_ind += 1
            self.base_lr *= self.factor
            _log.info("Update[%d]: Change learning rate to %0.5e", num_update, self.base_lr)
        return self.base_lr


class _DecayToFinal(LRScheduler):
    """A schedule from ``base_lr`` after the warmup to ``final_lr`` at ``max_update``, shaped by
    ``_shape(frac)`` (1 at the warmup's end, 0 at ``max_update``)."""

    def __init__(
        self,
        max_update: int,
        base_lr: float,
        final_lr: float,
        warmup_steps: int,
        warmup_begin_lr: float,
        warmup_mode: str,
    ) -> None:
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        if not isinstance(max_update, int) or max_update < 1:
            raise MXNetValueError(
                f"maximum number of updates must be a strictly positive int, got {max_update!r}"
            )
        self.base_lr_orig = self.base_lr
        self.max_update = max_update
        self.final_lr = final_lr
        self.max_steps = self.max_update - self.warmup_steps

    def _shape(self, frac: float) -> float:
        raise NotImplementedError

    def __call__(self, num_update: int) -> float:
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        if num_update <= self.max_update:
            frac = (num_update - self.warmup_steps) / self.max_steps
            self.base_lr = self.final_lr + (self.base_lr_orig - self.final_lr) * self._shape(frac)
        return self.base_lr


class PolyScheduler(_DecayToFinal):
    """Polynomial decay to ``final_lr`` at ``max_update``:
    ``final_lr + (base_lr - final_lr) * (1 - (n - warmup) / (max_update - warmup)) ** pwr``."""

    def __init__(
        self,
        max_update: int,
        base_lr: float = 0.01,
        pwr: float = 2,
        final_lr: float = 0,
        warmup_steps: int = 0,
        warmup_begin_lr: float = 0,
        warmup_mode: str = "linear",
    ) -> None:
        self.power = pwr
        super().__init__(max_update, base_lr, final_lr, warmup_steps, warmup_begin_lr, warmup_mode)

    def _shape(self, frac: float) -> float:
        return pow(1 - frac, self.power)


class CosineScheduler(_DecayToFinal):
    """Cosine decay to ``final_lr`` at ``max_update``:
    ``final_lr + (base_lr - final_lr) * (1 + cos(pi * (n - warmup) / (max_update - warmup))) / 2``.
    """

    def __init__(
        self,
        max_update: int,
        base_lr: float = 0.01,
        final_lr: float = 0,
        warmup_steps: int = 0,
        warmup_begin_lr: float = 0,
        warmup_mode: str = "linear",
    ) -> None:
        super().__init__(max_update, base_lr, final_lr, warmup_steps, warmup_begin_lr, warmup_mode)

    def _shape(self, frac: float) -> float:
        return (1 + math.cos(math.pi * frac)) / 2
