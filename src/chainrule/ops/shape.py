"""Shape ops: reshape, permute, concatenate, stack. They move numbers, never change them."""

from __future__ import annotations

from itertools import accumulate
from typing import Any

from .._backend import xp_of
from ..function import Function


class Reshape(Function):
    """y = x with a new shape (one dimension may be -1)."""

    formula = "dx = g reshaped back"
    makes_views = True

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
    makes_views = True

    @staticmethod
    def forward(ctx: Function, x: Any, dims: tuple[int, ...]) -> Any:
        y = x.transpose(dims)
        ctx.dims = tuple(d % x.ndim for d in dims)  # argsort needs -1 as ndim - 1
        return y

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, None]:
        return g.transpose(sorted(range(len(ctx.dims)), key=ctx.dims.__getitem__)), None


class Concatenate(Function):
    """y = the inputs joined along an existing dimension ``axis``."""

    formula = "dx_i = the slice of g that x_i filled"

    @staticmethod
    def forward(ctx: Function, axis: int, *xs: Any) -> Any:
        ctx.axis = axis
        ctx.bounds = list(accumulate(x.shape[axis] for x in xs))[:-1]
        return xp_of(xs[0]).concatenate(xs, axis=axis)

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, ...]:
        return (None, *xp_of(g).split(g, ctx.bounds, axis=ctx.axis))


class Stack(Function):
    """y = the inputs (all of one shape) stacked along a new dimension ``axis``."""

    formula = "dx_i = g[..., i, ...] along the new dimension"

    @staticmethod
    def forward(ctx: Function, axis: int, *xs: Any) -> Any:
        y = xp_of(xs[0]).stack(xs, axis=axis)
        ctx.axis = axis % y.ndim
        return y

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, ...]:
        return (None, *xp_of(g).moveaxis(g, ctx.axis, 0))
