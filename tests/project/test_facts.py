"""Facts written once: each is defined in one place, and every command and library function
that states it is built from that place, so two of them can never disagree."""

import argparse
import inspect
import json

import pytest

import chainrule as cr
import chainrule.explain
from chainrule.app import numeric_vs_backprop, run
from chainrule.app.commands import model as model_command
from chainrule.app.commands import train as train_command
from chainrule.app.datasets import DATA_SPECS
from chainrule.app.main import _parser, main
from chainrule.explain.networks import SEED_000_LR
from chainrule.gradcheck import central_difference
from chainrule.nn.activation import ACTIVATIONS
from chainrule.ops.activation import Sigmoid
from conftest import REPO_ROOT


def _subcommand(name: str) -> argparse.ArgumentParser:
    (subparsers,) = (
        action for action in _parser()._actions if isinstance(action, argparse._SubParsersAction)
    )
    return subparsers.choices[name]


def _option(command: str, flag: str) -> argparse.Action:
    (action,) = (a for a in _subcommand(command)._actions if flag in a.option_strings)
    return action


# ------------------------------------------------------------------------------ activations


@pytest.mark.parametrize("command", ["train", "gradcheck", "explain"])
def test_every_command_offers_the_activations_of_the_one_table(command):
    assert list(_option(command, "--activation").choices) == list(ACTIVATIONS)


def test_gradcheck_checks_a_leaky_relu_network(capsys):
    argv = ["gradcheck", "--layers", "3,5,2", "--activation", "leaky_relu", "--seed", "2"]
    assert main(argv) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("PASS")


def test_train_trains_a_leaky_relu_network(capsys):
    assert main(["train", "--activation", "leaky_relu", "--epochs", "1", "--quiet"]) == 0
    assert capsys.readouterr().out.startswith("Final test accuracy: ")


def test_explain_of_layer_sizes_that_make_no_network_is_one_line(capsys):
    assert main(["explain", "--layers", "2"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("chainrule explain: error: --layers: an MLP needs at least two")
    assert err.count("\n") == 1


def test_explain_of_a_layer_size_below_1_is_one_line(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["explain", "--layers", "2,0,1"])
    assert exited.value.code == 2
    assert capsys.readouterr().err == (
        "chainrule explain: error: argument --layers: layer sizes must be 1 or more, not 2,0,1\n"
    )


# ------------------------------------------------------------------------------ gradient check


@pytest.fixture
def sigmoid_off_by(monkeypatch):
    """Make the sigmoid's derivative wrong by a relative ``error``."""

    def make_wrong(error: float) -> None:
        right = Sigmoid.backward
        monkeypatch.setattr(
            Sigmoid, "backward", staticmethod(lambda ctx, g: right(ctx, g) * (1 + error))
        )

    return make_wrong


@pytest.mark.parametrize(("error", "verdict"), [(5e-4, True), (5e-2, False)])
def test_the_gradcheck_command_judges_as_cr_gradcheck_does(error, verdict, sigmoid_off_by, capsys):
    """A derivative 0.05% off is within cr.gradcheck's rtol of 0.1%, and 5% off is not: the
    command, with the same rule, says the same (it used to fail the first)."""
    sigmoid_off_by(error)
    x = cr.randn(6, requires_grad=True)
    try:
        judged = cr.gradcheck(lambda x: x.sigmoid(), (x,))
    except cr.GradcheckError:
        judged = False
    assert judged is verdict
    assert main(["gradcheck", "--activation", "sigmoid", "--json"]) == (0 if verdict else 1)
    assert json.loads(capsys.readouterr().out)["passed"] is verdict


def test_the_gradcheck_command_states_cr_gradchecks_step_and_tolerances(capsys):
    assert main(["gradcheck", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    defaults = inspect.signature(cr.gradcheck).parameters
    for name in ("eps", "atol", "rtol"):
        assert result[name] == defaults[name].default, name
    assert result["rule"] == "|backprop - numerical| <= atol + rtol * |numerical|"


def test_the_numeric_vs_backprop_demo_takes_the_library_central_difference(monkeypatch):
    steps = []

    def counted(*args, **kwargs):
        steps.append(args[2])
        return central_difference(*args, **kwargs)

    monkeypatch.setattr(numeric_vs_backprop, "central_difference", counted)
    timing = numeric_vs_backprop.measure(samples=3, batch=2, runs=1)
    assert len(steps) == 3 and timing.max_over_allowed < 1e-3


# ------------------------------------------------------------------------------ defaults


def _help(command: str) -> str:
    return " ".join(_subcommand(command).format_help().split())


def test_the_default_learning_rates_are_written_once_and_help_is_made_from_them(monkeypatch):
    assert "learning rate (default: sgd 0.1, momentum 0.05, adam 0.001)" in _help("train")
    monkeypatch.setitem(run.DEFAULT_LR, "sgd", 0.25)
    assert "(default: sgd 0.25, momentum 0.05, adam 0.001)" in _help("train")
    assert run.Settings(optimizer="sgd").lr == 0.25


def test_the_readmes_row_of_learning_rates_is_made_from_the_defaults():
    default = run.Settings().optimizer
    others = ", ".join(
        f"`{name}` ({lr:g})" for name, lr in run.DEFAULT_LR.items() if name != default
    )
    row = (
        f"| `--optimizer`, `--lr` | `{default}` (default, lr {run.DEFAULT_LR[default]:g}), "
        f"{others} |"
    )
    assert row in (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def test_help_and_the_error_name_the_same_data(capsys):
    assert f"{DATA_SPECS} (default: digits)" in _help("train")
    assert main(["train", "--data", "imagenet"]) == 2
    assert capsys.readouterr().err.endswith(f"unknown --data 'imagenet'; use {DATA_SPECS}\n")


def test_explains_default_learning_rate_is_seed_000s():
    assert cr.explain.seed_000().lr == SEED_000_LR == 0.5
    assert "learning rate (default 0.5)" in _help("explain")


# ------------------------------------------------------------------------------ the device


def test_a_run_resolves_its_device_once_and_keeps_it(monkeypatch, capsys):
    asked, kept = [], []
    resolve = run.resolve_device
    monkeypatch.setattr(run, "resolve_device", lambda name: asked.append(name) or resolve(name))
    train_epochs = train_command.train_epochs

    def spy(started, *args, **kwargs):
        kept.append(started.device)
        assert started.device is started.device  # held, not made again on each use
        return train_epochs(started, *args, **kwargs)

    monkeypatch.setattr(train_command, "train_epochs", spy)
    assert main(["train", "--epochs", "1", "--quiet"]) == 0
    assert asked == ["cpu"] and kept == [cr.Device("cpu")] and isinstance(kept[0], cr.Device)


def test_eval_and_predict_resolve_the_device_once(monkeypatch, tmp_path, capsys):
    saved = tmp_path / "m.safetensors"
    assert main(["train", "--epochs", "1", "--quiet", "--save", str(saved)]) == 0
    row = tmp_path / "row.csv"
    row.write_text(",".join(["0"] * 64))
    asked = []
    resolve = run.resolve_device
    monkeypatch.setattr(model_command, "resolve_device", lambda n: asked.append(n) or resolve(n))
    assert main(["eval", str(saved)]) == 0
    assert main(["predict", str(saved), str(row), "--device", "CPU"]) == 0
    assert asked == ["cpu", "CPU"]
