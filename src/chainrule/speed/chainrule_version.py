"""Each workload with chainrule, written as a user writes it: ``nn.Sequential``, the loss
module, ``optim.SGD``, and a ``DataLoader`` over a ``TensorDataset`` (unshuffled, so the
batches come in the same order as the other two implementations')."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import nn, optim
from ..data import DataLoader, TensorDataset
from ..function import no_grad
from ..tensor import Tensor
from .inputs import Problem
from .workloads import Layer, Workload

_ACTIVATIONS = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU, "flatten": nn.Flatten}


def _layer(layer: Layer) -> nn.Module:
    if layer.kind == "linear":
        return nn.Linear(*layer.sizes)
    if layer.kind == "conv":
        return nn.Conv2d(*layer.sizes)
    if layer.kind == "maxpool":
        return nn.MaxPool2d(*layer.sizes)
    return _ACTIVATIONS[layer.kind]()


def _loss(workload: Workload) -> nn.Module:
    return nn.MSELoss() if workload.loss == "mse" else nn.CrossEntropyLoss()


def prepare_data(workload: Workload, problem: Problem) -> DataLoader:
    """The loader over the problem's arrays (shared, not copied), unshuffled."""
    return DataLoader(TensorDataset(problem.inputs, problem.targets), batch_size=workload.batch)


def build(workload: Workload, problem: Problem) -> tuple[nn.Module, optim.SGD, nn.Module]:
    """The network with the initial weights assigned to its parameters' ``.data``, its
    optimizer and its loss."""
    model = nn.Sequential(*map(_layer, workload.plan))
    layers = [m for m in model if isinstance(m, nn.Linear | nn.Conv2d)]
    for layer, (weight, bias) in zip(layers, problem.weights, strict=True):
        layer.weight.data = weight.copy()
        layer.bias.data = bias.copy()
    return model, optim.SGD(model.parameters(), lr=workload.lr), _loss(workload)


def train_epoch(workload: Workload, state: Any, loader: DataLoader) -> None:
    """One epoch: the loop of every chainrule training script."""
    model, optimizer, loss_fn = state
    for x, t in loader:
        loss = loss_fn(model(x), t)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def evaluation_loss(workload: Workload, state: Any, x: np.ndarray, t: np.ndarray) -> float:
    """The network's mean loss on (x, t), without recording a graph."""
    model, _, loss_fn = state
    with no_grad():
        return float(loss_fn(model(Tensor(x)), Tensor(t)).item())
