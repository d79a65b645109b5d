"""The state a compiled function reads and changes: tensors (their data and ``.grad``),
module buffers, optimizer state and the random generator. Snapshots of it are taken,
restored and compared bit for bit, to check a replay against eager: once when a call is
captured, and on each call that ``check=N`` asks for.
"""

from __future__ import annotations

import copy
import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import random
from .._backend import is_array, to_numpy
from ..tensor import Tensor, wrap


def _copy(array: Any) -> Any:
    return array.copy()


_WORDS = {2: np.uint16, 4: np.uint32, 8: np.uint64}


def _put(target: Any, values: Any) -> None:
    """Write ``values`` into ``target``; into a read-only array (a batch the data loader
    hands out may be a view of one) only if it does not hold them already."""
    if getattr(target.flags, "writeable", True) or not same_bits(target, values):
        target[...] = values


def same_bits(a: Any, b: Any) -> bool:
    """Whether two arrays hold the same shape, dtype and bytes (so NaN equals the same NaN,
    and -0.0 does not equal 0.0)."""
    a, b = to_numpy(a), to_numpy(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if not a.size:
        return True
    word = _WORDS.get(a.dtype.itemsize, np.uint8)  # one comparison per element, not per byte
    flat_a, flat_b = (np.ascontiguousarray(x).reshape(-1).view(word) for x in (a, b))
    return bool(np.array_equal(flat_a, flat_b))


def _first_difference(a: Any, b: Any) -> str:
    a, b = to_numpy(a), to_numpy(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return f"{a.dtype}{list(a.shape)} against {b.dtype}{list(b.shape)}"
    bits_a, bits_b = a.reshape(-1).view(np.uint8), b.reshape(-1).view(np.uint8)
    byte = int(np.argmax(bits_a != bits_b))
    where = np.unravel_index(byte // a.dtype.itemsize, a.shape) if a.shape else ()
    return f"at {tuple(int(i) for i in where)}: {a[where]!r} against {b[where]!r}"


@dataclass
class Snapshot:
    """Copies of the tracked state's values at one moment."""

    tensors: dict[int, tuple[Any, Any]] = field(default_factory=dict)
    arrays: dict[int, Any] = field(default_factory=dict)
    optimizers: dict[int, dict[int, dict[str, Any]]] = field(default_factory=dict)
    rng: Any = None


class Tracked:
    """The state one captured function touches, registered as the capture meets it; its
    ``entry`` snapshot holds each part's values as they were when first met, before the
    call changed them. Tensors are held weakly: one made and dropped inside the call is
    not state."""

    def __init__(self) -> None:
        self.tensors: dict[int, tuple[weakref.ref[Tensor], str]] = {}
        self.arrays: dict[int, tuple[Any, str]] = {}
        self.optimizers: dict[int, Any] = {}
        self.entry = Snapshot(rng=_generators())

    def tensor(self, tensor: Tensor, label: str) -> None:
        """Track ``tensor``'s data and gradient, from now."""
        key = id(tensor)
        known = self.tensors.get(key)
        if known is None or known[0]() is not tensor:
            self.tensors[key] = weakref.ref(tensor), label
            self.entry.tensors[key] = _tensor_values(tensor)

    def _live_tensors(self) -> list[tuple[int, Tensor, str]]:
        found = ((key, ref(), label) for key, (ref, label) in self.tensors.items())
        return [(key, tensor, label) for key, tensor, label in found if tensor is not None]

    def array(self, array: Any, label: str) -> None:
        key = id(array)
        if key not in self.arrays:
            self.arrays[key] = array, label
            self.entry.arrays[key] = _copy(array)

    def optimizer(self, optimizer: Any) -> None:
        key = id(optimizer)
        if key not in self.optimizers:
            self.optimizers[key] = optimizer
            self.entry.optimizers[key] = _optimizer_values(optimizer)

    def snapshot(self) -> Snapshot:
        """The values of everything tracked, now."""
        return Snapshot(
            {key: _tensor_values(t) for key, t, _ in self._live_tensors()},
            {key: _copy(a) for key, (a, _) in self.arrays.items()},
            {key: _optimizer_values(o) for key, o in self.optimizers.items()},
            _generators(),
        )

    def restore(self, snapshot: Snapshot) -> None:
        """Put the values of ``snapshot`` back, into the arrays the state holds now."""
        for key, tensor, _ in self._live_tensors():
            data, grad = snapshot.tensors[key]
            _put(tensor.data, data)
            if grad is None:
                tensor.grad = None
            elif tensor.grad is None or tensor.grad.data.shape != grad.shape:
                tensor.grad = wrap(_copy(grad))
            else:
                _put(tensor.grad.data, grad)
        for key, (array, _) in self.arrays.items():
            _put(array, snapshot.arrays[key])
        for key, optimizer in self.optimizers.items():
            _restore_optimizer(optimizer, snapshot.optimizers[key])
        cpu, gpus = snapshot.rng
        random.set_rng_state(cpu)
        for index in [i for i in random._gpu_generators if i not in gpus]:
            del random._gpu_generators[index]  # made since: made again, from the seed, on use
        for index, generator in gpus.items():
            if generator is not None:
                random._gpu_generators[index] = copy.deepcopy(generator)

    def difference_now(self, eager: Snapshot) -> str | None:
        """Where the state now differs from ``eager`` bit for bit; None if nowhere."""
        now = Snapshot(
            {
                key: (t.data, None if t.grad is None else t.grad.data)
                for key, t, _ in self._live_tensors()
            },
            {key: array for key, (array, _) in self.arrays.items()},
            {key: _optimizer_values(o, copy=False) for key, o in self.optimizers.items()},
            _generators(),
        )
        return self.difference(eager, now)

    def difference(self, eager: Snapshot, replay: Snapshot) -> str | None:
        """Where ``replay`` differs from ``eager`` bit for bit, in words; None if nowhere."""
        for key, _, label in self._live_tensors():
            (data_e, grad_e), (data_r, grad_r) = eager.tensors[key], replay.tensors[key]
            if not same_bits(data_e, data_r):
                return f"{label} differs {_first_difference(data_e, data_r)}"
            if (grad_e is None) != (grad_r is None):
                has = "has" if grad_e is not None else "has no"
                return f"the gradient of {label}: eager {has} one and the replay not"
            if grad_e is not None and not same_bits(grad_e, grad_r):
                return f"the gradient of {label} differs {_first_difference(grad_e, grad_r)}"
        for key, (_, label) in self.arrays.items():
            if not same_bits(eager.arrays[key], replay.arrays[key]):
                return f"{label} differs"
        for key, optimizer in self.optimizers.items():
            found = _optimizer_difference(eager.optimizers[key], replay.optimizers[key])
            if found:
                return f"the state of {type(optimizer).__name__} differs: {found}"
        if not _same_rng(eager.rng, replay.rng):
            return "the random generator's state differs (random numbers drawn outside dropout?)"
        return None


def result_difference(eager: Any, replay: Any) -> str | None:
    """Where two returned values differ bit for bit, in words; None if nowhere."""
    if isinstance(eager, Tensor) and isinstance(replay, Tensor):
        if not same_bits(eager.data, replay.data):
            return f"the returned tensor differs {_first_difference(eager.data, replay.data)}"
        return None
    if isinstance(eager, tuple | list) and isinstance(replay, tuple | list):
        if len(eager) != len(replay):
            return "the returned sequences differ in length"
        for a, b in zip(eager, replay, strict=True):
            found = result_difference(a, b)
            if found:
                return found
        return None
    if type(eager) is not type(replay) or (eager is not replay and eager != replay):
        return f"the returned values differ: {eager!r} against {replay!r}"
    return None


def _tensor_values(tensor: Tensor) -> tuple[Any, Any]:
    grad = tensor.grad
    return _copy(tensor.data), (None if grad is None else _copy(grad.data))


def _params(optimizer: Any) -> list[Tensor]:
    return [p for group in optimizer.param_groups for p in group["params"]]


def _optimizer_values(optimizer: Any, copy: bool = True) -> dict[int, dict[str, Any]]:
    values = {}
    for index, p in enumerate(_params(optimizer)):
        state = optimizer.state.get(p)
        if state is not None:
            values[index] = {k: _copy(v) if copy and is_array(v) else v for k, v in state.items()}
    return values


def _restore_optimizer(optimizer: Any, values: dict[int, dict[str, Any]]) -> None:
    for index, p in enumerate(_params(optimizer)):
        saved = values.get(index)
        if saved is None:
            optimizer.state.pop(p, None)
            continue
        state = optimizer.state.setdefault(p, {})
        for name in [k for k in state if k not in saved]:
            del state[name]
        for name, value in saved.items():
            current = state.get(name)
            if is_array(value) and is_array(current) and current.shape == value.shape:
                current[...] = value
            else:
                state[name] = _copy(value) if is_array(value) else value


def _optimizer_difference(eager: dict, replay: dict) -> str | None:
    if eager.keys() != replay.keys():
        return "parameters with state differ"
    for index, entries in eager.items():
        other = replay[index]
        if entries.keys() != other.keys():
            return f"parameter {index} has entries {sorted(entries)} against {sorted(other)}"
        for name, value in entries.items():
            if is_array(value):
                if not is_array(other[name]) or not same_bits(value, other[name]):
                    return f"{name!r} of parameter {index}"
            elif value != other[name]:
                return f"{name!r} of parameter {index}: {value!r} against {other[name]!r}"
    return None


def _generators() -> tuple[Any, dict[int, Any]]:
    """The CPU generator's state, and a copy of each GPU's generator (None for one that
    cannot be copied: it cannot be rewound either, see ``rewinds_gpus``)."""
    gpus = {}
    for index, generator in random._gpu_generators.items():
        try:
            gpus[index] = copy.deepcopy(generator)
        except Exception:  # a GPU generator type without copies
            gpus[index] = None
    return random.get_rng_state(), gpus


def rewinds_gpus() -> bool:
    """Whether the GPU generators in use can be copied, and so rewound for a check."""
    return all(g is not None for g in _generators()[1].values())


def _same_rng(a: Any, b: Any) -> bool:
    """Whether two snapshots of the generators will draw the same numbers next: the CPU's
    state alike, and each GPU's generator drawing the same (from copies, so that neither
    moves)."""
    (cpu_a, gpus_a), (cpu_b, gpus_b) = a, b
    if repr(cpu_a) != repr(cpu_b) or gpus_a.keys() != gpus_b.keys():
        return False
    return all(
        gpus_a[index] is None
        or same_bits(*(copy.deepcopy(g[index]).random(8) for g in (gpus_a, gpus_b)))
        for index in gpus_a
    )
