"""Model files and checkpoints in the safetensors format, read and written here on NumPy.

A safetensors file is an 8-byte little-endian header length N, N bytes of JSON giving each
tensor's dtype, shape and byte range, then the tensors' raw little-endian bytes. It holds no
code, so loading one cannot run any: every number in the header is checked before a byte of
data is read, and any problem is one ``SerializationError`` that names the file. State dicts
keep PyTorch's names and shapes (``0.weight`` is (out, in)), so PyTorch reads our files with
``safetensors.torch.load_file`` and we read theirs. The safetensors package is not used
underneath: measured, it loads slower with more memory, writes names in its own order, and
its errors say less than these (benchmarks/NOTES.md).

A checkpoint is a safetensors file too: the model's tensors under ``model.``, the optimizer's
under ``optimizer.state.<index>.``, and everything else (epoch, RNG state, hyperparameters,
extras) as JSON in the header's ``__metadata__``. Every write is atomic.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import secrets
import struct
from collections.abc import Callable, Mapping
from typing import Any, BinaryIO, NamedTuple

import numpy as np

from . import random
from ._backend import is_array, is_gpu_array, to_numpy
from .errors import UserError
from .tensor import Tensor, wrap

__all__ = [
    "SerializationError",
    "load",
    "load_checkpoint",
    "load_metadata",
    "save",
    "save_checkpoint",
]

PathLike = str | os.PathLike

_DTYPES = {
    name: np.dtype(kind).newbyteorder("<")
    for name, kind in {
        "BOOL": np.bool_,
        "U8": np.uint8,
        "I8": np.int8,
        "U16": np.uint16,
        "I16": np.int16,
        "F16": np.float16,
        "U32": np.uint32,
        "I32": np.int32,
        "F32": np.float32,
        "U64": np.uint64,
        "I64": np.int64,
        "F64": np.float64,
        "C64": np.complex64,
    }.items()
}
_NAMES = {dtype: name for name, dtype in _DTYPES.items()}
_NOT_IN_NUMPY = frozenset({"BF16", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4"})
_MAX_HEADER = 100_000_000  # the reference implementation's limit; more means garbage
_CHECKPOINT_KEY = "chainrule.checkpoint"
_CHECKPOINT_VERSION = 1
_TENSOR_REF = "__tensor__"  # marks a tensor's place in the checkpoint's JSON record


class SerializationError(UserError, ValueError):
    """A file that is not a valid safetensors file, or not the kind that was asked for."""


def _error(path: PathLike, problem: str) -> SerializationError:
    return SerializationError(f"{os.fspath(path)} {problem}")


# --------------------------------------------------------------------------- public API
def save(
    tensors: Mapping[str, Tensor | np.ndarray],
    path: PathLike,
    metadata: Mapping[str, str] | None = None,
) -> None:
    """Write ``tensors`` (e.g. ``model.state_dict()``) to ``path`` as a safetensors file.

    Values may be Tensors or NumPy arrays of any dtype safetensors has (bool, (u)int8-64,
    float16/32/64, complex64); ``metadata`` is an optional str -> str map kept in the
    header. The file appears whole or not at all: an existing file is replaced atomically.
    """
    _write_file(path, _arrays_to_save(tensors), _checked_metadata(metadata))


def load(path: PathLike) -> dict[str, Tensor]:
    """The tensors of the safetensors file at ``path``, by name, in the header's order.

    Raises ``SerializationError`` for anything that is not a valid safetensors file (and
    ``OSError`` if the file cannot be read). No code in the file is ever run.
    """
    with open(path, "rb") as file:
        return _read_tensors(file, path, _read_header(file, path))


def load_metadata(path: PathLike) -> dict[str, str]:
    """The ``__metadata__`` strings of the safetensors file at ``path``, reading no tensors."""
    with open(path, "rb") as file:
        return _read_header(file, path).metadata


def save_checkpoint(
    path: PathLike,
    *,
    model: Any = None,
    optimizer: Any = None,
    epoch: int | None = None,
    rng_state: Mapping[str, Any] | None = None,
    **extra: Any,
) -> None:
    """Write a training checkpoint to ``path`` (one safetensors file, replaced atomically).

    ``model`` and ``optimizer`` are the objects or their state dicts; the optimizer's has
    PyTorch's structure, ``{"state": {index: {name: tensor or number}}, "param_groups":
    [...]}``. ``rng_state`` defaults to ``chainrule.get_rng_state()`` now. ``extra``
    values must be JSON-able (tuples come back as lists).

    Layout: tensors ``model.<name>`` and ``optimizer.state.<index>.<name>``; the rest is
    JSON in ``__metadata__["chainrule.checkpoint"]``: ``{"version", "model" (saved or not),
    "optimizer" (with ``{"__tensor__": name}`` where a tensor was), "epoch", "rng_state",
    "extra"}``.
    """
    arrays: dict[str, np.ndarray] = {}
    if model is not None:
        for name, array in _arrays_to_save(_state_dict_of(model)).items():
            arrays[f"model.{name}"] = array
    record = {
        "version": _CHECKPOINT_VERSION,
        "model": model is not None,
        "optimizer": None if optimizer is None else _optimizer_record(optimizer, arrays),
        "epoch": _json_value(epoch, "epoch"),
        "rng_state": _json_value(
            random.get_rng_state() if rng_state is None else rng_state, "rng_state"
        ),
        "extra": {key: _json_value(value, key) for key, value in extra.items()},
    }
    _write_file(path, arrays, {_CHECKPOINT_KEY: json.dumps(record)})


def load_checkpoint(path: PathLike) -> dict[str, Any]:
    """The checkpoint at ``path``: ``{"model", "optimizer", "epoch", "rng_state", **extra}``.

    ``model`` is a state dict of Tensors and ``optimizer`` a PyTorch-shaped state dict with
    Tensors (each None if it was not saved). Nothing is restored; the caller applies it::

        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        cr.set_rng_state(ckpt["rng_state"])
    """
    with open(path, "rb") as file:
        header = _read_header(file, path)
        if _CHECKPOINT_KEY not in header.metadata:
            raise _error(path, "is a plain tensor file, not a checkpoint; read it with load()")
        record = _checkpoint_record(path, header.metadata[_CHECKPOINT_KEY])
        unclaimed = _read_tensors(file, path, header)
    model = None
    if record["model"]:
        model = {
            name.removeprefix("model."): unclaimed.pop(name)
            for name in list(unclaimed)
            if name.startswith("model.")
        }
    optimizer = record["optimizer"]
    if optimizer is not None:
        optimizer = _optimizer_from_record(path, optimizer, unclaimed)
    if unclaimed:
        raise _corrupt_checkpoint(
            path, f"the file holds tensors it does not mention: {sorted(unclaimed)}"
        )
    return {
        "model": model,
        "optimizer": optimizer,
        "epoch": record["epoch"],
        "rng_state": record["rng_state"],
        **record["extra"],
    }


# --------------------------------------------------------------------------- writing
def _arrays_to_save(tensors: Any) -> dict[str, np.ndarray]:
    """The contiguous little-endian arrays to write, by name, checking names and dtypes."""
    if not isinstance(tensors, Mapping):
        raise TypeError(
            f"expected a dict of tensors such as model.state_dict(), not {type(tensors).__name__}"
        )
    arrays = {}
    for name, value in tensors.items():
        if not isinstance(name, str):
            raise TypeError(f"tensor names must be strings, and {name!r} is not")
        if name == "__metadata__":
            raise ValueError("the name '__metadata__' is reserved; pass metadata= instead")
        arrays[name] = _array_to_save(name, value)
    return arrays


def _array_to_save(name: str, value: Any) -> np.ndarray:
    """``value`` as the array the file holds: on the CPU (GPU tensors are copied back, so
    files load anywhere), contiguous and little-endian."""
    array = value.data if isinstance(value, Tensor) else value
    if isinstance(array, np.generic) or is_gpu_array(array):
        array = to_numpy(array)
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{name!r} is a {type(value).__name__}; only Tensors and arrays are saved")
    little = array.dtype.newbyteorder("<")
    if little not in _NAMES:
        raise TypeError(
            f"{name!r} has dtype {array.dtype}, which safetensors cannot store; "
            f"convert it to one of {sorted(str(dtype) for dtype in _NAMES)}"
        )
    return np.asarray(array, dtype=little, order="C")


def _checked_metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    metadata = dict(metadata or {})
    for key, value in metadata.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"metadata maps strings to strings, and {key!r}: {value!r} does not")
    return metadata


def _write_file(path: PathLike, arrays: dict[str, np.ndarray], metadata: dict[str, str]) -> None:
    """Lay out and write one safetensors file; the header keeps the order of ``arrays``."""
    # Larger elements first, so that each tensor starts at a multiple of its element size.
    layout = sorted(arrays, key=lambda name: -arrays[name].dtype.itemsize)
    offsets, end = {}, 0
    for name in layout:
        offsets[name] = [end, end + arrays[name].nbytes]
        end += arrays[name].nbytes
    header: dict[str, Any] = {"__metadata__": metadata} if metadata else {}
    for name, array in arrays.items():
        header[name] = {
            "dtype": _NAMES[array.dtype],
            "shape": list(array.shape),
            "data_offsets": offsets[name],
        }
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # spaces are allowed; the data then starts 8-aligned

    def write(file: BinaryIO) -> None:
        file.write(struct.pack("<Q", len(text)))
        file.write(text)
        for name in layout:
            _write_array(file, arrays[name])

    atomic_write(path, write)


def _write_array(file: BinaryIO, array: np.ndarray) -> None:
    """The array's bytes, without a copy (it is C-contiguous and little-endian already)."""
    file.write(array.reshape(-1).view(np.uint8))


