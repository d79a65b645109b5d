"""``chainrule gradcheck``: seed 004's gradient check on a small MLP.

Backprop's gradient of every parameter tensor is compared with central differences in
float64, with ``cr.gradcheck``'s step and rule. The table shows how far apart they are, in
English or Korean (``--lang``, words from ``explain.labels``); the exit code says whether
they agree (0) or not (1), so that a script can run the check.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import Any

import numpy as np

from ...errors import UserError
from ...explain.labels import LANGUAGES, WORKS, credit, say
from ...gradcheck import ATOL, EPS, RTOL, RULE
from ...random import manual_seed
from ...tensor import Tensor
from ..mlp import ACTIVATIONS, LOSSES, Architecture, parameter_count
from ..numeric_vs_backprop import ParameterCheck, compare_gradients, operands, rule_in
from .arguments import layer_sizes, positive_int, random_seed

DEFAULT_LAYERS = (4, 5, 3)
MAX_PARAMETERS = 100_000
"""Central differences cost two forward passes per parameter; past this it takes minutes."""


def register(subparsers: Any) -> None:
    check = subparsers.add_parser(
        "gradcheck",
        help="check backprop's gradients against central differences; "
        f"source: {WORKS['en']['saito']}",
        description="Compare backprop's gradient of each parameter of a small MLP with "
        "central differences in float64; exit code 0 when they agree, 1 when not.",
    )
    check.add_argument(
        "--layers",
        type=layer_sizes,
        default=DEFAULT_LAYERS,
        help=f"layer sizes (default: {','.join(map(str, DEFAULT_LAYERS))})",
    )
    check.add_argument("--activation", choices=ACTIVATIONS, default="sigmoid")
    check.add_argument(
        "--loss",
        choices=LOSSES,
        default="ce",
        help="ce: softmax cross-entropy of the logits (default); mse: of sigmoid outputs "
        "against one-hot targets; bce: binary cross-entropy of the logits",
    )
    check.add_argument(
        "--batch", type=positive_int, default=4, help="random samples (default: %(default)s)"
    )
    check.add_argument(
        "--seed",
        type=random_seed,
        default=0,
        help="for the weights and samples (default: %(default)s)",
    )
    check.add_argument("--json", action="store_true", help="print the result as one JSON object")
    check.add_argument(
        "--lang", choices=LANGUAGES, default="en", help="language of the report (default: en)"
    )
    check.set_defaults(handler=_gradcheck)


def _architecture(args: argparse.Namespace) -> Architecture:
    """The network to check, or a ``UserError`` naming the setting that makes no sense."""
    architecture = Architecture(args.layers, args.activation, args.loss)
    if args.loss == "ce" and architecture.outputs < 2:
        raise UserError("--loss ce needs at least 2 outputs; end --layers with 2 or more")
    parameters = parameter_count(args.layers)
    if parameters > MAX_PARAMETERS:
        raise UserError(
            f"--layers {','.join(map(str, args.layers))} has {parameters:,} parameters, each "
            f"costing two forward passes; gradcheck takes at most {MAX_PARAMETERS:,}"
        )
    return architecture


def _gradcheck(args: argparse.Namespace) -> int:
    architecture = _architecture(args)
    manual_seed(args.seed)
    model = architecture.build().double()
    rng = np.random.default_rng(args.seed)
    inputs = Tensor(rng.standard_normal((args.batch, args.layers[0])), dtype=np.float64)
    labels = Tensor(rng.integers(0, max(architecture.outputs, 2), args.batch))
    checks = compare_gradients(model, lambda: architecture.loss_of(model(inputs), labels))
    passed = all(check.passed for check in checks)
    if args.json:
        print(json.dumps(_summary(args, checks, passed)))
    else:
        _print_report(args, checks, passed)
    return 0 if passed else 1


def _summary(args: argparse.Namespace, checks: list[ParameterCheck], passed: bool) -> dict:
    return {
        "layers": list(args.layers),
        "activation": args.activation,
        "loss": args.loss,
        "batch": args.batch,
        "seed": args.seed,
        "dtype": "float64",
        "eps": EPS,
        "rule": RULE,
        "atol": ATOL,
        "rtol": RTOL,
        "parameters": [{**asdict(check), "passed": check.passed} for check in checks],
        "passed": passed,
    }


def _print_report(args: argparse.Namespace, checks: list[ParameterCheck], passed: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    lang = args.lang
    layers = "-".join(map(str, args.layers))
    print(
        say(
            lang,
            "gradcheck_title",
            layers=layers,
            activation=args.activation,
            loss=args.loss,
            batch=args.batch,
            seed=args.seed,
        )
    )
    print(credit(lang, "saito"))
    table = Table()
    table.add_column(say(lang, "parameter"), justify="left")
    for key in ("gradcheck_shape", "gradcheck_max", "gradcheck_of_allowed"):
        table.add_column(say(lang, key, **operands(lang)), justify="right")
    table.add_column(say(lang, "gradcheck_result"))
    for check in checks:
        table.add_row(
            check.name,
            "x".join(map(str, check.shape)),
            f"{check.max_abs_difference:.1e}",
            f"{check.max_over_allowed:.1e}",
            say(lang, "pass" if check.passed else "fail"),
        )
    Console().print(table)
    print(say(lang, "gradcheck_methods", eps=f"{EPS:g}"))
    print(say(lang, "gradcheck_rule", rule=rule_in(lang), atol=f"{ATOL:g}", rtol=f"{RTOL:g}"))
    if passed:
        numbers = sum(int(np.prod(check.shape)) for check in checks)
        print(say(lang, "gradcheck_pass", count=len(checks), numbers=f"{numbers:,}"))
    else:
        failed = [check.name for check in checks if not check.passed]
        print(
            say(
                lang,
                "gradcheck_fail",
                names=", ".join(failed),
                failed=len(failed),
                count=len(checks),
            )
        )
