"""Fuzzing every file loader: malformed bytes raise the library's own error, naming the file.

Each loader (``data.read_idx``, ``data.mnist``/``fashion_mnist``, ``data.csv``, ``load``,
``load_metadata``, ``load_checkpoint``, and ``sample_input.read_input`` for .png, .pgm and
.csv inputs) is fed (1) arbitrary bytes and (2) a valid small file written here, then
damaged: bytes flipped or overwritten, the file truncated, chunks inserted or deleted,
header fields set to huge or negative numbers, JSON headers given values of the wrong kind.
Loading must either succeed with well-formed arrays or raise exactly ``DatasetError``,
``SerializationError`` or ``InputError`` with a one-line message that names the file. Any
other exception (NumPy's ValueError, struct.error, zlib.error, UnicodeDecodeError,
IndexError, a warning, MemoryError, ...) is a bug in the loader. Headers that claim
enormous sizes are checked not to be allocated.

Each property tries 60 inputs by default (the file runs in seconds). For a long run, set
the number of inputs per property::

    CHAINRULE_FUZZ_EXAMPLES=20000 python -m pytest tests/data/test_fuzz_loaders.py
"""

from __future__ import annotations

import gzip
import json
import os
import struct
import tempfile
import tracemalloc
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import chainrule as cr
from chainrule import data
from chainrule.app.sample_input import PNG_SIGNATURE, InputError, read_input

