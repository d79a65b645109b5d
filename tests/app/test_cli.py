"""The ``chainrule`` command, end to end: train, eval, predict, checkpoints, bad input."""

import itertools
import json
import re
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import chainrule as cr
from chainrule.app.main import main
from conftest import REPO_ROOT, SHARED_DATA
from helpers import chainrule_command, chainrule_environment, run_cli


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


# ----------------------------------------------------- predict on MNIST: digits as MNIST made them
MNIST = SHARED_DATA / "mnist"
needs_mnist = pytest.mark.skipif(
    not (MNIST / "t10k-images-idx3-ubyte.gz").exists(),
    reason="../shared/data/mnist is not beside this checkout",
)

# Each digit as pen strokes, in a unit box (x to the right, y down), as one might draw it.
_STROKES = {
    0: [(0.5 + 0.32 * np.sin(t), 0.5 - 0.45 * np.cos(t)) for t in np.linspace(0, 2 * np.pi, 40)],
    1: [(0.35, 0.2), (0.55, 0.05), (0.55, 0.95)],
    2: [
        (0.2, 0.25),
        (0.35, 0.08),
        (0.65, 0.08),
        (0.8, 0.28),
        (0.7, 0.5),
        (0.15, 0.95),
        (0.88, 0.95),
    ],
    4: [(0.6, 0.95), (0.6, 0.05), (0.1, 0.65), (0.85, 0.65)],
    7: [(0.15, 0.08), (0.85, 0.08), (0.4, 0.95)],
}


def _drawn(stroke, top=20, left=20, size=110, pen=10.0):
    """A digit drawn as in a paint program: a black pen ``pen`` pixels wide (its edge
    anti-aliased) along ``stroke``, scaled to ``size`` pixels high, on a white 200x150
    canvas, well away from its centre. Grey values 0-255."""
    rows, cols = np.mgrid[0:150, 0:200].astype(float)
    canvas = np.full(rows.shape, 255.0)
    points = [(left + x * size * 0.8, top + y * size) for x, y in stroke]
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        dx, dy = x1 - x0, y1 - y0
        along = np.clip(((cols - x0) * dx + (rows - y0) * dy) / (dx * dx + dy * dy), 0, 1)
        distance = np.hypot(cols - x0 - along * dx, rows - y0 - along * dy)
        canvas = np.minimum(canvas, np.clip(distance - pen / 2, 0, 1) * 255)
    return canvas


@pytest.fixture(scope="module")
def mnist_model(tmp_path_factory):
    """A 784-64-10 model trained for three epochs on the real MNIST images in ../shared/data
    (the first 8,000 test images, as the command does when the training files are absent)."""
    model = tmp_path_factory.mktemp("mnist") / "mnist.safetensors"
    args = ["train", "--data", f"mnist:{MNIST}", "--epochs", "3", "--save", str(model), "--quiet"]
    assert main(args) == 0
    return model


