"""``export``: a model traced on an example input into an ONNX ModelProto, written to a file.

The model runs once on the example input, layer by layer, in evaluation (each layer's
shapes checked by chainrule itself); each layer adds its nodes (``layers.LAYERS``). The
first dimension is the batch, left free in the file (``dim_param`` "batch"). The IR version
is the oldest that carries the opset, from onnx's own table, not the newest onnx knows:
runtimes reject a file stamped with an IR version newer than theirs.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import numpy as np

from .. import nn
from ..errors import UserError
from ..function import no_grad
from ..serialization import atomic_write
from ..tensor import Tensor
from .layers import LAYERS, ExportError, Graph, qualified, where

OLDEST_OPSET = 13
"""The oldest opset export writes: from 13 on, Softmax and LogSoftmax take one axis (and
negative ones), as PyTorch's dim."""

DEFAULT_OPSET = 17
"""The opset written unless another is asked for; the file's IR version follows from it."""

INSTALL_HINT = 'pip install "chainrule[onnx]"'

BATCH = "batch"
"""The name of the first dimension of the input (and of the output, while no layer merges
it into another), which the file leaves free."""

FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


class OnnxUnavailableError(UserError, ImportError):
    """Export was asked for, and the onnx package is not installed."""


def _onnx() -> ModuleType:
    """The onnx package (with its helper and numpy_helper), imported on first use."""
    try:
        onnx = importlib.import_module("onnx")
    except ImportError as error:
        raise OnnxUnavailableError(
            f"export to ONNX needs the onnx package ({error}); {INSTALL_HINT}"
        ) from None
    importlib.import_module("onnx.numpy_helper")
    return onnx


def _example(example_input: Any) -> Tensor:
    """The example input: a Tensor, or a tuple holding one (as PyTorch's ``args``), whose
    first dimension is the batch."""
    if isinstance(example_input, tuple) and len(example_input) == 1:
        example_input = example_input[0]
    if not isinstance(example_input, Tensor) or example_input.ndim == 0:
        given = (
            "a 0-d tensor" if isinstance(example_input, Tensor) else type(example_input).__name__
        )
        raise ExportError(
            "export needs an example input: a tensor whose first dimension is the batch, such "
            f"as cr.zeros(1, 64) for a model of 64 inputs, not {given}"
        )
    return example_input


def _dtype_of(model: nn.Module, x: Tensor) -> np.dtype:
    """The float dtype of the model's parameters and float buffers, which the example input
    must share; the input's own when the model has none."""
    held = {t.dtype for t in (*model.parameters(), *model.buffers()) if t.dtype.kind == "f"}
    if len(held) > 1:
        names = " and ".join(sorted(map(str, held)))
        raise ExportError(
            f"the model holds {names} tensors; make it one dtype (model.float() or model.double())"
        )
    dtype = held.pop() if held else x.dtype
    if dtype not in FLOATS:
        raise ExportError(f"export writes float32 or float64 models, not {dtype}")
    if x.dtype != dtype:
        raise ExportError(
            f"the example input is {x.dtype} and the model {dtype}; give an input of the "
            f"model's dtype (or make the model {x.dtype} with model.to(cr.{x.dtype}))"
        )
    return dtype


def _name(names: Sequence[str] | None, kind: str) -> str:
    """The name of the graph's one ``kind`` ("input" or "output"): the one in ``names``
    (PyTorch's ``input_names`` or ``output_names``), or ``kind`` itself by default."""
    if names is None:
        return kind
    names = [names] if isinstance(names, str) else list(names)
    if len(names) != 1 or not isinstance(names[0], str) or not names[0]:
        raise ExportError(f"{kind}_names must hold one non-empty name, for the one {kind}")
    return names[0]


def _check_opset(onnx: ModuleType, opset_version: Any) -> None:
    newest = onnx.defs.onnx_opset_version()
    ok = isinstance(opset_version, int) and not isinstance(opset_version, bool)
    if not ok or not OLDEST_OPSET <= opset_version <= newest:
        raise ExportError(
            f"opset_version must be an int from {OLDEST_OPSET} to {newest} (the newest the "
            f"installed onnx knows), not {opset_version!r}"
        )


def _trace(
    graph: Graph, module: nn.Module, path: str, x_name: str, x: Tensor
) -> tuple[str, Tensor]:
    """Run ``module`` (at ``path`` in the model) on ``x``, named ``x_name`` in the graph,
    adding its nodes; return its output's name and value."""
    if type(module) is nn.Sequential:
        for name, child in module.named_children():
            x_name, x = _trace(graph, child, qualified(path, name), x_name, x)
        return x_name, x
    add_nodes = LAYERS.get(type(module))
    if add_nodes is None:
        known = ", ".join(["Sequential", *(layer.__name__ for layer in LAYERS)])
        raise ExportError(f"cannot export {where(module, path)}: export knows {known}")
    try:
        y = module(x)
    except UserError:
        raise
    except (ValueError, TypeError, IndexError, RuntimeError) as error:
        raise ExportError(
            f"the example input does not fit {where(module, path)}: {error}"
        ) from None
    return add_nodes(graph, module, path, x_name, x.shape), y


