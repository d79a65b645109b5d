"""Dense layers and the layers that only reshape or pass through."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._backend import Device
from ..function import Function
from ..ops.linear import Linear as LinearOp
from ..tensor import Tensor
from . import init
from .module import Module
from .parameter import Parameter


class Linear(Module):
    """y = x @ weight.T + bias;  x (N, in_features) -> (N, out_features).

    ``weight`` is (out_features, in_features) and ``bias`` (out_features,), as in PyTorch,
    initialised as PyTorch does: U(-1/sqrt(in_features), 1/sqrt(in_features)) for both.
    ``device`` and ``dtype`` place them, after they are drawn on the CPU: a seed gives the
    same layer everywhere.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        device: str | Device | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(np.empty((out_features, in_features), dtype=np.float32))
        self.bias = Parameter(np.empty(out_features, dtype=np.float32)) if bias else None
        self.reset_parameters()
        self.to(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Tensor) -> Tensor:
        return self.forward_then(LinearOp, x)

    def forward_then(self, op: type[Function], x: Tensor, *args: Any) -> Tensor:
        """``op(x, weight, bias, *args)``: this layer's op, or (``LinearSigmoid``...) this
        layer and the activation after it as one op, which ``Sequential`` runs for the pair."""
        if x.shape[-1:] != (self.in_features,):
            raise ValueError(
                f"Linear(in_features={self.in_features}, out_features={self.out_features}) got "
                f"input of shape {x.shape}; its last dimension must be {self.in_features}"
            )
        return op.apply(x, self.weight, self.bias, *args)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Identity(Module):
    """y = x, whatever x is (a list too, as in PyTorch)."""

    def forward(self, x: Any) -> Any:
        return x


class Flatten(Module):
    """Merge dimensions ``start_dim`` .. ``end_dim``: (N, C, H, W) -> (N, C·H·W) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x: Tensor) -> Tensor:
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
