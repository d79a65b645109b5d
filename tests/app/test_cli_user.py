"""What a user of the ``chainrule`` command meets, end to end: output piped into ``head``,
MNIST folders without their files, bad numbers in any option, and epoch lines in 80
columns."""

import subprocess
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule.app.commands import train as train_command
from chainrule.app.main import main
from chainrule.app.run import EpochMetrics
from chainrule.data import mnist_datasets
from helpers import chainrule_command, chainrule_environment, run_cli

# ------------------------------------------------------------------------------ a closed pipe


@pytest.fixture(scope="module")
def xor_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("xor")
    model = folder / "model.safetensors"
    assert main(["train", "--data", "xor", "--epochs", "1", "--quiet", "--save", str(model)]) == 0
    (folder / "sample.csv").write_text("0,1\n")
    return folder


@pytest.mark.parametrize(
    ("argv", "lines_read"),
    [
        # 1,500 epoch lines, about 100 kB, more than a pipe holds: `chainrule train | head -1`
        (["train", "--data", "xor", "--epochs", "1500"], 1),
        (["train", "--data", "xor", "--epochs", "1500", "--json"], 1),
        # Short output, written at exit: the reader is gone before it comes (`| head -0`).
        (["predict", "{model}/model.safetensors", "{model}/sample.csv"], 0),
        (["explain"], 0),
        (["explain", "--format", "html"], 0),
        (["explain", "xor"], 0),
        (["gradcheck"], 0),
    ],
    ids=["train", "train-json", "predict", "explain", "explain-html", "explain-xor", "gradcheck"],
)
def test_output_cut_short_by_its_reader_ends_quietly(argv, lines_read, xor_model):
    argv = [arg.format(model=xor_model) for arg in argv]
    process = subprocess.Popen(
        chainrule_command(*argv),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=chainrule_environment(),
    )
    for _ in range(lines_read):
        assert process.stdout.readline()
    process.stdout.close()
    with process.stderr:
        stderr = process.stderr.read().decode()
    code = process.wait(timeout=120)
    for noise in ("Broken pipe", "BrokenPipeError", "Traceback", "Exception ignored"):
        assert noise not in stderr, stderr
    assert stderr == ""
    assert code == 141  # 128 + SIGPIPE, as the shell reports `yes | head`


# ------------------------------------------------------------------------------ --download


def _write_mnist_files(folder: Path, images: int = 40) -> None:
    """The four MNIST files in their IDX format, gzipped, with random pixels and labels."""
    rng = np.random.default_rng(0)
    for part in ("train", "t10k"):
        cr.data.write_idx(
            folder / f"{part}-images-idx3-ubyte.gz",
            rng.integers(0, 256, (images, 28, 28), dtype=np.uint8),
        )
        cr.data.write_idx(
            folder / f"{part}-labels-idx1-ubyte.gz",
            rng.integers(0, 10, images, dtype=np.uint8),
        )


