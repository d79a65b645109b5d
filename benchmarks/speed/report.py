"""The suite's report as a table: four rows per workload (chainrule, chainrule compiled,
hand-written NumPy, PyTorch), each with its speed, its loss after the epoch, and one ratio
against its target; then what was measured, on what, and the notes. It reads the same plain
data that ``--json`` writes, so the table and the JSON cannot disagree. On a GPU the
hand-written row holds only the reference loss, and PyTorch's ratio reads as samples/s,
chainrule's over its.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .runner import CHAINRULE, COMPILED, HAND_WRITTEN, PYTORCH
from .workloads import Target

_NAMES = {
    CHAINRULE: "chainrule",
    COMPILED: "chainrule compiled",
    HAND_WRITTEN: "hand-written",
    PYTORCH: "PyTorch",
}
_RATIOS = {
    COMPILED: ("compiled/hand-written", "compiled/hand-written"),
    HAND_WRITTEN: ("chainrule/hand-written", "chainrule/hand-written"),
    PYTORCH: ("pytorch/chainrule", "PyTorch/chainrule"),
}
"""The ratio in each implementation's row: its key in the report, and its name in the table."""
_GPU_RATIO_LABEL = "chainrule/PyTorch samples/s"
"""PyTorch's ratio on a GPU: the same number (its epoch time over chainrule's), read as the
issue states its GPU targets."""
_WIDTH = 160
"""Columns to lay the table out in when stdout is not a terminal (a file, a pipe, CI's log)."""


def _mark(met: bool | None) -> Text:
    if met is None:
        return Text("")
    return Text("✓", style="green") if met else Text("✗", style="red")


def _target(target: dict[str, Any] | None) -> str:
    return str(Target(**target)) if target else "report only"


def _seconds(result: dict[str, Any], repeats: int) -> str:
    text = f"{result['seconds']:.3g}"
    runs = len(result["runs"])
    return text if runs == repeats else f"{text} ({runs} run{'s' * (runs > 1)})"


def _agrees(record: dict[str, Any], name: str) -> Text:
    agreement = record["agreement"]
    if name == HAND_WRITTEN:
        return Text(f"rtol {agreement['rtol']:g}", style="dim")
    difference = agreement["max_relative_difference"][name]
    ok = agreement["agrees"][name]
    return Text(f"{'✓' if ok else '✗'} {difference:.1g}", style="green" if ok else "bold red")


def _memory_cells(memory: dict[str, Any]) -> list[Text | str]:
    if "skipped" in memory:
        return ["", "", ""]
    if "error" in memory:
        return [Text("memory: FAILED", style="bold red"), "", ""]
    one, three = (memory["runs"][key]["peak_rss_bytes"] / 2**20 for key in ("1", "3"))
    label = f"RSS 3/1 epochs {memory['ratio']:.2f} ({three:,.0f}/{one:,.0f} MB)"
    return [label, _target(memory["target"]), _mark(memory["met"])]


def _workload_cell(record: dict[str, Any]) -> Text:
    text = Text(f"({record['workload']}) ", style="bold")
    text.append(record["title"])
    if "samples" in record:
        text.append(
            f"\n{record['samples']:,} samples, {record['steps']:,} steps; "
            f"loss before {record['initial_loss']:.4g}",
            style="dim",
        )
    if record["status"] != "ok":
        text.append(f"\nFAILED: {record['error']}", style="bold red")
    return text


def _title(report: dict[str, Any]) -> str:
    repeats = report["repeats"]
    median = f"median of {repeats} run{'s' * (repeats > 1)}"
    quick = " (quick sizes)" if report["quick"] else ""
    if report["device"] == "cpu":
        return f"chainrule speed: one training epoch four ways, {median}{quick}"
    gpu = report["machine"].get("gpu")
    name = f" ({gpu['name']})" if gpu else ""
    return (
        f"chainrule speed on {report['device']}{name}: one training epoch, chainrule and "
        f"PyTorch CUDA eager, {median}{quick}"
    )


def _untimed(result: dict[str, Any], record: dict[str, Any]) -> list[Text | str]:
    """The row of the hand-written NumPy in the GPU suite: its loss, the others' reference."""
    where = Text(f"untimed, on the {result['untimed']}", style="dim")
    return [_NAMES[HAND_WRITTEN], where, "", f"{result['loss']:.6g}", _agrees(record, HAND_WRITTEN)]


def table(report: dict[str, Any]) -> Table:
    """The rich table of ``report``."""
    repeats = report["repeats"]
    on_gpu = report["device"] != "cpu"
    grid = Table(title=_title(report))
    grid.add_column("workload", min_width=28, ratio=1)
    for header, justify in (
        ("implementation", "left"),
        ("samples/s", "right"),
        ("epoch s", "right"),
        ("loss after", "right"),
        ("agrees", "left"),
        ("ratio" if on_gpu else "ratio (of times)", "left"),
        ("target", "left"),
        ("met", "center"),
    ):
        grid.add_column(header, justify=justify, no_wrap=True)
    for record in report["workloads"]:
        if "implementations" not in record:
            grid.add_row(_workload_cell(record), *[""] * 8, end_section=True)
            continue
        rows = []
        for name in (CHAINRULE, COMPILED, HAND_WRITTEN, PYTORCH):
            result = record["implementations"].get(name, {"skipped": "not timed"})
            if "skipped" in result:
                rows.append([_NAMES[name], Text(result["skipped"], style="dim"), *[""] * 6])
                continue
            if "untimed" in result:
                rows.append([*_untimed(result, record), "", "", ""])
                continue
            if name == CHAINRULE:
                ratio_cells = _memory_cells(record["memory"])
            else:
                key, label = _RATIOS[name]
                label = _GPU_RATIO_LABEL if on_gpu and name == PYTORCH else label
                ratio = record["ratios"][key]
                value = "n/a" if ratio["value"] is None else f"{ratio['value']:.2f}"
                ratio_cells = [f"{label} {value}", _target(ratio["target"]), _mark(ratio["met"])]
            rows.append(
                [
                    _NAMES[name],
                    f"{result['samples_per_second']:,.0f}",
                    _seconds(result, repeats),
                    f"{result['loss']:.6g}",
                    _agrees(record, name),
                    *ratio_cells,
                ]
            )
        for i, row in enumerate(rows):
            grid.add_row(
                _workload_cell(record) if i == 0 else "", *row, end_section=i == len(rows) - 1
            )
    return grid


