"""Losses fused with their output nonlinearity, for stability and one-step gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import kernels
from .._backend import is_gpu_array, xp_of
from ..function import Function


def _reduce(per_sample: Any, reduction: str) -> Any:
    if reduction == "none":
        return per_sample
    total = xp_of(per_sample).add.reduce(per_sample, axis=None)  # .sum(), unwrapped
    return total / per_sample.size if reduction == "mean" else total


def _unreduce(g: Any, count: int, reduction: str) -> Any:
    """The incoming gradient as a per-sample factor, ready to broadcast over the samples: a
    Python number for a reduced loss (arithmetic on 0-d arrays costs more than the math)."""
    if reduction == "none":
        return g
    if not is_gpu_array(g):  # reading a GPU number would wait for the GPU; keep it there
        g = float(g)
    return g / count if reduction == "mean" else g


class MeanSquaredError(Function):
    """loss = reduce((x - t)²), in one op: the difference is computed once and reused."""

    formula = "dx = 2 (x - t) * g / N;  dt = -dx"

    @staticmethod
    def forward(ctx: Function, x: Any, target: Any, reduction: str) -> Any:
        diff = x - target
        ctx.save_for_backward(diff)
        ctx.reduction = reduction
        if reduction == "none":
            return diff * diff
        flat = diff.reshape(-1)
        total = xp_of(flat).dot(flat, flat)  # the sum of squares in one BLAS call
        return total / flat.size if reduction == "mean" else total

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, Any, None]:
        (diff,) = ctx.saved_tensors
        grad = diff * (2 * _unreduce(g, diff.size, ctx.reduction))
        return grad, (-grad if ctx.needs_input_grad[1] else None), None


class SoftmaxCrossEntropy(Function):
    """loss_n = -sum_c target_nc * log softmax(x_n)_c, over logits x (N, C).

    ``target`` holds class indices (N,) or class probabilities (N, C). The backward is
    seed 004's (softmax(x) - target) / N, in one step.
    """

    formula = "dx = (softmax(x) - target) * g / N"

    @staticmethod
    def forward(ctx: Function, x: Any, target: Any, reduction: str) -> Any:
        # log softmax(x)_t = (x_t - max x) - log Σ exp(x - max x): only the target's entry is
        # needed, and the exponentials become the saved probabilities in place.
        xp = xp_of(x)
        shifted = x - x.max(axis=1, keepdims=True)  # CuPy has no maximum.reduce
        if target.ndim == 1:
            picked = shifted[xp.arange(x.shape[0]), target]
        else:
            picked = xp.add.reduce(target * shifted, axis=1)
        probs = xp.exp(shifted, out=shifted)
        total = xp.add.reduce(probs, axis=1, keepdims=True)
        probs /= total
        per_sample = xp.log(total[:, 0]) - picked
        ctx.save_for_backward(probs, target)
        ctx.reduction = reduction
        return _reduce(per_sample, reduction)

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, None, None]:
        probs, target = ctx.saved_tensors
        scale = _unreduce(g, probs.shape[0], ctx.reduction)
        if ctx.reduction == "none":
            scale = scale[:, None]
        if target.ndim == 1:
            labels = target.astype(np.int64, copy=False)
            return kernels.cross_entropy_backward(probs, labels, probs.shape[1], scale), None, None
        grad = probs - target
        grad *= scale
        return grad, None, None


class BCEWithLogits(Function):
    """loss = -(t log σ(x) + (1 - t) log(1 - σ(x))), written as max(x, 0) - x t + log(1 + e^-|x|)
    so that no exp overflows and no log sees 0."""

    formula = "dx = (sigmoid(x) - t) * g / N"

    @staticmethod
    def forward(ctx: Function, x: Any, target: Any, reduction: str) -> Any:
        xp = xp_of(x)
        per_element = xp.maximum(x, 0) - x * target + xp.log1p(xp.exp(-abs(x)))
        ctx.save_for_backward(x, target)
        ctx.reduction = reduction
        return _reduce(per_element, reduction)

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, None, None]:
        x, target = ctx.saved_tensors
        with np.errstate(over="ignore"):
            probs = 1 / (1 + xp_of(x).exp(-x))
        return (probs - target) * _unreduce(g, x.size, ctx.reduction), None, None


class BinaryCrossEntropy(Function):
    """loss = -(t log p + (1 - t) log(1 - p)) for probabilities p, each log clamped at -100.

    The clamps keep the loss finite at p = 0 or 1 (a saturated sigmoid reaches them in
    float32); the gradient's denominator is kept at least 1e-12 for the same reason.
    These are PyTorch's choices, so the two libraries agree there too.
    """

    formula = "dp = (p - t) / max(p (1 - p), 1e-12) * g / N"

    @staticmethod
    def forward(ctx: Function, p: Any, target: Any, reduction: str) -> Any:
        xp = xp_of(p)
        with np.errstate(divide="ignore"):
            log_p = xp.maximum(xp.log(p), -100)
            log_not_p = xp.maximum(xp.log1p(-p), -100)
        ctx.save_for_backward(p, target)
        ctx.reduction = reduction
        return _reduce(-(target * log_p + (1 - target) * log_not_p), reduction)

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, None, None]:
        p, target = ctx.saved_tensors
        grad = (p - target) / xp_of(p).maximum(p * (1 - p), 1e-12)
        return grad * _unreduce(g, p.size, ctx.reduction), None, None
