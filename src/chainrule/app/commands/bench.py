"""``chainrule bench WORKLOAD``: timed workloads, by name.

``WORKLOADS`` maps each name to its help, its options and its handler, so a new workload
is one more entry; ``chainrule bench`` alone lists them. The speed suite, chainrule against
NumPy and PyTorch, is not installed: it is ``python benchmarks/run.py`` in a clone.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ...gradcheck import ATOL, EPS, RTOL, RULE
from ..mlp import parameter_count
from ..numeric_vs_backprop import (
    BATCH,
    EPOCH_IMAGES,
    SAMPLES,
    SEED_001_LAYERS,
    Timing,
    epoch_seconds,
    gradients_per_epoch,
    measure,
)
from .arguments import positive_int, random_seed

SPEED_SUITE = "Speed against NumPy and PyTorch: python benchmarks/run.py, in a clone of chainrule."


@dataclass(frozen=True)
class Workload:
    """A benchmark: a one-line help, its own options, and a handler returning the exit code."""

    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def register(subparsers: Any) -> None:
    bench = subparsers.add_parser(
        "bench",
        help="time a workload (with no name: list the workloads)",
        description=f"Time a workload; with no workload name, list them. {SPEED_SUITE}",
    )
    workloads = bench.add_subparsers(dest="workload", metavar="WORKLOAD")
    for name, workload in WORKLOADS.items():
        parser = workloads.add_parser(name, help=workload.help, description=workload.help)
        workload.add_arguments(parser)
        parser.set_defaults(handler=workload.run)
    bench.set_defaults(handler=_list_workloads)


def _list_workloads(args: argparse.Namespace) -> int:
    print("Workloads (run one with: chainrule bench WORKLOAD):")
    width = max(map(len, WORKLOADS))
    for name, workload in WORKLOADS.items():
        print(f"  {name:<{width}}  {workload.help}")
    print(SPEED_SUITE)
    return 0


def _images(count: int) -> str:
    return f"{count} random image{'' if count == 1 else 's'}"


def _duration(seconds: float) -> str:
    """A duration in the unit that reads best: 0.172 ms, 4.11 s, 6.8 hours."""
    if seconds < 1:
        return f"{seconds * 1e3:.3g} ms"
    if seconds < 120:
        return f"{seconds:.3g} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} hours"


# ------------------------------------------------------------------------------ numeric-vs-backprop


def _numeric_vs_backprop_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--samples",
        type=positive_int,
        default=SAMPLES,
        help="parameters whose central differences are timed; their median time is "
        f"extrapolated to all {parameter_count(SEED_001_LAYERS):,} (default: %(default)s)",
    )
    parser.add_argument(
        "--batch",
        type=positive_int,
        default=BATCH,
        help="images per gradient, and the mini-batch of the epoch estimate (default: %(default)s)",
    )
    parser.add_argument(
        "--seed",
        type=random_seed,
        default=0,
        help="for the weights, images and sample (default: %(default)s)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")


def _numeric_vs_backprop(args: argparse.Namespace) -> int:
    timing = measure(samples=args.samples, batch=args.batch, seed=args.seed)
    if args.json:
        print(json.dumps(_summary(timing)))
    else:
        print("\n".join(_report(timing)))
    return 0


def _summary(timing: Timing) -> dict:
    return {
        "workload": "numeric-vs-backprop",
        "layers": list(SEED_001_LAYERS),
        "activation": "sigmoid",
        "loss": "mse",
        "dtype": "float64",
        "batch": timing.batch,
        "parameters": timing.parameters,
        "sampled_parameters": timing.sampled,
        "estimated": timing.estimated,
        "backprop_seconds": timing.backprop_seconds,
        "backprop_runs": timing.backprop_runs,
        "numerical_sampled_seconds": timing.sampled_seconds,
        "numerical_seconds": timing.numerical_seconds,
        "ratio": timing.ratio,
        "eps": EPS,
        "max_over_allowed": timing.max_over_allowed,
        "agree": timing.max_over_allowed <= 1,
        "rule": RULE,
        "atol": ATOL,
        "rtol": RTOL,
        "epoch": {
            "images": EPOCH_IMAGES,
            "batch": timing.batch,
            "gradients": gradients_per_epoch(timing.batch),
            "backprop_seconds": epoch_seconds(timing.backprop_seconds, timing.batch),
            "numerical_seconds": epoch_seconds(timing.numerical_seconds, timing.batch),
        },
    }


def _report(timing: Timing) -> list[str]:
    network = "-".join(map(str, SEED_001_LAYERS))
    if timing.estimated:
        how = (
            f"estimated from the median time of {timing.sampled:,} of {timing.parameters:,} "
            f"parameters ({_duration(timing.sampled_seconds)} in all)"
        )
    else:
        how = f"measured on all {timing.parameters:,} parameters"
    rows = [
        (
            f"backprop (1 forward + 1 backward pass, median of {timing.backprop_runs} runs)",
            _duration(timing.backprop_seconds),
        ),
        (
            "central differences (2 forward passes per parameter)",
            _duration(timing.numerical_seconds),
        ),
        (f"  {how}", ""),
        ("numerical / backprop", f"{timing.ratio:,.0f}x"),
    ]
    epoch = [
        ("backprop", _duration(epoch_seconds(timing.backprop_seconds, timing.batch))),
        ("central differences", _duration(epoch_seconds(timing.numerical_seconds, timing.batch))),
    ]
    width = max(len(label) for label, value in rows + epoch if value)
    return [
        f"One gradient of seed 001's {network} sigmoid network ({timing.parameters:,} "
        f"parameters), MSE on {_images(timing.batch)}, float64:",
        *(f"  {label:<{width}}  {value}".rstrip() for label, value in rows),
        f"  {'same answer' if timing.max_over_allowed <= 1 else 'DIFFERENT ANSWERS'} on the "
        f"{timing.sampled:,} parameters timed: the worst is at {timing.max_over_allowed:.1e} "
        "of the bound",
        f"    {RULE} (cr.gradcheck's rule,",
        f"    atol {ATOL:g}, rtol {RTOL:g})",
        f"Seed 001's scenario: one epoch of {EPOCH_IMAGES:,} images in mini-batches of "
        f"{timing.batch} ({gradients_per_epoch(timing.batch):,} gradients):",
        *(f"  {label:<{width}}  {value}" for label, value in epoch),
    ]


WORKLOADS: dict[str, Workload] = {
    "numeric-vs-backprop": Workload(
        help="one gradient of seed 001's 784-30-10 network by central differences and by backprop",
        add_arguments=_numeric_vs_backprop_arguments,
        run=_numeric_vs_backprop,
    ),
}
