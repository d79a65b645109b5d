"""The ``chainrule`` command, end to end: train, eval, predict, checkpoints, bad input."""

import json
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule.app.main import main

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def run_cli(*args, cwd=None, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "chainrule", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        **kwargs,
    )


def assert_user_error(result, *fragments):
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 or lines[0].startswith("usage:"), result.stderr
    for fragment in fragments:
        assert fragment in result.stderr


def test_version_flag_prints_the_version(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"chainrule {cr.__version__}"


def test_no_arguments_prints_help_and_succeeds(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "usage: chainrule" in out and "train" in out


def test_console_script_is_installed():
    script = shutil.which("chainrule")
    assert script is not None
    result = subprocess.run([script, "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and cr.__version__ in result.stdout


def test_train_with_no_arguments_reaches_95_percent_on_the_digits(capsys):
    assert main(["train"]) == 0
    out = capsys.readouterr().out
    assert "Training 64-64-10 (relu, ce loss) on digits: 1,437 training / 360 test" in out
    assert len(re.findall(r"^ ?\d+/20 ", out, re.MULTILINE)) == 20
    final = float(out.strip().splitlines()[-1].removeprefix("Final test accuracy: ")[:-1])
    assert final >= 95.0


def test_train_two_epochs_end_to_end_in_a_subprocess(tmp_path):
    result = run_cli("train", "--epochs", "2", "--save", "model.safetensors", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "\nepoch  " in result.stdout
    assert "\n1/2  " in result.stdout and "\n2/2  " in result.stdout
    assert "Final test accuracy:" in result.stdout
    assert result.stderr == ""  # no progress bars when stderr is not a terminal
    state = cr.load_checkpoint(tmp_path / "model.safetensors")
    assert state["epoch"] == 2 and list(state["model"]) == [
        "0.weight",
        "0.bias",
        "2.weight",
        "2.bias",
    ]


def test_json_output_is_one_object_per_line(capsys):
    assert main(["train", "--epochs", "3", "--json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["epoch"] for r in records[:3]] == [1, 2, 3]
    assert set(records[0]) == {"epoch", "loss", "accuracy", "test_loss", "test_accuracy", "seconds"}
    assert records[-1]["final_test_accuracy"] == records[2]["test_accuracy"]


def test_quiet_prints_only_the_final_accuracy(capsys):
    assert main(["train", "--epochs", "1", "--quiet"]) == 0
    assert capsys.readouterr().out.startswith("Final test accuracy: ")


def test_xor_with_bce_and_one_output(capsys):
    args = ["train", "--data", "xor", "--layers", "2,4,1", "--activation", "tanh", "--loss", "bce"]
    assert main([*args, "--optimizer", "adam", "--lr", "0.05", "--epochs", "300", "--quiet"]) == 0
    assert capsys.readouterr().out.strip() == "Final test accuracy: 100.0%"


def test_seed_001_network_with_mse_and_sgd_on_the_digits(capsys):
    args = ["train", "--layers", "64,30,10", "--activation", "sigmoid", "--loss", "mse"]
    args += ["--optimizer", "sgd", "--lr", "3.0", "--batch-size", "10", "--epochs", "10"]
    assert main([*args, "--quiet"]) == 0
    accuracy = float(capsys.readouterr().out.split(":")[1].strip()[:-1])
    assert accuracy > 90.0


def test_save_eval_predict_and_plot(tmp_path, capsys):
    model = tmp_path / "digits.safetensors"
    plot = tmp_path / "curves.png"
    assert main(["train", "--epochs", "5", "--save", str(model), "--plot", str(plot)]) == 0
    final = capsys.readouterr().out.strip().splitlines()
    assert plot.read_bytes().startswith(b"\x89PNG")
    assert main(["eval", str(model), "--json"]) == 0
    evaluated = json.loads(capsys.readouterr().out)
    assert evaluated["samples"] == 360
    assert f"{evaluated['accuracy']:.1%}" in "\n".join(final)
    sample = cr.data.digits(train=False)[0]
    row = tmp_path / "row.csv"
    row.write_text(",".join(str(int(v)) for v in np.round(sample[0].numpy() * 255)))
    assert main(["predict", str(model), str(row), "--json"]) == 0
    prediction = json.loads(capsys.readouterr().out)
    assert 0 <= prediction["prediction"] <= 9 and len(prediction["scores"]) == 10


def test_predict_reads_a_png_image(tmp_path, capsys):
    model = tmp_path / "m.safetensors"
    assert main(["train", "--epochs", "20", "--save", str(model), "--quiet"]) == 0
    capsys.readouterr()
    images, labels = (t.numpy() for t in cr.data.digits(train=False).tensors)
    correct = 0
    for k in range(10):
        image = tmp_path / f"digit{k}.png"
        _write_png(image, 255 - np.kron(images[k].reshape(8, 8), np.ones((4, 4))) * 255)
        assert main(["predict", str(model), str(image), "--json"]) == 0
        correct += json.loads(capsys.readouterr().out)["prediction"] == labels[k]
    assert correct >= 8


def _write_png(path, grey):
    """An 8-bit greyscale PNG, written with the standard library (Sub filter on every row)."""
    import struct
    import zlib

    pixels = np.clip(np.round(grey), 0, 255).astype(np.uint8)
    rows = b"".join(
        b"\x01" + np.diff(row.astype(np.int16), prepend=0).astype(np.uint8).tobytes()
        for row in pixels
    )

    def chunk(kind, body):
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", pixels.shape[1], pixels.shape[0], 8, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_csv_data_from_the_shared_samples(tmp_path):
    train_csv = SHARED / "mnist-csv" / "mnist_train_100.csv"
    test_csv = SHARED / "mnist-csv" / "mnist_test_10.csv"
    if not train_csv.exists():
        pytest.skip("../shared/data is not beside this checkout")
    result = run_cli(
        "train",
        "--data",
        f"csv:{train_csv},{test_csv}",
        "--layers",
        "784,30,10",
        "--epochs",
        "3",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1])["epochs"] == 3


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["train", "--layers", "784,30,10"], ["--layers starts with 784", "64 features"]),
        (["train", "--layers", "64,30,3"], ["ends with 3 outputs", "10 classes"]),
        (["train", "--layers", "64,a,10"], ["not a comma-separated list"]),
        (["train", "--activation", "swish"], ["invalid choice: 'swish'"]),
        (["train", "--data", "imagenet"], ["unknown --data 'imagenet'"]),
        (["train", "--data", "mnist:/no/such/folder"], ["/no/such/folder"]),
        (["train", "--data", "csv:/no/such.csv"], ["/no/such.csv"]),
        (["train", "--lr", "-1"], ["argument --lr: must be a positive number"]),
        (["train", "--batch-size", "0"], ["argument --batch-size: must be a whole number of 1"]),
        (["train", "--seed", "-1"], ["argument --seed: must be a whole number of 0 or more"]),
        (["train", "--resume", "/no/such/checkpoint"], ["/no/such/checkpoint"]),
        (["eval", "/no/such/model.safetensors"], ["/no/such/model.safetensors"]),
        (["predict", "README.md", "README.md"], ["README.md"]),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(args, fragments):
    assert_user_error(run_cli(*args, cwd=Path(__file__).parents[1]), *fragments)


def test_a_file_that_is_not_a_checkpoint_is_a_user_error(tmp_path):
    not_a_model = tmp_path / "weights.safetensors"
    cr.save({"w": cr.ones(2)}, not_a_model)
    assert_user_error(run_cli("eval", str(not_a_model)), str(not_a_model))


def test_predict_input_that_does_not_fit_the_model(tmp_path):
    model = tmp_path / "m.safetensors"
    assert run_cli("train", "--epochs", "1", "--save", str(model)).returncode == 0
    row = tmp_path / "short.csv"
    row.write_text("1,2,3\n")
    assert_user_error(run_cli("predict", str(model), str(row)), "has 3 values", "takes 64")


def _final_weights(path):
    return {k: v.numpy() for k, v in cr.load_checkpoint(path)["model"].items()}


def test_sigkill_then_resume_ends_with_the_same_weights_as_an_uninterrupted_run(tmp_path):
    args = ["train", "--epochs", "6", "--batch-size", "2", "--optimizer", "momentum", "--quiet"]
    straight = tmp_path / "straight.safetensors"
    assert run_cli(*args, "--save", str(straight)).returncode == 0

    killed = tmp_path / "killed.safetensors"
    process = subprocess.Popen(
        [sys.executable, "-m", "chainrule", *args, "--save", str(killed)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not killed.exists() and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(np.random.default_rng().uniform(0.0, 0.15))  # somewhere in epoch 2 or 3
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "training finished before it could be killed"
    survivor = cr.load_checkpoint(killed)  # a complete, loadable file
    assert 1 <= survivor["epoch"] < 6

    resumed = run_cli("train", "--resume", str(killed), "--epochs", "6", "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    expected, actual = _final_weights(straight), _final_weights(killed)
    for name in expected:
        np.testing.assert_array_equal(actual[name], expected[name])


def test_ctrl_c_stops_after_the_batch_and_saves_a_checkpoint(tmp_path):
    checkpoint = tmp_path / "run.safetensors"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "chainrule",
            "train",
            "--epochs",
            "50",
            "--batch-size",
            "1",
            "--save",
            str(checkpoint),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not checkpoint.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "Traceback" not in err and "checkpoint saved to" in err
    assert cr.load_checkpoint(checkpoint)["epoch"] >= 1
