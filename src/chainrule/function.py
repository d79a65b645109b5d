"""``Function``, the unit of differentiation, and the reverse-mode walk over a graph of them.

An op is a subclass of ``Function`` with two static methods on raw arrays: ``forward``
computes the result and saves what the derivative needs; ``backward`` turns the gradient
of the result into gradients of the inputs (the op's local derivative times the incoming
gradient, i.e. one link of the chain rule). ``Function.apply`` runs ``forward`` and, when a
gradient will be wanted, records the call as a node of the graph: the instance itself is
the ``ctx`` both methods receive.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from operator import attrgetter
from typing import Any

import numpy as np

from . import _backend
from ._backend import DeviceError, as_array, device_of, is_array, xp_of
from .versions import Last, changed_since, clock, record_view, recorded_between


class _GradMode:
    """Whether ops record the graph; switched by ``no_grad`` and ``enable_grad``."""

    enabled = True


@contextmanager
def no_grad() -> Iterator[None]:
    """Run the block without recording a graph: results need no gradient and cost no memory."""
    previous, _GradMode.enabled = _GradMode.enabled, False
    try:
        yield
    finally:
        _GradMode.enabled = previous


@contextmanager
def enable_grad() -> Iterator[None]:
    """Record the graph inside the block, even within ``no_grad``."""
    previous, _GradMode.enabled = _GradMode.enabled, True
    try:
        yield
    finally:
        _GradMode.enabled = previous


def is_grad_enabled() -> bool:
    """Whether ops record the graph right now."""
    return _GradMode.enabled


class AnomalyMode:
    """Whether every op's output and every gradient is checked for NaN and inf."""

    enabled = False


class Capture:
    """The recorder of ``cr.compile`` while it captures a call, else None: ops, the backward
    walk, modules, ``zero_grad`` and optimizer steps tell it what they do (``chainrule.compile``
    says what it does with it)."""

    recorder: Any = None


class _AfterBackward:
    """Effects queued by the backward walk in progress (``queued``; None outside a walk), run
    once it has finished, and what ``cr.compile`` asks of them: to keep copies of the
    gradients they leave (``keeping``), or, in a step run a second time only to be compared,
    to write those copies instead of running again (``rehearsing``), so that an effect that
    talks to other processes runs once per step."""

    queued: list[tuple[Any, list[Any]]] | None = None
    keeping = False
    rehearsing = False
    kept: dict[int, list[Any]] = {}  # noqa: RUF012 (one record for the process)


def queue_after_backward(effect: Any, tensors: list[Any]) -> None:
    """From an op's ``backward``: once the walk in progress has finished, call
    ``effect(grads)`` with the gradient arrays of ``tensors`` (None for one without), which it
    may change in place: ``DistributedDataParallel`` averages them across processes there.
    ``cr.compile`` records the call and replays it at the same point of the step."""
    if _AfterBackward.queued is None:
        raise RuntimeError("queue_after_backward is for an op's backward, during backward()")
    _AfterBackward.queued.append((effect, tensors))


def run_after_backward(effect: Any, grads: list[Any]) -> None:
    """Run a queued effect on ``grads`` (or, rehearsing, write what it wrote when kept)."""
    effects = _AfterBackward
    if effects.rehearsing:
        for g, kept in zip(grads, effects.kept[id(effect)], strict=True):
            if g is not None:
                g[...] = kept
        return
    effect(grads)
    if effects.keeping or Capture.recorder is not None:
        effects.kept[id(effect)] = [None if g is None else g.copy() for g in grads]


