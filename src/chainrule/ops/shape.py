"""Shape ops: reshape, permute, concatenate, stack. They move numbers, never change them."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..function import Function


class Reshape(Function):
    """y = x with a new shape (one dimension may be -1)."""

    formula = "dx = g reshaped back"

    @staticmethod
    def forward(ctx: Function, x: Any, shape: tuple[int, ...]) -> Any:
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, None]:
        return g.reshape(ctx.shape), None


class Permute(Function):
    """y = x with dimensions reordered: y's dimension i is x's dimension ``dims[i]``."""

    formula = "dx = g with the dimensions put back"

    @staticmethod
    def forward(ctx: Function, x: Any, dims: tuple[int, ...]) -> Any:
        y = x.transpose(dims)
        ctx.dims = tuple(d % x.ndim for d in dims)  # argsort needs -1 as ndim - 1
        return y

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, None]:
        return g.transpose(np.argsort(ctx.dims)), None


class Concatenate(Function):
    """y = the inputs joined along an existing dimension ``axis``."""

    formula = "dx_i = the slice of g that x_i filled"

    @staticmethod
    def forward(ctx: Function, axis: int, *xs: Any) -> Any:
        ctx.axis = axis
        ctx.bounds = np.cumsum([x.shape[axis] for x in xs])[:-1]
        return np.concatenate(xs, axis=axis)

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, ...]:
        return (None, *np.split(g, ctx.bounds, axis=ctx.axis))


class Stack(Function):
    """y = the inputs (all of one shape) stacked along a new dimension ``axis``."""

    formula = "dx_i = g[..., i, ...] along the new dimension"

    @staticmethod
    def forward(ctx: Function, axis: int, *xs: Any) -> Any:
        y = np.stack(xs, axis=axis)
        ctx.axis = axis % y.ndim
        return y

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, ...]:
        return (None, *np.moveaxis(g, ctx.axis, 0))
