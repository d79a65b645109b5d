"""``chainrule explain``: every number of one training step, as the material works it by
hand, and the material's other lessons.

With no options (or ``explain step``), Matt Mazur's 2-2-2 network; ``--layers`` and friends
describe a network of one's own. ``explain split`` is Rashid's error split, ``explain graph``
Saito's price graphs or an expression of one's own, ``explain xor`` the perceptron that
cannot learn XOR beside the network that can.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from ... import explain, nn
from ...explain.expression import PRICE_GRAPHS
from ...explain.labels import WORKS
from ...explain.networks import SEED_000_LR
from ...explain.split import BOOK_ERRORS, BOOK_WEIGHTS
from ...explain.trace import LOSSES, NAMES, ExplainError
from ...function import no_grad
from ...nn.activation import ACTIVATIONS
from ...random import manual_seed
from ..files import user_files
from .arguments import at_least, layer_sizes, numbers, positive_int, positive_number, random_seed

FORMATS = ("text", "markdown", "html")
WALKTHROUGH_DEFAULTS: dict[str, Any] = {
    "--layers": None,
    "--activation": "sigmoid",
    "--inputs": None,
    "--targets": None,
    "--weights": None,
    "--seed": 0,
    "--loss": None,
    "--lr": None,
    "--freeze-biases": False,
    "--steps": 1,
    "--matrix": False,
    "--names": "example",
}
"""The training step's options, each with its default: the lessons take none of them."""
MAX_DIGITS = 17
"""A float64 shows every digit it holds in 17 significant digits."""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "explain",
        help="show every number of backpropagation: a training step, the error split, a "
        "computational graph, XOR",
        description="Walk through one training step of a small network, number by number: "
        "with no options, Matt Mazur's 2-2-2 example; --layers and the options below make a "
        "network of your own. The lessons split, graph and xor are Tariq Rashid's error split, "
        "Koki Saito's computational graphs and the XOR problem of Boostcourse's PyTorch course. "
        f"Source: {WORKS['en']['mazur']}",
    )
    _walkthrough_options(parser)
    _output_options(parser)
    lessons = parser.add_subparsers(dest="lesson", metavar="LESSON", title="lessons")
    step = lessons.add_parser(
        "step",
        help="one training step, number by number (the default): Matt Mazur's 2-2-2 example, "
        "or a network of your own",
        description="One training step of a small network, number by number; with no options "
        f"Matt Mazur's 2-2-2 example. Source: {WORKS['en']['mazur']}",
    )
    _walkthrough_options(step, argparse.SUPPRESS)
    _output_options(step, argparse.SUPPRESS)
    split = lessons.add_parser(
        "split",
        help="Tariq Rashid's error split: output errors shared out by weight, and Wᵀ·e",
        description="Send output errors back to the hidden neurons as Tariq Rashid's Make Your "
        "Own Neural Network does: split in proportion to the weights, then as the matrix "
        "product Wᵀ·e, and why the two differ. With no options, the book's example. "
        f"Source: {WORKS['en']['rashid']}",
    )
    split.add_argument(
        "--weights",
        dest="split_weights",
        type=matrix,
        default=BOOK_WEIGHTS,
        metavar="ROWS",
        help="the weights into each output, one row per output separated by ; (default "
        "'2,3;1,4': w11 = 2 and w21 = 3 into o1, w12 = 1 and w22 = 4 into o2)",
    )
    split.add_argument(
        "--errors",
        dest="split_errors",
        type=numbers,
        default=BOOK_ERRORS,
        metavar="ERRORS",
        help="one error per output (default 0.8,0.5)",
    )
    _output_options(split, argparse.SUPPRESS)
    graph = lessons.add_parser(
        "graph",
        help="a computational graph, values forward and gradients backward: Koki Saito's "
        "apple and apple-orange, or your own expression",
        description="Draw a computation as a graph with each node's value and gradient, and "
        "the rules that give them (an addition passes the gradient through, a multiplication "
        "swaps its inputs): Koki Saito's price graphs from Deep Learning from Scratch, "
        f"chapter 5, or an expression of your own. Source: {WORKS['en']['saito']}",
    )
    graph.add_argument(
        "what",
        nargs="?",
        default="apple",
        metavar="EXPRESSION",
        help="apple (the default), apple-orange, or an expression of names and numbers with "
        "+ - * / ** and parentheses, and exp, log, sqrt, abs, tanh, sigmoid, relu, like "
        "'x*y + z'",
    )
    graph.add_argument(
        "--values",
        type=assignments,
        default={},
        metavar="NAME=NUMBER,...",
        help="a value for each name of the expression, like x=2,y=3,z=4 (for apple and "
        "apple-orange, any of the book's numbers to change, like apple_num=3)",
    )
    _output_options(graph, argparse.SUPPRESS)
    xor = lessons.add_parser(
        "xor",
        help="why a perceptron cannot learn XOR and a 2-2-1 network can",
        description="Train a single-layer perceptron and a 2-2-1 network on XOR, as lecture 8 "
        "of Boostcourse's PyTorch course does, and draw the decision each one makes. "
        f"Source: {WORKS['en']['boostcourse']}",
    )
    _output_options(xor, argparse.SUPPRESS)
    parser.set_defaults(handler=run, lesson=None)


