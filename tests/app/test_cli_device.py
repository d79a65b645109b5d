"""``--device`` on the command line: ``chainrule train``, ``eval`` and ``predict`` on a GPU,
and ``python benchmarks/run.py --device cuda``. The GPU is ``fake_cupy`` (NumPy's arithmetic, so
a GPU run must give the CPU's numbers); without CuPy, asking for it is one line, exit 2."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict

import numpy as np
import pytest

import chainrule as cr
import fake_cupy
from chainrule import _backend
from chainrule.app.commands import train as train_command
from chainrule.app.main import main
from chainrule.app.run import Settings, start, train_epochs
from conftest import TESTS
from helpers import one_line_error
from speed import suite
from speed.report import print_report
from speed.suite import summarise
from speed.workloads import GPU_WORKLOADS

INSTALL = 'pip install "chainrule[cuda]"'
needs_gpu = pytest.mark.skipif(
    not cr.cuda.is_available(), reason="no CUDA GPU: CuPy is not installed or finds no device"
)


def _metrics(out: str) -> list[dict]:
    """The JSON lines of ``train --json``, less the seconds each epoch took."""
    lines = [json.loads(line) for line in out.splitlines()]
    return [{k: v for k, v in line.items() if k != "seconds"} for line in lines]


def _train(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict]:
    assert main(["train", "--json", *args]) == 0
    return _metrics(capsys.readouterr().out)


@pytest.fixture
def on_the_gpu(fake_gpu: None, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The device each ``chainrule train`` run's model lives on, and its parameters' array type."""
    seen: list[str] = []

    def spy(run, *args, **kwargs):
        kinds = {type(p.data) for p in run.model.parameters()}
        seen.append(f"{run.device} {' '.join(sorted(k.__module__ for k in kinds))}")
        return train_epochs(run, *args, **kwargs)

    monkeypatch.setattr(train_command, "train_epochs", spy)
    return seen


# ------------------------------------------------------------------------------ train


def test_training_on_the_gpu_gives_the_cpu_numbers_seed_3(capsys, on_the_gpu):
    """Seed 3: the same initial weights, shuffles and losses on both devices."""
    common = ["--data", "digits", "--epochs", "2", "--seed", "3"]
    on_cpu = _train(capsys, *common)
    on_gpu = _train(capsys, *common, "--device", "cuda")
    assert on_the_gpu == ["cpu numpy", "cuda:0 fake_cupy"]
    assert len(on_gpu) == 3 and on_gpu[-1]["final_test_accuracy"] > 0.5
    for gpu, cpu in zip(on_gpu, on_cpu, strict=True):
        assert gpu == pytest.approx(cpu, rel=1e-6)


@needs_gpu
def test_training_on_a_real_gpu_gives_the_cpu_numbers_to_float32_rounding_seed_3(capsys):
    """Seed 3 on CuPy: other matrix kernels, so the numbers agree only as far as rounding
    lets them (a test sample or two may change class)."""
    common = ["--data", "digits", "--epochs", "2", "--seed", "3"]
    on_cpu = _train(capsys, *common)
    on_gpu = _train(capsys, *common, "--device", "cuda")
    for gpu, cpu in zip(on_gpu, on_cpu, strict=True):
        for key, value in cpu.items():
            close = {"abs": 0.01} if "accuracy" in key else {"rel": 1e-3}
            assert gpu[key] == pytest.approx(value, **close), key


@pytest.mark.parametrize("loss", ["mse", "bce"])
def test_mse_and_bce_build_their_targets_on_the_gpu(capsys, on_the_gpu, loss):
    common = ["--data", "xor", "--loss", loss, "--layers", "2,8,2", "--epochs", "3"]
    on_gpu = _train(capsys, *common, "--device", "cuda")
    on_cpu = _train(capsys, *common)
    assert len(on_gpu) == len(on_cpu)
    for gpu, cpu in zip(on_gpu, on_cpu, strict=True):
        assert gpu == pytest.approx(cpu, rel=1e-6)


def test_the_device_is_named_when_it_is_not_the_cpu(capsys, fake_gpu):
    assert main(["train", "--data", "xor", "--epochs", "1", "--device", "CUDA"]) == 0
    assert "seed 0, on cuda:0\n" in capsys.readouterr().out


