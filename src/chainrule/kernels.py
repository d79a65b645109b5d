"""Fused elementwise kernels for the GPU, where a chain of small array ops would cost more
in kernel launches and memory passes than in arithmetic: the sigmoid and its derivative,
ReLU's derivative, the softmax cross-entropy's gradient, and the SGD and Adam updates.

Each kernel is written twice, side by side: as one line of CUDA C that CuPy compiles into
a single ``ElementwiseKernel``, and as array arithmetic, its reference. The reference runs
wherever the compiled kernel cannot (no CUDA compiler, a dtype the kernel does not take,
the test suite's CuPy stand-in), and the GPU tests check the two against each other. On
the CPU the reference is what runs, so it is written for NumPy: in place, with few
temporaries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._backend import xp_of

_COMPILED_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


class FusedKernel:
    """One elementwise computation: CUDA C for CuPy, and the same math as array arithmetic.

    ``in_params``, ``out_params`` and ``operation`` are CuPy's ``ElementwiseKernel``
    arguments (``T`` is the dtype of the first argument); ``reference`` takes the same
    arguments in the same order, writes the outputs it is given in place, and returns the
    ones it makes.
    """

    def __init__(
        self,
        name: str,
        in_params: str,
        out_params: str,
        operation: str,
        reference: Callable[..., Any],
    ) -> None:
        self.name = name
        self.signature = (in_params, out_params, operation)
        self.reference = reference
        self._compiled: Any = None

    def __call__(self, *args: Any) -> Any:
        if type(args[0]) is np.ndarray:  # the CPU: no lookup beyond this one
            return self.reference(*args)
        xp = xp_of(args[0])
        if (
            xp is np
            or args[0].dtype not in _COMPILED_DTYPES
            or not hasattr(xp, "ElementwiseKernel")
        ):
            return self.reference(*args)
        if self._compiled is None:
            self._compiled = xp.ElementwiseKernel(*self.signature, name=f"chainrule_{self.name}")
        return self._compiled(*args)


# The largest argument whose exp is finite, per dtype (rounded down); 709 for float64. The
# sigmoid op gives integers and bools to this kernel in float32, as PyTorch computes them.
_EXP_LIMIT = {np.dtype(np.float32): 88.0}
_FLOAT16 = np.dtype(np.float16)


def _sigmoid(x: Any) -> Any:
    # Where exp(-x) overflows (x < -88 in float32, -709 in float64) it is inf and the output
    # 1 / inf = 0, as PyTorch gives; NumPy would warn of the overflow, so an input that
    # reaches that far (rare: one reduction finds it) is computed with the warning off.
    if x.dtype == _FLOAT16:
        # In float32, rounded once, as PyTorch does: float16's own exp overflows past 11, and
        # its tail (σ(-15) ≈ 3e-7) lies far below 1 / (1 + e^11).
        return _sigmoid(x.astype(np.float32)).astype(np.float16)
    xp = xp_of(x)
    if x.size == 0 or x.min() >= -_EXP_LIMIT.get(x.dtype, 709.0):
        return 1 / (1 + xp.exp(-x))
    with np.errstate(over="ignore"):
        return 1 / (1 + xp.exp(-x))


def _sigmoid_backward(g: Any, y: Any) -> Any:
    return g * (1 - y) * y  # PyTorch's order, so that the roundings agree too


def _relu_backward(g: Any, y: Any) -> Any:
    # PyTorch passes g where y > 0 or y is NaN: where y != 0, as y = max(x, 0) is never
    # negative. A product with that mask is several times faster than a select on the CPU and
    # equal to it while g is finite; an infinite or NaN g times 0 would be NaN where the
    # select gives 0, so then, rarely, select. g's sum of squares, one BLAS call, is finite
    # only if every element is (an overflow of it just takes the select).
    xp = xp_of(g)
    flat = g.reshape(-1)
    squares = xp.dot(flat, flat)
    if squares - squares == 0:
        return g * (y != 0)
    return xp.where(y != 0, g, 0)


def _cross_entropy_backward(probs: Any, target: Any, classes: int, scale: Any) -> Any:
    # softmax * scale, less scale at the target: PyTorch's order, so that an infinite scale
    # gives NaN at the target and inf elsewhere, as PyTorch's does.
    grad = probs * scale
    rows = xp_of(probs).arange(probs.shape[0])
    grad[rows, target] -= scale if not hasattr(scale, "ndim") or not scale.ndim else scale[:, 0]
    return grad


def _sgd_step(g: Any, lr: float, param: Any) -> None:
    param -= lr * g


def _sgd_momentum_step(
    g: Any, lr: float, momentum: float, damping: float, nesterov: int, param: Any, buffer: Any
) -> None:
    buffer *= momentum
    buffer += g if damping == 1 else damping * g
    param -= lr * (g + momentum * buffer if nesterov else buffer)


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


sigmoid = FusedKernel("sigmoid", "T x", "T y", "y = 1 / (1 + exp(-x))", _sigmoid)
"""σ(x) = 1 / (1 + e^-x); on the GPU e^-x overflows to inf for very negative x, silently,
and 1 / inf is 0."""

sigmoid_backward = FusedKernel(
    "sigmoid_backward", "T g, T y", "T dx", "dx = g * (1 - y) * y", _sigmoid_backward
)
"""dx = g σ(x) (1 - σ(x)), from the saved output y = σ(x)."""

relu_backward = FusedKernel(
    "relu_backward", "T g, T y", "T dx", "dx = y != (T)0 ? g : (T)0", _relu_backward
)
"""dx = g where the output y = max(x, 0) is not 0 (positive or NaN), else 0: a select, as
PyTorch's, so an infinite or NaN g gives 0 where y is 0."""

cross_entropy_backward = FusedKernel(
    "cross_entropy_backward",
    "T probs, raw int64 target, int64 classes, T scale",
    "T dx",
    "dx = probs * scale - (i % classes == target[i / classes] ? scale : (T)0)",
    _cross_entropy_backward,
)
"""dx = softmax(x) * scale - one_hot(target) * scale, for class-index targets (the one-hot
term a select, so that an infinite scale gives NaN only at the target, as in PyTorch);
``scale`` is g / N, or g[:, None] per sample when unreduced."""

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
