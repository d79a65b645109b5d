"""One input for ``chainrule predict``: a CSV row, or a PNG/PGM image scaled to the model.

Images are read without any imaging library: PNG (8-bit grey, grey+alpha, RGB or RGBA,
not interlaced) through zlib, and binary PGM. They become grey values in [0, 1] with
the ink bright and the paper dark, as in MNIST and the digits data. For a model trained on
MNIST the digit is then prepared as MNIST's own were made (its bounding box scaled into
20×20, centred by its centre of mass in 28×28); for any other square model the whole image
is resized by averaging to the square the model expects.
"""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

import numpy as np

from ..errors import UserError
from .files import user_files

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # PNG colour type -> samples per pixel


class InputError(UserError, ValueError):
    """The input file cannot be read or does not fit the model."""


def _unfilter(raw: bytes, height: int, width: int, channels: int) -> np.ndarray:
    stride = width * channels
    rows = np.zeros((height, stride), dtype=np.uint8)
    previous = np.zeros(stride, dtype=np.int32)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = np.frombuffer(raw, dtype=np.uint8, count=stride, offset=start + 1).astype(np.int32)
        if kind == 0:
            row = line
        elif kind == 2:
            row = (line + previous) & 0xFF
        else:  # Sub, Average and Paeth depend on the pixel to the left: one pixel at a time
            row = np.zeros(stride, dtype=np.int32)
            for i in range(stride):
                left = row[i - channels] if i >= channels else 0
                up = previous[i]
                up_left = previous[i - channels] if i >= channels else 0
                if kind == 1:
                    predicted = left
                elif kind == 3:
                    predicted = (left + up) // 2
                else:  # 4, Paeth: read_png has refused any other type
                    p = left + up - up_left
                    pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                    predicted = left if pa <= pb and pa <= pc else (up if pb <= pc else up_left)
                row[i] = (line[i] + predicted) & 0xFF
        rows[y] = row
        previous = row
    return rows.reshape(height, width, channels)


def read_png(path: Path) -> np.ndarray:
    """A PNG file as grey values in [0, 1], shape (height, width)."""
    blob = path.read_bytes()
    if not blob.startswith(PNG_SIGNATURE):
        raise InputError(f"{path} is not a PNG file")
    offset, header, chunks = len(PNG_SIGNATURE), None, []
    try:
        while offset < len(blob):
            (length,) = struct.unpack(">I", blob[offset : offset + 4])
            kind = blob[offset + 4 : offset + 8]
            body = blob[offset + 8 : offset + 8 + length]
            offset += 12 + length
            if kind == b"IHDR":
                header = struct.unpack(">IIBBBBB", body)
            elif kind == b"IDAT":
                chunks.append(body)
            elif kind == b"IEND":
                break
        if header is None:
            raise InputError(f"{path} has no PNG header chunk")
        width, height, depth, colour, _, _, interlace = header
        if depth != 8 or colour not in _CHANNELS or interlace:
            raise InputError(
                f"{path}: only 8-bit, non-interlaced grey or RGB(A) PNGs are supported"
            )
        raw = zlib.decompress(b"".join(chunks))
    except (struct.error, zlib.error) as error:
        raise InputError(f"{path} is a damaged PNG file ({error})") from None
    channels = _CHANNELS[colour]
    if len(raw) != height * (width * channels + 1):
        raise InputError(f"{path} is a damaged PNG file (wrong amount of pixel data)")
    filters = set(raw[:: width * channels + 1])  # the first byte of each row
    if filters - {0, 1, 2, 3, 4}:
        raise InputError(f"{path} is a damaged PNG file (unknown filter type {max(filters)})")
    pixels = _unfilter(raw, height, width, channels).astype(np.float32) / 255
    colour_part = pixels[..., : 3 if channels >= 3 else 1]
    grey = colour_part.mean(axis=2)
    if channels in (2, 4):  # transparent pixels show the paper
        alpha = pixels[..., -1]
        grey = grey * alpha + (1 - alpha)
    return grey


