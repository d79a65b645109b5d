"""The code a capture becomes: names, constants, preallocated buffers and lines of Python,
written by the replay forms of the ops and optimizers, then compiled into one function.

A replay form writes the same NumPy calls as the op's forward or backward, in the same
order, so that the replay computes the same numbers bit for bit; where eager makes a new
array, the form may write into a buffer allocated once (``buffer``), which changes where a
result lies and never what it is.
"""

from __future__ import annotations

import builtins
import functools
import itertools
import linecache
import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _fpstate
from .._backend import as_array
from ..function import _UNRECORDED, _as_saved_output
from .capture import OpEvent, Value
from .sharing import share_dead_buffers

MISS = object()
"""What a replay returns, having changed nothing, when its guards do not hold."""


class Emitter:
    """Collects a replay function: its guards, its body, and the names it reads.

    Names are of three kinds: constants (bound in the function's globals: ``const``,
    ``buffer``, ``typed``), constants derived from those (``view``: a transpose or a reshape
    of a buffer, made once), and locals (``local``).
    ``xp`` names the array module, ``cpu`` says whether it is NumPy.
    """

    def __init__(self, xp: Any, cpu: bool) -> None:
        self.xp = "xp"
        self.cpu = cpu
        self.array_module = xp
        self.namespace: dict[str, Any] = {
            "xp": xp,
            "MISS": MISS,
            "NDARRAY": np.ndarray,
            "_as_saved_output": _as_saved_output,
            "_unrecorded_output": _unrecorded_output,
        }
        self.lines: list[str] = []
        self.guards: list[str] = []
        self.scalars: dict[str, float] = {}
        self.fresh: set[str] = set()
        self._constants: set[str] = {"xp"}
        self._named: dict[int, str] = {}
        self._numbers: dict[tuple[Any, ...], str] = {}
        self._count = itertools.count()
        self._overflowing: list[int] = []
        self._buffers: dict[str, Any] = {}
        self._views: dict[str, tuple[str, str]] = {}

    # ------------------------------------------------------------------ names
    def local(self, hint: str = "v") -> str:
        """A new local variable's name."""
        return f"{hint}{next(self._count)}"

    def const(self, value: Any, hint: str = "c") -> str:
        """A name bound to ``value`` in the function's globals; the same object always gets
        the same name."""
        if type(value) is np.ndarray and value.ndim == 0:  # one name per number and dtype
            key = ("number", value.dtype.str, value.tobytes())
            known = self._numbers.get(key)
            if known is None:
                known = self._numbers[key] = self._bind(value, hint)
            return known
        known = self._named.get(id(value))
        if known is not None and self.namespace[known] is value:
            return known
        name = self._named[id(value)] = self._bind(value, hint)
        return name

    def _bind(self, value: Any, hint: str) -> str:
        name = f"{hint.upper()}{next(self._count)}"
        self.namespace[name] = value
        self._constants.add(name)
        return name

    def buffer(self, shape: tuple[int, ...], dtype: Any, hint: str = "b") -> str:
        """A constant array of ``shape`` and ``dtype``, allocated once, for a form to write
        into on every call; buffers whose values are never needed at once end up sharing
        memory (``sharing``)."""
        array = self.array_module.empty(shape, dtype)
        name = self._bind(array, hint)  # not by const: a 0-d one would be named by its bytes
        self._named[id(array)] = name
        self._buffers[name] = array
        return name

    def view(self, name: str, suffix: str) -> str:
        """``name + suffix`` (``".T"``, ``".reshape(-1)"``): made once if ``name`` is a
        constant, else an expression to evaluate on every call."""
        if name not in self._constants:
            return f"{name}{suffix}"
        view = self._bind(eval(name + suffix, self.namespace), "d")  # our own text
        self._views[view] = name, suffix
        return view

    def typed(self, value: float | int, dtype: Any) -> str:
        """A Python number as a 0-d array of ``dtype``: NumPy reads a Python number in the
        other operand's dtype, so an operation with this array computes the same, and is
        spared the conversion on every call. On a GPU, the number as it is."""
        if not self.cpu:
            return self.number(value)
        return self.const(np.asarray(value, dtype), "n")

    def number(self, value: float | int) -> str:
        """A Python number as code that reads back as exactly that number."""
        if isinstance(value, float) and not math.isfinite(value):
            return self.const(value, "n")
        return repr(value)

    def literal(self, value: Any) -> str:
        """A Python value an op was given (a reduction's name, an axis, a slope) as code."""
        if value is None or isinstance(value, bool | int | str):
            return repr(value)
        if isinstance(value, float):
            return self.number(value)
        return self.const(value, "k")

    def arg(self, op: Any, index: int) -> str:
        """Argument ``index`` of the op ``op`` as code: an array's name, or a Python value."""
        return self._code(op.args[index])

    def _code(self, value: Any) -> str:
        if isinstance(value, Value):
            return value.name
        if type(value) is tuple and any(isinstance(v, Value) for v in value):
            return "(" + "".join(f"{self._code(v)}, " for v in value) + ")"
        return self.literal(value)

    def out(self, op: Any, name: str, fresh: bool = False) -> None:
        """Name the result of ``op``; ``fresh``: a new array on every call, which the replay
        may hand out as it is (a buffer is copied first)."""
        op.out.name = name
        if fresh:
            self.fresh.add(name)

    def part(
        self, op: Any, cls: type, args: list[Any], needs: tuple[bool, ...], out: Any = None
    ) -> OpEvent:
        """One op inside the fused op ``op``, for the fused op's form to replay with that op's
        own forms: ``cls`` applied to ``args`` (Values of the capture, or another part's
        result), giving ``out`` (a Value) or, when None, an intermediate of ``op``'s shape and
        dtype that eager never keeps (its stand-in array holds no memory)."""
        if out is None:
            out = Value("op", np.broadcast_to(np.zeros((), op.out.dtype), op.out.shape))
        return OpEvent(cls, args, needs, out, op.recorded)

    def scalar(self, name: str) -> float | None:
        """The value of ``name`` when it is a one-element constant known now (the ones that
        seed a backward), so that ``float(g)`` can be worked out once; else None."""
        return self.scalars.get(name)

    def line(self, code: str, overflows: bool = False) -> None:
        """A line of the body; ``overflows``: a line whose overflow to inf is expected and
        must not warn (a sigmoid's exp), as eager silences it."""
        if overflows:
            self._overflowing.append(len(self.lines))
        self.lines.append(code)

    def guard(self, condition: str) -> None:
        """A condition every replay checks before it changes anything."""
        self.guards.append(condition)

    # ------------------------------------------------------------------ ops as they are
    def call_forward(self, op: Any) -> None:
        """Replay ``op``'s forward by calling it, as ``Function.apply`` does, with a context
        of its own that lives from call to call: for an op without a form of its own, or a
        case its form leaves to this (an integer input, a reduction it does not write)."""
        if op.recorded:
            context = object.__new__(op.cls)
            context.needs_input_grad = op.needs
            normalise = "_as_saved_output"
        else:
            context = _UNRECORDED
            normalise = "_unrecorded_output"
        ctx = self.const(context, "ctx")
        op.saved["call"] = ctx
        args = ", ".join(self.arg(op, i) for i in range(len(op.args)))
        out = self.local("v")
        self.line(f"{out} = {self.const(op.cls, 'op')}.forward({ctx}, {args})")
        self.line(f"if type({out}) is not NDARRAY:")
        self.line(f"    {out} = {normalise}({ctx}, {out})")
        self.out(op, out)

    def call_backward(self, op: Any, g: str, node: Any) -> list[str | None]:
        """Replay ``op``'s backward by calling it on the context its forward filled."""
        ctx = op.saved["call"]
        grads = self.local("gs")
        self.line(f"{grads} = {self.const(op.cls, 'op')}.backward({ctx}, {g})")
        self.line(f"if type({grads}) is not tuple:")
        self.line(f"    {grads} = ({grads},)")
        names: list[str | None] = []
        for index, info in enumerate(node.grads):
            if info is None:
                names.append(None)
                continue
            name = self.local("g")
            tail = ".data" if node.as_tensors[index] else ""
            self.line(f"{name} = {grads}[{index}]{tail}")
            names.append(name)
        return names

    # ------------------------------------------------------------------ the function
    def source(self, arguments: list[str], prologue: list[str], result: str) -> str:
        """The function's source: type checks of the arguments (``prologue`` reads them),
        the guards, the body and the return of ``result``."""
        head = f"def replay({', '.join(arguments)}):"
        body = [*prologue]
        if self.guards:
            body.append("if not (" + "\n        and ".join(self.guards) + "):")
            body.append("    return MISS")
        self.lines, result = share_dead_buffers(
            self.lines, self._buffers, self._views, "\n".join(body), result, self.namespace
        )
        body += self._quieted()
        body.append(f"return {result}")
        text = "\n".join([head, *("    " + line for line in "\n".join(body).split("\n"))])
        return _XP_CALL.sub(self._bound, text)

    def _quieted(self) -> list[str]:
        """The body, with the lines from the first to the last that may overflow inside one
        ``np.errstate(over="ignore")``, set and reset as ``chainrule._fpstate`` does it: one
        setting for the whole stretch costs less than eager's around each op, and gives the
        same numbers; an overflow elsewhere in that stretch (a bias added to a huge product)
        does not warn."""
        if not self._overflowing:
            return self.lines
        first, last = self._overflowing[0], self._overflowing[-1] + 1
        inside = ["    " + line for line in self.lines[first:last]]
        if _fpstate.ERROR_STATE is None:
            quiet = self.const(np.errstate, "errstate")
            return [
                *self.lines[:first],
                f"with {quiet}(over='ignore'):",
                *inside,
                *self.lines[last:],
            ]
        state = self.const(_fpstate.ERROR_STATE, "errors")
        make = self.const(_fpstate.make_error_state, "quiet")
        token = self.local("token")
        return [
            *self.lines[:first],
            f"{token} = {state}.set({make}(over='ignore'))",
            "try:",
            *inside,
            "finally:",
            f"    {state}.reset({token})",
            *self.lines[last:],
        ]

    def _bound(self, match: re.Match[str]) -> str:
        """``xp.add.reduce(`` as ``xp_add_reduce(``, the function bound once: a global's
        lookup instead of two attribute lookups on every call."""
        path = match.group(1)
        name = "xp_" + path.replace(".", "_")
        if name not in self.namespace:
            function = self.array_module
            for part in path.split("."):
                function = getattr(function, part)
            self.namespace[name] = function
        return name + "("

    def function(self, source: str, label: str) -> Callable[..., Any]:
        """``source`` compiled in the namespace; its lines are kept so that a traceback
        through a replay shows them."""
        exec(_compiled(source, label), self.namespace)
        return self.namespace["replay"]


_replays = itertools.count(1)


@functools.lru_cache(maxsize=64)
def _compiled(source: str, label: str) -> Any:
    """``source`` as code: the step of a new model of the same shapes (each epoch of a
    benchmark) is the same text, compiled once (Python's compiler takes ~1 ms for it)."""
    filename = f"<cr.compile replay of {label} #{next(_replays)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    return builtins.compile(source, filename, "exec")


_XP_CALL = re.compile(r"\bxp\.([a-z_]+(?:\.[a-z_]+)?)\(")


def _unrecorded_output(ctx: Any, out: Any) -> Any:
    """What ``Function.apply`` makes of a result it records no node for: an array."""
    return as_array(out)
