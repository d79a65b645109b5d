"""The machinery of fused elementwise kernels for the GPU, for where a chain of small array
ops would cost more in kernel launches and memory passes than in arithmetic.

Each kernel lives beside the algorithm it serves (the activations' in ``ops.activation``,
the softmax cross-entropy's gradient in ``ops.loss``, the SGD and Adam updates in their
optimizers' files) and is written twice, side by side: as one line of CUDA C that CuPy
compiles into a single ``ElementwiseKernel``, and as array arithmetic, its reference. The
reference runs wherever the compiled kernel cannot (no CUDA compiler, a dtype the kernel
does not take, the test suite's CuPy stand-in), and the GPU tests check the two against
each other. On the CPU the reference is what runs, so it is written for NumPy: in place,
with few temporaries. The hot paths (the activations' forward and backward, the
cross-entropy's backward, SGD's step) call the reference themselves when the array is
NumPy's, ``(reference if type(x) is np.ndarray else kernel)(x)``: a call through the
kernel's ``__call__`` passes ``*args`` on, a call the interpreter does not inline, which
cost about 0.3 µs a call in a training step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._backend import xp_of

_COMPILED_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


class FusedKernel:
    """One elementwise computation: CUDA C for CuPy, and the same math as array arithmetic.

    ``in_params``, ``out_params`` and ``operation`` are CuPy's ``ElementwiseKernel``
    arguments (``T`` is the dtype of the first argument); ``reference`` takes the same
    arguments in the same order, writes the outputs it is given in place, and returns the
    ones it makes.
    """

    def __init__(
        self,
        name: str,
        in_params: str,
        out_params: str,
        operation: str,
        reference: Callable[..., Any],
    ) -> None:
        self.name = name
        self.signature = (in_params, out_params, operation)
        self.reference = reference
        self._compiled: Any = None

    def __call__(self, *args: Any) -> Any:
        if type(args[0]) is np.ndarray:  # the CPU: no lookup beyond this one
            return self.reference(*args)
        xp = xp_of(args[0])
        if (
            xp is np
            or args[0].dtype not in _COMPILED_DTYPES
            or not hasattr(xp, "ElementwiseKernel")
        ):
            return self.reference(*args)
        if self._compiled is None:
            self._compiled = xp.ElementwiseKernel(*self.signature, name=f"chainrule_{self.name}")
        return self._compiled(*args)
