"""Argument types shared by the commands."""

from __future__ import annotations

import argparse


def layer_sizes(text: str) -> tuple[int, ...]:
    """``"784,30,10"`` as (784, 30, 10), or an argparse error that shows the expected form."""
    try:
        return tuple(int(size) for size in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of layer sizes, like 64,32,10"
        ) from None
