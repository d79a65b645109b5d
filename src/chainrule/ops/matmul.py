"""Matrix products: ``a @ b`` for vectors, matrices and batches of matrices."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._backend import xp_of
from ..function import Function
from .dtype_rules import check_not_bool


class MatMul(Function):
    """y = a @ b with NumPy's rules: a 1-D operand is a row (a) or column (b) vector, and
    leading dimensions broadcast as batches. Both have one dtype, not bool, as PyTorch
    requires."""

    formula = "da = g @ b.T;  db = a.T @ g"
    replay_by_call = True

    @staticmethod
    def forward(ctx: Function, a: Any, b: Any) -> Any:
        if a.dtype != b.dtype:  # PyTorch refuses to promote here
            raise RuntimeError(
                f"matmul needs operands of one dtype, and got {a.dtype} and {b.dtype}; "
                "convert one with .to(dtype)"
            )
        # No bools, as in PyTorch, except a matrix product with nothing to multiply.
        if a.dtype.kind == "b" and ((a.size and b.size) or a.ndim == b.ndim == 1):
            check_not_bool(a, "matmul")
        # Each operand only for the other's gradient, as PyTorch saves them: an operand that
        # the gradient does not need may then change in place; nor one PyTorch saves a copy of.
        need_a, need_b = ctx.needs_input_grad or (False, False)
        saved_a, saved_b = (a if need_b else None), (b if need_a else None)
        if (need_a or need_b) and (a.ndim > 2 or b.ndim > 2):
            copies_a, copies_b = _copied_by_pytorch(a, b, need_a, need_b)
            saved_a = saved_a.copy() if copies_a and need_b else saved_a
            saved_b = saved_b.copy() if copies_b and need_a else saved_b
        ctx.save_for_backward(saved_a, saved_b)
        ctx.vectors = a.ndim == 1, b.ndim == 1
        return a @ b

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, Any]:
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        a_vector, b_vector = ctx.vectors
        if a_vector and b_vector:
            return (g * b if need_a else None), (g * a if need_b else None)
        # Treat vectors as 1-row / 1-column matrices, differentiate, then drop that dimension.
        g2 = g[..., None, :] if a_vector else g
        g2 = g2[..., None] if b_vector else g2
        ga = gb = None
        if need_a:
            ga = g2 @ (b[:, None] if b_vector else b).swapaxes(-1, -2)
            ga = ga[..., 0, :] if a_vector else ga
        if need_b:
            gb = (a[None, :] if a_vector else a).swapaxes(-1, -2) @ g2
            gb = gb[..., 0] if b_vector else gb
        return ga, gb


def _copied_by_pytorch(a: Any, b: Any, need_a: bool, need_b: bool) -> tuple[bool, bool]:
    """Whether PyTorch's matmul, beyond two dimensions, saves a copy of ``a`` (for b's
    gradient) and of ``b`` (for a's), where ``need_a`` and ``need_b`` say which operands
    require grad.

    PyTorch reshapes operands for one matrix product: with the other operand of at most two
    dimensions and requiring grad, the larger is folded to a matrix; else (after dropping a
    batch dimension of size 1 that differs from the other's, from an operand that requires
    grad) both are broadcast to one batch shape, flattened to one batch dimension. A
    reshape that cannot be a view of the operand's memory copies it, and the product saves
    the copy, which a later in-place change of the operand does not reach (nor make
    backward refuse). The other operand's reshapes are views, or saved by no gradient.
    """
    if a.ndim >= 3 and b.ndim <= 2:
        return need_b and not _reshapes_to_view(a, (-1, a.shape[-1])), False
    if b.ndim >= 3 and a.ndim <= 2:
        return False, need_a and not _reshapes_to_view(b.swapaxes(-1, -2), (-1, b.shape[-2]))
    if a.ndim == b.ndim == 3 and a.shape[0] != b.shape[0]:
        if a.shape[0] == 1 and need_a:
            return _copied_by_pytorch(a[0], b, need_a, need_b)
        if b.shape[0] == 1 and need_b:
            return _copied_by_pytorch(a, b[0], need_a, need_b)
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    count = math.prod(batch)
    return tuple(
        not _reshapes_to_view(
            xp_of(x).broadcast_to(x, batch + x.shape[-2:]), (count, *x.shape[-2:])
        )
        for x in (a, b)
    )


def _reshapes_to_view(array: Any, shape: tuple[int, ...]) -> bool:
    """Whether ``array`` reshaped to ``shape`` (one size may be -1) can be a view of its
    memory, by PyTorch's rule: its dimensions form runs, each laid out as one block, and
    each run becomes whole dimensions of the new shape."""
    if array.size == 0 or array.ndim == 0:
        return True
    if -1 in shape:
        known = -math.prod(shape)
        shape = tuple(array.size // known if size == -1 else size for size in shape)
    sizes, strides = array.shape, array.strides
    new = len(shape) - 1
    step = strides[-1]
    run = made = 1
    for d in range(array.ndim - 1, -1, -1):
        run *= sizes[d]
        if d == 0 or (sizes[d - 1] != 1 and strides[d - 1] != run * step):  # the run ends
            while new >= 0 and (made < run or shape[new] == 1):
                made *= shape[new]
                new -= 1
            if made != run:
                return False
            if d:
                step, run, made = strides[d - 1], 1, 1
    return new == -1
