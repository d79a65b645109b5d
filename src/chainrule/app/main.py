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

from .. import __version__, distributed
from ..errors import UserError
from .commands import COMMANDS

BROKEN_PIPE = 128 + 13
"""The exit code of a command whose reader went away: 128 + SIGPIPE, as the shell reports
a command that SIGPIPE killed (``yes | head``)."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, like a ``UserError``'s (``--help``
    shows the usage)."""

    def error(self, message: str) -> NoReturn:
        # Under mpirun every process parses the same words: one of them says what is wrong.
        self.exit(
            2, f"{self.prog}: error: {message}\n" if distributed.launched_rank() == 0 else None
        )


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="chainrule", description="Build and train neural networks by backpropagation."
    )
    parser.add_argument("--version", action="version", version=f"chainrule {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def _failed(command: str, error: UserError) -> int:
    """Report ``error`` and return exit code 2. In a group of processes, an error that every
    rank raised together is reported by rank 0 alone (naming the rank it comes from when
    not every rank met it); one that this rank alone met is reported with its rank and ends
    the whole job, since the others would wait for it. Under a launcher whose processes
    never formed a group (no mpi4py), each met the error alike: the launcher's rank 0 says it."""
    world = distributed.get_world_size()
    rank = distributed.get_rank() if world > 1 else distributed.launched_rank()
    everywhere = world == 1 or getattr(error, "on_every_rank", False)
    origin = getattr(error, "rank", None) if everywhere else rank
    where = "" if origin is None else f" (rank {origin} of {world})"
    if rank == 0 or not everywhere:
        print(f"chainrule {command}: error{where}: {error}", file=sys.stderr)
    if not everywhere:
        distributed.abort(2)
    return 2


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
        return _failed(args.command, error)
    except BrokenPipeError:
        # What is still buffered goes nowhere, so the flush at exit cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return BROKEN_PIPE
