"""The ``cr.*`` spellings of tensor ops (``cr.sum(x)`` for ``x.sum()``), and the ops that
take several tensors at once: ``cat``, ``stack``, ``where``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .ops.indexing import Where
from .ops.shape import Concatenate, Stack
from .tensor import Tensor, _operand

sum = Tensor.sum
mean = Tensor.mean
max = Tensor.max
min = Tensor.min
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
    if isinstance(tensors, Tensor) or not isinstance(tensors, Sequence) or not tensors:
        raise TypeError(f"{what}() takes a non-empty list of tensors")
    return [_operand(t) for t in tensors]


def cat(tensors: Sequence[Tensor], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """The tensors joined along an existing dimension (all other sizes must agree)."""
    return Concatenate.apply(dim if axis is None else axis, *_tensors(tensors, "cat"))


concatenate = cat


def stack(tensors: Sequence[Tensor], dim: int = 0, *, axis: int | None = None) -> Tensor:
    """The tensors, all of one shape, stacked along a new dimension."""
    return Stack.apply(dim if axis is None else axis, *_tensors(tensors, "stack"))


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """Elementwise ``a`` where ``condition`` holds, else ``b`` (all three broadcast)."""
    condition = condition.data if isinstance(condition, Tensor) else condition
    return Where.apply(condition, _operand(a), _operand(b))
