"""The speed suite: time the workloads in turn, one fresh process each, measure chainrule's
memory, and turn the raw figures into ratios against their targets.

``run_suite`` returns the report as plain data (what ``--json`` writes); ``main`` is
``python benchmarks/run.py``. Targets are never asserts: a missed target is a ✗ in the
table. What fails the run (exit code 1) is a wrong answer, losses that disagree after the
epoch, or a measuring process that crashed.

With ``--device cuda`` it runs the GPU suite instead: (c) and (f), chainrule against PyTorch,
both on the GPU; chainrule's memory is measured in the CPU suite only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

import chainrule
from chainrule import Device, UserError
from chainrule._backend import as_device

from .report import print_report
from .runner import CHAINRULE, COMPILED, HAND_WRITTEN, PYTORCH
from .workloads import GPU_WORKLOADS, WORKLOADS, Target, Workload, suite_for

MEMORY_EPOCHS = (1, 3)
MEMORY_TARGET = Target("<=", 1.5)
BLAS_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass(frozen=True)
class Options:
    """What to run: workload keys in order, timed epochs per implementation, quick sizes or
    full ones, every workload's sample count overridden (None: its own), PyTorch's threads
    (None: its default), and the device ("cpu", or "cuda:N" for the GPU suite)."""

    workloads: tuple[str, ...] = tuple(WORKLOADS)
    repeats: int = 5
    quick: bool = False
    samples: int | None = None
    torch_threads: int | None = None
    device: str = "cpu"

    @property
    def suite(self) -> dict[str, Workload]:
        """The workloads of this device's suite, by key."""
        return suite_for(self.device)

    def samples_of(self, workload: Workload) -> int:
        if self.samples is not None:
            return self.samples
        return workload.quick_samples if self.quick else workload.samples


