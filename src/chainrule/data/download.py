"""Fetching a file over the network, checked against its published checksum before use.

Only ever called when a user asks for a download (``download=True``); nothing here runs at
import.
"""

from __future__ import annotations

import hashlib
import os
import urllib.request
from collections.abc import Sequence
from http.client import HTTPException
from pathlib import Path
from urllib.error import HTTPError

from .files import DatasetError

_TIMEOUT_S = 60


def fetch(urls: Sequence[str], path: Path, md5: str) -> None:
    """Download the first of ``urls`` that answers to ``path``, keeping it only if its MD5
    digest is ``md5``.

    The file is written beside ``path`` under a temporary name of this process's own and
    moved into place once its checksum matches, so a failed or interrupted download never
    leaves a bad file at ``path``, and processes fetching it at once (the ranks of an
    ``mpirun``) each keep a whole one.
    Raises ``DatasetError`` naming every URL tried and why it failed (unreachable, or the
    wrong checksum).
    """
    partial = path.with_name(f"{path.name}.{os.getpid()}.part")
    failures = []
    for url in urls:
        try:
            digest = _download(url, partial)
        except (OSError, HTTPException) as error:  # URLError and HTTPError are OSErrors
            reason = error if isinstance(error, HTTPError) else getattr(error, "reason", error)
            failures.append(f"{url}: {reason}")
            continue
        if digest == md5:
            os.replace(partial, path)
            return
        partial.unlink()
        failures.append(f"{url}: checksum mismatch (MD5 {digest}, expected {md5})")
    raise DatasetError(f"could not download {path.name}: " + "; ".join(failures))


def _download(url: str, path: Path) -> str:
    """Copy ``url`` to ``path`` and return the MD5 hex digest of what was written; on any
    failure, remove what was written."""
    digest = hashlib.md5(usedforsecurity=False)  # an integrity check against the published sum
    try:
        with urllib.request.urlopen(url, timeout=_TIMEOUT_S) as response, path.open("wb") as out:
            while chunk := response.read(1 << 20):
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return digest.hexdigest()
