"""The measuring process: ``python -m speed.runner`` times workloads, or measures
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

On a GPU (``--device cuda``), chainrule and PyTorch are timed there, with their data put
there before the clock starts and a wait for the GPU before it stops; the hand-written NumPy
trains once on the CPU, untimed, for the loss after the epoch that the others must reach.
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
from functools import partial
from types import ModuleType, SimpleNamespace
from typing import Any

from chainrule._backend import cupy
from chainrule.cuda import get_device_properties

from . import chainrule_compiled, chainrule_version, reference
from .inputs import Problem, make_problem
from .workloads import GPU_WORKLOADS, WORKLOADS, Workload, suite_for

WARM_UP_BATCHES = 5
REPEAT_BUDGET_SECONDS = 60.0

CHAINRULE, COMPILED = "chainrule", "chainrule compiled"
HAND_WRITTEN, PYTORCH = "hand-written", "pytorch"


Implementation = ModuleType | SimpleNamespace
"""A module with ``prepare_data``, ``build``, ``train_epoch`` and ``evaluation_loss``, or the
same four functions bound to a GPU (``_on``)."""


def _on(module: ModuleType, device: str) -> SimpleNamespace:
    """``module``'s four functions, with its data and network put on ``device``."""
    return SimpleNamespace(
        prepare_data=partial(module.prepare_data, device=device),
        build=partial(module.build, device=device),
        train_epoch=module.train_epoch,
        evaluation_loss=module.evaluation_loss,
    )


def implementations(
    torch_threads: int | None = None, device: str = "cpu"
) -> dict[str, Implementation | str]:
    """The implementations to time by name: on the CPU all four (chainrule eager and
    compiled, hand-written, PyTorch), on a GPU chainrule's two and PyTorch there. PyTorch's is
    the reason it is missing when it is not importable, or has no CUDA for a GPU.
    ``torch_threads`` sets PyTorch's intra-op threads (None: its default)."""
    found: dict[str, Implementation | str] = (
        {CHAINRULE: chainrule_version, COMPILED: chainrule_compiled, HAND_WRITTEN: reference}
        if device == "cpu"
        else {
            CHAINRULE: _on(chainrule_version, device),
            COMPILED: _on(chainrule_compiled, device),
        }
    )
    if importlib.util.find_spec("torch") is None:
        found[PYTORCH] = "PyTorch is not importable"
        return found
    import torch

    from . import torch_reference

    if torch_threads is not None:
        torch.set_num_threads(torch_threads)
    if device == "cpu":
        found[PYTORCH] = torch_reference
    elif not torch.cuda.is_available():
        found[PYTORCH] = f"no CUDA in PyTorch {torch.__version__}"
    else:
        found[PYTORCH] = _on(torch_reference, device)
    return found


def _head(problem: Problem, samples: int) -> Problem:
    return replace(problem, inputs=problem.inputs[:samples], targets=problem.targets[:samples])


def time_workload(
    workload: Workload, samples: int, repeats: int, found: dict[str, Implementation | str]
) -> dict[str, Any]:
    """Time one epoch of ``workload`` on ``samples`` samples by each implementation in
    ``found``, and record their losses after it on the evaluation samples; when ``found``
    holds no hand-written one (on a GPU), it trains once, untimed, for its loss."""
    problem = make_problem(workload, samples)
    inputs, targets = problem.evaluation
    untrained = reference.build(workload, problem)
    initial = reference.evaluation_loss(workload, untrained, inputs, targets)
    modules = {name: m for name, m in found.items() if not isinstance(m, str)}
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
    if HAND_WRITTEN not in found:
        reference.train_epoch(workload, untrained, reference.prepare_data(workload, problem))
        loss = reference.evaluation_loss(workload, untrained, inputs, targets)
        results[HAND_WRITTEN] = {"untimed": "CPU", "loss": loss, "losses": [loss]}
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


def gpu(device: str) -> dict[str, Any]:
    """The GPU that ``device`` names, as CUDA describes it: its name, memory and compute
    capability, and the CuPy that drives it."""
    properties = get_device_properties(device)
    return {
        "device": device,
        "name": properties.name,
        "memory_bytes": properties.total_memory,
        "compute_capability": f"{properties.major}.{properties.minor}",
        "cupy": cupy().__version__,
    }


def environment(found: dict[str, Implementation | str], device: str = "cpu") -> dict[str, Any]:
    """What this process runs on that the parent cannot see: PyTorch's version and threads,
    and the GPU (None on the CPU)."""
    seen: dict[str, Any] = {"gpu": None if device == "cpu" else gpu(device)}
    if isinstance(found[PYTORCH], str):
        return {**seen, "torch": None}
    import torch

    from . import torch_reference

    return {
        **seen,
        "torch": torch.__version__,
        "torch_cuda": torch.version.cuda,
        "torch_threads": torch_reference.threads(),
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m speed.runner", description=__doc__)
    parser.add_argument("mode", choices=("time", "memory"))
    parser.add_argument(
        "workloads", nargs="+", choices=sorted({*WORKLOADS, *GPU_WORKLOADS}), help="time: in turn"
    )
    parser.add_argument("--samples", type=int, nargs="+", required=True, help="one per workload")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=1, help="memory mode: epochs to train")
    parser.add_argument("--torch-threads", type=int, default=None)
    parser.add_argument(
        "--device", default="cpu", help="time mode: cpu, or cuda[:N] for the GPU suite"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Print one JSON line per workload (time mode: after a line about the environment)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if len(args.samples) != len(args.workloads):
        parser.error("give one --samples value per workload")
    if args.mode == "memory" and (len(args.workloads) != 1 or args.device != "cpu"):
        parser.error("memory mode measures one workload per process, on the CPU")
    suite = suite_for(args.device)
    unknown = [key for key in args.workloads if key not in suite]
    if unknown:
        parser.error(f"no workload {', '.join(unknown)} on {args.device}")
    sizes = zip((suite[key] for key in args.workloads), args.samples, strict=True)
    if args.mode == "memory":
        for workload, samples in sizes:
            print(json.dumps(measure_memory(workload, samples, args.epochs)), flush=True)
        return 0
    found = implementations(args.torch_threads, args.device)
    print(json.dumps(environment(found, args.device)), flush=True)
    for workload, samples in sizes:
        print(json.dumps(time_workload(workload, samples, args.repeats, found)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