def _runner(args: Sequence[str]) -> tuple[list[dict[str, Any]], str | None]:
    """Run ``python -m speed.runner ARGS`` with this interpreter, this suite and this copy of
    chainrule; its JSON lines, or the end of its stderr when it failed."""
    env = dict(os.environ)
    suite_root = str(Path(__file__).resolve().parents[1])
    chainrule_root = str(Path(chainrule.__file__).resolve().parents[1])
    paths = (suite_root, chainrule_root, env.get("PYTHONPATH"))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, paths))
    done = subprocess.run(
        [sys.executable, "-m", "speed.runner", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or [f"exit code {done.returncode}"]
        return [], f"the measuring process failed: {tail[0]}"
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()], None


def _time(options: Options, progress: Callable[[str], None]) -> tuple[dict, dict]:
    """The timing of each workload, one process each (quick: one process for all, so that
    PyTorch's 2-second import is paid once), and the environment the processes reported."""
    groups = [options.workloads] if options.quick else [(key,) for key in options.workloads]
    timings: dict[str, dict[str, Any]] = {}
    environment: dict[str, Any] = {}
    for group in groups:
        progress(f"timing {', '.join(f'({key})' for key in group)} on {options.device}")
        sizes = [str(options.samples_of(options.suite[key])) for key in group]
        args = ["time", *group, "--samples", *sizes, "--repeats", str(options.repeats)]
        args += ["--device", options.device]
        if options.torch_threads is not None:
            args += ["--torch-threads", str(options.torch_threads)]
        lines, error = _runner(args)
        if error:
            timings.update({key: {"error": error} for key in group})
            continue
        environment = lines[0]
        timings.update({line["workload"]: line for line in lines[1:]})
    return timings, environment


def _memory(options: Options, progress: Callable[[str], None]) -> dict[str, dict[int, Any]]:
    """Each workload's chainrule peak RSS over 1 and over 3 epochs, each in a fresh process.
    The processes run side by side, one per CPU: a peak RSS does not depend on the load."""
    progress("measuring memory")
    jobs = [(key, epochs) for key in options.workloads for epochs in MEMORY_EPOCHS]

    def measure(job: tuple[str, int]) -> tuple[list[dict[str, Any]], str | None]:
        key, epochs = job
        size = str(options.samples_of(WORKLOADS[key]))
        return _runner(["memory", key, "--samples", size, "--epochs", str(epochs)])

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        results = list(pool.map(measure, jobs))
    memory: dict[str, dict[int, Any]] = {key: {} for key in options.workloads}
    for (key, epochs), (lines, error) in zip(jobs, results, strict=True):
        memory[key][epochs] = {"error": error} if error else lines[0]
    return memory


def _ratio(value: float | None, target: Target | None) -> dict[str, Any]:
    met = None if value is None or target is None else target.met(value)
    return {"value": value, "target": asdict(target) if target else None, "met": met}


def _agreement(workload: Workload, implementations: dict[str, Any]) -> dict[str, Any]:
    """Whether every loss after the epoch, every run of every implementation, is within
    ``rtol`` of the hand-written one's (its first run's); NaN never is."""
    reference = implementations[HAND_WRITTEN]["losses"][0]
    differences = {
        name: float(np.max(np.abs(np.subtract(result["losses"], reference)) / abs(reference)))
        for name, result in implementations.items()
        if "losses" in result
    }
    agrees = {name: difference <= workload.rtol for name, difference in differences.items()}
    return {
        "rtol": workload.rtol,
        "max_relative_difference": differences,
        "agrees": agrees,
        "agree": all(agrees.values()),
    }


def _memory_summary(runs: dict[int, Any]) -> dict[str, Any]:
    errors = [run["error"] for run in runs.values() if "error" in run]
    if errors:
        return {"error": errors[0]}
    one, three = (runs[epochs] for epochs in MEMORY_EPOCHS)
    ratio = three["peak_rss_bytes"] / one["peak_rss_bytes"]
    return {
        "samples": one["samples"],
        "runs": {str(epochs): runs[epochs] for epochs in MEMORY_EPOCHS},
        "ratio": ratio,
        "target": asdict(MEMORY_TARGET),
        "met": MEMORY_TARGET.met(ratio),
    }


def summarise(workload: Workload, timing: dict[str, Any], memory: dict[int, Any] | None) -> dict:
    """One workload's record of the report: its settings, each implementation's figures, the
    two time ratios against their targets, the loss agreement, and the memory ratio (None:
    not measured, as on a GPU). Where the hand-written NumPy is untimed (on a GPU), its
    ratio is None; there PyTorch's time over chainrule's is chainrule's samples/s over
    PyTorch's."""
    record: dict[str, Any] = {
        "workload": workload.key,
        "title": workload.title,
        "batch": workload.batch,
        "note": workload.note,
        "memory": {"skipped": "on the CPU only"} if memory is None else _memory_summary(memory),
    }
    if "error" in timing:
        return {**record, "status": "FAILED", "error": timing["error"]}
    implementations = timing["implementations"]
    chainrule, hand, torch = (implementations[name] for name in (CHAINRULE, HAND_WRITTEN, PYTORCH))
    compiled = implementations.get(COMPILED, {})
    torch_ratio = torch["seconds"] / chainrule["seconds"] if "seconds" in torch else None
    hand_ratio = chainrule["seconds"] / hand["seconds"] if "seconds" in hand else None
    compiled_ratio = (
        compiled["seconds"] / hand["seconds"]
        if "seconds" in compiled and "seconds" in hand
        else None
    )
    agreement = _agreement(workload, implementations)
    error = record["memory"].get("error") or (
        None if agreement["agree"] else "the losses after the epoch disagree"
    )
    return {
        **record,
        "samples": timing["samples"],
        "steps": -(-timing["samples"] // workload.batch),
        "initial_loss": timing["initial_loss"],
        "implementations": implementations,
        "ratios": {
            "chainrule/hand-written": _ratio(hand_ratio, workload.over_reference),
            "compiled/hand-written": _ratio(compiled_ratio, workload.compiled_over_reference),
            "pytorch/chainrule": _ratio(torch_ratio, workload.torch_over_chainrule),
        },
        "agreement": agreement,
        "status": "FAILED" if error else "ok",
        **({"error": error} if error else {}),
    }


def _machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "cpu_count": os.cpu_count(),
        "blas_threads_environment": {name: os.environ.get(name) for name in BLAS_VARIABLES},
        "load_average_before": list(os.getloadavg()),
    }


def run_suite(options: Options, progress: Callable[[str], None] = lambda _: None) -> dict:
    """Measure ``options.workloads`` and return the report: settings, machine, one record per
    workload (see ``summarise``), whether all passed, and the seconds it all took."""
    started = time.perf_counter()
    machine = _machine()
    timings, environment = _time(options, progress)
    memory = _memory(options, progress) if options.device == "cpu" else None
    machine.update(environment, load_average_after=list(os.getloadavg()))
    workloads = [
        summarise(options.suite[key], timings[key], memory[key] if memory else None)
        for key in options.workloads
    ]
    return {
        "suite": "chainrule speed",
        "device": options.device,
        "quick": options.quick,
        "repeats": options.repeats,
        "torch_threads_requested": options.torch_threads,
        "machine": machine,
        "workloads": workloads,
        "passed": all(record["status"] == "ok" for record in workloads),
        "seconds": time.perf_counter() - started,
    }


# ------------------------------------------------------------------------------ command line


def _workload_keys(text: str) -> tuple[str, ...]:
    keys = tuple(key.strip() for key in text.split(",") if key.strip())
    known = {**WORKLOADS, **GPU_WORKLOADS}
    unknown = [key for key in keys if key not in known]
    if unknown or not keys:
        raise argparse.ArgumentTypeError(
            f"workloads are a comma-separated choice of {','.join(known)}, not {text!r}"
        )
    return keys


def _device_name(text: str) -> str:
    try:
        return str(Device(text))
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="benchmarks/run.py",
        description="Time one training epoch of each workload four ways (chainrule eager and "
        "compiled, "
        "hand-written NumPy, PyTorch) and print the ratios against their targets.",
    )
    parser.add_argument(
        "--workloads",
        type=_workload_keys,
        default=None,
        help=f"comma-separated, in this order (default: {','.join(WORKLOADS)}; "
        f"on a GPU, {','.join(GPU_WORKLOADS)})",
    )
    parser.add_argument(
        "--device",
        type=_device_name,
        default="cpu",
        help="cpu (default), or cuda[:N] for the GPU suite: chainrule against PyTorch CUDA "
        f"eager, both on that GPU, on {' and '.join(f'({key})' for key in GPU_WORKLOADS)} "
        "(needs CuPy; without a CUDA build of PyTorch, chainrule runs alone)",
    )
    parser.add_argument(
        "--repeats",
        type=_positive,
        default=None,
        help="timed epochs per implementation, median reported (default: 5; quick: 1)",
    )
    parser.add_argument(
        "--samples",
        type=_positive,
        default=None,
        help="samples per epoch for every workload, XOR's steps being samples / 4 "
        "(default: each workload's own, smaller when quick)",
    )
    parser.add_argument(
        "--torch-threads",
        type=_positive,
        default=None,
        help="PyTorch's intra-op threads (default: PyTorch's own default, reported)",
    )
    parser.add_argument(
        "--json", metavar="PATH", help="also write the figures as JSON to PATH ('-': stdout)"
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="small sizes and 1 repeat: seconds")
    size.add_argument(
        "--full",
        dest="quick",
        action="store_false",
        help="full sizes and 5 repeats, minutes (the default)",
    )
    return parser


