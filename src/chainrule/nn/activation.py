"""Activation layers: the elementwise nonlinearities and softmax as modules.

The common ones call their op directly rather than through the tensor method: one Python
call fewer on the path every training step takes. The elementwise ones also say how they
run together with a ``Linear`` layer before them (``forward_after``), as one op, which
``Sequential`` does (see ``FUSED_AFTER_LINEAR``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..ops.activation import ReLU as ReLUOp
from ..ops.activation import Sigmoid as SigmoidOp
from ..ops.elementwise import Tanh as TanhOp
from ..ops.linear import LinearLeakyReLU, LinearReLU, LinearSigmoid, LinearTanh
from ..tensor import Tensor
from .module import Module

if TYPE_CHECKING:
    from .linear import Linear


class Sigmoid(Module):
    """y = 1 / (1 + exp(-x))."""

    def forward(self, x: Tensor) -> Tensor:
        return SigmoidOp.apply(x)

    def forward_after(self, linear: Linear, x: Tensor) -> Tensor:
        """``self(linear(x))`` as one op."""
        return linear.forward_then(LinearSigmoid, x)


class Tanh(Module):
    """y = tanh(x)."""

    def forward(self, x: Tensor) -> Tensor:
        return TanhOp.apply(x)

    def forward_after(self, linear: Linear, x: Tensor) -> Tensor:
        """``self(linear(x))`` as one op."""
        return linear.forward_then(LinearTanh, x)


class ReLU(Module):
    """y = max(x, 0)."""

    def forward(self, x: Tensor) -> Tensor:
        return ReLUOp.apply(x)

    def forward_after(self, linear: Linear, x: Tensor) -> Tensor:
        """``self(linear(x))`` as one op."""
        return linear.forward_then(LinearReLU, x)


class LeakyReLU(Module):
    """y = x for x > 0, else negative_slope · x."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x: Tensor) -> Tensor:
        return x.leaky_relu(self.negative_slope)

    def forward_after(self, linear: Linear, x: Tensor) -> Tensor:
        """``self(linear(x))`` as one op."""
        return linear.forward_then(LinearLeakyReLU, x, self.negative_slope)

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


FUSED_AFTER_LINEAR = frozenset({Sigmoid, Tanh, ReLU, LeakyReLU})
"""The activations that ``Sequential`` runs together with a ``Linear`` layer before them, as
one op (``forward_after``), with the same values and gradients bit for bit. Exactly these
classes: a subclass may compute something else."""

ACTIVATIONS: dict[str, type[Module]] = {
    "sigmoid": Sigmoid,
    "relu": ReLU,
    "tanh": Tanh,
    "leaky_relu": LeakyReLU,
}
"""The elementwise activations by name: the names ``mlp`` takes, and the only table of them
(whatever offers a choice of activation offers these)."""
