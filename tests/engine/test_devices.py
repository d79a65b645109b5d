"""Devices: the CPU always, a GPU through CuPy when asked for.

Without CuPy, asking for "cuda" is one clear error and nothing else changes. With the CuPy
stand-in (``fake_gpu``, see ``fake_cupy.py``), models, optimizers, loaders and files
work on "cuda" and give the CPU's numbers. ``test_device_ops.py`` covers every op.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import chainrule as cr
import fake_cupy
from chainrule import _backend, nn, optim
from chainrule import functional as F
from chainrule.data import DataLoader, Dataset, TensorDataset, random_split

INSTALL_HINT = 'pip install "chainrule[cuda]"'


def _mlp(seed: int = 0) -> nn.Sequential:
    cr.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 8), nn.Sigmoid(), nn.Linear(8, 3))


def _batch(seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((6, 4)).astype(np.float32), rng.integers(0, 3, 6)


def _on_gpu(tensor: cr.Tensor) -> bool:
    return tensor.device == "cuda:0" and isinstance(tensor.data, fake_cupy.ndarray)


# ---------------------------------------------------------------------------- naming devices
def test_devices_are_named_as_in_pytorch():
    assert cr.device("cpu") == "cpu"
    assert cr.device("cuda") == "cuda:0" == cr.device("cuda", 0)
    assert cr.device("CUDA:1") == cr.device("cuda:1")
    assert cr.device("cuda:1") != "cuda:0"
    assert cr.device("cuda:1") != cr.device("cpu")
    assert len({cr.device("cuda"), cr.device("cuda:0")}) == 1
    assert str(cr.device("cuda:1")) == "cuda:1"
    assert repr(cr.device("cuda")) == "device(type='cuda', index=0)"
    assert repr(cr.device("cpu")) == "device(type='cpu')"
    assert cr.tensor([1.0]).device == cr.device("cpu")


@pytest.mark.parametrize("spelling", ["gpu", "cuda:x", "cpu:1", "", "mps"])
def test_a_device_that_does_not_exist_is_named_in_the_error(spelling):
    with pytest.raises(ValueError, match="device"):
        cr.device(spelling)


def test_a_device_must_be_a_string():
    with pytest.raises(TypeError, match="'cpu' or 'cuda'"):
        cr.device(0)


# ---------------------------------------------------------------------------- without CuPy
def test_importing_chainrule_does_not_import_cupy():
    code = "import sys, chainrule as cr; cr.tensor([1.0]).sum(); print('cupy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


@pytest.mark.usefixtures("no_cupy")
def test_without_cupy_there_is_no_gpu():
    assert cr.cuda.is_available() is False
    assert cr.cuda.device_count() == 0


@pytest.mark.usefixtures("no_cupy")
@pytest.mark.parametrize(
    "ask",
    [
        lambda: cr.zeros(2, device="cuda"),
        lambda: cr.tensor([1.0], device="cuda"),
        lambda: cr.randn(2, device="cuda"),
        lambda: cr.tensor([1.0]).to("cuda"),
        lambda: cr.tensor([1.0]).cuda(),
        lambda: _mlp().to("cuda"),
        lambda: DataLoader(TensorDataset(np.zeros((2, 1))), device="cuda"),
        lambda: cr.cuda.synchronize(),
    ],
    ids=["zeros", "tensor", "randn", "Tensor.to", "Tensor.cuda", "Module.to", "DataLoader", "sync"],
)
def test_without_cupy_asking_for_cuda_says_how_to_install_it(ask):
    with pytest.raises(cr.DeviceError) as raised:
        ask()
    message = str(raised.value)
    assert "\n" not in message
    assert "CuPy" in message
    assert INSTALL_HINT in message


@pytest.mark.usefixtures("no_cupy")
def test_without_cupy_the_cpu_works_as_before():
    model = _mlp().to("cpu").cpu()
    x, y = _batch()
    loss = F.cross_entropy(model(cr.tensor(x).to("cpu")), cr.tensor(y))
    loss.backward()
    assert all(p.grad is not None and p.device == "cpu" for p in model.parameters())


def test_cupy_without_a_gpu_is_a_clear_error(fake_gpu, monkeypatch):
    def no_driver() -> int:
        raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")

    monkeypatch.setattr(fake_cupy.cuda.runtime, "getDeviceCount", no_driver)
    assert cr.cuda.is_available() is False
    with pytest.raises(cr.DeviceError, match=r"finds no NVIDIA GPU: .*no CUDA-capable device"):
        cr.zeros(1, device="cuda")


# ---------------------------------------------------------------------------- tensors on the GPU
@pytest.mark.usefixtures("fake_gpu")
def test_the_stand_in_gpu_is_available():
    assert cr.cuda.is_available() is True
    assert cr.cuda.device_count() == 1
    cr.cuda.synchronize()
    assert cr.cuda.get_device_name() == "CuPy stand-in"
    assert cr.cuda.get_device_properties("cuda:0") == ("CuPy stand-in", 2**34, 9, 0)


@pytest.mark.usefixtures("fake_gpu")
@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda d: cr.zeros(2, 3, device=d), np.zeros((2, 3), np.float32)),
        (lambda d: cr.ones(2, device=d), np.ones(2, np.float32)),
        (lambda d: cr.full((2,), 7, device=d), np.full(2, 7, np.int64)),
        (lambda d: cr.arange(4, device=d), np.arange(4)),
        (lambda d: cr.eye(2, device=d), np.eye(2, dtype=np.float32)),
        (lambda d: cr.tensor([[1.5, 2]], device=d), np.array([[1.5, 2]], np.float32)),
        (lambda d: cr.zeros_like(cr.ones(2, device=d)), np.zeros(2, np.float32)),
        (lambda d: cr.ones_like(cr.zeros(2, device=d), dtype=cr.float64), np.ones(2)),
    ],
    ids=["zeros", "ones", "full", "arange", "eye", "tensor", "zeros_like", "ones_like"],
)
def test_factories_make_tensors_on_the_device_asked_for(make, expected):
    made = make("cuda")
    assert _on_gpu(made)
    assert made.dtype == expected.dtype
    np.testing.assert_array_equal(made.cpu().numpy(), expected)


@pytest.mark.usefixtures("fake_gpu")
def test_a_gpu_that_is_not_there_is_named():
    with pytest.raises(
        _backend.DeviceUnavailableError,
        match=r"cuda:3 does not exist; this machine has one GPU, cuda:0$",
    ):
        cr.zeros(1, device="cuda:3")


@pytest.mark.usefixtures("fake_gpu")
def test_random_gpu_tensors_follow_manual_seed():
    cr.manual_seed(5)
    first = cr.randn(3, 4, device="cuda")
    uniform = cr.rand(3, device="cuda")
    cr.manual_seed(5)
    np.testing.assert_array_equal(cr.randn(3, 4, device="cuda").cpu().numpy(), first.cpu().numpy())
    np.testing.assert_array_equal(cr.rand(3, device="cuda").cpu().numpy(), uniform.cpu().numpy())
    assert _on_gpu(first) and first.dtype == np.float32
    assert uniform.cpu().numpy().min() >= 0 and uniform.cpu().numpy().max() < 1


@pytest.mark.usefixtures("fake_gpu")
def test_to_takes_pytorchs_spellings():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    assert x.to("cpu") is x and x.cpu() is x and x.to(cr.float32) is x
    on_gpu = x.to("cuda", cr.float64)
    assert _on_gpu(on_gpu) and on_gpu.dtype == np.float64
    assert on_gpu.to("cuda:0") is on_gpu
    assert _on_gpu(x.cuda()) and _on_gpu(x.cuda(0)) and _on_gpu(x.to(device="cuda"))
    matched = cr.zeros(1, dtype=cr.float64).to(on_gpu)
    assert _on_gpu(matched) and matched.dtype == np.float64
    assert on_gpu.to(cr.float32).device == "cuda:0"
    assert on_gpu.is_cuda and not x.is_cuda


@pytest.mark.usefixtures("fake_gpu")
def test_gradients_come_back_to_the_device_and_dtype_of_the_leaf():
    x = cr.tensor([[0.5, -1.0]], requires_grad=True)
    y = x.to("cuda", cr.float64)
    (y * y).sum().backward()
    assert x.grad.device == "cpu" and x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), [[1.0, -2.0]])
    assert y.grad_fn is not None and not y.is_leaf


@pytest.mark.usefixtures("fake_gpu")
def test_backward_seeds_on_the_device_of_the_output():
    x = cr.tensor([1.0, 2.0], device="cuda", requires_grad=True)
    (x * 3).backward(cr.tensor([1.0, 0.5]))  # a CPU gradient is moved to the output
    assert _on_gpu(x.grad)
    np.testing.assert_allclose(x.grad.cpu().numpy(), [3.0, 1.5])


# ---------------------------------------------------------------------------- training on the GPU
OPTIMIZERS = {
    "SGD": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=1e-3),
    "Adam": lambda ps: optim.Adam(ps, lr=0.01, amsgrad=True),
    "AdamW": lambda ps: optim.AdamW(ps, lr=0.01),
    "RMSprop": lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.5, centered=True),
    "Adagrad": lambda ps: optim.Adagrad(ps, lr=0.1),
}


def _train(device: str, make_optimizer, steps: int = 5) -> tuple[nn.Module, optim.Optimizer]:
    model = _mlp().to(device)
    optimizer = make_optimizer(model.parameters())
    x, y = _batch()
    inputs, labels = cr.tensor(x, device=device), cr.tensor(y, device=device)
    for _ in range(steps):
        optimizer.zero_grad()
        F.cross_entropy(model(inputs), labels).backward()
        optimizer.step()
    return model, optimizer


@pytest.mark.usefixtures("fake_gpu")
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_training_on_the_gpu_matches_the_cpu(name):
    on_cpu, _ = _train("cpu", OPTIMIZERS[name])
    on_gpu, optimizer = _train("cuda", OPTIMIZERS[name])
    for (key, p), q in zip(on_cpu.named_parameters(), on_gpu.parameters(), strict=True):
        assert _on_gpu(q) and _on_gpu(q.grad), key
        np.testing.assert_allclose(q.cpu().numpy(), p.numpy(), rtol=1e-6, atol=1e-7, err_msg=key)
    for state in optimizer.state.values():
        for value in state.values():
            assert not isinstance(value, np.ndarray)


@pytest.mark.usefixtures("fake_gpu")
def test_module_to_moves_parameters_buffers_and_gradients_in_place():
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    weight = model[0].weight
    model(cr.randn(4, 3)).sum().backward()
    assert model.to("cuda") is model and model[0].weight is weight
    assert all(_on_gpu(p) and _on_gpu(p.grad) for p in model.parameters())
    assert all(_on_gpu(b) for b in model.buffers())
    model.cpu()
    assert all(p.device == "cpu" and p.grad.device == "cpu" for p in model.parameters())
    model.cuda().to(cr.float64)
    assert all(_on_gpu(p) and p.dtype == np.float64 for p in model.parameters())


@pytest.mark.usefixtures("fake_gpu")
def test_optimizer_state_crosses_devices_through_its_state_dict():
    on_gpu, gpu_optimizer = _train("cuda", OPTIMIZERS["Adam"])
    on_cpu = _mlp()
    on_cpu.load_state_dict(on_gpu.state_dict())
    cpu_optimizer = OPTIMIZERS["Adam"](on_cpu.parameters())
    cpu_optimizer.load_state_dict(gpu_optimizer.state_dict())
    for state in cpu_optimizer.state.values():
        assert all(isinstance(v, np.ndarray) for k, v in state.items() if k != "step")
    x, y = _batch()
    for model, optimizer, device in (
        (on_gpu, gpu_optimizer, "cuda"),
        (on_cpu, cpu_optimizer, "cpu"),
    ):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(cr.tensor(x, device=device)), cr.tensor(y, device=device))
        loss.backward()
        optimizer.step()
    for p, q in zip(on_cpu.parameters(), on_gpu.parameters(), strict=True):
        np.testing.assert_allclose(q.cpu().numpy(), p.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.usefixtures("fake_gpu")
def test_files_saved_from_the_gpu_are_cpu_files(tmp_path):
    model, optimizer = _train("cuda", OPTIMIZERS["SGD"])
    cr.save(model.state_dict(), tmp_path / "model.safetensors")
    loaded = cr.load(tmp_path / "model.safetensors")
    assert all(t.device == "cpu" for t in loaded.values())
    for key, tensor in model.state_dict().items():
        np.testing.assert_array_equal(loaded[key].numpy(), tensor.cpu().numpy())
    cr.save_checkpoint(tmp_path / "run.ckpt", model=model, optimizer=optimizer, epoch=1)
    checkpoint = cr.load_checkpoint(tmp_path / "run.ckpt")
    fresh = _mlp().cuda()
    fresh.load_state_dict(checkpoint["model"])
    assert all(_on_gpu(p) for p in fresh.parameters())
    for p, q in zip(fresh.parameters(), model.parameters(), strict=True):
        np.testing.assert_array_equal(p.cpu().numpy(), q.cpu().numpy())
    resumed = OPTIMIZERS["SGD"](fresh.parameters())
    resumed.load_state_dict(checkpoint["optimizer"])
    for p, q in zip(fresh.parameters(), model.parameters(), strict=True):
        saved = optimizer.state[q]
        buffer = resumed.state[p]["momentum_buffer"]
        assert isinstance(buffer, fake_cupy.ndarray)
        np.testing.assert_array_equal(buffer.get(), saved["momentum_buffer"].get())
    safetensors = pytest.importorskip("safetensors.numpy")
    assert set(safetensors.load_file(tmp_path / "model.safetensors")) == set(loaded)


# ---------------------------------------------------------------------------- batches on the GPU
class _Squares(Dataset):
    def __len__(self) -> int:
        return 5

    def __getitem__(self, i: int) -> tuple[np.ndarray, int]:
        return np.full(2, i * i, np.float32), i


@pytest.mark.usefixtures("fake_gpu")
@pytest.mark.parametrize("shuffle", [False, True])
def test_loaders_deliver_batches_on_their_device(shuffle):
    x = np.arange(10, dtype=np.float32).reshape(5, 2)
    y = np.arange(5)
    tensors = TensorDataset(x, y)
    part, _ = random_split(tensors, [3, 2])
    for dataset in (tensors, part, _Squares()):
        cr.manual_seed(0)
        on_cpu = list(DataLoader(dataset, batch_size=2, shuffle=shuffle))
        cr.manual_seed(0)
        on_gpu = list(DataLoader(dataset, batch_size=2, shuffle=shuffle, device="cuda"))
        assert len(on_cpu) == len(on_gpu)
        for cpu_batch, gpu_batch in zip(on_cpu, on_gpu, strict=True):
            for a, b in zip(cpu_batch, gpu_batch, strict=True):
                assert _on_gpu(b)
                np.testing.assert_array_equal(b.cpu().numpy(), a.numpy())


@pytest.mark.usefixtures("fake_gpu")
def test_a_dataset_already_on_the_gpu_is_batched_there():
    dataset = TensorDataset(cr.arange(6, device="cuda").reshape(3, 2), cr.arange(3, device="cuda"))
    cr.manual_seed(0)
    batches = list(DataLoader(dataset, batch_size=2, shuffle=True))
    assert all(_on_gpu(t) for batch in batches for t in batch)
    rows = np.concatenate([b[1].cpu().numpy() for b in batches])
    assert sorted(rows.tolist()) == [0, 1, 2]


@pytest.mark.usefixtures("fake_gpu")
@pytest.mark.parametrize(
    "make",
    [
        lambda **kw: nn.Linear(3, 2, **kw),
        lambda **kw: nn.Conv2d(2, 3, 3, padding=1, **kw),
        lambda **kw: nn.BatchNorm1d(3, **kw),
    ],
    ids=["Linear", "Conv2d", "BatchNorm1d"],
)
def test_layers_are_made_on_the_device_and_dtype_asked_for(make):
    cr.manual_seed(3)
    on_cpu = make()
    cr.manual_seed(3)
    on_gpu = make(device="cuda", dtype=cr.float64)
    for (key, p), q in zip(on_cpu.state_dict().items(), on_gpu.state_dict().values(), strict=True):
        assert _on_gpu(q), key
        assert q.dtype == (np.float64 if p.dtype.kind == "f" else p.dtype), key
        np.testing.assert_allclose(q.cpu().numpy(), p.numpy(), err_msg=key)


@pytest.mark.usefixtures("fake_gpu")
@pytest.mark.parametrize(
    "initialise",
    [
        nn.init.uniform_,
        nn.init.normal_,
        nn.init.xavier_uniform_,
        nn.init.kaiming_normal_,
        lambda t: nn.init.constant_(t, 0.5),
        nn.init.zeros_,
    ],
    ids=["uniform_", "normal_", "xavier_uniform_", "kaiming_normal_", "constant_", "zeros_"],
)
def test_initialisers_fill_gpu_tensors_as_they_fill_cpu_ones(initialise):
    on_cpu, on_gpu = cr.zeros(4, 3), cr.zeros(4, 3, device="cuda")
    cr.manual_seed(2)
    initialise(on_cpu)
    cr.manual_seed(2)
    assert initialise(on_gpu) is on_gpu and _on_gpu(on_gpu)
    np.testing.assert_array_equal(on_gpu.cpu().numpy(), on_cpu.numpy())
