"""``cr.distributed``: processes that train together over MPI (through mpi4py), with
PyTorch's names: ``init_process_group``, ``get_rank``, ``get_world_size``, ``all_reduce``,
``broadcast``, ``barrier``.

Start the processes with an MPI launcher (``mpirun -np 4 python train.py``, Slurm's
``srun``); each learns its rank and the number of processes from it. mpi4py is imported
only by ``init_process_group``, so the rest of chainrule never needs it
(``pip install "chainrule[mpi]"`` brings it). Once the group is started, an exception that
ends one process prints its traceback and aborts the whole job (``MPI.COMM_WORLD.Abort``),
so no process waits for ever on a peer that has died.

CPU tensors travel as NumPy buffers (one ``Allreduce`` of the array, never a pickled
object). CUDA tensors go from GPU to GPU through NCCL where CuPy has it, each process on
its own GPU ("cuda" is the GPU of its rank among those of its machine); else, or when told
(``nccl=False``, ``CHAINRULE_NCCL=0``), they are copied to host memory and back
(docs/DISTRIBUTED.md).
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from . import _nccl
from ._backend import device_of, is_array, is_gpu_array, set_local_rank, to_device, to_numpy
from .errors import UserError
from .tensor import Tensor

__all__ = [
    "DistributedError",
    "abort",
    "all_reduce",
    "barrier",
    "broadcast",
    "broadcast_object",
    "broadcast_optimizer_state",
    "check_same_layout",
    "destroy_process_group",
    "failing_together",
    "get_rank",
    "get_world_size",
    "gpu_transport",
    "init_process_group",
    "is_initialized",
    "launched_rank",
    "launched_world_size",
    "sum_over_ranks",
]


class DistributedError(UserError, RuntimeError):
    """Processes that cannot train together: no MPI, no process group, or ranks that
    disagree (on the model's layout, say). ``on_every_rank``: every rank raised it at the same
    point, so none is left waiting and one of them reporting it is enough; ``rank``: the
    process whose error it tells, when some processes met it and others did not."""

    def __init__(self, message: str, on_every_rank: bool = False, rank: int | None = None) -> None:
        super().__init__(message)
        self.on_every_rank = on_every_rank
        self.rank = rank


_LAUNCHER_SIZES = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE")
"""What MPI launchers set to the number of processes: Open MPI's mpirun; MPICH's (and Intel
MPI's, and Slurm's ``srun --mpi=pmi2``)."""


def launched_world_size() -> int:
    """How many processes the MPI launcher started, as its environment says (1 when none
    did; inside ``srun``, Slurm's task count): asked before deciding to import mpi4py."""
    names = [*_LAUNCHER_SIZES, *(("SLURM_NTASKS",) if "SLURM_STEP_ID" in os.environ else ())]
    for name in names:
        value = os.environ.get(name, "")
        if value.isdigit():
            return int(value)
    return 1


def launched_rank() -> int:
    """This process's rank, as the MPI launcher's environment says (0 when none started it):
    for the few words printed before the group is joined."""
    names = (
        "OMPI_COMM_WORLD_RANK",
        "PMI_RANK",
        *(("SLURM_PROCID",) if "SLURM_STEP_ID" in os.environ else ()),
    )
    for name in names:
        value = os.environ.get(name, "")
        if value.isdigit():
            return int(value)
    return 0


class _Group:
    """The started process group: MPI's world communicator and its ranks; ``machine``, the
    lowest rank on this process's machine; ``nccl``, CuPy's NCCL bindings when CUDA tensors
    go through NCCL, else why they go through host memory (a string), or None until asked
    (CuPy is imported only then); ``gpus``, the NCCL communicator, once the first CUDA
    tensor has travelled."""

    comm: Any = None
    mpi: Any = None
    rank = 0
    size = 1
    machine = 0
    hook: Any = None
    nccl: Any = None
    agreed = False
    gpus: Any = None


NCCL_VARIABLE = "CHAINRULE_NCCL"
"""Set to 0 in the launcher's environment, it sends CUDA tensors through host memory."""


def init_process_group(backend: str = "mpi", nccl: bool | None = None) -> None:
    """Join the processes the MPI launcher started; afterwards an exception that ends this
    process aborts them all, and "cuda" names this process's own GPU (that of its rank among
    the processes on its machine, modulo the GPUs it sees). Calling it again does nothing.
    ``backend`` must be "mpi". CUDA tensors travel through NCCL where CuPy has it, unless
    ``nccl`` is False or, with ``nccl`` None, the environment says ``CHAINRULE_NCCL=0``:
    then through host memory (``gpu_transport`` says which)."""
    if backend != "mpi":
        raise DistributedError(f"backend {backend!r} is not available; chainrule speaks 'mpi'")
    if _Group.comm is not None:
        return
    told = os.environ.get(NCCL_VARIABLE, "1")
    if nccl is None and told not in ("0", "1"):
        raise DistributedError(f"{NCCL_VARIABLE} must be 0 or 1, not {told!r}")
    try:
        from mpi4py import MPI
    except ImportError:
        raise DistributedError(
            'training on several processes needs mpi4py: pip install "chainrule[mpi]"'
        ) from None
    _Group.mpi, _Group.comm = MPI, MPI.COMM_WORLD
    _Group.rank, _Group.size = MPI.COMM_WORLD.Get_rank(), MPI.COMM_WORLD.Get_size()
    machine = MPI.COMM_WORLD.Split_type(MPI.COMM_TYPE_SHARED)
    _Group.machine = machine.allreduce(_Group.rank, op=MPI.MIN)
    set_local_rank(machine.Get_rank())
    machine.Free()
    if nccl is False or (nccl is None and told == "0"):
        _Group.nccl = "nccl=False" if nccl is False else f"{NCCL_VARIABLE}=0"
    if _Group.size > 1:
        _Group.hook = sys.excepthook
        sys.excepthook = _abort_on_exception


def _abort_on_exception(kind: type, error: BaseException, trace: Any) -> None:
    """``sys.excepthook`` while a group is started: report, then end every process."""
    _Group.hook(kind, error, trace)
    abort(1)


_LAST_WORDS_S = 0.5


def abort(code: int = 1) -> None:
    """End every process of the job now with exit code ``code`` (after flushing this one's
    output): for an error this process alone has met, which leaves the others waiting."""
    sys.stdout.flush()
    sys.stderr.flush()
    # The launcher forwards each process's output through its own pipes, and an abort
    # tears them down at once: what it has not yet passed on (a traceback's last lines) is
    # lost. A moment's wait lets it pass on this process's last words.
    time.sleep(_LAST_WORDS_S)
    _group().comm.Abort(code)


def destroy_process_group() -> None:
    """Leave the group (MPI itself is finalised when the process ends)."""
    if _Group.hook is not None:
        sys.excepthook, _Group.hook = _Group.hook, None
    _Group.comm, _Group.rank, _Group.size = None, 0, 1
    _Group.nccl, _Group.agreed, _Group.gpus = None, False, None
    set_local_rank(0)


def is_initialized() -> bool:
    """Whether this process has joined a group (``init_process_group``)."""
    return _Group.comm is not None


def get_rank() -> int:
    """This process's rank, 0 to world size - 1 (0 without a group)."""
    return _Group.rank


def get_world_size() -> int:
    """How many processes take part (1 without a group)."""
    return _Group.size


def _group() -> type[_Group]:
    if _Group.comm is None:
        raise DistributedError(
            "no process group: call cr.distributed.init_process_group() first, in every process"
        )
    return _Group


def gpu_transport() -> str:
    """How CUDA tensors travel between the processes: "NCCL", or "host memory (why)", the
    reason being ``nccl=False``, ``CHAINRULE_NCCL=0``, CuPy without NCCL, or another process
    without it. Once a CUDA tensor has travelled, this is what every process agreed on;
    before, what this process offers."""
    nccl = _bindings()
    return "NCCL" if not isinstance(nccl, str) else f"host memory ({nccl})"


def _bindings() -> Any:
    """CuPy's NCCL bindings, or why CUDA tensors go through host memory; asked once."""
    _group()
    if _Group.nccl is None:
        _Group.nccl = _nccl.bindings()
    return _Group.nccl


def _agreed_bindings() -> Any:
    """``_bindings()`` as every process agrees: NCCL only where all have it and may use it,
    else host memory for all, since a process on NCCL and one through host memory would
    each wait for the other for ever. One small allreduce, at the first CUDA tensor that
    travels (which every process passes at the same point)."""
    if not _Group.agreed:
        offered = not isinstance(_bindings(), str)
        if _Group.comm.allreduce(int(offered), op=_Group.mpi.MIN) < offered:
            _Group.nccl = "another process has no NCCL, or was told not to use it"
        _Group.agreed = True
    return _Group.nccl


def _on_gpus(array: Any, what: str) -> Any:
    """The NCCL communicator that carries ``array`` (contiguous, on this process's GPU),
    started by the first array every process passes; None for arrays that go through host
    memory. Starting it stops every process with one line if two share a GPU."""
    if not is_gpu_array(array) or not _nccl.carries(array):
        return None
    if isinstance(_agreed_bindings(), str):
        return None
    if not array.flags.c_contiguous:
        raise DistributedError(f"{what}: the tensor must be contiguous (.contiguous())")
    gpu = int(array.device.id)
    if _Group.gpus is None:
        places = _Group.comm.allgather((_Group.machine, _nccl.pci_bus_id(gpu)))
        first = {}
        for rank, place in enumerate(places):
            if place in first:
                raise DistributedError(
                    f"ranks {first[place]} and {rank} share the GPU {place[1]} of one machine, "
                    'and NCCL needs a GPU for each: name the device "cuda" (each process\'s '
                    'own GPU) rather than "cuda:N", start at most as many processes per '
                    f"machine as it has GPUs, or go through host memory with {NCCL_VARIABLE}=0 "
                    "(init_process_group(nccl=False))",
                    on_every_rank=True,
                )
            first[place] = rank
        with failing_together():  # rank 0's failure reaches the others, waiting for the id
            unique_id = (
                _nccl_doing("make its id", _Group.nccl.get_unique_id) if not _Group.rank else None
            )
        unique_id = broadcast_object(unique_id)
        _Group.gpus = _nccl_doing(
            "start",
            lambda: _nccl.Communicator(_Group.nccl, _Group.size, unique_id, _Group.rank, gpu),
        )
    if gpu != _Group.gpus.gpu:
        raise DistributedError(
            f"{what}: the tensor is on cuda:{gpu}, but this process's tensors travel through "
            f"NCCL on cuda:{_Group.gpus.gpu}; keep each process's tensors on one GPU"
        )
    return _Group.gpus


def _nccl_doing(what: str, call: Any) -> Any:
    """``call()``, with an error of NCCL's (a driver, a network) told as one line."""
    try:
        return call()
    except Exception as error:
        raise DistributedError(
            f"NCCL could not {what}: {type(error).__name__}: {error}; to go through host memory "
            f"instead, set {NCCL_VARIABLE}=0 (init_process_group(nccl=False))"
        ) from error


def _through_host(array: Any, what: str, exchange: Any) -> None:
    """Run ``exchange`` on ``array``'s values as a contiguous NumPy array, in place: a CPU
    tensor's own array, a GPU tensor's copied to host memory and back."""
    host = to_numpy(array)
    if host is array and not array.flags.c_contiguous:
        raise DistributedError(f"{what}: the tensor must be contiguous (.contiguous())")
    exchange(host)
    if host is not array:
        array[...] = to_device(host, device_of(array))


_OPS = {"sum": "SUM", "max": "MAX", "min": "MIN", "product": "PROD"}


def _array(tensor: Any, what: str) -> Any:
    array = tensor.data if isinstance(tensor, Tensor) else tensor
    if not is_array(array):
        raise TypeError(f"{what}: expected a tensor, got {type(tensor).__name__}")
    return array


def all_reduce(tensor: Tensor | np.ndarray, op: str = "sum") -> None:
    """Replace ``tensor``'s values (a tensor's, or an array's), in place, by their sum (or
    "max", "min", "product") over all processes: every process ends with the same values. A
    GPU tensor goes through NCCL, or host memory (``gpu_transport``)."""
    group = _group()
    if op not in _OPS:
        raise ValueError(f"all_reduce: op must be one of {', '.join(_OPS)}, not {op!r}")
    array = _array(tensor, "all_reduce")
    gpus = _on_gpus(array, "all_reduce")
    if gpus is not None:
        gpus.all_reduce(array, op)
        return
    mpi_op = getattr(group.mpi, _OPS[op])
    _through_host(
        array, "all_reduce", lambda a: group.comm.Allreduce(group.mpi.IN_PLACE, a, op=mpi_op)
    )


def broadcast(tensor: Tensor, src: int = 0) -> None:
    """Replace ``tensor``'s values, in place, by those of process ``src`` (a GPU tensor's
    through NCCL, or host memory)."""
    group = _group()
    array = _array(tensor, "broadcast")
    gpus = _on_gpus(array, "broadcast")
    if gpus is not None:
        gpus.broadcast(array, src)
        return
    _through_host(array, "broadcast", lambda a: group.comm.Bcast(a, root=src))


def broadcast_object(value: Any, src: int = 0) -> Any:
    """``value`` as process ``src`` has it, on every process (pickled: for small things, a
    checkpoint's bytes, settings; tensors go by ``broadcast``)."""
    return _group().comm.bcast(value, root=src)


def broadcast_optimizer_state(optimizer: Any, src: int = 0) -> None:
    """Give every process ``optimizer``'s state and hyperparameters as process ``src`` has
    them (once, at the start: pickled), so that all take the same steps from there."""
    state = broadcast_object(optimizer.state_dict() if get_rank() == src else None, src)
    if get_rank() != src:
        optimizer.load_state_dict(state)


def barrier() -> None:
    """Wait until every process has reached this point."""
    _group().comm.Barrier()


def sum_over_ranks(values: Iterable[float]) -> list[float]:
    """Numbers summed over all processes, in one small float64 allreduce: metrics."""
    array = np.array(list(values), dtype=np.float64)
    if _Group.size > 1:
        _group().comm.Allreduce(_Group.mpi.IN_PLACE, array, op=_Group.mpi.SUM)
    return array.tolist()


def check_same_layout(entries: Iterable[tuple[str, Any]], what: str) -> None:
    """Stop every process with one line unless all hold ``entries`` (names and arrays) of the
    same names, shapes, dtypes and kind of device (CPU or GPU), in the same order: checked
    before any allreduce, since MPI may silently sum buffers of different sizes, and a GPU
    tensor may travel another way than a CPU one. One small allgather of a digest each."""
    group = _group()
    described = [
        f"{name}:{tuple(array.shape)}:{array.dtype}" + (":cuda" if is_gpu_array(array) else "")
        for name, array in ((n, a.data if isinstance(a, Tensor) else a) for n, a in entries)
        if is_array(array)
    ]
    digests = group.comm.allgather(hashlib.sha256("\n".join(described).encode()).digest())
    if all(d == digests[0] for d in digests):
        return
    other = next(rank for rank, d in enumerate(digests) if d != digests[0])
    theirs = group.comm.bcast(described if group.rank == other else None, root=other)
    first = group.comm.bcast(described if group.rank == 0 else None, root=0)
    where = next(
        (f"{a} where rank 0 has {b}" for a, b in zip(theirs, first, strict=False) if a != b),
        f"{len(theirs)} tensors where rank 0 has {len(first)}",
    )
    raise DistributedError(
        f"the processes disagree on {what}: rank {other} has {where} (name:shape:dtype); "
        "every process must build the same model",
        on_every_rank=True,
    )


@contextmanager
def failing_together() -> Iterator[None]:
    """Around a step that may fail on some processes only (reading settings, files, data):
    if a ``UserError`` ends it in any process, every process raises, once all have come to
    the end of the block, a ``DistributedError`` on every rank with the message of the lowest
    rank that failed, naming that rank unless every process failed alike. So no process waits
    for ever on one that has stopped, and rank 0 alone can report the error. Without a group
    of several, the error passes unchanged. One small allgather."""
    try:
        yield
    except UserError as error:
        if _Group.size == 1:
            raise
        _raise_if_any_failed(str(error))
    else:
        if _Group.size > 1:
            _raise_if_any_failed(None)


def _raise_if_any_failed(message: str | None) -> None:
    messages = _group().comm.allgather(message)
    failed = [(rank, text) for rank, text in enumerate(messages) if text is not None]
    if not failed:
        return
    rank, first = failed[0]
    alike = len(failed) == len(messages) and all(text == first for _, text in failed)
    raise DistributedError(first, on_every_rank=True, rank=None if alike else rank)