@pytest.mark.parametrize("kind", ["mnist", "fashion-mnist"])
def test_missing_mnist_files_say_what_to_do_on_the_command_line(kind, tmp_path, capsys):
    assert main(["train", "--data", f"{kind}:{tmp_path}"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert err.startswith("chainrule train: error: ")
    assert "add --download to fetch them" in err
    assert f"in {tmp_path.resolve()}," in err
    assert "t10k-images-idx3-ubyte(.gz) and t10k-labels-idx1-ubyte(.gz)" in err
    assert "download=True" not in err


def test_the_library_still_speaks_to_python_users(tmp_path):
    with pytest.raises(cr.data.DatasetError, match=r"pass download=True to fetch them"):
        cr.data.mnist(tmp_path)


def test_download_reaches_the_library_download_and_then_trains_and_evaluates(
    tmp_path, monkeypatch, capsys
):
    fetched = []
    published = tmp_path / "published"
    published.mkdir()
    _write_mnist_files(published)

    def fake_fetch(urls, path, md5):
        fetched.append((urls[0].rsplit("/", 1)[1], Path(path).parent.name, md5))
        Path(path).write_bytes((published / Path(path).name).read_bytes())

    monkeypatch.setattr(mnist_datasets, "fetch", fake_fetch)
    model = tmp_path / "model.safetensors"
    folder = tmp_path / "mnist"
    argv = ["train", "--data", f"mnist:{folder}", "--download", "--epochs", "1", "--quiet"]
    assert main([*argv, "--save", str(model)]) == 0
    assert sorted(name for name, _, _ in fetched) == sorted(
        f"{name}.gz" for name in mnist_datasets._MNIST.md5
    )
    assert {where for _, where, _ in fetched} == {"mnist"}
    assert all(md5 == mnist_datasets._MNIST.md5[name[:-3]] for name, _, md5 in fetched)
    assert capsys.readouterr().out.startswith("Final test accuracy: ")

    fetched.clear()
    clothes = tmp_path / "clothes"
    assert main(["eval", str(model), "--data", f"fashion-mnist:{clothes}", "--download"]) == 0
    assert len(fetched) == 4 and {where for _, where, _ in fetched} == {"clothes"}
    assert capsys.readouterr().out.startswith("fashion-mnist: test loss ")

    fetched.clear()  # the files are there now: nothing more is fetched
    assert main(["eval", str(model), "--data", f"fashion-mnist:{clothes}", "--download"]) == 0
    assert fetched == []


def test_download_of_data_that_is_not_downloaded_is_an_error(capsys):
    assert main(["train", "--data", "xor", "--download"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "chainrule train: error: --download fetches mnist:DIR and fashion-mnist:DIR, "
        "not --data xor; leave it out\n"
    )


# ------------------------------------------------------------------------------ numeric options

COUNT = ["0", "-1", "1.5", "nan", "inf", "ten", ""]
SEED = ["-1", "1.5", "nan", "inf", "ten", ""]
RATE = ["0", "-1", "-0.5", "nan", "-inf", "inf", "ten", ""]
LAYERS = ["0,2", "-1,2", "2,nan", "2,inf", "2,ten", "2,,3"]
VALUES = ["nan,1", "1,inf", "1,ten", "1,,2", ""]
DIGITS = ["0", "-1", "18", "nan", "ten"]

NUMERIC_OPTIONS = [
    (["train"], "--lr", RATE),
    (["train"], "--epochs", COUNT),
    (["train"], "--batch-size", COUNT),
    (["train"], "--seed", SEED),
    (["train"], "--layers", LAYERS),
    (["explain"], "--lr", RATE),
    (["explain"], "--steps", COUNT),
    (["explain"], "--seed", SEED),
    (["explain"], "--digits", DIGITS),
    (["explain", "xor"], "--digits", DIGITS),
    (["explain"], "--layers", LAYERS),
    (["explain"], "--inputs", VALUES),
    (["explain"], "--targets", VALUES),
    (["gradcheck"], "--layers", LAYERS),
    (["gradcheck"], "--batch", COUNT),
    (["gradcheck"], "--seed", SEED),
    (["bench", "numeric-vs-backprop"], "--samples", COUNT),
    (["bench", "numeric-vs-backprop"], "--batch", COUNT),
    (["bench", "numeric-vs-backprop"], "--seed", SEED),
]


@pytest.mark.parametrize(
    ("command", "option", "value"),
    [(command, option, value) for command, option, values in NUMERIC_OPTIONS for value in values],
    ids=lambda part: " ".join(part) if isinstance(part, list) else repr(part),
)
def test_every_bad_number_of_every_command_is_a_one_line_error(command, option, value, capsys):
    with pytest.raises(SystemExit) as exited:
        main([*command, f"{option}={value}"])
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    prefix = "chainrule " + " ".join(command)
    assert lines[0].startswith(f"{prefix}: error: argument {option}: "), lines[0]
    assert value in lines[0]


def test_a_bad_number_is_one_line_in_a_subprocess_too():
    result = run_cli("explain", "--lr", "-1")
    assert result.returncode == 2
    assert result.stderr == (
        "chainrule explain: error: argument --lr: must be a positive number, not -1\n"
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "--data", "xor", "--epochs", "1", "--seed", str(2**70), "--lr", "1e-300"],
        ["explain", "--digits", "17", "--steps", "2", "--lr", "2", "--inputs=-1e3,0"],
        ["explain", "xor", "--digits", "1"],
        ["gradcheck", "--batch", "1", "--seed", "0", "--layers", "1,2"],
    ],
)
def test_good_numbers_at_the_edges_are_taken(argv, capsys):
    assert main(argv) == 0, capsys.readouterr().err


# ------------------------------------------------------------------------------ epoch lines


def test_every_line_of_a_training_run_fits_in_80_columns(capsys):
    assert main(["train", "--epochs", "12"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 + 1 + 12 + 1
    assert max(map(len, lines)) <= 80, max(lines, key=len)
    header, first = lines[2], lines[3]
    assert header.split() == [
        "epoch",
        "loss",
        "accuracy",
        "test",
        "loss",
        "test",
        "accuracy",
        "time",
    ]
    assert first.startswith(" 1/12  ")
    assert first.endswith(" s")


def test_the_widest_epoch_line_fits_in_80_columns(monkeypatch, capsys):
    """9999 epochs, losses past 9999 and hours an epoch: the command's own output, with the
    training replaced by one that reports the widest numbers."""
    widest = [
        EpochMetrics(1, 9999.99994, 0.0, 1.5e99, 1.0, 0.04),
        EpochMetrics(9999, 123456789.0, 1.0, 0.00012345, 0.999, 86399.9),
    ]

    def train_epochs(run, checkpoint, on_batch, on_epoch, compiled):
        for metrics in widest:
            on_epoch(metrics)
        return widest

    monkeypatch.setattr(train_command, "train_epochs", train_epochs)
    assert main(["train", "--data", "xor", "--epochs", "9999"]) == 0
    lines = capsys.readouterr().out.splitlines()
    table = lines[2:5]
    assert max(map(len, lines)) <= 80, max(lines, key=len)
    assert table[0].split() == [
        "epoch",
        "loss",
        "accuracy",
        "test",
        "loss",
        "test",
        "accuracy",
        "time",
    ]
    assert table[1].split() == ["1/9999", "9999.9999", "0.0%", "1.500e+99", "100.0%", "0.0", "s"]
    assert table[2].split() == [
        "9999/9999",
        "1.235e+08",
        "100.0%",
        "0.0001",
        "99.9%",
        "86399.9",
        "s",
    ]
    assert len({len(line) for line in table[:2]}) == 1  # the columns line up