@contextmanager
def effects_mode(keeping: bool = False, rehearsing: bool = False) -> Iterator[None]:
    """``cr.compile``'s switch for the effects after backward (see ``_AfterBackward``)."""
    effects = _AfterBackward
    before = effects.keeping, effects.rehearsing
    effects.keeping, effects.rehearsing = keeping, rehearsing
    try:
        yield
    finally:
        effects.keeping, effects.rehearsing = before
        if rehearsing:  # what was kept has served
            effects.kept.clear()


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Inside the block, the first op whose forward or backward produces NaN or inf raises a
    ``FloatingPointError`` that names it; slower, for finding where a loss went NaN."""
    previous, AnomalyMode.enabled = AnomalyMode.enabled, True
    try:
        yield
    finally:
        AnomalyMode.enabled = previous


def _finite(array: Any) -> bool:
    dtype = getattr(array, "dtype", None)
    if dtype is None or dtype.kind not in "fc":
        return True
    return bool(xp_of(array).isfinite(array).all())


def check_forward(op: type, out: Any, arrays: list[Any]) -> None:
    """Raise a ``FloatingPointError`` naming ``op`` if its output ``out`` holds NaN or inf."""
    if _finite(out):
        return
    cause = (
        "its inputs were finite"
        if all(_finite(a) for a in arrays)
        else "an input already held NaN or inf"
    )
    raise FloatingPointError(
        f"{op.__name__} forward produced NaN or inf (output of shape {out.shape}); {cause}"
    )


def check_backward(op: type, upstream: Any, input_grads: tuple[Any, ...]) -> None:
    """Raise a ``FloatingPointError`` naming ``op`` if a gradient it returned holds NaN or inf."""
    for index, g in enumerate(input_grads):
        if isinstance(g, Tensor):
            g = g.data
        if g is not None and not _finite(g):
            cause = (
                "the gradient it received was finite"
                if _finite(upstream)
                else "the gradient it received already held NaN or inf"
            )
            raise FloatingPointError(
                f"{op.__name__} backward produced NaN or inf in the gradient of its "
                f"input {index} (shape {g.shape}); {cause}"
            )


def _explained(op: type, error: Exception, arrays: list[Any]) -> Exception:
    """``error`` from an op's forward, restated with the op's name and its inputs' shapes."""
    shapes = " and ".join(str(a.shape) for a in arrays if is_array(a))
    try:
        return type(error)(f"{op.__name__} on inputs of shape {shapes}: {error}")
    except Exception:  # an exception type that cannot be rebuilt from a message
        return error


def check_one_device(op_name: str, arrays: list[Any]) -> None:
    """Raise a ``DeviceError`` naming both devices if ``arrays`` do not all live on one."""
    if _backend._cupy is None:  # without CuPy, every array is a NumPy array on the CPU
        return
    gpu_array = _backend._cupy.ndarray
    on_gpu = [a for a in arrays if isinstance(a, gpu_array)]
    if not on_gpu:  # a CPU op, on a machine that has a GPU: nothing to compare
        return
    gpus = {a.device.id for a in on_gpu}
    if len(gpus) > 1 or any(isinstance(a, np.ndarray) for a in arrays):
        devices = {device_of(a) for a in arrays if is_array(a)}
        first, second = sorted(devices, key=str)[:2]
        raise DeviceError(
            f"{op_name} got tensors on different devices, {first} and {second}; "
            "move them to one device with .to(device) first"
        )


class _Unrecorded:
    """The ``ctx`` of a call that records no graph: whatever forward saves is dropped."""

    needs_input_grad = ()
    saved_tensors = ()

    def save_for_backward(self, *arrays: Any) -> None:
        pass

    def __setattr__(self, name: str, value: Any) -> None:
        pass


_UNRECORDED = _Unrecorded()
_by_sequence = attrgetter("sequence")
_new = object.__new__


