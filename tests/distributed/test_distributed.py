"""Data-parallel training over MPI: two local ranks (``mpirun -np 2``) train as one process
would, keep identical weights at every step, refuse ranks that disagree, end the whole job
when one rank fails, and ``chainrule train`` under mpirun resumes exactly. The launches need
mpi4py and an ``mpirun`` (``pip install "chainrule[mpi]"``); they skip, saying so, without."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import chainrule as cr
import fake_cupy
from chainrule import _backend, _nccl, _threads, data, distributed, nn
from chainrule._backend import Device
from chainrule.function import queue_after_backward
from chainrule.nn.parallel import DistributedDataParallel
from helpers import chainrule_command, chainrule_environment, run_main

RANKS = Path(__file__).with_name("ranks.py")
LAUNCH_LIMIT = 120  # seconds: a guard against a hang, not a measure of speed


def _mpirun() -> str:
    pytest.importorskip("mpi4py", reason='needs mpi4py: pip install "chainrule[mpi]"')
    found = shutil.which("mpirun") or shutil.which("mpirun", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip('needs an mpirun: pip install "chainrule[mpi]" brings MPICH\'s')
    return found


def _launch(*command: object, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``mpirun -np 2 command`` with the chainrule under test."""
    return subprocess.run(
        [_mpirun(), "-np", "2", *map(str, command)],
        capture_output=True,
        text=True,
        timeout=LAUNCH_LIMIT,
        env=chainrule_environment(),
        cwd=cwd,
    )


# ------------------------------------------------------------------ two ranks of the library
@pytest.fixture(scope="module")
def trained() -> dict:
    done = _launch(sys.executable, RANKS, "train")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_two_ranks_hold_the_same_bits_at_every_step(trained):
    """Uneven (79/78) and empty shares included, compiled and eager."""
    assert trained["steps"] == 9
    assert trained["steps_identical_on_every_rank"] == 2 * trained["steps"]


def test_two_ranks_end_where_one_process_on_the_same_global_batches_ends(trained):
    """Equal to float32 rounding: measured 1.2e-7 (one ulp at the largest weight, ~1.0)
    after 9 SGD steps with momentum; the bound is 8 ulps of the largest weight."""
    ulp = np.spacing(np.float32(trained["largest_weight"]))
    assert trained["max_difference_from_one_process"] <= 8 * ulp


def test_the_compiled_data_parallel_step_is_the_eager_one_bit_for_bit(trained):
    assert trained["compiled_equals_eager"]


def test_all_reduce_sums_or_takes_the_largest_on_every_rank(trained):
    assert trained["all_reduce"] == [3.0, 4.0, 2.0]


def test_a_step_without_samples_on_any_rank_is_refused_on_every_rank(trained):
    assert trained["no_samples"] == (
        "DistributedDataParallel: no process had samples in this step; a step needs at least "
        "one sample in the global batch"
    )


def test_an_error_of_some_ranks_is_raised_on_every_rank_naming_the_first(trained):
    """Rank 1 alone fails: both ranks raise its message, naming it; both fail alike: the
    message alone. Neither rank is left waiting for the other."""
    assert trained["failing_together"] == [
        ["a file missing on rank 1", 1, True],
        ["a file missing on rank 0", None, True],
    ]


@pytest.fixture(scope="module")
def on_gpus() -> dict:
    """Two ranks on two stand-in GPUs with the stand-in's NCCL (tests/fake_cupy.py), compiled:
    what NCCL would do, done through MPI between the two processes. No real GPU has run it."""
    done = _launch(sys.executable, RANKS, "gpu")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_on_two_real_gpus_nccl_and_host_memory_give_the_same_bits():
    """The stand-in's checks on real hardware, where there are two GPUs and CuPy has NCCL
    (never run yet: no machine of this project's has had them)."""
    _mpirun()
    from chainrule import _backend, _nccl

    if not _backend.cuda_available() or _backend.cuda_device_count() < 2:
        pytest.skip("needs two CUDA GPUs: CuPy is not installed or finds fewer")
    if isinstance(_nccl.bindings(), str):
        pytest.skip(f"needs NCCL: {_nccl.bindings()}")
    done = _launch(sys.executable, RANKS, "real_gpus")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["transport"] == "NCCL"
    assert report["devices"] == ["cuda:0", "cuda:1"]
    assert report["steps_identical_on_every_rank"] == 2 * report["steps"]
    assert report["nccl_equals_host_memory"]
    assert report["largest_difference_from_cpu"] < 1e-4  # cuBLAS against OpenBLAS: rounding


