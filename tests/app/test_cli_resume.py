"""``chainrule train --resume``, end to end: a run stopped anywhere (Ctrl-C in an epoch,
SIGKILL between checkpoints) and resumed ends with the weights and metrics of a run never
stopped, bit for bit; options that contradict the checkpoint are one-line errors naming them,
and those that may change (--lr, --epochs, --device) are applied and said."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule.app import run as run_module
from chainrule.app.main import main
from chainrule.app.run import Settings, start, train_epochs
from helpers import chainrule_command, chainrule_environment, one_line_error, run_cli

BATCHES = 45  # digits: 1,437 training samples in batches of 32


def _metrics(out: str) -> list[dict]:
    """The epoch lines of ``train --json``, less the seconds each took."""
    lines = [json.loads(line) for line in out.splitlines()]
    return [{k: v for k, v in line.items() if k != "seconds"} for line in lines if "epoch" in line]


def _weights(path: Path) -> dict[str, np.ndarray]:
    return {name: t.numpy() for name, t in cr.load_checkpoint(path)["model"].items()}


def _history(path: Path) -> list[dict]:
    return [
        {k: v for k, v in m.items() if k != "seconds"} for m in cr.load_checkpoint(path)["history"]
    ]


def _assert_same_run(path: Path, reference: Path) -> None:
    """The checkpoints at ``path`` and ``reference`` hold the same weights, bit for bit, and
    the same metrics for every epoch."""
    expected, actual = _weights(reference), _weights(path)
    assert actual.keys() == expected.keys()
    for name in expected:
        np.testing.assert_array_equal(actual[name], expected[name], err_msg=name)
    assert _history(path) == _history(reference)


@pytest.fixture
def sigint_after_step(monkeypatch: pytest.MonkeyPatch):
    """``arm(k)``: the process receives a real SIGINT while the k-th training step runs (its
    optimizer step taken, compiled or not), as when the user presses Ctrl-C in the middle of
    batch k."""
    state = {"left": None}
    make_step = run_module._training_step

    def training_step(run, compiled):
        step = make_step(run, compiled)

        def stepping(*args):
            result = step(*args)
            if state["left"] is not None:
                state["left"] -= 1
                if state["left"] == 0:
                    signal.raise_signal(signal.SIGINT)
            return result

        return stepping

    monkeypatch.setattr(run_module, "_training_step", training_step)

    def arm(k: int | None) -> None:
        state["left"] = k

    return arm


@pytest.fixture
def uninterrupted(tmp_path_factory) -> tuple[Path, list[dict]]:
    """A 3-epoch run on the digits, never stopped: its checkpoint and its epoch lines."""
    path = tmp_path_factory.mktemp("straight") / "straight.safetensors"
    result = run_cli("train", "--epochs", "3", "--json", "--save", path)
    assert result.returncode == 0, result.stderr
    return path, _metrics(result.stdout)


@pytest.mark.parametrize("k", [1, 17, BATCHES, BATCHES + 1, 2 * BATCHES + 30])
def test_ctrl_c_after_batch_k_then_resume_ends_as_the_unbroken_run(
    k, tmp_path, capsys, sigint_after_step, uninterrupted
):
    """Ctrl-C in the middle of batch k (the first, one in epoch 1, the last of epoch 1, the
    first of epoch 2, one in epoch 3), then ``--resume``: the same weights, bit for bit, and
    the same epoch lines as the run never stopped."""
    straight, straight_lines = uninterrupted
    path = tmp_path / "run.safetensors"
    sigint_after_step(k)
    assert main(["train", "--epochs", "3", "--json", "--save", str(path)]) == 130
    captured = capsys.readouterr()
    epoch, batch = (k - 1) // BATCHES + 1, (k - 1) % BATCHES + 1
    assert f"stopped in epoch {epoch} after batch {batch}; checkpoint saved" in captured.err
    before = _metrics(captured.out)
    assert [m["epoch"] for m in before] == list(range(1, epoch))
    assert cr.load_checkpoint(path)["partial_epoch"]["batches"] == batch

    sigint_after_step(None)
    assert main(["train", "--resume", str(path), "--json"]) == 0
    after = _metrics(capsys.readouterr().out)
    assert before + after == straight_lines
    _assert_same_run(path, straight)
    assert cr.load_checkpoint(path)["partial_epoch"] is None


def test_ctrl_c_twice_in_one_epoch_then_resume_ends_as_the_unbroken_run(
    tmp_path, capsys, sigint_after_step, uninterrupted
):
    straight, straight_lines = uninterrupted
    path = tmp_path / "run.safetensors"
    sigint_after_step(BATCHES + 5)
    assert main(["train", "--epochs", "3", "--json", "--save", str(path)]) == 130
    sigint_after_step(20)
    assert main(["train", "--resume", str(path), "--json"]) == 130
    assert "stopped in epoch 2 after batch 25" in capsys.readouterr().err
    sigint_after_step(None)
    assert main(["train", "--resume", str(path), "--json"]) == 0
    assert _metrics(capsys.readouterr().out) == straight_lines[1:]
    _assert_same_run(path, straight)


def test_a_real_ctrl_c_in_an_epoch_then_resume_ends_as_the_unbroken_run(tmp_path):
    """The command in its own process, stopped by SIGINT somewhere in epoch 2 or later."""
    args = ["train", "--epochs", "3", "--batch-size", "1", "--json"]
    straight = tmp_path / "straight.safetensors"
    result = subprocess.run(
        chainrule_command(*args, "--save", str(straight)),
        capture_output=True,
        env=chainrule_environment(),
        timeout=120,
    )
    assert result.returncode == 0, result.stderr

    path = tmp_path / "run.safetensors"
    process = subprocess.Popen(
        chainrule_command(*args, "--save", str(path)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=chainrule_environment(),
    )
    deadline = time.monotonic() + 60
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.005)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, "training finished before Ctrl-C reached it"
    assert "Traceback" not in err and "checkpoint saved to" in err
    assert cr.load_checkpoint(path)["partial_epoch"]["batches"] >= 1

    resumed = run_cli("train", "--resume", path, "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    _assert_same_run(path, straight)


def test_sigkill_of_a_resumed_run_then_resume_again_ends_as_the_unbroken_run(
    tmp_path, capsys, sigint_after_step, uninterrupted
):
    """Stopped by Ctrl-C in epoch 1, resumed, and that run killed at a random moment (before
    or after its next epoch checkpoint): resuming from whatever file survived still ends as
    the run never stopped."""
    straight, _ = uninterrupted
    path = tmp_path / "run.safetensors"
    sigint_after_step(30)
    assert main(["train", "--epochs", "3", "--save", str(path), "--quiet"]) == 130
    sigint_after_step(None)
    process = subprocess.Popen(
        chainrule_command("train", "--resume", str(path), "--quiet"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=chainrule_environment(),
    )
    time.sleep(np.random.default_rng().uniform(0.2, 0.6))
    process.send_signal(signal.SIGKILL)
    process.wait()
    # A complete, loadable file, whichever moment the kill came at (even after the last
    # epoch's checkpoint, before the process could exit).
    assert 0 <= cr.load_checkpoint(path)["epoch"] <= 3

    assert main(["train", "--resume", str(path), "--quiet"]) == 0
    _assert_same_run(path, straight)


def test_a_checkpoint_without_an_epoch_position_resumes_at_its_next_epoch(
    tmp_path, capsys, uninterrupted
):
    """Checkpoints written before the position in the epoch was recorded (their Ctrl-C put
    the generator back to the epoch's start) resume at the start of the next epoch."""
    straight, _ = uninterrupted
    path = tmp_path / "old.safetensors"
    assert main(["train", "--epochs", "1", "--save", str(path), "--quiet"]) == 0
    checkpoint = cr.load_checkpoint(path)
    del checkpoint["partial_epoch"]
    model, optimizer = checkpoint.pop("model"), checkpoint.pop("optimizer")
    cr.save_checkpoint(path, model=model, optimizer=optimizer, **checkpoint)
    assert main(["train", "--resume", str(path), "--epochs", "3", "--quiet"]) == 0
    _assert_same_run(path, straight)


# ------------------------------------------------------------- options given with --resume


@pytest.fixture
def checkpoint(tmp_path) -> Path:
    """A 1-epoch digits run: 64-64-10, relu, ce, adam at 0.001, batch 32, seed 0, cpu."""
    path = tmp_path / "run.safetensors"
    assert main(["train", "--epochs", "1", "--save", str(path), "--quiet"]) == 0
    return path


def _resume_error(capsys, *argv: str) -> str:
    return one_line_error(capsys, "train", "--resume", *argv)


@pytest.mark.parametrize(
    ("given", "held"),
    [
        (["--layers", "64,32,10"], "--layers 64,64,10"),
        (["--activation", "tanh"], "--activation relu"),
        (["--loss", "mse"], "--loss ce"),
        (["--data", "xor"], "--data digits"),
        (["--optimizer", "sgd"], "--optimizer adam"),
        (["--batch-size", "16"], "--batch-size 32"),
        (["--seed", "1"], "--seed 0"),
    ],
)
def test_resume_with_an_option_that_contradicts_the_checkpoint_is_one_line_naming_it(
    given, held, checkpoint, capsys
):
    before = checkpoint.read_bytes()
    err = _resume_error(capsys, str(checkpoint), "--epochs", "2", *given)
    assert err == (
        f"chainrule train: error: {' '.join(given)} contradicts {checkpoint}, which has "
        f"{held}; leave it out to resume that run, or leave out --resume to start a new one"
    )
    assert checkpoint.read_bytes() == before


def test_resume_names_every_contradicting_option_at_once(checkpoint, capsys):
    err = _resume_error(
        capsys, str(checkpoint), "--layers", "64,32,10", "--loss", "mse", "--activation", "relu"
    )
    assert err.startswith(
        f"chainrule train: error: --layers 64,32,10 and --loss mse contradict {checkpoint}, "
        "which has --layers 64,64,10 and --loss ce; leave them out"
    )


def test_resume_with_the_checkpoints_own_settings_given_explicitly(checkpoint, capsys):
    argv = ["--layers", "64,64,10", "--activation", "relu", "--data", "digits", "--seed", "0"]
    assert main(["train", "--resume", str(checkpoint), "--epochs", "2", *argv]) == 0
    assert "contradicts" not in capsys.readouterr().err
    assert len(cr.load_checkpoint(checkpoint)["history"]) == 2


def test_resume_with_lr_applies_it_and_says_so(checkpoint, capsys):
    assert main(["train", "--resume", str(checkpoint), "--epochs", "2", "--lr", "0.01"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].startswith("adam, lr 0.01, batch 32, 2 epochs")
    assert out[2:4] == [
        "resuming with --lr 0.01 (the checkpoint had 0.001)",
        "resuming with --epochs 2 (the checkpoint had 1)",
    ]
    saved = cr.load_checkpoint(checkpoint)
    assert saved["settings"]["lr"] == 0.01
    assert [group["lr"] for group in saved["optimizer"]["param_groups"]] == [0.01]

    cr.manual_seed(0)
    run = start(Settings(epochs=1))
    train_epochs(run)
    run.settings.epochs = 2
    for group in run.optimizer.param_groups:
        group["lr"] = 0.01
    train_epochs(run)
    for name, tensor in run.model.state_dict().items():
        np.testing.assert_array_equal(saved["model"][name].numpy(), tensor.numpy(), err_msg=name)


def test_resume_with_fewer_epochs_than_done_is_one_line(tmp_path, capsys):
    path = tmp_path / "run.safetensors"
    assert main(["train", "--epochs", "2", "--save", str(path), "--quiet"]) == 0
    before = path.read_bytes()
    err = _resume_error(capsys, str(path), "--epochs", "1")
    assert err == (
        f"chainrule train: error: {path} has trained 2 epochs already and --epochs is "
        "the total: ask for 2 or more"
    )
    assert path.read_bytes() == before


@pytest.mark.parametrize("epochs", [[], ["--epochs", "1"]])
def test_resume_of_a_finished_run_says_there_is_nothing_to_do(epochs, checkpoint, capsys):
    # A restart script may resume whatever checkpoint survived, finished or not: that is not
    # a mistake, but nothing is trained or written, and the command says so.
    before = checkpoint.read_bytes()
    capsys.readouterr()
    assert main(["train", "--resume", str(checkpoint), *epochs]) == 0
    captured = capsys.readouterr()
    assert captured.err == (
        f"chainrule train: {checkpoint} has trained all 1 epochs; nothing to do "
        "(--epochs N goes on to epoch N)\n"
    )
    assert "Saved" not in captured.out and "Final test accuracy" in captured.out
    assert checkpoint.read_bytes() == before


def test_resume_with_epochs_applies_it_and_says_so(checkpoint, capsys):
    assert main(["train", "--resume", str(checkpoint), "--epochs", "3", "--json"]) == 0
    captured = capsys.readouterr()
    assert captured.err == "chainrule train: resuming with --epochs 3 (the checkpoint had 1)\n"
    assert [m["epoch"] for m in _metrics(captured.out)] == [2, 3]
    assert cr.load_checkpoint(checkpoint)["settings"]["epochs"] == 3


def test_resume_without_epochs_keeps_the_checkpoints(tmp_path, capsys, sigint_after_step):
    path = tmp_path / "run.safetensors"
    sigint_after_step(BATCHES + 3)
    assert main(["train", "--epochs", "2", "--save", str(path), "--quiet"]) == 130
    sigint_after_step(None)
    capsys.readouterr()
    assert main(["train", "--resume", str(path), "--json"]) == 0
    captured = capsys.readouterr()
    assert [m["epoch"] for m in _metrics(captured.out)] == [2]
    assert "resuming with" not in captured.err


def test_resume_of_a_gpu_checkpoint_on_the_cpu_says_so(tmp_path, capsys, fake_gpu):
    path = tmp_path / "gpu.safetensors"
    assert (
        main(["train", "--data", "xor", "--epochs", "1", "--device", "cuda", "--save", str(path)])
        == 0
    )
    capsys.readouterr()
    copy = tmp_path / "copy.safetensors"
    shutil.copy(path, copy)
    assert (
        main(["train", "--resume", str(path), "--epochs", "2", "--device", "cpu", "--quiet"]) == 0
    )
    err = capsys.readouterr().err
    assert "chainrule train: resuming with --device cpu (the checkpoint had cuda)\n" in err
    assert cr.load_checkpoint(path)["settings"]["device"] == "cpu"
    assert main(["train", "--resume", str(copy), "--epochs", "2", "--quiet"]) == 0
    assert "--device" not in capsys.readouterr().err
    _assert_same_run(path, copy)


def test_progress_bars_of_a_run_resumed_in_an_epoch_name_that_epoch(
    tmp_path, capsys, sigint_after_step
):
    path = tmp_path / "run.safetensors"
    sigint_after_step(BATCHES + 10)
    assert main(["train", "--epochs", "3", "--save", str(path), "--quiet"]) == 130
    sigint_after_step(None)
    capsys.readouterr()
    assert main(["train", "--resume", str(path), "--progress"]) == 0
    err = capsys.readouterr().err
    assert "epoch 2/3" in err and "epoch 3/3" in err and "epoch 1/3" not in err


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ({"rng_at_start": {"state": 1}}, "state must be for a PCG64 RNG"),
        ({"batches": 46}, "it has done 46 batches of an epoch of 45"),
        ({"batches": -1}, "it has done -1 batches of an epoch of 45"),
        ({"shuffle": [1, 2]}, "unexpected keyword argument 'shuffle'"),
    ],
    ids=["rng", "too-far", "negative", "unknown-key"],
)
def test_resume_of_a_damaged_record_of_an_interrupted_epoch_is_one_line(
    damage, message, tmp_path, capsys, sigint_after_step
):
    path = tmp_path / "run.safetensors"
    sigint_after_step(10)
    assert main(["train", "--epochs", "2", "--save", str(path), "--quiet"]) == 130
    sigint_after_step(None)
    capsys.readouterr()
    checkpoint = cr.load_checkpoint(path)
    checkpoint["partial_epoch"].update(damage)
    model, optimizer = checkpoint.pop("model"), checkpoint.pop("optimizer")
    cr.save_checkpoint(path, model=model, optimizer=optimizer, **checkpoint)
    err = _resume_error(capsys, str(path))
    assert err.startswith(
        f"chainrule train: error: {path}: its record of an interrupted epoch is not what "
        "chainrule train writes: "
    )
    assert message in err


def test_a_checkpoint_that_says_cuda_0_resumes_on_cuda_without_a_device_change(
    tmp_path, capsys, fake_gpu
):
    """Before "cuda" was kept unnumbered (for each rank's own GPU under mpirun), checkpoints
    said cuda:0: for one process that is where "cuda" puts the model, so no change is told."""
    path = tmp_path / "gpu.safetensors"
    assert (
        main(["train", "--data", "xor", "--epochs", "1", "--device", "cuda", "--save", str(path)])
        == 0
    )
    stored = cr.load_checkpoint(path)
    stored["settings"]["device"] = "cuda:0"
    cr.save_checkpoint(path, **stored)
    capsys.readouterr()
    assert (
        main(["train", "--resume", str(path), "--epochs", "2", "--device", "cuda", "--quiet"]) == 0
    )
    assert "resuming with --device" not in capsys.readouterr().err