def _in_evaluation(
    model: nn.Module, x: Tensor, graph: Graph, input_name: str
) -> tuple[str, Tensor]:
    """Trace the model as ``model.eval()`` runs it, leaving every module's training flag as
    it was."""
    flags = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        with no_grad():
            return _trace(graph, model, "", input_name, x)
    finally:
        for module, training in flags:
            module.training = training


def _name_output(graph: Graph, last: str, output_name: str, input_name: str) -> None:
    """Name the graph's output ``output_name``: the last node's output, ``last``, is renamed
    (an Identity is added for a model with no layers, whose output is its input). Names
    taken by an initializer or another node's output are refused."""
    if not graph.nodes:
        graph.node("Identity", [last], "")
    graph.nodes[-1].output[0] = output_name
    taken = {init.name for init in graph.initializers}
    taken.update(node.output[0] for node in graph.nodes[:-1])
    for what, name in (("input", input_name), ("output", output_name)):
        if name in taken:
            raise ExportError(
                f"the {what} name {name!r} is already the name of a tensor in the graph; "
                "choose another"
            )
    if input_name == output_name:
        raise ExportError(f"the input and the output are both named {input_name!r}")


def _write(model_proto: Any, path: str | os.PathLike[str]) -> None:
    """Write the file atomically: ``path`` holds the whole model or what it held before."""
    try:
        atomic_write(path, lambda file: file.write(model_proto.SerializeToString()))
    except OSError as error:
        if error.filename is None:  # a message that names the path already
            raise ExportError(error.strerror) from None
        raise ExportError(f"cannot write {os.fspath(path)}: {error.strerror}") from None


def export(
    model: nn.Module,
    example_input: Tensor | tuple[Tensor],
    path: str | os.PathLike[str],
    opset_version: int = DEFAULT_OPSET,
    input_names: Sequence[str] | None = None,
    output_names: Sequence[str] | None = None,
) -> Any:
    """Write ``model`` to ``path`` as an ONNX file that runs in ONNX Runtime and elsewhere;
    return its ``onnx.ModelProto``.

    ``example_input`` (a Tensor, or a tuple of one) is run through the model once to fix
    every shape but the first, the batch, which stays free (named "batch"). The file is in
    the model's dtype, float32 or float64 (``model.double()`` and a float64 input give a
    float64 file). It computes what ``model.eval()`` computes whatever the training flags,
    which it leaves as they were: Dropout is the identity, BatchNorm1d uses its running
    statistics. ``input_names`` and ``output_names`` hold one name each ("input" and
    "output" by default). ``opset_version`` is 13 or newer; the file's IR version is the
    oldest that carries that opset (8 for opset 17).

    Layers: Sequential, Linear, Conv2d, MaxPool2d, BatchNorm1d, Flatten, Dropout, Identity,
    ReLU, LeakyReLU, Sigmoid, Tanh, Softmax, LogSoftmax. Any other module, an example input
    that is missing or does not fit, or a path that cannot be written raises ``ExportError``;
    ``OnnxUnavailableError`` says how to install onnx (``pip install "chainrule[onnx]"``).
    """
    from .. import __version__

    onnx = _onnx()
    helper = onnx.helper
    _check_opset(onnx, opset_version)
    if not isinstance(model, nn.Module):
        raise ExportError(f"export takes a chainrule nn.Module, not {type(model).__name__}")
    x = _example(example_input)
    dtype = _dtype_of(model, x)
    input_name = _name(input_names, "input")
    output_name = _name(output_names, "output")
    graph = Graph(onnx, dtype)
    last, y = _in_evaluation(model, x, graph, input_name)
    _name_output(graph, last, output_name, input_name)
    element = helper.np_dtype_to_tensor_dtype(dtype)
    first = None if graph.batch_merged else BATCH  # None: a free dimension without a name
    inputs = [helper.make_tensor_value_info(input_name, element, [BATCH, *x.shape[1:]])]
    outputs = [helper.make_tensor_value_info(output_name, element, [first, *y.shape[1:]])]
    opsets = [helper.make_opsetid("", opset_version)]
    model_proto = helper.make_model(
        helper.make_graph(
            graph.nodes, type(model).__name__, inputs, outputs, initializer=graph.initializers
        ),
        opset_imports=opsets,
        ir_version=helper.find_min_ir_version_for(opsets),
        producer_name="chainrule",
        producer_version=__version__,
    )
    _write(model_proto, path)
    return model_proto