def test_a_gpu_checkpoint_holds_cpu_arrays_and_resumes_on_either_device(
    capsys, tmp_path, on_the_gpu
):
    """Seed 7: two epochs with a stop after the first give the numbers of two in one go,
    whether the second runs on the GPU (the checkpoint's device) or on the CPU."""
    common = ["--data", "digits", "--optimizer", "momentum", "--seed", "7"]
    straight = _train(capsys, *common, "--epochs", "2")
    path = tmp_path / "gpu.safetensors"
    _train(capsys, *common, "--epochs", "1", "--device", "cuda", "--save", str(path))
    stored = cr.load_checkpoint(path)
    assert stored["settings"]["device"] == "cuda"  # each rank's own GPU, under mpirun
    arrays = [t.data for t in stored["model"].values()]
    assert arrays and all(type(a) is np.ndarray for a in arrays)
    for device, resumed in (("cuda", tmp_path / "on-gpu"), ("cpu", tmp_path / "on-cpu")):
        resumed.write_bytes(path.read_bytes())
        extra = [] if device == "cuda" else ["--device", "cpu"]
        second = _train(capsys, "--resume", str(resumed), "--epochs", "2", *extra)
        assert second[0] == pytest.approx(straight[1], rel=1e-6)
        assert cr.load_checkpoint(resumed)["settings"]["device"] == device
    assert on_the_gpu == ["cpu numpy", "cuda:0 fake_cupy", "cuda:0 fake_cupy", "cpu numpy"]


def test_a_checkpoint_from_before_devices_resumes_on_the_cpu(capsys, tmp_path):
    run = start(Settings(data="xor", epochs=1))
    train_epochs(run)
    settings = {**asdict(run.settings), "layers": list(run.settings.layers)}
    del settings["device"]
    path = tmp_path / "old.safetensors"
    cr.save_checkpoint(
        path,
        model=run.model,
        optimizer=run.optimizer,
        epoch=1,
        settings=settings,
        history=[asdict(m) for m in run.history],
    )
    assert [m["epoch"] for m in _train(capsys, "--resume", str(path), "--epochs", "2")[:-1]] == [2]
    assert cr.load_checkpoint(path)["settings"]["device"] == "cpu"


def test_eval_and_predict_on_the_gpu_agree_with_the_cpu(capsys, tmp_path, fake_gpu):
    path = tmp_path / "xor.safetensors"
    _train(capsys, "--data", "xor", "--epochs", "2", "--save", str(path))
    row = tmp_path / "row.csv"
    row.write_text("1,0\n")
    for command in (["eval", str(path)], ["predict", str(path), str(row)]):
        assert main([*command, "--json"]) == 0
        on_cpu = json.loads(capsys.readouterr().out)
        assert main([*command, "--json", "--device", "cuda"]) == 0
        on_gpu = json.loads(capsys.readouterr().out)
        assert on_gpu.keys() == on_cpu.keys()
        for key, value in on_cpu.items():
            assert on_gpu[key] == pytest.approx(value, rel=1e-6), key


# ------------------------------------------------------------------------------ without a GPU


def test_train_on_cuda_without_cupy_is_one_line_saying_how_to_install_it(capsys, no_cupy):
    err = one_line_error(capsys, "train", "--data", "xor", "--device", "cuda")
    assert err.startswith("chainrule train: error: device 'cuda' needs CuPy")
    assert INSTALL in err


def test_a_gpu_checkpoint_without_cupy_says_how_to_resume_on_the_cpu(capsys, tmp_path, monkeypatch):
    path = tmp_path / "gpu.safetensors"
    monkeypatch.setitem(sys.modules, "cupy", fake_cupy)
    monkeypatch.setattr(_backend, "_cupy", None)
    _train(capsys, "--data", "xor", "--epochs", "1", "--device", "cuda", "--save", str(path))
    monkeypatch.setitem(sys.modules, "cupy", None)  # as the no_cupy fixture does
    monkeypatch.setattr(_backend, "_cupy", None)
    err = one_line_error(capsys, "train", "--resume", str(path), "--epochs", "2")
    assert INSTALL in err
    assert err.endswith(f"{path} trained on cuda: add --device cpu to resume on the CPU")
    assert _train(capsys, "--resume", str(path), "--epochs", "2", "--device", "cpu")


def test_eval_on_cuda_without_cupy_is_one_line(capsys, tmp_path, no_cupy):
    path = str(tmp_path / "xor.safetensors")
    _train(capsys, "--data", "xor", "--epochs", "1", "--save", path)
    assert INSTALL in one_line_error(capsys, "eval", path, "--device", "cuda")


def test_a_misspelt_device_is_one_line(capsys):
    err = one_line_error(capsys, "train", "--data", "xor", "--device", "gpu")
    assert err == "chainrule train: error: unknown --device 'gpu'; use cpu, cuda or cuda:N"


# ------------------------------------------------------------------------------ benchmarks/run.py