def _options(args: argparse.Namespace) -> Options:
    """The options that the parsed command line asks for: a DeviceUnavailableError
    if this machine has no such device (a GPU without CuPy), a UserError for a workload
    that is not in the device's suite."""
    device = str(as_device(args.device))
    suite = suite_for(device)
    keys = args.workloads or tuple(suite)
    elsewhere = [key for key in keys if key not in suite]
    if elsewhere:
        where = "the CPU suite" if device == "cpu" else f"the GPU suite, on {device},"
        raise UserError(
            f"{where} has workloads {','.join(suite)}, not {','.join(elsewhere)}"
            + ("; add --device cuda for the GPU suite" if device == "cpu" else "")
        )
    repeats = args.repeats or (1 if args.quick else 5)
    return Options(keys, repeats, args.quick, args.samples, args.torch_threads, device)


def _run(args: argparse.Namespace) -> int:
    """Run the suite from the parsed command line: the table on stdout (unless JSON goes
    there), progress on stderr when it is a terminal. Exit code 1 if anything failed."""
    options = _options(args)
    show_progress = sys.stderr.isatty()

    def progress(message: str) -> None:
        if show_progress:
            print(f"chainrule speed: {message} ...", file=sys.stderr, flush=True)

    report = run_suite(options, progress)
    if args.json == "-":
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
        if args.json:
            Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    return 0 if report["passed"] else 1


def main(argv: Sequence[str] | None = None) -> int:
    """``python benchmarks/run.py``: a mistake in the options is one line, exit code 2."""
    parser = _parser()
    try:
        return _run(parser.parse_args(argv))
    except UserError as error:
        parser.exit(2, f"{parser.prog}: error: {error}\n")
