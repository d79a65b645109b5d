"""Activations and normalisers: sigmoid, relu, leaky_relu, softmax, log_softmax.

Each backward reuses what forward computed (usually the output), so the derivative
costs one or two elementwise passes; all are stable for inputs of any magnitude. Integer and
bool inputs follow PyTorch's rules (``dtype_rules``), not NumPy's. The elementwise ones read
what they saved as the last of ``ctx.saved_tensors``, so that ``ops.linear.LinearActivation``
can run them as the second half of one op, after the arrays the linear half saved.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import xp_of
from .._fpstate import quiet_overflow, restore
from ..function import Function
from ..kernels import FusedKernel
from .dtype_rules import check_floating, check_not_bool, floating

_FLOAT16 = np.dtype(np.float16)


def _sigmoid(x: Any) -> Any:
    # Where exp(-x) overflows (x < -88 in float32, -709 in float64) it is inf and the output
    # 1 / inf = 0, as PyTorch gives; NumPy would warn of the overflow, so it is computed with
    # that warning off (cheaper than a reduction that finds whether an input reaches so far).
    if x.dtype == _FLOAT16:
        # In float32, rounded once, as PyTorch does: float16's own exp overflows past 11, and
        # its tail (σ(-15) ≈ 3e-7) lies far below 1 / (1 + e^11).
        return _sigmoid(x.astype(np.float32)).astype(np.float16)
    xp = xp_of(x)
    token = quiet_overflow()
    try:
        return _logistic(xp, x)
    finally:
        restore(token)


def _logistic(xp: Any, x: Any) -> Any:
    """1 / (1 + exp(-x)) in the memory of one new array: each step the same rounding as in
    the expression (1 / t and reciprocal(t) are one IEEE division), one array instead of four."""
    y = xp.negative(x)
    if not y.shape:  # of a 0-d array NumPy gives a scalar, which cannot be written to
        return 1 / (1 + xp.exp(y))
    xp.exp(y, out=y)
    y += 1
    return xp.reciprocal(y, out=y)


def _sigmoid_backward(g: Any, y: Any) -> Any:
    return g * (1 - y) * y  # PyTorch's order, so that the roundings agree too


sigmoid_kernel = FusedKernel("sigmoid", "T x", "T y", "y = 1 / (1 + exp(-x))", _sigmoid)
"""σ(x) = 1 / (1 + e^-x); on the GPU e^-x overflows to inf for very negative x, silently,
and 1 / inf is 0."""

sigmoid_backward_kernel = FusedKernel(
    "sigmoid_backward", "T g, T y", "T dx", "dx = g * (1 - y) * y", _sigmoid_backward
)
"""dx = g σ(x) (1 - σ(x)), from the saved output y = σ(x)."""


class Sigmoid(Function):
    """y = 1 / (1 + exp(-x))"""

    formula = "dx = g * (1 - y) * y"

    @staticmethod
    def forward(ctx: Function, x: Any) -> Any:
        x = floating(x)
        y = (_sigmoid if type(x) is np.ndarray else sigmoid_kernel)(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Function, g: Any) -> Any:
        backward = _sigmoid_backward if type(g) is np.ndarray else sigmoid_backward_kernel
        return backward(g, ctx.saved_tensors[-1])

    @staticmethod
    def replay_forward(e: Any, op: Any) -> None:
        """``cr.compile``'s replay of forward (``chainrule.replay``): ``_sigmoid``'s four
        ufuncs into one buffer, its exp's overflow silenced as there; float32 and float64
        (others convert first, and are replayed by calling forward)."""
        x = op.args[0]
        if x.dtype not in (np.float32, np.float64) or not x.array.size:
            e.call_forward(op)
            return
        name, y, one = e.arg(op, 0), e.buffer(op.out.shape, op.out.dtype), e.typed(1, x.dtype)
        e.line(f"xp.negative({name}, out={y})", overflows=True)
        e.line(f"xp.exp({y}, out={y})", overflows=True)
        e.line(f"xp.add({one}, {y}, out={y})", overflows=True)
        e.line(f"xp.divide({one}, {y}, out={y})", overflows=True)
        e.out(op, y)

    @staticmethod
    def replay_backward(e: Any, op: Any, g: str, into: list, grads: list) -> list:
        """The replay of backward: g * (1 - y) * y, into ``into`` or a buffer."""
        y = op.out.name
        scratch = e.buffer(op.out.shape, op.out.dtype)
        dx = into[0] or e.buffer(*grads[0])
        e.line(f"xp.subtract({e.typed(1, op.out.dtype)}, {y}, out={scratch})")
        e.line(f"xp.multiply({g}, {scratch}, out={dx})")
        e.line(f"xp.multiply({dx}, {y}, out={dx})")
        return [dx]


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


relu_backward_kernel = FusedKernel(
    "relu_backward", "T g, T y", "T dx", "dx = y != (T)0 ? g : (T)0", _relu_backward
)
"""dx = g where the output y = max(x, 0) is not 0 (positive or NaN), else 0: a select, as
PyTorch's, so an infinite or NaN g gives 0 where y is 0."""


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
        backward = _relu_backward if type(g) is np.ndarray else relu_backward_kernel
        return backward(g, ctx.saved_tensors[-1])

    @staticmethod
    def replay_forward(e: Any, op: Any) -> None:
        """``cr.compile``'s replay of forward (``chainrule.replay``), into a buffer."""
        y = e.buffer(op.out.shape, op.out.dtype)
        e.line(f"xp.maximum({e.arg(op, 0)}, {e.typed(0, op.out.dtype)}, out={y})")
        e.out(op, y)

    @staticmethod
    def replay_backward(e: Any, op: Any, g: str, into: list, grads: list) -> list:
        """The replay of backward: ``_relu_backward``, its test of g and both branches."""
        y = op.out.name
        flat, squares = e.view(g, ".reshape(-1)"), e.local("squares")
        mask = e.buffer(op.out.shape, np.bool_)
        dx = into[0] or e.buffer(*grads[0])
        e.line(f"{squares} = xp.dot({flat}, {flat})")
        e.line(f"if {squares} - {squares} == 0:")
        e.line(f"    xp.not_equal({y}, {e.typed(0, op.out.dtype)}, out={mask})")
        e.line(f"    xp.multiply({g}, {mask}, out={dx})")
        e.line("else:")
        e.line(f"    xp.copyto({dx}, xp.where({y} != 0, {g}, 0))")
        return [dx]


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
        x = ctx.saved_tensors[-1]
        return xp_of(g).where(x > 0, g, g * ctx.slope), None

    @staticmethod
    def replay_forward(e: Any, op: Any) -> None:
        """``cr.compile``'s replay of forward (``chainrule.replay``): the select of
        ``where`` as a copy of x over x * slope where x > 0, into buffers."""
        x, slope = e.arg(op, 0), e.typed(op.args[1], op.out.dtype)
        positive = e.buffer(op.out.shape, np.bool_)
        y = e.buffer(op.out.shape, op.out.dtype)
        e.line(f"xp.greater({x}, {e.typed(0, op.out.dtype)}, out={positive})")
        e.line(f"xp.multiply({x}, {slope}, out={y})")
        e.line(f"xp.copyto({y}, {x}, where={positive})")
        op.saved["positive"] = positive
        e.out(op, y)

    @staticmethod
    def replay_backward(e: Any, op: Any, g: str, into: list, grads: list) -> list:
        """The replay of backward: g where x > 0, else g * slope."""
        dx = into[0] or e.buffer(*grads[0])
        e.line(f"xp.multiply({g}, {e.typed(op.args[1], op.out.dtype)}, out={dx})")
        e.line(f"xp.copyto({dx}, {g}, where={op.saved['positive']})")
        return [dx, None]


class Softmax(Function):
    """y = exp(x - max x) / sum(exp(x - max x)) along ``axis``."""

    formula = "dx = y * (g - sum(g * y))"
    replay_by_call = True

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
    replay_by_call = True

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
