"""BLAS threads for processes that share a machine: set on import, which ``chainrule``
does before it imports NumPy.

Under an MPI launcher that starts several processes on one machine, each NumPy would
otherwise start a BLAS thread per core, and N processes would run N times as many threads
as there are cores. Unless the user has set one of the thread variables, each process
gets ``cores // processes on this machine`` threads (at least one). It takes effect only if
NumPy is not imported yet: ``import chainrule`` first, or set ``OMP_NUM_THREADS`` yourself.
"""

from __future__ import annotations

import os

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
_LOCAL_SIZES = ("OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS")
"""What launchers set to the number of processes on this machine: Open MPI, MPICH (Hydra);
Slurm's ``SLURM_NTASKS_PER_NODE`` too, but only inside a job step (``srun``, which sets
``SLURM_STEP_ID``): a batch script's own single process sees it as well."""


def share_cores_among_ranks(environ: dict[str, str] | None = None) -> int | None:
    """Set the BLAS thread variables for a process that shares its machine with others of
    the same MPI job; the threads it set, or None (not launched so, or already set)."""
    environ = os.environ if environ is None else environ
    if any(name in environ for name in THREAD_VARIABLES):
        return None
    names = [*_LOCAL_SIZES, *(("SLURM_NTASKS_PER_NODE",) if "SLURM_STEP_ID" in environ else ())]
    local = next((environ[n] for n in names if environ.get(n, "").isdigit()), "")
    if not local or int(local) < 2:
        return None
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    threads = max(1, cores // int(local))
    for name in THREAD_VARIABLES:
        environ[name] = str(threads)
    return threads


share_cores_among_ranks()
