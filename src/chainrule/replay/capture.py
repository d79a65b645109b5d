"""The capture: while a compiled function runs eagerly for the first time, the engine,
modules and optimizers report what they do to a ``Recorder`` (``function.Capture``), which
keeps it as events over values: the ops of forward, the nodes of the backward walk,
``zero_grad`` and optimizer steps. Anything a replay could not repeat faithfully stops the
capture with the reason (``reason``); the call itself always finishes eagerly.
"""

from __future__ import annotations

import sys
import weakref
from dataclasses import dataclass, field
from typing import Any

from .._backend import is_array
from ..function import Capture, Function
from ..nn.module import Module
from ..tensor import Tensor
from .state import Tracked


class Value:
    """An array the captured call computes with: an argument's data (``arg``), an op's
    result (``op``), the data of a tensor from outside the call (``external``: a parameter,
    say), or an array from outside (``constant``). ``name`` is its name in the replay."""

    __slots__ = ("array", "dtype", "index", "kind", "name", "op", "shape", "tensors")

    def __init__(self, kind: str, array: Any, index: int = -1, op: OpEvent | None = None):
        self.kind = kind
        self.array = array
        self.shape = array.shape
        self.dtype = array.dtype
        self.index = index
        self.op = op
        self.tensors: list[weakref.ref[Tensor]] = []
        self.name = ""

    def tensor(self) -> Tensor | None:
        """The live tensor (of those met) whose data this is, preferring one that needs a
        gradient (a parameter over a detached alias of it)."""
        alive = [t for t in (ref() for ref in self.tensors) if t is not None]
        for t in alive:
            if t.requires_grad:
                return t
        return alive[0] if alive else None


@dataclass(eq=False)
class OpEvent:
    """One ``Function.apply``: the op, its arguments (Values, or Python values as given),
    which inputs need a gradient, and its result."""

    cls: type[Function]
    args: list[Any]
    needs: tuple[bool, ...]
    out: Value
    recorded: bool
    saved: dict[str, Any] = field(default_factory=dict)


@dataclass(eq=False)
class Leaf:
    """A tensor with no op behind it that receives a gradient: a parameter (``tensor``), or
    argument ``argument`` of the call."""

    tensor: Tensor | None
    argument: int = -1


@dataclass(eq=False)
class NodeEvent:
    """One node of the backward walk: its op, the shape and dtype of each gradient its
    backward returned (None where it returned none) and whether as a Tensor, and where
    each input's gradient goes (the op that made the input, a ``Leaf``, or None)."""

    op: OpEvent
    grads: list[tuple[tuple[int, ...], Any] | None]
    as_tensors: list[bool]
    targets: list[OpEvent | Leaf | None]


@dataclass(eq=False)
class BackwardEvent:
    """``backward()`` of the result of ``root``, seeded with ones."""

    root: OpEvent
    nodes: list[NodeEvent] = field(default_factory=list)


@dataclass(eq=False)
class EffectEvent:
    """An effect queued after ``backward()`` (``function.queue_after_backward``), called with
    the gradients of ``tensors``: ``DistributedDataParallel``'s allreduce."""

    effect: Any
    tensors: list[Tensor]


@dataclass(eq=False)
class ZeroGradEvent:
    params: list[Tensor]
    set_to_none: bool


@dataclass(eq=False)
class StepEvent:
    """``optimizer.step()``: for each parameter group, which of its parameters had a
    gradient; and whether each of those had the state its update reads."""

    optimizer: Any
    with_grad: list[list[bool]]
    ready: bool


def replay_form(cls: type) -> str | None:
    """How ``cls`` is replayed: "emit" (it writes its own NumPy calls, ``replay_forward`` and
    ``replay_backward``), "call" (its forward and backward are called as they are), or None
    (it cannot be). Only a class's own declaration counts, never an inherited one: a
    subclass that changes forward must say again how it is replayed."""
    own = vars(cls)
    if "replay_forward" in own:
        return "emit"
    if own.get("replay_by_call"):
        return "call"
    return None


class Recorder:
    """Receives a captured call's events; ``arguments`` are the call's tensor arguments by
    position (None for other arguments)."""

    def __init__(self, arguments: list[Tensor | None], optimizer_forms: dict[type, Any]) -> None:
        self.reason: str | None = None
        self.events: list[Any] = []
        self.values: dict[int, Value] = {}
        self.externals: list[Value] = []
        self.by_sequence: dict[int, OpEvent] = {}
        self.leaves: dict[int, Leaf] = {}
        self.backward_event: BackwardEvent | None = None
        self.modules: list[weakref.ref[Module]] = []
        self.tracked = Tracked()
        self.optimizer_forms = optimizer_forms
        self.arguments = arguments
        for index, tensor in enumerate(arguments):
            if tensor is not None:
                self.tracked.tensor(tensor, f"argument {index}")
                if id(tensor.data) not in self.values:
                    self.values[id(tensor.data)] = Value("arg", tensor.data, index)

    def fail(self, reason: str) -> None:
        """Stop capturing: the call goes on eagerly, and the function will stay eager."""
        if self.reason is None:
            self.reason = reason
        if Capture.recorder is self:
            Capture.recorder = None

    # ------------------------------------------------------------------ what is reported
    def op(self, cls: type[Function], ctx: Function | None, args: tuple[Any, ...], result: Tensor):
        if replay_form(cls) is None:
            self.fail(
                f"the op {cls.__name__} has no replay form (write replay_forward and "
                "replay_backward for it, or set replay_by_call = True if its forward and "
                "backward are pure functions of their arguments)"
            )
            return
        refs = [self._ref(a) for a in args]
        if self.reason is not None:
            return
        needs = ctx.needs_input_grad if ctx is not None else (False,) * len(args)
        out = Value("op", result.data)
        event = OpEvent(cls, refs, needs, out, ctx is not None)
        out.op = event
        self.values[id(result.data)] = out
        if ctx is not None:
            self.by_sequence[ctx.sequence] = event
        self.events.append(event)

    def _ref(self, arg: Any) -> Any:
        """An op argument as the replay sees it: the Value of an array (met before, or new:
        a tensor or array from outside the call), or a Python value as it is."""
        if type(arg) is tuple and any(isinstance(a, Tensor) or is_array(a) for a in arg):
            return tuple(self._ref(a) for a in arg)  # an index with index arrays in it
        tensor = arg if isinstance(arg, Tensor) else None
        array = arg.data if tensor is not None else arg
        if not is_array(array):
            return arg
        value = self.values.get(id(array))
        if value is None or value.array is not array:
            value = Value("external" if tensor is not None else "constant", array)
            self.values[id(array)] = value
            self.externals.append(value)
        if tensor is not None and value.kind in ("external", "constant"):
            value.kind = "external"
            if not any(ref() is tensor for ref in value.tensors):
                value.tensors.append(weakref.ref(tensor))
                self.tracked.tensor(tensor, f"a tensor of shape {tuple(array.shape)}")
        elif value.kind == "constant":
            self.tracked.array(array, f"an array of shape {tuple(array.shape)}")
        return value

    def backward(self, root: Tensor, grad: Any, retain_graph: bool) -> None:
        if retain_graph:
            self.fail("backward(retain_graph=True) keeps a graph between calls")
            return
        event = None if root._ctx is None else self.by_sequence.get(root._ctx.sequence)
        if event is None or event.out.array is not root.data:
            self.fail("backward() of a tensor that no op of the function made")
            return
        if grad.shape != root.data.shape or not bool((grad == 1).all()):
            self.fail("backward() with a gradient other than ones")
            return
        self.backward_event = BackwardEvent(event)
        self.events.append(self.backward_event)

    def node(self, node: Function, input_grads: tuple[Any, ...]) -> None:
        if self.reason is not None:
            return
        if node.retained is not None:
            self.fail("retain_grad() (a hook on a gradient) inside the function")
            return
        event = self.by_sequence.get(node.sequence)
        if event is None:
            self.fail("backward() reaches a graph built outside the function")
            return
        grads: list[tuple[tuple[int, ...], Any] | None] = []
        as_tensors = []
        for g in input_grads:
            as_tensors.append(isinstance(g, Tensor))
            g = g.data if isinstance(g, Tensor) else g
            grads.append(None if g is None else (tuple(g.shape), g.dtype))
        targets: list[OpEvent | Leaf | None] = []
        for tensor, need in zip(node.inputs, node.needs_input_grad, strict=False):
            if not need:
                targets.append(None)
            elif tensor._ctx is not None:
                producer = self.by_sequence.get(tensor._ctx.sequence)
                if producer is None or producer.out.array is not tensor.data:
                    self.fail("backward() reaches a graph built outside the function")
                    return
                targets.append(producer)
            else:
                targets.append(self._leaf(tensor))
        self.backward_event.nodes.append(NodeEvent(event, grads, as_tensors, targets))

    def _leaf(self, tensor: Tensor) -> Leaf:
        leaf = self.leaves.get(id(tensor))
        if leaf is None:
            index = next((i for i, a in enumerate(self.arguments) if a is tensor), -1)
            leaf = self.leaves[id(tensor)] = Leaf(None if index >= 0 else tensor, index)
            self.tracked.tensor(tensor, f"a tensor of shape {tuple(tensor.shape)}")
        return leaf

    def after_backward(self, effect: Any, tensors: list[Tensor]) -> None:
        for tensor in tensors:
            self._leaf(tensor)
        self.events.append(EffectEvent(effect, tensors))

    def module(self, module: Module) -> None:
        if all(ref() is not module for ref in self.modules):
            self.modules.append(weakref.ref(module))
            for name, buffer in module.named_buffers():
                self.tracked.array(buffer.data, f"buffer {name} of {type(module).__name__}")

    def zero_grad(self, params: list[Tensor], set_to_none: bool) -> None:
        for p in params:
            self._leaf(p)
        self.events.append(ZeroGradEvent(params, set_to_none))

    def step(self, optimizer: Any, closure: Any) -> Any:
        """Record the step, then take it eagerly (with nothing recording)."""
        if closure is not None:
            self.fail("optimizer.step(closure) calls back into Python")
        elif type(optimizer) not in self.optimizer_forms:
            self.fail(f"the optimizer {type(optimizer).__name__} has no replay form")
        else:
            with_grad = [[p.grad is not None for p in g["params"]] for g in optimizer.param_groups]
            for group in optimizer.param_groups:
                for p in group["params"]:
                    self._leaf(p)
            self.tracked.optimizer(optimizer)
            ready = self.optimizer_forms[type(optimizer)].ready(optimizer)
            self.events.append(StepEvent(optimizer, with_grad, ready))
        Capture.recorder = None
        try:
            return optimizer.step(closure)
        finally:
            if self.reason is None:
                Capture.recorder = self

    def read(self, what: str) -> None:
        self.fail(
            f"the function reads a tensor's value ({what}), so the work may depend on it; "
            "return the tensor and read it outside"
        )

    # ------------------------------------------------------------------ after the call
    def finish(self, result: Any) -> None:
        """Check what only the end of the call can show: arrays made inside the function
        that ops used without making them, tensors whose data was swapped, a returned
        tensor whose graph lives on."""
        if self.reason is not None:
            return
        for value in self.externals:
            # An array that nothing holds but this Value (and a tensor that has died) was
            # made inside the call; getrefcount counts its own argument too.
            held = 3 if id(value.array) in self.tracked.arrays else 2
            if value.tensor() is None and sys.getrefcount(value.array) <= held:
                self.fail(
                    f"an array of shape {tuple(value.shape)} made inside the function outside "
                    "chainrule's ops (cr.tensor(...), a comparison, F.one_hot, work on .data) "
                    "would be frozen at its first value; make it outside the function"
                )
                return
            tensor = value.tensor()
            if tensor is not None and tensor.data is not value.array:
                self.fail("the function sets a tensor's .data; replace its values in place")
                return
        for leaf in self.leaves.values():
            if leaf.tensor is not None and leaf.tensor.data is not self._data_of(leaf.tensor):
                self.fail("the function sets a parameter's .data; replace its values in place")
                return
        for tensor in _tensors_in(result):
            value = self.values.get(id(tensor.data))
            if value is None or value.array is not tensor.data:
                self.fail("the function returns a tensor that no op of it made")
                return
            if tensor._ctx is not None and tensor._ctx.inputs is not None:
                self.fail(
                    "the function returns a tensor whose graph is still alive; compile the "
                    "whole step (forward, backward and the optimizer's step) instead"
                )
                return

    def _data_of(self, tensor: Tensor) -> Any:
        value = next((v for v in self.externals if any(ref() is tensor for ref in v.tensors)), None)
        return tensor.data if value is None else value.array

    def live_modules(self) -> list[Module]:
        """Every module the call ran (and each module inside them), once, in order."""
        seen: dict[int, Module] = {}
        for ref in self.modules:
            module = ref()
            if module is not None:
                for inner in module.modules():
                    seen.setdefault(id(inner), inner)
        return list(seen.values())


def _tensors_in(result: Any) -> list[Tensor]:
    if isinstance(result, Tensor):
        return [result]
    if isinstance(result, tuple | list):
        return [t for item in result for t in _tensors_in(item)]
    return []
