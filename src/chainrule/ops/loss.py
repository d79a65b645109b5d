"""Losses fused with their output nonlinearity, for stability and one-step gradients."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._backend import is_gpu_array, xp_of
from ..function import Function
from ..kernels import FusedKernel


def _mean(total: Any, count: int) -> Any:
    """total / count; NaN for an empty batch, silently, as in PyTorch (0 / 0 would warn)."""
    return total / count if count else total * math.nan


def _reduce(per_sample: Any, reduction: str, count: int | None = None) -> Any:
    """The loss ``reduction`` asks for; a mean divides by ``count`` (the number of samples
    unless given)."""
    if reduction == "none":
        return per_sample
    total = xp_of(per_sample).add.reduce(per_sample, axis=None)  # .sum(), unwrapped
    if reduction == "sum":
        return total
    return _mean(total, per_sample.size if count is None else count)


def _unreduce(g: Any, count: int, reduction: str) -> Any:
    """The incoming gradient as a per-sample factor, ready to broadcast over the samples: a
    Python number for a reduced loss (arithmetic on 0-d arrays costs more than the math).
    An empty batch has no samples to scale: the factor is then ``g`` itself."""
    if reduction == "none":
        return g
    if type(g) is np.ndarray or not is_gpu_array(g):  # reading a GPU number would wait for
        g = float(g)  # the GPU: keep it there
    return g / count if reduction == "mean" and count else g


class MeanSquaredError(Function):
    """loss = reduce((x - t)²), in one op: the difference is computed once and reused."""

    formula = "dx = 2 (x - t) * g / N;  dt = -dx"

    @staticmethod
    def forward(ctx: Function, x: Any, target: Any, reduction: str) -> Any:
        diff = x - target
        ctx.save_for_backward(diff, x, target)  # x and target as PyTorch, for the version check
        ctx.reduction = reduction
        if reduction == "none":
            return diff * diff
        xp = xp_of(diff)
        flat = diff.reshape(-1)
        total = xp.dot(flat, flat)  # the sum of squares in one BLAS call
        # A 0-d array, as the graph keeps it (NumPy's dot gives a scalar).
        return xp.asarray(_mean(total, flat.size) if reduction == "mean" else total)

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, Any, None]:
        diff = ctx.saved_tensors[0]
        grad = diff * (2 * _unreduce(g, diff.size, ctx.reduction))
        return grad, (-grad if ctx.needs_input_grad[1] else None), None

    @staticmethod
    def replay_forward(e: Any, op: Any) -> None:
        """``cr.compile``'s replay of forward (``chainrule.replay``): the difference into a
        buffer, its sum of squares in one dot; "none", a mix of dtypes or an empty batch is
        replayed by calling forward."""
        x, target, reduction = op.args
        if reduction == "none" or x.dtype != target.dtype or not x.array.size:
            e.call_forward(op)
            return
        diff = e.buffer(x.shape, x.dtype)
        e.line(f"xp.subtract({e.arg(op, 0)}, {e.arg(op, 1)}, out={diff})")
        flat = e.view(diff, ".reshape(-1)")
        total = f"xp.dot({flat}, {flat})"
        loss = e.local("loss")
        count = x.array.size
        e.line(
            f"{loss} = _as_array({total} / {count})"
            if reduction == "mean"
            else f"{loss} = _as_array({total})"
        )
        op.saved["diff"] = diff
        e.out(op, loss, fresh=True)

    @staticmethod
    def replay_backward(e: Any, op: Any, g: str, into: list, grads: list) -> list:
        """The replay of backward: diff times 2 g (over N), and its negative for a target
        that needs a gradient."""
        diff = op.saved["diff"]
        count = op.args[0].array.size if op.args[2] == "mean" else None
        known = e.scalar(g)
        if known is not None:
            scale = e.typed(2 * (known / count if count else known), op.args[0].dtype)
        else:
            scale = e.local("scale")
            e.line(
                f"{scale} = 2 * (float({g}) / {count})" if count else f"{scale} = 2 * float({g})"
            )
        grad = into[0] or e.buffer(*grads[0])
        e.line(f"xp.multiply({diff}, {scale}, out={grad})")
        if not op.needs[1]:
            return [grad, None, None]
        negated = into[1] or e.buffer(*grads[1])
        e.line(f"xp.negative({grad}, out={negated})")
        return [grad, negated, None]


def _cross_entropy_backward(probs: Any, target: Any, classes: int, scale: Any) -> Any:
    # softmax * scale, less scale at the target: PyTorch's order, so that an infinite scale
    # gives NaN at the target and inf elsewhere, as PyTorch's does.
    grad = probs * scale
    rows = xp_of(probs).arange(probs.shape[0])
    grad[rows, target] -= scale if not hasattr(scale, "ndim") or not scale.ndim else scale[:, 0]
    return grad


cross_entropy_backward_kernel = FusedKernel(
    "cross_entropy_backward",
    "T probs, raw int64 target, int64 classes, T scale",
    "T dx",
    "dx = probs * scale - (i % classes == target[i / classes] ? scale : (T)0)",
    _cross_entropy_backward,
)
"""dx = softmax(x) * scale - one_hot(target) * scale, for class-index targets (the one-hot
term a select, so that an infinite scale gives NaN only at the target, as in PyTorch);
``scale`` is g / N, or g[:, None] per sample when unreduced."""


class SoftmaxCrossEntropy(Function):
    """loss_n = -sum_c target_nc * log softmax(x_n)_c, over logits x (N, C).

    ``target`` holds class indices (N,) or class probabilities (N, C); the probabilities may
    be any weights (multi-hot, unnormalised, negative), as in PyTorch. The backward is seed
    004's (softmax(x) - target) / N in one step for class indices, and softmax(x) *
    sum(target) - target for probabilities. A probability target that requires grad
    gets -log softmax(x).
    """

    formula = "dx = (softmax(x) * sum_c(t) - t) * g / N;  dt = -log_softmax(x) * g / N"

    @staticmethod
    def forward(ctx: Function, x: Any, target: Any, reduction: str) -> Any:
        # log softmax(x)_c = (x_c - max x) - log Σ exp(x - max x): the loss needs only the
        # target's entries of it, and the exponentials become the saved probabilities in place.
        xp = xp_of(x)
        if not x.shape[1]:
            return _no_classes(ctx, x, target, reduction)
        peak = x.max(axis=1, keepdims=True)  # CuPy has no maximum.reduce
        shifted = x - peak
        if target.ndim == 1:
            picked = shifted[xp.arange(x.shape[0]), target]
        else:
            picked = xp.add.reduce(target * shifted, axis=1)
            mass = xp.add.reduce(target, axis=1, keepdims=True)  # 1 for a distribution
        probs = xp.exp(shifted, out=shifted)
        total = xp.add.reduce(probs, axis=1, keepdims=True)
        probs /= total
        log_total = xp.log(total)
        # A loss of 0 has PyTorch's sign, which 1 / loss tells apart: over class indices -0
        # per sample, +0 summed (PyTorch accumulates 0 - ...); over probabilities -0 (PyTorch
        # negates the sum of t log softmax(x), in which + 0.0 turns -0 to +0).
        ctx.reduction = reduction
        if target.ndim == 1:
            ctx.save_for_backward(probs, target)
            if reduction == "none":
                return -(picked - log_total[:, 0])
            return xp.asarray(_reduce(log_total[:, 0] - picked, reduction))  # 0-d, as kept
        # What each gradient needs, as PyTorch saves it: the target for x's, log softmax(x)
        # for the target's (never x itself, which may then change in place).
        need_x, need_target, _ = ctx.needs_input_grad or (False, False, False)
        log_probs = x - (peak + log_total) if need_target else None
        ctx.save_for_backward(probs, target if need_x else None, log_probs)
        return -(_reduce(picked - (log_total * mass)[:, 0], reduction) + 0.0)

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, Any, None]:
        probs, target, *rest = ctx.saved_tensors
        scale = _unreduce(g, probs.shape[0], ctx.reduction)
        if ctx.reduction == "none":
            scale = scale[:, None]
        if not rest:  # class indices
            labels = target.astype(np.int64, copy=False)
            cpu = type(probs) is np.ndarray
            kernel = _cross_entropy_backward if cpu else cross_entropy_backward_kernel
            return kernel(probs, labels, probs.shape[1], scale), None, None
        (log_probs,) = rest
        need_x, need_target, _ = ctx.needs_input_grad
        grad = grad_target = None
        if need_x:
            # PyTorch's order, as the gradient of log softmax: -t g minus softmax times its
            # sum, so that an infinite g gives NaN where PyTorch's does.
            grad = target * -scale
            grad -= probs * xp_of(grad).add.reduce(grad, axis=1, keepdims=True)
        if need_target:
            grad_target = -log_probs * scale
        return grad, grad_target, None

    @staticmethod
    def replay_forward(e: Any, op: Any) -> None:
        """``cr.compile``'s replay of forward (``chainrule.replay``) for class indices and a
        reduced loss: the class-index check of ``F.cross_entropy``, then forward's steps
        into buffers. Probabilities, "none" and empty shapes are replayed by calling
        forward."""
        x, target, reduction = op.args
        rows, classes = x.shape
        indices = target.array.ndim == 1 and target.dtype.kind in "iu"
        if not indices or reduction == "none" or not rows or not classes:
            e.call_forward(op)
            return
        from ..functional import _check_class_indices  # functional imports this module

        logits, labels = e.arg(op, 0), e.arg(op, 1)
        check = e.const(_check_class_indices, "f")
        # Read as unsigned, a negative index is huge: one reduction finds any out of range,
        # and only then does the check run, to raise what F.cross_entropy raises.
        unsigned = e.const(np.dtype(f"u{target.dtype.itemsize}"), "dt")
        e.line(f"if xp.maximum.reduce({labels}.view({unsigned}), None) >= {classes}:")
        e.line(f"    {check}('cross_entropy', {x.shape!r}, {labels}, True)")
        peak, total, log_total = (e.buffer((rows, 1), x.dtype) for _ in range(3))
        probs = e.buffer(x.shape, x.dtype)
        per_sample = e.buffer((rows,), x.dtype)
        index = e.const(np.arange(rows), "rows")
        picked, loss = e.local("picked"), e.local("loss")
        e.line(f"xp.maximum.reduce({logits}, axis=1, keepdims=True, out={peak})")
        e.line(f"xp.subtract({logits}, {peak}, out={probs})")
        e.line(f"{picked} = {probs}[{index}, {labels}]")
        e.line(f"xp.exp({probs}, out={probs})")
        e.line(f"xp.add.reduce({probs}, axis=1, keepdims=True, out={total})")
        e.line(f"xp.divide({probs}, {total}, out={probs})")
        e.line(f"xp.log({total}, out={log_total})")
        e.line(f"xp.subtract({e.view(log_total, '[:, 0]')}, {picked}, out={per_sample})")
        summed = f"xp.add.reduce({per_sample}, axis=None)"
        e.line(
            f"{loss} = _as_array({summed} / {rows})"
            if reduction == "mean"
            else f"{loss} = _as_array({summed})"
        )
        op.saved.update(probs=probs, rows=index)
        e.out(op, loss, fresh=True)

    @staticmethod
    def replay_backward(e: Any, op: Any, g: str, into: list, grads: list) -> list:
        """The replay of backward: ``_cross_entropy_backward``, softmax * scale less scale at
        each target."""
        rows = op.args[0].shape[0]
        count = rows if op.args[2] == "mean" else None
        known = e.scalar(g)
        if known is not None:
            scale = e.typed(known / count if count else known, op.args[0].dtype)
        else:
            scale = e.local("scale")
            e.line(f"{scale} = float({g}) / {count}" if count else f"{scale} = float({g})")
        grad = into[0] or e.buffer(*grads[0])
        e.line(f"xp.multiply({op.saved['probs']}, {scale}, out={grad})")
        e.line(f"{grad}[{op.saved['rows']}, {e.arg(op, 1)}] -= {scale}")
        return [grad, None, None]


def _no_classes(ctx: Function, x: Any, target: Any, reduction: str) -> Any:
    """SoftmaxCrossEntropy.forward over logits (N, 0): each sample's loss is an empty sum, 0,
    and their mean NaN (a mean over no logits), as in PyTorch; the gradients are empty."""
    xp = xp_of(x)
    dtype = np.promote_types(x.dtype, target.dtype) if target.ndim == 2 else x.dtype
    if target.ndim == 1:
        ctx.save_for_backward(x, target)
    else:  # x stands for the empty softmax and log softmax
        ctx.save_for_backward(x, target, x)
    ctx.reduction = reduction
    return _reduce(xp.zeros(x.shape[0], dtype), reduction, count=0)


class BCEWithLogits(Function):
    """loss = -(t log σ(x) + (1 - t) log(1 - σ(x))), written as PyTorch writes it,
    (1 - t) x - log σ(x), with log σ(x) = min(x, 0) - log(1 + e^-|x|) so that no exp
    overflows and no log sees 0. PyTorch's form also fixes what an infinite logit gives:
    +inf at x = +inf (NaN if t = 1), NaN at x = -inf.

    Logits and target of two float dtypes are computed in the wider; the loss has the
    target's dtype, as in PyTorch.
    """

    formula = "dx = (sigmoid(x) - t) * g / N;  dt = -x * g / N"
    replay_by_call = True

    @staticmethod
    def forward(ctx: Function, x: Any, target: Any, reduction: str) -> Any:
        xp = xp_of(x)
        per_element = (1 - target) * x
        per_element -= xp.minimum(x, 0)
        per_element += xp.log1p(xp.exp(-abs(x)))
        if per_element.dtype != target.dtype:
            per_element = per_element.astype(target.dtype)
        ctx.save_for_backward(x, target)
        ctx.reduction = reduction
        return _reduce(per_element, reduction)

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, Any, None]:
        x, target = ctx.saved_tensors
        scale = _unreduce(g, x.size, ctx.reduction)
        with np.errstate(over="ignore"):
            probs = 1 / (1 + xp_of(x).exp(-x))
        grad_target = -x * scale if ctx.needs_input_grad[1] else None
        return (probs - target) * scale, grad_target, None


class BinaryCrossEntropy(Function):
    """loss = -(t log p + (1 - t) log(1 - p)) for probabilities p, each log clamped at -100.

    The clamps keep the loss finite at p = 0 or 1 (a saturated sigmoid reaches them in
    float32); the gradient's denominator is kept at least 1e-12 for the same reason.
    The target's gradient, log(1 - p) - log(p), is not clamped: ±inf at p = 1 or 0.
    These are PyTorch's choices, so the two libraries agree there too.
    """

    formula = "dp = (p - t) / max(p (1 - p), 1e-12) * g / N;  dt = (log(1 - p) - log p) * g / N"

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
    def replay_forward(e: Any, op: Any) -> None:
        """``cr.compile``'s replay of forward (``chainrule.replay``): the check of
        ``F.binary_cross_entropy`` that p and the target lie in [0, 1], then forward as it
        is."""
        from ..functional import _check_bce_inputs  # functional imports this module

        e.line(f"{e.const(_check_bce_inputs, 'f')}({e.arg(op, 0)}, {e.arg(op, 1)})")
        e.call_forward(op)

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, Any, None]:
        p, target = ctx.saved_tensors
        xp = xp_of(p)
        scale = _unreduce(g, p.size, ctx.reduction)
        grad = (p - target) / xp.maximum(p * (1 - p), 1e-12)
        grad_target = None
        if ctx.needs_input_grad[1]:
            with np.errstate(divide="ignore"):
                grad_target = (xp.log1p(-p) - xp.log(p)) * scale
        return grad * scale, grad_target, None