def read_pgm(path: Path) -> np.ndarray:
    """A binary (P5) PGM file as grey values in [0, 1]."""
    blob = path.read_bytes()
    fields: list[bytes] = []
    offset = 0
    while len(fields) < 4:
        while offset < len(blob) and blob[offset : offset + 1].isspace():
            offset += 1
        if blob[offset : offset + 1] == b"#":
            offset = blob.find(b"\n", offset)
            if offset < 0:
                raise InputError(f"{path} is a damaged PGM file (its header ends in a comment)")
            continue
        end = offset
        while end < len(blob) and not blob[end : end + 1].isspace():
            end += 1
        if end == offset:
            raise InputError(f"{path} is a damaged PGM file")
        fields.append(blob[offset:end])
        offset = end
    if fields[0] != b"P5":
        raise InputError(f"{path} is not a binary (P5) PGM file")
    if not all(field.isdigit() and len(field) <= 9 for field in fields[1:]):
        raise InputError(
            f"{path} is a damaged PGM file (width, height and maximum grey value must be "
            "whole numbers of at most 9 digits)"
        )
    width, height, top = (int(f) for f in fields[1:])
    if not 0 < top < 65536:
        raise InputError(f"{path} is a damaged PGM file (maximum grey value {top}, not 1-65535)")
    dtype = np.dtype(np.uint8 if top < 256 else ">u2")
    count, start = width * height, offset + 1  # one whitespace byte ends the header
    if count * dtype.itemsize > len(blob) - start:
        raise InputError(
            f"{path} is a truncated PGM file ({width}x{height} pixels need "
            f"{count * dtype.itemsize} bytes, it has {max(len(blob) - start, 0)})"
        )
    pixels = np.frombuffer(blob, dtype=dtype, count=count, offset=start)
    if pixels.max(initial=0) > top:
        raise InputError(
            f"{path} is a damaged PGM file (pixels above its maximum grey value {top})"
        )
    return pixels.reshape(height, width).astype(np.float32) / top


def _paper(grey: np.ndarray) -> float:
    """The grey of the paper: the median of the image's border."""
    return float(np.median(np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])))


def _bright_ink(grey: np.ndarray) -> np.ndarray:
    """``grey`` with the ink bright and the paper dark: flipped when the paper is light."""
    return 1 - grey if _paper(grey) > 0.5 else grey


def fit_image(grey: np.ndarray, features: int) -> np.ndarray:
    """A grey image as the (features,) input of a model trained on square images: ink
    made bright, then resized by averaging blocks to sqrt(features) on each side."""
    side = math.isqrt(features)
    if side * side != features:
        raise InputError(
            f"the model takes {features} inputs, which is not a square image; give a CSV row"
        )
    grey = _bright_ink(grey)
    height, width = grey.shape
    rows = np.linspace(0, height, side + 1)
    cols = np.linspace(0, width, side + 1)
    out = np.empty((side, side), dtype=np.float32)
    for i in range(side):
        r0, r1 = int(rows[i]), max(int(rows[i]) + 1, math.ceil(rows[i + 1]))
        for j in range(side):
            c0, c1 = int(cols[j]), max(int(cols[j]) + 1, math.ceil(cols[j + 1]))
            out[i, j] = grey[r0:r1, c0:c1].mean()
    return out.reshape(-1)


MNIST_SIDE, MNIST_BOX = 28, 20
"""MNIST's images are 28×28; each digit's bounding box was scaled to fit 20×20."""


def trained_like_mnist(data: str, features: int) -> bool:
    """Whether a model trained on ``data`` (a ``--data`` spec) with ``features`` inputs saw
    digits made as MNIST's were: the MNIST files, or MNIST as a CSV of 784 pixels (the form
    *Make Your Own Neural Network* uses). Fashion-MNIST's pictures were made otherwise."""
    kind = data.partition(":")[0]
    return features == MNIST_SIDE**2 and kind in ("mnist", "csv")


def _area_weights(source: int, target: int) -> np.ndarray:
    """The (target, source) matrix that resamples a line of ``source`` pixels to ``target``
    by area: each new pixel is the mean of the stretch of old ones it covers, fractions of a
    pixel counted by how much of it lies inside (anti-aliased, like MNIST's scaling)."""
    scale = source / target
    start = np.arange(target)[:, None] * scale
    pixel = np.arange(source)[None, :]
    overlap = np.minimum(pixel + 1, start + scale) - np.maximum(pixel, start)
    return np.clip(overlap, 0, None) / scale


