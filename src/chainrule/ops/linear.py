"""The affine map of a dense layer, fused: y = x @ W.T + b in one op."""

from __future__ import annotations

from typing import Any

from .._backend import xp_of
from ..function import Function


class Linear(Function):
    """y = x @ weight.T + bias;  x (..., in) -> y (..., out), weight (out, in), bias (out,)."""

    formula = "dx = g @ W;  dW = g.T @ x;  db = sum of g over the batch"

    @staticmethod
    def forward(ctx: Function, x: Any, weight: Any, bias: Any) -> Any:
        # x only for the weight's gradient, the weight only for x's, as PyTorch saves them.
        need_x, need_w, _ = ctx.needs_input_grad or (False, False, False)
        ctx.save_for_backward(x if need_w else None, weight if need_x else None)
        y = x @ weight.T
        if bias is not None:
            y += bias
        return y

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, Any, Any]:
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        gx = g @ weight if need_x else None
        if g.ndim != 2:  # a batch with extra dimensions (or none): flatten it to rows
            g = g.reshape(-1, g.shape[-1])
            x = x.reshape(-1, x.shape[-1]) if need_w else None
        gw = g.T @ x if need_w else None
        gb = xp_of(g).add.reduce(g, axis=0) if need_b else None  # g.sum(axis=0), unwrapped
        return gx, gw, gb