def _walkthrough_options(parser: argparse.ArgumentParser, hidden: Any = None) -> None:
    """The options of the walk-through. On ``explain`` itself they have their defaults; on
    ``explain step`` (``hidden`` is argparse.SUPPRESS) only what is given, so that neither
    parser's defaults overwrite what the other read."""

    def default(option: str) -> Any:
        return WALKTHROUGH_DEFAULTS[option] if hidden is None else hidden

    network = parser.add_argument_group("a network of your own")
    network.add_argument(
        "--layers", type=layer_sizes, default=default("--layers"), help="layer sizes, e.g. 2,3,1"
    )
    network.add_argument("--activation", choices=ACTIVATIONS, default=default("--activation"))
    network.add_argument(
        "--inputs", type=numbers, default=default("--inputs"), help="one sample, e.g. 0.05,0.10"
    )
    network.add_argument(
        "--targets",
        type=numbers,
        default=default("--targets"),
        help="its targets (a class index for ce)",
    )
    network.add_argument(
        "--weights",
        metavar="FILE",
        default=default("--weights"),
        help="JSON of state-dict entries to set",
    )
    network.add_argument(
        "--seed",
        type=random_seed,
        default=default("--seed"),
        help="seed for random weights and data",
    )
    step = parser.add_argument_group("the step")
    step.add_argument(
        "--loss",
        choices=LOSSES,
        default=default("--loss"),
        help="half_sse (default: E = Σ ½(t − o)²)",
    )
    step.add_argument(
        "--lr",
        type=positive_number,
        default=default("--lr"),
        help=f"learning rate (default {SEED_000_LR:g})",
    )
    step.add_argument(
        "--freeze-biases",
        action="store_true",
        default=default("--freeze-biases"),
        help="leave biases unchanged",
    )
    step.add_argument(
        "--steps",
        type=positive_int,
        default=default("--steps"),
        help="updates to run, showing the error after each as a table and a curve",
    )
    step.add_argument(
        "--matrix",
        action="store_true",
        default=default("--matrix"),
        help="also write the step as matrix products, with their shapes",
    )
    parser.add_argument_group("names").add_argument(
        "--names",
        choices=NAMES,
        default=default("--names"),
        help="example (the default): i1, h1, o1, w1… as Matt Mazur's example names them; "
        "index: x1, a1_1, W1[1,2]",
    )