def atomic_write(path: PathLike, write: Callable[[BinaryIO], None]) -> None:
    """Write a file through ``write`` so that ``path`` only ever holds a whole file.

    The bytes go to a temporary file in the same directory (so the same file system), are
    flushed and fsynced, and only then renamed over ``path`` in one step. On any error the
    temporary file is removed and ``path`` is left as it was.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    temp = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(4)}.tmp")
    # os.open with 0o666 lets the umask decide the permissions, as open() does (mkstemp: 0o600).
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(temp, flags, 0o666)
    except OSError as error:  # name the user's path, not the temporary file
        if not os.path.isdir(directory):
            raise FileNotFoundError(
                errno.ENOENT,
                f"cannot save {path}: the folder {directory} does not exist; create it first "
                "(os.makedirs)",
            ) from None
        raise type(error)(error.errno, error.strerror, path) from None
    try:
        with os.fdopen(fd, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable where the OS allows; the file is complete either way."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# --------------------------------------------------------------------------- reading
class _Entry(NamedTuple):
    dtype: np.dtype
    shape: tuple[int, ...]
    begin: int
    end: int


class _Header(NamedTuple):
    entries: dict[str, _Entry]
    metadata: dict[str, str]
    data_start: int


class _DuplicateName(Exception):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refusing a repeated name (json would silently keep the last)."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateName(key)
        result[key] = value
    return result


def _not_safetensors(path: PathLike, prefix: bytes, why: str) -> SerializationError:
    if prefix.startswith((b"PK\x03\x04", b"\x80")):  # zip (torch.save) or pickle magic
        why = (
            "it looks like a torch.save or pickle file, which chainrule never loads; "
            "re-save it with safetensors.torch.save_file"
        )
    return _error(path, f"is not a safetensors file: {why}")


def _read_header(file: BinaryIO, path: PathLike) -> _Header:
    """Read and check the header: every entry valid, the data exactly covered by them."""
    size = os.fstat(file.fileno()).st_size
    if size < 8:
        raise _error(path, f"is truncated or not a safetensors file: it has only {size} bytes")
    prefix = file.read(8)
    (length,) = struct.unpack("<Q", prefix)
    if length > _MAX_HEADER:
        raise _not_safetensors(path, prefix, f"its first 8 bytes give a {length}-byte header")
    if 8 + length > size:
        raise _error(
            path, f"is truncated: header says {length} bytes, file has {size - 8} after the length"
        )
    raw = file.read(length)
    if not raw.startswith(b"{"):
        raise _not_safetensors(path, prefix, "its header is not a JSON object")
    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=_unique_keys)
    except _DuplicateName as error:
        raise _error(path, f"has a corrupt header: {error.args[0]!r} appears twice") from None
    except UnicodeDecodeError:
        raise _error(path, "has a corrupt header: it is not UTF-8 text") from None
    except (ValueError, RecursionError) as error:
        raise _error(path, f"has a corrupt header: {error}") from None

    metadata = header.pop("__metadata__", None)
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict) or not all(
        isinstance(value, str) for value in metadata.values()
    ):
        raise _error(path, "has a corrupt header: __metadata__ must map strings to strings")
    data_size = size - 8 - length
    entries = {name: _entry(path, name, info) for name, info in header.items()}
    _check_layout(path, entries, data_size)
    return _Header(entries, metadata, 8 + length)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _entry(path: PathLike, name: str, info: Any) -> _Entry:
    """One header entry, checked on its own: dtype known, shape and offsets agreeing."""
    if not isinstance(info, dict) or not {"dtype", "shape", "data_offsets"} <= info.keys():
        raise _error(path, f"has a corrupt header: {name!r} lacks dtype, shape or data_offsets")
    dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    if isinstance(dtype, str) and dtype in _NOT_IN_NUMPY:
        raise _error(
            path,
            f"stores {name!r} as {dtype}, which NumPy cannot hold; convert it to F32 first "
            "(in PyTorch: tensor.float())",
        )
    if not isinstance(dtype, str) or dtype not in _DTYPES:
        raise _error(path, f"has a corrupt header: {name!r} has unknown dtype {dtype!r}")
    if not isinstance(shape, list) or not all(_is_count(size) for size in shape):
        raise _error(path, f"has a corrupt header: {name!r} has shape {shape!r}")
    if not (
        isinstance(offsets, list)
        and len(offsets) == 2
        and all(_is_count(offset) for offset in offsets)
        and offsets[0] <= offsets[1]
    ):
        raise _error(path, f"has a corrupt header: {name!r} has data_offsets {offsets!r}")
    nbytes = math.prod(shape) * _DTYPES[dtype].itemsize
    if nbytes != offsets[1] - offsets[0]:
        raise _error(
            path,
            f"has a corrupt header: {name!r} is {dtype} of shape {shape} ({nbytes} bytes), "
            f"but its data_offsets {offsets} span {offsets[1] - offsets[0]}",
        )
    return _Entry(_DTYPES[dtype], tuple(shape), offsets[0], offsets[1])


def _check_layout(path: PathLike, entries: dict[str, _Entry], data_size: int) -> None:
    """The tensors must tile the data exactly: in bounds, no overlap, no gap, nothing after."""
    covered, previous = 0, None
    for name, entry in sorted(entries.items(), key=lambda item: (item[1].begin, item[1].end)):
        if entry.end > data_size:
            raise _error(
                path,
                f"is truncated: {name!r} needs data bytes {entry.begin} to {entry.end}, "
                f"file has {data_size} bytes of data",
            )
        if entry.begin < covered:
            raise _error(path, f"has a corrupt header: {name!r} overlaps {previous!r}")
        if entry.begin > covered:
            raise _error(
                path, f"has a corrupt header: data bytes {covered} to {entry.begin} are no tensor's"
            )
        covered, previous = entry.end, name
    if covered != data_size:
        raise _error(path, f"is corrupt: {data_size - covered} bytes follow the last tensor")


def _read_tensors(file: BinaryIO, path: PathLike, header: _Header) -> dict[str, Tensor]:
    """Each tensor read straight into its own array (aligned, writable), in header order."""
    arrays = {}
    for name, entry in sorted(header.entries.items(), key=lambda item: item[1].begin):
        try:
            array = np.empty(entry.shape, dtype=entry.dtype)
        except ValueError as error:
            raise _error(path, f"has a corrupt header: {name!r}: {error}") from None
        file.seek(header.data_start + entry.begin)
        if file.readinto(array.reshape(-1).view(np.uint8)) != entry.end - entry.begin:
            raise _error(path, f"is truncated: it ended while reading {name!r}")
        if array.dtype == np.bool_ and array.view(np.uint8).max(initial=0) > 1:
            raise _error(path, f"is corrupt: the BOOL tensor {name!r} holds bytes other than 0, 1")
        arrays[name] = array
    return {name: wrap(arrays[name]) for name in header.entries}


# --------------------------------------------------------------------------- checkpoints
def _state_dict_of(obj: Any) -> Any:
    """A model's or an optimizer's state dict; a state dict passed in is its own."""
    state_dict = getattr(obj, "state_dict", None)
    return state_dict() if callable(state_dict) else obj


def _json_value(value: Any, where: str) -> Any:
    """``value`` as plain JSON (tuples become lists), or a TypeError saying where it sits."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_json_value(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, Mapping):
        for key in value:
            if not isinstance(key, str):
                raise TypeError(f"{where} has the key {key!r}; JSON keys must be strings")
        return {key: _json_value(item, f"{where}[{key!r}]") for key, item in value.items()}
    hint = "; pass .item() or .tolist()" if isinstance(value, Tensor | np.ndarray) else ""
    raise TypeError(
        f"checkpoint value {where} is a {type(value).__name__}, which is not JSON{hint}"
    )


