"""The array module behind tensors, the devices they live on, and the default dtypes.

A tensor's data is a NumPy array on the CPU and a CuPy array on an NVIDIA GPU. Every other
module asks this one for the array module (``xp``) that owns its inputs instead of naming
NumPy's GPU cousin itself, so that GPU support stays in one file. CuPy is imported only
when a GPU is first asked for: a user without one never loads it.
"""

from __future__ import annotations

import importlib
from contextlib import AbstractContextManager, nullcontext
from types import ModuleType
from typing import Any

import numpy as np

from .errors import UserError

# The dtypes, by PyTorch's names and aliases; ``cr.bool``, ``cr.float`` and ``cr.int`` are
# named in the package's __init__ only, as here they would hide Python's own types.
float16 = half = np.float16
float32 = np.float32
float64 = double = np.float64
uint8 = np.uint8
int8 = np.int8
int16 = short = np.int16
int32 = np.int32
int64 = long = np.int64
bool_ = np.bool_

default_float = np.dtype(np.float32)
"""The dtype of tensors made from Python floats, and of random and filled tensors."""

CUDA_INSTALL_HINT = 'pip install "chainrule[cuda]"'


class DeviceError(RuntimeError):
    """Tensors on different devices in one op, or a device this machine cannot give."""


class DeviceUnavailableError(DeviceError, UserError):
    """A device this machine cannot give: no CuPy, no GPU, or no GPU of that number."""


