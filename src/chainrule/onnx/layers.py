"""The ONNX nodes of each layer that export knows: one function per layer type adds the
nodes that compute it to a ``Graph`` and returns the name of their output.

Every function computes what the layer computes in evaluation (``model.eval()``): Dropout is
the identity and BatchNorm1d normalises by its running statistics. Parameters and buffers
become initializers under their state-dict names (``0.weight``), so the file reads like the
model's state dict.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from .. import functional as F
from .. import nn
from .._backend import to_numpy
from ..errors import UserError
from ..tensor import Tensor


class ExportError(UserError, ValueError):
    """A model, example input, option or path that export cannot turn into an ONNX file."""


def qualified(path: str, name: str) -> str:
    """``name`` inside the module at ``path``: ``0.weight``, or ``weight`` at the top."""
    return f"{path}.{name}" if path else name


def where(layer: Any, path: str) -> str:
    """A layer as an error names it: ``Linear (layer 0)``, or ``Linear (the model)``."""
    return f"{type(layer).__name__} ({f'layer {path}' if path else 'the model'})"


class Graph:
    """The nodes and initializers of an ONNX graph being built, with ``onnx`` (the package)
    and the model's float ``dtype``. ``batch_merged`` turns True once a layer merges the
    batch dimension into another, so the output's first dimension is no longer the batch."""

    def __init__(self, onnx: ModuleType, dtype: np.dtype) -> None:
        self.onnx = onnx
        self.dtype = dtype
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self.batch_merged = False

    def constant(self, name: str, array: Any) -> str:
        """Add ``array`` (a NumPy array, or a Tensor on any device) as the initializer
        ``name``; return the name."""
        data = to_numpy(array.data) if isinstance(array, Tensor) else array
        self.initializers.append(
            self.onnx.numpy_helper.from_array(np.ascontiguousarray(data), name)
        )
        return name

    def node(self, op: str, inputs: list[str], path: str, **attributes: Any) -> str:
        """Add the node ``op`` of the layer at ``path``; its name and its output's are
        ``path/op`` (``op`` alone at the top). Returns the output's name."""
        name = f"{path}/{op}" if path else op
        self.nodes.append(self.onnx.helper.make_node(op, inputs, [name], name=name, **attributes))
        return name


def _needs_batch(layer: Any, path: str, shape: tuple[int, ...], rank: int, form: str) -> None:
    """Raise unless the layer's input has ``rank`` dimensions, the first being the batch."""
    if len(shape) < rank:
        raise ExportError(
            f"{where(layer, path)} gets an input of shape {shape}, which has no batch "
            f"dimension; export needs a batched example input, so that it takes {form}"
        )


def _linear(graph: Graph, layer: nn.Linear, path: str, x: str, shape: tuple[int, ...]) -> str:
    _needs_batch(layer, path, shape, 2, "(N, in_features)")
    weight = graph.constant(qualified(path, "weight"), layer.weight)
    bias = [] if layer.bias is None else [graph.constant(qualified(path, "bias"), layer.bias)]
    if len(shape) == 2:
        return graph.node("Gemm", [x, weight, *bias], path, transB=1)
    y = graph.node("MatMul", [x, graph.node("Transpose", [weight], path, perm=[1, 0])], path)
    return graph.node("Add", [y, *bias], path) if bias else y


def _affine_or(graph: Graph, layer: Any, path: str, name: str, default: float) -> str:
    """The layer's parameter ``name``, or a constant ``default`` per feature if it has none."""
    param = getattr(layer, name)
    value = np.full(layer.num_features, default, graph.dtype) if param is None else param
    return graph.constant(qualified(path, name), value)


def _pads(padding: tuple[int, int]) -> list[int]:
    """ONNX's pads, (top, left, bottom, right), from PyTorch's symmetric (rows, columns)."""
    return [*padding, *padding]


