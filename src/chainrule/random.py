"""The random-number generators behind every random tensor, so runs are reproducible.

CPU tensors, shuffles and parameter initialisation draw from one NumPy generator. Each GPU
draws from a CuPy generator of its own, made on first use, so that random GPU tensors
(dropout masks) never cross the bus; ``manual_seed`` seeds them all.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._backend import Device, cupy, on_device

_generator = np.random.default_rng()
_gpu_generators: dict[int, Any] = {}
_seed: int | None = None


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the generator: the same seed gives the same random tensors, shuffles and dropout.

    The CPU generator object stays the same, so references to it follow the new seed; each
    GPU's generator is remade from ``seed`` when next used.
    """
    global _seed
    _generator.bit_generator.state = np.random.PCG64(seed).state
    _seed = seed
    _gpu_generators.clear()
    return _generator


def default_generator() -> np.random.Generator:
    """The generator that random tensors are drawn from."""
    return _generator


def generator_for(device: Device) -> Any:
    """The generator that random arrays on ``device`` are drawn from."""
    if device.type == "cpu":
        return _generator
    generator = _gpu_generators.get(device.index)
    if generator is None:
        seed = None if _seed is None else _seed + device.index
        with on_device(device):
            generator = _gpu_generators[device.index] = cupy().random.default_rng(seed)
    return generator


def get_rng_state() -> dict[str, Any]:
    """The CPU generator's state, a plain dict that ``set_rng_state`` restores."""
    return _generator.bit_generator.state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore a state returned by ``get_rng_state``."""
    _generator.bit_generator.state = state
