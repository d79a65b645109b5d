"""Every differentiable op on a GPU: the output and the gradients stay there and agree with
the CPU's.

Each test runs twice: on ``fake_cupy`` (CuPy's strictness, NumPy's arithmetic, so any
NumPy call that a GPU array leaks into fails here) and on a real GPU, skipped unless
CuPy finds one. Values are compared in float32 with the CPU as the reference.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chainrule as cr
import chainrule.functional as F
from chainrule import _backend
from chainrule import random as cr_random
from chainrule._backend import DeviceError, to_numpy
from op_catalogue import CATALOGUE, Case, inputs

TOLERANCE = {"rtol": 1e-5, "atol": 1e-5}

# These entries add a NumPy array, which lives on the CPU, to a tensor: on a GPU that is
# two devices in one op, refused as in PyTorch.
CPU_OPERAND = {"x+ndarray", "ndarray*x"}


@pytest.fixture(params=["fake", "cuda"], autouse=True)
def gpu(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The ``cuda`` device: the CuPy stand-in, or a real GPU where CuPy finds one."""
    # GPU generators belong to the CuPy that made them: start, and leave, with none.
    monkeypatch.setattr(cr_random, "_gpu_generators", {})
    if request.param == "fake":
        request.getfixturevalue("fake_gpu")
    else:
        monkeypatch.setattr(_backend, "_cupy", None)  # forget CuPy again afterwards
        if not _backend.cuda_available():
            pytest.skip("no CUDA GPU: CuPy is not installed or finds no device")
    return "cuda"


def leaves(arrays: list[np.ndarray], device: str | None) -> list[cr.Tensor]:
    """Tensors on ``device`` (the CPU when None): floating arrays become float32 leaves that
    require grad, integer and bool arrays (labels, masks) plain tensors."""
    return [
        cr.tensor(a, dtype=np.float32, requires_grad=True, device=device)
        if np.issubdtype(a.dtype, np.floating)
        else cr.tensor(a, device=device)
        for a in arrays
    ]


def upstream(out: cr.Tensor) -> np.ndarray:
    """A seeded random gradient for ``out`` (seed 0), the same on both devices."""
    return np.random.default_rng(0).uniform(0.5, 1.5, size=out.shape).astype(out.dtype)


def run(
    fn: Callable[..., cr.Tensor], arrays: list[np.ndarray], device: str | None
) -> tuple[cr.Tensor, list[cr.Tensor]]:
    """``fn`` on tensors made from ``arrays`` on ``device``: the output and the inputs, whose
    ``.grad`` holds the gradient of ``sum(output * upstream)`` when the output has one."""
    made = leaves(arrays, device)
    out = fn(*made)
    if out.requires_grad:
        out.backward(upstream(out))
    return out, made


def assert_gpu_matches_cpu(fn: Callable[..., cr.Tensor], arrays: list[np.ndarray]) -> None:
    """The output and every gradient of ``fn`` are on the GPU and equal to the CPU's."""
    cpu_out, cpu_inputs = run(fn, arrays, None)
    gpu_out, gpu_inputs = run(fn, arrays, "cuda")
    assert gpu_out.device == "cuda"
    assert gpu_out.dtype == cpu_out.dtype
    assert gpu_out.requires_grad == cpu_out.requires_grad
    np.testing.assert_allclose(to_numpy(gpu_out.data), cpu_out.numpy(), **TOLERANCE)
    for index, (cpu_x, gpu_x) in enumerate(zip(cpu_inputs, gpu_inputs, strict=True)):
        assert gpu_x.device == "cuda", f"input {index}"
        if cpu_x.grad is None:
            assert gpu_x.grad is None, f"input {index}"
            continue
        assert gpu_x.grad.device == "cuda", f"gradient of input {index}"
        np.testing.assert_allclose(
            to_numpy(gpu_x.grad.data), cpu_x.grad.numpy(), **TOLERANCE, err_msg=f"input {index}"
        )


