"""Dropout: random zeroing of activations while training, a regulariser."""

from __future__ import annotations

from .. import functional as F
from ..tensor import Tensor
from .module import Module


class Dropout(Module):
    """Zero each element with probability ``p`` in training and scale the rest by
    1 / (1 - p); the identity in evaluation (``model.eval()``). Any shape.

    The mask is drawn from chainrule's seeded generator, so ``cr.manual_seed`` makes it
    reproducible.
    """

    training_matters = True

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"
