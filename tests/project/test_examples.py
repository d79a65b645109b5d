"""The seeds' programs in examples/ run and reach the seeds' outcomes."""

import importlib.util
import subprocess
import sys

import pytest

import chainrule as cr
from conftest import REPO_ROOT, SHARED_DATA

EXAMPLES = REPO_ROOT / "examples"
MNIST = SHARED_DATA / "mnist"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_seed_003_perceptron_stays_at_one_half_and_the_multilayer_perceptron_learns_xor():
    xor = _load("xor")
    cr.manual_seed(777)
    perceptron, mlp = xor.perceptron(), xor.multilayer_perceptron()

    xor.train(perceptron)
    outputs, accuracy = xor.evaluate(perceptron)
    assert outputs == pytest.approx([0.5] * 4, abs=1e-3)
    assert accuracy == 0.5

    xor.train(mlp)
    outputs, accuracy = xor.evaluate(mlp)
    assert accuracy == 1.0
    assert outputs == pytest.approx([0, 1, 1, 0], abs=0.05)


def _run_mnist_mlp(*args):
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "mnist_mlp.py"), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    return result.stdout, float(last.split("test accuracy ")[1].split("%")[0])


def test_seed_001_network_on_the_digits():
    out, accuracy = _run_mnist_mlp("--epochs", "10")
    assert "64-30-10 sigmoid network, MSE, SGD lr 3.0, batch 10, on the 8x8 digits" in out
    assert accuracy > 85.0


@pytest.mark.skipif(not MNIST.exists(), reason="../shared/data/mnist is not beside this checkout")
def test_seed_001_network_on_real_mnist():
    out, accuracy = _run_mnist_mlp(str(MNIST), "--epochs", "1")
    assert "784-30-10" in out and "first 8,000 test images" in out
    assert accuracy > 85.0
