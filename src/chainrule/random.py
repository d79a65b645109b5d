"""The one random-number generator behind every random tensor, so runs are reproducible."""

from __future__ import annotations

from typing import Any

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the generator: the same seed gives the same random tensors, shuffles and dropout.

    The generator object stays the same, so references to it follow the new seed.
    """
    _generator.bit_generator.state = np.random.PCG64(seed).state
    return _generator


def default_generator() -> np.random.Generator:
    """The generator that random tensors are drawn from."""
    return _generator


def get_rng_state() -> dict[str, Any]:
    """The generator's state, a plain dict that ``set_rng_state`` restores."""
    return _generator.bit_generator.state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore a state returned by ``get_rng_state``."""
    _generator.bit_generator.state = state
