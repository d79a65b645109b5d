"""Each workload with chainrule, compiled: the network, data and loop of
``chainrule_version``, with the training step through ``cr.compile``, as a user compiles
one. Timed in its steady state, as a run of many epochs trains: one network and one compiled
step per workload, made at the suite's untimed warm-up (where the first call of a batch size
captures the step: an eager step and a check of its replay), and set back to the initial
weights for each timed epoch. What a capture costs is in benchmarks/NOTES.md: a few
milliseconds, once per batch size of a run."""

from __future__ import annotations

from typing import Any

import numpy as np

import chainrule as cr
from chainrule import nn
from chainrule._backend import to_device
from chainrule.data import DataLoader

from . import chainrule_version as eager
from .inputs import Problem
from .workloads import Workload

prepare_data = eager.prepare_data


_BUILT: dict[tuple[str, str], tuple[Any, ...]] = {}
"""Each workload's network, optimizer, loss, device and compiled step, by workload and device."""


def build(workload: Workload, problem: Problem, device: str = "cpu") -> tuple[Any, ...]:
    """``chainrule_version.build``'s network, optimizer, loss and device, and the compiled
    training step of those: made at the first call for the workload, afterwards the same
    ones with the initial weights written into the parameters (so the captures stand)."""
    built = _BUILT.get((workload.key, device))
    if built is None:
        built = _BUILT[workload.key, device] = _build(workload, problem, device)
    else:
        layers = [m for m in built[0] if isinstance(m, nn.Linear | nn.Conv2d)]
        for layer, (weight, bias) in zip(layers, problem.weights, strict=True):
            layer.weight.data[...] = to_device(weight, built[3])
            layer.bias.data[...] = to_device(bias, built[3])
        eager.wait(built[3])
    return built


def compiled_step(model: Any, optimizer: Any, loss_fn: Any) -> Any:
    """The training step of ``chainrule_version.train_epoch``'s loop, through ``cr.compile``."""

    def step(x: cr.Tensor, t: cr.Tensor) -> cr.Tensor:
        loss = loss_fn(model(x), t)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss

    return cr.compile(step)


def _build(workload: Workload, problem: Problem, device: str) -> tuple[Any, ...]:
    model, optimizer, loss_fn, placed = eager.build(workload, problem, device)
    return model, optimizer, loss_fn, placed, compiled_step(model, optimizer, loss_fn)


def train_epoch(workload: Workload, state: Any, loader: DataLoader) -> None:
    """One epoch of compiled steps."""
    step = state[4]
    for x, t in loader:
        step(x, t)
    eager.wait(state[3])


def evaluation_loss(workload: Workload, state: Any, x: np.ndarray, t: np.ndarray) -> float:
    return eager.evaluation_loss(workload, state[:4], x, t)
