"""Numerical gradients by central differences, and ``gradcheck``: backprop against them.

Central differences need two evaluations of the function per input element, which is
why the lecture notes "파이썬(Python)으로 구현하는 오차역전파" call numerical differentiation
far too slow to train with; they need no
derivative at all, which is why they are the reference backprop is checked against.

The step (``central_difference``, ``EPS``) and the rule that says whether backprop agrees
(``allowed_difference``, ``ATOL``, ``RTOL``: PyTorch's ``gradcheck`` rule and defaults) are
written here once; ``chainrule gradcheck`` and ``chainrule bench numeric-vs-backprop`` use
them too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._backend import is_floating, to_device, to_numpy
from .function import no_grad
from .tensor import Tensor

EPS = 1e-6
"""The central-difference step: small enough that the truncation error (about eps² times
the third derivative) is negligible, large enough that float64 rounding (about 1e-16 / eps)
is too. PyTorch's default."""

ATOL = 1e-5
RTOL = 1e-3
"""The tolerances of the pass rule (``allowed_difference``); PyTorch's defaults."""

RULE = "|backprop - numerical| <= atol + rtol * |numerical|"


class GradcheckError(AssertionError):
    """Backprop and central differences disagree beyond the tolerance."""


def allowed_difference(numerical: np.ndarray, atol: float = ATOL, rtol: float = RTOL) -> Any:
    """How far backprop's derivative may be from the numerical one and still agree with it:
    ``atol + rtol * |numerical|``, elementwise (the rule of ``torch.allclose`` and PyTorch's
    ``gradcheck``). A NaN difference is never within it."""
    return atol + rtol * np.abs(numerical)


def central_difference(f: Callable[[], float], flat: Any, i: int, eps: float = EPS) -> float:
    """(f(x + eps) - f(x - eps)) / 2 eps for element ``i`` of ``flat``, a flat view of the
    array that ``f`` reads, left as it was. The view may live on a GPU: the element is
    nudged there."""
    original = flat[i].item()  # a number: an element of a GPU array is a view
    flat[i] = original + eps
    above = f()
    flat[i] = original - eps
    below = f()
    flat[i] = original
    return (above - below) / (2 * eps)


def _as_inputs(inputs: Tensor | Sequence[Any]) -> tuple[Any, ...]:
    return (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)


def _in_float64(value: Any, requires_grad: bool) -> Any:
    """A float64 leaf copy of a floating tensor; anything else is passed through."""
    if isinstance(value, Tensor) and is_floating(value.dtype):
        return Tensor(value.data, dtype=np.float64, requires_grad=requires_grad)
    return value


def _scalar(value: Any, what: str) -> float:
    data = value.data if isinstance(value, Tensor) else np.asarray(value)
    if data.size != 1:
        raise ValueError(
            f"{what} must return a single number, and it returned shape {data.shape}; "
            "reduce it first (for example with .sum())"
        )
    return float(data.reshape(()))


def _central_differences(
    fn: Callable[..., Any], inputs: tuple[Any, ...], index: int, eps: float
) -> np.ndarray:
    """d fn / d inputs[index], one element at a time by ``central_difference``.

    The input is nudged where it lives (on a GPU too); the gradient is a NumPy array.
    """
    array = inputs[index].data
    grad = np.zeros(array.shape, dtype=np.float64)
    flat = array.reshape(-1)

    def value() -> float:
        return _scalar(fn(*inputs), "the function")

    with no_grad():
        for i in range(flat.size):
            grad.reshape(-1)[i] = central_difference(value, flat, i, eps)
    return grad


def numerical_grad(
    fn: Callable[..., Any], inputs: Tensor | Sequence[Any], eps: float = EPS
) -> tuple[np.ndarray | None, ...]:
    """The gradient of the scalar ``fn(*inputs)`` with respect to each floating-point tensor
    in ``inputs``, by central differences in float64 (None for other inputs), as NumPy
    arrays whatever the inputs' device."""
    copies = tuple(_in_float64(x, requires_grad=False) for x in _as_inputs(inputs))
    return tuple(
        _central_differences(fn, copies, i, eps)
        if isinstance(x, Tensor) and is_floating(x.dtype)
        else None
        for i, x in enumerate(copies)
    )


def gradcheck(
    fn: Callable[..., Any],
    inputs: Tensor | Sequence[Any],
    eps: float = EPS,
    atol: float = ATOL,
    rtol: float = RTOL,
) -> bool:
    """Check backprop's gradient of ``fn`` against central differences, in float64.

    Every input tensor with ``requires_grad=True`` is checked. A non-scalar output is
    reduced to ``sum(output * v)`` for a fixed random ``v``, which checks vᵀJ, the quantity
    backward computes, for every input element at once. Returns True, or raises
    ``GradcheckError`` naming the input, the worst element and both values.
    """
    originals = _as_inputs(inputs)
    checked = [i for i, x in enumerate(originals) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck needs at least one input tensor with requires_grad=True")
    copies = tuple(
        _in_float64(x, requires_grad=isinstance(x, Tensor) and x.requires_grad) for x in originals
    )
    output = fn(*copies)
    if not isinstance(output, Tensor):
        raise TypeError(f"gradcheck needs fn to return a Tensor, and it returned {type(output)}")
    projection = to_device(
        np.ones(output.shape)
        if output.data.size == 1
        else np.random.default_rng(0).uniform(0.5, 1.5, size=output.shape),
        output.device,
    )

    def projected(*xs: Any) -> Tensor:
        return (fn(*xs) * projection).sum()

    (output * projection).sum().backward()
    for i in checked:
        copy = copies[i]
        analytic = to_numpy(copy.grad.data) if copy.grad is not None else np.zeros(copy.shape)
        numeric = _central_differences(projected, copies, i, eps)
        excess = np.abs(analytic - numeric) - allowed_difference(numeric, atol, rtol)
        excess = np.where(np.isnan(excess), np.inf, excess)
        if excess.size and excess.max() > 0:
            index = tuple(int(k) for k in np.unravel_index(np.argmax(excess), excess.shape))
            raise GradcheckError(
                f"gradient of input {i} (shape {copy.shape}) is wrong at index {index}: "
                f"backprop gives {float(analytic[index])!r}, central differences give "
                f"{float(numeric[index])!r} (tolerance {atol} + {rtol} * |numerical|)"
            )
    return True
