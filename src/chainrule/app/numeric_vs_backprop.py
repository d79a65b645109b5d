"""Backprop against numerical differentiation: the same gradient, checked and timed.

Seed 004 verifies an implementation of backprop by comparing its gradient with central
differences, which need no derivative and so hide no bugs; ``compare_gradients`` does
that for every parameter of a model. Seed 001 explains why nobody trains with central
differences: they cost two forward passes per parameter, where backprop gets every
parameter's derivative from one forward and one backward pass; ``measure`` times both on
seed 001's 784-30-10 network. The step and the rule that says whether the two agree are
``cr.gradcheck``'s, from ``chainrule.gradcheck``.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np

from .. import functional as F
from .. import nn
from ..explain.labels import say
from ..function import no_grad
from ..gradcheck import RULE, allowed_difference, central_difference, numerical_grad
from ..random import manual_seed
from ..tensor import Tensor

SEED_001_LAYERS = (784, 30, 10)
EPOCH_IMAGES = 60_000
SAMPLES = 200
"""Parameters whose central differences ``measure`` times, by default."""
BATCH = 10
"""Images per gradient, by default: seed 001's mini-batch."""


def over_allowed(backprop: np.ndarray, numerical: np.ndarray) -> float:
    """The largest ``|backprop - numerical|`` as a share of the difference the rule allows
    there (``allowed_difference``): at most 1 when every element agrees, as ``cr.gradcheck``
    judges; NaN when an element is NaN, which never agrees."""
    share = np.abs(backprop - numerical) / allowed_difference(numerical)
    return float(share.max(initial=0.0))  # NaN if any element is


def operands(lang: str) -> dict[str, str]:
    """The names of the two gradients compared, ``backprop`` and ``numerical``, in ``lang``."""
    return {"backprop": say(lang, "name_backprop"), "numerical": say(lang, "name_numerical")}


def rule_in(lang: str) -> str:
    """``cr.gradcheck``'s rule, ``RULE``, with its two operands named in ``lang``."""
    rule = RULE
    for operand, name in operands(lang).items():
        rule = rule.replace(operand, name)
    return rule


# ------------------------------------------------------------------------------ checking


@dataclass(frozen=True)
class ParameterCheck:
    """How far backprop's gradient of one parameter tensor is from central differences."""

    name: str
    shape: tuple[int, ...]
    max_abs_difference: float
    max_over_allowed: float

    @property
    def passed(self) -> bool:
        """Whether every element agrees (``over_allowed`` at most 1; a NaN never does)."""
        return self.max_over_allowed <= 1


def _loss_with(param: Tensor, loss: Callable[[], Tensor], value: Tensor) -> Tensor:
    """``loss()`` with ``value``'s array standing in for the parameter's."""
    original = param.data
    param.data = value.data
    try:
        return loss()
    finally:
        param.data = original


def compare_gradients(model: nn.Module, loss: Callable[[], Tensor]) -> list[ParameterCheck]:
    """Backprop's gradient of ``loss()`` (``loss.backward()``) against central differences
    (``numerical_grad``) for each parameter of ``model``, in ``named_parameters`` order.

    ``loss`` computes a scalar from ``model``'s current parameters; use a float64 model,
    or the numerical gradient is mostly rounding error. Costs two evaluations of ``loss``
    per parameter element.
    """
    model.zero_grad()
    loss().backward()
    checks = []
    for name, param in model.named_parameters():
        backprop = param.grad.numpy() if param.grad is not None else np.zeros(param.shape)
        (numerical,) = numerical_grad(partial(_loss_with, param, loss), [param])
        difference = np.abs(backprop - numerical)
        checks.append(
            ParameterCheck(
                name,
                tuple(param.shape),
                float(difference.max(initial=0.0)),
                over_allowed(backprop, numerical),
            )
        )
    return checks


# ------------------------------------------------------------------------------ timing

WARM_UP_RUNS = 3


def extrapolate(seconds: Sequence[float], total: int) -> float:
    """The time of ``total`` steps that cost the same, from the times of a sample of them:
    the median times ``total``, so that a step slowed by another process does not count.
    Central differences cost the same two forward passes for every parameter."""
    return statistics.median(seconds) * total


