"""Each workload with PyTorch on the CPU, eager: ``torch.nn.Sequential`` of the same plan,
``torch.optim.SGD``, the same loss.

Batches are slices of tensors held in memory, the fastest way to feed PyTorch from arrays
(its ``DataLoader`` would collate sample by sample, which would slow PyTorch down, not
measure it). Imported only when PyTorch is importable; the thread count is PyTorch's default.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .inputs import Problem
from .workloads import Layer, Workload

_ACTIVATIONS = {"sigmoid": torch.nn.Sigmoid, "relu": torch.nn.ReLU, "flatten": torch.nn.Flatten}


def _layer(layer: Layer) -> torch.nn.Module:
    if layer.kind == "linear":
        return torch.nn.Linear(*layer.sizes)
    if layer.kind == "conv":
        return torch.nn.Conv2d(*layer.sizes)
    if layer.kind == "maxpool":
        return torch.nn.MaxPool2d(*layer.sizes)
    return _ACTIVATIONS[layer.kind]()


def _loss(workload: Workload) -> torch.nn.Module:
    return torch.nn.MSELoss() if workload.loss == "mse" else torch.nn.CrossEntropyLoss()


def prepare_data(workload: Workload, problem: Problem) -> tuple[torch.Tensor, torch.Tensor]:
    """Tensors of PyTorch's own (copies: the problem's arrays are read-only)."""
    return torch.tensor(problem.inputs), torch.tensor(problem.targets)


def build(workload: Workload, problem: Problem) -> tuple[Any, ...]:
    """The network with the initial weights copied into its parameters' ``.data``, its
    optimizer and its loss."""
    model = torch.nn.Sequential(*map(_layer, workload.plan))
    layers = [m for m in model if isinstance(m, torch.nn.Linear | torch.nn.Conv2d)]
    for layer, (weight, bias) in zip(layers, problem.weights, strict=True):
        layer.weight.data.copy_(torch.tensor(weight))
        layer.bias.data.copy_(torch.tensor(bias))
    return model, torch.optim.SGD(model.parameters(), lr=workload.lr), _loss(workload)


def train_epoch(workload: Workload, state: Any, data: Any) -> None:
    """One epoch over batches sliced in order from the tensors of ``prepare_data``."""
    model, optimizer, loss_fn = state
    x, t = data
    batch = workload.batch
    for start in range(0, len(x), batch):
        loss = loss_fn(model(x[start : start + batch]), t[start : start + batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def evaluation_loss(workload: Workload, state: Any, x: np.ndarray, t: np.ndarray) -> float:
    """The network's mean loss on (x, t), without recording a graph."""
    model, _, loss_fn = state
    with torch.no_grad():
        return float(loss_fn(model(torch.tensor(x)), torch.tensor(t)).item())


def threads() -> dict[str, int]:
    """PyTorch's intra-op and inter-op thread counts (left at their defaults)."""
    return {"intra_op": torch.get_num_threads(), "inter_op": torch.get_num_interop_threads()}
