"""The measuring process: ``python -m chainrule.speed.runner`` times workloads, or measures
chainrule's peak memory over some epochs, and prints the results as JSON lines.

The suite starts one such process per workload, so that no workload inherits another's
heap, caches or threads, and two more per workload for memory, so that each peak RSS is
that of a fresh process doing nothing else.

Timing (wall clock; each run's CPU time, all threads, is kept in the JSON too, for a loaded
machine): each implementation first trains on a few batches (its first calls, thread pools
and caches warm up, untimed), then its epoch is timed ``repeats`` times, each from the
initial weights, interleaved chainrule, hand-written, PyTorch, chainrule, ... so that a
burst of load from elsewhere hits all three alike. An implementation that has spent
``REPEAT_BUDGET_SECONDS`` stops repeating (it has at least one run), so one that a loaded
machine slows a hundredfold cannot hold the suite for an hour; the table says how many runs
each median is of.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import resource
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from types import ModuleType
from typing import Any

from . import chainrule_version, reference
from .inputs import Problem, make_problem
from .workloads import WORKLOADS, Workload

WARM_UP_BATCHES = 5
REPEAT_BUDGET_SECONDS = 60.0

CHAINRULE, HAND_WRITTEN, PYTORCH = "chainrule", "hand-written", "pytorch"


def implementations(torch_threads: int | None = None) -> dict[str, ModuleType | str]:
    """The three implementations by name; PyTorch's is the reason it is missing when it is not
    importable. ``torch_threads`` sets PyTorch's intra-op threads (None: its default)."""
    found: dict[str, ModuleType | str] = {CHAINRULE: chainrule_version, HAND_WRITTEN: reference}
    if importlib.util.find_spec("torch") is None:
        found[PYTORCH] = "PyTorch is not importable"
        return found
    import torch

    from . import torch_reference

    if torch_threads is not None:
        torch.set_num_threads(torch_threads)
    found[PYTORCH] = torch_reference
    return found


def _head(problem: Problem, samples: int) -> Problem:
    return replace(problem, inputs=problem.inputs[:samples], targets=problem.targets[:samples])


def time_workload(
    workload: Workload, samples: int, repeats: int, found: dict[str, ModuleType | str]
) -> dict[str, Any]:
    """Time one epoch of ``workload`` on ``samples`` samples by each implementation in
    ``found``, and compare their losses after it on the evaluation samples."""
    problem = make_problem(workload, samples)
    inputs, targets = problem.evaluation
    untrained = reference.build(workload, problem)
    initial = reference.evaluation_loss(workload, untrained, inputs, targets)
    modules = {name: m for name, m in found.items() if isinstance(m, ModuleType)}
    data = {name: m.prepare_data(workload, problem) for name, m in modules.items()}
    warm_up = _head(problem, WARM_UP_BATCHES * workload.batch)
    for m in modules.values():
        m.train_epoch(workload, m.build(workload, warm_up), m.prepare_data(workload, warm_up))
    # Importing PyTorch leaves ~140,000 objects (chainrule: ~26,000) that every full pass
    # of the cyclic garbage collector would scan, in chainrule's epochs too; frozen with
    # everything else alive now, they are not scanned again. What each epoch leaves is
    # collected before the next is timed.
    gc.collect()
    gc.freeze()
    runs: dict[str, list[float]] = {name: [] for name in modules}
    cpu_runs: dict[str, list[float]] = {name: [] for name in modules}
    losses: dict[str, list[float]] = {name: [] for name in modules}
    for _ in range(repeats):
        for name, m in modules.items():
            if sum(runs[name]) >= REPEAT_BUDGET_SECONDS:
                continue
            state = m.build(workload, problem)
            gc.collect()
            started, cpu_started = time.perf_counter(), time.process_time()
            m.train_epoch(workload, state, data[name])
            runs[name].append(time.perf_counter() - started)
            cpu_runs[name].append(time.process_time() - cpu_started)
            losses[name].append(m.evaluation_loss(workload, state, inputs, targets))
    results: dict[str, Any] = {
        name: {
            "seconds": statistics.median(runs[name]),
            "runs": runs[name],
            "cpu_runs": cpu_runs[name],
            "samples_per_second": problem.samples / statistics.median(runs[name]),
            "loss": losses[name][-1],
            "losses": losses[name],
        }
        for name in modules
    }
    results.update({name: {"skipped": why} for name, why in found.items() if isinstance(why, str)})
    return {
        "workload": workload.key,
        "samples": problem.samples,
        "initial_loss": initial,
        "implementations": results,
    }


def peak_rss_bytes() -> int:
    """This process's peak resident set size so far (``ru_maxrss``: KiB on Linux, bytes on
    macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def measure_memory(workload: Workload, samples: int, epochs: int) -> dict[str, Any]:
    """Train chainrule's version of ``workload`` for ``epochs`` epochs; the peak RSS before
    training (data, dataset and model made) and after."""
    problem = make_problem(workload, samples)
    loader = chainrule_version.prepare_data(workload, problem)
    state = chainrule_version.build(workload, problem)
    start = peak_rss_bytes()
    for _ in range(epochs):
        chainrule_version.train_epoch(workload, state, loader)
    return {
        "workload": workload.key,
        "samples": problem.samples,
        "epochs": epochs,
        "start_rss_bytes": start,
        "peak_rss_bytes": peak_rss_bytes(),
    }


def environment(found: dict[str, ModuleType | str]) -> dict[str, Any]:
    """What this process runs on that the parent cannot see: PyTorch's version and threads."""
    torch_module = found.get(PYTORCH)
    if not isinstance(torch_module, ModuleType):
        return {"torch": None}
    import torch

    return {"torch": torch.__version__, "torch_threads": torch_module.threads()}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chainrule.speed.runner", description=__doc__)
    parser.add_argument("mode", choices=("time", "memory"))
    parser.add_argument("workloads", nargs="+", choices=sorted(WORKLOADS), help="time: in turn")
    parser.add_argument("--samples", type=int, nargs="+", required=True, help="one per workload")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=1, help="memory mode: epochs to train")
    parser.add_argument("--torch-threads", type=int, default=None)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Print one JSON line per workload (time mode: after a line about the environment)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if len(args.samples) != len(args.workloads):
        parser.error("give one --samples value per workload")
    if args.mode == "memory" and len(args.workloads) != 1:
        parser.error("memory mode measures one workload per process")
    sizes = zip((WORKLOADS[key] for key in args.workloads), args.samples, strict=True)
    if args.mode == "memory":
        for workload, samples in sizes:
            print(json.dumps(measure_memory(workload, samples, args.epochs)), flush=True)
        return 0
    found = implementations(args.torch_threads)
    print(json.dumps(environment(found)), flush=True)
    for workload, samples in sizes:
        print(json.dumps(time_workload(workload, samples, args.repeats, found)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
