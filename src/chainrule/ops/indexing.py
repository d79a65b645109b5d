"""Selection: indexing and slicing, and ``where``."""

from __future__ import annotations

from typing import Any

from .._backend import is_array, xp_of
from ..function import Function


def _is_advanced(key: Any) -> bool:
    """Whether ``key`` uses integer or boolean arrays, which may pick an element twice."""
    parts = key if isinstance(key, tuple) else (key,)
    return any(is_array(part) for part in parts)


class GetItem(Function):
    """y = x[key], for any NumPy index: integers, slices, None, ..., integer or bool arrays."""

    formula = "dx = zeros with g added at the picked positions (repeats add up)"

    @staticmethod
    def forward(ctx: Function, x: Any, key: Any) -> Any:
        ctx.shape, ctx.dtype, ctx.key = x.shape, x.dtype, key
        return x[key]

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, None]:
        xp = xp_of(g)
        dx = xp.zeros(ctx.shape, dtype=g.dtype)
        if _is_advanced(ctx.key):
            xp.add.at(dx, ctx.key, g)
        else:
            dx[ctx.key] = g
        return dx, None


class Where(Function):
    """y = a where ``condition`` holds, else b."""

    formula = "da = g where condition, else 0;  db = g where not condition, else 0"

    @staticmethod
    def forward(ctx: Function, condition: Any, a: Any, b: Any) -> Any:
        ctx.save_for_backward(condition)
        return xp_of(condition).where(condition, a, b)

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[None, Any, Any]:
        (condition,) = ctx.saved_tensors
        _, need_a, need_b = ctx.needs_input_grad
        xp = xp_of(g)
        ga = xp.where(condition, g, 0) if need_a else None
        gb = xp.where(condition, 0, g) if need_b else None
        return None, ga, gb
