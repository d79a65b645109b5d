"""Selection: indexing and slicing, and ``where``."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import is_array, xp_of
from ..function import Function


def _dims_indexed(part: Any) -> int:
    """How many dimensions of the indexed array one part of a key uses up."""
    if part is None or part is Ellipsis or isinstance(part, bool):
        return 0
    if is_array(part) and part.dtype == bool:
        return part.ndim  # a mask covers as many dimensions as it has (0 for True/False)
    return 1


def split_key(key: tuple[Any, ...], x: Any) -> tuple[Any, Any]:
    """``x[key]`` as PyTorch computes it, in two NumPy steps: ``x[basic][advanced]``.

    The basic step (ints, slices, None, ...) makes a view, each int dropping its dimension;
    the advanced step (index arrays and masks) then indexes that view by NumPy's rules.
    Either is None when it has nothing to do. In one step, NumPy would count an int beside
    an index array as one more index array, and a slice between them would move the
    indexed dimensions to the front: ``x[0, :, idx]`` on (2, 3, 4) is (3, 2) in PyTorch,
    (2, 3) in NumPy. True and False add a dimension of size 1 that they keep or empty, as
    in PyTorch. Steps below 1 are refused, as in PyTorch.
    """
    arrays = bools = ints = False
    for part in key:
        if type(part) is slice:
            if part.step is not None and part.step < 1:
                raise ValueError(f"slice step must be greater than zero, as in PyTorch; got {part}")
        elif isinstance(part, bool):
            bools = True
        elif isinstance(part, int):
            ints = True
        elif is_array(part):
            arrays = True
            bools = bools or part.ndim == 0
    if not (arrays or bools):
        return key, None
    if not (ints or bools):  # then NumPy's one step gives PyTorch's layout
        return None, key
    unfilled = x.ndim - sum(_dims_indexed(part) for part in key)  # the dimensions ... stands for
    basic: list[Any] = []
    advanced: list[Any] = []
    for part in key:
        if part is Ellipsis:
            basic.append(part)
            advanced += [slice(None)] * max(unfilled, 0)
        elif part is None or isinstance(part, slice):
            basic.append(part)
            advanced.append(slice(None))
        elif isinstance(part, bool) or (is_array(part) and part.ndim == 0):
            basic.append(None)
            advanced.append(xp_of(x).zeros(int(bool(part)), dtype=np.int64))
        elif is_array(part):
            basic += [slice(None)] * _dims_indexed(part)
            advanced.append(part)
        else:
            basic.append(part)
    return tuple(basic), tuple(advanced)


class GetItem(Function):
    """y = x[key], for any mix of ints, slices, None, ..., masks and integer index arrays,
    with PyTorch's layout of the result (see ``split_key``)."""

    formula = "dx = zeros with g added at the picked positions (repeats add up)"
    replay_by_call = True
    makes_views = True

    @staticmethod
    def forward(ctx: Function, x: Any, key: tuple[Any, ...]) -> Any:
        basic, advanced = split_key(key, x)
        ctx.shape, ctx.basic, ctx.advanced = x.shape, basic, advanced
        if advanced is not None:  # the index tensors, as PyTorch: a change in place is refused
            ctx.save_for_backward(*(part for part in key if is_array(part)))
        y = x if basic is None else x[basic]
        if isinstance(y, np.generic):  # an element: a 0-d view of it, as PyTorch's x[i] is
            y = x[(*basic, ...)]
        return y if advanced is None else y[advanced]

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, None]:
        xp = xp_of(g)
        dx = xp.zeros(ctx.shape, dtype=g.dtype)
        if ctx.advanced is None:
            dx[ctx.basic] = g
            return dx, None
        view = dx if ctx.basic is None else dx[ctx.basic]
        if all(part.dtype == bool for part in ctx.advanced if is_array(part)):
            view[ctx.advanced] = g  # masks pick each position at most once
        else:
            xp.add.at(view, ctx.advanced, g)
        return dx, None


class Where(Function):
    """y = a where ``condition`` holds, else b."""

    formula = "da = g where condition, else 0;  db = g where not condition, else 0"
    replay_by_call = True

    @staticmethod
    def forward(ctx: Function, condition: Any, a: Any, b: Any) -> Any:
        ctx.save_for_backward(condition)
        return xp_of(condition).where(condition, a, b)

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[None, Any, Any]:
        (condition,) = ctx.saved_tensors
        _, need_a, need_b = ctx.needs_input_grad
        xp = xp_of(g)
        ga = xp.where(condition, g, 0) if need_a else None
        gb = xp.where(condition, 0, g) if need_b else None
        return None, ga, gb