# ---------------------------------------------------------------------------- the catalogue
@pytest.mark.parametrize("entry", CATALOGUE, ids=[entry.id for entry in CATALOGUE])
@settings(
    max_examples=3,
    deadline=None,
    # The device fixture installs a module, the same for every example.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_catalogue_on_gpu_matches_cpu(entry: Case, data: st.DataObject) -> None:
    arrays = data.draw(inputs(entry), label="inputs")
    if entry.id in CPU_OPERAND:
        with pytest.raises(DeviceError, match="cpu and cuda:0"):
            run(entry.cr, arrays, "cuda")
        return
    assert_gpu_matches_cpu(entry.cr, arrays)


# ---------------------------------------------------------------------------- functional
def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _logits(n: int = 4, c: int = 3) -> np.ndarray:
    return _rng(1).normal(size=(n, c))


def _labels(n: int = 4, c: int = 3) -> np.ndarray:
    return _rng(2).integers(0, c, size=n)


def _probabilities(*shape: int) -> np.ndarray:
    return _rng(3).uniform(0.05, 0.95, size=shape)


def _images(*shape: int) -> np.ndarray:
    """Distinct values in random order (seed 4), so no pooling window has tied maxima."""
    return (_rng(4).permutation(int(np.prod(shape))).reshape(shape) - 10.0) * 0.1


def _per_channel(c: int) -> list[np.ndarray]:
    """Two vectors (C,): one of either sign (a mean, a scale), one positive (a variance)."""
    return [_rng(5).normal(size=c), _rng(6).uniform(0.5, 2.0, size=c)]


FUNCTIONAL = [
    # id, function of tensors, inputs (floating arrays become leaves that require grad)
    ("linear", F.linear, [_logits(4, 3), _logits(2, 3), _rng().normal(size=2)]),
    ("linear(3d,no bias)", F.linear, [_rng().normal(size=(2, 3, 4)), _logits(5, 4)]),
    ("conv2d", F.conv2d, [_images(2, 2, 5, 5), _images(3, 2, 3, 3), _rng().normal(size=3)]),
    (
        "conv2d(stride,padding)",
        lambda x, w: F.conv2d(x, w, stride=(2, 1), padding=1),
        [_images(1, 2, 6, 5), _images(2, 2, 2, 3)],
    ),
    ("conv2d(unbatched)", F.conv2d, [_images(1, 4, 4), _images(2, 1, 3, 3)]),
    ("max_pool2d(tiled)", lambda x: F.max_pool2d(x, 2), [_images(2, 2, 4, 6)]),
    ("max_pool2d(overlapping)", lambda x: F.max_pool2d(x, 2, 1), [_images(1, 2, 5, 5)]),
    (
        "max_pool2d(padding)",
        lambda x: F.max_pool2d(x, (3, 2), (2, 3), (1, 1)),
        [_images(1, 1, 5, 7)],
    ),
    ("cross_entropy", F.cross_entropy, [_logits(), _labels()]),
    ("cross_entropy(sum)", lambda x, t: F.cross_entropy(x, t, "sum"), [_logits(), _labels()]),
    ("cross_entropy(none)", lambda x, t: F.cross_entropy(x, t, "none"), [_logits(), _labels()]),
    ("cross_entropy(probabilities)", F.cross_entropy, [_logits(), _probabilities(4, 3)]),
    ("nll_loss", F.nll_loss, [_logits(), _labels()]),
    ("nll_loss(none)", lambda x, t: F.nll_loss(x, t, "none"), [_logits(), _labels()]),
    ("mse_loss", F.mse_loss, [_logits(), _probabilities(4, 3)]),
    ("mse_loss(sum)", lambda x, t: F.mse_loss(x, t, "sum"), [_logits(), _probabilities(4, 3)]),
    ("mse_loss(none)", lambda x, t: F.mse_loss(x, t, "none"), [_logits(), _probabilities(4, 3)]),
    ("binary_cross_entropy", F.binary_cross_entropy, [_probabilities(3, 2), _rng().random((3, 2))]),
    (
        "binary_cross_entropy(none)",
        lambda p, t: F.binary_cross_entropy(p, t, "none"),
        [_probabilities(3, 2), _rng().random((3, 2))],
    ),
    (
        "binary_cross_entropy_with_logits",
        F.binary_cross_entropy_with_logits,
        [_logits(3, 2), _rng().random((3, 2))],
    ),
    (
        "binary_cross_entropy_with_logits(sum)",
        lambda x, t: F.binary_cross_entropy_with_logits(x, t, "sum"),
        [_logits(3, 2), _rng().random((3, 2))],
    ),
    ("one_hot", lambda t: F.one_hot(t, 5), [_labels(6, 5)]),
    ("dropout(eval)", lambda x: F.dropout(x, 0.5, training=False), [_logits()]),
    ("dropout(p=0)", lambda x: F.dropout(x, 0.0), [_logits()]),
    ("dropout(p=1)", lambda x: F.dropout(x, 1.0), [_logits()]),
    (
        "batch_norm(eval)",
        lambda x, m, v, w, b: F.batch_norm(x, m.detach(), v.detach(), w, b),
        [_images(2, 3, 2, 2), *_per_channel(3), *_per_channel(3)],
    ),
    (
        "batch_norm(training)",
        lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
        [_images(4, 3), *_per_channel(3)],
    ),
    ("relu", F.relu, [_logits()]),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.1), [_logits()]),
    ("sigmoid", F.sigmoid, [_logits()]),
    ("tanh", F.tanh, [_logits()]),
    ("softmax", lambda x: F.softmax(x, 0), [_logits()]),
    ("log_softmax", F.log_softmax, [_logits()]),
]