def test_each_rank_takes_its_own_gpu_and_gradients_travel_through_nccl(on_gpus):
    """One communicator; each step's gradients in one allReduce; DDP's start, a bcast per
    parameter; an all_reduce of a CUDA tensor copies nothing to host memory."""
    assert on_gpus["transport"] == "NCCL"
    assert on_gpus["devices"] == ["cuda:0", "cuda:1"]
    assert on_gpus["nccl_calls"] == {"NcclCommunicator": 1, "allReduce": 9, "bcast": 4}
    assert on_gpus["copies_to_host_in_all_reduce"] == 0
    assert on_gpus["all_reduce"] == [3.0, 4.0]


def test_on_gpus_the_ranks_end_with_the_cpu_runs_bits_through_nccl_or_host_memory(on_gpus):
    """Every step identical on both ranks, by either path; both end bit for bit where the
    2-rank CPU run ends."""
    assert on_gpus["steps"] == 9
    assert on_gpus["steps_identical_on_every_rank"] == 2 * on_gpus["steps"]
    assert on_gpus["equals_cpu"] and on_gpus["through_host_equals_cpu"]


def test_told_nccl_false_gpu_tensors_go_through_host_memory(on_gpus):
    assert on_gpus["told"] == "host memory (nccl=False)"
    assert on_gpus["told_by_environment"] == "host memory (CHAINRULE_NCCL=0)"
    assert on_gpus["nccl_calls_when_told"] == 0
    assert on_gpus["copies_to_host_when_told"] == 1


def test_ranks_that_would_share_a_gpu_under_nccl_stop_with_one_line(on_gpus):
    assert on_gpus["shared"] == [
        "ranks 0 and 1 share the GPU 0000:01:00.0 of one machine, and NCCL needs a GPU for "
        'each: name the device "cuda" (each process\'s own GPU) rather than "cuda:N", start at '
        "most as many processes per machine as it has GPUs, or go through host memory with "
        "CHAINRULE_NCCL=0 (init_process_group(nccl=False))",
        True,
    ]


def test_processes_that_disagree_on_nccl_all_go_through_host_memory(on_gpus):
    """Rank 1's CuPy has no NCCL library (its module imports and says ``available = False``,
    as a pip wheel's): rank 0 must not wait in NCCL for a rank that goes through host memory."""
    assert on_gpus["disagreeing"] == [
        "host memory (another process has no NCCL, or was told not to use it)",
        "host memory (CuPy has no NCCL library (cupy.cuda.nccl.available is False))",
    ]


def test_a_model_on_the_gpu_on_one_rank_and_the_cpu_on_another_is_one_line(on_gpus):
    """A GPU tensor may travel another way than a CPU one: the layout check compares devices."""
    assert on_gpus["mixed_devices"] == (
        "the processes disagree on the model's parameters and buffers: rank 1 has "
        "0.weight:(32, 64):float32 where rank 0 has 0.weight:(32, 64):float32:cuda "
        "(name:shape:dtype); every process must build the same model"
    )


def test_ranks_with_different_models_stop_with_one_line_naming_the_difference(trained):
    assert trained["mismatch_on_every_rank"]
    assert trained["mismatch"] == (
        "the processes disagree on the model's parameters and buffers: rank 1 has "
        "0.weight:(33, 64):float32 where rank 0 has 0.weight:(32, 64):float32 "
        "(name:shape:dtype); every process must build the same model"
    )


