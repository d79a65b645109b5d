"""The one data set and the one set of initial weights that all three implementations of a
workload load, made once per process from a fixed seed.

The inputs are uniform in [0, 1) (MNIST's shape and range, none of its files). The labels
are not drawn independently of them: a fixed random linear "teacher" assigns them, so the
networks have something to learn and the loss after an epoch is far from the loss before.
With labels unrelated to the inputs both would sit near log 10, and an implementation that
did not train at all could pass the loss check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .workloads import IMAGE_SIDE, XOR_BATCH, Workload

EVALUATION_SAMPLES = 1_000
"""The loss after the epoch is compared on the first this many samples."""

_XOR_INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
_XOR_TARGETS = np.array([[0], [1], [1], [0]], dtype=np.float32)


@dataclass(frozen=True)
class Problem:
    """A workload's inputs, targets and initial weights.

    ``targets`` are what the loss compares the output with: class indices (N,) int64 for
    cross-entropy, one-hot rows (N, 10) float32 for MSE, XOR's 0/1 as (N, 1) float32.
    ``weights`` holds one (weight, bias) pair per layer with parameters, in the shapes
    PyTorch uses: (out, in) and (out,) for a linear layer, (out, in, k, k) and (out,) for
    a convolution. Every array is float32 except the class indices; nobody may write into
    them (implementations train copies).
    """

    inputs: np.ndarray
    targets: np.ndarray
    weights: tuple[tuple[np.ndarray, np.ndarray], ...]

    @property
    def samples(self) -> int:
        return len(self.inputs)

    @property
    def evaluation(self) -> tuple[np.ndarray, np.ndarray]:
        """The inputs and targets on which the losses after the epoch are compared."""
        return self.inputs[:EVALUATION_SAMPLES], self.targets[:EVALUATION_SAMPLES]


def make_problem(workload: Workload, samples: int, seed: int = 0) -> Problem:
    """``samples`` inputs with their targets, and the initial weights, for ``workload``.

    The data and the weights come from separate streams of ``seed``, so the weights are the
    same at every size; for XOR, ``samples`` is rounded down to whole batches of 4.
    """
    data_rng = np.random.default_rng([seed, 0])
    if workload.data == "xor":
        steps = max(1, samples // XOR_BATCH)
        inputs, targets = np.tile(_XOR_INPUTS, (steps, 1)), np.tile(_XOR_TARGETS, (steps, 1))
    else:
        inputs, labels = _taught(data_rng, samples, workload.outputs)
        if workload.data == "images":
            inputs = inputs.reshape(samples, 1, IMAGE_SIDE, IMAGE_SIDE)
        one_hot = np.eye(workload.outputs, dtype=np.float32)
        targets = labels if workload.loss == "ce" else one_hot[labels]
    weights = _initial_weights(workload, np.random.default_rng([seed, 1]))
    for array in (inputs, targets, *(a for pair in weights for a in pair)):
        array.flags.writeable = False
    return Problem(inputs, targets, weights)


def _taught(rng: np.random.Generator, samples: int, classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs (samples, 784) float32 in [0, 1) and the class a random linear teacher gives each."""
    features = IMAGE_SIDE * IMAGE_SIDE
    teacher = rng.standard_normal((features, classes), dtype=np.float32)
    inputs = rng.random((samples, features), dtype=np.float32)
    # (inputs - 0.5) @ teacher without an inputs-sized temporary, which would set the peak
    # RSS that the memory check compares.
    scores = inputs @ teacher
    scores -= 0.5 * teacher.sum(axis=0)
    return inputs, np.argmax(scores, axis=1).astype(np.int64)


def _initial_weights(
    workload: Workload, rng: np.random.Generator
) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """PyTorch's default initialisation of Linear and Conv2d: weight and bias both
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = inputs per unit (in channels × k × k)."""
    weights = []
    for layer in workload.parameter_layers:
        if layer.kind == "linear":
            fan_in, fan_out = layer.sizes
            shape: tuple[int, ...] = (fan_out, fan_in)
        else:
            channels_in, fan_out, kernel = layer.sizes
            shape = (fan_out, channels_in, kernel, kernel)
        bound = 1 / math.sqrt(math.prod(shape[1:]))
        weight = rng.uniform(-bound, bound, shape).astype(np.float32)
        bias = rng.uniform(-bound, bound, fan_out).astype(np.float32)
        weights.append((weight, bias))
    return tuple(weights)
