"""The "label, pixel, pixel, …" CSV format of the MNIST CSV files used in *Make Your Own
Neural Network*: one sample per line, integers 0–255, the class label first, no header."""

from __future__ import annotations

import io
import warnings

import numpy as np

from .files import DatasetError, PathLike, read_bytes


def read_labeled_csv(path: PathLike) -> tuple[np.ndarray, np.ndarray]:
    """The labels (N,) and pixels (N, P) of the CSV file ``path`` (raw or gzip), both uint8.

    Raises ``DatasetError``, naming the file and the row, for a header, a value that is not
    an integer in 0–255, rows of different lengths, or a file with no rows.
    """
    text = read_bytes(path)
    if not text.strip():
        raise DatasetError(f"{path}: empty file; expected lines of 'label,pixel,pixel,...'")
    try:
        with warnings.catch_warnings():
            # A file of only '#' comment lines has no rows: the check below says so.
            warnings.filterwarnings("ignore", "loadtxt: input contained no data", UserWarning)
            rows = np.loadtxt(io.BytesIO(text), delimiter=",", dtype=np.uint8, ndmin=2)
    except ValueError as error:
        raise DatasetError(
            f"{path}: not a headerless CSV of integers 0-255 ('label,pixel,pixel,...'): {error}"
        ) from None
    if len(rows) == 0:
        raise DatasetError(
            f"{path}: no rows, only # comment lines; expected lines of 'label,pixel,pixel,...'"
        )
    if rows.shape[1] < 2:
        raise DatasetError(f"{path}: each line needs a label and at least one pixel value")
    return rows[:, 0].copy(), rows[:, 1:]
