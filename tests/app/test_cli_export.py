"""``chainrule export``: a digits model from ``train --save`` as an ONNX file that classifies
the test set as chainrule does; its mistakes as one line and exit code 2."""

from __future__ import annotations

import json

import numpy as np
import pytest

import chainrule as cr
from chainrule.app.main import main
from chainrule.app.run import load_model
from helpers import one_line_error, run_main

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx.reference import ReferenceEvaluator  # noqa: E402


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    """A 64-32-10 network trained 3 epochs on the digits and saved, with its accuracy as
    ``chainrule eval`` reports it."""
    folder = tmp_path_factory.mktemp("export")
    checkpoint = folder / "digits.safetensors"
    args = ["train", "--layers", "64,32,10", "--epochs", "3", "--save", checkpoint, "--quiet"]
    assert main([str(a) for a in args]) == 0
    return checkpoint


def test_a_digits_model_exports_and_classifies_the_test_set_as_chainrule_does(
    digits_run, tmp_path, capsys
):
    capsys.readouterr()
    assert main(["eval", str(digits_run), "--json"]) == 0
    accuracy = json.loads(capsys.readouterr().out)["accuracy"]
    path = tmp_path / "digits.onnx"
    assert main(["export", str(digits_run), str(path)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"Wrote {path}: 64-32-10 (relu, ce loss)",
        "opset 17, IR version 8",
        "input   input   float32 (batch, 64)",
        "output  output  float32 (batch, 10)",
    ]
    model_proto = onnx.load(path)
    onnx.checker.check_model(model_proto, full_check=True)
    assert model_proto.ir_version == 8
    images, labels = (t.numpy() for t in cr.data.digits(train=False).tensors)
    architecture, model, _ = load_model(digits_run)
    model.eval()
    with cr.no_grad():
        own = architecture.predict(model(cr.tensor(images)).numpy())
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    in_onnxruntime = session.run(None, {"input": images})[0].argmax(axis=1)
    in_reference = ReferenceEvaluator(model_proto).run(None, {"input": images})[0].argmax(axis=1)
    assert len(labels) == 360
    np.testing.assert_array_equal(in_onnxruntime, own)  # every sample, the same class
    np.testing.assert_array_equal(in_reference, own)
    assert (in_onnxruntime == labels).mean() == accuracy


def test_export_takes_another_opset(digits_run, tmp_path, capsys):
    path = tmp_path / "digits13.onnx"
    assert main(["export", str(digits_run), str(path), "--opset", "13"]) == 0
    assert "opset 13, IR version 7" in capsys.readouterr().out.splitlines()
    assert onnx.load(path).ir_version == 7


def test_export_mistakes_are_one_line_and_exit_code_2(digits_run, tmp_path, capsys):
    missing = tmp_path / "missing.safetensors"
    assert "missing.safetensors" in one_line_error(capsys, "export", missing, tmp_path / "m.onnx")
    weights = tmp_path / "weights.safetensors"
    cr.save(cr.nn.Linear(2, 2).state_dict(), weights)
    line = one_line_error(capsys, "export", weights, tmp_path / "m.onnx")
    assert line.endswith(
        "weights.safetensors is a plain tensor file, not a checkpoint; read it with load()"
    )
    unwritable = tmp_path / "no folder" / "m.onnx"
    line = one_line_error(capsys, "export", digits_run, unwritable)
    assert line == (
        f"chainrule export: error: cannot save {unwritable}: the folder {unwritable.parent} "
        "does not exist; create it first (os.makedirs)"
    )
    kept = digits_run.read_bytes()
    line = one_line_error(capsys, "export", digits_run, digits_run.parent / "." / digits_run.name)
    assert line.endswith(
        "is the checkpoint MODEL itself, which it would overwrite; give another file (model.onnx)"
    )
    assert digits_run.read_bytes() == kept
    assert run_main(["export", str(digits_run), str(tmp_path / "m.onnx"), "--opset", "12"]) == 2
    assert (
        "argument --opset: must be a whole number of 13 or more, not 12" in capsys.readouterr().err
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["weights.safetensors"]
