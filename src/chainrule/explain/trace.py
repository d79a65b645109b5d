"""``trace``: one training step of a small network, with every number recorded.

The step runs on a float64 copy of the model through the ordinary engine; a float32 model
or sample becomes float64 as its values are written (0.15, not 0.15000000596), so that a
network built with ``nn.Linear``'s default dtype shows the worked example's numbers. Forward values
come from the layers; ∂E/∂net and ∂E/∂out of every neuron are kept by ``retain_grad``;
each activation's local derivative ∂out/∂net is that op's own ``backward`` applied to ones;
``.grad`` of each parameter comes from ``backward()``; the update is ``optim.SGD``'s. The
model passed in is left as it was.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import functional as F
from .. import nn, optim
from .._backend import float64
from ..errors import UserError
from ..function import no_grad
from ..nn.activation import ACTIVATIONS
from ..tensor import Tensor
from .records import Delta, FeedTerm, LossTerm, Neuron, ParameterStep, Trace

ACTIVATION_NAMES: dict[type[nn.Module], str] = {
    **{module: name for name, module in ACTIVATIONS.items()},
    nn.Identity: "identity",
}
"""The activations a walk-through shows: ``nn``'s table, and Identity (none at all)."""
LOSSES = ("half_sse", "mse", "bce", "ce")
NAMES = ("example", "index")
"""How ``trace`` names neurons and parameters: as the worked example does (i1, h1, o1, w1…) or
by layer and index (x1, a1_1, W1[1,2])."""
MAX_NEURONS = 64


class ExplainError(UserError, ValueError):
    """The model, data or options are outside what a walk-through can show."""


def dense_layers(model: nn.Module) -> list[tuple[int, nn.Linear, nn.Module | None]]:
    """(index in the Sequential, Linear, its activation or None) for each Linear layer, or
    an ``ExplainError`` naming the first module explain cannot show."""
    modules = list(model) if isinstance(model, nn.Sequential) else [model]
    layers: list[tuple[int, nn.Linear, nn.Module | None]] = []
    for position, module in enumerate(modules):
        if isinstance(module, nn.Linear):
            layers.append((position, module, None))
        elif type(module) in ACTIVATION_NAMES and layers and layers[-1][2] is None:
            layers[-1] = (layers[-1][0], layers[-1][1], module)
        else:
            what = type(module).__name__
            raise ExplainError(
                f"explain shows nn.Sequential models of Linear layers, each followed by at most "
                f"one elementwise activation ({', '.join(m.__name__ for m in ACTIVATION_NAMES)}); "
                f"module {position} is {what}"
            )
    if not layers:
        raise ExplainError("explain needs a model with at least one Linear layer")
    return layers


def _sizes(layers: list[tuple[int, nn.Linear, nn.Module | None]]) -> tuple[int, ...]:
    return (layers[0][1].in_features, *(linear.out_features for _, linear, _ in layers))


class _Names:
    """Neuron and parameter names: as Matt Mazur's worked example writes them ("example": i1,
    h1, o1, w1…w8, b1_1, b1_2) or by layer and index ("index": x1, a1_1, W1[1,2], b1[1]).
    Every neuron has a bias of its own, so a bias is named by its layer and neuron even where
    the worked example starts a layer's biases equal and calls them one b1."""

    def __init__(self, style: str, sizes: tuple[int, ...]) -> None:
        if style not in NAMES:
            raise ExplainError(f"names must be 'example' or 'index', not {style!r}")
        self.style = style
        self.depth = len(sizes) - 1
        self.weight_number = np.cumsum([0, *(a * b for a, b in itertools.pairwise(sizes))])

    def neuron(self, layer: int, index: int) -> str:
        if layer == 0:
            return f"{'i' if self.style == 'example' else 'x'}{index + 1}"
        if self.style == "index":
            return f"a{layer}_{index + 1}"
        if layer == self.depth:
            return f"o{index + 1}"
        return f"h{index + 1}" if self.depth == 2 else f"h{layer}_{index + 1}"

    def weight(self, layer: int, row: int, col: int, fan_in: int) -> str:
        if self.style == "index":
            return f"W{layer}[{row + 1},{col + 1}]"
        return f"w{self.weight_number[layer - 1] + row * fan_in + col + 1}"

    def bias(self, layer: int, row: int) -> str:
        if self.style == "index":
            return f"b{layer}[{row + 1}]"
        return f"b{layer}_{row + 1}"


