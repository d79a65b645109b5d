"""``chainrule.cuda``: whether a GPU can be used, and waiting for it, as ``torch.cuda``.

Nothing here imports CuPy until asked: on a machine without it every answer is "no GPU".
"""

from __future__ import annotations

from ._backend import Device, as_device, cuda_available, cuda_device_count, cupy, on_device


def is_available() -> bool:
    """Whether tensors can be put on ``"cuda"``: CuPy is installed and sees a GPU."""
    return cuda_available()


def device_count() -> int:
    """How many GPUs can be used (0 without CuPy or without a GPU)."""
    return cuda_device_count()


def synchronize(device: str | Device = "cuda") -> None:
    """Wait until ``device`` has finished the work queued on it (GPU calls return early)."""
    with on_device(as_device(device)):
        cupy().cuda.Device().synchronize()
