"""The records of an explained training step: plain data that every renderer reads.

A ``Trace`` holds numbers only, each one read from the engine (a forward value, a gradient
kept by ``retain_grad``, a parameter's ``.grad``, an op's own local derivative) or the
product of such numbers that the walk-through shows being multiplied. Text, Markdown and
HTML render the same records, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Neuron:
    """One unit after the forward pass: net = Σ w·in + b, out = activation(net)."""

    name: str
    layer: int  # 1 for the first Linear layer
    index: int  # 0-based position in its layer
    activation: str  # "sigmoid", "relu", "tanh", "leaky_relu" or "identity"
    net: float
    out: float


@dataclass(frozen=True)
class LossTerm:
    """The part of the total error that one output contributes."""

    output: str
    target: float
    out: float
    value: float


@dataclass(frozen=True)
class FeedTerm:
    """One path from a hidden neuron to the error: ∂E/∂net_k · w_kh for a neuron k it feeds."""

    to: str
    dE_dnet: float
    weight: float
    product: float


@dataclass(frozen=True)
class Delta:
    """The chain rule at one neuron: ∂E/∂out · ∂out/∂net = ∂E/∂net.

    ``dE_dout`` and ``dE_dnet`` are the engine's gradients of the neuron's activation and
    net input; ``dout_dnet`` is the activation op's local derivative. For a hidden neuron,
    ``feeds`` lists the terms whose sum is ``dE_dout`` (one per neuron of the next layer).
    """

    neuron: str
    layer: int
    index: int
    dE_dout: float
    dout_dnet: float
    dE_dnet: float
    feeds: tuple[FeedTerm, ...] = ()


@dataclass(frozen=True)
class ParameterStep:
    """One weight or bias in the step: its three chain-rule factors, their product, the engine's
    ``.grad`` (equal to the product), and its value after the update (None if frozen)."""

    name: str
    kind: str  # "weight" or "bias"
    layer: int
    source: str  # the neuron (or input) it multiplies; "1" for a bias
    target: str  # the neuron whose net input it feeds
    key: str  # the state-dict entry and index, e.g. "0.weight[1, 0]"
    value: float
    dE_dout: float
    dout_dnet: float
    dnet_dparam: float
    product: float
    grad: float
    updated: float | None


@dataclass
class Trace:
    """Every number of one forward pass, one backward pass and one SGD update."""

    loss: str  # "half_sse", "mse", "bce" or "ce"
    lr: float
    inputs: tuple[tuple[str, float], ...]
    neurons: list[Neuron]
    loss_terms: list[LossTerm]
    total_error: float
    deltas: list[Delta]
    parameters: list[ParameterStep]
    error_after: float
    errors: list[float] = field(default_factory=list)  # before each update, and after the last
    frozen_biases: bool = False
    layer_sizes: tuple[int, ...] = ()
    # Each layer's leaky_relu slope for a negative net input (None for other activations):
    # the page that recomputes the walk-through needs it, and the neurons do not say it.
    negative_slopes: tuple[float | None, ...] = ()

    def layer(self, number: int) -> list[Neuron]:
        """The neurons of layer ``number`` (1 for the first Linear layer), in order."""
        return [n for n in self.neurons if n.layer == number]

    def _repr_html_(self) -> str:
        """The walk-through as an HTML fragment, for Jupyter."""
        from .html import html_repr  # records stay free of renderers until one is asked for

        return html_repr(self)

    @property
    def depth(self) -> int:
        return len(self.layer_sizes) - 1
