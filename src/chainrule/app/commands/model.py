"""``chainrule eval`` and ``chainrule predict``: a saved model on a data set or one input."""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np

from ..._backend import to_numpy
from ...function import no_grad
from ...tensor import Tensor
from ..datasets import load_data
from ..run import evaluate, load_model, resolve_device
from ..sample_input import read_input
from .arguments import add_download


def register(subparsers: Any) -> None:
    evaluate_ = subparsers.add_parser(
        "eval", help="evaluate a saved model on a data set's test part"
    )
    evaluate_.add_argument("model", metavar="MODEL", help="a checkpoint written by train --save")
    evaluate_.add_argument("--data", help="the data to evaluate on (default: what it trained on)")
    add_download(evaluate_)
    evaluate_.add_argument("--json", action="store_true")
    _add_device(evaluate_, "evaluate")
    evaluate_.set_defaults(handler=_eval)

    predict = subparsers.add_parser("predict", help="classify one input with a saved model")
    predict.add_argument("model", metavar="MODEL", help="a checkpoint written by train --save")
    predict.add_argument(
        "input",
        metavar="INPUT",
        help="a .png or .pgm image (for an MNIST model, a digit on plain paper, prepared as "
        "MNIST's were: scaled into 20x20, centred by its mass in 28x28), or a CSV row",
    )
    predict.add_argument("--json", action="store_true")
    _add_device(predict, "classify")
    predict.set_defaults(handler=_predict)


def _add_device(parser: argparse.ArgumentParser, verb: str) -> None:
    parser.add_argument(
        "--device",
        default="cpu",
        help=f"where to {verb}: cpu (default), cuda or cuda:N, wherever the model trained",
    )


def _eval(args: argparse.Namespace) -> int:
    architecture, model, settings = load_model(args.model, resolve_device(args.device))
    bundle = load_data(args.data or settings.data, settings.seed, args.download)
    architecture.check_fits(bundle)
    loss, accuracy = evaluate(model, architecture, bundle.test)
    if args.json:
        print(json.dumps({"loss": loss, "accuracy": accuracy, "samples": len(bundle.test)}))
    else:
        print(
            f"{bundle.name}: test loss {loss:.4f}, accuracy {accuracy:.1%} "
            f"on {len(bundle.test):,} samples"
        )
    return 0


def _predict(args: argparse.Namespace) -> int:
    device = resolve_device(args.device)
    architecture, model, settings = load_model(args.model, device)
    x = read_input(args.input, architecture.layers[0], settings.data)
    model.eval()
    with no_grad():
        outputs = model(Tensor(x[None, :], device=device))
    label = int(architecture.predict(to_numpy(outputs.data))[0])
    scores = architecture.probabilities(outputs)[0]
    if args.json:
        print(json.dumps({"prediction": label, "scores": [float(s) for s in scores]}))
        return 0
    print(f"prediction: {label}")
    order = np.argsort(-scores)[:3]
    print("scores: " + ", ".join(f"{int(k)}: {scores[k]:.3f}" for k in order))
    return 0
