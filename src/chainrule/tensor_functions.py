"""The ``cr.*`` spellings of tensor ops (``cr.sum(x)`` for ``x.sum()``, ``cr.max(a, b)`` for
``a.max(b)``), and the ops that take several tensors at once: ``cat``, ``stack``, ``where``,
which promote their inputs to one dtype as PyTorch does (``chainrule.promotion``)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from ._backend import as_array, device_of, make_on
from .ops.indexing import Where
from .ops.shape import Concatenate, Stack
from .promotion import promote_types, result_type
from .tensor import Tensor, _cast, _dim, _operand, wrap

sum = Tensor.sum
mean = Tensor.mean
max = Tensor.max
min = Tensor.min
maximum = Tensor.maximum
minimum = Tensor.minimum
argmax = Tensor.argmax
argmin = Tensor.argmin
exp = Tensor.exp
log = Tensor.log
sqrt = Tensor.sqrt
abs = Tensor.abs
tanh = Tensor.tanh
sigmoid = Tensor.sigmoid
relu = Tensor.relu
leaky_relu = Tensor.leaky_relu
clip = clamp = Tensor.clip
softmax = Tensor.softmax
log_softmax = Tensor.log_softmax
reshape = Tensor.reshape
permute = Tensor.permute
transpose = Tensor.transpose
flatten = Tensor.flatten
squeeze = Tensor.squeeze
unsqueeze = Tensor.unsqueeze
matmul = Tensor.matmul


def _tensors(tensors: Sequence[Any], what: str) -> list[Any]:
    """The inputs of ``cat`` or ``stack``, in the dtype PyTorch promotes them all to."""
    if isinstance(tensors, Tensor) or not isinstance(tensors, Sequence) or not tensors:
        raise TypeError(f"{what}() takes a non-empty list of tensors")
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    dtype = functools.reduce(promote_types, (t.dtype for t in tensors))
    return [_cast(t, dtype) for t in tensors]


def cat(tensors: Sequence[Tensor], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """The tensors joined along an existing dimension (all other sizes must agree).

    As in PyTorch, a 1-d tensor of size 0 joins tensors of any shape along any dimension,
    adding nothing but its dtype to the result's."""
    tensors = _tensors(tensors, "cat")
    for position, t in enumerate(tensors):
        if t.ndim == 0:
            raise RuntimeError(
                f"zero-dimensional tensor (at position {position}) cannot be concatenated; "
                "use cr.stack, or make it 1-d with .reshape(1)"
            )
    joined = next((t for t in tensors if t.shape != (0,)), None)
    dim = dim if axis is None else axis
    return Concatenate.apply(0 if joined is None else _dim(dim, joined.ndim), *tensors)


concatenate = cat


def stack(tensors: Sequence[Tensor], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """The tensors, all of one shape, stacked along a new dimension."""
    return Stack.apply(dim if axis is None else axis, *_tensors(tensors, "stack"))


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """Elementwise ``a`` where ``condition`` holds, else ``b`` (all three broadcast), in
    the dtype PyTorch promotes ``a`` and ``b`` to."""
    condition = condition.data if isinstance(condition, Tensor) else as_array(condition)
    a, b = _operand(a), _operand(b)
    dtype = result_type(a, b)
    if isinstance(a, int | float) and isinstance(b, int | float):
        # Two numbers: NumPy would pick float64 or int64 for them, so a must carry dtype.
        a = wrap(make_on(device_of(condition), "asarray", a, dtype=dtype))
    return Where.apply(condition, _cast(a, dtype), _cast(b, dtype))