FUZZ = settings(
    max_examples=int(os.environ.get("CHAINRULE_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Numbers that break size arithmetic: zero, sign bits, the largest 32- and 64-bit values.
_SPECIAL_NUMBERS = [0, 1, 2, 0x7F, 0xFF, 0x7FFF_FFFF, 0x8000_0000, 2**32 - 1, 2**62, 2**64 - 1, -1]
# Tokens that break text parsers, for CSV and PGM files.
_SPECIAL_TOKENS = [
    b"-1", b"256", b"65536", b"0", b"1.5", b"nan", b"inf", b"1e999", b"9" * 30, b"#",
    b"\n", b"\r", b",", b" ", b"\x00", b"\xff\xfe", b"\xef\xbb\xbf", b"\xc3\xa9", b"\xb2",
]  # fmt: skip


# ----------------------------------------------------------------------------- damaging bytes
def _mutate(draw: Callable[[Any], Any], blob: bytes) -> bytes:
    """``blob`` with one to three random edits, most of them keeping its length (a file cut
    short early fails the same way whatever else is wrong with it)."""
    out = bytearray(blob)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.sampled_from(range(len(out) + 1)))  # more even than st.integers
        edit = draw(st.sampled_from(["flip", "number", "insert", "flip", "delete", "truncate"]))
        if edit == "flip" and at < len(out):
            out[at] ^= draw(st.integers(1, 255))
        elif edit == "truncate":
            del out[at:]
        elif edit == "insert":
            out[at:at] = draw(st.sampled_from(_SPECIAL_TOKENS) | st.binary(min_size=1, max_size=16))
        elif edit == "delete":
            del out[at : at + draw(st.integers(1, 16))]
        elif edit == "number":
            width = draw(st.sampled_from([1, 2, 4, 8]))
            value = draw(st.sampled_from(_SPECIAL_NUMBERS)) % 2 ** (8 * width)
            out[at : at + width] = value.to_bytes(width, draw(st.sampled_from(["big", "little"])))
    return bytes(out)


@st.composite
def _damaged(draw: Callable[[Any], Any], valid: st.SearchStrategy[bytes], gzip_ok: bool = False):
    """A valid file from ``valid``, mutated; gzip-compressed before or after when allowed."""
    blob = draw(valid)
    how = draw(st.sampled_from(["raw", "gzip-after", "gzip-before"] if gzip_ok else ["raw"]))
    if how == "gzip-before":
        return _mutate(draw, gzip.compress(blob, mtime=0))
    blob = _mutate(draw, blob)
    return gzip.compress(blob, mtime=0) if how == "gzip-after" else blob


def _arbitrary(*prefixes: bytes) -> st.SearchStrategy[bytes]:
    """Arbitrary bytes, some starting with a format's magic so that its parser is reached."""
    return st.tuples(st.sampled_from([b"", *prefixes]), st.binary(max_size=300)).map(b"".join)


_json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([2**64, -(2**63), 10**400])
    | st.floats()
    | st.text(max_size=8)
)
_json_values = st.recursive(
    _json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)


def _tweak_json(draw: Callable[[Any], Any], value: Any) -> Any:
    """``value`` (parsed JSON) with one node, or one object key, replaced by arbitrary JSON."""
    if isinstance(value, dict) and value and draw(st.integers(0, 3)):
        key = draw(st.sampled_from(sorted(value)))
        if draw(st.integers(0, 4)) == 0:
            return {draw(st.text(max_size=4)) if k == key else k: v for k, v in value.items()}
        return {**value, key: _tweak_json(draw, value[key])}
    if isinstance(value, list) and value and draw(st.integers(0, 3)):
        at = draw(st.integers(0, len(value) - 1))
        return [*value[:at], _tweak_json(draw, value[at]), *value[at + 1 :]]
    return draw(_json_values)


# ----------------------------------------------------------------------------- checking a load
def _check(load: Callable[[Path], Any], path: Path, error: type[Exception]) -> Any:
    """``load(path)``, or None when it raised ``error`` (exactly) with a one-line message
    that names the file. Any other exception propagates and fails the test."""
    try:
        return load(path)
    except error as raised:
        message = str(raised)
        assert type(raised) is error, f"{type(raised).__name__}: {message}"
        assert path.name in message, message
        assert "\n" not in message, message
        return None


def _with_file(blob: bytes, name: str, load: Callable[[Path], Any], error: type[Exception]):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(blob)
        return _check(load, path, error)


def _written(write: Callable[[Path], None], name: str = "file") -> bytes:
    """The bytes that ``write(path)`` puts in a file."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        write(path)
        return path.read_bytes()


# ----------------------------------------------------------------------------- IDX and MNIST
_IDX_DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]
_idx_shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4)
_idx_arrays = st.sampled_from(_IDX_DTYPES).flatmap(lambda dtype: hnp.arrays(dtype, _idx_shapes))
_idx_files = _idx_arrays.map(lambda array: _written(lambda path: data.write_idx(path, array)))


def _check_idx(blob: bytes) -> None:
    array = _with_file(blob, "values.idx", data.read_idx, data.DatasetError)
    if array is not None:
        assert isinstance(array, np.ndarray) and array.ndim >= 1
        assert array.dtype.isnative and array.dtype.type in _IDX_DTYPES


@FUZZ
@given(_arbitrary(b"\x00\x00\x08\x01", b"\x00\x00\x0d\x03", b"\x1f\x8b"))
def test_read_idx_survives_arbitrary_bytes(blob):
    _check_idx(blob)


@FUZZ
@given(_damaged(_idx_files, gzip_ok=True))
def test_read_idx_survives_damaged_files(blob):
    _check_idx(blob)


@st.composite
def _mnist_files(draw: Callable[[Any], Any]) -> tuple[bytes, bytes]:
    count = draw(st.integers(0, 3))
    images = draw(hnp.arrays(np.uint8, (count, 28, 28), elements=st.integers(0, 255)))
    labels = draw(hnp.arrays(np.uint8, (count,), elements=st.integers(0, 9)))
    files = [_written(lambda path, a=a: data.write_idx(path, a)) for a in (images, labels)]
    for i in draw(st.sets(st.integers(0, 1), min_size=1)):
        if draw(st.integers(0, 4)) == 0:
            files[i] = draw(_arbitrary(b"\x00\x00\x08\x01", b"\x00\x00\x08\x03"))
        else:
            gzip_first = draw(st.booleans())
            blob = gzip.compress(files[i], mtime=0) if gzip_first else files[i]
            files[i] = _mutate(draw, blob)
    return files[0], files[1]


@FUZZ
@given(
    _mnist_files(),
    st.sampled_from([data.mnist, data.fashion_mnist]),
    st.booleans(),
    st.booleans(),
)
def test_mnist_survives_damaged_files(files, reader, train, gz):
    prefix = "train" if train else "t10k"
    names = [f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"]
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for name, blob in zip(names, files, strict=True):
            (root / (f"{name}.gz" if gz else name)).write_bytes(blob)
        try:
            dataset = reader(root, train=train)
        except data.DatasetError as error:
            message = str(error)
            assert type(error) is data.DatasetError and "\n" not in message, message
            assert any(name in message for name in names), message
            return
    inputs, labels = (t.numpy() for t in dataset.tensors)
    assert inputs.dtype == np.float32 and inputs.shape == (len(labels), 784)
    assert labels.dtype == np.int64 and labels.ndim == 1
    assert inputs.min(initial=0) >= 0 and inputs.max(initial=0) <= 1
    assert labels.min(initial=0) >= 0 and labels.max(initial=0) <= 9


# ----------------------------------------------------------------------------- labeled CSV
def _csv_text(rows: np.ndarray, newline: bytes, final_newline: bool) -> bytes:
    lines = [b",".join(str(v).encode() for v in row) for row in rows]
    return newline.join(lines) + (newline if final_newline else b"")


_csv_files = st.builds(
    _csv_text,
    hnp.arrays(np.uint8, st.tuples(st.integers(1, 4), st.integers(2, 5))),
    st.sampled_from([b"\n", b"\r\n"]),
    st.booleans(),
)


def _check_labeled_csv(blob: bytes) -> None:
    dataset = _with_file(blob, "rows.csv", data.csv, data.DatasetError)
    if dataset is not None:
        inputs, labels = (t.numpy() for t in dataset.tensors)
        assert inputs.dtype == np.float32 and inputs.ndim == 2 and inputs.shape[1] >= 1
        assert labels.dtype == np.int64 and labels.shape == (len(inputs),)
        assert inputs.min() >= 0 and inputs.max() <= 1


@FUZZ
@given(_arbitrary(b"1,2,3\n", b"#", b"\x1f\x8b") | st.text(max_size=60).map(str.encode))
def test_csv_survives_arbitrary_bytes(blob):
    _check_labeled_csv(blob)


@FUZZ
@given(_damaged(_csv_files, gzip_ok=True))
def test_csv_survives_damaged_files(blob):
    _check_labeled_csv(blob)


# ----------------------------------------------------------------------------- safetensors
_ST_DTYPES = [
    np.bool_, np.uint8, np.int8, np.uint16, np.int16, np.float16, np.uint32, np.int32,
    np.float32, np.uint64, np.int64, np.float64, np.complex64,
]  # fmt: skip
_tensors = st.dictionaries(
    st.text("abw.0", min_size=1, max_size=4),
    st.sampled_from(_ST_DTYPES).flatmap(
        lambda dtype: hnp.arrays(dtype, hnp.array_shapes(min_dims=0, max_dims=2, min_side=0))
    ),
    max_size=3,
)
_metadata = st.none() | st.dictionaries(st.text(max_size=4), st.text(max_size=6), max_size=2)
_tensor_files = st.builds(
    lambda tensors, metadata: _written(lambda path: cr.save(tensors, path, metadata)),
    _tensors,
    _metadata,
)


@st.composite
def _checkpoint_files(draw: Callable[[Any], Any]) -> bytes:
    model = draw(_tensors)
    slots = draw(st.dictionaries(st.integers(0, 3), _tensors, max_size=2))
    optimizer = {
        "state": {i: {**tensors, "step": 1} for i, tensors in slots.items()},
        "param_groups": [{"lr": 0.1, "params": sorted(slots)}],
    }
    epoch = draw(st.none() | st.integers(0, 10))
    extra = draw(st.dictionaries(st.sampled_from(["note", "best"]), _json_values, max_size=2))
    return _written(
        lambda path: cr.save_checkpoint(
            path, model=model, optimizer=optimizer, epoch=epoch, rng_state={"seed": 0}, **extra
        )
    )


def _split(blob: bytes) -> tuple[dict[str, Any], bytes]:
    """A valid safetensors file's header (parsed) and data."""
    (length,) = struct.unpack("<Q", blob[:8])
    return json.loads(blob[8 : 8 + length]), blob[8 + length :]


def _joined(header: Any, tensor_data: bytes = b"") -> bytes:
    """A safetensors file of ``header`` (any JSON) and ``tensor_data``."""
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + tensor_data


@st.composite
def _tweaked_headers(draw: Callable[[Any], Any], valid: st.SearchStrategy[bytes]) -> bytes:
    """A valid safetensors file with one value of its JSON header (or, in a checkpoint, of the
    JSON record inside the header) replaced, framed correctly around the new header."""
    header, tensor_data = _split(draw(valid))
    record = header.get("__metadata__", {}).get("chainrule.checkpoint")
    if record is not None and draw(st.booleans()):
        record = json.dumps(_tweak_json(draw, json.loads(record)))
        header["__metadata__"]["chainrule.checkpoint"] = record
    else:
        header = _tweak_json(draw, header)
    return _joined(header, tensor_data)


def _check_safetensors(blob: bytes) -> None:
    error = cr.SerializationError
    tensors = _with_file(blob, "model.safetensors", cr.load, error)
    if tensors is not None:
        assert all(isinstance(name, str) for name in tensors)
        for tensor in tensors.values():
            assert isinstance(tensor, cr.Tensor) and isinstance(tensor.numpy(), np.ndarray)
    metadata = _with_file(blob, "model.safetensors", cr.load_metadata, error)
    if metadata is not None:
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())
    checkpoint = _with_file(blob, "model.safetensors", cr.load_checkpoint, error)
    if checkpoint is not None:
        assert {"model", "optimizer", "epoch", "rng_state"} <= checkpoint.keys()
        for part in ("model", "optimizer"):
            assert checkpoint[part] is None or isinstance(checkpoint[part], dict)
        if checkpoint["optimizer"] is not None:
            assert all(isinstance(i, int) for i in checkpoint["optimizer"]["state"])