def test_ranks_that_train_different_parameters_stop_with_one_line(trained):
    """Rank 0 freezes the last layer's bias, rank 1 the first's: gradient buffers that no
    longer line up (of one size, MPI would sum them without complaint)."""
    assert trained["frozen_mismatch"] == (
        "the processes disagree on the parameters that require gradients: rank 1 has "
        "2.weight:(10, 32):float32 where rank 0 has 0.bias:(32,):float32 (name:shape:dtype); "
        "every process must build the same model"
    )


def test_a_rank_that_raises_ends_the_job_with_its_message():
    """Rank 0 waits in the allreduce for rank 1, which has raised: the job ends (the
    subprocess limit guards against a hang) with rank 1's traceback and a failing code."""
    done = _launch(sys.executable, RANKS, "raise")
    assert done.returncode == 1
    assert "RuntimeError: rank 1 gives up at step 1" in done.stderr


# ------------------------------------------------------------------ chainrule train under mpirun
def _weights(path: Path) -> dict[str, np.ndarray]:
    return {name: t.numpy() for name, t in cr.load_checkpoint(path)["model"].items()}


def _epochs(stdout: str) -> list[dict]:
    lines = [json.loads(line) for line in stdout.splitlines()]
    return [{k: v for k, v in m.items() if k != "seconds"} for m in lines if "epoch" in m]


def test_mpirun_chainrule_train_is_one_process_to_rounding_and_resumes_exactly(tmp_path):
    """Global batches of 718 of the 1,437 digits: 359/359 twice, then 1/0 (rank 1's share
    is empty). One epoch under 2 ranks against one process: equal to rounding (measured
    7.5e-9, half an ulp of the largest weight, 0.18; the bound is 8 ulps); then a 2-rank resume
    to 2 epochs against 2 epochs straight: bit for bit."""
    options = ["--layers", "64,32,10", "--batch-size", "718", "--seed", "1"]
    first = _launch(
        *chainrule_command("train", *options, "--epochs", "1", "--save", "a"), cwd=tmp_path
    )
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert lines[0].startswith("2 processes (MPI), each training on its share of every batch")
    assert "; gradients over MPI;" in lines[0]
    assert first.stdout.count("Final test accuracy") == 1  # rank 0 alone prints
    assert run_main(["train", *options, "--epochs", "1", "--save", str(tmp_path / "one")]) == 0
    alone, together = _weights(tmp_path / "one"), _weights(tmp_path / "a")
    ulp = np.spacing(max(np.abs(w).max() for w in alone.values()))
    for name, weights in alone.items():
        np.testing.assert_allclose(together[name], weights, rtol=0, atol=8 * ulp)

    straight = _launch(
        *chainrule_command("train", *options, "--epochs", "2", "--save", "b", "--json"),
        cwd=tmp_path,
    )
    resumed = _launch(
        *chainrule_command("train", "--resume", "a", "--epochs", "2", "--json"), cwd=tmp_path
    )
    assert straight.returncode == resumed.returncode == 0, straight.stderr + resumed.stderr
    assert _epochs(resumed.stdout) == _epochs(straight.stdout)[1:]
    for name, weights in _weights(tmp_path / "b").items():
        assert np.array_equal(_weights(tmp_path / "a")[name], weights), name


def test_under_mpirun_an_error_of_every_rank_is_told_once_and_one_of_a_rank_ends_the_job(
    tmp_path,
):
    """A loss that diverges is seen by every rank at the same batch: rank 0 says so, once,
    and all exit 2. A checkpoint that rank 0 alone reads and cannot find: rank 0 says so,
    naming itself, and all exit 2. A bad setting that every rank meets while setting up:
    one line, as from one process (no rank's duplicate, no MPI_Abort's words)."""
    diverged = _launch(
        *chainrule_command("train", "--optimizer", "sgd", "--lr", "1e30", "--quiet"), cwd=tmp_path
    )
    assert diverged.returncode == 2
    errors = [line for line in diverged.stderr.splitlines() if "error" in line]
    assert errors == [
        "chainrule train: error: the loss became nan in epoch 1, batch 2; try a smaller --lr "
        "(it is 1e+30)"
    ]
    missing = _launch(*chainrule_command("train", "--resume", "nope", "--quiet"), cwd=tmp_path)
    assert (missing.returncode, missing.stderr.splitlines()) == (
        2,
        ["chainrule train: error (rank 0 of 2): [Errno 2] No such file or directory: 'nope'"],
    )
    wrong = _launch(*chainrule_command("train", "--layers", "10,10", "--quiet"), cwd=tmp_path)
    assert (wrong.returncode, wrong.stderr.splitlines()) == (
        2,
        [
            "chainrule train: error: --layers starts with 10 inputs, but digits has 64 features "
            "per sample; start with 64"
        ],
    )


