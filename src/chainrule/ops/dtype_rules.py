"""PyTorch's dtype rules for ops of one tensor, where NumPy's differ: which ops compute an
integer or bool input in the default float, and which refuse it."""

from __future__ import annotations

from typing import Any

from .._backend import default_float


def floating(x: Any) -> Any:
    """``x``, or an integer or bool ``x`` in the default float: PyTorch computes exp, log,
    sqrt, tanh and sigmoid of those in float32 (NumPy in float16 or float64)."""
    return x if x.dtype.kind in "fc" else x.astype(default_float)


def check_floating(x: Any, op: str) -> None:
    """Refuse ``op`` of an integer or bool array, as PyTorch does (NotImplementedError)."""
    if x.dtype.kind not in "fc":
        raise NotImplementedError(
            f"{op}() needs a floating-point tensor, and this one is {x.dtype}; "
            "convert it first with .float()"
        )


def check_not_bool(x: Any, op: str, error: type[Exception] = NotImplementedError) -> None:
    """Refuse ``op`` of a bool array, with PyTorch's ``error`` type for it."""
    if x.dtype.kind == "b":
        raise error(
            f"{op}() does not take a bool tensor; convert it first with .long() or .float()"
        )