@FUZZ
@given(_arbitrary(b"\x02\x00\x00\x00\x00\x00\x00\x00{}", b"\x10\x00\x00\x00\x00\x00\x00\x00"))
def test_safetensors_loaders_survive_arbitrary_bytes(blob):
    _check_safetensors(blob)


@FUZZ
@given(_damaged(_tensor_files | _checkpoint_files()))
def test_safetensors_loaders_survive_damaged_files(blob):
    _check_safetensors(blob)


@FUZZ
@given(_tweaked_headers(_tensor_files | _checkpoint_files()))
def test_safetensors_loaders_survive_wrong_header_values(blob):
    _check_safetensors(blob)


# ----------------------------------------------------------------------------- predict inputs
_FEATURES = 16  # a 4x4 image, or a CSV row of 16 values (17 with a label)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png(width: int, height: int, colour: int, rows: bytes, cut: int = 0) -> bytes:
    """An 8-bit PNG of the filtered ``rows`` (each starting with its filter type), its
    compressed pixels split into two IDAT chunks at ``cut``."""
    pixels = zlib.compress(rows)
    header = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", pixels[:cut])
        + _png_chunk(b"IDAT", pixels[cut:])
        + _png_chunk(b"IEND", b"")
    )


@st.composite
def _png_files(draw: Callable[[Any], Any]) -> bytes:
    """A valid PNG of any supported colour type; each row's filter type is random, which
    changes the pixels but keeps the file valid."""
    colour = draw(st.sampled_from([0, 2, 4, 6]))
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    height, width = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    stride = width * channels
    rows = b"".join(
        bytes([draw(st.integers(0, 4))]) + draw(st.binary(min_size=stride, max_size=stride))
        for _ in range(height)
    )
    return _png(width, height, colour, rows, cut=draw(st.integers(0, 64)))


