"""``Sequential``: layers applied one after another; ``mlp``: the Sequential of a multilayer
perceptron, by its layer sizes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from itertools import pairwise
from numbers import Integral
from typing import Any

from ..tensor import Tensor
from .activation import ACTIVATIONS, FUSED_AFTER_LINEAR
from .linear import Linear
from .module import Module


class Sequential(Module):
    """Runs its layers in order; layer i is named ``str(i)``, as in PyTorch, so parameters
    are called ``0.weight``, ``0.bias``, ``2.weight`` ...

    Built from modules (``Sequential(Linear(2, 2), Sigmoid())``) or from a mapping of names
    to modules.

    A ``Linear`` layer followed by an elementwise activation (``FUSED_AFTER_LINEAR``) runs as
    one op, e.g. ``LinearSigmoid``: the same values and gradients, bit for bit, with one graph
    node fewer; the output's ``grad_fn`` is that op. Layers whose ``forward`` is replaced on
    the instance run on their own.
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
        layers = tuple(self._modules.values())
        count = len(layers)
        i = 0
        while i < count:
            layer = layers[i]
            if type(layer) is Linear and i + 1 < count:
                following = layers[i + 1]
                if (
                    type(following) in FUSED_AFTER_LINEAR
                    and (i or isinstance(x, Tensor))  # else the first layer's __call__ refuses x
                    and "forward" not in layer.__dict__
                    and "forward" not in following.__dict__
                ):
                    x = following.forward_after(layer, x)
                    i += 2
                    continue
            # The first layer through __call__, which checks what it takes; the others by
            # what layer(x) runs, one Python call fewer per layer.
            x = layer.forward(x) if i else layer(x)
            i += 1
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


def mlp(
    sizes: Sequence[int], activation: str = "relu", output_activation: str | None = None
) -> Sequential:
    """``Linear`` layers from each size to the next, ``activation`` after each but the last,
    and ``output_activation`` after the last (None: none, for a loss that takes logits).

    ``mlp([784, 30, 10], "sigmoid", "sigmoid")`` is the network of the lecture notes
    "파이썬(Python)으로 구현하는 오차역전파" (backpropagation implemented in Python),
    ``Sequential(Linear(784, 30), Sigmoid(), Linear(30, 10), Sigmoid())``. Activations are
    named as in ``ACTIVATIONS``: sigmoid, relu, tanh, leaky_relu.
    """
    if len(sizes) < 2 or not all(isinstance(s, Integral) and s >= 1 for s in sizes):
        raise ValueError(
            "an MLP needs at least two layer sizes (inputs, ..., outputs), each a positive "
            f"integer, not {tuple(sizes)}"
        )
    for name in (activation, output_activation):
        if name is not None and name not in ACTIVATIONS:
            raise ValueError(f"unknown activation {name!r}; use one of {', '.join(ACTIVATIONS)}")
    layers: list[Module] = []
    for fan_in, fan_out in pairwise(sizes):
        layers += [Linear(fan_in, fan_out), ACTIVATIONS[activation]()]
    if output_activation is None:
        layers.pop()
    else:
        layers[-1] = ACTIVATIONS[output_activation]()
    return Sequential(*layers)
