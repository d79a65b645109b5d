"""The IDX file format of MNIST and its relatives: a header naming the type and shape, then
the values, big-endian.

The header is two zero bytes, a type code, the number of dimensions, and each dimension as a
4-byte big-endian integer; the IDX "magic number" is the first four bytes read as one such
integer (2051 for MNIST's uint8 images of shape (N, 28, 28), 2049 for its uint8 labels).
"""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import numpy as np

from .files import DatasetError, PathLike, read_bytes

_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dtype.newbyteorder("="): code for code, dtype in _DTYPES.items()}


def read_idx(path: PathLike) -> np.ndarray:
    """The array stored in the IDX file ``path`` (raw or gzip), in native byte order.

    Raises ``DatasetError``, naming the file, when the header is not IDX, the type code is
    unknown, the data is shorter or longer than the header's shape says, or the shape is one
    NumPy cannot make (over 64 dimensions, say).
    """
    data = read_bytes(path)
    if len(data) < 4:
        raise DatasetError(f"{path}: {len(data)} bytes, too short for an IDX header")
    if data[0] != 0 or data[1] != 0:
        raise DatasetError(
            f"{path}: not an IDX file (starts with bytes {data[:4].hex()}, expected 0000)"
        )
    code, ndim = data[2], data[3]
    if code not in _DTYPES:
        raise DatasetError(f"{path}: unknown IDX data type code 0x{code:02x}")
    if ndim == 0:
        raise DatasetError(f"{path}: the IDX header has no dimensions")
    offset = 4 + 4 * ndim
    if len(data) < offset:
        raise DatasetError(f"{path}: truncated IDX header ({len(data)} bytes, needs {offset})")
    shape = tuple(int(d) for d in np.frombuffer(data, ">u4", ndim, 4))
    dtype = _DTYPES[code]
    expected = math.prod(shape) * dtype.itemsize
    found = len(data) - offset
    if found != expected:
        problem = "truncated" if found < expected else "has trailing bytes"
        raise DatasetError(
            f"{path}: {problem}: the header promises {dtype.newbyteorder('=').name} values "
            f"of shape {shape} ({expected} bytes), the file holds {found}"
        )
    values = np.frombuffer(data, dtype, math.prod(shape), offset)
    try:  # only an empty array gets here with a shape NumPy cannot make
        values = values.reshape(shape)
    except ValueError as error:
        raise DatasetError(
            f"{path}: NumPy cannot hold the header's shape {shape}: {error}"
        ) from None
    return values.astype(dtype.newbyteorder("="))


def write_idx(path: PathLike, array: np.ndarray) -> None:
    """Write ``array`` to ``path`` in IDX format, gzip-compressed when the name ends in ``.gz``.

    The dtype must be one IDX can hold: uint8, int8, int16, int32, float32 or float64.
    """
    array = np.asarray(array)
    code = _CODES.get(array.dtype.newbyteorder("="))
    if code is None:
        raise ValueError(
            f"IDX cannot hold {array.dtype} values; use uint8, int8, int16, int32, float32 "
            "or float64"
        )
    if array.ndim == 0:
        raise ValueError("IDX needs at least one dimension; reshape the scalar to (1,)")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    payload = header + array.astype(_DTYPES[code]).tobytes()
    path = Path(path)
    if path.suffix == ".gz":
        payload = gzip.compress(payload, mtime=0)
    path.write_bytes(payload)
