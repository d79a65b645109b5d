"""Fixtures and paths shared across the suite: a stand-in GPU for the device tests, and the
folders tests reach from any depth. The speed suite's package, ``speed``, is importable as
``benchmarks/run.py`` sees it; so are the helper modules beside this file (``helpers``,
``fake_cupy``, ``op_catalogue``, ``differential``): pytest puts this folder on ``sys.path``."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import fake_cupy
from chainrule import _backend, random

TESTS = Path(__file__).resolve().parent
REPO_ROOT = TESTS.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
BENCHMARKS = REPO_ROOT / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))


@pytest.fixture
def fake_gpu(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A ``cuda`` device backed by ``fake_cupy`` (CuPy's strictness, NumPy's arithmetic);
    CuPy and the GPU generators as they were afterwards, so none leaks into a real-GPU test."""
    monkeypatch.setitem(sys.modules, "cupy", fake_cupy)
    monkeypatch.setattr(_backend, "_cupy", None)
    monkeypatch.setattr(random, "_gpu_generators", {})
    yield


@pytest.fixture
def no_cupy(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A machine where ``import cupy`` fails, as on one without the ``cuda`` extra."""
    monkeypatch.setitem(sys.modules, "cupy", None)
    monkeypatch.setattr(_backend, "_cupy", None)
    yield
