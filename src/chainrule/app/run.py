"""A training run of ``chainrule train``: its settings, epochs with metrics, a checkpoint
after every epoch, resuming from one, and a clean stop on Ctrl-C. The data come from
``datasets``, the network from ``mlp``.

Everything here uses the public library (nn, optim, data, save/load), so the command line
does nothing a user's own script could not.
"""

from __future__ import annotations

import math
import signal
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from .. import data, distributed, nn, optim
from .._backend import CPU, Device, DeviceUnavailableError, as_device, xp_of
from ..errors import UserError
from ..function import no_grad
from ..random import get_rng_state, manual_seed, set_rng_state
from ..replay import compile as compile_step
from ..serialization import load_checkpoint, save_checkpoint
from ..tensor import Tensor
from .datasets import DataBundle, load_data
from .files import user_files
from .mlp import Architecture

OPTIMIZERS: dict[str, Callable[[Any, float], optim.Optimizer]] = {
    "sgd": lambda params, lr: optim.SGD(params, lr=lr),
    "momentum": lambda params, lr: optim.SGD(params, lr=lr, momentum=0.9),
    "adam": lambda params, lr: optim.Adam(params, lr=lr),
}
DEFAULT_LR = {"sgd": 0.1, "momentum": 0.05, "adam": 0.001}


class TrainingError(UserError):
    """A run that cannot start or go on: settings that make no sense, or a loss that
    diverged."""


class Interrupted(Exception):
    """Training stopped on Ctrl-C after finishing the batch in progress."""


def device_named(name: str) -> str:
    """The device that ``name`` spells, as "cpu", "cuda:N" or "cuda" (kept unnumbered: the
    GPU of the process that reads it, each rank's own under mpirun, also on resuming); a
    UserError if it spells none. Whether this machine has that device is asked only when it
    is used."""
    spelled = name.strip().lower() if isinstance(name, str) else name
    if spelled == "cuda":
        return spelled
    try:
        return str(Device(name))
    except (TypeError, ValueError):
        raise UserError(f"unknown --device {name!r}; use cpu, cuda or cuda:N") from None


def resolve_device(name: str) -> Device:
    """The device ``name`` spells, on this machine: a UserError if it spells none, a
    ``DeviceUnavailableError`` if this machine cannot give it (a GPU without CuPy, say).
    Done once per run; everything after uses the ``Device`` it returns."""
    return as_device(device_named(name))


@dataclass
class Settings:
    """Everything that defines a run; stored in each checkpoint. ``device`` is where it
    trains (checkpoints written before it existed trained on the CPU, its default)."""

    data: str = "digits"
    layers: tuple[int, ...] = ()
    activation: str = "relu"
    loss: str = "ce"
    optimizer: str = "adam"
    lr: float = 0.0
    batch_size: int = 32
    epochs: int = 20
    seed: int = 0
    device: str = "cpu"

    def __post_init__(self) -> None:
        self.layers = tuple(self.layers)
        self.device = device_named(self.device)
        if self.optimizer not in OPTIMIZERS:
            raise TrainingError(
                f"unknown --optimizer {self.optimizer!r}; use {', '.join(OPTIMIZERS)}"
            )
        if not self.lr:
            self.lr = DEFAULT_LR[self.optimizer]
        if self.lr <= 0 or not math.isfinite(self.lr):
            raise TrainingError(f"--lr must be a positive number, not {self.lr}")
        if self.batch_size < 1:
            raise TrainingError(f"--batch-size must be at least 1, not {self.batch_size}")
        if self.epochs < 0:
            raise TrainingError(f"--epochs must be 0 or more, not {self.epochs}")
        if self.seed < 0:
            raise TrainingError(f"--seed must be 0 or more, not {self.seed}")


@dataclass
class EpochMetrics:
    epoch: int
    loss: float
    accuracy: float
    test_loss: float
    test_accuracy: float
    seconds: float


@dataclass
class PartialEpoch:
    """How far an epoch has got: the batches done, the generator state its shuffle was drawn
    from (restored, it draws the same order again, so a resumed epoch goes on with the batches
    it had not reached), and its running sums, so its metrics are those of an unbroken epoch."""

    rng_at_start: dict[str, Any]
    batches: int = 0
    loss_sum: float = 0.0
    correct: int = 0
    seen: int = 0
    seconds: float = 0.0


