"""``chainrule explain``: every number of one training step, as the seeds work them by hand.

With no options, seed 000's 2-2-2 network; ``--layers`` and friends describe a network of
one's own; ``explain xor`` tells seed 003's story.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from ... import explain, nn
from ...explain.networks import SEED_000_LR
from ...explain.trace import LOSSES, ExplainError
from ...function import no_grad
from ...nn.activation import ACTIVATIONS
from ...random import manual_seed
from ..files import user_files
from .arguments import at_least, layer_sizes, numbers, positive_int, positive_number, random_seed

FORMATS = ("text", "markdown", "html")
MAX_DIGITS = 17
"""A float64 shows every digit it holds in 17 significant digits."""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "explain",
        help="show every number of a forward pass, a backward pass and an update",
        description="Walk through one training step of a small network, number by number. "
        "With no options: the 2-2-2 example of seed 000.",
    )
    parser.add_argument(
        "example",
        nargs="?",
        choices=("seed-000", "xor"),
        default="seed-000",
        help="seed-000 (default) or xor (why a perceptron cannot learn XOR)",
    )
    network = parser.add_argument_group("a network of your own")
    network.add_argument("--layers", type=layer_sizes, help="layer sizes, e.g. 2,3,1")
    network.add_argument("--activation", choices=ACTIVATIONS, default="sigmoid")
    network.add_argument("--inputs", type=numbers, help="one sample, e.g. 0.05,0.10")
    network.add_argument("--targets", type=numbers, help="its targets (a class index for ce)")
    network.add_argument("--weights", metavar="FILE", help="JSON of state-dict entries to set")
    network.add_argument(
        "--seed", type=random_seed, default=0, help="seed for random weights and data"
    )
    step = parser.add_argument_group("the step")
    step.add_argument("--loss", choices=LOSSES, help="half_sse (default: E = Σ ½(t − o)²)")
    step.add_argument("--lr", type=positive_number, help=f"learning rate (default {SEED_000_LR:g})")
    step.add_argument("--freeze-biases", action="store_true", help="leave biases unchanged")
    step.add_argument(
        "--steps", type=positive_int, default=1, help="updates to run, showing the error"
    )
    shown = parser.add_argument_group("the output")
    shown.add_argument("--names", choices=("seed", "index"), default="seed")
    shown.add_argument("--digits", type=at_least(1, MAX_DIGITS), default=explain.DEFAULT_DIGITS)
    shown.add_argument("--lang", choices=explain.LANGUAGES, default="en")
    shown.add_argument(
        "--matrix", action="store_true", help="also write the step as matrix products"
    )
    shown.add_argument("--format", choices=FORMATS, default="text")
    shown.add_argument("--out", metavar="PATH", help="write to a file instead of the terminal")
    parser.set_defaults(handler=run)


def _custom(args: argparse.Namespace) -> explain.Example:
    """The network the options describe, on top of seed 000's where they say nothing."""
    base = explain.seed_000()
    loss = args.loss or "half_sse"
    if args.layers is None:
        model = base.model
    else:
        manual_seed(args.seed)
        output = None if loss == "ce" else args.activation
        try:
            model = nn.mlp(args.layers, args.activation, output).double()
        except ValueError as error:
            raise ExplainError(f"--layers: {error}") from None
    if args.weights:
        _load_weights(model, Path(args.weights))
    sizes = (model[0].in_features, *(m.out_features for m in model if isinstance(m, nn.Linear)))
    rng = np.random.default_rng(args.seed)
    inputs = args.inputs or (base.inputs if sizes[0] == 2 else tuple(rng.uniform(0, 1, sizes[0])))
    if args.targets is not None:
        targets = args.targets
    elif loss == "ce":
        targets = (0.0,)
    else:
        targets = base.targets if sizes[-1] == 2 else tuple(rng.uniform(0, 1, sizes[-1]))
    custom = args.layers is not None or args.loss is not None
    freeze = args.freeze_biases or (not custom and base.freeze_biases)
    lr = base.lr if args.lr is None else args.lr
    return explain.Example(model, tuple(inputs), tuple(targets), lr, loss, freeze)


def _load_weights(model: nn.Module, path: Path) -> None:
    try:
        entries = json.loads(path.read_text())
        state = {key: np.asarray(value, dtype=float) for key, value in entries.items()}
    except (OSError, ValueError, AttributeError) as error:
        raise ExplainError(
            f"{path}: cannot read weights ({error}); give a JSON object of state-dict entries "
            'like {"0.weight": [[0.15, 0.2], [0.25, 0.3]], "0.bias": [0.35, 0.35]}'
        ) from None
    with no_grad():
        try:
            model.load_state_dict(state, strict=False)
        except (KeyError, ValueError) as error:
            raise ExplainError(f"{path}: {error}") from None
    unknown = sorted(set(state) - set(model.state_dict()))
    if unknown:
        raise ExplainError(
            f"{path}: no parameter named {', '.join(unknown)}; this network has "
            f"{', '.join(model.state_dict())}"
        )


def _render(args: argparse.Namespace) -> str:
    if args.example == "xor":
        text = explain.xor_story().to_text(args.lang, min(args.digits, 4))
        if args.format == "html":
            raise ExplainError("explain xor writes text or markdown; leave out --format html")
        return f"```\n{text}\n```\n" if args.format == "markdown" else text
    example = _custom(args)
    trace = explain.trace(
        example.model,
        example.inputs,
        example.targets,
        loss=example.loss,
        lr=example.lr,
        freeze_biases=example.freeze_biases,
        names=args.names,
        steps=args.steps,
    )
    if args.format == "html":
        return explain.render_html(trace, args.lang, args.digits, matrix=args.matrix)
    if args.format == "markdown":
        return explain.render_markdown(trace, args.lang, args.digits, matrix=args.matrix)
    return explain.render_text(trace, args.lang, args.digits, matrix=args.matrix)


def run(args: argparse.Namespace) -> int:
    output = _render(args)
    if args.out:
        with user_files():
            Path(args.out).write_text(output, encoding="utf-8")
        print(f"wrote {args.out}")
    else:
        print(output, end="" if output.endswith("\n") else "\n")
    return 0
