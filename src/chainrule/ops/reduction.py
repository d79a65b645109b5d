"""Reductions: sum, mean, max, min over some or all dimensions."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._backend import xp_of
from ..function import Function


def _unreduce(g: Any, axis: Any, keepdims: bool) -> Any:
    """``g`` with the reduced dimensions put back as size 1, ready to broadcast."""
    if keepdims or axis is None:
        return g
    return xp_of(g).expand_dims(g, axis)


class Sum(Function):
    """y = sum of x over ``axis`` (every dimension when None)."""

    formula = "dx = g, copied over the summed dimensions"
    replay_by_call = True

    @staticmethod
    def forward(ctx: Function, x: Any, axis: Any, keepdims: bool) -> Any:
        ctx.shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        # PyTorch sums bool and every integer type into int64; NumPy does so for signed ones.
        dtype = np.int64 if x.dtype.kind in "bu" else None
        return x.sum(axis=axis, keepdims=keepdims, dtype=dtype)

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, None, None]:
        g = _unreduce(g, ctx.axis, ctx.keepdims)
        return xp_of(g).broadcast_to(g, ctx.shape), None, None


class Mean(Function):
    """y = mean of x over ``axis`` (every dimension when None)."""

    formula = "dx = g / n, copied over the n averaged elements"
    replay_by_call = True

    @staticmethod
    def forward(ctx: Function, x: Any, axis: Any, keepdims: bool) -> Any:
        ctx.shape, ctx.axis, ctx.keepdims = x.shape, axis, keepdims
        if x.size == 0:  # a mean of no numbers is NaN, as in PyTorch, where NumPy also warns
            ctx.count = 0
            return xp_of(x).full_like(x.sum(axis=axis, keepdims=keepdims), math.nan)
        y = x.mean(axis=axis, keepdims=keepdims)
        ctx.count = x.size // y.size
        return y

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, None, None]:
        xp = xp_of(g)
        if ctx.count == 0:
            return xp.zeros(ctx.shape, g.dtype), None, None
        g = _unreduce(g, ctx.axis, ctx.keepdims) / ctx.count
        return xp.broadcast_to(g, ctx.shape), None, None


class _Extremum(Function):
    """The largest (``Max``) or smallest (``Min``) values; tied extremes share the gradient
    equally, so the gradient of the reduction still sums to g.

    Over every dimension (``axis`` None: PyTorch's ``max()``), a NaN extreme sends the
    gradient to the NaN positions, and the other positions get 0 even from an infinite g.
    Over some dimensions (PyTorch's ``amax``), the gradient is g / k times a 0/1 mask, as
    PyTorch computes it: a NaN extreme, or an infinite g, gives NaN across its slice.
    """

    formula = "dx = g / k at each of the k positions holding the extreme, else 0"
    reduce = "max"

    @classmethod
    def forward(cls, ctx: Function, x: Any, axis: Any, keepdims: bool) -> Any:
        # An array of its own, even for a 0-d result, where NumPy gives a scalar.
        y = xp_of(x).asarray(getattr(x, cls.reduce)(axis=axis, keepdims=keepdims))
        nan_extreme = axis is None and y != y  # NaN equals nothing: the NaNs take the gradient
        hits = xp_of(x).isnan(x) if nan_extreme else x == _unreduce(y, axis, keepdims)
        # x and y too, unused, as PyTorch saves them: a change of either in place is refused.
        ctx.save_for_backward(hits, hits.sum(axis=axis, keepdims=True), x, y)
        ctx.axis, ctx.keepdims = axis, keepdims
        return y

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, None, None]:
        hits, count = ctx.saved_tensors[:2]
        share = _unreduce(g, ctx.axis, ctx.keepdims) / count
        if ctx.axis is None:
            return xp_of(g).where(hits, share, 0), None, None
        return hits * share, None, None


class Max(_Extremum):
    """y = max of x over ``axis``."""

    replay_by_call = True

    reduce = "max"


class Min(_Extremum):
    """y = min of x over ``axis``."""

    replay_by_call = True

    reduce = "min"
