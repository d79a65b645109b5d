"""``chainrule gradcheck``: seed 004's gradient check on a small MLP, end to end."""

import json

import pytest

from chainrule.app.main import main
from chainrule.ops.activation import Sigmoid
from helpers import run_cli, run_main


def test_the_default_check_passes_and_names_every_parameter(capsys):
    assert main(["gradcheck"]) == 0
    out = capsys.readouterr().out
    for name, shape in [("0.weight", "5x4"), ("0.bias", "5"), ("2.weight", "3x5"), ("2.bias", "3")]:
        (row,) = [line for line in out.splitlines() if f" {name} " in line]
        assert f" {shape} " in row and "PASS" in row
    assert "rule (cr.gradcheck's): |backprop - numerical| <= atol + rtol * |numerical|" in out
    assert out.strip().splitlines()[-1].startswith("PASS: backprop agrees")
    assert "FAIL" not in out


@pytest.mark.parametrize(
    ("activation", "loss"), [("sigmoid", "mse"), ("relu", "ce"), ("tanh", "bce")]
)
def test_deeper_networks_pass_with_every_activation_and_loss(activation, loss, capsys):
    argv = ["gradcheck", "--layers", "3,6,4,2", "--activation", activation, "--loss", loss]
    assert main([*argv, "--batch", "5", "--seed", "3", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    names = [p["name"] for p in result["parameters"]]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    assert result["passed"] and result["dtype"] == "float64"
    assert all(p["max_over_allowed"] <= 1 for p in result["parameters"])


def test_a_wrong_sigmoid_derivative_fails_where_it_is_used(monkeypatch, capsys):
    # dx = g * y instead of g * y * (1 - y): a plausible slip in seed 001's sigmoid'.
    wrong = staticmethod(lambda ctx, g: g * ctx.saved_tensors[0])
    monkeypatch.setattr(Sigmoid, "backward", wrong)

    assert main(["gradcheck", "--json"]) == 1
    result = json.loads(capsys.readouterr().out)
    verdicts = {p["name"]: p["passed"] for p in result["parameters"]}
    # The output layer's gradients never pass through the hidden sigmoid's backward.
    assert verdicts == {"0.weight": False, "0.bias": False, "2.weight": True, "2.bias": True}
    assert not result["passed"]
    assert result["parameters"][0]["max_over_allowed"] > 10

    assert main(["gradcheck"]) == 1
    out = capsys.readouterr().out
    assert out.count("FAIL") == 3  # two rows and the verdict
    assert out.strip().splitlines()[-1] == (
        "FAIL: backprop disagrees with central differences on 0.weight, 0.bias "
        "(2 of 4 parameter tensors)"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--layers", "4"], "at least two positive sizes"),
        (["--layers", "4,0,3"], "argument --layers: layer sizes must be 1 or more"),
        (["--layers", "4,1"], "--loss ce needs at least 2 outputs"),
        (["--layers", "1000,1000,10"], "1,011,010 parameters"),
        (["--batch", "0"], "argument --batch: must be a whole number of 1 or more"),
        (["--seed", "-1"], "argument --seed: must be a whole number of 0 or more"),
        (["--layers", "4,x"], "not a comma-separated list"),
        (["--activation", "softplus"], "invalid choice"),
    ],
)
def test_bad_arguments_are_one_line_errors(argv, message, capsys):
    assert run_main(["gradcheck", *argv]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 or lines[0].startswith("usage:"), captured.err
    assert lines[-1].startswith("chainrule gradcheck: error:") and message in lines[-1]
    assert "Traceback" not in captured.err and captured.out == ""


def test_gradcheck_in_a_subprocess_prints_a_plain_table():
    result = run_cli("gradcheck", "--layers", "2,3,2")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "\x1b[" not in result.stdout  # piped: no colour codes
    assert "0.weight" in result.stdout and "2.bias" in result.stdout
    assert (
        "PASS: backprop agrees with central differences on all 4 parameter tensors (17 numbers)"
        in (result.stdout)
    )
