"""Each workload with chainrule, compiled: the network, data and loop of
``chainrule_version``, with the training step through ``cr.compile``, as a user compiles
one. Its first call of each batch size captures the step (an eager step and a check of its
replay), inside the timed epoch: the cost of compiling is part of the figure."""

from __future__ import annotations

from typing import Any

import numpy as np

import chainrule as cr
from chainrule.data import DataLoader

from . import chainrule_version as eager
from .inputs import Problem
from .workloads import Workload

prepare_data = eager.prepare_data


def build(workload: Workload, problem: Problem, device: str = "cpu") -> tuple[Any, ...]:
    """``chainrule_version.build``'s network, optimizer, loss and device, and the compiled
    training step of those."""
    model, optimizer, loss_fn, placed = eager.build(workload, problem, device)

    def step(x: cr.Tensor, t: cr.Tensor) -> cr.Tensor:
        loss = loss_fn(model(x), t)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss

    return model, optimizer, loss_fn, placed, cr.compile(step)


def train_epoch(workload: Workload, state: Any, loader: DataLoader) -> None:
    """One epoch of compiled steps."""
    step = state[4]
    for x, t in loader:
        step(x, t)
    eager.wait(state[3])


def evaluation_loss(workload: Workload, state: Any, x: np.ndarray, t: np.ndarray) -> float:
    return eager.evaluation_loss(workload, state[:4], x, t)
