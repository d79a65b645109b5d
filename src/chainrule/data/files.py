"""Reading a data file whole, gzip-compressed or not, and the error a bad file raises."""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

from ..errors import UserError

PathLike = str | os.PathLike[str]

_GZIP_MAGIC = b"\x1f\x8b"


class DatasetError(UserError, ValueError):
    """A data file is missing, malformed or fails its checksum; the message names the file."""


def read_bytes(path: PathLike) -> bytes:
    """The contents of ``path``, decompressed if it is gzip (recognised by its first bytes,
    not by its name, so a renamed ``.gz`` file still reads)."""
    path = Path(path)
    raw = path.read_bytes()
    if not raw.startswith(_GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as error:
        raise DatasetError(f"{path}: damaged or truncated gzip file ({error})") from None
