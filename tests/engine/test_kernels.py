"""Fused GPU kernels: each compiled kernel against its array-arithmetic reference.

The comparison needs CUDA and runs only where CuPy finds a GPU. Everywhere, the dispatch is
checked: NumPy arrays and dtypes the kernels do not take go to the reference, GPU arrays to
one kernel compiled once.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import fake_cupy
from chainrule import _backend, kernels
from chainrule.ops import activation, loss
from chainrule.optim import adam, sgd


def _arrays(xp: Any, dtype: Any, seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)

    def draw(*shape: int, low: float = -2, high: float = 2) -> Any:
        return xp.asarray(rng.uniform(low, high, shape).astype(dtype))

    return {
        "x": draw(5, 7, low=-120, high=120),
        "g": draw(5, 7),
        "y": draw(5, 7, low=0, high=1),
        "probs": draw(6, 4, low=0, high=1),
        "labels": xp.asarray(rng.integers(0, 4, 6)),
        "param": draw(5, 7),
        "buffer": draw(5, 7),
        "m": draw(5, 7),
        "v": draw(5, 7, low=0, high=1),
        "v_max": draw(5, 7, low=0, high=1),
    }


def _calls(a: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    """Arguments for every kernel: arrays from ``a`` (written in place by the updates)."""
    adam = (a["g"], 0.01, 0.1, 0.999, 0.001, 1e-8, 0.3, a["param"], a["m"], a["v"])
    return {
        "sigmoid": (a["x"],),
        "sigmoid_backward": (a["g"], a["y"]),
        "relu_backward": (a["g"], a["x"]),
        "cross_entropy_backward": (a["probs"], a["labels"], 4, 0.25),
        "cross_entropy_backward_unreduced": (a["probs"], a["labels"], 4, a["probs"][:, :1]),
        "sgd_step": (a["g"], 0.1, a["param"]),
        "sgd_momentum_step": (a["g"], 0.1, 0.9, 1.0, 0, a["param"], a["buffer"]),
        "nesterov_step": (a["g"], 0.1, 0.9, 0.5, 1, a["param"], a["buffer"]),
        "adam_step": adam,
        "amsgrad_step": (*adam, a["v_max"]),
    }


KERNEL_OF = {
    "sigmoid": activation.sigmoid_kernel,
    "sigmoid_backward": activation.sigmoid_backward_kernel,
    "relu_backward": activation.relu_backward_kernel,
    "cross_entropy_backward": loss.cross_entropy_backward_kernel,
    "cross_entropy_backward_unreduced": loss.cross_entropy_backward_kernel,
    "sgd_step": sgd.sgd_step,
    "sgd_momentum_step": sgd.sgd_momentum_step,
    "nesterov_step": sgd.sgd_momentum_step,
    "adam_step": adam.adam_step,
    "amsgrad_step": adam.amsgrad_step,
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(_calls(_arrays(np, np.float32))))
def test_compiled_kernels_match_their_references_on_a_gpu(name, dtype, monkeypatch):
    monkeypatch.setattr(_backend, "_cupy", None)
    if not _backend.cuda_available():
        pytest.skip("no CUDA GPU: CuPy is not installed or finds no device")
    cp = _backend.cupy()
    compiled, referenced = _arrays(cp, dtype), _arrays(cp, dtype)
    kernel = KERNEL_OF[name]
    out = kernel(*_calls(compiled)[name])
    expected = kernel.reference(*_calls(referenced)[name])
    tolerance = {"rtol": 1e-5, "atol": 1e-6} if dtype == np.float32 else {"rtol": 1e-12}
    if expected is not None:
        np.testing.assert_allclose(cp.asnumpy(out), cp.asnumpy(expected), **tolerance)
    for key in ("param", "buffer", "m", "v", "v_max"):
        np.testing.assert_allclose(
            cp.asnumpy(compiled[key]), cp.asnumpy(referenced[key]), **tolerance, err_msg=key
        )


class _Compiler:
    """Stands in for ``cupy.ElementwiseKernel``: records what is compiled, runs nothing."""

    def __init__(self) -> None:
        self.compiled: list[tuple[str, ...]] = []

    def __call__(self, in_params: str, out_params: str, operation: str, name: str) -> Any:
        self.compiled.append((in_params, out_params, operation, name))
        return lambda *args: "compiled"


@pytest.mark.usefixtures("fake_gpu")
def test_gpu_arrays_go_to_one_kernel_compiled_once(monkeypatch):
    compiler = _Compiler()
    monkeypatch.setattr(fake_cupy, "ElementwiseKernel", compiler, raising=False)
    kernel = kernels.FusedKernel("twice", "T x", "T y", "y = 2 * x", lambda x: 2 * x)
    x = _backend.cupy().asarray(np.ones(3, np.float32))
    assert kernel(x) == "compiled" and kernel(x) == "compiled"
    assert compiler.compiled == [("T x", "T y", "y = 2 * x", "chainrule_twice")]
    half = _backend.cupy().asarray(np.ones(3, np.float16))
    np.testing.assert_array_equal(kernel(half).get(), np.full(3, 2, np.float16))
    np.testing.assert_array_equal(kernel(np.ones(2)), [2.0, 2.0])
    assert len(compiler.compiled) == 1


@pytest.mark.usefixtures("fake_gpu")
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_a_training_step_on_a_gpu_runs_the_kernels(momentum, monkeypatch):
    # On the CPU the ops and SGD call the references themselves; a GPU array still goes to
    # the compiled kernel (here a stand-in compiler that runs the reference and notes it).
    import chainrule as cr
    from chainrule import nn, optim

    kernel_named = {f"chainrule_{k.name}": k for k in KERNEL_OF.values()}
    compiled = []

    def compile_kernel(in_params: str, out_params: str, operation: str, name: str) -> Any:
        compiled.append(name)
        return kernel_named[name].reference

    monkeypatch.setattr(fake_cupy, "ElementwiseKernel", compile_kernel, raising=False)
    for kernel in kernel_named.values():
        monkeypatch.setattr(kernel, "_compiled", None)
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 4), nn.ReLU())
    model.to("cuda")
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=momentum)
    for _ in range(2):  # SGD's momentum starts its buffer at the first step, updates at the next
        x, t = cr.randn(5, 3).to("cuda"), cr.tensor([0, 1, 2, 3, 0]).to("cuda")
        optimizer.zero_grad()
        nn.CrossEntropyLoss()(model(x), t).backward()
        optimizer.step()
    step = "chainrule_sgd_momentum_step" if momentum else "chainrule_sgd_step"
    assert sorted(compiled) == sorted(
        [
            "chainrule_sigmoid",
            "chainrule_sigmoid_backward",
            "chainrule_relu_backward",
            "chainrule_cross_entropy_backward",
            step,
        ]
    )
