"""Elementwise math: exp, log, sqrt, abs, tanh, clip, and dtype conversion. Integer and bool
inputs follow PyTorch's rules (``dtype_rules``), not NumPy's."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import xp_of
from ..function import Function
from .dtype_rules import check_not_bool, floating


class Exp(Function):
    """y = exp(x)"""

    formula = "dx = g * y"
    replay_by_call = True

    @staticmethod
    def forward(ctx: Function, x: Any) -> Any:
        y = xp_of(x).exp(floating(x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Function, g: Any) -> Any:
        (y,) = ctx.saved_tensors
        return g * y


class Log(Function):
    """y = ln(x)"""

    formula = "dx = g / x"
    replay_by_call = True

    @staticmethod
    def forward(ctx: Function, x: Any) -> Any:
        x = floating(x)
        ctx.save_for_backward(x)
        return xp_of(x).log(x)

    @staticmethod
    def backward(ctx: Function, g: Any) -> Any:
        (x,) = ctx.saved_tensors
        return g / x


class Sqrt(Function):
    """y = sqrt(x)"""

    formula = "dx = g / (2 * y)"
    replay_by_call = True

    @staticmethod
    def forward(ctx: Function, x: Any) -> Any:
        y = xp_of(x).sqrt(floating(x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Function, g: Any) -> Any:
        (y,) = ctx.saved_tensors
        return g / (2 * y)


class Abs(Function):
    """y = |x|; the gradient at 0 is 0, as in PyTorch."""

    formula = "dx = g * sign(x)"
    replay_by_call = True

    @staticmethod
    def forward(ctx: Function, x: Any) -> Any:
        check_not_bool(x, "abs")
        ctx.save_for_backward(x)
        return abs(x)

    @staticmethod
    def backward(ctx: Function, g: Any) -> Any:
        (x,) = ctx.saved_tensors
        return g * xp_of(x).sign(x)


class Tanh(Function):
    """y = tanh(x)"""

    formula = "dx = g * (1 - y**2)"

    @staticmethod
    def forward(ctx: Function, x: Any) -> Any:
        y = xp_of(x).tanh(floating(x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Function, g: Any) -> Any:
        y = ctx.saved_tensors[-1]  # the last saved, as ops.activation's: see LinearActivation
        return g * (1 - y * y)

    @staticmethod
    def replay_forward(e: Any, op: Any) -> None:
        """``cr.compile``'s replay of forward (``chainrule.replay``), into a buffer; an
        integer input converts first, and is replayed by calling forward."""
        if op.args[0].dtype.kind != "f":
            e.call_forward(op)
            return
        y = e.buffer(op.out.shape, op.out.dtype)
        e.line(f"xp.tanh({e.arg(op, 0)}, out={y})")
        e.out(op, y)

    @staticmethod
    def replay_backward(e: Any, op: Any, g: str, into: list, grads: list) -> list:
        """The replay of backward: g * (1 - y * y), into ``into`` or a buffer."""
        y = op.out.name
        scratch = e.buffer(op.out.shape, op.out.dtype)
        dx = into[0] or e.buffer(*grads[0])
        e.line(f"xp.multiply({y}, {y}, out={scratch})")
        e.line(f"xp.subtract({e.typed(1, op.out.dtype)}, {scratch}, out={scratch})")
        e.line(f"xp.multiply({g}, {scratch}, out={dx})")
        return [dx]


class Clip(Function):
    """y = min(max(x, low), high); either bound may be None. The gradient is selected, not
    multiplied by a mask, so an infinite g outside the bounds gives 0, as in PyTorch."""

    formula = "dx = g where low <= x <= high, else 0"
    replay_by_call = True

    @staticmethod
    def forward(ctx: Function, x: Any, low: float | None, high: float | None) -> Any:
        ctx.save_for_backward(x)
        ctx.low, ctx.high = low, high
        return xp_of(x).clip(x, low, high)

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, None, None]:
        (x,) = ctx.saved_tensors
        xp = xp_of(x)
        inside = xp.ones(x.shape, dtype=bool)
        if ctx.low is not None:
            inside &= x >= ctx.low
        if ctx.high is not None:
            inside &= x <= ctx.high
        return xp.where(inside, g, 0), None, None


class Cast(Function):
    """y = x converted to another dtype; the gradient comes back in x's dtype."""

    formula = "dx = g (converted back)"
    replay_by_call = True

    @staticmethod
    def forward(ctx: Function, x: Any, dtype: np.dtype) -> Any:
        ctx.source = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, None]:
        return g.astype(ctx.source), None


class Clone(Function):
    """y = a copy of x, still in the graph."""

    formula = "dx = g"
    replay_by_call = True

    @staticmethod
    def forward(ctx: Function, x: Any) -> Any:
        return x.copy()

    @staticmethod
    def backward(ctx: Function, g: Any) -> Any:
        return g