def _output_options(parser: argparse.ArgumentParser, hidden: Any = None) -> None:
    """How every lesson is written (see ``_walkthrough_options`` for ``hidden``)."""
    shown = parser.add_argument_group("the output")
    shown.add_argument(
        "--digits",
        type=at_least(1, MAX_DIGITS),
        default=hidden,
        help=f"significant digits of every number (default {explain.DEFAULT_DIGITS}; 4 for xor)",
    )
    shown.add_argument(
        "--lang",
        choices=explain.LANGUAGES,
        default="en" if hidden is None else hidden,
        help="language of the words: en (the default) or ko",
    )
    shown.add_argument("--format", choices=FORMATS, default="text" if hidden is None else hidden)
    shown.add_argument(
        "--out",
        metavar="PATH",
        default=hidden,
        help="write to a file instead of the terminal",
    )


def matrix(text: str) -> tuple[tuple[float, ...], ...]:
    """``"2,3;1,4"`` as ((2, 3), (1, 4)): rows separated by ;, numbers by commas."""
    rows = tuple(numbers(row) for row in text.split(";"))
    if len({len(row) for row in rows}) > 1:
        raise argparse.ArgumentTypeError(
            f"{text!r} has rows of different lengths; give each output the same number of "
            "weights, like 2,3;1,4"
        )
    return rows


def assignments(text: str) -> dict[str, float]:
    """``"x=2,y=3"`` as {"x": 2.0, "y": 3.0}."""
    values: dict[str, float] = {}
    for item in text.split(","):
        name, equals, number = item.partition("=")
        name = name.strip()
        if not equals or not name:
            raise argparse.ArgumentTypeError(
                f"{item!r} is not NAME=NUMBER; give the values like x=2,y=3,z=4"
            )
        if name in values:
            raise argparse.ArgumentTypeError(f"{name} is given twice")
        try:
            values[name] = numbers(number)[0]
        except argparse.ArgumentTypeError:
            raise argparse.ArgumentTypeError(
                f"{number.strip()!r} for {name} is not a finite number; give the values like "
                "x=2,y=3,z=4"
            ) from None
    return values


def _custom(args: argparse.Namespace) -> explain.Example:
    """The network the options describe, on top of Mazur's example where they say nothing."""
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


def _lesson(args: argparse.Namespace) -> explain.Trace | explain.Lesson:
    """What ``args`` asks to explain: a lesson, or the walk-through of one training step."""
    if args.lesson not in (None, "step"):
        given = [
            option
            for option, default in WALKTHROUGH_DEFAULTS.items()
            if getattr(args, option.lstrip("-").replace("-", "_")) != default
        ]
        if given:
            raise ExplainError(
                f"{', '.join(given)} describe{'s' * (len(given) == 1)} the training step's "
                f"walk-through, not explain {args.lesson}; leave "
                f"{'it' if len(given) == 1 else 'them'} out, or use explain step"
            )
    if args.lesson == "split":
        return explain.error_split(args.split_weights, args.split_errors)
    if args.lesson == "graph":
        if args.what in PRICE_GRAPHS:
            return explain.price_graph(args.what, args.values)
        return explain.expression_graph(args.what, args.values)
    if args.lesson == "xor":
        return explain.xor_story()
    example = _custom(args)
    return explain.trace(
        example.model,
        example.inputs,
        example.targets,
        loss=example.loss,
        lr=example.lr,
        freeze_biases=example.freeze_biases,
        names=args.names,
        steps=args.steps,
    )


def _render(args: argparse.Namespace) -> str:
    subject = _lesson(args)
    default = subject.digits if isinstance(subject, explain.Lesson) else explain.DEFAULT_DIGITS
    digits = args.digits or default
    if args.format == "html":
        return explain.render_html(subject, args.lang, digits, matrix=args.matrix)
    if args.format == "markdown":
        return explain.render_markdown(subject, args.lang, digits, matrix=args.matrix)
    return explain.render_text(subject, args.lang, digits, matrix=args.matrix)


def run(args: argparse.Namespace) -> int:
    output = _render(args)
    if args.out:
        with user_files():
            Path(args.out).write_text(output, encoding="utf-8")
        print(f"wrote {args.out}")
    else:
        print(output, end="" if output.endswith("\n") else "\n")
    return 0