@dataclass
class Run:
    """A model being trained, with its optimizer, data and history; ``partial`` is the epoch
    that Ctrl-C stopped part way, if any, ``resumed_from`` the settings of the checkpoint
    it was resumed from, and ``data_parallel`` the model wrapped for training in a group of
    processes (``train_epochs`` makes it)."""

    settings: Settings
    architecture: Architecture
    bundle: DataBundle
    model: nn.Sequential
    optimizer: optim.Optimizer
    device: Device
    history: list[EpochMetrics] = field(default_factory=list)
    partial: PartialEpoch | None = None
    resumed_from: Settings | None = None
    data_parallel: nn.parallel.DistributedDataParallel | None = None

    @property
    def epochs_done(self) -> int:
        return len(self.history)


def start(settings: Settings, download: bool = False) -> Run:
    """A fresh run: seed everything, load the data, build the model, move it to the settings'
    device and make its optimizer there; ``download`` fetches the MNIST files its data folder
    lacks. A DeviceUnavailableError, before anything is loaded, if this machine cannot give
    that device (a GPU without CuPy, say)."""
    device = resolve_device(settings.device)
    manual_seed(settings.seed)
    bundle = load_data(settings.data, settings.seed, download)
    if not settings.layers:
        outputs = 1 if bundle.classes == 2 and settings.loss != "ce" else bundle.classes
        settings.layers = (bundle.features, 64, outputs)
    architecture = Architecture(settings.layers, settings.activation, settings.loss)
    architecture.check_fits(bundle)
    model = architecture.build()
    # Built on the CPU, from the CPU's generator, then moved: the same seed gives the same
    # initial weights on every device.
    model.to(device)
    optimizer = OPTIMIZERS[settings.optimizer](model.parameters(), settings.lr)
    return Run(settings, architecture, bundle, model, optimizer, device)


@user_files()
def _training_checkpoint(path: str | Path) -> tuple[dict[str, Any], Settings]:
    """The checkpoint at ``path`` and the settings stored in it, or a UserError if it is
    not one that ``train`` writes."""
    checkpoint = load_checkpoint(path)
    try:
        stored = checkpoint["settings"]
        settings = Settings(**{**stored, "layers": tuple(stored["layers"])})
    except (KeyError, TypeError) as error:
        raise UserError(
            f"{path} is not a training checkpoint written by chainrule train --save ({error})"
        ) from None
    if checkpoint["model"] is None:
        raise UserError(
            f"{path} is not a training checkpoint written by chainrule train --save "
            "(it holds no model)"
        )
    return checkpoint, settings


@contextmanager
def _restoring(path: str | Path, problem: str) -> Iterator[None]:
    """Turn the error of a part of a checkpoint that cannot be restored (``load_state_dict``
    raises KeyError, ValueError or TypeError) into a UserError naming the file."""
    try:
        yield
    except (KeyError, ValueError, TypeError) as error:
        detail = error.args[0] if isinstance(error, KeyError) and error.args else error
        raise UserError(f"{path}: {problem}: {detail}") from None


def _restore_model(path: str | Path, model: nn.Module, checkpoint: dict[str, Any]) -> None:
    layers = "-".join(map(str, checkpoint["settings"]["layers"]))
    with _restoring(path, f"its model does not fit the {layers} network its settings describe"):
        model.load_state_dict(checkpoint["model"])


def load_model(
    path: str | Path, device: Device = CPU
) -> tuple[Architecture, nn.Sequential, Settings]:
    """The trained model in a checkpoint written by ``train``, on ``device`` (wherever it was
    trained), ready for evaluation."""
    checkpoint, settings = _training_checkpoint(path)
    architecture = Architecture(settings.layers, settings.activation, settings.loss)
    model = architecture.build()
    _restore_model(path, model, checkpoint)
    model.to(device)
    return architecture, model, settings


FIXED_ON_RESUME = ("data", "layers", "activation", "loss", "optimizer", "batch_size", "seed")
"""Settings that a resumed run keeps: they define the model, its optimizer's state, the data
or the order of the batches, so another value contradicts the checkpoint. The others (lr,
epochs, device) may change."""


