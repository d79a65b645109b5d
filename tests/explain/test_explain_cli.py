"""``chainrule explain`` end to end."""

import json
import re

import pytest

from chainrule.app.main import main
from helpers import run_cli

SEED_000_PRINTED = {
    "out(h2)": "0.596884378",
    "out(o2)": "0.772928465",
    "E_o1": "0.274811083",
    "E_total": "0.298371109",
    "dE/dw5": "0.0821670406",
    "w5+": "0.35891648",
    "w1+": "0.149780716",
}


def _numbers(text):
    return re.findall(r"-?\d+\.\d+(?:e-?\d+)?", text)


def test_no_arguments_is_the_seed_000_walk_through(capsys):
    assert main(["explain"]) == 0
    out = capsys.readouterr().out
    for value in SEED_000_PRINTED.values():
        assert value in out
    assert "0.023450026" not in out  # the seed's typo; the right value is printed instead
    assert "0.0235600256" in out
    assert "The total error went from 0.298371109 to 0.291027774." in out


def test_steps_show_the_error_falling(capsys):
    assert main(["explain", "--steps", "10"]) == 0
    out = capsys.readouterr().out
    table = out[out.rindex("step") :]
    errors = [float(v) for v in _numbers(table)]
    assert len(errors) == 11 and errors == sorted(errors, reverse=True)


def test_korean_has_the_same_numbers(capsys):
    assert main(["explain"]) == 0
    english = capsys.readouterr().out
    assert main(["explain", "--lang", "ko"]) == 0
    korean = capsys.readouterr().out
    assert "순전파" in korean and "역전파" in korean
    assert sorted(_numbers(english)) == sorted(_numbers(korean))


def test_a_network_of_ones_own_with_weights_from_a_file(tmp_path, capsys):
    weights = tmp_path / "w.json"
    weights.write_text(
        json.dumps({"0.weight": [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], "2.weight": [[1, -1, 0.5]]})
    )
    args = ["explain", "--layers", "2,3,1", "--inputs", "1,0.5", "--targets", "1"]
    assert main([*args, "--weights", str(weights), "--activation", "tanh", "--names", "index"]) == 0
    out = capsys.readouterr().out
    assert "W1[3,2]" in out and "a2_1" in out
    assert "0.6" in out  # W1[3,2] as set by the file


def test_markdown_and_out_file(tmp_path, capsys):
    target = tmp_path / "walk.md"
    assert main(["explain", "--format", "markdown", "--out", str(target)]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {target}"
    text = target.read_text()
    assert text.startswith("# ") and "| w5 |" in text.replace("  ", " ")


def test_digits_option(capsys):
    assert main(["explain", "--digits", "4"]) == 0
    out = capsys.readouterr().out
    assert "0.5969" in out and "0.596884378" not in out


def test_explain_xor(capsys):
    assert main(["explain", "xor"]) == 0
    out = capsys.readouterr().out
    assert "no line puts" in out and "h1:" in out and "h2:" in out


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--layers", "3,2", "--inputs", "1,2"], "one sample of 3 values"),
        (["--layers", "2,2", "--targets", "1,2,3"], "one value per output (2)"),
        (["--weights", "/no/such/file.json"], "/no/such/file.json"),
        (["--digits", "0"], "argument --digits: must be a whole number from 1 to 17"),
        (["--inputs", "a,b"], "not a comma-separated list of finite numbers"),
        (["--layers", "60,60"], "up to 64 neurons"),
    ],
)
def test_bad_options_are_one_line_and_exit_code_2(args, fragment):
    result = run_cli("explain", *args)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and fragment in result.stderr


def test_names_option_is_example_or_index(capsys):
    """--names example is the default (the worked example's i1, w5, o1); "seed" is no choice."""
    assert main(["explain", "--names", "example", "--digits", "4"]) == 0
    example = capsys.readouterr().out
    assert main(["explain", "--digits", "4"]) == 0
    assert capsys.readouterr().out == example and "∂E/∂w5" in example
    result = run_cli("explain", "--names", "seed")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert re.search(
        r"--names: invalid choice: '?seed'? \(choose from '?example'?, ", result.stderr
    )


def test_weights_for_a_parameter_the_network_lacks(tmp_path):
    weights = tmp_path / "w.json"
    weights.write_text(json.dumps({"5.weight": [[1.0]]}))
    result = run_cli("explain", "--weights", weights)
    assert result.returncode == 2 and "no parameter named 5.weight" in result.stderr