@pytest.fixture
def fake_gpu_for_subprocesses(fake_gpu, tmp_path, monkeypatch) -> None:
    """The fake GPU in this process and in the measuring processes the suite starts: a
    ``cupy`` on their path that is ``fake_cupy``."""
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "cupy.py").write_text("import sys\nimport fake_cupy\nsys.modules['cupy'] = fake_cupy\n")
    monkeypatch.setenv("PYTHONPATH", f"{shim}:{TESTS}")


def test_the_speed_suite_on_the_gpu_times_c_and_f_against_the_cpu_reference(
    capsys, tmp_path, fake_gpu_for_subprocesses
):
    path = tmp_path / "gpu.json"
    argv = ["--device", "cuda", "--quick", "--samples", "200", "--json", str(path)]
    assert suite.main(argv) == 0
    out = capsys.readouterr().out
    report = json.loads(path.read_text())
    assert report["device"] == "cuda:0" and report["passed"] is True
    assert report["machine"]["gpu"]["name"] == "CuPy stand-in"
    assert [r["workload"] for r in report["workloads"]] == ["c", "f"]
    for record in report["workloads"]:
        results = record["implementations"]
        assert record["status"] == "ok" and record["agreement"]["agrees"]["chainrule"] is True
        assert results["chainrule"]["samples_per_second"] > 0
        assert results["hand-written"]["untimed"] == "CPU"
        assert any(why in results["pytorch"]["skipped"] for why in ("CUDA", "not importable"))
        assert record["ratios"]["pytorch/chainrule"]["value"] is None
        assert record["memory"] == {"skipped": "on the CPU only"}
    assert "chainrule speed on cuda:0 (CuPy stand-in)" in out and "untimed, on the CPU" in out
    assert "GPU cuda:0: CuPy stand-in, 16 GiB, compute capability 9.0, CuPy stand-in" in out


@needs_gpu
def test_the_speed_suite_on_a_real_gpu_reaches_the_reference_loss(capsys, tmp_path):
    path = tmp_path / "gpu.json"
    argv = ["--device", "cuda", "--quick", "--samples", "256", "--json", str(path)]
    assert suite.main(argv) == 0, capsys.readouterr().out
    report = json.loads(path.read_text())
    assert report["machine"]["gpu"]["name"]
    assert all(record["status"] == "ok" for record in report["workloads"])


def test_the_gpu_table_reads_pytorchs_ratio_as_samples_per_second(capsys):
    """With PyTorch on the GPU too (made up: 4 s to chainrule's 5 s), its ratio is 0.8."""
    timing = {
        "workload": "f",
        "samples": 2048,
        "initial_loss": 2.3,
        "implementations": {
            "chainrule": {
                "seconds": 5.0,
                "runs": [5.0],
                "samples_per_second": 409.6,
                "loss": 2.2,
                "losses": [2.2],
            },
            "hand-written": {"untimed": "CPU", "loss": 2.2, "losses": [2.2]},
            "pytorch": {
                "seconds": 4.0,
                "runs": [4.0],
                "samples_per_second": 512.0,
                "loss": 2.2,
                "losses": [2.2],
            },
        },
    }
    record = summarise(GPU_WORKLOADS["f"], timing, None)
    assert record["ratios"]["pytorch/chainrule"] == {
        "value": 0.8,
        "target": {"op": ">=", "value": 0.95},
        "met": False,
    }
    assert record["ratios"]["chainrule/hand-written"]["value"] is None
    report = {
        "device": "cuda:0",
        "quick": False,
        "repeats": 1,
        "machine": {
            "torch": "2.5.0",
            "torch_cuda": "12.4",
            "cpu_count": 16,
            "platform": "p",
            "python": "3",
            "numpy": "2",
        },
        "workloads": [record],
        "seconds": 9.0,
    }
    print_report(report)
    out = capsys.readouterr().out
    assert "chainrule/PyTorch samples/s 0.80" in out and "≥ 0.95" in out
    assert "PyTorch 2.5.0 (CUDA 12.4)" in out


def _speed_suite_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """The stderr of ``python benchmarks/run.py ARGV``, which must fail as a user error: one
    line, exit code 2."""
    with pytest.raises(SystemExit) as exited:
        suite.main(argv)
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    return captured.err


def test_the_speed_suite_on_cuda_without_cupy_is_one_line(capsys, no_cupy):
    err = _speed_suite_error(capsys, ["--device", "cuda"])
    assert err.startswith("benchmarks/run.py: error: device 'cuda' needs CuPy") and INSTALL in err


def test_workload_f_is_in_the_gpu_suite_only(capsys):
    err = _speed_suite_error(capsys, ["--workloads", "c,f"])
    assert err == (
        "benchmarks/run.py: error: the CPU suite has workloads a,b,c,d,e, not f; "
        "add --device cuda for the GPU suite\n"
    )
