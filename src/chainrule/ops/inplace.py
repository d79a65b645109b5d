"""In-place operations: a tensor's data changed where it lies, by PyTorch's rules.

Every in-place op is its out-of-place op, whose result is then written into the tensor's
array, so both give the same values and dtypes. Without a graph to record (under
``no_grad``, or when nothing involved requires grad) that is all: every alias of the
array sees the change. When the graph records it, the tensor becomes the output of the op's
node, whose first input is the tensor's previous value, so gradients flow through the
change; each write is counted (``chainrule.versions``) so that a backward needing the old
value refuses instead of using the new one. As in PyTorch, a change of a view (a slice, a
reshape, a transpose) is carried to the tensor it views, and a change of that base to its
other views: the base becomes the output of a ``WriteThrough`` node, and each view a
``View`` of it (views that the graph did not record are found by ``versions.view_source``;
views that backward meets stale are made again then, by ``view_when_used``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._backend import is_array, is_floating, is_gpu_array, xp_of
from ..function import Function, enable_grad, is_grad_enabled, version_at
from ..tensor import Tensor
from ..versions import (
    borrow_versions,
    clock,
    forget_view,
    lender,
    record_write,
    stop_borrowing,
    storage,
    view_source,
    views_of,
)

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


def assignable(value: Any) -> Any:
    """``value`` with its leading dimensions of size 1 dropped, as PyTorch's ``x[key] = value``
    does before it broadcasts the value to the elements (so ``x[0] = v`` takes a ``v`` of
    shape (1,) for one element)."""
    if not is_array(value) or value.ndim == 0 or value.shape[0] != 1:
        return value
    ones = next((i for i, size in enumerate(value.shape) if size != 1), value.ndim)
    return value.reshape(value.shape[ones:])


class SetItem(Function):
    """y = x with y[key] = value: ``x[key] = value`` in the graph."""

    formula = "dx = g with the written positions zeroed;  dvalue = g[key]"

    @staticmethod
    def forward(ctx: Function, x: Any, value: Any, key: Any) -> Any:
        ctx.key = key
        ctx.value_ndim = getattr(value, "ndim", 0)
        ctx.save_for_backward(*(part for part in key if is_array(part)))  # guards the indices
        y = x.copy()
        y[key] = assignable(value)
        return y

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, Any, None]:
        need_x, need_value, _ = ctx.needs_input_grad
        g = xp_of(g).asarray(g)  # an array, even where the gradient came as a NumPy scalar
        gx = None
        if need_x:
            gx = g.copy()
            gx[ctx.key] = 0
        gvalue = None
        if need_value:
            gvalue = g[ctx.key]
            if gvalue.ndim < ctx.value_ndim:  # the value's leading dimensions of size 1
                gvalue = gvalue.reshape((1,) * (ctx.value_ndim - gvalue.ndim) + gvalue.shape)
        return gx, gvalue, None


class WriteThrough(Function):
    """y = x with the elements that a view of x shares set to the view's new values: an
    in-place change of the view, carried to x. ``positions`` are the flat indices in x of
    the view's elements."""

    formula = "dx = g with the view's elements zeroed;  dview = g at the view's elements"

    @staticmethod
    def forward(ctx: Function, x: Any, view: Any, positions: Any) -> Any:
        ctx.positions = positions
        y = x.copy()
        y.reshape(-1)[positions] = view
        return y

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, Any, None]:
        g = xp_of(g).asarray(g)  # an array, even where the gradient came as a NumPy scalar
        gx = None
        if ctx.needs_input_grad[0]:
            gx = g.copy()
            gx.reshape(-1)[ctx.positions] = 0
        return gx, g.reshape(-1)[ctx.positions], None


class View(Function):
    """y = the elements of x at flat indices ``positions``, in their shape: a view of x, made
    again once x changed through it. ``before``, the view as it was, takes no gradient: it
    is there for the ops that used it then (see ``function.version_at``)."""

    formula = "dx = g at the view's elements, 0 elsewhere"
    previous_input = 2
    makes_views = True  # its output stands for a view of x (though its forward copies)

    @staticmethod
    def forward(ctx: Function, x: Any, positions: Any, before: Any) -> Any:
        ctx.shape, ctx.positions = x.shape, positions
        return x.reshape(-1)[positions]

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, None, None]:
        gx = xp_of(g).zeros(ctx.shape, g.dtype)
        gx.reshape(-1)[ctx.positions] = g
        return gx, None, None