# ------------------------------------------------------------------ without MPI
def test_each_rank_gets_a_contiguous_share_of_every_global_batch():
    dataset = data.TensorDataset(cr.arange(11))
    whole = [b[0].numpy().tolist() for b in data.DataLoader(dataset, 5)]
    shares = [
        [b[0].numpy().tolist() for b in data.DataLoader(dataset, 5, shard=(r, 2))] for r in (0, 1)
    ]
    assert whole == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10]]
    assert shares == [[[0, 1, 2], [5, 6, 7], [10]], [[3, 4], [8, 9], []]]
    assert len(data.DataLoader(dataset, 5, shard=(1, 2))) == 3
    for wrong in ((2, 2), (0, 1.5), (1,), 1, (True, 2)):
        with pytest.raises(ValueError, match=r"two ints with 0 <= rank < world_size, got "):
            data.DataLoader(dataset, 5, shard=wrong)


class _Squares(data.Dataset):
    """Samples one by one (the loader's path for datasets it cannot slice)."""

    def __len__(self):
        return 3

    def __getitem__(self, i):
        return cr.tensor([float(i)]), cr.tensor(i * i)


def test_a_dataset_of_single_samples_gives_an_empty_share_its_shape():
    shares = [list(data.DataLoader(_Squares(), 3, shard=(r, 4))) for r in range(4)]
    assert [[x.numpy().tolist() for x, _ in share] for share in shares] == [
        [[[0.0]]],
        [[[1.0]]],
        [[[2.0]]],
        [[]],
    ]
    ((x, y),) = shares[3]
    assert x.shape == (0, 1) and y.shape == (0,)


class _Doubled(cr.Function):
    """y = x; after backward, an effect doubles the gradients of ``PARAMS`` and counts."""

    calls = 0

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        queue_after_backward(_double, PARAMS)
        return g

    @staticmethod
    def replay_forward(e, op):
        y = e.local("v")
        e.line(f"{y} = {e.arg(op, 0)}.copy()")
        e.out(op, y, fresh=True)

    @staticmethod
    def replay_backward(e, op, g, into, grads):
        return [g]


def _double(grads):
    _Doubled.calls += 1
    for g in grads:
        g *= 2


PARAMS: list = []


def test_an_effect_after_backward_runs_once_per_call_compiled_or_checked():
    """The allreduce's place in the engine: run after the walk, replayed after the replayed
    backward, and once per call even when cr.compile runs a call twice to compare."""
    cr.manual_seed(0)
    layer = nn.Linear(3, 2)
    PARAMS[:] = list(layer.parameters())
    optimizer = cr.optim.SGD(layer.parameters(), lr=0.1)
    x = cr.randn(4, 3)

    def step(x):
        loss = _Doubled.apply(layer(x)).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss

    compiled = cr.compile(step, check=2)
    _Doubled.calls = 0
    for _ in range(5):
        compiled(x)
    assert _Doubled.calls == 5
    assert compiled.signatures == 1
    assert np.array_equal(layer.bias.grad.numpy(), [8.0, 8.0])  # 4 rows of ones, doubled
    with pytest.raises(RuntimeError, match="for an op's backward, during backward"):
        queue_after_backward(_double, PARAMS)


