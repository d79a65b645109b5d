"""``chainrule bench``: the workload list, and seed 001's numerical-vs-backprop timing, in
English and Korean.

No test asserts a timing: only the output's structure, the extrapolation's arithmetic,
and that both methods computed the same gradient.
"""

import json
import re
from collections import Counter
from dataclasses import replace

import pytest
from rich.cells import cell_len

from chainrule.app.commands import bench as bench_command
from chainrule.app.main import main
from chainrule.app.numeric_vs_backprop import (
    Timing,
    epoch_seconds,
    extrapolate,
    gradients_per_epoch,
)
from helpers import english_words, run_main


def test_bench_alone_lists_the_workloads(capsys):
    assert main(["bench"]) == 0
    out = capsys.readouterr().out
    assert "chainrule bench WORKLOAD" in out
    assert "numeric-vs-backprop" in out


def test_the_speed_suite_is_no_workload_of_the_command_and_the_list_says_where_it_is(capsys):
    assert run_main(["bench", "speed"]) == 2
    assert "invalid choice: 'speed'" in capsys.readouterr().err
    assert main(["bench"]) == 0
    assert "python benchmarks/run.py" in capsys.readouterr().out


def test_numeric_vs_backprop_json_fields_and_agreement(capsys):
    assert main(["bench", "numeric-vs-backprop", "--samples", "5", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["workload"] == "numeric-vs-backprop"
    assert result["layers"] == [784, 30, 10]
    assert result["parameters"] == 784 * 30 + 30 + 30 * 10 + 10 == 23_860
    assert result["sampled_parameters"] == 5 and result["estimated"] is True
    assert result["batch"] == 10 and result["dtype"] == "float64"
    # The same gradient by both methods, so the times compare equal answers.
    assert result["agree"] is True and result["max_over_allowed"] < 1e-3
    assert result["backprop_seconds"] > 0 and result["numerical_seconds"] > 0
    assert result["ratio"] == pytest.approx(
        result["numerical_seconds"] / result["backprop_seconds"]
    )
    epoch = result["epoch"]
    assert (epoch["images"], epoch["batch"], epoch["gradients"]) == (60_000, 10, 6_000)
    assert epoch["backprop_seconds"] == pytest.approx(6_000 * result["backprop_seconds"])
    assert epoch["numerical_seconds"] == pytest.approx(6_000 * result["numerical_seconds"])


def test_numeric_vs_backprop_text_says_what_was_estimated(capsys):
    assert main(["bench", "numeric-vs-backprop", "--samples", "5", "--batch", "1"]) == 0
    out = capsys.readouterr().out
    assert "784-30-10 sigmoid network (23,860 parameters), MSE on 1 random image" in out
    assert "estimated from the median time of 5 of 23,860 parameters" in out
    assert "numerical / backprop" in out
    assert "same answer on the 5 parameters timed" in out
    assert "|backprop - numerical| <= atol + rtol * |numerical| (cr.gradcheck's rule" in out
    assert "one epoch of 60,000 images in mini-batches of 1 (60,000 gradients)" in out


@pytest.mark.parametrize(("flag", "value"), [("--samples", "0"), ("--batch", "-3")])
def test_bad_sizes_are_one_line_errors(flag, value, capsys):
    assert run_main(["bench", "numeric-vs-backprop", flag, value]) == 2
    err = capsys.readouterr().err
    assert err.strip() == (
        f"chainrule bench numeric-vs-backprop: error: argument {flag}: "
        f"must be a whole number of 1 or more, not {value}"
    )


def test_unknown_workload_is_a_usage_error(capsys):
    assert run_main(["bench", "no-such-workload"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_extrapolation_takes_the_median_time_per_parameter():
    # One parameter slowed by another process does not move the estimate.
    assert extrapolate([0.002, 0.001, 0.5], 23_860) == pytest.approx(0.002 * 23_860)
    assert extrapolate([0.001, 0.003], 10) == pytest.approx(0.02)


def test_seed_001_epoch_arithmetic():
    assert gradients_per_epoch(10) == 6_000
    assert gradients_per_epoch(7, images=20) == 3  # the last mini-batch is short
    # 23,860 parameters at 0.1 ms per parameter: 2.386 s per gradient, ~4 hours per epoch.
    per_gradient = extrapolate([1e-4] * 3, 23_860)
    assert epoch_seconds(per_gradient, batch=10) / 3600 == pytest.approx(3.97666, rel=1e-5)
    assert epoch_seconds(0.25, batch=100) == 150.0


def test_timing_ratio_and_whether_it_is_estimated():
    sampled = Timing(
        batch=10,
        parameters=23_860,
        backprop_seconds=2e-4,
        backprop_runs=50,
        numerical_seconds=4.0,
        sampled=200,
        sampled_seconds=0.034,
        max_over_allowed=1e-7,
    )
    assert sampled.ratio == pytest.approx(20_000)
    assert sampled.estimated
    assert not Timing(10, 23_860, 2e-4, 50, 4.0, 23_860, 4.0, 1e-7).estimated


TIMING = Timing(
    batch=10,
    parameters=23_860,
    backprop_seconds=1.26e-4,
    backprop_runs=50,
    numerical_seconds=2.66,
    sampled=5,
    sampled_seconds=7.11e-4,
    max_over_allowed=3.3e-6,
)


@pytest.fixture
def measured(monkeypatch):
    """The command reports ``TIMING`` (at the batch asked for) instead of timing."""
    monkeypatch.setattr(bench_command, "measure", lambda **how: replace(TIMING, batch=how["batch"]))


def test_numeric_vs_backprop_in_english_reads_as_before_and_names_its_sources(measured, capsys):
    assert main(["bench", "numeric-vs-backprop"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "One gradient of a 784-30-10 sigmoid network (23,860 parameters), MSE on 10 random "
        "images, float64:",
        "  backprop (1 forward + 1 backward pass, median of 50 runs)  0.126 ms",
        "  central differences (2 forward passes per parameter)       2.66 s",
        "    estimated from the median time of 5 of 23,860 parameters (0.711 ms in all)",
        "  numerical / backprop                                       21,111x",
        "  same answer on the 5 parameters timed: the worst is at 3.3e-06 of the bound",
        "    |backprop - numerical| <= atol + rtol * |numerical| (cr.gradcheck's rule,",
        "    atol 1e-05, rtol 0.001)",
        "The lecture notes' scenario: one epoch of 60,000 images in mini-batches of 10 "
        "(6,000 gradients):",
        "  backprop                                                   756 ms",
        "  central differences                                        4.4 hours",
        'Sources: the lecture notes "파이썬(Python)으로 구현하는 오차역전파" (backpropagation '
        "implemented in Python); Koki Saito, Deep Learning from Scratch",
    ]


def test_numeric_vs_backprop_in_korean_has_the_same_numbers_in_aligned_columns(measured, capsys):
    assert main(["bench", "numeric-vs-backprop", "--batch", "1"]) == 0
    english = capsys.readouterr().out
    assert main(["bench", "numeric-vs-backprop", "--batch", "1", "--lang", "ko"]) == 0
    korean = capsys.readouterr().out
    numbers = re.compile(r"\d(?:[\d,.]*\d)?(?:e[-+]\d+)?")
    assert Counter(numbers.findall(korean)) == Counter(numbers.findall(english))
    assert english_words(korean) == []
    lines = korean.splitlines()
    assert lines[0] == (
        "784-30-10 시그모이드 신경망(매개변수 23,860개)에서 기울기 하나를 구하는 시간, "
        "무작위 이미지 1장에 대한 MSE 손실, float64:"
    )
    assert lines[4:6] == [
        "  수치 미분 / 역전파                                       21,111배",
        "  같은 답: 시간을 잰 매개변수 5개에서 가장 큰 차이는 한계의 3.3e-06배",
    ]
    assert (
        lines[8]
        == "강의 자료의 예: 이미지 60,000장으로 한 에폭, 크기 1의 미니배치 (기울기 60,000번):"
    )
    assert lines[-1] == (
        "출처: 강의 자료 「파이썬(Python)으로 구현하는 오차역전파」; "
        "사이토 고키, 『밑바닥부터 시작하는 딥러닝』"
    )
    # Hangul takes two columns of a terminal: every value starts in the same column.
    rows = [lines[i] for i in (1, 2, 4, 9, 10)]
    assert len({cell_len(row.rsplit("  ", 1)[0]) for row in rows}) == 1
    assert [row.rsplit("  ", 1)[1] for row in rows] == [
        "0.126ms",
        "2.66초",
        "21,111배",
        "7.56초",
        "44.3시간",
    ]