def _narrow(values: np.ndarray) -> bool:
    """Whether ``values`` are floats narrower than float64 (float32, float16)."""
    return np.issubdtype(values.dtype, np.floating) and values.dtype.itemsize < 8


def _as_written(values: Any) -> np.ndarray:
    """``values`` (an array, a Tensor or a sequence) in float64; a float32 (or float16) value
    becomes the float64 of its shortest decimal, the number as one writes it: np.float32(0.15)
    gives 0.15, not 0.15000000596046448."""
    array = np.asarray(values.data if isinstance(values, Tensor) else values)
    return array.astype(str).astype(np.float64) if _narrow(array) else array.astype(np.float64)


def _narrowest(*arrays: Any) -> str | None:
    """The dtypes narrower than float64 among ``arrays``, e.g. "float32"; None if none is."""
    return ", ".join(sorted({str(a.dtype) for a in map(np.asarray, arrays) if _narrow(a)})) or None


def _targets(targets: Any, loss: str, outputs: int) -> np.ndarray:
    values = _as_written(targets)
    if loss == "ce" and values.shape in ((), (1,)) and float(values.reshape(-1)[0]).is_integer():
        label = int(values.reshape(-1)[0])
        if not 0 <= label < outputs:
            raise ExplainError(f"target class {label} is out of range for {outputs} outputs")
        return np.eye(outputs)[label]
    values = values.reshape(-1)
    if values.shape != (outputs,):
        raise ExplainError(
            f"targets must give one value per output ({outputs}), not {values.size}"
            + ("; for ce, a class index also works" if loss == "ce" else "")
        )
    return values


def _loss_terms(out: Tensor, target: np.ndarray, loss: str) -> Tensor:
    """One term per output, summing to the error E."""
    n = out.shape[-1]
    if loss == "half_sse":
        return 0.5 * (target - out) ** 2
    if loss == "mse":
        return (out - target) ** 2 / n
    if loss == "bce":
        return F.binary_cross_entropy(out, Tensor(target), reduction="none") / n
    return -(out.log_softmax(-1) * target)


def _softmax_steps(out: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, ...]:
    """For ce, the numbers of Saito's SoftmaxWithLoss derivation, each from the engine: the
    probabilities y = softmax(out) and ∂E/∂y of E = −Σ target·log y (a forward and backward
    through softmax and log), and the softmax's Jacobian, row j holding ∂y_j/∂out_k (the
    softmax op's backward applied to each unit vector)."""
    scores = Tensor(out, requires_grad=True, dtype=float64)
    y = scores.softmax(-1)
    node = y.grad_fn
    jacobian = np.stack([np.asarray(node.backward(node, row)[0]) for row in np.eye(out.size)])
    y.retain_grad()
    (-(y.log() * target)).sum().backward()  # frees what the op saved: the Jacobian goes first
    return y.data.copy(), y.grad.data.copy(), jacobian


def _local_derivative(out: Tensor, net: Tensor) -> np.ndarray:
    """∂out/∂net of an elementwise activation: its op's backward applied to ones."""
    if out is net:
        return np.ones_like(net.data)
    node = out.grad_fn
    local = node.backward(node, np.ones_like(out.data))
    return np.asarray(local[0] if isinstance(local, tuple) else local)


def _forward(
    layers: list[tuple[int, nn.Linear, nn.Module | None]], x: Tensor, retain: bool
) -> list[tuple[Tensor, Tensor]]:
    """(net, out) of every layer; with ``retain``, both keep their gradients."""
    values = []
    for _, linear, activation in layers:
        net = linear(x)
        out = activation(net) if activation is not None else net
        if retain:
            net.retain_grad()
            out.retain_grad()
        values.append((net, out))
        x = out
    return values