def spelled(value: Any) -> str:
    """A setting's value as the command line spells it: ``64,32,10``, ``0.001``, ``relu``."""
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def flag(name: str, value: Any) -> str:
    """The setting ``name`` with ``value`` as an option: ``--batch-size 32``."""
    return f"--{name.replace('_', '-')} {spelled(value)}"


def _contradictions(path: str | Path, settings: Settings, changes: Mapping[str, Any]) -> None:
    """A UserError naming the ``changes`` that contradict the checkpoint's ``settings``."""
    names = [n for n in FIXED_ON_RESUME if n in changes and changes[n] != getattr(settings, n)]
    if names:
        given = " and ".join(flag(n, changes[n]) for n in names)
        held = " and ".join(flag(n, getattr(settings, n)) for n in names)
        verb, them = ("contradicts", "it") if len(names) == 1 else ("contradict", "them")
        raise UserError(
            f"{given} {verb} {path}, which has {held}; leave {them} out to resume that run, "
            "or leave out --resume to start a new one"
        )


def resume(
    path: str | Path, changes: Mapping[str, Any] | None = None, download: bool = False
) -> Run:
    """A run restored from a checkpoint written by ``train``: weights, optimizer state,
    history, random state and how far an interrupted epoch got, so it continues exactly where
    it stopped. ``changes`` are settings to resume with: ``lr``, ``epochs`` and ``device``
    are applied (checkpoints hold CPU arrays, so any device will do), the ``FIXED_ON_RESUME``
    ones must equal the checkpoint's or raise a UserError naming them. A checkpoint whose
    parts do not fit its settings (another architecture, another optimizer) is a UserError
    naming the file."""
    changes = dict(changes or {})
    checkpoint, stored = _training_checkpoint(path)
    if "layers" in changes:
        changes["layers"] = tuple(changes["layers"])
    if "device" in changes:
        changes["device"] = device_named(changes["device"])
    _contradictions(path, stored, changes)
    settings = replace(stored, **changes)
    try:
        run = start(settings, download)
    except DeviceUnavailableError as error:
        if "device" in changes:
            raise
        raise DeviceUnavailableError(
            f"{error}; {path} trained on {settings.device}: add --device cpu to resume on the CPU"
        ) from None
    _restore_model(path, run.model, checkpoint)
    optimizer = settings.optimizer
    with _restoring(
        path, f"its optimizer state does not fit the {optimizer} optimizer its settings describe"
    ):
        run.optimizer.load_state_dict(checkpoint["optimizer"])
    for group in run.optimizer.param_groups:
        group["lr"] = settings.lr
    with _restoring(path, "its training history is not what chainrule train writes"):
        run.history = [EpochMetrics(**m) for m in checkpoint.get("history", [])]
    with _restoring(path, "its record of an interrupted epoch is not what chainrule train writes"):
        partial = checkpoint.get("partial_epoch")
        run.partial = None if partial is None else _partial_epoch(run, partial)
    with _restoring(path, "its random state is not what chainrule train writes"):
        set_rng_state(checkpoint["rng_state"])
    run.resumed_from = stored
    return run


def resume_everywhere(
    path: str | Path, changes: Mapping[str, Any] | None = None, download: bool = False
) -> Run:
    """``resume`` in every process of a group: rank 0 reads ``path`` and sends the file's
    bytes to the others, which resume from a private copy, so a checkpoint on a disk only
    rank 0 sees will do. If rank 0 cannot resume, it sends nothing and every rank raises."""
    if distributed.get_world_size() == 1:
        return resume(path, changes, download)
    if distributed.get_rank() == 0:
        try:
            run = resume(path, changes, download)
        except UserError:
            distributed.broadcast_object(None)
            raise
        distributed.broadcast_object(Path(path).read_bytes())
        return run
    blob = distributed.broadcast_object(None)
    if blob is None:
        raise TrainingError(f"rank 0 could not resume from {path}")
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / Path(path).name
        copy.write_bytes(blob)
        return resume(copy, changes, download)