def gradients_per_epoch(batch: int, images: int = EPOCH_IMAGES) -> int:
    """How many gradients one pass over ``images`` takes in mini-batches of ``batch``."""
    return math.ceil(images / batch)


def epoch_seconds(seconds_per_gradient: float, batch: int, images: int = EPOCH_IMAGES) -> float:
    """The gradient time of one epoch; the optimizer's updates are left out, as they cost
    the same whichever way the gradient was found."""
    return gradients_per_epoch(batch, images) * seconds_per_gradient


@dataclass(frozen=True)
class Timing:
    """One gradient of seed 001's network by backprop and by central differences.

    ``backprop_seconds`` is the median of ``backprop_runs`` full gradients;
    ``numerical_seconds`` is extrapolated from the ``sampled`` parameters whose central
    differences took ``sampled_seconds`` in all; ``max_over_allowed`` compares the
    two methods on those parameters.
    """

    batch: int
    parameters: int
    backprop_seconds: float
    backprop_runs: int
    numerical_seconds: float
    sampled: int
    sampled_seconds: float
    max_over_allowed: float

    @property
    def estimated(self) -> bool:
        """Whether the numerical time is extrapolated from a sample of the parameters."""
        return self.sampled < self.parameters

    @property
    def ratio(self) -> float:
        return self.numerical_seconds / self.backprop_seconds


def seed_001_network() -> nn.Sequential:
    """784-30-10 with sigmoid on both layers, seed 001's network (23,860 parameters)."""
    return nn.mlp(SEED_001_LAYERS, "sigmoid", "sigmoid")


def _backprop_seconds(model: nn.Module, loss: Callable[[], Tensor], runs: int) -> list[float]:
    """The times of ``runs`` full gradients (forward and backward), after a warm-up."""
    times = []
    for _ in range(WARM_UP_RUNS + runs):
        model.zero_grad()
        started = time.perf_counter()
        loss().backward()
        times.append(time.perf_counter() - started)
    return times[WARM_UP_RUNS:]


def measure(samples: int = SAMPLES, batch: int = BATCH, seed: int = 0, runs: int = 50) -> Timing:
    """Time one gradient of seed 001's network under MSE on ``batch`` random images.

    Backprop: the median of ``runs`` full gradients. Central differences: the median time
    of ``samples`` parameters drawn at random (all of them when ``samples`` is at least
    23,860), times the number of parameters. Both in float64, so that the sampled
    numerical values can be checked against backprop's: the two give the same answer.
    """
    if samples < 1 or batch < 1 or runs < 1:
        raise ValueError(
            f"samples, batch and runs must be positive, not {samples}, {batch} and {runs}"
        )
    manual_seed(seed)
    model = seed_001_network().double()
    rng = np.random.default_rng(seed)
    images = Tensor(rng.random((batch, SEED_001_LAYERS[0])), dtype=np.float64)
    targets = Tensor(np.eye(SEED_001_LAYERS[-1])[rng.integers(0, SEED_001_LAYERS[-1], batch)])

    def loss() -> Tensor:
        return F.mse_loss(model(images), targets)

    def loss_value() -> float:
        return loss().item()

    backprop_times = _backprop_seconds(model, loss, runs)
    params = list(model.parameters())
    flats = [p.data.reshape(-1) for p in params]
    backprop = np.concatenate([p.grad.numpy().reshape(-1) for p in params])
    starts = np.cumsum([0] + [flat.size for flat in flats])
    chosen = np.sort(rng.choice(backprop.size, size=min(samples, backprop.size), replace=False))
    owners = np.searchsorted(starts, chosen, side="right") - 1

    numerical, numerical_times = [], []
    with no_grad():
        for owner, index in zip(owners, chosen, strict=True):
            started = time.perf_counter()
            flat, element = flats[owner], int(index - starts[owner])
            numerical.append(central_difference(loss_value, flat, element))
            numerical_times.append(time.perf_counter() - started)
    return Timing(
        batch=batch,
        parameters=backprop.size,
        backprop_seconds=statistics.median(backprop_times),
        backprop_runs=runs,
        numerical_seconds=extrapolate(numerical_times, backprop.size),
        sampled=chosen.size,
        sampled_seconds=sum(numerical_times),
        max_over_allowed=over_allowed(backprop[chosen], np.array(numerical)),
    )
