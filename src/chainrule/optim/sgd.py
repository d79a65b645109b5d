"""Stochastic gradient descent, with optional momentum, Nesterov momentum and weight decay."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import xp_of
from ..kernels import FusedKernel
from .optimizer import Optimizer, ParamsT, check_non_negative, effective_grad


def _sgd_step(g: Any, lr: float, param: Any) -> None:
    param -= lr * g


def _sgd_momentum_step(
    g: Any, lr: float, momentum: float, damping: float, nesterov: int, param: Any, buffer: Any
) -> None:
    buffer *= momentum
    buffer += g if damping == 1 else damping * g
    param -= lr * (g + momentum * buffer if nesterov else buffer)


sgd_step = FusedKernel("sgd_step", "T g, T lr", "T param", "param -= lr * g", _sgd_step)
"""param -= lr * g: one pass over the parameters instead of two, which a GPU's memory
bandwidth feels on large layers."""

sgd_momentum_step = FusedKernel(
    "sgd_momentum_step",
    "T g, T lr, T momentum, T damping, int32 nesterov",
    "T param, T buffer",
    "buffer = momentum * buffer + damping * g;"
    "param -= lr * (nesterov ? g + momentum * buffer : buffer)",
    _sgd_momentum_step,
)
"""buffer = momentum * buffer + (1 - dampening) g; param -= lr * (Nesterov's g + momentum *
buffer, or the buffer)."""


class SGD(Optimizer):
    """Stochastic gradient descent, PyTorch's formulation.

    With g = grad (-grad to maximize) + weight_decay * p, each step is::

        b = g                                  (first step)
        b = momentum * b + (1 - dampening) * g (later steps)
        g = g + momentum * b if nesterov else b    (only when momentum != 0)
        p = p - lr * g

    State per parameter: ``momentum_buffer`` (b), when momentum != 0.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_non_negative("SGD", group, "lr", "momentum", "weight_decay")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                "SGD: nesterov=True needs momentum > 0 and dampening = 0, got "
                f"momentum={group['momentum']}, dampening={group['dampening']}"
            )

    def _state_names(self, group: dict[str, Any]) -> tuple[str, ...]:
        return ("momentum_buffer",) if group["momentum"] else ()

    def _update(self, group: dict[str, Any]) -> None:
        lr = group["lr"]
        momentum = group["momentum"]
        dampening = group["dampening"]
        weight_decay = group["weight_decay"]
        nesterov = group["nesterov"]
        maximize = group["maximize"]
        for p, g in self._with_grad(group):
            data = p.data
            if weight_decay or maximize:
                g = effective_grad(data, g, weight_decay, maximize)
            if not momentum:
                (_sgd_step if type(g) is np.ndarray else sgd_step)(g, lr, data)
                continue
            state = self.state.setdefault(p, {})
            buf = state.get("momentum_buffer")
            if buf is None:  # the first step starts the buffer at g, undamped
                buf = state["momentum_buffer"] = xp_of(data).array(g, dtype=data.dtype)
                data -= lr * (g + momentum * buf if nesterov else buf)
            else:
                step = _sgd_momentum_step if type(g) is np.ndarray else sgd_momentum_step
                step(g, lr, momentum, 1 - dampening, nesterov, data, buf)