def notes(report: dict[str, Any]) -> list[str]:
    """What the table measured and on what machine, in sentences under it."""
    if report["device"] != "cpu":
        return _gpu_notes(report)
    machine = report["machine"]
    blas = ", ".join(
        f"{name}={value}" for name, value in machine["blas_threads_environment"].items() if value
    )
    torch_threads = machine.get("torch_threads")
    torch = (
        f"PyTorch {machine['torch']} with {torch_threads['intra_op']} intra-op / "
        f"{torch_threads['inter_op']} inter-op threads"
        + (" (as requested)" if report["torch_threads_requested"] else " (its default)")
        if machine.get("torch")
        else "PyTorch not importable"
    )
    lines = [
        "Each implementation trains one epoch from the same initial weights on the same data, "
        "batches in order, timed after a few warm-up batches; the four alternate run by "
        "run, in one process per workload"
        + (" (quick: one process for all)." if report["quick"] else "."),
        "Ratios are of epoch times: chainrule/hand-written and compiled/hand-written, lower is "
        "better (the overhead over plain NumPy; compiled: cr.compile in its steady state, each "
        "capture made once, in the warm-up or a first partial batch)"
        + ("; PyTorch/chainrule, higher is better." if machine.get("torch") else "."),
        "Loss after: the mean loss on the first 1,000 samples (XOR: its 4 points) after the "
        "epoch; agrees: its largest relative difference from the hand-written one's over all "
        "runs, within rtol, or the run fails.",
        "Memory: chainrule's peak RSS (data and model included) in a fresh process training "
        "1 and 3 epochs of the same size.",
        f"Machine: {machine['cpu_count']} CPUs, {machine['platform']}, Python "
        f"{machine['python']}, NumPy {machine['numpy']} (BLAS threads: "
        f"{blas or 'no OMP/OPENBLAS/MKL_NUM_THREADS set, so one per CPU'}), {torch}.",
        "Load average (1, 5, 15 min) before: "
        + ", ".join(f"{x:.2f}" for x in machine["load_average_before"])
        + "; after: "
        + ", ".join(f"{x:.2f}" for x in machine["load_average_after"])
        + f". Total {report['seconds']:.0f} s.",
    ]
    lines += [f"({r['workload']}) {r['note']}" for r in report["workloads"] if r["note"]]
    return lines


def _gpu_notes(report: dict[str, Any]) -> list[str]:
    """The notes of the GPU suite: how the clock meets the GPU, and which GPU it was."""
    machine = report["machine"]
    gpu = machine.get("gpu")
    described = (
        f"{gpu['device']}: {gpu['name']}, {gpu['memory_bytes'] / 2**30:.0f} GiB, compute "
        f"capability {gpu['compute_capability']}, CuPy {gpu['cupy']}"
        if gpu
        else f"{report['device']} (the measuring process did not describe it)"
    )
    torch = (
        f"PyTorch {machine['torch']} (CUDA {machine.get('torch_cuda')})"
        if machine.get("torch")
        else "no PyTorch with CUDA"
    )
    lines = [
        "chainrule and PyTorch each train one epoch from the same initial weights on the same "
        "data, batches in order, everything on the GPU before the clock starts; each waits for "
        "the GPU (cr.cuda.synchronize, torch.cuda.synchronize) before the clock is read. "
        "Timed after a few warm-up batches, the two alternating run by run, in one process "
        "per workload" + (" (quick: one process for all)." if report["quick"] else "."),
        f"Ratio: {_GPU_RATIO_LABEL}, higher is better (PyTorch's epoch time over chainrule's).",
        "Loss after: the mean loss on the first 1,000 samples after the epoch; agrees: its "
        "largest relative difference over all runs from that of the hand-written NumPy, "
        "which trains once on the CPU, untimed, within rtol, or the run fails.",
        f"GPU {described}; {torch}. Host: {machine['cpu_count']} CPUs, {machine['platform']}, "
        f"Python {machine['python']}, NumPy {machine['numpy']}. Total {report['seconds']:.0f} s.",
    ]
    lines += [f"({r['workload']}) {r['note']}" for r in report["workloads"] if r["note"]]
    return lines


def print_report(report: dict[str, Any], console: Console | None = None) -> None:
    """Print the table and its notes; a failed run ends with the failures, in red."""
    console = console or Console(width=None if _is_terminal() else _WIDTH)
    console.print(table(report))
    for line in notes(report):
        console.print(line, highlight=False)
    failed = [r for r in report["workloads"] if r["status"] != "ok"]
    for record in failed:
        console.print(f"FAILED ({record['workload']}): {record['error']}", style="bold red")


def _is_terminal() -> bool:
    return Console().is_terminal
