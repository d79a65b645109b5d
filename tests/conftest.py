"""Fixtures shared across the suite: a stand-in GPU for the device tests."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

import fake_cupy
from chainrule import _backend, random


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
