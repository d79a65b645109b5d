"""Adam, and AdamW (Adam with weight decay applied to the parameters, not the gradient)."""

from __future__ import annotations

from typing import Any

from .._backend import xp_of
from ..kernels import FusedKernel
from .optimizer import Optimizer, ParamsT, check_non_negative, effective_grad


def _adam_step(
    g: Any,
    step_size: float,
    one_minus_beta1: float,
    beta2: float,
    one_minus_beta2: float,
    eps: float,
    bias2_sqrt: float,
    param: Any,
    m: Any,
    v: Any,
    v_max: Any = None,
) -> None:
    xp = xp_of(param)
    scratch = xp.subtract(g, m, out=xp.empty_like(param))
    scratch *= one_minus_beta1
    m += scratch  # m + (1 - beta1) * (g - m), as torch.lerp computes it
    xp.multiply(g, g, out=scratch)
    scratch *= one_minus_beta2
    v *= beta2
    v += scratch
    if v_max is not None:
        v = xp.maximum(v_max, v, out=v_max)
    xp.sqrt(v, out=scratch)
    scratch /= bias2_sqrt
    scratch += eps
    xp.divide(m, scratch, out=scratch)
    scratch *= step_size
    param -= scratch


_ADAM_PARAMS = (
    "T g, T step_size, T one_minus_beta1, T beta2, T one_minus_beta2, T eps, T bias2_sqrt"
)
_ADAM_MOMENTS = "m += one_minus_beta1 * (g - m); v = beta2 * v + one_minus_beta2 * (g * g);"

adam_step = FusedKernel(
    "adam_step",
    _ADAM_PARAMS,
    "T param, T m, T v",
    _ADAM_MOMENTS + "param -= step_size * m / (sqrt(v) / bias2_sqrt + eps)",
    _adam_step,
)
"""Adam's moments and update, bias-corrected: step_size = lr / (1 - β1^t) and
bias2_sqrt = √(1 - β2^t)."""

amsgrad_step = FusedKernel(
    "amsgrad_step",
    _ADAM_PARAMS,
    "T param, T m, T v, T v_max",
    _ADAM_MOMENTS
    + "v_max = max(v_max, v); param -= step_size * m / (sqrt(v_max) / bias2_sqrt + eps)",
    _adam_step,
)
"""Adam with AMSGrad: the update divides by the largest second moment seen so far."""


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), PyTorch's formulation.

    At step t, with g = grad (-grad to maximize), plus weight_decay * p unless the weight
    decay is decoupled, in which case p = p * (1 - lr * weight_decay) first::

        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        v_max = max(v_max, v)                  (amsgrad; v_max replaces v below)
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    State per parameter: ``step`` (t), ``exp_avg`` (m), ``exp_avg_sq`` (v) and, with amsgrad,
    ``max_exp_avg_sq`` (v_max).
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        name = type(self).__name__
        check_non_negative(name, group, "lr", "eps", "weight_decay")
        betas = group["betas"]
        if not (
            isinstance(betas, tuple | list)
            and len(betas) == 2
            and all(isinstance(b, int | float) and 0 <= b < 1 for b in betas)
        ):
            raise ValueError(f"{name}: betas must be two numbers in [0, 1), got {betas!r}")

    def _state_names(self, group: dict[str, Any]) -> tuple[str, ...]:
        names = ("step", "exp_avg", "exp_avg_sq")
        return (*names, "max_exp_avg_sq") if group["amsgrad"] else names

    def _update(self, group: dict[str, Any]) -> None:
        lr = group["lr"]
        beta1, beta2 = group["betas"]
        eps = group["eps"]
        weight_decay = group["weight_decay"]
        amsgrad = group["amsgrad"]
        maximize = group["maximize"]
        decoupled = group["decoupled_weight_decay"]
        for p, g in self._with_grad(group):
            data = p.data
            state = self._state_of(p, group)
            step = state["step"] = state["step"] + 1
            if decoupled:
                if weight_decay:
                    data *= 1 - lr * weight_decay
                if maximize:
                    g = -g
            elif weight_decay or maximize:
                g = effective_grad(data, g, weight_decay, maximize)
            scalars = (lr / (1 - beta1**step), 1 - beta1, beta2, 1 - beta2, eps)
            moments = (data, state["exp_avg"], state["exp_avg_sq"])
            bias2_sqrt = (1 - beta2**step) ** 0.5
            if amsgrad:
                amsgrad_step(g, *scalars, bias2_sqrt, *moments, state["max_exp_avg_sq"])
            else:
                adam_step(g, *scalars, bias2_sqrt, *moments)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019): each step first shrinks
    the parameters, p = p * (1 - lr * weight_decay), and the decay never enters m or v.

    The same as ``Adam(..., decoupled_weight_decay=True)``, with weight_decay 1e-2 by default.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )
