"""From a capture's events to the source of its replay.

The forward ops are written by their replay forms, in the order they ran. The backward walk
is written as ``function.backward`` walks it: the nodes in the order the engine visited them,
each gradient summed into its producer's (``a + b``, in that order) or reaching a leaf's
``.grad`` (held while more edges are to come, as ``_reach_leaf`` holds it), so that every sum
is the one eager computes. ``zero_grad`` and the optimizer's step follow in their places.

The gradient of a parameter that an optimizer steps lives in that optimizer's flat gradient
buffer; whether its ``.grad`` is set is followed through the program as eager would find it,
so the replay knows at each point whether to copy a gradient in or add it. Only where the
program reads that state before it sets it does the replay depend on how the call found it;
there it checks, and a capture that leaves it otherwise than it found it (the first step of
all, where no ``.grad`` existed yet) is used for that call only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import as_array, device_of, xp_of
from ..function import AnomalyMode, _GradMode, _sum_to, run_after_backward
from ..tensor import Tensor, wrap
from ..versions import clock, record_write
from .capture import (
    BackwardEvent,
    EffectEvent,
    Leaf,
    OpEvent,
    Recorder,
    StepEvent,
    Value,
    ZeroGradEvent,
)
from .emit import Emitter
from .flat import FlatStore


class NotReplayable(Exception):
    """The capture shows something its replay could not repeat; the message says what."""


def _emits(cls: type, form: str, cpu: bool) -> bool:
    """Whether ``cls`` writes its own replay ``form``: on the CPU if it has one, on a GPU
    only if it says its forms hold there (``replay_on_gpu``); else it is called as it is."""
    own = vars(cls)
    return form in own and (cpu or own.get("replay_on_gpu", False))


def _own_copy(g: Any) -> Any:
    return g.copy()


class Builder:
    """Writes the replay of one capture. ``arguments`` are the call's arguments (keyword
    arguments last), ``stores`` the flat stores of the optimizers it steps."""

    def __init__(
        self,
        recorder: Recorder,
        arguments: list[Any],
        stores: dict[int, FlatStore],
        optimizer_forms: dict[type, Any],
        grad_enabled: bool,
    ) -> None:
        arrays = [v.array for v in recorder.values.values()]
        gpu = [a for a in arrays if type(a) is not np.ndarray]
        self.e = Emitter(xp_of(gpu[0]) if gpu else np, not gpu)
        self.recorder = recorder
        self.arguments = arguments
        self.stores = stores
        self.optimizer_forms = optimizer_forms
        self.grad_enabled = grad_enabled
        self.place: dict[int, tuple[FlatStore, int]] = {
            id(p): (store, index)
            for store in stores.values()
            for index, p in enumerate(store.params)
        }
        self.state: dict[int, str] = {}  # id of a stored parameter -> "none" or "set"
        self.touched: dict[int, Tensor] = {}
        self.entry_reads: list[tuple[Tensor, bool]] = []
        self.prologue: list[str] = []
        self.checks: list[str] = []

    # ------------------------------------------------------------------ the whole
    def build(self, result: Any) -> tuple[str, bool]:
        """The replay's source, and whether the capture found the state it reads as it left
        it (else its replay serves no later call)."""
        e = self.e
        e.namespace.update(
            NDARRAY=np.ndarray,
            _wrap=wrap,
            _as_array=as_array,
            _sum_to=_sum_to,
            _own_copy=_own_copy,
            _clock=clock,
            _record_write=record_write,
            _run_after_backward=run_after_backward,
        )
        self._arguments()
        self._externals()
        grad_mode = e.const(_GradMode, "mode")
        e.guard(f"{grad_mode}.enabled is {self.grad_enabled}")
        e.guard(f"not {e.const(AnomalyMode, 'mode')}.enabled")
        for module in self.recorder.live_modules():
            if module.training_matters:
                e.guard(f"{e.const(module, 'm')}.training is {module.training}")
        for event in self.recorder.events:
            if isinstance(event, OpEvent):
                self._forward(event)
            elif isinstance(event, BackwardEvent):
                self._backward(event)
            elif isinstance(event, ZeroGradEvent):
                self._zero_grad(event)
            elif isinstance(event, StepEvent):
                self._step(event)
            elif isinstance(event, EffectEvent):
                self._effect(event)
        self._epilogue()
        returned = self._returned(result)
        names = [f"a{i}" for i in range(len(self.arguments))]
        source = e.source(names, self.checks + self.prologue, returned)
        settled = all((p.grad is not None) == present for p, present in self.entry_reads) and all(
            step.ready for step in self._steps()
        )
        return source, settled

    def _steps(self) -> list[StepEvent]:
        return [event for event in self.recorder.events if isinstance(event, StepEvent)]

    # ------------------------------------------------------------------ inputs
    def _arguments(self) -> None:
        e = self.e
        types = []
        for index, arg in enumerate(self.arguments):
            kind = e.const(type(arg), "t")
            types.append(f"type(a{index}) is not {kind}")
            if isinstance(arg, Tensor):
                continue
            if arg is None or isinstance(arg, bool | int | float | str):
                e.guard(f"a{index} == {e.const(arg, 'k')}")
            else:
                e.guard(f"a{index} is {e.const(arg, 'k')}")
        if types:
            self.checks += ["if " + " or ".join(types) + ":", "    return MISS"]
        for value in self.recorder.values.values():
            if value.kind == "arg":
                value.name = f"x{value.index}"
                self.prologue.append(f"{value.name} = a{value.index}.data")
                self._array_guard(value.name, value.array)
                tensor = self.arguments[value.index]
                e.guard(f"a{value.index}.requires_grad is {tensor.requires_grad}")

    def _array_guard(self, name: str, array: Any) -> None:
        e = self.e
        e.guard(f"type({name}) is {e.const(type(array), 't')}")
        e.guard(f"{name}.shape == {array.shape!r}")
        e.guard(f"{name}.dtype == {e.const(array.dtype, 'dt')}")
        if type(array) is not np.ndarray:
            e.guard(f"{name}.device.id == {device_of(array).index}")

    def _externals(self) -> None:
        e = self.e
        for value in self.recorder.externals:
            tensor = value.tensor() if value.kind == "external" else None
            if tensor is None:
                value.name = e.const(value.array, "k")
                continue
            holder = e.const(tensor, "p")
            placed = self.place.get(id(tensor))
            if placed is not None:
                store, index = placed
                value.name = e.const(store.param_views[index], "w")
                e.guard(f"{holder}.data is {value.name}")
            else:
                value.name = e.local("e")
                self.prologue.append(f"{value.name} = {holder}.data")
                self._array_guard(value.name, value.array)

    # ------------------------------------------------------------------ forward
    def _forward(self, op: OpEvent) -> None:
        if _emits(op.cls, "replay_forward", self.e.cpu):
            op.cls.replay_forward(self.e, op)
        else:
            self.e.call_forward(op)

    # ------------------------------------------------------------------ backward
    def _backward(self, event: BackwardEvent) -> None:
        e = self.e
        root = event.root.out
        seed = e.const(e.array_module.ones(root.shape, root.dtype), "seed")
        if root.array.size == 1:
            e.scalars[seed] = 1.0
        grads: dict[OpEvent, str] = {event.root: seed}
        edges: dict[Leaf, int] = {}
        for node in event.nodes:
            for target in node.targets:
                if isinstance(target, Leaf):
                    edges[target] = edges.get(target, 0) + 1
        held: dict[Leaf, str] = {}
        for node in event.nodes:
            op = node.op
            upstream = grads.pop(op)
            into: list[str | None] = [None] * len(op.args)
            for i, target in enumerate(node.targets):
                placed = self._placed(target)
                if (
                    placed is not None
                    and edges[target] == 1
                    and not held
                    and not node.as_tensors[i]
                    and node.grads[i] == (op.args[i].shape, op.args[i].dtype)
                    and self._grad_state(target.tensor) == "none"
                ):
                    into[i] = e.const(placed[0].grad_views[placed[1]], "g")
            if _emits(op.cls, "replay_backward", e.cpu) and "call" not in op.saved:
                names = op.cls.replay_backward(e, op, upstream, into, node.grads)
            else:
                names = e.call_backward(op, upstream, node)
            for i, target in enumerate(node.targets):
                if target is None:
                    continue
                g = names[i] if node.grads[i] is not None else None
                if g is None:
                    if isinstance(target, Leaf) and (held or edges[target] > 1):
                        self._reach_leaf(target, None, edges, held)
                    continue
                value = op.args[i]
                shape, dtype = node.grads[i]
                if shape != value.shape:
                    g = self._assign(f"_sum_to({g}, {value.shape!r}, None)")
                if dtype != value.dtype:
                    g = self._assign(f"{g}.astype({e.const(value.dtype, 'dt')})")
                if isinstance(target, Leaf):
                    if edges[target] == 1 and not held:
                        self._accumulate(target, g)
                    else:
                        self._reach_leaf(target, g, edges, held)
                elif target in grads:
                    grads[target] = self._sum(grads[target], g, value)
                else:
                    grads[target] = g
        if grads:
            raise NotReplayable("the backward walk left gradients undelivered")

    def _assign(self, expression: str) -> str:
        name = self.e.local("g")
        self.e.line(f"{name} = {expression}")
        return name

    def _sum(self, a: str, b: str, value: Value) -> str:
        """a + b, a new array, as eager sums two gradients of one tensor."""
        e = self.e
        if e.cpu:
            out = e.buffer(value.shape, value.dtype)
            e.line(f"xp.add({a}, {b}, out={out})")
            return out
        return self._assign(f"{a} + {b}")

    def _reach_leaf(self, leaf: Leaf, g: str | None, edges: dict[Leaf, int], held: dict) -> None:
        """``function._reach_leaf``: hold a leaf's gradient until its last edge, summing."""
        earlier = held.pop(leaf, None)
        if earlier is not None:
            g = earlier if g is None else self._assign(f"{earlier} + {g}")
        left = edges[leaf] - 1
        if left:
            edges[leaf] = left
            if g is not None:
                held[leaf] = g
        elif g is not None:
            self._accumulate(leaf, g)

    def _accumulate(self, leaf: Leaf, g: str) -> None:
        """``function._accumulate_leaf``: the gradient becomes the leaf's ``.grad``, or is
        added to the one it has."""
        e = self.e
        placed = self._placed(leaf)
        if placed is None:
            holder = f"a{leaf.argument}" if leaf.tensor is None else e.const(leaf.tensor, "p")
            e.line(f"if {holder}.grad is None:")
            e.line(f"    {holder}.grad = _wrap(_own_copy({g}))")
            e.line("else:")
            e.line(f"    {holder}.grad.data = _as_array({holder}.grad.data + {g})")
            return
        store, index = placed
        view = e.const(store.grad_views[index], "g")
        if self._grad_state(leaf.tensor) == "none":
            if g != view:
                e.line(f"xp.copyto({view}, {g})")
            self.state[id(leaf.tensor)] = "set"
        else:
            e.line(f"xp.add({view}, {g}, out={view})")

    def _placed(self, target: Any) -> tuple[FlatStore, int] | None:
        if not isinstance(target, Leaf) or target.tensor is None:
            return None
        return self.place.get(id(target.tensor))

    def _grad_state(self, p: Tensor) -> str:
        """Whether stored parameter ``p`` has a ``.grad`` at this point of the program; the
        first time the program asks, that is how the call finds it, and the replay checks."""
        key = id(p)
        if key not in self.state:
            present = self.recorder.tracked.entry.tensors[key][1] is not None
            self.state[key] = "set" if present else "none"
            self.touched[key] = p
            self.entry_reads.append((p, present))
            store, index = self.place[key]
            holder = self.e.const(p, "p")
            if present:
                view = self.e.const(store.grad_views[index], "g")
                grad = self.e.const(store.grad_tensors[index], "gt")
                self.e.guard(f"{holder}.grad is {grad} and {grad}.data is {view}")
            else:
                self.e.guard(f"{holder}.grad is None")
        return self.state[key]

    # ------------------------------------------------------------------ zero_grad, step
    def _zero_grad(self, event: ZeroGradEvent) -> None:
        e = self.e
        for p in event.params:
            placed = self.place.get(id(p))
            if placed is None:
                holder = e.const(p, "p")
                if event.set_to_none:
                    e.line(f"{holder}.grad = None")
                else:
                    e.line(f"if {holder}.grad is not None:")
                    e.line(f"    {holder}.grad.data.fill(0)")
            elif event.set_to_none:
                self.state[id(p)] = "none"
                self.touched[id(p)] = p
            elif self._grad_state(p) == "set":
                e.line(f"{e.const(placed[0].grad_views[placed[1]], 'g')}.fill(0)")

    def _step(self, event: StepEvent) -> None:
        store = self.stores[id(event.optimizer)]
        stepped = []
        index = 0
        for group, with_grad in zip(event.optimizer.param_groups, event.with_grad, strict=True):
            for p, has in zip(group["params"], with_grad, strict=True):
                if (self._grad_state(p) == "set") != has:
                    raise NotReplayable("a gradient's presence at the optimizer step is unclear")
                if has:
                    stepped.append(index)
                index += 1
        self.optimizer_forms[type(event.optimizer)].emit(self, event, store, stepped)

    def _effect(self, event: EffectEvent) -> None:
        """The call of an effect after backward, with each gradient where the replay keeps it:
        a stored parameter's in its flat buffer, another's in its ``.grad``."""
        e = self.e
        grads = []
        for p in event.tensors:
            placed = self.place.get(id(p))
            if placed is None:
                holder = e.const(p, "p")
                grads.append(f"None if {holder}.grad is None else {holder}.grad.data")
            elif self._grad_state(p) == "set":
                grads.append(e.const(placed[0].grad_views[placed[1]], "g"))
            else:
                grads.append("None")
        e.line(f"_run_after_backward({e.const(event.effect, 'fx')}, [{', '.join(grads)}])")

    def _epilogue(self) -> None:
        e = self.e
        for key, p in self.touched.items():
            holder = e.const(p, "p")
            if self.state[key] == "set":
                store, index = self.place[key]
                view = e.const(store.grad_views[index], "g")
                grad = e.const(store.grad_tensors[index], "gt")
                e.line(f"{grad}.data = {view}")
                e.line(f"{holder}.grad = {grad}")
            else:
                e.line(f"{holder}.grad = None")

    # ------------------------------------------------------------------ the result
    def _returned(self, result: Any) -> str:
        if isinstance(result, tuple | list):
            items = ", ".join(self._returned(item) for item in result)
            return f"({items},)" if isinstance(result, tuple) else f"[{items}]"
        if not isinstance(result, Tensor):
            return self.e.literal(result)
        value = self.recorder.values[id(result.data)]
        if value.kind == "arg" and self.arguments[value.index] is result:
            return f"a{value.index}"
        if value.kind == "external" and value.tensor() is result:
            return self.e.const(result, "p")
        if value.name in self.e.fresh:
            return f"_wrap({value.name})"
        return f"_wrap({value.name}.copy())"