def prepare_like_mnist(grey: np.ndarray) -> np.ndarray:
    """A digit on paper, any size, as MNIST's digits were made from NIST's black-and-white
    scans: ink made bright and the paper's own grey taken away; the ink then thresholded at
    half its strongest (black and white, as NIST's were); its bounding box scaled by area
    so the longer side is 20 pixels, keeping the aspect ratio; and placed in a black 28×28
    image so that its centre of mass falls on pixel (14, 14), where MNIST's lie (a whole-
    pixel shift, as MNIST's, so no second blur). Values in [0, 1], shape (784,)."""
    grey = _bright_ink(grey)
    ink = np.clip(grey - _paper(grey), 0, None)
    if ink.max() < 0.1:
        raise InputError("the image is blank: no digit stands out from the paper")
    ink = (ink >= ink.max() / 2).astype(np.float64)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    ink = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    height, width = ink.shape
    longer = max(height, width)
    new_height = max(1, round(height * MNIST_BOX / longer))
    new_width = max(1, round(width * MNIST_BOX / longer))
    box = _area_weights(height, new_height) @ ink @ _area_weights(width, new_width).T
    mass = box.sum()
    centre = (
        (box.sum(axis=1) * np.arange(new_height)).sum() / mass,
        (box.sum(axis=0) * np.arange(new_width)).sum() / mass,
    )
    top, left = (round(MNIST_SIDE / 2 - c) for c in centre)
    out = np.zeros((MNIST_SIDE, MNIST_SIDE), dtype=np.float32)
    r0, c0 = max(top, 0), max(left, 0)
    r1, c1 = min(top + new_height, MNIST_SIDE), min(left + new_width, MNIST_SIDE)
    out[r0:r1, c0:c1] = box[r0 - top : r1 - top, c0 - left : c1 - left]
    return np.clip(out, 0, 1).reshape(-1)


def read_csv_row(path: Path, features: int) -> np.ndarray:
    """The first row of a CSV file: ``features`` pixel values (0–255), or a label followed
    by them, as in the MNIST CSV files."""
    # utf-8-sig skips a byte-order mark (spreadsheets write one); bytes that are not UTF-8
    # become U+FFFD, which no number contains, so the row is then refused as not numbers.
    with path.open(encoding="utf-8-sig", errors="replace") as lines:
        first = next((line for line in lines if line.strip()), "")
    try:
        values = np.array([float(v) for v in first.split(",")])
    except ValueError:
        raise InputError(f"{path}: the first row is not a list of numbers") from None
    if not ((values >= 0) & (values <= 255)).all():  # NaN fails both
        raise InputError(f"{path}: the first row has values outside 0-255")
    values = values.astype(np.float32)
    if len(values) == features + 1:
        values = values[1:]
    if len(values) != features:
        raise InputError(
            f"{path}: the first row has {len(values)} values, but the model takes {features}"
        )
    return values / 255 if values.max() > 1 else values


@user_files()
def read_input(path: str | Path, features: int, trained_on: str = "") -> np.ndarray:
    """The model input in ``path`` (a .csv row, a .png or a .pgm image), shape (features,),
    for a model trained on the data ``trained_on`` names (a ``--data`` spec): an image for
    an MNIST model is prepared as MNIST's digits were."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path} does not exist or is not a file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_csv_row(path, features)
    readers = {".png": read_png, ".pgm": read_pgm}
    if suffix not in readers:
        raise InputError(f"{path}: give a .csv row or a .png or .pgm image")
    grey = readers[suffix](path)
    if grey.size == 0:
        height, width = grey.shape
        raise InputError(f"{path} is an empty image ({width}x{height} pixels)")
    if trained_like_mnist(trained_on, features):
        try:
            return prepare_like_mnist(grey)
        except InputError as error:
            raise InputError(f"{path}: {error}") from None
    return fit_image(grey, features)
