"""``chainrule.cuda``: whether a GPU can be used, and waiting for it, as ``torch.cuda``.

Nothing here imports CuPy until asked: on a machine without it every answer is "no GPU".
"""

from __future__ import annotations

from typing import NamedTuple

from ._backend import Device, as_device, cuda_available, cuda_device_count, cupy, on_device


class DeviceProperties(NamedTuple):
    """What CUDA says about a GPU, with ``torch.cuda.get_device_properties``'s names."""

    name: str
    total_memory: int
    major: int
    minor: int


def is_available() -> bool:
    """Whether tensors can be put on ``"cuda"``: CuPy is installed and sees a GPU."""
    return cuda_available()


def device_count() -> int:
    """How many GPUs can be used (0 without CuPy or without a GPU)."""
    return cuda_device_count()


def get_device_properties(device: str | Device = "cuda") -> DeviceProperties:
    """The name, memory (bytes) and compute capability (major, minor) of a GPU."""
    index = as_device(device).index
    properties = cupy().cuda.runtime.getDeviceProperties(index)
    name = properties["name"]
    return DeviceProperties(
        name=name.decode() if isinstance(name, bytes) else str(name),
        total_memory=int(properties["totalGlobalMem"]),
        major=int(properties["major"]),
        minor=int(properties["minor"]),
    )


def get_device_name(device: str | Device = "cuda") -> str:
    """The GPU's name, e.g. ``NVIDIA H100 80GB HBM3``."""
    return get_device_properties(device).name


def synchronize(device: str | Device = "cuda") -> None:
    """Wait until ``device`` has finished the work queued on it (GPU calls return early)."""
    with on_device(as_device(device)):
        cupy().cuda.Device().synchronize()