def check_not_leaf(tensor: Tensor, name: str) -> None:
    """PyTorch's rule: a leaf that requires grad is changed in place only under ``no_grad``."""
    if tensor.requires_grad and tensor._ctx is None and is_grad_enabled():
        raise RuntimeError(
            f"{name}: a leaf Variable that requires grad is being used in an in-place "
            "operation; change it inside `with cr.no_grad():` (as an optimizer step does), or "
            "use the out-of-place op (x = x + y) for a new tensor"
        )


def check_assigned(tensor: Tensor, key: tuple[Any, ...], value: Tensor) -> None:
    """Refuse ``tensor[key] = value`` where PyTorch does: with index tensors in the key, a
    value of another dtype, or one that shares memory with the tensor (a mask with a value
    of one element excepted, as PyTorch fills it); with none, a value that shares part of
    the memory it is written to, unless it broadcasts to it."""
    name = "x[key] = value"
    arrays = [part for part in key if is_array(part)]
    filled = all(part.dtype.kind == "b" for part in arrays) and value.data.size == 1
    if arrays and not filled and value.dtype != tensor.dtype:
        raise RuntimeError(
            f"{name}: with index tensors in the key, the value must have this tensor's dtype, "
            f"{tensor.dtype}, and it is {value.dtype} (Index put requires the source and "
            "destination dtypes match); convert it first with .to(x.dtype)"
        )
    if storage(value.data) is not storage(tensor.data):
        return
    if arrays:
        if not filled:
            _check_no_overlap(tensor.data, value.data, name, same_elements_too=True)
        return
    written_to = tensor.data[key]
    if not is_array(written_to):  # one element: as a 0-d view
        written_to = tensor.data[(*key, ...)]
    source = value.data
    if source.ndim == 0:
        return  # PyTorch fills the elements with it, without comparing
    if source.shape != written_to.shape:
        try:
            source = xp_of(source).broadcast_to(assignable(source), written_to.shape)
        except ValueError:
            return  # the assignment itself refuses the shapes
    _check_no_overlap(written_to, source, name)


def _check_no_overlap(
    target: Any, operand: Any, name: str, same_elements_too: bool = False
) -> None:
    """Refuse, as PyTorch does, an operand that shares some but not all of the memory an
    in-place op writes (``x += x[0]``): some of its elements would be read after they were
    written; with ``same_elements_too``, one that shares any. As in PyTorch, only arrays
    whose elements fill a block of memory are compared."""
    if storage(operand) is not storage(target):
        return
    if operand is target and not same_elements_too:
        return
    if not (target.size and operand.size and _dense(target) and _dense(operand)):
        return
    start, other = _start(target), _start(operand)
    end, other_end = start + target.nbytes, other + operand.nbytes
    same = start == other and end == other_end and target.strides == operand.strides
    if (same and not same_elements_too) or not (start < other_end and other < end):
        return
    raise RuntimeError(
        f"{name}: some elements of the other operand and of this tensor refer to a single "
        "memory location (unsupported operation); change a .clone() of the operand instead"
    )


def _dense(array: Any) -> bool:
    """Whether ``array``'s elements fill a block of memory, in some order of its dimensions."""
    step = array.itemsize
    dims = zip(array.strides, array.shape, strict=True)
    for stride, size in sorted((stride, size) for stride, size in dims if size != 1):
        if stride != step:
            return False
        step *= size
    return True


def check_not_a_view_made_under_no_grad(tensor: Tensor, name: str) -> None:
    """PyTorch's rule: with gradients enabled, a view made under ``no_grad`` of a tensor that
    requires grad may not be changed in place (whether the change belongs to the graph is
    ambiguous)."""
    if not is_grad_enabled():
        return
    entry = view_source(tensor)
    while entry is not None:
        source, grad_enabled = entry
        if not grad_enabled and source.requires_grad:
            raise RuntimeError(_NO_GRAD_VIEW.format(name=name))
        entry = view_source(source)


_NO_GRAD_VIEW = (
    "{name}: a view was created in no_grad mode and is being modified in place with grad "
    "mode enabled, which is ambiguous; make the view and change it both inside the no_grad "
    "block (not recorded) or both outside it (recorded)"
)


def written(tensor: Tensor) -> Tensor:
    """Count a write to ``tensor``'s data that the graph does not record; return ``tensor``."""
    record_write(tensor.data, next(clock), recorded=False)
    return tensor