class _TwoLikeRanks:
    """Stands in for a group of two processes holding the same gradients, in this process:
    each allreduce doubles its array, and says which array it was given."""

    def __init__(self, samples: int) -> None:
        self.samples = samples
        self.reduced: list = []

    def sum_over_ranks(self, values):
        return [2 * v for v in values]

    def all_reduce(self, array):
        self.reduced.append(array)
        array *= 2


@pytest.mark.parametrize("laid_out", [True, False])
def test_gradients_lying_end_to_end_are_reduced_where_they_lie(monkeypatch, laid_out):
    """As a compiled step keeps them (one flat array), they travel without a copy; apart,
    they are packed into the reducer's buffer. Either way: the mean, the same bits."""
    from chainrule.nn import parallel

    group = _TwoLikeRanks(samples=3)
    monkeypatch.setattr(distributed, "sum_over_ranks", group.sum_over_ranks)
    monkeypatch.setattr(distributed, "all_reduce", group.all_reduce)
    monkeypatch.setattr(distributed, "get_world_size", lambda: 2)
    params = [cr.zeros(2, 3), cr.zeros(3)]
    flat = np.random.default_rng(0).standard_normal(9).astype(np.float32)
    if laid_out:
        grads = [flat[:6].reshape(2, 3), flat[6:]]
    else:
        grads = [flat[:6].reshape(2, 3).copy(), flat[6:].copy()]
    expected = [g.copy() for g in grads]
    reducer = parallel._Reducer(["weight", "bias"], params)
    reducer.reduce(grads, group.samples)
    assert all(np.array_equal(g, e) for g, e in zip(grads, expected, strict=True))
    assert group.reduced[0] is (flat if laid_out else reducer.buffers[0][0])


def test_without_a_process_group_there_is_one_process_and_ddp_says_what_to_do():
    assert (distributed.get_rank(), distributed.get_world_size()) == (0, 1)
    with pytest.raises(
        distributed.DistributedError, match=r"call cr\.distributed\.init_process_group"
    ):
        DistributedDataParallel(nn.Linear(2, 2))


CORES = len(os.sched_getaffinity(0))