@needs_mnist
@pytest.mark.parametrize("digit", sorted(_STROKES))
def test_predict_reads_a_digit_drawn_in_a_paint_program(digit, mnist_model, tmp_path, capsys):
    image = tmp_path / f"drawn{digit}.png"
    _write_png(image, _drawn(_STROKES[digit]))
    capsys.readouterr()
    assert main(["predict", str(mnist_model), str(image), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["prediction"] == digit


@needs_mnist
def test_predict_on_mnist_says_in_one_line_that_a_blank_image_has_no_digit(mnist_model, tmp_path):
    image = tmp_path / "blank.png"
    _write_png(image, np.full((150, 200), 250.0))
    assert_user_error(run_cli("predict", str(mnist_model), str(image)), "blank.png", "blank")


def _box_and_centre(prepared):
    image = prepared.reshape(28, 28)
    rows = np.flatnonzero(image.any(axis=1))
    cols = np.flatnonzero(image.any(axis=0))
    mass = image.sum()
    centre = (
        (image.sum(axis=1) * np.arange(28)).sum() / mass,
        (image.sum(axis=0) * np.arange(28)).sum() / mass,
    )
    return (rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1), centre


@pytest.mark.parametrize("digit", sorted(_STROKES))
def test_mnist_preparation_fits_the_digit_in_20_pixels_centred_by_its_mass(digit):
    from chainrule.app.sample_input import prepare_like_mnist

    drawn = _drawn(_STROKES[digit], top=5, left=100, size=140) / 255
    prepared = prepare_like_mnist(drawn)
    assert prepared.shape == (784,) and prepared.dtype == np.float32
    assert prepared.min() == 0 and prepared.max() == 1  # white on black, in [0, 1]
    (height, width), (row, col) = _box_and_centre(prepared)
    assert max(height, width) == 20  # the longer side of the bounding box
    # the aspect ratio kept: the drawing's ink is 140 high and 0.8 as wide at most
    ink = drawn < 0.5
    ink_height = np.ptp(np.flatnonzero(ink.any(axis=1))) + 1
    ink_width = np.ptp(np.flatnonzero(ink.any(axis=0))) + 1
    assert abs(width / height - ink_width / ink_height) < 0.1
    # MNIST's centres of mass lie on pixel (14, 14), to the half pixel a whole-pixel shift
    # leaves (mean 13.99 and 14.01 over the real test set), float32 rounding aside
    assert abs(row - 14) <= 0.5 + 1e-6 and abs(col - 14) <= 0.5 + 1e-6


def test_mnist_preparation_reads_light_on_dark_and_dark_on_light_alike():
    from chainrule.app.sample_input import prepare_like_mnist

    drawn = _drawn(_STROKES[7]) / 255
    np.testing.assert_array_equal(prepare_like_mnist(drawn), prepare_like_mnist(1 - drawn))
    # on grey paper with grey ink the paper still becomes 0 and the ink 1
    np.testing.assert_allclose(prepare_like_mnist(0.3 + 0.4 * drawn), prepare_like_mnist(drawn))


def test_mnist_preparation_scales_a_bar_by_area_keeping_its_shape():
    from chainrule.app.sample_input import prepare_like_mnist

    paper = np.ones((90, 120))
    paper[10:70, 30:45] = 0  # a bar 60 high and 15 wide: 20 by 5 after scaling
    image = prepare_like_mnist(paper).reshape(28, 28)
    ink = np.argwhere(image > 0)
    assert (ink.min(axis=0) == [4, 12]).all() and (ink.max(axis=0) == [23, 16]).all()
    assert (image[4:24, 12:17] == 1).all() and image.sum() == 100


@needs_mnist
def test_mnist_preparation_remakes_mnist_digits_from_large_copies_off_centre():
    from chainrule.app.sample_input import fit_image, prepare_like_mnist

    images = cr.data.mnist(MNIST, train=False).tensors[0].numpy()[-20:].reshape(-1, 28, 28)
    remade, resized = [], []
    for image in images:
        paper = np.ones((300, 260))
        paper[30:170, 90:230] = 1 - np.kron(image, np.ones((5, 5)))  # black on white, x5
        remade.append(np.corrcoef(prepare_like_mnist(paper), image.ravel())[0, 1])
        resized.append(np.corrcoef(fit_image(paper, 784), image.ravel())[0, 1])
    assert np.mean(remade) > 0.9 and np.mean(resized) < 0.5


def test_only_models_trained_on_mnist_digits_get_the_mnist_preparation():
    from chainrule.app.sample_input import trained_like_mnist

    assert trained_like_mnist("mnist:/data", 784)
    assert trained_like_mnist("csv:mnist_train.csv,mnist_test.csv", 784)  # MNIST as CSV
    assert not trained_like_mnist("fashion-mnist:/data", 784)  # pictures made otherwise
    assert not trained_like_mnist("digits", 64)  # the 8x8 digits keep their own resizing
    assert not trained_like_mnist("csv:other.csv", 16)


def test_csv_data_from_the_shared_samples(tmp_path):
    train_csv = SHARED_DATA / "mnist-csv" / "mnist_train_100.csv"
    test_csv = SHARED_DATA / "mnist-csv" / "mnist_test_10.csv"
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
    assert_user_error(run_cli(*args, cwd=REPO_ROOT), *fragments)


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
        chainrule_command(*args, "--save", str(killed)),
        env=chainrule_environment(),
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
