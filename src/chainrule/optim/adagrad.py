"""Adagrad: steps scaled by the root of the sum of all squared gradients so far."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import xp_of
from .optimizer import Optimizer, ParamsT, check_non_negative, effective_grad


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011), PyTorch's formulation.

    At step t, with g = grad (-grad to maximize) + weight_decay * p::

        s = s + g**2                           (s starts at initial_accumulator_value)
        p = p - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)

    State per parameter: ``step`` (t) and ``sum`` (s), made for every parameter as soon as
    it joins the optimizer, as in PyTorch.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        for p in group["params"]:
            self._state_of(p, group)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_non_negative(
            "Adagrad", group, "lr", "lr_decay", "eps", "weight_decay", "initial_accumulator_value"
        )

    def _state_names(self, group: dict[str, Any]) -> tuple[str, ...]:
        return ("step", "sum")

    def _new_state(self, data: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        return {"step": 0, "sum": xp_of(data).full_like(data, group["initial_accumulator_value"])}

    def _update(self, group: dict[str, Any]) -> None:
        lr = group["lr"]
        lr_decay = group["lr_decay"]
        eps = group["eps"]
        weight_decay = group["weight_decay"]
        maximize = group["maximize"]
        for p, g in self._with_grad(group):
            data = p.data
            xp = xp_of(data)
            state = self._state_of(p, group)
            step = state["step"] = state["step"] + 1
            if weight_decay or maximize:
                g = effective_grad(data, g, weight_decay, maximize)
            s = state["sum"]
            scratch = xp.multiply(g, g, out=xp.empty_like(data))
            s += scratch
            xp.sqrt(s, out=scratch)
            scratch += eps
            xp.divide(g, scratch, out=scratch)
            scratch *= lr / (1 + (step - 1) * lr_decay)
            data -= scratch
