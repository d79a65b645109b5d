"""Flat buffers: an optimizer's parameters in one array per dtype and device, their gradients
in another and each kind of optimizer state in a third, every tensor's array a view of its
flat one, so that a replayed SGD or Adam step is a few array calls over all parameters at
once instead of a few per parameter. The values are the same; only where they lie changes.
"""

from __future__ import annotations

import weakref
from typing import Any

from .._backend import device_of, is_array, xp_of
from ..tensor import Tensor, wrap


class Chunk:
    """The parameters of one dtype and device, in the optimizer's order, laid end to end."""

    def __init__(self, params: list[Tensor]) -> None:
        first = params[0].data
        self.xp = xp_of(first)
        self.dtype = first.dtype
        self.offsets = list(_offsets(p.data.size for p in params))
        self.size = self.offsets[-1]
        self.params = self.xp.empty(self.size, self.dtype)
        self.grads = self.xp.empty(self.size, self.dtype)
        self.states: dict[str, Any] = {}

    def view(self, flat: Any, index: int, shape: tuple[int, ...]) -> Any:
        return flat[self.offsets[index] : self.offsets[index + 1]].reshape(shape)

    def state(self, name: str) -> Any:
        """The flat array of the state entry ``name`` (``"exp_avg"``), made on first use."""
        if name not in self.states:
            self.states[name] = self.xp.zeros(self.size, self.dtype)
        return self.states[name]


class FlatStore:
    """The parameters of ``optimizer`` (all groups, in order), split into chunks by dtype
    and device. ``adopt`` moves the current values in and points every tensor at its view."""

    def __init__(self, optimizer: Any) -> None:
        self.optimizer = weakref.ref(optimizer)
        self.params = [p for group in optimizer.param_groups for p in group["params"]]
        self.layout = _layout(self.params)
        by_kind: dict[Any, list[int]] = {}
        for index, p in enumerate(self.params):
            by_kind.setdefault((p.data.dtype, str(device_of(p.data))), []).append(index)
        self.place: list[tuple[Chunk, int]] = [None] * len(self.params)  # type: ignore[list-item]
        self.chunks: list[Chunk] = []
        for indices in by_kind.values():
            chunk = Chunk([self.params[i] for i in indices])
            self.chunks.append(chunk)
            for position, index in enumerate(indices):
                self.place[index] = chunk, position
        self.param_views = [self._view(i, "params") for i in range(len(self.params))]
        self.grad_views = [self._view(i, "grads") for i in range(len(self.params))]
        self.grad_tensors = [wrap(view) for view in self.grad_views]
        self._state_views: dict[tuple[int, str], Any] = {}

    def _view(self, index: int, kind: str) -> Any:
        chunk, position = self.place[index]
        return chunk.view(getattr(chunk, kind), position, self.params[index].data.shape)

    def state_view(self, index: int, name: str) -> Any:
        """Parameter ``index``'s view of the flat state ``name``: one array, every time."""
        key = index, name
        if key not in self._state_views:
            chunk, position = self.place[index]
            shape = self.params[index].data.shape
            self._state_views[key] = chunk.view(chunk.state(name), position, shape)
        return self._state_views[key]

    def fits(self, optimizer: Any) -> bool:
        """Whether the optimizer still has these parameters, of these shapes, dtypes and
        devices, in this order."""
        params = [p for group in optimizer.param_groups for p in group["params"]]
        return (
            len(params) == len(self.params)
            and all(a is b for a, b in zip(params, self.params, strict=True))
            and _layout(params) == self.layout
        )

    def adopt(self) -> None:
        """Copy the values the tensors hold now into the flat buffers where they do not lie
        there already, and point the parameters, their gradients and their state entries
        at their views."""
        optimizer = self.optimizer()
        for index, p in enumerate(self.params):
            view = self.param_views[index]
            if p.data is not view:
                view[...] = p.data
                p.data = view
            grad, grad_view, grad_tensor = p.grad, self.grad_views[index], self.grad_tensors[index]
            if grad is not None and (grad is not grad_tensor or grad.data is not grad_view):
                grad_view[...] = grad.data
                grad_tensor.data = grad_view
                p.grad = grad_tensor
            state = None if optimizer is None else optimizer.state.get(p)
            for name, value in (state or {}).items():
                if is_array(value) and value.shape == view.shape and value.dtype == view.dtype:
                    target = self.state_view(index, name)
                    if value is not target:
                        target[...] = value
                        state[name] = target

    def runs(self, indices: list[int]) -> list[tuple[Chunk, int, int, list[int]]]:
        """``indices`` (of parameters, in order) as runs that lie next to each other in one
        chunk: (chunk, start, stop, the indices), start and stop being flat offsets."""
        runs: list[tuple[Chunk, int, int, list[int]]] = []
        for index in indices:
            chunk, position = self.place[index]
            start, stop = chunk.offsets[position], chunk.offsets[position + 1]
            if runs and runs[-1][0] is chunk and runs[-1][2] == start:
                last = runs[-1]
                runs[-1] = (chunk, last[1], stop, [*last[3], index])
            else:
                runs.append((chunk, start, stop, [index]))
        return runs


_stores: weakref.WeakKeyDictionary[Any, FlatStore] = weakref.WeakKeyDictionary()
_owner: weakref.WeakKeyDictionary[Tensor, weakref.ref[Any]] = weakref.WeakKeyDictionary()


class SharedParameterError(Exception):
    """A parameter that two optimizers step: it cannot lie in two flat buffers."""


def store_of(optimizer: Any) -> FlatStore:
    """The flat store of ``optimizer``: the one it has if it still fits, else a new one."""
    store = _stores.get(optimizer)
    if store is not None and store.fits(optimizer):
        return store
    store = FlatStore(optimizer)
    for p in store.params:
        owner = _owner.get(p)
        other = None if owner is None else owner()
        if other is not None and other is not optimizer:
            raise SharedParameterError(
                f"a parameter of shape {tuple(p.shape)} is stepped by two optimizers"
            )
    for p in store.params:
        _owner[p] = weakref.ref(optimizer)
    _stores[optimizer] = store
    return store


def _layout(params: list[Tensor]) -> list[tuple[Any, ...]]:
    return [(p.data.shape, p.data.dtype, str(device_of(p.data))) for p in params]


def _offsets(sizes: Any) -> Any:
    total = 0
    yield total
    for size in sizes:
        total += size
        yield total