def change_in_place(
    tensor: Tensor,
    name: str,
    compute: Callable[[Tensor], Tensor],
    any_dtype: bool = False,
    operand: Any = None,
) -> Tensor:
    """Replace ``tensor``'s values by ``compute(tensor)``, the out-of-place op, where they lie.

    The result keeps ``tensor``'s shape and dtype: it may not broadcast ``tensor`` to a
    larger shape, and, unless ``any_dtype`` (copies and assignments convert, as in
    PyTorch), its dtype may not be of a higher kind (float into int, complex into float).
    ``operand``, the other tensor the op reads, may not share only part of ``tensor``'s
    memory. Returns ``tensor``, as PyTorch's in-place methods do.
    """
    check_not_leaf(tensor, name)
    check_not_a_view_made_under_no_grad(tensor, name)
    if isinstance(operand, Tensor):
        _check_no_overlap(tensor.data, operand.data, name)
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
    if node is None or not is_floating(tensor.dtype):  # an integer tensor never needs a gradient
        tensor.data[...] = result.data
        return written(tensor)
    views = _views_to_base(tensor, name)
    if any(t is tensor for t in node.inputs):  # an operand that is the tensor itself (x *= x)
        node.inputs = tuple(previous if t is tensor else t for t in node.inputs)
    base = views.pop()
    _keep_saved_values(node, tensor, result, base is tensor, operand)
    tensor.data[...] = result.data
    if base is tensor:
        record_write(tensor.data, node.sequence, recorded=True)
        _becomes_output(tensor, node)
    else:
        positions = _positions(tensor.data, base.data)
        before = Tensor._from_op(base.data, base._ctx)
        through = WriteThrough.apply(before, result, xp_of(base.data).asarray(positions))._ctx
        record_write(base.data, through.sequence, recorded=True)
        _becomes_output(base, through)
        if any(saved is result.data for saved in node.saved_tensors):
            borrow_versions(result.data, base.data, after=through.sequence)
    _remake_views(base, views + _views_made_without_graph(base))
    return tensor


def _remake_views(base: Tensor, views: list[Tensor]) -> None:
    """Make each of ``views`` a ``View`` of ``base``, just changed in place in the graph."""
    remade: set[int] = set()
    for view in views:
        if id(view) in remade:
            continue
        remade.add(id(view))
        positions = xp_of(base.data).asarray(_positions(view.data, base.data))
        before = Tensor._from_op(view.data, view._ctx)
        before.requires_grad = False  # View passes it no gradient
        _becomes_output(view, View.apply(base, positions, before)._ctx)
        forget_view(view)


def _views_made_without_graph(base: Tensor) -> list[Tensor]:
    """The live views of ``base`` (or of views of it) made without the graph, while gradients
    were enabled. Those made under ``no_grad`` are left as they are, without a gradient."""
    found = []
    for view in views_of(base.data):
        source = view
        while (entry := view_source(source)) is not None and entry[1]:
            source = entry[0]
        if source is base:
            found.append(view)
    return found


def _becomes_output(tensor: Tensor, node: Function) -> None:
    """Make ``tensor`` the output of ``node``, keeping ``.grad`` if it was retained."""
    if tensor._ctx is not None and tensor._ctx.retained is tensor:
        tensor._ctx.retained, node.retained = None, tensor
    tensor._ctx = node
    tensor.requires_grad = True


def _keep_saved_values(
    node: Function, tensor: Tensor, result: Tensor, guard_output: bool, operand: Any
) -> None:
    """Make what ``node`` saved survive the write of ``result`` into ``tensor``'s data, as
    PyTorch's in-place ops do.

    An array that shares ``tensor``'s memory (the previous value, for ``mul_``) is copied
    first, as PyTorch keeps the previous value; a copy of it in another dtype, which the op
    computed with, stops borrowing ``tensor``'s versions. If the other operand shares the
    memory too (``y.mul_(y)``), PyTorch's op saved that operand, which the write then
    changes, so its backward refuses: the copy is counted as changed since, to the same
    effect. With ``guard_output``, the result itself is saved as ``tensor``'s data, so that
    a later in-place change of ``tensor`` is caught by the version check; a change through
    a view keeps it apart instead (the view's base records the write), and it borrows the
    base's versions.
    """
    owner = storage(tensor.data)
    shared = isinstance(operand, Tensor) and storage(operand.data) is owner

    def kept(saved: Any) -> Any:
        if saved is result.data:
            return tensor.data if guard_output and saved.dtype == tensor.dtype else saved
        if not is_array(saved):
            return saved
        original = lender(saved)
        if original is not None and storage(original) is owner:
            stop_borrowing(saved)  # a converted copy of the previous value, kept as it is
            return saved
        if storage(saved) is owner:
            copy = saved.copy()
            if shared:
                record_write(copy, next(clock), recorded=False)
            return copy
        return saved

    if node.saved_tensors:
        node.saved_tensors = tuple(kept(saved) for saved in node.saved_tensors)


