"""The worked examples' networks, ready to explain."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import nn
from ..function import no_grad

SEED_000_LR = 0.5
"""The learning rate of Matt Mazur's example, and so ``chainrule explain``'s default."""


@dataclass(frozen=True)
class Example:
    """A network with one training sample and the settings of its walk-through."""

    model: nn.Sequential
    inputs: tuple[float, ...]
    targets: tuple[float, ...]
    lr: float
    loss: str = "half_sse"
    freeze_biases: bool = False


def seed_000() -> Example:
    """Matt Mazur's 2-2-2 sigmoid network: inputs 0.05 and 0.10, targets 0.01 and 0.99,
    weights w1…w8 = 0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55, biases b1 = 0.35 and
    b2 = 0.60 (left unchanged by the update), E = Σ ½(t − o)², learning rate 0.5
    (``SEED_000_LR``). In float64,
    so the numbers are the worked example's to every digit."""
    model = nn.mlp((2, 2, 2), "sigmoid", "sigmoid").double()
    with no_grad():
        model[0].weight.data[...] = np.array([[0.15, 0.20], [0.25, 0.30]])
        model[0].bias.data[...] = 0.35
        model[2].weight.data[...] = np.array([[0.40, 0.45], [0.50, 0.55]])
        model[2].bias.data[...] = 0.60
    return Example(model, (0.05, 0.10), (0.01, 0.99), lr=SEED_000_LR, freeze_biases=True)
