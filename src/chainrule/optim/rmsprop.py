"""RMSprop: steps scaled by a running root-mean-square of the gradient."""

from __future__ import annotations

from typing import Any

from .._backend import xp_of
from .optimizer import Optimizer, ParamsT, check_non_negative, effective_grad


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture 6e), PyTorch's formulation.

    With g = grad (-grad to maximize) + weight_decay * p, each step is::

        v = alpha * v + (1 - alpha) * g**2
        a = alpha * a + (1 - alpha) * g        (centered only)
        d = sqrt(v - a**2) + eps if centered else sqrt(v) + eps
        b = momentum * b + g / d;  p = p - lr * b      (momentum > 0)
        p = p - lr * g / d                             (momentum = 0)

    State per parameter: ``step``, ``square_avg`` (v), and ``momentum_buffer`` (b) when
    momentum > 0, ``grad_avg`` (a) when centered.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "alpha": alpha,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "centered": centered,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        check_non_negative("RMSprop", group, "lr", "alpha", "eps", "weight_decay", "momentum")

    def _state_names(self, group: dict[str, Any]) -> tuple[str, ...]:
        names = ("step", "square_avg")
        if group["momentum"] > 0:
            names += ("momentum_buffer",)
        if group["centered"]:
            names += ("grad_avg",)
        return names

    def _update(self, group: dict[str, Any]) -> None:
        lr = group["lr"]
        alpha = group["alpha"]
        eps = group["eps"]
        weight_decay = group["weight_decay"]
        momentum = group["momentum"]
        centered = group["centered"]
        maximize = group["maximize"]
        for p, g in self._with_grad(group):
            data = p.data
            xp = xp_of(data)
            state = self._state_of(p, group)
            state["step"] += 1
            if weight_decay or maximize:
                g = effective_grad(data, g, weight_decay, maximize)
            v = state["square_avg"]
            scratch = xp.multiply(g, g, out=xp.empty_like(data))
            scratch *= 1 - alpha
            v *= alpha
            v += scratch
            if centered:
                a = state["grad_avg"]
                xp.subtract(g, a, out=scratch)
                scratch *= 1 - alpha
                a += scratch  # a + (1 - alpha) * (g - a), as torch.lerp computes it
                xp.multiply(a, a, out=scratch)
                xp.subtract(v, scratch, out=scratch)
                xp.sqrt(scratch, out=scratch)
            else:
                xp.sqrt(v, out=scratch)
            scratch += eps
            xp.divide(g, scratch, out=scratch)
            if momentum > 0:
                b = state["momentum_buffer"]
                b *= momentum
                b += scratch
                xp.multiply(b, lr, out=scratch)
            else:
                scratch *= lr
            data -= scratch