@st.composite
def _pgm_files(draw: Callable[[Any], Any]) -> bytes:
    top = draw(st.sampled_from([1, 15, 255, 256, 65535]))
    height, width = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    dtype = np.uint8 if top < 256 else np.dtype(">u2")
    pixels = draw(hnp.arrays(dtype, (height, width), elements=st.integers(0, top)))
    comment = draw(st.sampled_from([b"", b"# made by a test\n"]))
    return b"P5\n" + comment + b"%d %d\n%d\n" % (width, height, top) + pixels.tobytes()


_csv_rows = st.builds(
    lambda values, label, end: (
        (b"%d," % label if label is not None else b"") + b",".join(b"%g" % v for v in values) + end
    ),
    st.lists(st.floats(0, 255) | st.integers(0, 255), min_size=_FEATURES, max_size=_FEATURES),
    st.none() | st.integers(0, 9),
    st.sampled_from([b"", b"\n", b"\r\n", b"\n5,6\n"]),
)


def _check_input(blob: bytes, suffix: str) -> None:
    def load(path: Path) -> np.ndarray:
        return read_input(path, _FEATURES)

    values = _with_file(blob, f"digit{suffix}", load, InputError)
    if values is not None:
        assert values.dtype == np.float32 and values.shape == (_FEATURES,)
        assert np.isfinite(values).all() and values.min() >= 0 and values.max() <= 1


