"""Moving a tensor between devices, as an op, so that gradients find their way back."""

from __future__ import annotations

from typing import Any

from .._backend import Device, device_of, to_device
from ..function import Function


class ToDevice(Function):
    """A copy of ``x`` on ``device``; its gradient is copied back to where ``x`` lives."""

    formula = "∂y/∂x = 1, on x's device"

    @staticmethod
    def forward(ctx: Any, x: Any, device: Device) -> Any:
        ctx.source = device_of(x)
        return to_device(x, device)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any, None]:
        return to_device(grad, ctx.source), None