class Function:
    """Base class of every differentiable op.

    Subclasses write ``forward(ctx, *args)`` and ``backward(ctx, grad)`` as static methods on
    arrays. ``backward`` returns one gradient per argument of ``forward`` (``None`` for
    arguments that are not tensors or need no gradient), each either at the argument's
    shape or at a shape that broadcasts to it: the engine sums broadcast dimensions away.
    ``formula`` says in one line what ``backward`` computes, for ``chainrule.explain``.
    """

    formula = ""
    replay_by_call = False  # whether cr.compile may replay the op by calling its forward and
    # backward as they are (pure functions of their arguments and of what ctx keeps); an op
    # that writes its own replay has replay_forward and replay_backward (chainrule.replay)
    retained: Tensor | None = None  # the output whose .grad backward should keep
    previous_input = 0  # for a node that an in-place change made: its input that was the
    # tensor before the change (see ``version_at``)
    makes_views = False  # whether the output may be a view of the first input's data
    viewed: Tensor | None = None  # that input itself, once rewired to an earlier version of it

    inputs: tuple[Any, ...]
    needs_input_grad: tuple[bool, ...]
    saved_tensors: tuple[Any, ...] = ()
    sequence: int

    @staticmethod
    def forward(ctx: Function, *args: Any) -> Any:
        raise NotImplementedError("a Function subclass must define forward(ctx, *args)")

    @staticmethod
    def backward(ctx: Function, grad: Any) -> Any:
        raise NotImplementedError("a Function subclass must define backward(ctx, grad)")

    def save_for_backward(self, *arrays: Any) -> None:
        """Keep arrays for ``backward``; they come back as ``ctx.saved_tensors``."""
        self.saved_tensors = arrays

    @classmethod
    def apply(cls, *args: Any) -> Tensor:
        """Run the op on ``args`` (tensors, arrays or Python values) and return a Tensor.

        The call joins the graph only when gradients are enabled and some argument is a
        tensor that requires one; otherwise nothing is kept alive.
        """
        # One pass over the arguments: this is the hottest path of the library.
        arrays = []
        needs = []
        for a in args:
            if isinstance(a, Tensor):
                arrays.append(a.data)
                needs.append(a.requires_grad)
            else:
                arrays.append(a)
                needs.append(False)
        if _backend._cupy is not None:
            check_one_device(cls.__name__, arrays)
        recorded = True in needs and _GradMode.enabled
        if recorded:
            ctx = _new(cls)
            ctx.inputs = args
            ctx.needs_input_grad = tuple(needs)
            ctx.sequence = next(clock)
        else:
            ctx = _UNRECORDED
        try:
            out = cls.forward(ctx, *arrays)
        except (ValueError, TypeError, IndexError) as error:
            raise _explained(cls, error, arrays) from error
        if AnomalyMode.enabled:
            check_forward(cls, out, arrays)
        if not recorded:
            result = wrap(out)
            if cls.makes_views and isinstance(args[0], Tensor):
                # An in-place change of either, recorded later, reaches the other.
                record_view(result, args[0], _GradMode.enabled)
        else:
            if type(out) is not np.ndarray:
                out = _as_saved_output(ctx, out)
            result = _new(Tensor)  # Tensor._from_op(out, ctx), written out: one call fewer
            result.data = out
            result.grad = None
            result._ctx = ctx
            result.requires_grad = True
        if Capture.recorder is not None:
            Capture.recorder.op(cls, ctx if recorded else None, args, result)
        return result

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


def _as_saved_output(ctx: Function, out: Any) -> Any:
    """``out`` as an array, also among the arrays ``ctx`` saved: NumPy turns a 0-d result into
    a scalar, which the version check could not follow once the output changes in place."""
    array = as_array(out)
    if array is not out and ctx.saved_tensors:
        ctx.saved_tensors = tuple(array if saved is out else saved for saved in ctx.saved_tensors)
    return array


def _sum_to(grad: np.ndarray, shape: tuple[int, ...], node: Function) -> np.ndarray:
    """Undo broadcasting: sum ``grad`` over the dimensions that were broadcast to reach it."""
    lead = grad.ndim - len(shape)
    if lead < 0 or any(size not in (1, grad.shape[lead + i]) for i, size in enumerate(shape)):
        raise RuntimeError(
            f"{type(node).__name__}.backward returned a gradient of shape {grad.shape} for an "
            f"input of shape {shape}; it must have the input's shape or broadcast from it"
        )
    axes = tuple(range(lead)) + tuple(
        lead + i for i, size in enumerate(shape) if size == 1 and grad.shape[lead + i] != 1
    )
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


_FREED = (
    "this graph was already freed by an earlier backward(); "
    "pass retain_graph=True to the first backward() to run a second one"
)


def version_at(tensor: Tensor, sequence: float) -> Tensor:
    """``tensor`` as it was when the node numbered ``sequence`` was recorded.

    Each recorded in-place change made ``tensor`` the output of a newer node, one of whose
    inputs (``previous_input``) is the tensor's previous version.
    """
    used = tensor
    while used._ctx is not None and used._ctx.sequence > sequence:
        if used._ctx.inputs is None:
            raise RuntimeError(_FREED)
        used = used._ctx.inputs[used._ctx.previous_input]
    return used