@FUZZ
@given(
    _arbitrary(PNG_SIGNATURE, b"P5\n", b"P5 4 4 255\n", b"1,2,3"),
    st.sampled_from([".png", ".pgm", ".csv"]),
)
def test_read_input_survives_arbitrary_bytes(blob, suffix):
    _check_input(blob, suffix)


@FUZZ
@given(_damaged(_png_files()))
def test_read_input_survives_damaged_png(blob):
    _check_input(blob, ".png")


@FUZZ
@given(_damaged(_pgm_files()))
def test_read_input_survives_damaged_pgm(blob):
    _check_input(blob, ".pgm")


@FUZZ
@given(_damaged(_csv_rows))
def test_read_input_survives_damaged_csv_rows(blob):
    _check_input(blob, ".csv")


# ----------------------------------------------------------------------------- named cases
def _idx_header(code: int, *shape: int) -> bytes:
    return bytes([0, 0, code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


def _checkpoint(without: str = "", **changes: Any) -> bytes:
    """A checkpoint of no tensors whose JSON record has ``changes`` and lacks ``without``."""
    record = {"version": 1, "model": False, "optimizer": None, "epoch": 0, "rng_state": {}}
    record = {**record, "extra": {}, **changes}
    record.pop(without, None)
    return _joined({"__metadata__": {"chainrule.checkpoint": json.dumps(record)}})


def _row(value: bytes) -> bytes:
    return b",".join([value] * _FEATURES)


_READERS = {
    "idx": (data.read_idx, data.DatasetError),
    "csv": (data.csv, data.DatasetError),
    "checkpoint": (cr.load_checkpoint, cr.SerializationError),
    "safetensors": (cr.load, cr.SerializationError),
    "png": (lambda path: read_input(path, _FEATURES), InputError),
    "pgm": (lambda path: read_input(path, _FEATURES), InputError),
    "input.csv": (lambda path: read_input(path, _FEATURES), InputError),
}

# Files that broke a loader (found by the fuzzing above, or while writing it): each with
# what its error now says, and in a comment what happened before.
_FOUND = [
    ("csv", b"#", "only # comment lines"),  # was loadtxt's UserWarning ("no data")
    ("idx", _idx_header(8, *[0] * 65), "NumPy cannot hold"),  # ValueError from reshape
    ("idx", _idx_header(8, 0, 2**32 - 1, 2**32 - 1), "NumPy cannot hold"),  # ValueError
    # int() refuses the index '²' (a digit to str.isdigit) and one of over 4,300 digits
    ("checkpoint", _checkpoint(optimizer={"state": {"\u00b2": {}}}), "corrupt checkpoint"),
    ("checkpoint", _checkpoint(optimizer={"state": {"9" * 5000: {}}}), "corrupt checkpoint"),
    ("checkpoint", _checkpoint(without="optimizer"), "corrupt checkpoint"),  # KeyError
    ("pgm", b"P5 4 4 255\n", "truncated PGM"),  # ValueError from np.frombuffer
    ("pgm", b"P5 4 4 255", "truncated PGM"),  # ValueError from np.frombuffer (offset)
    ("pgm", b"P5\n; 1\n1\n\x00", "whole numbers"),  # ValueError from int()
    ("pgm", b"P5 -1 1 255\n\x00", "whole numbers"),  # read as a 1x1 image
    ("pgm", b"P5 # no end of line", "ends in a comment"),  # ValueError from bytes.index
    ("pgm", b"P5 1 1 0\n\x00", "maximum grey value 0"),  # 0/0: RuntimeWarning, NaN
    ("pgm", b"P5 1 1 1\n\x05", "above its maximum"),  # grey value 5, outside [0, 1]
    ("pgm", b"P5\n0 1\n1\n", "empty image"),  # IndexError in fit_image
    ("png", _png(4, 0, 0, b""), "empty image"),  # IndexError in fit_image
    ("png", _png(2, 1, 0, b"\x05\x01\x02"), "unknown filter type 5"),  # no file name
    ("input.csv", b"\x80,1", "not a list of numbers"),  # UnicodeDecodeError
    ("input.csv", _row(b"1e300"), "outside 0-255"),  # float32 overflow: RuntimeWarning, inf
    ("input.csv", _row(b"nan"), "outside 0-255"),  # NaN pixels
]


@pytest.mark.parametrize(
    ("kind", "blob", "message"), _FOUND, ids=[f"{kind}: {message}" for kind, _, message in _FOUND]
)
def test_files_that_crashed_a_loader_raise_its_error(tmp_path, kind, blob, message):
    load, error = _READERS[kind]
    path = tmp_path / f"found.{kind}"
    path.write_bytes(blob)
    with pytest.raises(error, match=message) as raised:
        load(path)
    assert type(raised.value) is error and path.name in str(raised.value)


def test_mnist_files_of_no_images_read_as_an_empty_dataset(tmp_path):
    # This was ValueError from images.reshape(0, -1): -1 is ambiguous for no images.
    data.write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((0, 28, 28), np.uint8))
    data.write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.zeros(0, np.uint8))
    inputs, labels = data.mnist(tmp_path, train=False).tensors
    assert inputs.shape == (0, 784) and labels.shape == (0,)