def _partial_epoch(run: Run, record: dict[str, Any]) -> PartialEpoch:
    """The interrupted epoch that ``record`` describes, or a ValueError or TypeError if it
    cannot be one of ``run``'s."""
    partial = PartialEpoch(**record)
    set_rng_state(partial.rng_at_start)  # refuses what is not a generator state
    batches = -(-len(run.bundle.train) // run.settings.batch_size)
    if not 0 <= partial.batches <= batches:
        raise ValueError(f"it has done {partial.batches} batches of an epoch of {batches}")
    return partial


@user_files()
def save(run: Run, path: str | Path) -> None:
    """Write the run's checkpoint atomically: a crash leaves the previous file intact."""
    settings = {**asdict(run.settings), "layers": list(run.settings.layers)}
    save_checkpoint(
        path,
        model=run.model,
        optimizer=run.optimizer,
        epoch=run.epochs_done,
        settings=settings,
        history=[asdict(m) for m in run.history],
        partial_epoch=None if run.partial is None else asdict(run.partial),
    )


def evaluate(
    model: nn.Module, architecture: Architecture, dataset: data.TensorDataset
) -> tuple[float, float]:
    """(mean loss, accuracy) of ``model`` on ``dataset``, on the model's device, without
    recording a graph."""
    was_training = model.training
    model.eval()
    total_loss, correct = 0.0, 0
    device = next(model.parameters()).device
    with no_grad():
        for inputs, labels in data.DataLoader(dataset, batch_size=1000, device=device):
            outputs = model(inputs)
            total_loss += architecture.loss_of(outputs, labels).item() * len(labels)
            correct += architecture.correct(outputs, labels.data)
    model.train(was_training)
    return total_loss / len(dataset), correct / len(dataset)


@contextmanager
def _stop_on_ctrl_c() -> Iterator[list[bool]]:
    """A flag that Ctrl-C raises, so the loop can stop between batches, not inside one."""
    requested = [False]

    def request_stop(signum: int, frame: Any) -> None:
        requested[0] = True

    previous = signal.signal(signal.SIGINT, request_stop)
    try:
        yield requested
    finally:
        signal.signal(signal.SIGINT, previous)


def _training_step(run: Run, compiled: bool) -> Callable[[Tensor, Tensor], tuple[Tensor, Tensor]]:
    """One training step of ``run`` on (inputs, targets), returning the loss and the outputs:
    forward (through ``run.data_parallel`` when it is set), ``zero_grad``, backward and the
    optimizer's step; through ``cr.compile`` unless ``compiled`` is False (the same numbers,
    bit for bit)."""
    model = run.data_parallel or run.model

    def step(inputs: Tensor, targets: Tensor) -> tuple[Tensor, Tensor]:
        outputs = model(inputs)
        loss = run.architecture.criterion(outputs, targets)
        run.optimizer.zero_grad()
        loss.backward()
        run.optimizer.step()
        return loss, outputs

    return compile_step(step) if compiled else step


def train_epochs(
    run: Run,
    checkpoint: str | Path | None = None,
    on_batch: Callable[[int, int, int], None] | None = None,
    on_epoch: Callable[[EpochMetrics], None] | None = None,
    compiled: bool = True,
) -> list[EpochMetrics]:
    """Train from where the run stands (an epoch stopped part way goes on from its next batch)
    up to ``settings.epochs``, saving a checkpoint after each epoch. ``on_batch(epoch, done,
    total)`` and ``on_epoch(metrics)`` report progress. Each step is compiled (``cr.compile``)
    unless ``compiled`` is False.

    A loss that becomes NaN or infinite stops training with a ``TrainingError`` naming the
    epoch and batch, and so does a test loss or a parameter that does (an epoch's last update
    broke the model, which no batch loss shows); a checkpoint is written only after an epoch
    that leaves both finite, so the last one on disk stays good. NumPy's overflow warnings are
    silenced, as the loss checks report the same fault once, in the user's terms.
    Ctrl-C finishes the batch in progress, saves a checkpoint that records how far the epoch
    got (resuming from it ends with the weights of a run never stopped) and raises
    ``Interrupted``.

    In a process group of several (``mpirun -np N chainrule train``), each process trains on
    its share of every batch through ``DistributedDataParallel``; each batch's loss sums,
    counts and Ctrl-C are summed over the processes, so all report the same metrics and stop
    at the same batch, and rank 0 alone writes checkpoints (the others wait until it has).
    """
    world, rank = distributed.get_world_size(), distributed.get_rank()
    if world > 1 and run.data_parallel is None:
        run.data_parallel = nn.parallel.DistributedDataParallel(run.model)
        distributed.broadcast_optimizer_state(run.optimizer)
    loader = data.DataLoader(
        run.bundle.train,
        batch_size=run.settings.batch_size,
        shuffle=True,
        device=run.device,
        shard=None if world == 1 else (rank, world),
    )
    kept = f"; {checkpoint} is left as it was" if checkpoint and Path(checkpoint).exists() else ""
    step = _training_step(run, compiled)
    like = next(run.model.parameters())  # the outputs' dtype and device, for the targets
    with _stop_on_ctrl_c() as stop_requested, np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(run.epochs_done + 1, run.settings.epochs + 1):
            started = time.perf_counter()
            progress = run.partial or PartialEpoch(get_rng_state())
            run.partial = None
            run.model.train()
            for inputs, labels in _batches_left(loader, progress):
                if len(labels):
                    loss, outputs = step(inputs, run.architecture.targets_of(labels, like))
                    value = loss.item()
                    correct = run.architecture.correct(outputs, labels.data)
                else:  # this process's share of a small last batch is empty
                    run.data_parallel.join_without_samples()
                    run.optimizer.step()
                    value, correct = 0.0, 0
                totals = value * len(labels), correct, len(labels), stop_requested[0]
                loss_sum, correct, seen, stops = distributed.sum_over_ranks(totals)
                batch = progress.batches + 1
                if not math.isfinite(loss_sum):  # checked after the step, which the run drops
                    where = f"the loss became {loss_sum / seen} in epoch {epoch}, batch {batch}"
                    raise _diverged(run, where, kept)
                progress.batches = batch
                progress.loss_sum += loss_sum
                progress.correct += int(correct)
                progress.seen += int(seen)
                if on_batch:
                    on_batch(epoch, batch, len(loader))
                if stops:
                    if checkpoint:
                        progress.seconds += time.perf_counter() - started
                        run.partial = progress
                        _save_once(run, checkpoint)
                    raise Interrupted(f"stopped in epoch {epoch} after batch {batch}")
            test_loss, test_accuracy = evaluate(run.model, run.architecture, run.bundle.test)
            broken = _not_finite(run.model, test_loss)
            if broken:
                where = f"{broken} after epoch {epoch}, batch {progress.batches} (its last)"
                raise _diverged(run, where, kept)
            metrics = EpochMetrics(
                epoch,
                progress.loss_sum / progress.seen,
                progress.correct / progress.seen,
                test_loss,
                test_accuracy,
                progress.seconds + time.perf_counter() - started,
            )
            run.history.append(metrics)
            if checkpoint:
                _save_once(run, checkpoint)
                kept = f"; {checkpoint} keeps epoch {epoch}"
            if on_epoch:
                on_epoch(metrics)
    return run.history


def _save_once(run: Run, checkpoint: str | Path) -> None:
    """The checkpoint, written by rank 0 alone; the other processes wait until it is."""
    if distributed.get_rank() == 0:
        save(run, checkpoint)
    if distributed.get_world_size() > 1:
        distributed.barrier()


def _batches_left(loader: data.DataLoader, progress: PartialEpoch) -> Iterator[Any]:
    """The batches of the epoch that ``progress`` describes, from the first it has not done:
    the shuffle is drawn from the generator as it was when the epoch began, and the generator
    is then put back as it is now (as it was after the last batch done)."""
    now = get_rng_state()
    set_rng_state(progress.rng_at_start)
    batches = iter(loader)
    set_rng_state(now)
    return islice(batches, progress.batches, None)


def _not_finite(model: nn.Module, test_loss: float) -> str:
    """What is no longer finite after an epoch, the test loss or a parameter (an infinite
    bias behind a ReLU leaves the loss finite), or "" if nothing is."""
    if not math.isfinite(test_loss):
        return f"the test loss became {test_loss}"
    for name, param in model.named_parameters():
        if not xp_of(param.data).isfinite(param.data).all():
            return f"the parameter {name} became inf or nan"
    return ""


def _diverged(run: Run, where: str, kept: str) -> TrainingError:
    """The error for a loss that is no longer finite: where it happened, the usual cure, and
    what the checkpoint file holds now. Every process of a group sees the same sums, so each
    raises it at the same batch."""
    error = TrainingError(f"{where}; try a smaller --lr (it is {run.settings.lr:g}){kept}")
    error.on_every_rank = True
    return error
