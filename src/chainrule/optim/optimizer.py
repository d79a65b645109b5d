"""``Optimizer``: parameter groups, per-parameter state, and their saving and loading.

Subclasses write ``_update(group)``, which changes each parameter's ``.data`` in place with
NumPy's ``out=`` arguments: the update happens outside the graph and allocates no tensors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from numbers import Real
from typing import Any

import numpy as np

from .._backend import as_array, device_of, is_array, is_floating, to_device, xp_of
from ..function import Capture, enable_grad
from ..tensor import Tensor
from ..versions import clock, record_write

ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]]
"""What an optimizer takes: parameters, or dicts ``{"params": [...], "lr": ...}`` (groups)."""

_ADDED_TO_PYTORCH_LATER = frozenset({"maximize", "decoupled_weight_decay"})
"""Hyperparameters that older PyTorch versions' state dicts lack, without being foreign."""


def check_non_negative(owner: str, group: Mapping[str, Any], *names: str) -> None:
    """Raise a one-line ValueError unless each hyperparameter ``names`` of ``group`` is >= 0."""
    for name in names:
        value = group[name]
        if isinstance(value, bool) or not isinstance(value, Real) or not value >= 0:
            raise ValueError(f"{owner}: {name} must be a number >= 0, got {value!r}")


def effective_grad(
    data: np.ndarray, grad: np.ndarray, weight_decay: float, maximize: bool
) -> np.ndarray:
    """The gradient an update follows: ``grad`` (negated to maximize) + ``weight_decay * data``.

    ``grad`` is never written to: it is returned itself when there is nothing to change, and
    a new array otherwise.
    """
    if weight_decay:
        xp = xp_of(data)
        out = xp.multiply(data, weight_decay, out=xp.empty_like(data))
        return xp.subtract(out, grad, out=out) if maximize else xp.add(out, grad, out=out)
    return -grad if maximize else grad


