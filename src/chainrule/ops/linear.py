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

    @staticmethod
    def replay_forward(e: Any, op: Any) -> None:
        """``cr.compile``'s replay of forward (``chainrule.replay``): the same product and
        sum, written into a buffer made once."""
        x, weight, bias = (e.arg(op, i) for i in range(3))
        y = e.buffer(op.out.shape, op.out.dtype)
        e.line(f"xp.matmul({x}, {e.view(weight, '.T')}, out={y})")
        if bias != "None":
            e.line(f"xp.add({y}, {bias}, out={y})")
        e.out(op, y)

    @staticmethod
    def replay_backward(e: Any, op: Any, g: str, into: list, grads: list) -> list:
        """The replay of backward: the same three products, each into ``into`` or a buffer."""
        x, weight, _ = (e.arg(op, i) for i in range(3))
        need_x, need_w, need_b = op.needs
        out = [into[i] or (grads[i] and e.buffer(*grads[i])) for i in range(3)]
        if need_x:
            e.line(f"xp.matmul({g}, {weight}, out={out[0]})")
        if op.out.array.ndim != 2:
            g = e.view(g, f".reshape(-1, {op.out.shape[-1]})")
            x = e.view(x, f".reshape(-1, {op.args[0].shape[-1]})")
        if need_w:
            e.line(f"xp.matmul({e.view(g, '.T')}, {x}, out={out[1]})")
        if need_b:
            e.line(f"xp.add.reduce({g}, axis=0, out={out[2]})")
        return [out[0] if need_x else None, out[1] if need_w else None, out[2] if need_b else None]
