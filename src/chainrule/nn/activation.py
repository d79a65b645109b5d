"""Activation layers: the elementwise nonlinearities and softmax as modules.

The common ones call their op directly rather than through the tensor method: one Python
call fewer on the path every training step takes.
"""

from __future__ import annotations

from ..ops.activation import ReLU as ReLUOp
from ..ops.activation import Sigmoid as SigmoidOp
from ..ops.elementwise import Tanh as TanhOp
from ..tensor import Tensor
from .module import Module


class Sigmoid(Module):
    """y = 1 / (1 + exp(-x))."""

    def forward(self, x: Tensor) -> Tensor:
        return SigmoidOp.apply(x)


class Tanh(Module):
    """y = tanh(x)."""

    def forward(self, x: Tensor) -> Tensor:
        return TanhOp.apply(x)


class ReLU(Module):
    """y = max(x, 0)."""

    def forward(self, x: Tensor) -> Tensor:
        return ReLUOp.apply(x)


class LeakyReLU(Module):
    """y = x for x > 0, else negative_slope · x."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x: Tensor) -> Tensor:
        return x.leaky_relu(self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Softmax(Module):
    """y = softmax(x) along ``dim``."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return x.softmax(self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """y = log softmax(x) along ``dim``."""

    def forward(self, x: Tensor) -> Tensor:
        return x.log_softmax(self.dim)


ACTIVATIONS: dict[str, type[Module]] = {
    "sigmoid": Sigmoid,
    "relu": ReLU,
    "tanh": Tanh,
    "leaky_relu": LeakyReLU,
}
"""The elementwise activations by name: the names ``mlp`` takes, and the only table of them
(whatever offers a choice of activation offers these)."""
