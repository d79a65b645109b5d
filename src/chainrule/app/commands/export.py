"""``chainrule export``: a model saved by ``train --save`` as an ONNX file, which says what
it wrote: the opset, and each input and output with its dtype and shape."""

from __future__ import annotations

import argparse
import os
from typing import Any

from ...creation import zeros
from ...errors import UserError
from ...onnx import export
from ...onnx.model import DEFAULT_OPSET, INSTALL_HINT, OLDEST_OPSET
from ..run import load_model
from .arguments import at_least


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "export",
        help=f"write a saved model as an ONNX file (needs onnx: {INSTALL_HINT})",
        description="Write a model saved by chainrule train --save as an ONNX file, with a "
        "free batch dimension, for ONNX Runtime and other runtimes.",
    )
    parser.add_argument("model", metavar="MODEL", help="a checkpoint written by train --save")
    parser.add_argument("output", metavar="OUTPUT", help="the ONNX file to write (model.onnx)")
    parser.add_argument(
        "--opset",
        type=at_least(OLDEST_OPSET),
        default=DEFAULT_OPSET,
        help="the ONNX opset to write (default: %(default)s)",
    )
    parser.set_defaults(handler=_export)


def _export(args: argparse.Namespace) -> int:
    architecture, model, settings = load_model(args.model)
    if os.path.exists(args.output) and os.path.samefile(args.model, args.output):
        raise UserError(
            f"OUTPUT {args.output} is the checkpoint MODEL itself, which it would overwrite; "
            "give another file (model.onnx)"
        )
    example = zeros(1, architecture.layers[0])
    proto = export(model, example, args.output, opset_version=args.opset)
    layers = "-".join(map(str, architecture.layers))
    print(f"Wrote {args.output}: {layers} ({settings.activation}, {settings.loss} loss)")
    print(f"opset {args.opset}, IR version {proto.ir_version}")
    values = [("input", v) for v in proto.graph.input] + [("output", v) for v in proto.graph.output]
    width = max(len(value.name) for _, value in values)
    for kind, value in values:
        print(f"{kind:<6}  {value.name:<{width}}  {_described(value)}")
    return 0


def _described(value: Any) -> str:
    """A graph input's or output's dtype and shape: ``float32 (batch, 64)``."""
    from onnx.helper import tensor_dtype_to_np_dtype

    tensor = value.type.tensor_type
    dims = [d.dim_param or str(d.dim_value) for d in tensor.shape.dim]
    return f"{tensor_dtype_to_np_dtype(tensor.elem_type)} ({', '.join(dims)})"
