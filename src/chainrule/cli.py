"""The ``chainrule`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chainrule",
        description="Build and train neural networks by backpropagation.",
    )
    parser.add_argument("--version", action="version", version=f"chainrule {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with ``argv`` (the process's arguments when None); return the exit code."""
    parser = _parser()
    parser.parse_args(argv)
    parser.print_help(sys.stdout)
    return 0
