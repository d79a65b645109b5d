"""Each workload with PyTorch, eager, on the CPU or a GPU: ``torch.nn.Sequential`` of the
same plan, ``torch.optim.SGD``, the same loss.

Batches are slices of tensors held in memory (on a GPU, in its memory), the fastest way to
feed PyTorch from arrays (its ``DataLoader`` would collate sample by sample, which would
slow PyTorch down, not measure it). On a GPU, ``build`` and ``train_epoch`` wait for it
before they return, as chainrule's do. Imported only when PyTorch is importable; the thread
count is PyTorch's default.
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


def _wait(device: torch.device) -> None:
    """Return when ``device`` has done the work queued on it (at once for the CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def prepare_data(
    workload: Workload, problem: Problem, device: str = "cpu"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Tensors of PyTorch's own on ``device`` (copies: the problem's arrays are read-only)."""
    data = torch.tensor(problem.inputs, device=device), torch.tensor(problem.targets, device=device)
    _wait(data[0].device)
    return data


def build(workload: Workload, problem: Problem, device: str = "cpu") -> tuple[Any, ...]:
    """The network with the initial weights copied into its parameters' ``.data``, moved to
    ``device``; its optimizer, its loss and that device."""
    model = torch.nn.Sequential(*map(_layer, workload.plan))
    layers = [m for m in model if isinstance(m, torch.nn.Linear | torch.nn.Conv2d)]
    for layer, (weight, bias) in zip(layers, problem.weights, strict=True):
        layer.weight.data.copy_(torch.tensor(weight))
        layer.bias.data.copy_(torch.tensor(bias))
    model.to(device)
    placed = next(model.parameters()).device
    _wait(placed)
    return model, torch.optim.SGD(model.parameters(), lr=workload.lr), _loss(workload), placed


def train_epoch(workload: Workload, state: Any, data: Any) -> None:
    """One epoch over batches sliced in order from the tensors of ``prepare_data``."""
    model, optimizer, loss_fn, device = state
    x, t = data
    batch = workload.batch
    for start in range(0, len(x), batch):
        loss = loss_fn(model(x[start : start + batch]), t[start : start + batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    _wait(device)


def evaluation_loss(workload: Workload, state: Any, x: np.ndarray, t: np.ndarray) -> float:
    """The network's mean loss on (x, t), on its device, without recording a graph."""
    model, _, loss_fn, device = state
    with torch.no_grad():
        inputs, targets = torch.tensor(x, device=device), torch.tensor(t, device=device)
        return float(loss_fn(model(inputs), targets).item())


def threads() -> dict[str, int]:
    """PyTorch's intra-op and inter-op thread counts (left at their defaults)."""
    return {"intra_op": torch.get_num_threads(), "inter_op": torch.get_num_interop_threads()}
