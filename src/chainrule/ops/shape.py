"""Shape ops: reshape, permute, concatenate, stack. They move numbers, never change them."""

from __future__ import annotations

from itertools import accumulate
from typing import Any

from .._backend import xp_of
from ..function import Function


class Reshape(Function):
    """y = x with a new shape (one dimension may be -1)."""

    formula = "dx = g reshaped back"
    replay_by_call = True
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
    replay_by_call = True
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
    """y = the inputs joined along an existing dimension ``axis`` (in [0, ndim)); an input
    of shape (0,) joins any others, adding nothing, as in PyTorch."""

    formula = "dx_i = the slice of g that x_i filled"
    replay_by_call = True

    @staticmethod
    def forward(ctx: Function, axis: int, *xs: Any) -> Any:
        empty = [x.shape == (0,) for x in xs]
        joined = [x for x, skip in zip(xs, empty, strict=True) if not skip] or xs[:1]
        ctx.axis = axis
        ctx.empty = empty
        ctx.bounds = list(
            accumulate(0 if skip else x.shape[axis] for x, skip in zip(xs, empty, strict=True))
        )[:-1]
        return xp_of(xs[0]).concatenate(joined, axis=axis)

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, ...]:
        parts = xp_of(g).split(g, ctx.bounds, axis=ctx.axis)
        return (
            None,
            *(
                part.reshape(0) if skip else part
                for part, skip in zip(parts, ctx.empty, strict=True)
            ),
        )


class Stack(Function):
    """y = the inputs (all of one shape) stacked along a new dimension ``axis``."""

    formula = "dx_i = g[..., i, ...] along the new dimension"
    replay_by_call = True

    @staticmethod
    def forward(ctx: Function, axis: int, *xs: Any) -> Any:
        y = xp_of(xs[0]).stack(xs, axis=axis)
        ctx.axis = axis % y.ndim
        return y

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, ...]:
        return (None, *xp_of(g).moveaxis(g, ctx.axis, 0))