def view_when_used(tensor: Tensor, sequence: float) -> Tensor | None:
    """``tensor`` as the node numbered ``sequence`` used it, when ``tensor`` is a view, in the
    graph, of a tensor that was changed in place after the view was made and before that
    node: a ``View`` of the changed tensor, placed just before the node. None when
    ``tensor`` is no such view, or when the change came through a detached alias, which
    PyTorch's graph does not see either."""
    views, _ = _view_chain(tensor)
    if len(views) == 1:
        return None
    base = version_at(views[-1], sequence)
    if base is version_at(views[-1], tensor._ctx.sequence):  # not changed in the graph since
        return None
    with enable_grad():  # backward may run under no_grad
        view = View.apply(base, xp_of(base.data).asarray(_positions(tensor.data, base.data)), None)
    view._ctx.sequence = sequence - 0.5  # after the base's maker, before the node
    return view


def _views_to_base(tensor: Tensor, name: str) -> list[Tensor]:
    """``tensor``, the tensors it is a view of, and last the one whose data they all view:
    ``[tensor]`` alone when it is no view. Refuses, as PyTorch does, a view of a leaf that
    requires grad and a view made under ``no_grad``."""
    views, end = _view_chain(tensor)
    if end._ctx is None:
        if end.requires_grad and len(views) > 1:
            raise RuntimeError(
                f"{name}: a view of a leaf Variable that requires grad is being used in an "
                "in-place operation; change it inside `with cr.no_grad():`, or change a "
                ".clone()"
            )
        if view_source(end) is not None:
            raise RuntimeError(_NO_GRAD_VIEW.format(name=name))
    return views


def _view_chain(tensor: Tensor) -> tuple[list[Tensor], Tensor]:
    """``tensor`` and the tensors it is a view of (the last is the one whose data they all
    view), and the tensor where the walk ended.

    The walk follows the inputs that share ``tensor``'s memory back through view ops and
    in-place changes in the graph, and views made without the graph while gradients were
    enabled (``versions.record_view``); it ends at a node whose output is fresh data (or a
    graph already freed), or at a leaf.
    """
    owner = storage(tensor.data)
    views = [tensor]
    current = tensor
    while True:
        node = current._ctx
        if node is None:
            entry = view_source(current)
            if entry is None or not entry[1]:
                return views, current
            current = entry[0]
            views.append(current)
            continue
        if node.inputs is None:  # a graph already freed
            return views, current
        source = node.viewed
        if source is None:
            source = next(
                (t for t in node.inputs if isinstance(t, Tensor) and storage(t.data) is owner),
                None,
            )
        if source is None:  # fresh data
            return views, current
        if source.data is not current.data:  # a view, not a change in place
            views.append(source)
        current = source


def _positions(view: Any, base: Any) -> np.ndarray:
    """For each element of ``view``, the flat index in ``base`` of the element that shares
    its memory: where a change of the view lands in the base."""
    base_at = _addresses(base).reshape(-1)
    view_at = _addresses(view)
    order = np.argsort(base_at)
    positions = order[np.searchsorted(base_at, view_at, sorter=order).clip(0, base_at.size - 1)]
    if not np.array_equal(base_at[positions], view_at):
        raise RuntimeError(
            "an in-place change of a view cannot be carried to the tensor it views: some of "
            "its elements lie outside that tensor; change a .clone() of the view instead"
        )
    return positions


def _start(array: Any) -> int:
    """The memory address of ``array``'s first element."""
    return array.data.ptr if is_gpu_array(array) else array.__array_interface__["data"][0]


def _addresses(array: Any) -> np.ndarray:
    """The memory address of each element of ``array``, in its shape."""
    start = _start(array)
    steps = np.indices(array.shape, dtype=np.int64, sparse=True)
    offset = sum((i * step for i, step in zip(steps, array.strides, strict=True)), np.int64(0))
    return np.broadcast_to(start + offset, array.shape)