def test_csv_row_with_a_byte_order_mark_reads(tmp_path):
    path = tmp_path / "row.csv"
    path.write_bytes(b"\xef\xbb\xbf" + _row(b"255"))
    assert read_input(path, _FEATURES).tolist() == [1.0] * _FEATURES


# Headers that claim far more data than the file holds: refused before any allocation.
_HUGE = [
    ("idx", _idx_header(8, 2**31, 2**31) + b"\x00" * 64),
    ("idx", gzip.compress(_idx_header(0x0E, 2**32 - 1, 2**32 - 1, 2**32 - 1))),
    ("safetensors", struct.pack("<Q", 2**62) + b"{}"),
    ("safetensors", struct.pack("<Q", 2**64 - 1) + b"{}"),
    (
        "safetensors",
        _joined({"w": {"dtype": "F64", "shape": [2**31, 2**31], "data_offsets": [0, 2**65]}}),
    ),
    ("png", _png(2**31 - 1, 2**31 - 1, 6, b"\x00" * 64)),
    ("pgm", b"P5 999999999 999999999 65535\n" + b"\x00" * 64),
]


@pytest.mark.parametrize(("kind", "blob"), _HUGE, ids=[kind for kind, _ in _HUGE])
def test_huge_size_claims_are_refused_without_allocating(tmp_path, kind, blob):
    load, error = _READERS[kind]
    path = tmp_path / f"huge.{kind}"
    path.write_bytes(blob)
    tracemalloc.start()
    try:
        with pytest.raises(error, match=path.name):
            load(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2**24, f"{peak} bytes allocated"
