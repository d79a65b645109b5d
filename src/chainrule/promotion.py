"""PyTorch's type promotion: the dtype an op on several operands computes and returns in.

NumPy and PyTorch disagree here, and chainrule follows PyTorch. Dtypes fall into
categories, bool < integer < floating. Operands with at least one dimension decide the
dtype within their category (float32 with int64 gives float32, not NumPy's float64); a 0-d
tensor counts only when its category is higher than every dimensioned operand's; a Python
number counts only when its category is higher than every tensor's, and then as the
default dtype of its category (float32 for a float, int64 for an int).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._backend import default_float

_SCALAR_DTYPES = {bool: np.dtype(np.bool_), int: np.dtype(np.int64), float: default_float}
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _category(dtype: np.dtype) -> int:
    return _CATEGORY[dtype.kind]


def promote_types(a: Any, b: Any) -> np.dtype:
    """The dtype both ``a`` and ``b`` convert to, by PyTorch's table: a higher category wins
    outright (int64 with float16 is float16), and within one, the wider type (uint8 with
    int8 is int16)."""
    a, b = np.dtype(a), np.dtype(b)
    if a == b:
        return a
    category_a, category_b = _category(a), _category(b)
    if category_a != category_b:
        return a if category_a > category_b else b
    return np.promote_types(a, b)


def _join(dtype: np.dtype | None, other: np.dtype) -> np.dtype:
    return other if dtype is None else promote_types(dtype, other)


def _outranks(lower: np.dtype | None, higher: np.dtype | None) -> np.dtype | None:
    """``higher``, unless ``lower`` is of a higher category (or ``higher`` is missing)."""
    if higher is None or (lower is not None and _category(lower) > _category(higher)):
        return lower
    return higher


def result_type(*operands: Any) -> np.dtype:
    """The dtype PyTorch gives an op on ``operands``: tensors, arrays and Python numbers
    (NumPy scalars count as Python numbers, as in PyTorch)."""
    dimensioned = zero_dim = number = None
    for operand in operands:
        if isinstance(operand, np.generic):
            operand = operand.item()
        scalar_dtype = _SCALAR_DTYPES.get(type(operand))
        if scalar_dtype is not None:
            number = _join(number, scalar_dtype)
        elif operand.ndim:
            dimensioned = _join(dimensioned, operand.dtype)
        else:
            zero_dim = _join(zero_dim, operand.dtype)
    dtype = _outranks(_outranks(number, zero_dim), dimensioned)
    if dtype is None:
        raise TypeError("result_type() needs at least one tensor, array or number")
    return dtype
