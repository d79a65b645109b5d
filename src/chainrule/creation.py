"""Tensor factories, with PyTorch's names and defaults (float32 unless told otherwise)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import random
from ._backend import Device, as_array, as_device, default_float, make_on, on_device, xp_of
from .tensor import Tensor, wrap

DeviceLike = str | Device | None


def _size(size: tuple[Any, ...]) -> tuple[int, ...]:
    """``zeros(2, 3)`` and ``zeros((2, 3))`` both mean the shape (2, 3)."""
    if len(size) == 1 and isinstance(size[0], Sequence | np.ndarray):
        return tuple(int(s) for s in size[0])
    return tuple(int(s) for s in size)


def _made(array: Any, requires_grad: bool) -> Tensor:
    return wrap(array).requires_grad_(requires_grad)


def _like(other: Any) -> Any:
    """The array of a tensor (or an array) whose shape, dtype and device are copied."""
    return other.data if isinstance(other, Tensor) else as_array(other)


def tensor(
    data: Any, dtype: Any = None, device: DeviceLike = None, requires_grad: bool = False
) -> Tensor:
    """A new tensor holding a copy of ``data`` (numbers, nested lists, an array, a tensor).

    Python floats give float32; NumPy arrays keep their dtype; ``dtype`` overrides both.
    ``device`` (``"cpu"``, ``"cuda"``) is where it lives: the CPU unless told, or the
    device of the GPU array or tensor it copies.
    """
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, device=device)


def zeros(
    *size: Any, dtype: Any = None, device: DeviceLike = None, requires_grad: bool = False
) -> Tensor:
    array = make_on(as_device(device), "zeros", _size(size), dtype=dtype or default_float)
    return _made(array, requires_grad)


def ones(
    *size: Any, dtype: Any = None, device: DeviceLike = None, requires_grad: bool = False
) -> Tensor:
    array = make_on(as_device(device), "ones", _size(size), dtype=dtype or default_float)
    return _made(array, requires_grad)


def full(
    size: Any,
    fill_value: float,
    dtype: Any = None,
    device: DeviceLike = None,
    requires_grad: bool = False,
) -> Tensor:
    """A tensor of ``size`` (a tuple, as in PyTorch) filled with ``fill_value``; its dtype
    follows the value's kind."""
    if not isinstance(size, Sequence | np.ndarray):
        raise TypeError(
            f"full() takes size as a tuple of ints, and got {type(size).__name__} {size!r}; "
            f"write cr.full(({size!r},), value) for a 1-d tensor"
        )
    if dtype is None:
        dtype = to_dtype_of(fill_value)
    array = make_on(as_device(device), "full", _size((size,)), fill_value, dtype=dtype)
    return _made(array, requires_grad)


def zeros_like(other: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros of ``other``'s shape, dtype (unless told) and device."""
    like = _like(other)
    return _made(xp_of(like).zeros_like(like, dtype=dtype), requires_grad)


def ones_like(other: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones of ``other``'s shape, dtype (unless told) and device."""
    like = _like(other)
    return _made(xp_of(like).ones_like(like, dtype=dtype), requires_grad)


def arange(
    start: float,
    end: float | None = None,
    step: float = 1,
    dtype: Any = None,
    device: DeviceLike = None,
    requires_grad: bool = False,
) -> Tensor:
    """Values from ``start`` up to (not including) ``end``: int64 for integer arguments,
    float32 otherwise."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        integral = all(isinstance(v, int | np.integer) for v in (start, end, step))
        dtype = np.int64 if integral else default_float
    array = make_on(as_device(device), "arange", start, end, step, dtype=dtype)
    return _made(array, requires_grad)


def eye(
    n: int,
    m: int | None = None,
    dtype: Any = None,
    device: DeviceLike = None,
    requires_grad: bool = False,
) -> Tensor:
    """The n×m identity matrix (square when ``m`` is None)."""
    return _made(
        make_on(as_device(device), "eye", n, m, dtype=dtype or default_float), requires_grad
    )


def rand(
    *size: Any, dtype: Any = None, device: DeviceLike = None, requires_grad: bool = False
) -> Tensor:
    """Uniform samples in [0, 1) from the seeded generator (see ``manual_seed``)."""
    return _drawn("random", size, dtype, device, requires_grad)


def randn(
    *size: Any, dtype: Any = None, device: DeviceLike = None, requires_grad: bool = False
) -> Tensor:
    """Standard normal samples from the seeded generator (see ``manual_seed``)."""
    return _drawn("standard_normal", size, dtype, device, requires_grad)


def _drawn(
    distribution: str, size: tuple[Any, ...], dtype: Any, device: DeviceLike, requires_grad: bool
) -> Tensor:
    """A tensor of samples from ``distribution``, a method of the device's generator."""
    where = as_device(device)
    with on_device(where):
        draw = getattr(random.generator_for(where), distribution)
        array = draw(_size(size), dtype=np.dtype(dtype or default_float))
    return _made(array, requires_grad)


def to_dtype_of(value: Any) -> np.dtype:
    """The dtype a Python scalar gets in a tensor: bool, int64 or the default float."""
    if isinstance(value, bool | np.bool_):
        return np.dtype(np.bool_)
    if isinstance(value, int | np.integer):
        return np.dtype(np.int64)
    return default_float