def trace(
    model: nn.Module,
    inputs: Sequence[float] | np.ndarray | Tensor,
    targets: Any,
    loss: str = "half_sse",
    lr: float = 0.5,
    freeze_biases: bool = False,
    names: str = "example",
    steps: int = 1,
    max_neurons: int = MAX_NEURONS,
) -> Trace:
    """Run one SGD step of ``model`` on one sample and record every number of it.

    ``loss`` is ``half_sse`` (E = Σ ½(t − o)², as Matt Mazur's example and the lecture notes
    write it), ``mse`` (the mean of
    (o − t)²), ``bce`` (on sigmoid outputs) or ``ce`` (softmax cross-entropy on the outputs,
    with a class index or a one-hot target). ``freeze_biases`` leaves biases out of the
    update, as Mazur's example does. ``names`` is ``example`` (i1, h1, o1, w1…, as Mazur's
    example names them) or ``index`` (x1, a1_1, W1[1,2]). ``steps`` > 1 continues training and
    records the error after each update in ``errors``. The model itself is not changed.
    """
    if loss not in LOSSES:
        raise ExplainError(f"loss must be one of {', '.join(LOSSES)}, not {loss!r}")
    if steps < 1:
        raise ExplainError(f"steps must be at least 1, not {steps}")
    working = copy.deepcopy(model)
    raw_inputs, raw_targets = (v.data if isinstance(v, Tensor) else v for v in (inputs, targets))
    widened = _narrowest(*(p.data for p in working.parameters()), raw_inputs, raw_targets)
    for parameter in working.parameters():
        parameter.data = _as_written(parameter.data)
    layers = dense_layers(working)
    sizes = _sizes(layers)
    if sum(sizes) > max_neurons:
        raise ExplainError(
            f"explain shows every number of networks up to {max_neurons} neurons, and this "
            f"one has {sum(sizes)} ({'-'.join(map(str, sizes))}); try a smaller network"
        )
    x = _as_written(inputs).reshape(-1)
    if x.shape != (sizes[0],):
        raise ExplainError(
            f"inputs must be one sample of {sizes[0]} values (explain follows one sample), "
            f"not {x.size} values"
        )
    target = _targets(targets, loss, sizes[-1])
    x_tensor = Tensor(x, dtype=float64)

    values = _forward(layers, x_tensor, retain=True)
    out = values[-1][1]
    terms = _loss_terms(out, target, loss)
    total = terms.sum()
    local = [_local_derivative(o, n) for n, o in values]
    total.backward()

    biases = [
        linear.bias.numpy().copy() if linear.bias is not None else np.zeros(0)
        for _, linear, _ in layers
    ]
    label = _Names(names, sizes)
    activations = [
        ACTIVATION_NAMES[type(act)] if act is not None else "identity" for _, _, act in layers
    ]
    slopes = [
        float(act.negative_slope) if isinstance(act, nn.LeakyReLU) else None for _, _, act in layers
    ]
    neurons = [
        Neuron(
            label.neuron(layer, j),
            layer,
            j,
            activations[layer - 1],
            float(net.data[j]),
            float(o.data[j]),
            slopes[layer - 1],
        )
        for layer, (net, o) in enumerate(values, start=1)
        for j in range(sizes[layer])
    ]
    softmax = _softmax_steps(out.data, target) if loss == "ce" else None
    loss_terms = [
        LossTerm(
            label.neuron(len(layers), k),
            float(target[k]),
            float(out.data[k]),
            float(terms.data[k]),
            *(
                (float(softmax[0][k]), float(softmax[1][k]), tuple(map(float, softmax[2][k])))
                if softmax is not None
                else ()
            ),
        )
        for k in range(sizes[-1])
    ]
    deltas = []
    for layer, (net, o) in enumerate(values, start=1):
        for j in range(sizes[layer]):
            feeds: tuple[FeedTerm, ...] = ()
            if layer < len(layers):
                next_net = values[layer][0]
                next_weight = layers[layer][1].weight.numpy()
                feeds = tuple(
                    FeedTerm(
                        label.neuron(layer + 1, k),
                        float(next_net.grad.data[k]),
                        float(next_weight[k, j]),
                        float(next_net.grad.data[k] * next_weight[k, j]),
                    )
                    for k in range(sizes[layer + 1])
                )
            deltas.append(
                Delta(
                    label.neuron(layer, j),
                    layer,
                    j,
                    float(o.grad.data[j]),
                    float(local[layer - 1][j]),
                    float(net.grad.data[j]),
                    feeds,
                )
            )

    before = [(linear.weight.numpy().copy(), biases[k]) for k, (_, linear, _) in enumerate(layers)]
    trainable = [
        p
        for _, linear, _ in layers
        for p in (linear.weight, linear.bias)
        if p is not None and not (freeze_biases and p is linear.bias)
    ]
    optimizer = optim.SGD(trainable, lr=lr)
    optimizer.step()
    parameters = _parameters(layers, values, local, x, label, before, freeze_biases)

    errors = [float(total.item()), _error(layers, x_tensor, target, loss)]
    for _ in range(steps - 1):
        optimizer.zero_grad()
        step_out = _forward(layers, x_tensor, retain=False)[-1][1]
        _loss_terms(step_out, target, loss).sum().backward()
        optimizer.step()
        errors.append(_error(layers, x_tensor, target, loss))

    return Trace(
        loss=loss,
        lr=lr,
        inputs=tuple((label.neuron(0, i), float(v)) for i, v in enumerate(x)),
        neurons=neurons,
        loss_terms=loss_terms,
        total_error=errors[0],
        deltas=deltas,
        parameters=parameters,
        error_after=errors[1],
        errors=errors,
        frozen_biases=freeze_biases,
        layer_sizes=sizes,
        widened_from=widened,
    )


