"""``chainrule train``: the main job, an MLP trained on a data set by name."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, fields
from typing import Any

from ... import Device, distributed
from ...errors import UserError
from ..datasets import DATA_SPECS
from ..files import user_files
from ..mlp import ACTIVATIONS, LOSSES
from ..run import (
    DEFAULT_LR,
    OPTIMIZERS,
    EpochMetrics,
    Interrupted,
    Run,
    Settings,
    TrainingError,
    flag,
    resume_everywhere,
    spelled,
    start,
    train_epochs,
)
from .arguments import add_download, layer_sizes, positive_int, positive_number, random_seed


def register(subparsers: Any) -> None:
    train = subparsers.add_parser(
        "train",
        help="train an MLP (with no options: on the built-in handwritten digits)",
        description="Train a multilayer perceptron and report loss and accuracy per epoch.",
    )
    # Every setting defaults to None, so that a value the user gave is told from one they
    # did not: a fresh run takes the rest from Settings, a resumed one from its checkpoint.
    defaults = Settings()
    train.add_argument("--data", help=f"{DATA_SPECS} (default: {defaults.data})")
    add_download(train)
    train.add_argument("--layers", type=layer_sizes, help="layer sizes, e.g. 784,30,10")
    train.add_argument("--activation", choices=ACTIVATIONS)
    train.add_argument("--loss", choices=LOSSES)
    train.add_argument("--optimizer", choices=OPTIMIZERS)
    train.add_argument(
        "--lr",
        type=positive_number,
        help="learning rate (default: "
        + ", ".join(f"{optimizer} {lr:g}" for optimizer, lr in DEFAULT_LR.items())
        + ")",
    )
    train.add_argument("--batch-size", type=positive_int)
    train.add_argument("--epochs", type=positive_int, help=f"default: {defaults.epochs}")
    train.add_argument("--seed", type=random_seed)
    train.add_argument(
        "--device",
        help="where to train: cpu (default), cuda or cuda:N (a GPU needs CuPy: "
        'pip install "chainrule[cuda]"); with --resume, the device the checkpoint trained on '
        "unless given (checkpoints are CPU files: --device cpu resumes a GPU run on the CPU)",
    )
    train.add_argument("--save", metavar="PATH", help="write a checkpoint here after each epoch")
    train.add_argument(
        "--resume",
        metavar="PATH",
        help="continue from a checkpoint, with its settings, saving back to it unless --save "
        "says otherwise; --lr, --epochs (the new total) and --device may change, the other "
        "settings must be the checkpoint's",
    )
    train.add_argument(
        "--no-compile",
        dest="compile",
        action="store_false",
        help="take each step eagerly, op by op, instead of replaying it compiled "
        "(cr.compile; the same numbers, bit for bit)",
    )
    train.add_argument("--plot", metavar="PATH.png", help="draw loss and accuracy curves")
    train.add_argument("--json", action="store_true", help="print metrics as JSON lines")
    train.add_argument("--quiet", action="store_true", help="print only the final accuracy")
    train.add_argument(
        "--progress", action="store_true", help="show progress bars even when not on a terminal"
    )
    train.set_defaults(handler=_train)


def _describe(run: Run) -> list[str]:
    s, bundle = run.settings, run.bundle
    lines = [
        f"Training {'-'.join(map(str, s.layers))} ({s.activation}, {s.loss} loss) on "
        f"{bundle.name}: {len(bundle.train):,} training / {len(bundle.test):,} test samples",
        f"{s.optimizer}, lr {s.lr:g}, batch {s.batch_size}, {s.epochs} epochs, seed {s.seed}"
        + ("" if run.device == "cpu" else f", on {run.device}"),
    ]
    if bundle.note:
        lines.append(f"Note: {bundle.note}")
    return lines


_COLUMNS = (("loss", 9), ("accuracy", 8), ("test loss", 9), ("test accuracy", 13), ("time", 8))
"""The columns of the epoch table after the epoch, with their widths: at most 80 characters
a line for up to 9999/9999 epochs, the widest loss (9 characters) and hours of an epoch."""


def _epoch_header(epochs: int) -> str:
    return f"{'epoch':<{_epoch_width(epochs)}}" + "".join(
        f"  {name:>{width}}" for name, width in _COLUMNS
    )


def _epoch_width(epochs: int) -> int:
    return max(len("epoch"), 2 * len(str(epochs)) + 1)


def _loss(value: float) -> str:
    """A loss in at most 9 characters: 4 decimals, or 4 significant digits past 9999."""
    return f"{value:.4f}" if abs(value) < 1e4 else f"{value:.3e}"


def _epoch_line(m: EpochMetrics, epochs: int) -> str:
    epoch = f"{m.epoch:>{len(str(epochs))}}/{epochs}"
    values = (_loss(m.loss), f"{m.accuracy:.1%}", _loss(m.test_loss), f"{m.test_accuracy:.1%}")
    cells = (*values, f"{m.seconds:.1f} s")
    return f"{epoch:<{_epoch_width(epochs)}}" + "".join(
        f"  {cell:>{width}}" for cell, (_, width) in zip(cells, _COLUMNS, strict=True)
    )


@contextmanager
def _progress(enabled: bool, epochs: int) -> Iterator[Callable[[int, int, int], None] | None]:
    """A batch callback that draws a progress bar per epoch on stderr, or None."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    bar = Progress(
        TextColumn("epoch {task.fields[epoch]}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(stderr=True, force_terminal=True),
        transient=True,
        # Epoch lines on a terminal go above the bar; piped, they stay on stdout.
        redirect_stdout=sys.stdout.isatty(),
        redirect_stderr=False,
    )
    state: dict[str, Any] = {"task": None, "epoch": 0}

    def on_batch(epoch: int, done: int, total: int) -> None:
        if epoch != state["epoch"]:
            if state["task"] is not None:
                bar.remove_task(state["task"])
            state["epoch"] = epoch
            state["task"] = bar.add_task("", total=total, epoch=f"{epoch}/{epochs}")
        bar.update(state["task"], completed=done)

    with bar:
        yield on_batch