class Device:
    """Where a tensor's data lives: ``cpu``, or ``cuda:N`` for the N-th NVIDIA GPU.

    Made from the same strings PyTorch takes (``"cpu"``, ``"cuda"``, ``"cuda:1"``), and equal
    to them, so ``x.device == "cpu"`` reads as it does in PyTorch. ``"cuda"`` alone is
    ``cuda:0``, or in a process group of several on one machine each rank's own GPU
    (``default_gpu``).
    """

    __slots__ = ("index", "type")

    type: str
    index: int | None

    def __init__(self, spec: str | Device, index: int | None = None) -> None:
        if isinstance(spec, Device):
            self.type, self.index = spec.type, spec.index
            return
        if not isinstance(spec, str):
            raise TypeError(f"a device is a string such as 'cpu' or 'cuda', not {spec!r}")
        kind, _, number = spec.strip().lower().partition(":")
        if kind not in ("cpu", "cuda") or (number and not number.isdigit()):
            raise ValueError(
                f"unknown device {spec!r}; chainrule runs on 'cpu' and 'cuda'/'cuda:N'"
            )
        if number:
            if index is not None:
                raise ValueError(f"device {spec!r} already names an index; drop index={index}")
            index = int(number)
        if kind == "cpu" and index not in (None, 0):
            raise ValueError(f"the CPU has no device index {index}; use 'cpu'")
        if kind == "cuda" and index is None:
            index = default_gpu()
        self.type = kind
        self.index = index if kind == "cuda" else None

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            try:
                other = Device(other)
            except ValueError:
                return False
        if not isinstance(other, Device):
            return NotImplemented
        return (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"


CPU = Device("cpu")

_cupy: ModuleType | None = None  # CuPy, once a GPU has been asked for and found


def cupy() -> ModuleType:
    """CuPy, imported on first use; a ``DeviceUnavailableError`` saying what to do if there
    is no GPU."""
    global _cupy
    if _cupy is not None:
        return _cupy
    try:
        module = importlib.import_module("cupy")
    except ImportError as error:
        if error.name == "cupy":
            raise DeviceUnavailableError(
                f"device 'cuda' needs CuPy, which is not installed; install it with: "
                f"{CUDA_INSTALL_HINT}"
            ) from None
        raise DeviceUnavailableError(
            f"device 'cuda' needs CuPy, which failed to import: {error}"
        ) from None
    count = _gpu_count(module)
    if isinstance(count, str):
        raise DeviceUnavailableError(
            f"device 'cuda' was asked for, but CuPy finds no NVIDIA GPU: {count}"
        )
    _cupy = module
    if _local_rank:
        module.cuda.Device(default_gpu()).use()
    return module


def _gpu_count(module: ModuleType) -> int | str:
    """How many GPUs CuPy sees, or why it sees none."""
    try:
        count = int(module.cuda.runtime.getDeviceCount())
    except Exception as error:  # CuPy raises its own CUDA error types, and only at runtime
        return f"{type(error).__name__}: {error}"
    return count if count > 0 else "the CUDA driver reports no devices"


_local_rank = 0
"""This process's rank among the processes of its machine, in a process group that an MPI
launcher started (``distributed.init_process_group`` sets it): it picks the GPU "cuda" means."""


_default_gpu: int | None = None  # default_gpu's answer for _local_rank, once found


def set_local_rank(rank: int) -> None:
    """Make ``rank`` (among the processes of this machine) pick this process's GPU, and make
    that GPU CuPy's current device, where CuPy runs its kernels, if CuPy is loaded already
    (else once it is)."""
    global _local_rank, _default_gpu
    _local_rank, _default_gpu = rank, None
    if _cupy is not None:
        _cupy.cuda.Device(default_gpu()).use()


def default_gpu() -> int:
    """The GPU that "cuda" means without a number: 0, or in a process group the GPU numbered
    by this process's local rank, modulo the GPUs it sees. So the ranks of a machine each have
    their own GPU while there are enough, and ranks that a launcher shows one GPU each (by
    ``CUDA_VISIBLE_DEVICES``) each take the one they see. 0 where CuPy finds no GPU: using it
    then says why."""
    global _default_gpu
    if not _local_rank:
        return 0
    if _default_gpu is None:  # found once: `x.device == "cuda"` asks on every comparison
        try:
            module = cupy()
        except DeviceUnavailableError:  # no CuPy or no GPU: "cuda" then says why when used
            _default_gpu = 0
        else:
            _default_gpu = _local_rank % int(module.cuda.runtime.getDeviceCount())
    return _default_gpu


def cuda_available() -> bool:
    """Whether a GPU can be used: CuPy is installed and sees at least one device."""
    try:
        cupy()
    except DeviceUnavailableError:
        return False
    return True


def cuda_device_count() -> int:
    """How many GPUs CuPy sees (0 without CuPy or without a GPU)."""
    return int(cupy().cuda.runtime.getDeviceCount()) if cuda_available() else 0


def as_gpu(device: int | str | Device | None = None) -> Device:
    """The GPU that ``x.cuda(device)`` means: ``"cuda"`` for None, ``cuda:N`` for N, else
    ``device`` itself."""
    if device is None:
        return Device("cuda")
    return Device("cuda", device) if isinstance(device, int) else as_device(device)


def as_device(device: str | Device | None) -> Device:
    """``device`` as a ``Device`` (the CPU when None); a GPU must exist to be named."""
    if device is None:
        return CPU
    resolved = device if isinstance(device, Device) else Device(device)
    if resolved.type == "cuda":
        count = int(cupy().cuda.runtime.getDeviceCount())
        if resolved.index >= count:
            gpus = "one GPU, cuda:0" if count == 1 else f"{count} GPUs, cuda:0 to cuda:{count - 1}"
            raise DeviceUnavailableError(
                f"device {resolved} does not exist; this machine has {gpus}"
            )
    return resolved


def is_gpu_array(array: Any) -> bool:
    """Whether ``array`` is a CuPy array (always False until CuPy is loaded)."""
    return _cupy is not None and isinstance(array, _cupy.ndarray)


def is_array(value: Any) -> bool:
    """Whether ``value`` is an array on any device (not a scalar, not a list)."""
    return isinstance(value, np.ndarray) or is_gpu_array(value)


def xp_of(array: Any) -> ModuleType:
    """The array module that owns ``array``: CuPy for GPU arrays, NumPy for everything else."""
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return _cupy
    return np


def on_device(device: Device) -> AbstractContextManager[Any]:
    """A context in which CuPy makes its arrays on ``device`` (nothing to do for the CPU)."""
    if device.type == "cpu":
        return nullcontext()
    return cupy().cuda.Device(device.index)


def make_on(device: Device, factory: str, *args: Any, **kwargs: Any) -> Any:
    """A new array from ``xp.<factory>(*args, **kwargs)`` (``zeros``, ``arange``...), made
    by the array module of ``device``, on it."""
    if device.type == "cpu":
        return getattr(np, factory)(*args, **kwargs)
    with on_device(device):
        return getattr(cupy(), factory)(*args, **kwargs)


def device_of(array: Any) -> Device:
    """The device ``array`` lives on."""
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return Device("cuda", int(array.device.id))
    return CPU


def to_device(array: Any, device: Device) -> Any:
    """``array`` on ``device``: itself when it is there already, else a copy moved there."""
    if device.type == "cpu":
        return to_numpy(array)
    module = cupy()
    if isinstance(array, module.ndarray) and int(array.device.id) == device.index:
        return array
    with on_device(device):
        return module.asarray(array)


def to_numpy(array: Any) -> np.ndarray:
    """``array`` as a NumPy array, copied from the GPU when it lives there."""
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return array.get()
    return np.asarray(array)


def as_array(value: Any, dtype: Any = None) -> Any:
    """``value`` as an array (never a NumPy scalar), converted to ``dtype`` if given.

    GPU arrays stay on the GPU; anything else becomes a NumPy array.
    """
    if _cupy is not None and isinstance(value, _cupy.ndarray):
        return value if dtype is None else value.astype(dtype, copy=False)
    return np.asarray(value, dtype=dtype)


def is_floating(dtype: Any) -> bool:
    """Whether ``dtype`` is a real floating-point type, the only kind that carries gradients."""
    return np.issubdtype(dtype, np.floating)
