"""Activations and normalisers: sigmoid, relu, leaky_relu, softmax, log_softmax.

Each backward reuses what forward computed (usually the output), so the derivative
costs one or two elementwise passes; all are stable for inputs of any magnitude. Integer and
bool inputs follow PyTorch's rules (``dtype_rules``), not NumPy's.
"""

from __future__ import annotations

from typing import Any

from .. import kernels
from .._backend import xp_of
from ..function import Function
from .dtype_rules import check_floating, check_not_bool, floating


class Sigmoid(Function):
    """y = 1 / (1 + exp(-x))"""

    formula = "dx = g * (1 - y) * y"

    @staticmethod
    def forward(ctx: Function, x: Any) -> Any:
        y = kernels.sigmoid(floating(x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Function, g: Any) -> Any:
        (y,) = ctx.saved_tensors
        return kernels.sigmoid_backward(g, y)


class ReLU(Function):
    """y = max(x, 0); the gradient at 0 is 0, as in PyTorch."""

    formula = "dx = g where x > 0, else 0"

    @staticmethod
    def forward(ctx: Function, x: Any) -> Any:
        check_not_bool(x, "relu", RuntimeError)
        y = xp_of(x).maximum(x, 0)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Function, g: Any) -> Any:
        (y,) = ctx.saved_tensors
        return kernels.relu_backward(g, y)


class LeakyReLU(Function):
    """y = x where x > 0, else slope * x."""

    formula = "dx = g where x > 0, else slope * g"

    @staticmethod
    def forward(ctx: Function, x: Any, slope: float) -> Any:
        check_floating(x, "leaky_relu")
        ctx.save_for_backward(x)  # x itself, as PyTorch: a change of x in place is refused
        ctx.slope = slope
        return xp_of(x).where(x > 0, x, x * slope)

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, None]:
        (x,) = ctx.saved_tensors
        return xp_of(g).where(x > 0, g, g * ctx.slope), None


class Softmax(Function):
    """y = exp(x - max x) / sum(exp(x - max x)) along ``axis``."""

    formula = "dx = y * (g - sum(g * y))"

    @staticmethod
    def forward(ctx: Function, x: Any, axis: int) -> Any:
        if x.size == 0:  # nothing to normalise, no maximum to shift by: any dtype, as PyTorch
            y = xp_of(x).empty_like(x)
        else:
            check_floating(x, "softmax")
            e = xp_of(x).exp(x - x.max(axis=axis, keepdims=True))
            y = e / e.sum(axis=axis, keepdims=True)
        ctx.save_for_backward(y)
        ctx.axis = axis
        return y

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, None]:
        (y,) = ctx.saved_tensors
        return y * (g - (g * y).sum(axis=ctx.axis, keepdims=True)), None


class LogSoftmax(Function):
    """y = x - max x - log(sum(exp(x - max x))) along ``axis``."""

    formula = "dx = g - exp(y) * sum(g)"

    @staticmethod
    def forward(ctx: Function, x: Any, axis: int) -> Any:
        xp = xp_of(x)
        if x.size == 0:  # nothing to normalise, no maximum to shift by: any dtype, as PyTorch
            y = xp.empty_like(x)
        else:
            check_floating(x, "log_softmax")
            shifted = x - x.max(axis=axis, keepdims=True)
            y = shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(y)
        ctx.axis = axis
        return y

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, None]:
        (y,) = ctx.saved_tensors
        return g - xp_of(y).exp(y) * g.sum(axis=ctx.axis, keepdims=True), None
