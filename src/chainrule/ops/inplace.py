"""In-place operations: a tensor's data changed where it lies, by PyTorch's rules.

Every in-place op is its out-of-place op, whose result is then written into the tensor's
array, so both give the same values and dtypes. Without a graph to record (under
``no_grad``, or when nothing involved requires grad) that is all: every alias of the
array sees the change. When the graph records it, the tensor becomes the output of the op's
node, whose first input is the tensor's previous value, so gradients flow through the
change; each write is counted (``chainrule.versions``) so that a backward needing the old
value refuses instead of using the new one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._backend import is_array, xp_of
from ..function import Function, is_grad_enabled
from ..tensor import Tensor
from ..versions import clock, record_write, storage

_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}  # a kind holds the values of those below


class Overwrite(Function):
    """y = ``value`` (a number, or an array that broadcasts to x's shape) in x's dtype and
    shape: ``copy_``, ``fill_`` and ``zero_`` in the graph."""

    formula = "dx = 0;  dvalue = g"

    @staticmethod
    def forward(ctx: Function, x: Any, value: Any) -> Any:
        y = xp_of(x).empty(x.shape, dtype=x.dtype)
        try:
            y[...] = value
        except ValueError:
            raise RuntimeError(
                f"copy_: values of shape {tuple(value.shape)} do not broadcast to this tensor's "
                f"shape {x.shape}; an in-place operation cannot change a tensor's shape"
            ) from None
        return y

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, Any]:
        need_x, need_value = ctx.needs_input_grad
        return (xp_of(g).zeros_like(g) if need_x else None), (g if need_value else None)


class SetItem(Function):
    """y = x with y[key] = value: ``x[key] = value`` in the graph."""

    formula = "dx = g with the written positions zeroed;  dvalue = g[key]"

    @staticmethod
    def forward(ctx: Function, x: Any, value: Any, key: Any) -> Any:
        ctx.key = key
        y = x.copy()
        y[key] = value
        return y

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, Any, None]:
        need_x, need_value, _ = ctx.needs_input_grad
        g = xp_of(g).asarray(g)  # an array, even where the gradient came as a NumPy scalar
        gx = None
        if need_x:
            gx = g.copy()
            gx[ctx.key] = 0
        return gx, (g[ctx.key] if need_value else None), None


def check_not_leaf(tensor: Tensor, name: str) -> None:
    """PyTorch's rule: a leaf that requires grad is changed in place only under ``no_grad``."""
    if tensor.requires_grad and tensor._ctx is None and is_grad_enabled():
        raise RuntimeError(
            f"{name}: a leaf Variable that requires grad is being used in an in-place "
            "operation; change it inside `with cr.no_grad():` (as an optimizer step does), or "
            "use the out-of-place op (x = x + y) for a new tensor"
        )


def written(tensor: Tensor) -> Tensor:
    """Count a write to ``tensor``'s data that the graph does not record; return ``tensor``."""
    record_write(tensor.data, next(clock), recorded=False)
    return tensor


def change_in_place(
    tensor: Tensor, name: str, compute: Callable[[Tensor], Tensor], any_dtype: bool = False
) -> Tensor:
    """Replace ``tensor``'s values by ``compute(tensor)``, the out-of-place op, where they lie.

    The result keeps ``tensor``'s shape and dtype: it may not broadcast ``tensor`` to a
    larger shape, and, unless ``any_dtype`` (copies and assignments convert, as in
    PyTorch), its dtype may not be of a higher kind (float into int, complex into float).
    Returns ``tensor``, as PyTorch's in-place methods do.
    """
    check_not_leaf(tensor, name)
    previous = Tensor._from_op(tensor.data, tensor._ctx)  # the value before, for the graph
    result = compute(previous)
    if result.shape != tensor.shape:
        raise RuntimeError(
            f"{name}: the result has shape {result.shape} and this tensor {tensor.shape}; an "
            "in-place operation cannot change a tensor's shape (the other operand may "
            "broadcast to the tensor, not the tensor to it)"
        )
    if not any_dtype and _KIND_RANK[result.dtype.kind] > _KIND_RANK[tensor.dtype.kind]:
        raise RuntimeError(
            f"{name}: the result is {result.dtype}, which this {tensor.dtype} tensor cannot "
            "hold (result type can't be cast to the desired output type); compute a new "
            "tensor out of place (x = x + y), or convert this one first (.float())"
        )
    node = result._ctx
    if node is None:
        tensor.data[...] = result.data
        return written(tensor)
    _check_can_record(tensor, name)
    if any(t is tensor for t in node.inputs):  # an operand that is the tensor itself (x *= x)
        node.inputs = tuple(previous if t is tensor else t for t in node.inputs)
    _keep_saved_values(node, tensor, result)
    tensor.data[...] = result.data
    record_write(tensor.data, node.sequence, recorded=True)
    if tensor._ctx is not None and tensor._ctx.retained is tensor:
        tensor._ctx.retained, node.retained = None, tensor
    tensor._ctx = node
    tensor.requires_grad = True
    return tensor


def _keep_saved_values(node: Function, tensor: Tensor, result: Tensor) -> None:
    """Make what ``node`` saved survive the write of ``result`` into ``tensor``'s data.

    An array that shares ``tensor``'s memory (the previous value, for ``mul_``) is copied
    first; the result itself is saved as ``tensor``'s data, so that a later in-place change
    of ``tensor`` is caught by the version check, as in PyTorch.
    """
    owner = storage(tensor.data)

    def kept(saved: Any) -> Any:
        if saved is result.data and saved.dtype == tensor.dtype:
            return tensor.data
        if is_array(saved) and storage(saved) is owner:
            return saved.copy()
        return saved

    if node.saved_tensors:
        node.saved_tensors = tuple(kept(saved) for saved in node.saved_tensors)


def _check_can_record(tensor: Tensor, name: str) -> None:
    """Refuse a recorded in-place change of a view that chainrule cannot follow.

    A view of a recorded tensor is fine: if the view's base is used after the change, the
    backward refuses it (``function._stale``). A view of a leaf is not: a leaf that requires
    grad must keep its value (PyTorch's rule), and a leaf that does not has no graph in
    which the change could be recorded.
    """
    owner = storage(tensor.data)
    current = tensor
    while current._ctx is not None and current._ctx.inputs is not None:
        source = next(
            (t for t in current._ctx.inputs if isinstance(t, Tensor) and storage(t.data) is owner),
            None,
        )
        if source is None or source.data is current.data:  # fresh data, or changed in place
            return
        current = source
    if current._ctx is not None or (current is tensor and tensor.data is owner):
        return  # a graph already freed, or a leaf whose data is its own
    if current is not tensor and current.requires_grad:
        raise RuntimeError(
            f"{name}: a view of a leaf Variable that requires grad is being used in an "
            "in-place operation; change it inside `with cr.no_grad():`, or change a .clone()"
        )
    raise RuntimeError(
        f"{name}: this tensor's data is a view of another array, made without recording the "
        "graph, so the change cannot be recorded for the array it belongs to; change a "
        ".clone() of it instead"
    )
