"""``Sequential``: layers applied one after another."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .module import Module


class Sequential(Module):
    """Runs its layers in order; layer i is named ``str(i)``, as in PyTorch, so parameters
    are called ``0.weight``, ``0.bias``, ``2.weight`` ...

    Built from modules (``Sequential(Linear(2, 2), Sigmoid())``) or from a mapping of names
    to modules.
    """

    def __init__(self, *layers: Module | Mapping[str, Module]) -> None:
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], Mapping):
            for name, layer in layers[0].items():
                self.add_module(name, layer)
            return
        for index, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(
                    f"Sequential takes modules, and argument {index} is a {type(layer).__name__}"
                )
            self.add_module(str(index), layer)

    def forward(self, x: Any) -> Any:
        layers = iter(self._modules.values())
        first = next(layers, None)
        if first is not None:
            x = first(x)  # through __call__, which checks what the first layer takes
        for layer in layers:
            x = layer.forward(x)  # what layer(x) runs, one Python call fewer per layer
        return x

    def append(self, layer: Module) -> Sequential:
        self.add_module(str(len(self._modules)), layer)
        return self

    def __getitem__(self, index: int | slice) -> Module:
        layers = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(*layers[index])
        return layers[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())
