"""Each workload with chainrule, written as a user writes it: ``nn.Sequential``, the loss
module, ``optim.SGD``, and a ``DataLoader`` over a ``TensorDataset`` (unshuffled, so the
batches come in the same order as the other two implementations').

On a GPU the data and the network are put there before the clock starts, and ``build`` and
``train_epoch`` wait for the GPU before they return (its calls return before its work is
done), so that the clock times the work itself.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule import Device, Tensor, cuda, nn, no_grad, optim
from chainrule.data import DataLoader, TensorDataset

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


def wait(device: Device) -> None:
    """Return when ``device`` has done the work queued on it (at once for the CPU)."""
    if device.type == "cuda":
        cuda.synchronize(device)


def prepare_data(workload: Workload, problem: Problem, device: str = "cpu") -> DataLoader:
    """The loader over the problem's arrays, unshuffled: on the CPU the arrays themselves
    (shared, not copied), on a GPU one copy of each there, whose batches are views."""
    if device == "cpu":
        return DataLoader(TensorDataset(problem.inputs, problem.targets), batch_size=workload.batch)
    arrays = Tensor(problem.inputs, device=device), Tensor(problem.targets, device=device)
    loader = DataLoader(TensorDataset(*arrays), batch_size=workload.batch)
    wait(arrays[0].device)
    return loader


def build(workload: Workload, problem: Problem, device: str = "cpu") -> tuple[Any, ...]:
    """The network with the initial weights assigned to its parameters' ``.data``, moved to
    ``device``; its optimizer, its loss and that device."""
    model = nn.Sequential(*map(_layer, workload.plan))
    layers = [m for m in model if isinstance(m, nn.Linear | nn.Conv2d)]
    for layer, (weight, bias) in zip(layers, problem.weights, strict=True):
        layer.weight.data = weight.copy()
        layer.bias.data = bias.copy()
    model.to(device)
    placed = next(model.parameters()).device
    wait(placed)
    return model, optim.SGD(model.parameters(), lr=workload.lr), _loss(workload), placed


def train_epoch(workload: Workload, state: Any, loader: DataLoader) -> None:
    """One epoch: the loop of every chainrule training script."""
    model, optimizer, loss_fn, device = state
    for x, t in loader:
        loss = loss_fn(model(x), t)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    wait(device)


def evaluation_loss(workload: Workload, state: Any, x: np.ndarray, t: np.ndarray) -> float:
    """The network's mean loss on (x, t), on its device, without recording a graph."""
    model, _, loss_fn, device = state
    with no_grad():
        return float(loss_fn(model(Tensor(x, device=device)), Tensor(t, device=device)).item())
