"""Files the user names on the command line, and what the command says when the system
refuses one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import UserError


@contextmanager
def user_files() -> Iterator[None]:
    """Inside, an ``OSError`` from a file the user named (missing, a folder, not readable,
    or to be written in a folder that does not exist) becomes a ``UserError`` carrying the
    system's own message, which names the file."""
    try:
        yield
    except OSError as error:
        raise UserError(str(error)) from error