def _optimizer_record(optimizer: Any, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """The optimizer's state dict as JSON, its tensors moved into ``arrays``."""
    state_dict = _state_dict_of(optimizer)
    if not (
        isinstance(state_dict, Mapping)
        and isinstance(state_dict.get("state"), Mapping)
        and isinstance(state_dict.get("param_groups"), list | tuple)
    ):
        raise TypeError(
            "optimizer must be an optimizer or its state dict, "
            "{'state': {index: {name: value}}, 'param_groups': [...]}, as in PyTorch"
        )
    state = {}
    for index, values in state_dict["state"].items():
        if isinstance(index, bool) or not isinstance(index, int | np.integer):
            raise TypeError(f"optimizer state keys are parameter indices, and {index!r} is not")
        index = int(index)
        if not isinstance(values, Mapping) or not all(isinstance(name, str) for name in values):
            raise TypeError(f"optimizer state[{index}] must map names (strings) to values")
        entry = {}
        for name, value in values.items():
            if isinstance(value, Tensor) or is_array(value):
                key = f"optimizer.state.{index}.{name}"
                arrays[key] = _array_to_save(key, value)
                entry[name] = {_TENSOR_REF: key}
            else:
                entry[name] = _json_value(value, f"optimizer state[{index}][{name!r}]")
        state[str(index)] = entry
    return {
        key: state if key == "state" else _json_value(value, f"optimizer[{key!r}]")
        for key, value in state_dict.items()
    }


def _corrupt_checkpoint(path: PathLike, problem: str) -> SerializationError:
    return _error(path, f"has a corrupt checkpoint record: {problem}")


def _is_index(text: str) -> bool:
    """Whether ``text`` is a parameter index as ``str(int)`` writes it: ASCII digits (``int``
    refuses some other digits, such as '²'), few enough for ``int`` to parse."""
    return text.isascii() and text.isdigit() and len(text) <= 18


def _checkpoint_record(path: PathLike, text: str) -> dict[str, Any]:
    """The checkpoint's JSON record, parsed and checked for the structure we write."""
    try:
        record = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise _corrupt_checkpoint(path, str(error)) from None
    if not isinstance(record, dict) or not _is_count(record.get("version")):
        raise _corrupt_checkpoint(path, "it has no version")
    if record["version"] > _CHECKPOINT_VERSION:
        raise _error(
            path,
            f"is a version {record['version']} checkpoint, newer than this chainrule reads "
            f"({_CHECKPOINT_VERSION}); upgrade chainrule",
        )
    optimizer = record.get("optimizer")
    if not (
        isinstance(record.get("model"), bool)
        and isinstance(record.get("extra"), dict)
        and not {"model", "optimizer", "epoch", "rng_state"} & record["extra"].keys()
        and {"optimizer", "epoch", "rng_state"} <= record.keys()
        and (
            optimizer is None
            or (
                isinstance(optimizer, dict)
                and isinstance(optimizer.get("state"), dict)
                and all(isinstance(values, dict) for values in optimizer["state"].values())
                and all(_is_index(index) for index in optimizer["state"])
            )
        )
    ):
        raise _corrupt_checkpoint(
            path, "it does not have the model, optimizer, epoch, rng_state and extra we write"
        )
    return record


def _optimizer_from_record(
    path: PathLike, record: dict[str, Any], tensors: dict[str, Tensor]
) -> dict[str, Any]:
    """The optimizer's state dict, int indices restored and tensors taken from ``tensors``."""

    def value_of(value: Any) -> Any:
        if not (isinstance(value, dict) and _TENSOR_REF in value):
            return value
        name = value[_TENSOR_REF]
        if not isinstance(name, str) or name not in tensors:
            raise _corrupt_checkpoint(path, f"it refers to tensor {name!r}, not in the file")
        return tensors.pop(name)

    state = {
        int(index): {name: value_of(value) for name, value in values.items()}
        for index, values in record["state"].items()
    }
    return {key: state if key == "state" else value for key, value in record.items()}