@pytest.mark.parametrize(
    ("fn", "arrays"), [case[1:] for case in FUNCTIONAL], ids=[case[0] for case in FUNCTIONAL]
)
def test_functional_on_gpu_matches_cpu(
    fn: Callable[..., cr.Tensor], arrays: list[np.ndarray]
) -> None:
    assert_gpu_matches_cpu(fn, arrays)


def test_dropout_in_training_draws_its_mask_on_the_gpu():
    """The mask follows cr.manual_seed (seed 7) there; kept elements are scaled by 1 / (1 - p)
    and so is their gradient."""
    x = _logits(8, 8) + 3.0  # no zeros: a dropped element is one that became 0
    runs = []
    for _ in range(2):
        cr.manual_seed(7)
        out, (leaf,) = run(lambda x: F.dropout(x, 0.25), [x], "cuda")
        assert out.device == leaf.grad.device == "cuda"
        runs.append((to_numpy(out.data), to_numpy(leaf.grad.data)))
    (out, grad), (again, _) = runs
    np.testing.assert_array_equal(out, again)
    kept = out != 0
    assert 0 < kept.sum() < kept.size
    np.testing.assert_allclose(out[kept], x.astype(np.float32)[kept] / 0.75, rtol=1e-6)
    upstream_grad = upstream(cr.tensor(out))
    np.testing.assert_allclose(grad, np.where(kept, upstream_grad / 0.75, 0.0), rtol=1e-6)


def test_batch_norm_in_training_updates_running_statistics_on_the_gpu():
    x = _images(4, 3)
    stats = {}
    for device in (None, "cuda"):
        mean, var = (cr.tensor(a, dtype=np.float32, device=device) for a in _per_channel(3))
        F.batch_norm(cr.tensor(x, dtype=np.float32, device=device), mean, var, training=True)
        stats[device] = mean, var
    for cpu, gpu in zip(stats[None], stats["cuda"], strict=True):
        assert gpu.device == "cuda"
        np.testing.assert_allclose(to_numpy(gpu.data), cpu.numpy(), **TOLERANCE)


def test_cat_stack_and_where_with_scalars_on_the_gpu():
    a, b = _logits(2, 3), _logits(2, 3) + 1
    mask = _rng().random((2, 3)) < 0.5
    assert_gpu_matches_cpu(lambda a, b: cr.cat([a, b], dim=1), [a, b])
    assert_gpu_matches_cpu(lambda a, b: cr.stack((a, b), axis=-1), [a, b])
    assert_gpu_matches_cpu(lambda m, a: cr.where(m, 1.5, a), [mask, a])
    assert_gpu_matches_cpu(lambda m, a: cr.where(m > 0, a, -a), [mask.astype(np.int64), a])


