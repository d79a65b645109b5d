"""Argument types shared by the commands: each turns the text of an option into its value,
or raises the ``argparse.ArgumentTypeError`` that argparse reports as
``chainrule CMD: error: argument --OPTION: ...`` (exit code 2)."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def _number(text: str, convert: Callable[[str], float], what: str) -> float:
    try:
        value = convert(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}")
    return value


def positive_number(text: str) -> float:
    """A finite number above 0, like a learning rate."""
    value = _number(text, float, "a positive number")
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text}")
    return value


def at_least(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """The type of a whole number from ``minimum`` up (to ``maximum``, when given)."""
    if maximum is None:
        what = f"a whole number of {minimum} or more"
    else:
        what = f"a whole number from {minimum} to {maximum}"

    def whole_number(text: str) -> int:
        value = _number(text, int, what)
        if value < minimum or (maximum is not None and value > maximum):
            raise argparse.ArgumentTypeError(f"must be {what}, not {text}")
        return value

    return whole_number


positive_int = at_least(1)
"""A count: 1 or more (epochs, batch sizes, steps)."""

random_seed = at_least(0)
"""A random seed: 0 or more, as ``manual_seed`` takes it."""


def _comma_separated(text: str, convert: Callable[[str], float], what: str, example: str) -> tuple:
    try:
        return tuple(_number(item, convert, what) for item in text.split(","))
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of {what}, like {example}"
        ) from None


def layer_sizes(text: str) -> tuple[int, ...]:
    """``"784,30,10"`` as (784, 30, 10), or an argparse error that shows the expected form."""
    sizes = _comma_separated(text, int, "layer sizes", "64,32,10")
    if min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"layer sizes must be 1 or more, not {text}")
    return sizes


def numbers(text: str) -> tuple[float, ...]:
    """``"0.05,0.10"`` as (0.05, 0.1), or an argparse error that shows the expected form."""
    return _comma_separated(text, float, "finite numbers", "0.05,0.10")


def add_download(parser: argparse.ArgumentParser) -> None:
    """``--download``, for the commands that load ``--data`` by name."""
    parser.add_argument(
        "--download",
        action="store_true",
        help="fetch the files that mnist:DIR or fashion-mnist:DIR lacks into DIR, checked "
        "against their published MD5 sums",
    )
