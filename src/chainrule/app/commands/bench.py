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

from rich.cells import cell_len

from ...explain.labels import LANGUAGES, WORKS, credit, say
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
    operands,
    rule_in,
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


def _duration(seconds: float, lang: str) -> str:
    """A duration in the unit that reads best, in ``lang``: 0.172 ms, 4.11 s, 6.8 hours."""
    if seconds < 1:
        return say(lang, "duration_ms", value=f"{seconds * 1e3:.3g}")
    if seconds < 120:
        return say(lang, "duration_s", value=f"{seconds:.3g}")
    if seconds < 7200:
        return say(lang, "duration_min", value=f"{seconds / 60:.1f}")
    return say(lang, "duration_hours", value=f"{seconds / 3600:.1f}")


def _padded(label: str, width: int) -> str:
    """``label`` followed by spaces to ``width`` terminal columns (a Hangul syllable takes two)."""
    return label + " " * (width - cell_len(label))


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
    parser.add_argument(
        "--lang", choices=LANGUAGES, default="en", help="language of the report (default: en)"
    )


def _numeric_vs_backprop(args: argparse.Namespace) -> int:
    timing = measure(samples=args.samples, batch=args.batch, seed=args.seed)
    if args.json:
        print(json.dumps(_summary(timing)))
    else:
        print("\n".join(_report(timing, args.lang)))
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


def _report(timing: Timing, lang: str) -> list[str]:
    """The lines that report ``timing``, in ``lang`` (the numbers are the same in each)."""
    network = "-".join(map(str, SEED_001_LAYERS))
    parameters = f"{timing.parameters:,}"
    if timing.estimated:
        how = say(
            lang,
            "bench_estimated",
            sampled=f"{timing.sampled:,}",
            parameters=parameters,
            duration=_duration(timing.sampled_seconds, lang),
        )
    else:
        how = say(lang, "bench_measured", parameters=parameters)
    rows = [
        (
            say(lang, "bench_backprop", runs=timing.backprop_runs),
            _duration(timing.backprop_seconds, lang),
        ),
        (say(lang, "bench_numerical"), _duration(timing.numerical_seconds, lang)),
        (f"  {how}", ""),
        (
            say(lang, "bench_ratio", **operands(lang)),
            say(lang, "bench_times", ratio=f"{timing.ratio:,.0f}"),
        ),
    ]
    epoch = [
        (
            say(lang, "name_backprop"),
            _duration(epoch_seconds(timing.backprop_seconds, timing.batch), lang),
        ),
        (
            say(lang, "central_differences"),
            _duration(epoch_seconds(timing.numerical_seconds, timing.batch), lang),
        ),
    ]
    width = max(cell_len(label) for label, value in rows + epoch if value)
    images = say(lang, "bench_image" if timing.batch == 1 else "bench_images", count=timing.batch)
    agree = timing.max_over_allowed <= 1
    rule = say(lang, "bench_rule", rule=rule_in(lang), atol=f"{ATOL:g}", rtol=f"{RTOL:g}")
    return [
        say(lang, "bench_title", network=network, parameters=parameters, images=images),
        *(f"  {_padded(label, width)}  {value}".rstrip() for label, value in rows),
        "  "
        + say(
            lang,
            "bench_agreement",
            verdict=say(lang, "bench_same" if agree else "bench_different"),
            sampled=f"{timing.sampled:,}",
            worst=f"{timing.max_over_allowed:.1e}",
        ),
        *(f"    {line}" for line in rule.split("\n")),
        say(
            lang,
            "bench_epoch",
            images=f"{EPOCH_IMAGES:,}",
            batch=timing.batch,
            gradients=f"{gradients_per_epoch(timing.batch):,}",
        ),
        *(f"  {_padded(label, width)}  {value}" for label, value in epoch),
        credit(lang, "python_notes", "saito"),
    ]


WORKLOADS: dict[str, Workload] = {
    "numeric-vs-backprop": Workload(
        help="one gradient of a 784-30-10 network by central differences and by backprop; "
        f"source: {WORKS['en']['python_notes']}",
        add_arguments=_numeric_vs_backprop_arguments,
        run=_numeric_vs_backprop,
    ),
}