def _error(layers: list[Any], x: Tensor, target: np.ndarray, loss: str) -> float:
    with no_grad():
        out = _forward(layers, x, retain=False)[-1][1]
        return float(_loss_terms(out, target, loss).sum().item())


def _parameters(
    layers: list[tuple[int, nn.Linear, nn.Module | None]],
    values: list[tuple[Tensor, Tensor]],
    local: list[np.ndarray],
    x: np.ndarray,
    label: _Names,
    before: list[tuple[np.ndarray, np.ndarray]],
    frozen_biases: bool,
) -> list[ParameterStep]:
    """A record per weight and bias; ``before`` holds their values before the update that
    the layers now hold the result of."""
    records = []
    for layer, ((position, linear, _), (_, o)) in enumerate(
        zip(layers, values, strict=True), start=1
    ):
        source = x if layer == 1 else values[layer - 2][1].data
        weight, bias = before[layer - 1]
        for j in range(linear.out_features):
            dE_dout, dout_dnet = float(o.grad.data[j]), float(local[layer - 1][j])
            for i in range(linear.in_features):
                records.append(
                    ParameterStep(
                        name=label.weight(layer, j, i, linear.in_features),
                        kind="weight",
                        layer=layer,
                        source=label.neuron(layer - 1, i),
                        target=label.neuron(layer, j),
                        key=f"{position}.weight[{j}, {i}]",
                        value=float(weight[j, i]),
                        dE_dout=dE_dout,
                        dout_dnet=dout_dnet,
                        dnet_dparam=float(source[i]),
                        product=dE_dout * dout_dnet * float(source[i]),
                        grad=float(linear.weight.grad.data[j, i]),
                        updated=float(linear.weight.data[j, i]),
                    )
                )
            if linear.bias is not None:
                records.append(
                    ParameterStep(
                        name=label.bias(layer, j),
                        kind="bias",
                        layer=layer,
                        source="1",
                        target=label.neuron(layer, j),
                        key=f"{position}.bias[{j}]",
                        value=float(bias[j]),
                        dE_dout=dE_dout,
                        dout_dnet=dout_dnet,
                        dnet_dparam=1.0,
                        product=dE_dout * dout_dnet,
                        grad=float(linear.bias.grad.data[j]),
                        updated=None if frozen_biases else float(linear.bias.data[j]),
                    )
                )
    return records
