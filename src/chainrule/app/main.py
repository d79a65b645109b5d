"""The ``chainrule`` command line: ``main(argv) -> int``.

A user error (any ``UserError``, or an option argparse refuses) ends as one line on stderr
and exit code 2, never a traceback. Output cut short by its reader (``chainrule train |
head``) ends the command quietly with exit code 141, as a command killed by SIGPIPE reports
in the shell. Progress bars appear only when stderr is a terminal, so logs and ``--json``
output stay clean.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from .. import __version__
from ..errors import UserError
from .commands import COMMANDS

BROKEN_PIPE = 128 + 13
"""The exit code of a command whose reader went away: 128 + SIGPIPE, as the shell reports
a command that SIGPIPE killed (``yes | head``)."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, like a ``UserError``'s (``--help``
    shows the usage)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
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
        code = args.handler(args)
        sys.stdout.flush()
        return code
    except UserError as error:
        print(f"chainrule {args.command}: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # What is still buffered goes nowhere, so the flush at exit cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return BROKEN_PIPE
