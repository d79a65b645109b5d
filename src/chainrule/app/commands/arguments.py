"""Argument types shared by the commands."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def _comma_separated(text: str, convert: Callable[[str], float], what: str, example: str) -> tuple:
    try:
        return tuple(convert(item) for item in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of {what}, like {example}"
        ) from None


def layer_sizes(text: str) -> tuple[int, ...]:
    """``"784,30,10"`` as (784, 30, 10), or an argparse error that shows the expected form."""
    return _comma_separated(text, int, "layer sizes", "64,32,10")


def numbers(text: str) -> tuple[float, ...]:
    """``"0.05,0.10"`` as (0.05, 0.1), or an argparse error that shows the expected form."""
    return _comma_separated(text, float, "numbers", "0.05,0.10")
