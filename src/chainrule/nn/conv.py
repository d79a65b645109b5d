"""Image layers: 2-D convolution and max pooling over (N, C, H, W) batches."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import functional as F
from .._backend import Device
from ..tensor import Tensor
from . import init
from .module import Module
from .parameter import Parameter


class Conv2d(Module):
    """y = conv2d(x, weight) + bias;  x (N, in_channels, H, W) -> (N, out_channels, OH, OW),
    OH = (H + 2·padding - kH) // stride + 1 (and so for OW).

    ``kernel_size``, ``stride`` and ``padding`` are an int or a (rows, columns) pair, kept as
    pairs. ``weight`` is (out_channels, in_channels, kH, kW) and ``bias`` (out_channels,), as
    in PyTorch, initialised as PyTorch does: both U(-1/sqrt(fan_in), 1/sqrt(fan_in)), with
    fan_in = in_channels·kH·kW (that is kaiming_uniform_ with a = sqrt(5) for the weight).
    ``device`` and ``dtype`` place them, after they are drawn on the CPU.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        bias: bool = True,
        device: str | Device | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = F._pair(kernel_size, "kernel_size")
        self.stride = F._pair(stride, "stride")
        self.padding = F._pair(padding, "padding")
        shape = (out_channels, in_channels, *self.kernel_size)
        self.weight = Parameter(np.empty(shape, dtype=np.float32))
        self.bias = Parameter(np.empty(out_channels, dtype=np.float32)) if bias else None
        self.reset_parameters()
        self.to(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init.calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim not in (3, 4) or x.shape[-3] != self.in_channels:
            raise ValueError(
                f"Conv2d(in_channels={self.in_channels}, out_channels={self.out_channels}, "
                f"kernel_size={self.kernel_size}) expects input (N, {self.in_channels}, H, W), "
                f"got {x.shape}"
            )
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding)

    def extra_repr(self) -> str:
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.bias is None:
            text += ", bias=False"
        return text


class MaxPool2d(Module):
    """The maximum of each kernel_size window: x (N, C, H, W) -> (N, C, OH, OW), with
    OH = (H + 2·padding - kH) // stride + 1; ``stride`` defaults to ``kernel_size``.

    Each window's gradient goes to its first maximum (row-major), as in PyTorch.
    """

    def __init__(
        self,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim not in (3, 4):
            raise ValueError(
                f"MaxPool2d(kernel_size={self.kernel_size}) expects input (N, C, H, W) or "
                f"(C, H, W), got {x.shape}"
            )
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
