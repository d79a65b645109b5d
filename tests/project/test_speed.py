"""The speed suite (``benchmarks/run.py``, the ``speed`` package beside it) works: every
workload runs once at a tiny size through ``python benchmarks/run.py`` itself, and the three
implementations reach the same loss. No test asserts a speed: targets live in the table, not
in asserts."""

import contextlib
import importlib.util
import io
import json
import math
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from conftest import BENCHMARKS
from speed import reference
from speed.inputs import make_problem
from speed.report import print_report
from speed.suite import main, summarise
from speed.workloads import WORKLOADS, Target

HAS_TORCH = importlib.util.find_spec("torch") is not None
IMPLEMENTATIONS = ("chainrule", "hand-written", "pytorch", "chainrule compiled")


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """``python benchmarks/run.py --quick`` on 200 samples per workload (XOR: 50 steps), one
    run each, as its own process from any folder: its exit code, its stdout and the JSON it
    wrote."""
    folder = tmp_path_factory.mktemp("speed")
    path = folder / "speed.json"
    done = subprocess.run(
        [sys.executable, BENCHMARKS / "run.py", "--quick", "--samples", "200", "--json", path],
        capture_output=True,
        text=True,
        cwd=folder,
        timeout=600,
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return done.returncode, done.stdout, json.loads(path.read_text())


def test_every_workload_runs_and_the_losses_agree(tiny_run):
    code, _, report = tiny_run
    assert code == 0 and report["passed"] is True
    assert [r["workload"] for r in report["workloads"]] == list(WORKLOADS)
    for record in report["workloads"]:
        assert record["status"] == "ok", record
        assert record["samples"] == 200
        assert record["agreement"]["agree"] is True
        implementations = record["implementations"]
        assert set(implementations) == set(IMPLEMENTATIONS)
        if not HAS_TORCH:
            assert implementations["pytorch"] == {"skipped": "PyTorch is not importable"}
        for name in IMPLEMENTATIONS if HAS_TORCH else IMPLEMENTATIONS[::3]:
            assert record["agreement"]["agrees"][name] is True
            assert implementations[name]["loss"] == pytest.approx(
                implementations["hand-written"]["loss"], rel=record["agreement"]["rtol"]
            )


def test_run_py_keeps_every_option_of_the_former_chainrule_bench_speed(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    options = ["--workloads", "--device", "--repeats", "--samples", "--torch-threads", "--json"]
    for option in [*options, "--quick", "--full"]:
        assert option in out, option
    assert "cuda[:N] for the GPU suite" in out


def test_quick_and_full_are_the_two_sizes_and_exclude_each_other(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--quick", "--full"])
    assert exited.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_xor_is_50_steps_of_4(tiny_run):
    xor = tiny_run[2]["workloads"][-1]
    assert (xor["workload"], xor["batch"], xor["steps"]) == ("e", 4, 50)


def test_json_has_the_figures_of_the_table(tiny_run):
    report = tiny_run[2]
    assert report["repeats"] == 1 and report["quick"] is True
    assert report["machine"]["cpu_count"] >= 1
    assert len(report["machine"]["load_average_before"]) == 3
    if HAS_TORCH:
        assert report["machine"]["torch_threads"]["intra_op"] >= 1
    for record in report["workloads"]:
        for name in IMPLEMENTATIONS[: 3 if HAS_TORCH else 2]:
            result = record["implementations"][name]
            assert len(result["runs"]) == len(result["losses"]) == 1
            assert result["seconds"] > 0
            assert result["samples_per_second"] == pytest.approx(200 / result["seconds"])
        ratio = record["ratios"]["chainrule/hand-written"]
        chainrule, hand = (record["implementations"][n]["seconds"] for n in IMPLEMENTATIONS[:2])
        assert ratio["value"] == pytest.approx(chainrule / hand)
        compiled = record["implementations"]["chainrule compiled"]["seconds"]
        assert record["ratios"]["compiled/hand-written"]["value"] == pytest.approx(compiled / hand)
        torch_ratio = record["ratios"]["pytorch/chainrule"]
        assert (torch_ratio["value"] is not None) == HAS_TORCH
        assert set(torch_ratio) == {"value", "target", "met"}
        memory = record["memory"]
        assert set(memory["runs"]) == {"1", "3"}
        peaks = [memory["runs"][k]["peak_rss_bytes"] for k in ("1", "3")]
        assert memory["ratio"] == pytest.approx(peaks[1] / peaks[0])
        assert memory["target"] == {"op": "<=", "value": 1.5}
        assert math.isfinite(record["initial_loss"])


def test_the_table_is_printed(tiny_run):
    out = tiny_run[1]
    assert "chainrule speed: one training epoch four ways, median of 1 run" in out
    for text in ("chainrule/hand-written", "RSS 3/1 epochs", "hand-written", "Load average"):
        assert text in out
    assert "(e) XOR 2-2-1 sigmoid" in out and "200 samples, 50 steps" in out
    assert ("PyTorch/chainrule" in out) == HAS_TORCH


# ------------------------------------------------------------------------------ the check itself


def _timing(losses, seconds=(2.0, 1.0, 4.0, 1.5)):
    """A measuring process's record for workload (a), with these losses after the epoch."""
    return {
        "workload": "a",
        "samples": 600,
        "initial_loss": 0.28,
        "implementations": {
            name: {
                "seconds": s,
                "runs": [s],
                "samples_per_second": 600 / s,
                "loss": loss,
                "losses": [loss],
            }
            for name, s, loss in zip(IMPLEMENTATIONS, seconds, losses, strict=True)
        },
    }


MEMORY = {e: {"samples": 600, "peak_rss_bytes": 100 * 2**20} for e in (1, 3)}


def test_agreeing_losses_pass_and_the_ratios_meet_their_targets():
    record = summarise(WORKLOADS["a"], _timing([0.09, 0.09, 0.09 * (1 + 5e-4), 0.09]), MEMORY)
    assert record["status"] == "ok"
    assert record["ratios"]["chainrule/hand-written"] == {
        "value": 2.0,
        "target": {"op": "<=", "value": 1.45},
        "met": False,
    }
    assert record["ratios"]["pytorch/chainrule"]["value"] == 2.0
    assert record["ratios"]["compiled/hand-written"] == {
        "value": 1.5,
        "target": {"op": "<=", "value": 1.05},
        "met": False,
    }
    assert record["memory"]["ratio"] == 1.0 and record["memory"]["met"] is True


@pytest.mark.parametrize("wrong", [0.0901 * 1.01, math.nan, math.inf])
def test_a_fast_wrong_answer_fails(wrong):
    record = summarise(WORKLOADS["a"], _timing([wrong, 0.0901, 0.0901, 0.0901]), MEMORY)
    assert record["status"] == "FAILED"
    assert record["error"] == "the losses after the epoch disagree"
    assert record["agreement"]["agrees"]["chainrule"] is False


def test_without_pytorch_its_ratio_is_not_judged():
    timing = _timing([0.09, 0.09, 0.09, 0.09])
    timing["implementations"]["pytorch"] = {"skipped": "PyTorch is not importable"}
    record = summarise(WORKLOADS["a"], timing, MEMORY)
    assert record["status"] == "ok"
    assert record["ratios"]["pytorch/chainrule"] == {
        "value": None,
        "target": {"op": ">=", "value": 5},
        "met": None,
    }


def test_targets_read_both_ways():
    assert Target("<=", 1.5).met(1.5) and not Target("<=", 1.5).met(1.6)
    assert Target(">=", 5).met(5.0) and not Target(">=", 5).met(4.9)
    assert str(Target(">=", 1 / 1.5)) == "≥ 0.667"


def test_the_data_and_weights_are_shared_read_only_and_learnable():
    """One fixed seed gives the same arrays every time; PyTorch's initialisation bounds; the
    labels follow the inputs, so training moves the loss well away from its start."""
    workload = WORKLOADS["b"]
    first, second = make_problem(workload, 300), make_problem(workload, 300)
    assert np.array_equal(first.inputs, second.inputs)
    assert first.inputs.dtype == np.float32 and first.targets.dtype == np.int64
    (w1, b1), (w2, _) = first.weights
    assert w1.shape == (50, 784) and b1.shape == (50,) and w2.shape == (10, 50)
    assert np.abs(w1).max() <= 1 / math.sqrt(784) and np.abs(w2).max() <= 1 / math.sqrt(50)
    with pytest.raises(ValueError, match="read-only"):
        w1[0, 0] = 1.0
    assert len(np.unique(first.targets)) > 5
    assert make_problem(WORKLOADS["a"], 300).targets.shape == (300, 10)
    assert make_problem(WORKLOADS["d"], 300).inputs.shape == (300, 1, 28, 28)


def test_hand_written_gradients_match_central_differences():
    """Seed 004's check on the hand-written reference itself, in float64: one step of SGD
    with learning rate 1 changes each weight by minus its gradient."""
    for key in "abcde":
        workload = replace(WORKLOADS[key], lr=1.0)
        problem = make_problem(workload, workload.batch)
        params = [a.astype(np.float64) for a in reference.build(workload, problem)]
        x = problem.inputs.astype(np.float64)
        t = problem.targets if workload.loss == "ce" else problem.targets.astype(np.float64)
        stepped = [p.copy() for p in params]
        reference.train_epoch(workload, stepped, (x, t))
        rng = np.random.default_rng(0)
        for i, p in enumerate(params):
            index = tuple(rng.integers(s) for s in p.shape)
            grad = p[index] - stepped[i][index]
            shifted = [q.copy() for q in params]
            shifted[i][index] += 1e-6
            up = reference.evaluation_loss(workload, shifted, x, t)
            shifted[i][index] -= 2e-6
            down = reference.evaluation_loss(workload, shifted, x, t)
            assert grad == pytest.approx((up - down) / 2e-6, rel=1e-4, abs=1e-9), (key, i)


def test_a_crashed_measuring_process_fails_the_run_and_the_table_says_so():
    crashed = summarise(WORKLOADS["c"], {"error": "the measuring process failed: boom"}, MEMORY)
    ok = summarise(WORKLOADS["a"], _timing([0.09, 0.09, 0.09, 0.09]), MEMORY)
    assert crashed["status"] == "FAILED" and crashed["error"].endswith("boom")
    machine = {
        "platform": "test",
        "python": "3",
        "numpy": "2",
        "cpu_count": 2,
        "blas_threads_environment": {"OMP_NUM_THREADS": "1"},
        "load_average_before": [0.5, 0.5, 0.5],
        "load_average_after": [1.0, 1.0, 1.0],
        "torch": None,
    }
    report = {
        "device": "cpu",
        "quick": False,
        "repeats": 5,
        "torch_threads_requested": None,
        "machine": machine,
        "workloads": [ok, crashed],
        "passed": False,
        "seconds": 1.0,
    }
    with contextlib.redirect_stdout(io.StringIO()) as out:
        print_report(report)
    text = out.getvalue()
    assert "FAILED (c): the measuring process failed: boom" in text
    assert "OMP_NUM_THREADS=1" in text and "PyTorch not importable" in text
    assert "4 (1 run)" in text  # PyTorch's one run of five, next to its median


def test_the_eager_floor_tape_trains_as_the_hand_written_loop_does():
    # benchmarks/eager_floor.py checks after every epoch that its weights agree with the
    # hand-written loop's; a tape that trained something else would stop it here.
    done = subprocess.run(
        [sys.executable, BENCHMARKS / "eager_floor.py", "--workloads", "e,b", "--rounds", "1"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("of hand-written") == 4
