"""The array module behind tensors, and the dtypes chainrule uses by default.

Every other module asks this one for the array module (``xp``) instead of importing
NumPy's device-specific cousins itself, so that GPU support stays in one file.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

float16 = np.float16
float32 = np.float32
float64 = np.float64
int32 = np.int32
int64 = np.int64
bool_ = np.bool_

default_float = np.dtype(np.float32)
"""The dtype of tensors made from Python floats, and of random and filled tensors."""


def xp_of(array: Any) -> ModuleType:
    """The array module (NumPy today) that owns ``array``."""
    return np


def as_array(value: Any, dtype: Any = None) -> np.ndarray:
    """``value`` as an ndarray (never a NumPy scalar), converted to ``dtype`` if given."""
    return np.asarray(value, dtype=dtype)


def is_floating(dtype: Any) -> bool:
    """Whether ``dtype`` is a real floating-point type, the only kind that carries gradients."""
    return np.issubdtype(dtype, np.floating)
