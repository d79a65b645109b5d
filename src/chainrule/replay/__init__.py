"""``cr.compile``: capture a training step once, replay it as straight-line array calls.

The first call of a compiled function for a given signature runs eagerly while the engine
records what it does: the ops of forward, the backward walk, ``zero_grad`` and the
optimizer's step (``capture``). The record becomes one Python function of NumPy (or CuPy)
calls that write into buffers allocated once, with the optimizer's parameters, gradients
and state in flat buffers (``flat``), and the same floating-point operations in the same
order as eager, so its results are eager's bit for bit (``build``, ``emit``, the replay
forms beside each op and ``optimizers``). Later calls with that signature run it instead.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

from ..function import AnomalyMode, Capture, effects_mode, is_grad_enabled
from ..tensor import Tensor
from .build import Builder, NotReplayable
from .capture import Recorder, StepEvent
from .emit import MISS
from .flat import FlatStore, SharedParameterError, store_of
from .optimizers import OPTIMIZER_FORMS
from .state import Tracked, result_difference, rewinds_gpus

__all__ = ["CompileWarning", "CompiledFunction", "ReplayMismatch", "compile"]


class CompileWarning(UserWarning):
    """A compiled function runs eagerly from now on; the message says why."""


class ReplayMismatch(RuntimeError):
    """``check=N`` ran a call both ways and the replay differed from eager."""


class _Entry:
    """One captured signature: its replay, the state it touches, its flat stores."""

    __slots__ = ("keywords", "replay", "size", "source", "stores", "tracked")

    def __init__(
        self,
        replay: Callable[..., Any],
        size: int,
        keywords: tuple[str, ...],
        stores: list[FlatStore],
        tracked: Tracked,
        source: str,
    ) -> None:
        self.replay = replay
        self.size = size
        self.keywords = keywords
        self.stores = stores
        self.tracked = tracked
        self.source = source

    def repair(self) -> None:
        """Point the optimizers' tensors at their flat buffers again, with their values (after
        ``p.data = ...``, ``load_state_dict``, or an eager step between calls)."""
        for store in self.stores:
            store.adopt()


class CompiledFunction:
    """``fn`` compiled: called as ``fn`` is, it replays the capture of its signature (see
    ``compile``). ``fn`` is the function itself; ``eager_reason`` says why it runs eagerly
    (None while it is compiled)."""

    def __init__(self, fn: Callable[..., Any], check: int = 0, cache_size: int = 8) -> None:
        if isinstance(check, bool) or not isinstance(check, int) or check < 0:
            raise ValueError(f"cr.compile: check must be a whole number >= 0, got {check!r}")
        if isinstance(cache_size, bool) or not isinstance(cache_size, int) or cache_size < 1:
            raise ValueError(
                f"cr.compile: cache_size must be a whole number >= 1, got {cache_size!r}"
            )
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.checks_left = check
        self.cache_size = cache_size
        self.eager_reason: str | None = None
        self._entries: list[_Entry] = []
        self._last: _Entry | None = None
        self._warned_full = False
        self._captures = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        last = self._last
        if last is not None and not kwargs and len(args) == last.size and not last.keywords:
            result = last.replay(*args)
            if result is not MISS:
                return result
        return self._call(args, kwargs)

    @property
    def signatures(self) -> int:
        """How many signatures are captured (at most ``cache_size``)."""
        return len(self._entries)

    def _call(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if self.eager_reason is not None or Capture.recorder is not None or AnomalyMode.enabled:
            return self.fn(*args, **kwargs)
        arguments = [*args, *kwargs.values()]
        keywords = tuple(kwargs)
        mine = [e for e in self._entries if e.size == len(arguments) and e.keywords == keywords]
        for repair in (False, True):
            for entry in mine:
                if repair:
                    entry.repair()
                result = self._run(entry, args, kwargs, arguments)
                if result is not MISS:
                    return result
        if len(self._entries) >= self.cache_size:
            if not self._warned_full:
                self._warned_full = True
                warnings.warn(
                    f"cr.compile: {self.__name__} has {len(self._entries)} captured signatures, "
                    f"its cache_size; calls of new signatures run eagerly (is an argument "
                    f"that changes every call, a number, part of the signature?)",
                    CompileWarning,
                    stacklevel=3,
                )
            return self.fn(*args, **kwargs)
        return self._capture(args, kwargs, arguments, keywords)

    def _run(self, entry: _Entry, args: tuple, kwargs: dict, arguments: list[Any]) -> Any:
        if self.checks_left:
            return self._checked(entry, args, kwargs, arguments)
        result = entry.replay(*arguments)
        if result is not MISS:
            self._last = None if kwargs else entry
        return result

    def _checked(self, entry: _Entry, args: tuple, kwargs: dict, arguments: list[Any]) -> Any:
        """Run the call both ways from the same state, and raise if they differ."""
        tracked = entry.tracked
        before = tracked.snapshot()
        with effects_mode(keeping=True):
            replayed = entry.replay(*arguments)
        if replayed is MISS:
            return MISS
        after_replay = tracked.snapshot()
        tracked.restore(before)
        with effects_mode(rehearsing=True):  # an allreduce, say, runs once per call
            eager = self.fn(*args, **kwargs)
        after_eager = tracked.snapshot()
        entry.repair()
        self.checks_left -= 1
        found = tracked.difference(after_eager, after_replay) or result_difference(eager, replayed)
        if found:
            raise ReplayMismatch(
                f"cr.compile: the replay of {self.__name__} differs from eager: {found}"
            )
        return replayed

    def _capture(
        self, args: tuple, kwargs: dict, arguments: list[Any], keywords: tuple[str, ...]
    ) -> Any:
        self._captures += 1
        recorder = Recorder(
            [a if isinstance(a, Tensor) else None for a in arguments], OPTIMIZER_FORMS
        )
        grad_enabled = is_grad_enabled()
        Capture.recorder = recorder
        try:
            result = self.fn(*args, **kwargs)
        finally:
            if Capture.recorder is recorder:
                Capture.recorder = None
        recorder.finish(result)
        if recorder.reason is not None:
            self._fall_back(recorder.reason)
            return result
        try:
            entry = self._entry(recorder, arguments, keywords, result, grad_enabled)
        except (NotReplayable, SharedParameterError) as error:
            self._fall_back(str(error))
            return result
        if entry is not None:
            self._entries.append(entry)
            self._last = None if kwargs or self.checks_left else entry
        return result

    def _entry(
        self,
        recorder: Recorder,
        arguments: list[Any],
        keywords: tuple[str, ...],
        result: Any,
        grad_enabled: bool,
    ) -> _Entry | None:
        """The replay of a capture, checked against the eager call it was captured from: the
        state is put back as the call found it, the replay runs, and it must leave every
        tracked array, gradient, optimizer state and the random generator as eager did.
        None for a capture no later call can use (the first step, that makes state)."""
        steps = [event.optimizer for event in recorder.events if isinstance(event, StepEvent)]
        stores = {id(optimizer): store_of(optimizer) for optimizer in steps}
        builder = Builder(recorder, arguments, stores, OPTIMIZER_FORMS, grad_enabled)
        source, settled = builder.build(result)
        if not settled:
            return None
        tracked = recorder.tracked
        if not rewinds_gpus():  # a GPU generator CuPy cannot copy: a dropout cannot be redrawn
            replay = builder.e.function(source, self.__name__)
            return _Entry(replay, len(arguments), keywords, list(stores.values()), tracked, source)
        eager = tracked.snapshot()
        for store in stores.values():
            store.adopt()
        tracked.restore(tracked.entry)
        for store in stores.values():
            store.adopt()
        replay = builder.e.function(source, self.__name__)
        with effects_mode(rehearsing=True):  # an allreduce, say, runs once per call
            replayed = replay(*arguments)
        found = (
            "its guards do not hold right after the capture"
            if replayed is MISS
            else tracked.difference_now(eager) or result_difference(result, replayed)
        )
        if found:
            tracked.restore(eager)
            for store in stores.values():
                store.adopt()
            raise NotReplayable(
                f"its replay differs from the eager call ({found}); does it change arrays "
                "outside chainrule's ops (work on .data, NumPy on a tensor's array)?"
            )
        return _Entry(replay, len(arguments), keywords, list(stores.values()), tracked, source)

    def _fall_back(self, reason: str) -> None:
        self.eager_reason = reason
        self._entries.clear()
        self._last = None
        warnings.warn(
            f"cr.compile: {self.__name__} runs eagerly from now on: {reason}",
            CompileWarning,
            stacklevel=5,
        )

    def __repr__(self) -> str:
        state = "eager" if self.eager_reason else f"{len(self._entries)} signatures"
        return f"<cr.compile of {self.__name__}: {state}>"


def compile(fn: Callable[..., Any] | None = None, *, check: int = 0, cache_size: int = 8) -> Any:
    """Compile a training step: ``step = cr.compile(step)``, or ``@cr.compile``
    (``@cr.compile(check=3)`` with arguments).

    The first call for each signature runs ``fn`` eagerly and records its tensor work: the
    ops of the forward pass, ``backward()``, ``zero_grad()`` and the optimizer's ``step()``.
    Later calls with that signature replay the record: one generated function of NumPy calls
    on buffers made once, with the optimizer's parameters, gradients and state in flat
    buffers (a parameter's ``.data`` becomes a view of one array), so the step costs about
    what the same network written out by hand in NumPy costs. The replay does exactly the
    floating-point operations eager does, in the same order: its losses, parameters,
    gradients and optimizer state are eager's bit for bit. It returns what ``fn`` returns,
    with each tensor a new one that is not in a graph.

    The signature: the shape, dtype, device and ``requires_grad`` of each tensor argument,
    the value of each other argument, the grad mode, the ``training`` flag of each module
    ``fn`` calls, the optimizer's parameter groups and what shapes its update (momentum or
    none, weight decay or none, ...). A new signature is captured anew: a smaller last batch
    adds one. At most ``cache_size`` are kept; calls of further ones run eagerly.
    Hyperparameters (``lr``, ``momentum``, ``betas``, ``weight_decay``) are read on every
    call, so learning-rate schedulers work; ``p.data = ...`` and ``load_state_dict`` are
    seen and followed. ``check=N`` runs each of the first N replayed calls eagerly too, from
    the same state, and raises ``ReplayMismatch`` if the two differ in any bit; every
    capture is checked once that way already, against the call it was captured from.

    The rules, as for ``torch.compile``'s graphs and tinygrad's ``TinyJit``:

    - The tensor work must be the same on every call with a signature: no branch on a
      tensor's value. Reading one inside ``fn`` (``item()``, ``float(t)``, ``bool(t)``,
      ``numpy()``, ``tolist()``) makes ``fn`` run eagerly, with a ``CompileWarning`` that
      says why; return the tensor and read it outside.
    - Python side effects (printing, appending to a list, counting) run once, at capture;
      so does work on a tensor's ``.data`` or with NumPy on its array, which the capture
      cannot see. Tensors made inside ``fn`` outside the ops (``cr.tensor(...)``,
      comparisons, ``F.one_hot``) would be frozen at their first value, so ``fn`` runs
      eagerly instead: make them outside ``fn``, or pass them in.
    - ``fn`` also runs eagerly, saying why, for an op or optimizer without a replay form
      (a ``Function`` of your own: set ``replay_by_call = True`` on it if its forward and
      backward are pure functions of their arguments), ``retain_graph=True``,
      ``retain_grad()``, ``backward(gradient)``, ``step(closure)``, random numbers drawn
      outside dropout, or a returned tensor whose graph is still alive (compile the whole
      step, not the forward alone). Under ``cr.detect_anomaly()`` every call runs eagerly.
    - Gradients lie in buffers each replay writes: a ``.grad`` kept from an earlier call
      shows the latest gradient. A parameter can belong to one compiled optimizer only.
    """
    if fn is None:
        return lambda f: CompiledFunction(f, check, cache_size)
    return CompiledFunction(fn, check, cache_size)