@user_files()
def _plot(history: list[EpochMetrics], path: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        raise UserError(
            "--plot needs matplotlib: pip install 'chainrule[plot]' (or pip install matplotlib)"
        ) from None
    epochs = [m.epoch for m in history]
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(epochs, [m.loss for m in history], label="training")
    left.plot(epochs, [m.test_loss for m in history], label="test")
    left.set(xlabel="epoch", ylabel="loss", title="Loss")
    right.plot(epochs, [m.accuracy for m in history], label="training")
    right.plot(epochs, [m.test_accuracy for m in history], label="test")
    right.set(xlabel="epoch", ylabel="accuracy", title="Accuracy")
    for axes in (left, right):
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.legend()
        axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def _resumed_with(run: Run) -> list[str]:
    """What a resumed run changed from its checkpoint's settings, one line each: printed with
    the description of the run, or on stderr when stdout is for --json or --quiet."""
    before = run.resumed_from
    if before is None:
        return []
    return [
        f"resuming with {flag(name, getattr(run.settings, name))} "
        f"(the checkpoint had {spelled(getattr(before, name))})"
        for name in ("lr", "epochs", "device")
        if _differs(name, getattr(run.settings, name), getattr(before, name))
    ]


def _differs(name: str, now: Any, before: Any) -> bool:
    """Whether a setting changed; a device by where it puts the model (a checkpoint from
    before "cuda" was kept unnumbered says cuda:0, which one process's "cuda" is)."""
    if name == "device":
        return Device(now) != Device(before)
    return now != before


def _processes(run: Run) -> list[str]:
    """The line that says how many processes take part, when several do, and how their
    gradients travel."""
    world = distributed.get_world_size()
    if world == 1:
        return []
    if run.device.type == "cpu":
        how = "over MPI"
    else:
        transport = distributed.gpu_transport()
        how = "over NCCL" if transport == "NCCL" else f"through {transport}"
    return [
        f"{world} processes (MPI), each training on its share of every batch of "
        f"{run.settings.batch_size}; gradients {how}; rank 0 reports and saves"
    ]


def _join_processes() -> None:
    """Under an MPI launcher with several processes, join them; only rank 0 then prints to
    stdout (every rank still prints its own errors)."""
    if distributed.launched_world_size() > 1:
        distributed.init_process_group()
        if distributed.get_rank() != 0:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (for the rest of the process)


def _train(args: argparse.Namespace) -> int:
    given = {
        name: getattr(args, name)
        for name in (field.name for field in fields(Settings))
        if getattr(args, name) is not None
    }
    _join_processes()
    with distributed.failing_together():  # a bad setting or a missing file: one line
        if args.resume:
            run = resume_everywhere(args.resume, given, args.download)
            args.save = args.save or args.resume
            if run.epochs_done > run.settings.epochs:
                raise TrainingError(
                    f"{args.resume} has trained {run.epochs_done} epochs already and --epochs "
                    f"is the total: ask for {run.epochs_done} or more"
                )
        else:
            run = start(Settings(**given), args.download)
    lead = distributed.get_rank() == 0
    human = not (args.json or args.quiet)
    if human:
        print("\n".join(_processes(run) + _describe(run) + _resumed_with(run)), flush=True)
    elif lead:
        for line in _processes(run) + _resumed_with(run):
            print(f"chainrule train: {line}", file=sys.stderr)

    finished = run.epochs_done == run.settings.epochs and run.partial is None
    if finished and lead:  # a resumed run that is complete: say so, and write nothing
        print(
            f"chainrule train: {args.resume} has trained all {run.epochs_done} epochs; "
            f"nothing to do (--epochs N goes on to epoch N)",
            file=sys.stderr,
        )
    first_epoch = run.epochs_done + 1

    def on_epoch(metrics: EpochMetrics) -> None:
        if human and metrics.epoch == first_epoch:
            print(_epoch_header(run.settings.epochs), flush=True)
        if args.json:
            print(json.dumps(asdict(metrics)), flush=True)
        elif human:
            print(_epoch_line(metrics, run.settings.epochs), flush=True)

    show_bars = human and lead and (args.progress or sys.stderr.isatty())
    try:
        with _progress(show_bars, run.settings.epochs) as on_batch:
            history = train_epochs(
                run,
                checkpoint=args.save,
                on_batch=on_batch,
                on_epoch=on_epoch,
                compiled=args.compile,
            )
    except Interrupted as stop:
        saved = f"; checkpoint saved to {args.save}" if args.save else ""
        if lead:
            print(f"chainrule train: {stop}{saved}", file=sys.stderr)
        return 130
    final = history[-1].test_accuracy
    if args.plot and lead:
        _plot(history, args.plot)
    if args.json:
        print(json.dumps({"final_test_accuracy": final, "epochs": len(history)}))
    else:
        print(f"Final test accuracy: {final:.1%}")
        if args.save and human and not finished:
            print(f"Saved the model and its training state to {args.save}")
        if args.plot and human:
            print(f"Plotted the curves to {args.plot}")
    return 0