@pytest.mark.parametrize(
    ("environ", "threads"),
    [
        ({"MPI_LOCALNRANKS": "2"}, max(1, CORES // 2)),
        ({"OMPI_COMM_WORLD_LOCAL_SIZE": str(2 * CORES)}, 1),
        ({"MPI_LOCALNRANKS": "2", "OMP_NUM_THREADS": "3"}, None),
        ({"MPI_LOCALNRANKS": "1"}, None),
        ({"SLURM_NTASKS_PER_NODE": "2", "SLURM_STEP_ID": "0"}, max(1, CORES // 2)),
        ({"SLURM_NTASKS_PER_NODE": "2"}, None),  # a batch script's own process, not srun's
        ({}, None),
    ],
)
def test_ranks_on_one_machine_share_its_cores_unless_told(environ, threads):
    given = dict(environ)
    assert _threads.share_cores_among_ranks(given) == threads
    if threads is not None:
        assert {given[name] for name in _threads.THREAD_VARIABLES} == {str(threads)}


def test_under_a_launcher_cuda_is_the_gpu_of_the_local_rank_modulo_those_seen(
    fake_gpu, monkeypatch
):
    """Local rank 1 of a machine with 2 GPUs: "cuda" is cuda:1, and CuPy's current device
    (where its kernels run) too; 3 is cuda:1 again; a machine whose launcher shows each rank
    one GPU: cuda:0. A number given stays as given."""
    monkeypatch.setattr(fake_cupy, "GPUS", 2)
    monkeypatch.setattr(fake_cupy, "_current", [0])
    try:
        _backend.set_local_rank(1)
        assert cr.zeros(2, device="cuda").device == "cuda:1"
        assert fake_cupy.cuda.Device().id == 1
        assert Device("cuda:0") == "cuda:0"
        _backend.set_local_rank(3)
        assert Device("cuda") == "cuda:1"
        monkeypatch.setattr(fake_cupy, "GPUS", 1)
        _backend.set_local_rank(3)  # where the GPUs a rank sees are counted, once
        assert Device("cuda") == "cuda:0"
    finally:
        _backend.set_local_rank(0)
    assert (Device("cuda"), fake_cupy.cuda.Device().id) == ("cuda:0", 0)


def test_without_cupy_a_local_rank_leaves_cuda_to_say_what_is_missing(no_cupy):
    try:
        _backend.set_local_rank(1)
        assert Device("cuda") == "cuda:0"
        with pytest.raises(_backend.DeviceUnavailableError, match="needs CuPy"):
            cr.zeros(2, device="cuda")
    finally:
        _backend.set_local_rank(0)


def test_nccl_is_there_when_cupy_has_it(fake_gpu, monkeypatch):
    """Without ``cupy.cuda.nccl`` (a CuPy built without NCCL) the reason, to be told."""
    assert _nccl.bindings().startswith(
        "CuPy has no NCCL: ModuleNotFoundError: No module named 'cupy.cuda'"
    )
    monkeypatch.setattr(fake_cupy.cuda, "nccl", fake_cupy.nccl, raising=False)
    monkeypatch.setitem(sys.modules, "cupy.cuda", fake_cupy.cuda)
    monkeypatch.setitem(sys.modules, "cupy.cuda.nccl", fake_cupy.nccl)
    assert _nccl.bindings() is fake_cupy.nccl
    monkeypatch.setitem(sys.modules, "cupy.cuda.nccl", SimpleNamespace(available=False))
    monkeypatch.setattr(fake_cupy.cuda, "nccl", sys.modules["cupy.cuda.nccl"])
    assert _nccl.bindings() == "CuPy has no NCCL library (cupy.cuda.nccl.available is False)"


def test_chainrule_nccl_is_0_or_1(monkeypatch):
    monkeypatch.setenv("CHAINRULE_NCCL", "no")
    with pytest.raises(distributed.DistributedError, match=r"^CHAINRULE_NCCL must be 0 or 1, "):
        distributed.init_process_group()


@pytest.mark.parametrize(
    ("device", "transport", "said"),
    [
        ("cpu", None, "gradients over MPI"),
        ("cuda", "NCCL", "gradients over NCCL"),
        ("cuda", "host memory (nccl=False)", "gradients through host memory (nccl=False)"),
    ],
)
def test_the_first_line_under_mpirun_says_how_gradients_travel(
    monkeypatch, device, transport, said
):
    from chainrule.app.commands import train

    monkeypatch.setattr(distributed, "get_world_size", lambda: 2)
    monkeypatch.setattr(distributed, "gpu_transport", lambda: transport)
    run = SimpleNamespace(device=Device(device), settings=SimpleNamespace(batch_size=64))
    assert train._processes(run) == [
        f"2 processes (MPI), each training on its share of every batch of 64; {said}; "
        "rank 0 reports and saves"
    ]


def test_the_launchers_world_size_is_read_before_mpi_is_imported(monkeypatch):
    for name in ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_STEP_ID"):
        monkeypatch.delenv(name, raising=False)
    assert distributed.launched_world_size() == 1
    monkeypatch.setenv("PMI_SIZE", "4")
    assert distributed.launched_world_size() == 4


def test_an_option_error_under_mpirun_is_told_by_rank_0_alone(monkeypatch, capsys):
    monkeypatch.setenv("PMI_RANK", "1")
    assert run_main(["train", "--epochs", "0x"]) == 2
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(("rank", "told"), [("0", 1), ("1", 0)])
def test_under_a_launcher_without_mpi4py_rank_0_alone_says_so(monkeypatch, capsys, rank, told):
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    monkeypatch.setenv("PMI_SIZE", "2")
    monkeypatch.setenv("PMI_RANK", rank)
    assert run_main(["train", "--epochs", "1"]) == 2
    expected = (
        "chainrule train: error: training on several processes needs mpi4py: "
        'pip install "chainrule[mpi]"\n'
    )
    assert capsys.readouterr().err == expected * told