def _producer_for(node: Function, tensor: Tensor, producer: Function) -> Function:
    """The node that made ``tensor`` as ``node`` used it, with ``node`` rewired to it for good,
    once ``tensor`` became the output of a newer node or an in-place write was recorded
    after ``producer`` (``tensor``'s maker now).

    ``tensor`` itself may have been changed in place since ``node`` used it. Or the tensor
    it is a view of was, before ``node`` used it: ``node`` then used a view of that tensor
    as changed, as in PyTorch. A change through a tensor that shares its data without being
    a view of it in the graph (a detached alias) is not in ``tensor``'s graph, as in
    PyTorch: the gradient flows as if its values had not changed, and only an op that
    saved them refuses (``_check_saved``).
    """
    used = tensor
    if producer.sequence > node.sequence:
        used = version_at(tensor, node.sequence)
        producer = used._ctx
    if recorded_between(used.data, producer.sequence, node.sequence):
        from .ops.inplace import view_when_used  # the in-place machinery, which needs this

        remade = view_when_used(used, node.sequence)
        if remade is not None:
            used, producer = remade, remade._ctx
    if used is not tensor:
        node.inputs = tuple(used if t is tensor else t for t in node.inputs)
        if node.makes_views and node.viewed is None:
            node.viewed = tensor  # for views of it made again later (ops.inplace)
    return producer


def _topological_order(root: Function) -> tuple[list[Function], dict[Tensor, int]]:
    """The nodes reachable from ``root``, each after every node that consumes its output,
    and the leaves they reach, each with the number of edges that bring it a gradient.

    An op's inputs exist before the op is called, so every node was made after the nodes
    that produced its inputs: newest first is a topological order of the reverse graph.
    Each edge is checked on the way: a freed node, or an input whose data another tensor
    changed in place since it was made, is an error here, before any gradient is computed.
    """
    nodes = [root]
    seen = {root}
    leaves: dict[Tensor, int] = {}
    last_recorded_write = Last.recorded
    oldest = root.sequence  # of the nodes found so far, while they are newest first
    ordered = True
    for node in nodes:  # grows while it is walked: a breadth-first search without a queue
        inputs = node.inputs
        if inputs is None:
            raise RuntimeError(_FREED)
        for tensor, need in zip(inputs, node.needs_input_grad, strict=True):
            if need:
                producer = tensor._ctx
                if producer is None:
                    leaves[tensor] = leaves.get(tensor, 0) + 1
                    continue
                made = producer.sequence
                if made <= last_recorded_write or made > node.sequence:  # changed in place since
                    producer = _producer_for(node, tensor, producer)
                if producer not in seen:
                    seen.add(producer)
                    nodes.append(producer)
                    if producer.sequence > oldest:  # found out of order: sort at the end
                        ordered = False
                    else:
                        oldest = producer.sequence
    if not ordered:  # in a chain, as in most graphs, the search finds them in order
        nodes.sort(key=_by_sequence, reverse=True)
    return nodes, leaves


def _check_saved(node: Function) -> None:
    """Raise if an array ``node`` saved for its backward was changed in place since."""
    for array in node.saved_tensors:
        writes = changed_since(array, node.sequence)
        if writes is not None:
            saved = writes.version_at(node.sequence)
            at = "at an earlier version" if saved is None else f"at version {saved}"
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"in-place operation: {type(node).__name__} saved a tensor of shape "
                f"{tuple(array.shape)} {at} and it is now at version {writes.count}; change a "
                ".clone() of it instead, or change it after backward()"
            )


def _own(grad: np.ndarray, upstream: np.ndarray) -> np.ndarray:
    """A gradient safe to store in a leaf's ``.grad``: never a view shared with another tensor."""
    if grad is upstream or grad.base is not None:
        return grad.copy()
    return grad


def _accumulate_leaf(leaf: Tensor, grad: np.ndarray, upstream: np.ndarray) -> None:
    if leaf.grad is None:
        leaf.grad = wrap(_own(grad, upstream))
    else:
        leaf.grad.data = as_array(leaf.grad.data + grad)


def _reach_leaf(
    leaf: Tensor,
    grad: Any,
    upstream: Any,
    edges: dict[Tensor, int],
    held: dict[Tensor, tuple[Any, Any]],
) -> None:
    """Hold ``grad`` (or None) for a leaf that several edges reach, and accumulate the sum in
    its ``.grad`` at the last of them: as PyTorch does, so that a backward that refuses a
    later node leaves that leaf's ``.grad`` as it was."""
    earlier = held.pop(leaf, None)
    if earlier is not None:
        if grad is None:
            grad, upstream = earlier
        else:
            grad, upstream = earlier[0] + grad, None  # a fresh sum, shared with nothing
    left = edges[leaf] - 1
    if left:
        edges[leaf] = left
        if grad is not None:
            held[leaf] = grad, upstream
    elif grad is not None:
        _accumulate_leaf(leaf, grad, upstream)


