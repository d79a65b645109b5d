"""NumPy's floating-point error state, set and reset at a third of ``np.errstate``'s cost.

Where a step of an op may overflow and still give the exact result (exp(-x) is inf for a
very negative x, and the sigmoid 1 / (1 + inf) is then 0, as PyTorch gives), the op turns
NumPy's overflow warning off around that step. ``np.errstate`` does it with a context
manager object (0.9 µs a use); setting and resetting the context variable that it sets
(NumPy 2) costs 0.27 µs, less than a reduction that would find whether anything overflows.
The eager ops and ``cr.compile``'s replays share this one way of doing it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

try:  # what np.errstate sets and resets (NumPy 2); before 2.0, np.errstate itself
    from numpy._core._ufunc_config import _extobj_contextvar as ERROR_STATE
    from numpy._core.umath import _make_extobj as make_error_state
except ImportError:
    ERROR_STATE = make_error_state = None


def quiet_overflow() -> Any:
    """Ignore overflows, as ``np.errstate(over="ignore")`` does (the other kinds of error as
    they are), until ``restore`` is given the token this returns."""
    if ERROR_STATE is None:
        state = np.errstate(over="ignore")
        state.__enter__()
        return state
    return ERROR_STATE.set(make_error_state(over="ignore"))


def restore(token: Any) -> None:
    """Put back the error state that ``quiet_overflow`` changed, given its token."""
    if ERROR_STATE is None:
        token.__exit__(None, None, None)
    else:
        ERROR_STATE.reset(token)
