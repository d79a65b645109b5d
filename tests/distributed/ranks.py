"""Programs that the tests of this folder run under ``mpirun -np 2``; rank 0 prints one JSON
line of what it found. ``python ranks.py train``: data-parallel training on the digits, with
the checks only several processes can make; ``gpu``: the same on stand-in GPUs; ``raise``:
rank 1 fails in the middle of training while rank 0 waits for it in the allreduce."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import numpy as np

import chainrule as cr
import chainrule.distributed as dist
from chainrule import data, nn, optim
from chainrule._backend import to_numpy
from chainrule.nn.parallel import DistributedDataParallel

SEED = 3


def _model(hidden: int = 32) -> nn.Module:
    cr.manual_seed(SEED + dist.get_rank())  # different on each rank: DDP copies rank 0's
    return nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, 10))


def _digest(model: nn.Module) -> str:
    arrays = (to_numpy(p.data) for p in model.parameters())
    return hashlib.sha256(b"".join(a.tobytes() for a in arrays)).hexdigest()


def _phases(dataset: data.TensorDataset) -> list[tuple[data.TensorDataset, int]]:
    """An epoch of the 1,437 digits in global batches of 256 (the last of 157, split 79/78),
    then 257 of them in batches of 128 (the last of 1: rank 1's share is empty)."""
    return [(dataset, 256), (data.Subset(dataset, list(range(257))), 128)]


def _train(dataset, compiled: bool, shard: tuple[int, int] | None, device: str = "cpu"):
    """Train a fresh model through the phases; with ``shard``, data-parallel; returns the
    model and, per step, whether every rank held the same bits."""
    model = _model().to(device)
    wrapped = DistributedDataParallel(model) if shard else model
    lr = 0.5 if dist.get_rank() == 0 or not shard else 0.9  # rank 0's comes to all
    optimizer = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    if shard:
        dist.broadcast_optimizer_state(optimizer)
    criterion = nn.CrossEntropyLoss()

    def step(x, y):
        loss = criterion(wrapped(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss

    run = cr.compile(step) if compiled else step
    same = []
    for subset, batch_size in _phases(dataset):
        order = np.random.default_rng(SEED)  # the one shared seed of the data order
        loader = data.DataLoader(
            subset, batch_size, shuffle=True, generator=order, shard=shard, device=device
        )
        for x, y in loader:
            if len(y):
                run(x, y)
            else:
                wrapped.join_without_samples()
                optimizer.step()
            if shard:
                mine = _digest(model)
                same.append(dist.broadcast_object(mine) == mine)
    return model, same


def train() -> None:
    rank = dist.get_rank()
    dataset = data.digits(train=True)
    report: dict = {}
    compiled, same_compiled = _train(dataset, True, (rank, 2))
    eager, same_eager = _train(dataset, False, (rank, 2))
    steps = [a and b for a, b in zip(same_compiled, same_eager, strict=True)]
    report["steps"] = len(steps)
    report["steps_identical_on_every_rank"] = int(dist.sum_over_ranks([sum(steps)])[0])
    report["compiled_equals_eager"] = _digest(compiled) == _digest(eager)
    total, most = cr.tensor([rank + 1.0, 2.0]), cr.tensor([rank + 1.0])
    dist.all_reduce(total)
    dist.all_reduce(most, op="max")
    report["all_reduce"] = [*total.numpy().tolist(), *most.numpy().tolist()]
    try:
        DistributedDataParallel(_model(hidden=32 + rank))
    except dist.DistributedError as error:
        report["mismatch"] = str(error)
        report["mismatch_on_every_rank"] = error.on_every_rank
    frozen = _model()
    frozen[2 - 2 * rank].bias.requires_grad = False  # each rank another: misaligned buffers
    try:
        DistributedDataParallel(frozen)
    except dist.DistributedError as error:
        report["frozen_mismatch"] = str(error)
    try:
        DistributedDataParallel(_model()).join_without_samples()  # on every rank: no samples
    except dist.DistributedError as error:
        report["no_samples"] = str(error)
    report["failing_together"] = [_failed_together(failing) for failing in ({1}, {0, 1})]
    if rank == 0:
        cr.manual_seed(SEED)  # rank 0's initial weights, which DDP gave every rank
        alone, _ = _train(dataset, False, None)
        report["max_difference_from_one_process"] = max(
            float(np.abs(a.data - b.data).max())
            for a, b in zip(alone.parameters(), eager.parameters(), strict=True)
        )
        report["largest_weight"] = max(float(np.abs(p.data).max()) for p in eager.parameters())
        print(json.dumps(report), flush=True)


def _failed_together(failing: set[int]) -> list:
    """What every rank raises when the ranks in ``failing`` raise a UserError inside
    ``failing_together``: its message, the rank it names and whether it is on every rank."""
    try:
        with dist.failing_together():
            if dist.get_rank() in failing:
                raise cr.UserError(f"a file missing on rank {min(failing)}")
    except dist.DistributedError as error:
        return [str(error), error.rank, error.on_every_rank]
    return []


def gpu() -> None:
    """The same data-parallel training on two stand-in GPUs (tests/fake_cupy.py) with its
    stand-in NCCL: each rank on its own GPU, gradients through NCCL, the weights the CPU
    run's; then through host memory, when told; then two ranks on one GPU, refused."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import fake_cupy

    sys.modules["cupy"] = fake_cupy
    fake_cupy.GPUS = 2
    fake_cupy.use_nccl()
    dataset = data.digits(train=True)
    shard = (dist.get_rank(), 2)
    report: dict = {"transport": dist.gpu_transport()}
    on_gpu, same = _train(dataset, True, shard, device="cuda")
    mine = str(next(on_gpu.parameters()).device)
    report["devices"] = [dist.broadcast_object(mine, src) for src in (0, 1)]
    report["nccl_calls"] = dict(fake_cupy.nccl.CALLS)
    summed = cr.tensor([dist.get_rank() + 1.0, 2.0], device="cuda")
    copies = fake_cupy.COPIES_TO_HOST
    dist.all_reduce(summed)
    report["copies_to_host_in_all_reduce"] = fake_cupy.COPIES_TO_HOST - copies
    report["all_reduce"] = summed.cpu().numpy().tolist()
    on_cpu, _ = _train(dataset, True, shard)
    report["equals_cpu"] = _digest(on_gpu) == _digest(on_cpu)

    dist.destroy_process_group()
    dist.init_process_group(nccl=False)
    report["told"] = dist.gpu_transport()
    calls, copies = sum(fake_cupy.nccl.CALLS.values()), fake_cupy.COPIES_TO_HOST
    dist.all_reduce(summed)
    report["copies_to_host_when_told"] = fake_cupy.COPIES_TO_HOST - copies
    through_host, same_through_host = _train(dataset, True, shard, device="cuda")
    report["through_host_equals_cpu"] = _digest(through_host) == _digest(on_cpu)
    report["nccl_calls_when_told"] = sum(fake_cupy.nccl.CALLS.values()) - calls
    steps = [a and b for a, b in zip(same, same_through_host, strict=True)]
    report["steps"] = len(steps)
    report["steps_identical_on_every_rank"] = int(dist.sum_over_ranks([sum(steps)])[0])

    dist.destroy_process_group()
    os.environ["CHAINRULE_NCCL"] = "0"
    dist.init_process_group()
    report["told_by_environment"] = dist.gpu_transport()
    del os.environ["CHAINRULE_NCCL"]

    dist.destroy_process_group()
    fake_cupy.GPUS = 1  # two ranks, one GPU: both take cuda:0
    dist.init_process_group()
    try:
        DistributedDataParallel(_model().to("cuda"))
    except dist.DistributedError as error:
        report["shared"] = [str(error), error.on_every_rank]

    dist.destroy_process_group()
    fake_cupy.GPUS = 2
    dist.init_process_group()
    fake_cupy.use_nccl(library=dist.get_rank() == 0)  # rank 1's CuPy lacks the NCCL library
    DistributedDataParallel(_model().to("cuda"))  # its broadcasts: the first CUDA collective
    report["disagreeing"] = [dist.broadcast_object(dist.gpu_transport(), src) for src in (0, 1)]
    try:
        DistributedDataParallel(_model().to("cuda" if dist.get_rank() == 0 else "cpu"))
    except dist.DistributedError as error:
        report["mixed_devices"] = str(error)
    if dist.get_rank() == 0:
        print(json.dumps(report), flush=True)


def real_gpus() -> None:
    """On two real GPUs (CuPy with NCCL): the data-parallel training through NCCL, then
    through host memory, then on the CPU; every step identical on both ranks each time."""
    dataset = data.digits(train=True)
    shard = (dist.get_rank(), 2)
    report: dict = {"transport": dist.gpu_transport()}
    through_nccl, same_nccl = _train(dataset, True, shard, device="cuda")
    report["devices"] = [
        dist.broadcast_object(str(next(through_nccl.parameters()).device), r) for r in (0, 1)
    ]
    dist.destroy_process_group()
    dist.init_process_group(nccl=False)
    through_host, same_host = _train(dataset, True, shard, device="cuda")
    on_cpu, _ = _train(dataset, True, shard)
    steps = [a and b for a, b in zip(same_nccl, same_host, strict=True)]
    report["steps"] = len(steps)
    report["steps_identical_on_every_rank"] = int(dist.sum_over_ranks([sum(steps)])[0])
    report["nccl_equals_host_memory"] = _digest(through_nccl) == _digest(through_host)
    report["largest_difference_from_cpu"] = max(
        float(np.abs(to_numpy(a.data) - b.data).max())
        for a, b in zip(through_nccl.parameters(), on_cpu.parameters(), strict=True)
    )
    if dist.get_rank() == 0:
        print(json.dumps(report), flush=True)


def fail() -> None:
    dist.init_process_group()
    model = _model()
    wrapped = DistributedDataParallel(model)
    x, y = cr.randn(8, 64), cr.tensor(np.arange(8) % 10)
    for step in range(3):
        if dist.get_rank() == 1 and step == 1:
            raise RuntimeError("rank 1 gives up at step 1")
        nn.CrossEntropyLoss()(wrapped(x), y).backward()


if __name__ == "__main__":
    dist.init_process_group()
    {"train": train, "raise": fail, "gpu": gpu, "real_gpus": real_gpus}[sys.argv[1]]()
