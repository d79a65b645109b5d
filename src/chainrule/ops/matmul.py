"""Matrix products: ``a @ b`` for vectors, matrices and batches of matrices."""

from __future__ import annotations

from typing import Any

from ..function import Function
from .dtype_rules import check_not_bool


class MatMul(Function):
    """y = a @ b with NumPy's rules: a 1-D operand is a row (a) or column (b) vector, and
    leading dimensions broadcast as batches. Both have one dtype, not bool, as PyTorch
    requires."""

    formula = "da = g @ b.T;  db = a.T @ g"

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
        # the gradient does not need may then change in place.
        need_a, need_b = ctx.needs_input_grad or (False, False)
        ctx.save_for_backward(a if need_b else None, b if need_a else None)
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
