"""``chainrule train`` compiles its training step (``cr.compile``) unless ``--no-compile``:
the two give the same weights and metrics, bit for bit, for each loss, optimizer and
activation the command offers; and the compiled run replays its steps."""

from __future__ import annotations

import json

import numpy as np
import pytest

import chainrule as cr
from chainrule import Function
from chainrule.app.main import main


def _run(tmp_path, capsys, name: str, *args: str) -> tuple[dict, list[dict]]:
    path = tmp_path / f"{name}.safetensors"
    assert main(["train", *args, "--json", "--save", str(path)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    metrics = [{k: v for k, v in m.items() if k != "seconds"} for m in lines if "epoch" in m]
    checkpoint = cr.load_checkpoint(path)
    state = {name: t.numpy() for name, t in checkpoint["model"].items()}
    for index, entries in checkpoint["optimizer"]["state"].items():
        for key, value in entries.items():
            state[f"{index}.{key}"] = np.asarray(
                value.numpy() if hasattr(value, "numpy") else value
            )
    return state, metrics


@pytest.mark.parametrize(
    "options",
    [
        ["--epochs", "2"],  # the digits, relu, ce, adam: the defaults
        [
            "--data",
            "xor",
            "--layers",
            "2,4,1",
            "--activation",
            "sigmoid",
            "--loss",
            "mse",
            "--optimizer",
            "momentum",
            "--epochs",
            "40",
        ],
        [
            "--data",
            "xor",
            "--layers",
            "2,3,1",
            "--activation",
            "tanh",
            "--loss",
            "bce",
            "--optimizer",
            "sgd",
            "--batch-size",
            "3",
            "--epochs",
            "30",
        ],
        ["--epochs", "1", "--activation", "leaky_relu", "--loss", "mse", "--batch-size", "100"],
    ],
    ids=["defaults", "xor-mse-momentum", "xor-bce-sgd-partial-batches", "leaky-mse"],
)
def test_a_compiled_run_is_the_eager_run_bit_for_bit(options, tmp_path, capsys):
    compiled = _run(tmp_path, capsys, "compiled", *options)
    eager = _run(tmp_path, capsys, "eager", *options, "--no-compile")
    assert compiled[1] == eager[1]
    assert compiled[0].keys() == eager[0].keys()
    for name, value in eager[0].items():
        assert compiled[0][name].tobytes() == value.tobytes(), name


def test_the_compiled_run_replays_and_the_eager_one_does_not(tmp_path, capsys, monkeypatch):
    calls = []
    apply = Function.apply.__func__
    monkeypatch.setattr(
        Function, "apply", classmethod(lambda cls, *a: calls.append(cls) or apply(cls, *a))
    )
    counts = {}
    for name, extra in (("compiled", []), ("eager", ["--no-compile"])):
        calls.clear()
        _run(tmp_path, capsys, name, "--epochs", "1", *extra)
        counts[name] = len(calls)
    # 45 batches: eager runs 3 ops a step (Linear+sigmoid fused, Linear, the loss);
    # compiled only the captures' and evaluation's.
    assert counts["eager"] >= 45 * 3 and counts["compiled"] <= 4 * 3
