"""Arithmetic: + - * / **, unary minus, and elementwise maximum and minimum. Inputs may
broadcast; the engine sums back."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from .._backend import is_array, xp_of
from ..function import Function


class Add(Function):
    """y = a + b"""

    formula = "da = g;  db = g"
    replay_by_call = True

    @staticmethod
    def forward(ctx: Function, a: Any, b: Any) -> Any:
        return a + b

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, Any]:
        return g, g


class Sub(Function):
    """y = a - b"""

    formula = "da = g;  db = -g"
    replay_by_call = True

    @staticmethod
    def forward(ctx: Function, a: Any, b: Any) -> Any:
        return a - b

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, Any]:
        return g, (-g if ctx.needs_input_grad[1] else None)


class Mul(Function):
    """y = a * b"""

    formula = "da = g * b;  db = g * a"
    replay_by_call = True

    @staticmethod
    def forward(ctx: Function, a: Any, b: Any) -> Any:
        # Only what backward uses, as PyTorch: the other input may then change in place.
        need_a, need_b = ctx.needs_input_grad or (False, False)
        ctx.save_for_backward(a if need_b else None, b if need_a else None)
        return a * b

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, Any]:
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (g * b if need_a else None), (g * a if need_b else None)


class Div(Function):
    """y = a / b; a number over a tensor is b's reciprocal times it, as PyTorch computes it."""

    formula = "da = g / b;  db = -g * a / b**2"
    replay_by_call = True
    by_reciprocal = False  # whether b was saved as its reciprocal (a number over a tensor)

    @staticmethod
    def forward(ctx: Function, a: Any, b: Any) -> Any:
        # Only what backward uses, as PyTorch saves: never y, which may then change in place.
        if not is_array(a):
            reciprocal = 1 / b
            ctx.by_reciprocal = True
            ctx.save_for_backward(a, reciprocal)  # no tensor's data: nothing to change in place
            return reciprocal * a
        need_b = (ctx.needs_input_grad or (False, False))[1]
        ctx.save_for_backward(a if need_b else None, b)
        return a / b

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, Any]:
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        if ctx.by_reciprocal:
            return None, g * (-a * b * b)
        ga = g / b
        return (ga if need_a else None), (-ga * a / b if need_b else None)


class Neg(Function):
    """y = -x"""

    formula = "dx = -g"
    replay_by_call = True

    @staticmethod
    def forward(ctx: Function, x: Any) -> Any:
        return -x

    @staticmethod
    def backward(ctx: Function, g: Any) -> Any:
        return -g


class Pow(Function):
    """y = a ** b, for a tensor or number exponent ``b``. Integers and bools follow PyTorch
    (see ``exact_power``), not NumPy."""

    formula = "da = g * b * a**(b - 1);  db = g * y * log(a)"
    replay_by_call = True

    @staticmethod
    def forward(ctx: Function, a: Any, b: Any) -> Any:
        # Both are in the dtype PyTorch computes in, or one is a Python number.
        floating = (b if is_array(b) else a).dtype.kind in "fc"
        y = a**b if floating else exact_power(a, b)
        # y serves the exponent's gradient only; PyTorch saves it for a tensor exponent alone.
        ctx.save_for_backward(a, b, y if is_array(b) else None)
        return y

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, Any]:
        a, b, y = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = None
        if need_a:
            # b * a**(b - 1) is 0 * inf at a == 0 when b == 0; the derivative of a**0 is 0,
            # whatever g is (NaN or inf too), as in PyTorch.
            if is_array(b):
                with np.errstate(divide="ignore", invalid="ignore"):
                    ga = xp_of(b).where(b == 0, 0, g * (b * a ** (b - 1)))
            else:
                ga = xp_of(g).zeros_like(g) if b == 0 else g * b * a ** (b - 1)
        gb = None
        if need_b:
            # d(a**b)/db = a**b * log(a). At a == 0 PyTorch takes its limit, 0, where b >= 0,
            # and keeps the product (inf * -inf) where b < 0.
            with np.errstate(divide="ignore", invalid="ignore"):
                if is_array(a):
                    xp = xp_of(a)
                    gb = g * xp.where((a == 0) & (b >= 0), 0, y * xp.log(a))
                elif a != 0:  # a number base (2.0 ** x)
                    gb = g * (y * np.log(a))
                else:  # CuPy's where needs an array condition: b's, not a's
                    gb = g * xp_of(b).where(b >= 0, 0, y * np.log(a))
        return ga, gb


def exact_power(a: Any, b: Any) -> Any:
    """a ** b for integer or bool operands (of one dtype, or one a Python number), as PyTorch
    computes it: a negative exponent in a tensor gives the integer part of the power (0, or
    ±1 for a base of ±1) where NumPy refuses; a negative number exponent is refused; a bool
    tensor to a Python bool stays bool, and other powers of bools are refused."""
    if not is_array(b):
        if b < 0:
            raise RuntimeError(
                f"Integers to negative integer powers are not allowed (a {a.dtype} tensor to "
                f"the power {b}); convert the tensor first with .float()"
            )
        if a.dtype.kind == "b":  # b is a Python bool: x ** True is x, x ** False all True
            return a.copy() if b else xp_of(a).ones_like(a)
        return a**b
    if b.dtype.kind == "b":
        raise NotImplementedError(
            "pow of bool tensors is not supported, as in PyTorch; convert them first with "
            ".long() or .float()"
        )
    negative = b < 0
    # b % 2 keeps the parity of a negative b, which is all that ±1 to its power needs.
    y = a ** xp_of(b).where(negative, b % 2, b)
    return xp_of(b).where(negative & (abs(a) != 1), 0, y)


class _Between(Function):
    """The larger (``Maximum``) or smaller (``Minimum``) of a and b, elementwise. Where they
    tie, each gets half of g, as in PyTorch; where one is NaN, both get all of it."""

    formula = "da = g where a wins, g / 2 where tied, else 0;  db likewise"
    pick = "maximum"
    loses = operator.lt  # loses(a, b): a is not picked

    @classmethod
    def forward(cls, ctx: Function, a: Any, b: Any) -> Any:
        ctx.save_for_backward(a, b)
        return getattr(xp_of(a if is_array(a) else b), cls.pick)(a, b)

    @classmethod
    def backward(cls, ctx: Function, g: Any) -> tuple[Any, Any]:
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        xp = xp_of(g)
        shared = xp.where(a == b, g / 2, g)
        ga = xp.where(cls.loses(a, b), 0, shared) if need_a else None
        gb = xp.where(cls.loses(b, a), 0, shared) if need_b else None
        return ga, gb


class Maximum(_Between):
    """y = the larger of a and b, elementwise."""

    replay_by_call = True

    pick = "maximum"
    loses = operator.lt


class Minimum(_Between):
    """y = the smaller of a and b, elementwise."""

    replay_by_call = True

    pick = "minimum"
    loses = operator.gt
