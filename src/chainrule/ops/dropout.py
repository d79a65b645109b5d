"""Dropout as one op, whose forward draws its own mask: the draw is then part of the op, as
``cr.compile`` needs to replay it (a fresh mask from the same generator each call)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import device_of
from ..function import Function
from ..random import generator_for


class Dropout(Function):
    """y = x * mask, where mask = (u >= p) / (1 - p) for u ~ U[0, 1) drawn in float32 from
    the generator of x's device; 0 < p < 1."""

    formula = "dx = g * mask"

    @staticmethod
    def forward(ctx: Function, x: Any, p: float) -> Any:
        mask = (generator_for(device_of(x)).random(x.shape, dtype=np.float32) >= p).astype(x.dtype)
        mask *= 1 / (1 - p)
        ctx.save_for_backward(mask)
        return x * mask

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, None]:
        (mask,) = ctx.saved_tensors
        return g * mask, None

    @staticmethod
    def replay_forward(e: Any, op: Any) -> None:
        """``cr.compile``'s replay of forward (``chainrule.replay``): a fresh mask each call,
        drawn from the same generator as eager's, into buffers made once."""
        x, p = op.args
        shape = x.shape
        draws = e.buffer(shape, np.float32)
        kept = e.buffer(shape, np.bool_)
        mask = e.buffer(shape, x.dtype)
        y = e.buffer(op.out.shape, op.out.dtype)
        generator = e.const(generator_for(device_of(x.array)), "rng")
        e.line(f"{generator}.random({shape!r}, dtype=xp.float32, out={draws})")
        e.line(f"xp.greater_equal({draws}, {e.typed(p, np.float32)}, out={kept})")
        e.line(f"xp.copyto({mask}, {kept})")
        e.line(f"xp.multiply({mask}, {e.typed(1 / (1 - p), x.dtype)}, out={mask})")
        e.line(f"xp.multiply({e.arg(op, 0)}, {mask}, out={y})")
        op.saved["mask"] = mask
        e.out(op, y)

    @staticmethod
    def replay_backward(e: Any, op: Any, g: str, into: list, grads: list) -> list:
        """The replay of backward: g * mask."""
        dx = into[0] or e.buffer(*grads[0])
        e.line(f"xp.multiply({g}, {op.saved['mask']}, out={dx})")
        return [dx, None]
