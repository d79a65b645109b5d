"""Learning-rate schedules: each ``step()`` sets the ``lr`` of every parameter group.

As in PyTorch, a scheduler counts epochs in ``last_epoch``: making one is epoch 0 (the
optimizer's lr stays as given, and is remembered as each group's ``"initial_lr"``), and each
``step()``, called after the epoch's ``optimizer.step()``, moves to the next epoch.

Each step changes the lr each group has now (PyTorch's recursive, "chainable" form), so
two schedulers on one optimizer compose, and an lr changed by hand carries on from there.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .optimizer import Optimizer


class LRScheduler:
    """Base class: subclasses write ``get_lr()``, the lrs of epoch ``last_epoch``."""

    _last_lr: list[float]
    _is_initial = False  # True during the constructor's step, which keeps the lrs as they are

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{type(self).__name__} needs an Optimizer, got {type(optimizer).__name__}"
            )
        self.optimizer = optimizer
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(
                    f"param_groups[{i}] has no 'initial_lr' to resume from at last_epoch="
                    f"{last_epoch}; load the optimizer's state dict first, or pass last_epoch=-1"
                )
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._is_initial = True
        self.step()
        del self._is_initial  # back to the class's False, and out of state_dict()

    def get_lr(self) -> list[float]:
        """The lr of each parameter group at epoch ``last_epoch``."""
        raise NotImplementedError(f"{type(self).__name__} must define get_lr()")

    def step(self) -> None:
        """Move to the next epoch and set each group's lr for it."""
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The lrs the last ``step()`` (or the constructor) set, one per parameter group."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Every attribute but the optimizer (which saves its own state), as in PyTorch."""
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Resume from ``state_dict()``; load the optimizer's own state dict as well."""
        expected = self.state_dict().keys()
        if state_dict.keys() != expected:
            raise ValueError(
                f"{type(self).__name__}.load_state_dict expects the keys "
                f"{sorted(expected)}, got {sorted(state_dict)}; was it saved by another scheduler?"
            )
        self.__dict__.update(state_dict)


class StepLR(LRScheduler):
    """Multiply the lr by ``gamma`` every ``step_size`` epochs:
    lr = initial_lr * gamma ** (epoch // step_size)."""

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        if isinstance(step_size, bool) or not isinstance(step_size, int) or step_size < 1:
            raise ValueError(f"StepLR: step_size must be an integer >= 1, got {step_size!r}")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        # Each change multiplies the current lr, as PyTorch does, so that other changes to
        # the lr (another scheduler, a manual one) carry on.
        groups = self.optimizer.param_groups
        if self.last_epoch == 0 or self.last_epoch % self.step_size:
            return [group["lr"] for group in groups]
        return [group["lr"] * self.gamma for group in groups]


class CosineAnnealingLR(LRScheduler):
    """Anneal the lr from its initial value to ``eta_min`` along half a cosine over ``T_max``
    epochs: lr = eta_min + (initial_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2.

    As in PyTorch, each step scales the current lr's distance to ``eta_min`` by the ratio of
    this epoch's cosine term to the last one's, which gives the formula above when nothing
    else touches the lr, and keeps a change by another scheduler or by hand. Past ``T_max``
    the cosine carries on, so the lr rises again.
    """

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0, last_epoch: int = -1
    ) -> None:
        if isinstance(T_max, bool) or not isinstance(T_max, int) or T_max < 1:
            raise ValueError(f"CosineAnnealingLR: T_max must be an integer >= 1, got {T_max!r}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        groups = self.optimizer.param_groups
        if self._is_initial:  # keep the lrs a loaded optimizer state dict set
            return [group["lr"] for group in groups]
        epoch, period, eta_min = self.last_epoch, self.T_max, self.eta_min
        if (epoch - 1 - period) % (2 * period) == 0:
            # One past a trough, where the ratio below would divide by 0: climb out of it by
            # the closed form's step.
            rise = (1 - math.cos(math.pi / period)) / 2
            return [
                group["lr"] + (base - eta_min) * rise
                for base, group in zip(self.base_lrs, groups, strict=True)
            ]
        ratio = (1 + math.cos(math.pi * epoch / period)) / (
            1 + math.cos(math.pi * (epoch - 1) / period)
        )
        return [eta_min + (group["lr"] - eta_min) * ratio for group in groups]
