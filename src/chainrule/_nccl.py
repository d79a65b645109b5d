"""NCCL through CuPy's bindings (``cupy.cuda.nccl``): the GPU-to-GPU path of
``cr.distributed``, which starts the communicator over MPI and decides when to use it.

A communicator joins one GPU of each process. Its calls take device pointers and are
queued on CuPy's current stream of that GPU, so the CuPy work that follows on the stream
(the optimizer step) runs after them, and no value passes through host memory.
"""

from __future__ import annotations

from typing import Any

from ._backend import cupy

_TYPES = {
    "int8": "NCCL_INT8",
    "uint8": "NCCL_UINT8",
    "int32": "NCCL_INT32",
    "uint32": "NCCL_UINT32",
    "int64": "NCCL_INT64",
    "uint64": "NCCL_UINT64",
    "float16": "NCCL_FLOAT16",
    "float32": "NCCL_FLOAT32",
    "float64": "NCCL_FLOAT64",
}
"""NumPy's dtype names and NCCL's for them; the others (bool, complex) go through host memory."""

OPS = {"sum": "NCCL_SUM", "product": "NCCL_PROD", "max": "NCCL_MAX", "min": "NCCL_MIN"}


def bindings() -> Any:
    """CuPy's NCCL module, or why there is none (a string): CuPy or a GPU missing, or a
    CuPy built without NCCL."""
    try:
        cupy()
        from cupy.cuda import nccl
    except Exception as error:  # ImportError, or what a broken NCCL library raises on load
        return f"CuPy has no NCCL: {type(error).__name__}: {error}"
    if not getattr(nccl, "available", True) or not hasattr(nccl, "NcclCommunicator"):
        # CuPy's module imports without the NCCL library (as from a pip wheel) and says so
        return "CuPy has no NCCL library (cupy.cuda.nccl.available is False)"
    return nccl


def carries(array: Any) -> bool:
    """Whether NCCL has a type for ``array``'s dtype."""
    return array.dtype.name in _TYPES


def pci_bus_id(gpu: int) -> str:
    """The PCI address of GPU ``gpu`` as this process numbers it: the same GPU has the same
    address in every process of a machine, whatever ``CUDA_VISIBLE_DEVICES`` each sees."""
    return str(cupy().cuda.runtime.deviceGetPCIBusId(gpu))


class Communicator:
    """This process's place, on GPU ``gpu``, among ``size`` processes that all made a
    communicator with the same ``unique_id`` (from ``nccl.get_unique_id()`` on one process):
    making it waits for all of them."""

    def __init__(self, nccl: Any, size: int, unique_id: Any, rank: int, gpu: int) -> None:
        self.nccl, self.gpu = nccl, gpu
        with cupy().cuda.Device(gpu):
            self.comm = nccl.NcclCommunicator(size, unique_id, rank)

    def all_reduce(self, array: Any, op: str) -> None:
        """``array`` (contiguous, on this communicator's GPU) replaced in place by the
        elementwise ``op`` of every process's."""
        ptr = array.data.ptr
        with cupy().cuda.Device(self.gpu):
            stream = cupy().cuda.get_current_stream().ptr
            self.comm.allReduce(ptr, ptr, array.size, self._type(array), self._op(op), stream)

    def broadcast(self, array: Any, root: int) -> None:
        """``array`` replaced in place by process ``root``'s."""
        with cupy().cuda.Device(self.gpu):
            stream = cupy().cuda.get_current_stream().ptr
            self.comm.bcast(array.data.ptr, array.size, self._type(array), root, stream)

    def _type(self, array: Any) -> int:
        return getattr(self.nccl, _TYPES[array.dtype.name])

    def _op(self, op: str) -> int:
        return getattr(self.nccl, OPS[op])