def _conv2d(graph: Graph, layer: nn.Conv2d, path: str, x: str, shape: tuple[int, ...]) -> str:
    _needs_batch(layer, path, shape, 4, "(N, C, H, W)")
    weight = graph.constant(qualified(path, "weight"), layer.weight)
    bias = [] if layer.bias is None else [graph.constant(qualified(path, "bias"), layer.bias)]
    return graph.node(
        "Conv",
        [x, weight, *bias],
        path,
        kernel_shape=list(layer.kernel_size),
        strides=list(layer.stride),
        pads=_pads(layer.padding),
    )


def _max_pool2d(
    graph: Graph, layer: nn.MaxPool2d, path: str, x: str, shape: tuple[int, ...]
) -> str:
    _needs_batch(layer, path, shape, 4, "(N, C, H, W)")
    return graph.node(
        "MaxPool",
        [x],
        path,
        kernel_shape=list(F._pair(layer.kernel_size, "kernel_size")),
        strides=list(F._pair(layer.stride, "stride")),
        pads=_pads(F._pair(layer.padding, "padding")),
    )


def _batch_norm1d(
    graph: Graph, layer: nn.BatchNorm1d, path: str, x: str, shape: tuple[int, ...]
) -> str:
    if not layer.track_running_stats:
        raise ExportError(
            f"{where(layer, path)} keeps no running statistics (track_running_stats=False), so "
            "it normalises every batch by its own; export needs the running statistics"
        )
    inputs = [
        x,
        _affine_or(graph, layer, path, "weight", 1.0),
        _affine_or(graph, layer, path, "bias", 0.0),
        graph.constant(qualified(path, "running_mean"), layer.running_mean),
        graph.constant(qualified(path, "running_var"), layer.running_var),
    ]
    return graph.node("BatchNormalization", inputs, path, epsilon=float(layer.eps))


def _flatten(graph: Graph, layer: nn.Flatten, path: str, x: str, shape: tuple[int, ...]) -> str:
    start, end = layer.start_dim % len(shape), layer.end_dim % len(shape)
    if start == end:
        return graph.node("Identity", [x], path)
    if (start, end) == (1, len(shape) - 1):
        return graph.node("Flatten", [x], path, axis=1)
    merged = (*shape[:start], math.prod(shape[start : end + 1]), *shape[end + 1 :])
    # Only the first dimension varies: 0 copies it (the batch), -1 infers it (merged with it).
    graph.batch_merged |= start == 0
    target = np.array([-1 if start == 0 else 0, *merged[1:]], dtype=np.int64)
    return graph.node("Reshape", [x, graph.constant(qualified(path, "shape"), target)], path)


def _same(op: str, **attributes: Callable[[Any], Any]) -> Callable[..., str]:
    """The layer function for a layer that is the single ONNX node ``op``, whatever the
    input's shape, with attributes read from the layer (``alpha=lambda layer: ...``)."""

    def one_node(graph: Graph, layer: Any, path: str, x: str, shape: tuple[int, ...]) -> str:
        return graph.node(op, [x], path, **{k: read(layer) for k, read in attributes.items()})

    return one_node


LAYERS: dict[type, Callable[[Graph, Any, str, str, tuple[int, ...]], str]] = {
    nn.Linear: _linear,
    nn.Conv2d: _conv2d,
    nn.MaxPool2d: _max_pool2d,
    nn.BatchNorm1d: _batch_norm1d,
    nn.Flatten: _flatten,
    nn.Dropout: _same("Identity"),
    nn.Identity: _same("Identity"),
    nn.ReLU: _same("Relu"),
    # An ONNX float attribute is float32: a float64 model's slope is rounded to it, as in
    # PyTorch's export.
    nn.LeakyReLU: _same("LeakyRelu", alpha=lambda layer: float(layer.negative_slope)),
    nn.Sigmoid: _same("Sigmoid"),
    nn.Tanh: _same("Tanh"),
    nn.Softmax: _same("Softmax", axis=lambda layer: layer.dim),
    nn.LogSoftmax: _same("LogSoftmax", axis=lambda layer: layer.dim),
}
"""Each layer type export knows, by exact type (a subclass may compute something else),
with the function that adds its nodes; ``Sequential`` is walked, not looked up here."""
