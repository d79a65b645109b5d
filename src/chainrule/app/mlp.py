"""The MLP that ``--layers``, ``--activation`` and ``--loss`` describe: how it is built, what
its loss and predictions are, and whether it fits a data set."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np

from .. import functional as F
from .. import nn
from .._backend import to_device, to_numpy
from ..errors import UserError
from ..nn.activation import ACTIVATIONS
from ..tensor import Tensor, wrap
from .datasets import DataBundle

LOSSES = ("mse", "ce", "bce")


def parameter_count(layers: Sequence[int]) -> int:
    """The weights and biases of the MLP of these layer sizes: (inputs + 1) × outputs per
    layer; 23,860 for seed 001's 784-30-10."""
    return sum((fan_in + 1) * fan_out for fan_in, fan_out in pairwise(layers))


@dataclass(frozen=True)
class Architecture:
    """An MLP by its layer sizes, hidden activation and loss; enough to rebuild it from a
    checkpoint. With MSE the outputs pass through a sigmoid (seed 001's network); with CE
    and BCE the model outputs logits and the loss applies softmax or sigmoid itself."""

    layers: tuple[int, ...]
    activation: str
    loss: str

    def __post_init__(self) -> None:
        if len(self.layers) < 2 or any(size < 1 for size in self.layers):
            raise UserError(
                f"--layers needs at least two positive sizes (inputs,...,outputs), "
                f"not {','.join(map(str, self.layers))}"
            )
        if self.activation not in ACTIVATIONS:
            raise UserError(
                f"unknown --activation {self.activation!r}; use {', '.join(ACTIVATIONS)}"
            )
        if self.loss not in LOSSES:
            raise UserError(f"unknown --loss {self.loss!r}; use {', '.join(LOSSES)}")

    @property
    def outputs(self) -> int:
        return self.layers[-1]

    def build(self) -> nn.Sequential:
        return nn.mlp(self.layers, self.activation, "sigmoid" if self.loss == "mse" else None)

    def check_fits(self, bundle: DataBundle) -> None:
        """Raise a clear error when the layer sizes do not fit the data."""
        if self.layers[0] != bundle.features:
            raise UserError(
                f"--layers starts with {self.layers[0]} inputs, but {bundle.name} has "
                f"{bundle.features} features per sample; start with {bundle.features}"
            )
        fits = self.outputs == bundle.classes or (bundle.classes == 2 and self.outputs == 1)
        if not fits or (self.outputs == 1 and self.loss == "ce"):
            wanted = "1 or 2" if bundle.classes == 2 and self.loss != "ce" else bundle.classes
            raise UserError(
                f"--layers ends with {self.outputs} outputs, but {bundle.name} has "
                f"{bundle.classes} classes; end with {wanted}"
            )

    def loss_of(self, outputs: Tensor, labels: Tensor) -> Tensor:
        """The loss of ``outputs`` against class ``labels`` (N,), a tensor on the outputs'
        device, in the form this loss wants."""
        return self.criterion(outputs, self.targets_of(labels, outputs))

    def targets_of(self, labels: Tensor, outputs: Tensor) -> Tensor:
        """Class ``labels`` (N,) in the form this loss compares the outputs with: the labels
        for CE, else one-hot rows (or a column of 0/1 for one output) in the outputs' dtype
        and on their device (only their dtype and device are read)."""
        if self.loss == "ce":
            return labels
        if self.outputs == 1:
            return wrap(labels.data.astype(outputs.dtype)[:, None])
        one_hot = np.eye(self.outputs, dtype=outputs.dtype)
        return wrap(to_device(one_hot, outputs.device)[labels.data])

    def criterion(self, outputs: Tensor, targets: Tensor) -> Tensor:
        """The loss of ``outputs`` against ``targets`` from ``targets_of``."""
        if self.loss == "ce":
            return F.cross_entropy(outputs, targets)
        if self.loss == "mse":
            return F.mse_loss(outputs, targets)
        return F.binary_cross_entropy_with_logits(outputs, targets)

    def predict(self, outputs: Any) -> Any:
        """Class labels (N,) from the model's outputs (N, outputs), an array on any device."""
        if self.outputs == 1:
            threshold = 0.5 if self.loss == "mse" else 0.0
            return (outputs[:, 0] > threshold).astype(np.int64)
        return outputs.argmax(axis=1)

    def correct(self, outputs: Tensor, labels: Any) -> int:
        """How many of the predictions from ``outputs`` are the ``labels`` (N,), an array on
        the outputs' device; counted there, so that only the count leaves a GPU."""
        return int((self.predict(outputs.data) == labels).sum())

    def probabilities(self, outputs: Tensor) -> np.ndarray:
        """Per-class scores in [0, 1] from the model's outputs (softmax for CE, sigmoid for
        BCE), on the CPU."""
        if self.loss == "ce":
            outputs = outputs.softmax(-1)
        elif self.loss == "bce":
            outputs = outputs.sigmoid()
        return to_numpy(outputs.data)
