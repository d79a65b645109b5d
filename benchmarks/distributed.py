"""Data-parallel speed: workload (c) (784-256-256-10 ReLU, softmax cross-entropy, SGD lr 0.1)
with 128 samples per rank, trained by 1 process and by 2 (``mpirun -np 2``), one BLAS
thread per process, compiled steps (``cr.compile``) with ``DistributedDataParallel``.

    python benchmarks/distributed.py [--steps 150] [--repeats 3] [--rounds 3] [--json PATH]

Each round launches 1 process, then 2; the rounds alternate so that a change in the
machine's background load meets both. Prints, per round and as the median over rounds,
samples/s of each, the parallel efficiency (2-rank samples/s over twice the 1-rank figure
of the same round; weak scaling: each rank keeps 128 samples a step), the share of the 2-rank step
spent in the gradient allreduce (waiting for the other rank included), and the allreduce's
latency and bandwidth measured alone, the inputs of the cost model in docs/DISTRIBUTED.md.
Needs mpi4py and an mpirun (``pip install "chainrule[mpi]"``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

PER_RANK = 128
WARM_UP = 10


def _worker(steps: int, repeats: int) -> None:
    """One process of the job: time ``repeats`` runs of ``steps`` steps; rank 0 prints."""
    import numpy as np

    import chainrule as cr
    import chainrule.distributed as dist
    from chainrule.data import DataLoader, TensorDataset
    from chainrule.nn.parallel import DistributedDataParallel
    from speed import chainrule_version
    from speed.chainrule_compiled import compiled_step
    from speed.inputs import make_problem
    from speed.workloads import suite_for

    dist.init_process_group()
    rank, world = dist.get_rank(), dist.get_world_size()
    workload = suite_for("cpu")["c"]
    global_batch = PER_RANK * world
    problem = make_problem(workload, global_batch * (WARM_UP + steps))
    model, optimizer, loss_fn, _ = chainrule_version.build(workload, problem)
    wrapped = DistributedDataParallel(model) if world > 1 else model
    compiled = compiled_step(wrapped, optimizer, loss_fn)
    dataset = TensorDataset(cr.tensor(problem.inputs), cr.tensor(problem.targets))
    loader = DataLoader(dataset, global_batch, shard=(rank, world))
    batches = list(loader)
    for x, t in batches[:WARM_UP]:
        compiled(x, t)
    seconds, shares = [], []
    for _ in range(repeats):
        dist.barrier()
        reduced = getattr(wrapped, "allreduce_seconds", 0.0)
        started = time.perf_counter()
        for x, t in batches[WARM_UP:]:
            compiled(x, t)
        dist.barrier()
        elapsed = time.perf_counter() - started
        seconds.append(elapsed)
        shares.append((getattr(wrapped, "allreduce_seconds", 0.0) - reduced) / elapsed)
    report = {
        "ranks": world,
        "samples_per_second": global_batch * steps / statistics.median(seconds),
        "step_ms": 1e3 * statistics.median(seconds) / steps,
        "allreduce_share": statistics.median(shares),
        "parameters": sum(p.data.size for p in model.parameters()),
    }
    if world > 1:
        report |= _allreduce_alone(dist, np, report["parameters"] + 1)
    if rank == 0:
        print(json.dumps(report), flush=True)


def _allreduce_alone(dist, np, elements: int) -> dict[str, float]:
    """The allreduce by itself: of one float64 (its latency) and of the gradient buffer."""
    group = dist._group()

    def timed(array, times: int) -> float:
        group.comm.Barrier()
        started = time.perf_counter()
        for _ in range(times):
            group.comm.Allreduce(group.mpi.IN_PLACE, array, op=group.mpi.SUM)
        return (time.perf_counter() - started) / times

    small = timed(np.zeros(1), 2000)
    large = timed(np.zeros(elements, np.float32), 200)
    return {"allreduce_latency_us": 1e6 * small, "allreduce_gradients_ms": 1e3 * large}


def _launch(ranks: int, steps: int, repeats: int) -> dict:
    mpirun = shutil.which("mpirun") or shutil.which("mpirun", path=str(Path(sys.executable).parent))
    if mpirun is None:
        sys.exit('no mpirun: pip install "chainrule[mpi]"')
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    command = [mpirun, "-np", str(ranks), sys.executable, __file__, "--worker"]
    command += ["--steps", str(steps), "--repeats", str(repeats)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode:
        sys.exit(done.stderr)
    return json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=150, help="timed steps per run")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs (the median)")
    parser.add_argument("--rounds", type=int, default=3, help="1-rank, 2-rank launch pairs")
    parser.add_argument("--json", metavar="PATH", help="write the figures as JSON too")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args.steps, args.repeats)
        return 0
    load_before = os.getloadavg()
    rounds = []
    for _ in range(args.rounds):
        one, two = (_launch(ranks, args.steps, args.repeats) for ranks in (1, 2))
        efficiency = two["samples_per_second"] / (2 * one["samples_per_second"])
        # The cost model of docs/DISTRIBUTED.md: one rank's step, then the allreduce as timed
        # alone, nothing overlapping; what two free cores would give.
        predicted = one["step_ms"] / (one["step_ms"] + two["allreduce_gradients_ms"])
        rounds.append({"one": one, "two": two, "efficiency": efficiency, "predicted": predicted})
    load = {"load_average_before": load_before, "load_average_after": os.getloadavg()}
    median = statistics.median(r["efficiency"] for r in rounds)
    result = {"rounds": rounds, "efficiency": median, **load}
    print(f"(c) 784-256-256-10, {PER_RANK} samples per rank, 1 BLAS thread per rank, compiled")
    for number, r in enumerate(rounds, 1):
        one, two = r["one"], r["two"]
        print(
            f"  round {number}: 1 rank {one['samples_per_second']:8,.0f} samples/s "
            f"({one['step_ms']:.2f} ms a step), 2 ranks {two['samples_per_second']:8,.0f} "
            f"({two['step_ms']:.2f} ms, allreduce {two['allreduce_share']:.1%} of it): "
            f"efficiency {r['efficiency']:.2f}, model {r['predicted']:.2f}; the allreduce "
            f"alone {two['allreduce_latency_us']:.1f} us for 8 bytes, "
            f"{two['allreduce_gradients_ms']:.3f} ms for the {two['parameters']:,} gradients"
        )
    print(
        f"  parallel efficiency {median:.2f}, the median of {len(rounds)} rounds (target >= "
        f"0.8); the model is what two free cores would give (load average here "
        f"{load_before[0]:.1f} before, {load['load_average_after'][0]:.1f} after, on "
        f"{os.cpu_count()} cores)"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
