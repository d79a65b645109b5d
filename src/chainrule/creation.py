"""Tensor factories, with PyTorch's names and defaults (float32 unless told otherwise)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import random
from ._backend import default_float
from .tensor import Tensor


def _size(size: tuple[Any, ...]) -> tuple[int, ...]:
    """``zeros(2, 3)`` and ``zeros((2, 3))`` both mean the shape (2, 3)."""
    if len(size) == 1 and isinstance(size[0], Sequence | np.ndarray):
        return tuple(int(s) for s in size[0])
    return tuple(int(s) for s in size)


def _made(array: np.ndarray, requires_grad: bool) -> Tensor:
    return Tensor._from_op(array, None).requires_grad_(requires_grad)


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (numbers, nested lists, an array, a tensor).

    Python floats give float32; NumPy arrays keep their dtype; ``dtype`` overrides both.
    """
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _made(np.zeros(_size(size), dtype=dtype or default_float), requires_grad)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _made(np.ones(_size(size), dtype=dtype or default_float), requires_grad)


def full(size: Any, fill_value: float, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (its dtype follows the value's kind)."""
    if dtype is None:
        dtype = to_dtype_of(fill_value)
    return _made(np.full(_size((size,)), fill_value, dtype=dtype), requires_grad)


def zeros_like(other: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _made(np.zeros_like(np.asarray(other), dtype=dtype), requires_grad)


def ones_like(other: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _made(np.ones_like(np.asarray(other), dtype=dtype), requires_grad)


def arange(
    start: float,
    end: float | None = None,
    step: float = 1,
    dtype: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Values from ``start`` up to (not including) ``end``: int64 for integer arguments,
    float32 otherwise."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        integral = all(isinstance(v, int | np.integer) for v in (start, end, step))
        dtype = np.int64 if integral else default_float
    return _made(np.arange(start, end, step, dtype=dtype), requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """The n×m identity matrix (square when ``m`` is None)."""
    return _made(np.eye(n, m, dtype=dtype or default_float), requires_grad)


def rand(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1) from the seeded generator (see ``manual_seed``)."""
    array = random.default_generator().random(_size(size), dtype=np.dtype(dtype or default_float))
    return _made(array, requires_grad)


def randn(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples from the seeded generator (see ``manual_seed``)."""
    array = random.default_generator().standard_normal(
        _size(size), dtype=np.dtype(dtype or default_float)
    )
    return _made(array, requires_grad)


def to_dtype_of(value: Any) -> np.dtype:
    """The dtype a Python scalar gets in a tensor: bool, int64 or the default float."""
    if isinstance(value, bool | np.bool_):
        return np.dtype(np.bool_)
    if isinstance(value, int | np.integer):
        return np.dtype(np.int64)
    return default_float
