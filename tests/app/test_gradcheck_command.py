"""``chainrule gradcheck``: seed 004's gradient check on a small MLP, end to end, in English
and Korean."""

import json
import re
from collections import Counter

import pytest

from chainrule.app.main import main
from chainrule.ops.activation import Sigmoid
from helpers import CODE_WORDS, english_words, run_cli, run_main


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
    wrong = staticmethod(lambda ctx, g: g * ctx.saved_tensors[-1])  # y, saved last
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


def _prose(out: str) -> list[str]:
    """The lines of a report outside its table."""
    return [line for line in out.splitlines() if line[:1] not in "┏┃┡│└"]


def _numbers(text: str) -> Counter:
    return Counter(re.findall(r"\d(?:[\d,.]*\d)?(?:e[-+]\d+)?", text))


def test_the_english_report_reads_as_before_and_names_its_source(capsys):
    assert main(["gradcheck"]) == 0
    out = capsys.readouterr().out
    assert "┃ parameter ┃ shape ┃ max |backprop - numerical| ┃ of allowed ┃ result ┃" in out
    assert _prose(out) == [
        "Gradient check of a 4-5-3 network (sigmoid, ce loss) on 4 random samples, seed 0, float64",
        "Source: Koki Saito, Deep Learning from Scratch",
        "backprop: loss.backward(); numerical: central differences, eps 1e-06",
        "rule (cr.gradcheck's): |backprop - numerical| <= atol + rtol * |numerical|,",
        '  atol 1e-05, rtol 0.001; "of allowed" is the worst element\'s share of that',
        "  bound, and a parameter passes when it is at most 1",
        "PASS: backprop agrees with central differences on all 4 parameter tensors (43 numbers)",
    ]


def test_the_korean_report_has_the_same_numbers_and_no_english_prose(capsys):
    assert main(["gradcheck"]) == 0
    english = capsys.readouterr().out
    assert main(["gradcheck", "--lang", "ko"]) == 0
    korean = capsys.readouterr().out
    assert _numbers(korean) == _numbers(english) and _numbers(korean).total() > 20
    # What is left in Latin letters is code: the options' values and the parameters' names.
    assert english_words(korean, CODE_WORDS | {"sigmoid", "ce", "weight", "bias"}) == []
    assert "┃ 매개변수 ┃ 형상 ┃ 최대 |역전파 - 수치 미분| ┃ 허용치 대비 ┃ 결과 ┃" in korean
    assert _prose(korean) == [
        "4-5-3 신경망(sigmoid, ce 손실)의 기울기 확인: 무작위 샘플 4개, 시드 0, float64",
        "출처: 사이토 고키, 『밑바닥부터 시작하는 딥러닝』",
        "역전파: loss.backward(), 수치 미분: 중앙 차분, eps 1e-06",
        "판정 규칙(cr.gradcheck의 규칙): |역전파 - 수치 미분| <= atol + rtol * |수치 미분|,",
        '  atol 1e-05, rtol 0.001. "허용치 대비"는 가장 어긋난 원소의 차이가 이 한계에서 차지하는',
        "  비율이며, 1 이하이면 그 매개변수는 통과합니다.",
        "통과: 매개변수 텐서 4개 모두에서 역전파와 중앙 차분이 일치합니다(값 43개).",
    ]


def test_a_failure_in_korean_names_the_parameters_and_json_ignores_the_language(
    monkeypatch, capsys
):
    monkeypatch.setattr(Sigmoid, "backward", staticmethod(lambda ctx, g: g * ctx.saved_tensors[-1]))
    assert main(["gradcheck", "--lang", "ko"]) == 1
    out = capsys.readouterr().out
    assert out.count("실패") == 3  # two rows and the verdict
    assert out.strip().splitlines()[-1] == (
        "실패: 매개변수 텐서 4개 중 2개(0.weight, 0.bias)에서 역전파와 중앙 차분이 "
        "일치하지 않습니다."
    )
    assert main(["gradcheck", "--json", "--lang", "ko"]) == 1
    korean = capsys.readouterr().out
    assert main(["gradcheck", "--json"]) == 1
    assert korean == capsys.readouterr().out
