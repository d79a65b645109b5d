"""``Module``: the base class of layers and models, holding parameters and submodules."""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from .._backend import CPU, Device, as_array, as_gpu, device_of, is_floating, to_device
from ..function import Capture
from ..functional import _not_a_tensor
from ..tensor import Tensor, parse_to_args
from .parameter import Parameter


class IncompatibleKeys(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class of every layer and model, with PyTorch's habits.

    Assigning a ``Parameter`` or a ``Module`` to an attribute registers it, in order, so
    ``parameters()``, ``state_dict()`` and the repr find it; ``__call__`` runs ``forward``.
    """

    training: bool
    training_matters = True  # whether forward may read ``training``: for every class but
    # chainrule's own that say they do not (set by __init_subclass__); cr.compile guards the
    # flag of these modules only
    _tensor_arguments: tuple[tuple[int, str], ...] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Note which arguments of a chainrule layer's ``forward`` must be Tensors: those its
        signature annotates so. ``__call__`` refuses anything else (a Python list, say) with
        an error that says so; a user's own ``forward`` is left to itself, as in PyTorch."""
        super().__init_subclass__(**kwargs)
        ours = cls.__module__.partition(".")[0] == __name__.partition(".")[0]
        cls.training_matters = vars(cls).get("training_matters", False) if ours else True
        forward = cls.forward
        package = getattr(forward, "__module__", "").partition(".")[0]
        if package != __name__.partition(".")[0]:  # not chainrule's own forward
            cls._tensor_arguments = ()
            return
        parameters = list(inspect.signature(forward).parameters.values())[1:]  # after self
        cls._tensor_arguments = tuple(
            (index, p.name)
            for index, p in enumerate(parameters)
            if p.annotation in ("Tensor", Tensor) and p.kind is p.POSITIONAL_OR_KEYWORD
        )

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    def __setattr__(self, name: str, value: Any) -> None:
        registry = self.__dict__.get("_parameters")
        if registry is None:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__(); "
                f"call super().__init__() first in {type(self).__name__}.__init__"
            )
        if isinstance(value, Parameter):
            self._modules.pop(name, None)
            registry[name] = value
        elif isinstance(value, Module):
            registry.pop(name, None)
            self._modules[name] = value
        elif name in registry:
            if value is not None:
                raise TypeError(
                    f"{type(self).__name__}.{name} is a parameter: assign a Parameter or None, "
                    f"not {type(value).__name__}"
                )
            registry[name] = None
        elif name in self._buffers:
            self._buffers[name] = value
        elif name in self._modules:
            if value is not None:
                raise TypeError(
                    f"{type(self).__name__}.{name} is a submodule: assign a Module or None"
                )
            self._modules[name] = None
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)
        object.__delattr__(self, name)

    def register_buffer(self, name: str, tensor: Tensor | None) -> None:
        """Keep ``tensor`` as state that is saved and loaded but not trained (running means)."""
        self._buffers[name] = tensor
        object.__setattr__(self, name, tensor)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        self._parameters[name] = param
        object.__setattr__(self, name, param)

    def add_module(self, name: str, module: Module | None) -> None:
        self._modules[name] = module
        object.__setattr__(self, name, module)

    # ------------------------------------------------------------------ running
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if Capture.recorder is not None:
            Capture.recorder.module(self)
        for index, name in self._tensor_arguments:
            if index < len(args):
                value = args[index]
            elif name in kwargs:
                value = kwargs[name]
            else:
                continue  # forward itself says what is missing
            if not isinstance(value, Tensor):
                raise _not_a_tensor(type(self).__name__, name, value)
        return self.forward(*args, **kwargs)

    def train(self, mode: bool = True) -> Module:
        """Switch this module and every submodule to training mode (or evaluation mode)."""
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        """Switch to evaluation mode: dropout off, batch norm uses its running statistics."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradient of every parameter."""
        if Capture.recorder is not None:
            Capture.recorder.zero_grad(list(self.parameters()), set_to_none)
        for param in self.parameters():
            if set_to_none:
                param.grad = None
            elif param.grad is not None:
                param.grad.data[...] = 0

    # ------------------------------------------------------------------ walking the tree
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and every submodule below it, with dotted names, each once."""
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [
                (f"{name}.{child_name}" if name else child_name, child)
                for child_name, child in module._modules.items()
                if child is not None
            ]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, child in self._modules.items():
            if child is not None:
                yield name, child

    def children(self) -> Iterator[Module]:
        for _, child in self.named_children():
            yield child

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Every parameter with its dotted name (``0.weight``), each once, in order."""
        seen: set[int] = set()
        for module_name, module in self.named_modules(prefix):
            for name, param in module._parameters.items():
                if param is None or id(param) in seen:
                    continue
                seen.add(id(param))
                yield (f"{module_name}.{name}" if module_name else name), param

    def parameters(self) -> Iterator[Parameter]:
        for _, param in self.named_parameters():
            yield param

    def named_buffers(self) -> Iterator[tuple[str, Tensor]]:
        for module_name, module in self.named_modules():
            for name, buffer in module._buffers.items():
                if buffer is not None:
                    yield (f"{module_name}.{name}" if module_name else name), buffer

    def buffers(self) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers():
            yield buffer

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Tensor]:
        """Parameters and buffers by dotted name, as PyTorch names them; the tensors share
        this module's arrays."""
        return {key: tensor.detach() for key, tensor in self._state_tensors().items()}

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True
    ) -> IncompatibleKeys:
        """Copy values from ``state_dict`` into this module's parameters and buffers.

        With ``strict``, every key must match; any shape mismatch is an error either way.
        Everything is checked before anything is copied, so a failed load changes nothing.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"{type(self).__name__}.load_state_dict needs a dict of tensors by name, as "
                f"state_dict() and cr.load() return, not {type(state_dict).__name__}"
            )
        own = self._state_tensors()
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        if strict and (missing or unexpected):
            problems = []
            if missing:
                problems.append(f"missing keys {missing}")
            if unexpected:
                problems.append(f"unexpected keys {unexpected}")
            raise KeyError(
                f"state dict does not fit {type(self).__name__}: {'; '.join(problems)}; "
                "was it saved from a model with another architecture?"
            )
        arrays = {}
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            arrays[key] = as_array(value.data if isinstance(value, Tensor) else value)
            if arrays[key].shape != target.shape:
                raise ValueError(
                    f"state dict entry {key!r} has shape {arrays[key].shape}, but "
                    f"{type(self).__name__} expects {target.shape}"
                )
        for key, array in arrays.items():
            target = own[key].data
            target[...] = to_device(array, device_of(target))
        return IncompatibleKeys(missing, unexpected)

    def _state_tensors(self) -> dict[str, Tensor]:
        own: dict[str, Tensor] = {}
        for module_name, module in self.named_modules():
            for name, tensor in (*module._parameters.items(), *module._buffers.items()):
                if tensor is not None:
                    own[f"{module_name}.{name}" if module_name else name] = tensor
        return own

    # ------------------------------------------------------------------ conversion
    def to(self, *args: Any, dtype: Any = None, device: str | Device | None = None) -> Module:
        """Move every parameter and buffer to a device and/or convert the floating-point ones
        to a dtype, in place, as PyTorch's ``Module.to``: ``model.to("cuda")``,
        ``model.to(cr.float64)``. Gradients move with their parameters. Returns the module.

        Make the optimizer after moving the model: its state is made on its parameters'
        device."""
        target, dtype = parse_to_args(args, dtype, device)
        for tensor in (*self.parameters(), *self.buffers()):
            if dtype is not None and is_floating(tensor.dtype):
                tensor.data = tensor.data.astype(dtype)
            if target is not None:
                tensor.data = to_device(tensor.data, target)
                if tensor.grad is not None:
                    tensor.grad.data = to_device(tensor.grad.data, target)
        return self

    def cpu(self) -> Module:
        """Move every parameter and buffer to the CPU, in place."""
        return self.to(CPU)

    def cuda(self, device: int | str | Device | None = None) -> Module:
        """Move every parameter and buffer to a GPU (``cuda:0`` unless told), in place."""
        return self.to(as_gpu(device))

    def float(self) -> Module:
        return self.to(np.float32)

    def double(self) -> Module:
        return self.to(np.float64)

    # ------------------------------------------------------------------ display
    def extra_repr(self) -> str:
        """The layer's settings, shown inside the parentheses of its repr."""
        return ""

    def __repr__(self) -> str:
        lines = [
            f"  ({name}): " + repr(child).replace("\n", "\n  ")
            for name, child in self._modules.items()
            if child is not None
        ]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n" + "\n".join(lines) + "\n)"