def backward(root: Tensor, grad: np.ndarray, retain_graph: bool = False) -> None:
    """Propagate ``grad`` (the gradient of something with respect to ``root``) to every leaf.

    Nodes are visited once each in reverse topological order, so a tensor used by several
    ops receives the sum of their gradients before it passes its own on; a leaf's ``.grad``
    changes once every op that used it has run. Unless ``retain_graph``, each node drops its
    saved arrays and edges as soon as it has run. Effects that ops queued during the walk
    (``queue_after_backward``) run once it has finished, in the order queued.
    """
    recorder = Capture.recorder
    if recorder is not None:
        recorder.backward(root, grad, retain_graph)
    outer, _AfterBackward.queued = _AfterBackward.queued, []
    try:
        _walk(root, grad, retain_graph, recorder)
        for effect, tensors in _AfterBackward.queued:
            grads = [None if t.grad is None else t.grad.data for t in tensors]
            if Capture.recorder is not None:
                Capture.recorder.after_backward(effect, tensors)
            run_after_backward(effect, grads)
    finally:
        _AfterBackward.queued = outer


def _walk(root: Tensor, grad: np.ndarray, retain_graph: bool, recorder: Any) -> None:
    """The walk of ``backward``, from ``root`` to the leaves."""
    if root._ctx is None:
        _accumulate_leaf(root, grad, grad)
        return
    made = root._ctx.sequence
    if made < Last.recorded and recorded_between(root.data, made, Last.recorded + 1):
        from .ops.inplace import view_when_used  # the in-place machinery, which needs this

        rebased = view_when_used(root, next(clock))  # root, a view of a tensor changed since
        if rebased is not None:
            root = rebased
    grads: dict[Function, np.ndarray] = {root._ctx: grad}
    check = AnomalyMode.enabled
    last_write = Last.write
    nodes, leaves = _topological_order(root._ctx)
    held: dict[Tensor, tuple[Any, Any]] = {}  # the gradients of leaves not yet complete
    for node in nodes:
        upstream = grads.pop(node)
        if node.retained is not None:
            _accumulate_leaf(node.retained, upstream, upstream)
        if node.sequence < last_write and node.saved_tensors:
            _check_saved(node)
        input_grads = node.backward(node, upstream)
        if type(input_grads) is not tuple:
            input_grads = (input_grads,)
        if check:
            check_backward(type(node), upstream, input_grads)
        if recorder is not None:
            recorder.node(node, input_grads)
        inputs = node.inputs
        if len(input_grads) != len(inputs):
            raise RuntimeError(
                f"{type(node).__name__}.backward returned {len(input_grads)} gradients for "
                f"{len(inputs)} forward arguments; return one per argument (None for "
                "arguments that need none)"
            )
        for tensor, g, need in zip(inputs, input_grads, node.needs_input_grad, strict=True):
            if not need:
                continue
            if g is None:
                if tensor._ctx is None and (held or leaves[tensor] > 1):
                    _reach_leaf(tensor, None, None, leaves, held)
                continue
            if isinstance(g, Tensor):  # as a custom backward written for PyTorch returns it
                g = g.data
            data = tensor.data
            if g.shape != data.shape:
                g = _sum_to(g, data.shape, node)
            if g.dtype is not data.dtype and g.dtype != data.dtype:  # NumPy's dtypes are
                g = g.astype(data.dtype)  # singletons: the first test settles the usual case
            producer = tensor._ctx
            if producer is None:
                if leaves[tensor] != 1 or held:  # a sum to wait for
                    _reach_leaf(tensor, g, upstream, leaves, held)
                elif tensor.grad is None and g is not upstream and g.base is None:
                    tensor.grad = wrap(g)  # _accumulate_leaf's usual case, written out
                else:
                    _accumulate_leaf(tensor, g, upstream)
            elif producer in grads:
                grads[producer] = grads[producer] + g
            else:
                grads[producer] = g
        if not retain_graph:
            node.inputs = None  # type: ignore[assignment]
            node.saved_tensors = ()
            node.retained = None


# Tensor and Function need each other; whichever module is imported first defines its own
# names before importing the other.
from .tensor import Tensor, wrap  # noqa: E402