def test_gradcheck_on_the_gpu():
    x = cr.tensor(_logits(), requires_grad=True, device="cuda")
    labels = cr.tensor(_labels(), device="cuda")
    assert cr.gradcheck(lambda x: F.cross_entropy(x.tanh() * 2, labels), [x])
    (numeric,) = cr.numerical_grad(lambda x: (x * x).sum(), [x])
    np.testing.assert_allclose(to_numpy(numeric), 2 * to_numpy(x.data), rtol=1e-6)


# ---------------------------------------------------------------------------- between devices
@pytest.mark.parametrize(
    "op",
    [
        lambda x, y: x + y,
        lambda x, y: y * x,
        lambda x, y: x @ y,
        lambda x, y: cr.cat([x, y]),
        lambda x, y: cr.where(x > 0, x, y),
        lambda x, y: F.mse_loss(x, y),
        lambda x, y: y < x,
    ],
    ids=["add", "mul", "matmul", "cat", "where", "mse_loss", "comparison"],
)
def test_mixing_devices_raises_naming_both(op: Callable[..., Any]):
    x = cr.tensor([1.0, -2.0], requires_grad=True)
    y = cr.tensor([3.0, 4.0], device="cuda")
    with pytest.raises(DeviceError, match=r"different devices, cpu and cuda:0; move") as raised:
        op(x, y)
    # A program's bug, not a machine's lack: the CLI shows it with its traceback.
    assert not isinstance(raised.value, _backend.DeviceUnavailableError)


def test_to_device_sends_the_gradient_back_to_the_cpu():
    x = cr.tensor([1.0, -2.0, 3.0], requires_grad=True)
    on_gpu = x.to("cuda")
    y = (on_gpu * on_gpu).sum() + on_gpu.exp().sum()
    assert on_gpu.device == y.device == "cuda"
    y.backward()
    assert x.grad.device == "cpu"
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.numpy() + np.exp(x.numpy()), rtol=1e-6)


def test_cpu_copy_sends_the_gradient_back_to_the_gpu():
    x = cr.tensor([1.0, -2.0], requires_grad=True, device="cuda")
    (x.cpu() * cr.tensor([3.0, 4.0])).sum().backward()
    assert x.grad.device == "cuda"
    assert x.grad.tolist() == [3.0, 4.0]


@pytest.mark.parametrize(
    "index",
    [[2, 0, 2], np.array([2, 0, 2]), cr.tensor([2, 0, 2])],
    ids=["list", "ndarray", "cpu-tensor"],
)
def test_cpu_indices_pick_from_a_gpu_tensor(index: Any):
    x = cr.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True, device="cuda")
    picked = x[index]
    assert picked.device == "cuda"
    assert picked.tolist() == [[5.0, 6.0], [1.0, 2.0], [5.0, 6.0]]
    picked.sum().backward()
    assert x.grad.device == "cuda"
    assert x.grad.tolist() == [[1.0, 1.0], [0.0, 0.0], [2.0, 2.0]]


def test_comparisons_of_gpu_tensors_give_gpu_bool_tensors():
    x = cr.tensor([1.0, 2.0, 3.0], device="cuda")
    y = cr.tensor([2.0, 2.0, 2.0], device="cuda")
    for result, expected in (
        (x < y, [True, False, False]),
        (x == y, [False, True, False]),
        (x >= 2.0, [False, True, True]),
        (x != np.float32(3.0), [True, True, False]),
    ):
        assert result.device == "cuda"
        assert result.dtype == np.bool_
        assert result.tolist() == expected


def test_repr_names_the_device():
    assert repr(cr.tensor([1.5], device="cuda")) == "tensor([1.5], device='cuda:0')"


def test_gpu_tensors_do_not_turn_into_numpy_silently():
    on_gpu = cr.tensor([1.0, 2.0], device="cuda")
    with pytest.raises(TypeError, match=r"on cuda:0; copy it there first with \.cpu\(\)"):
        on_gpu.numpy()
    with pytest.raises(TypeError, match=r"\.cpu\(\)"):
        np.asarray(on_gpu)
    assert on_gpu.tolist() == [1.0, 2.0]
    assert on_gpu.sum().item() == 3.0