class Optimizer:
    """Base class of optimizers, with PyTorch's structure.

    ``param_groups`` is a list of dicts, each holding ``"params"`` (a list of tensors) and
    every hyperparameter (the group's own value, or the optimizer's default). ``state`` maps
    a parameter to a dict of the arrays and counters its update keeps between steps.
    """

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        if isinstance(params, Tensor):
            raise TypeError(
                f"{type(self).__name__} takes an iterable of tensors or of dicts, not one "
                "Tensor; pass [tensor] or model.parameters()"
            )
        if isinstance(params, set | frozenset):
            raise TypeError(
                f"{type(self).__name__} needs parameters in a fixed order, and a set has none; "
                "pass a list"
            )
        self.defaults = dict(defaults)
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters, with hyperparameters that override the defaults."""
        if not isinstance(param_group, dict) or "params" not in param_group:
            raise TypeError(
                f"a parameter group must be a dict with a 'params' key, got {param_group!r:.80}"
            )
        params = param_group["params"]
        if isinstance(params, set | frozenset):
            raise TypeError("a parameter group's params must be in a fixed order; pass a list")
        params = [params] if isinstance(params, Tensor) else list(params)
        if not params:
            raise ValueError(f"{type(self).__name__} got a parameter group with no parameters")
        seen = {p for group in self.param_groups for p in group["params"]}
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"{type(self).__name__} can only optimize tensors, and parameter {i} of the "
                    f"group is {type(p).__name__}"
                )
            if not p.is_leaf:
                raise ValueError(
                    f"{type(self).__name__} can't optimize a non-leaf tensor (parameter {i} of "
                    "the group was made by an op); optimize the leaves it was computed from"
                )
            if not is_floating(p.dtype):
                raise TypeError(
                    f"{type(self).__name__} can only optimize floating-point tensors, and "
                    f"parameter {i} of the group is {p.dtype}"
                )
            if p in seen:
                raise ValueError(
                    f"parameter {i} of the group (shape {p.shape}) appears more than once in "
                    f"{type(self).__name__}'s parameter groups"
                )
            seen.add(p)
        group = {**self.defaults, **param_group, "params": params}
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group: dict[str, Any]) -> None:
        """Raise a one-line ValueError if a hyperparameter of ``group`` is out of range."""
        check_non_negative(type(self).__name__, group, "lr")

    def _state_names(self, group: dict[str, Any]) -> tuple[str, ...]:
        """The state entries every stepped parameter of ``group`` has."""
        return ()

    def _new_state(self, data: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        """A parameter's state before its first step: a step count of 0 and zero arrays."""
        return {
            name: 0 if name == "step" else xp_of(data).zeros_like(data)
            for name in self._state_names(group)
        }

    def _state_of(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        state = self.state.get(p)
        if state is None:
            state = self.state[p] = self._new_state(p.data, group)
        return state

    @staticmethod
    def _with_grad(group: dict[str, Any]) -> Iterator[tuple[Tensor, np.ndarray]]:
        """Each parameter of ``group`` that has a gradient, with the gradient's array; each is
        counted as changed in place (its version), as the caller updates it, so that a graph
        that saved it refuses a second backward, as in PyTorch."""
        stamp = next(clock)  # one moment for the whole step
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                continue
            g = grad.data
            data = p.data
            if g.shape != data.shape:
                raise ValueError(
                    f"a parameter of shape {data.shape} has a gradient of shape {g.shape}; "
                    "a gradient must have its parameter's shape"
                )
            record_write(data, stamp, False)
            yield p, g

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient (``None``), or, if not ``set_to_none``, zero it."""
        if Capture.recorder is not None:
            params = [p for group in self.param_groups for p in group["params"]]
            Capture.recorder.zero_grad(params, set_to_none)
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad.data.fill(0)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; parameters whose ``.grad`` is None are
        left alone. ``closure``, if given, recomputes the loss (calling ``backward``) first,
        and its result is returned."""
        if Capture.recorder is not None:
            return Capture.recorder.step(self, closure)
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            self._update(group)
        return loss

    def _update(self, group: dict[str, Any]) -> None:
        raise NotImplementedError(
            f"{type(self).__name__} must define _update(group), or override step()"
        )

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state as PyTorch lays it out, with copies of the arrays.

        ``{"state": {index: {name: Tensor or number}}, "param_groups": [{hyperparameters...,
        "params": [index, ...]}]}``, where parameters are numbered 0, 1, ... across the groups
        in order, so that the dict refers to no tensor of the model.
        """
        index: dict[Tensor, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(p, len(index)) for p in group["params"]]
            groups.append(packed)
        state = {
            i: {
                name: Tensor(value) if is_array(value) else value
                for name, value in self.state[p].items()
            }
            for p, i in index.items()
            if p in self.state
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Take the state and hyperparameters of ``state_dict`` (from ``state_dict()``, here or
        in PyTorch) for this optimizer's parameters, matched by position.

        Everything is checked before anything changes: the number of groups, of parameters in
        each, the state entries' names and shapes, and that no group comes from another kind
        of optimizer. Arrays are copied, in the parameter's dtype.
        """
        name = type(self).__name__
        if (
            not isinstance(state_dict, Mapping)
            or not {"state", "param_groups"} <= state_dict.keys()
        ):
            raise ValueError(
                f"{name}.load_state_dict needs a dict with keys 'state' and 'param_groups', "
                "as state_dict() returns"
            )
        saved_groups = list(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"the loaded state dict has {len(saved_groups)} parameter groups, and this "
                f"{name} has {len(self.param_groups)}"
            )
        by_index: dict[Any, Tensor] = {}
        groups = []
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups, strict=True)):
            if not isinstance(saved, Mapping) or "params" not in saved:
                raise ValueError(f"parameter group {i} of the loaded state dict has no 'params'")
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"parameter group {i} has {len(saved['params'])} parameters in the loaded "
                    f"state dict and {len(group['params'])} in this {name}"
                )
            by_index.update(zip(saved["params"], group["params"], strict=True))
            new_group = {**group, **saved, "params": group["params"]}
            self._check_group(new_group)
            groups.append(new_group)
        group_of = {p: group for group in groups for p in group["params"]}
        state = {}
        for index, entries in state_dict["state"].items():
            p = by_index.get(index)
            if p is None:
                raise ValueError(
                    f"the loaded state dict has state for parameter {index!r}, which none of "
                    "its parameter groups lists"
                )
            missing = [k for k in self._state_names(group_of[p]) if k not in entries]
            if missing:
                raise ValueError(
                    f"the state of parameter {index} lacks {', '.join(map(repr, missing))}; "
                    f"was the state dict saved by another optimizer than {name}?"
                )
            state[p] = {k: _load_entry(k, v, p.data, index) for k, v in entries.items()}
        for i, saved in enumerate(saved_groups):
            self._check_same_kind(i, saved)
        self.param_groups = groups
        self.state = state

    def _check_same_kind(self, i: int, saved: Mapping[str, Any]) -> None:
        """Raise if saved group ``i`` was written by another kind of optimizer: it has
        hyperparameters this one does not know (Adam's betas in an SGD) and lacks some of this
        one's. A group that only lacks some (a hand-written ``{"params": [0], "lr": 0.1}``)
        or only adds some (PyTorch's ``foreach``) takes the rest from this optimizer."""
        foreign = [k for k in saved if k not in self.defaults and k not in ("params", "initial_lr")]
        missing = [k for k in self.defaults if k not in saved and k not in _ADDED_TO_PYTORCH_LATER]
        if foreign and missing:
            raise ValueError(
                f"parameter group {i} of the loaded state dict has "
                f"{', '.join(map(repr, foreign))} and lacks {', '.join(map(repr, missing))}; "
                f"was the state dict saved by another optimizer than {type(self).__name__}?"
            )

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params")
        lines.append(")")
        return "\n".join(lines)


def _load_entry(name: str, value: Any, data: np.ndarray, index: Any) -> Any:
    """A state entry as the update uses it: ``step`` a Python int, an array a copy at
    ``data``'s dtype, shape and device, anything else (a number, None) as it is."""
    if name == "step":
        return int(float(value))
    if value is None or isinstance(value, Real):
        return value
    # as_array, not np.array: torch's __array__ takes no copy=, and GPU arrays stay there.
    array = as_array(value.data if isinstance(value, Tensor) else value)
    if array.shape != data.shape:
        raise ValueError(
            f"state {name!r} of parameter {index} has shape {array.shape} in the loaded state "
            f"dict, and the parameter has shape {data.shape}"
        )
    return to_device(array, device_of(data)).astype(data.dtype)
