"""The ``chainrule`` command line: ``main(argv) -> int``.

A user error (any ``UserError``) ends as one line on stderr and exit code 2, never a
traceback. Progress bars appear only when stderr is a terminal, so logs and ``--json``
output stay clean.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .. import __version__
from ..errors import UserError
from .commands import COMMANDS


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chainrule", description="Build and train neural networks by backpropagation."
    )
    parser.add_argument("--version", action="version", version=f"chainrule {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with ``argv`` (the process's arguments when None); return the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stdout)
        return 0
    try:
        return args.handler(args)
    except UserError as error:
        print(f"chainrule {args.command}: error: {error}", file=sys.stderr)
        return 2
