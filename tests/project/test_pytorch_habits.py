"""PyTorch's habits that a ported program relies on: losses with any target, schedulers that
compose, empty batches and empty layers, float16's tail, and clear errors for the usual slips.

Each behaviour is checked twice: against PyTorch when it is installed, and against hand-
computed values, central differences or the error message, so it means something without.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pytest

import chainrule as cr
import chainrule.functional as F
from chainrule import nn, optim


def _torch() -> Any:
    return pytest.importorskip("torch")


def _torch_or_none() -> Any:
    """PyTorch, for a comparison added to a test that also stands without it."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def _log_softmax(x: np.ndarray) -> np.ndarray:
    shifted = x - x.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


# ------------------------------------------------------------ cross-entropy, any probabilities
_RNG = np.random.default_rng(11)
_LOGITS = _RNG.normal(size=(4, 5))
PROBABILITY_TARGETS = {
    "multi-hot": (_RNG.random((4, 5)) < 0.5).astype(np.float64),
    "unnormalised": _RNG.uniform(0, 3, size=(4, 5)),
    "negative": _RNG.normal(size=(4, 5)),
}


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("kind", list(PROBABILITY_TARGETS))
def test_cross_entropy_with_any_probability_target_by_hand(kind, reduction):
    target = PROBABILITY_TARGETS[kind]
    per_sample = -(target * _log_softmax(_LOGITS)).sum(axis=1)
    expected = {"mean": per_sample.mean(), "sum": per_sample.sum(), "none": per_sample}
    x = cr.tensor(_LOGITS, requires_grad=True)
    t = cr.tensor(target, requires_grad=True)
    loss = F.cross_entropy(x, t, reduction=reduction)
    np.testing.assert_allclose(loss.numpy(), expected[reduction], rtol=1e-12)
    # softmax(x) * sum(t) - t, not softmax(x) - t, and -log_softmax(x) for the target
    assert cr.gradcheck(lambda x, t: F.cross_entropy(x, t, reduction=reduction), (x, t))
    F.cross_entropy(x, t, reduction="sum").backward()
    softmax = np.exp(_log_softmax(_LOGITS))
    np.testing.assert_allclose(x.grad.numpy(), softmax * target.sum(1, keepdims=True) - target)
    np.testing.assert_allclose(t.grad.numpy(), -_log_softmax(_LOGITS))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("kind", list(PROBABILITY_TARGETS))
def test_cross_entropy_with_any_probability_target_matches_torch(kind, reduction):
    torch = _torch()
    logits = _LOGITS.astype(np.float32)
    target = PROBABILITY_TARGETS[kind].astype(np.float32)
    x, t = cr.tensor(logits, requires_grad=True), cr.tensor(target, requires_grad=True)
    tx, tt = torch.tensor(logits, requires_grad=True), torch.tensor(target, requires_grad=True)
    loss = nn.CrossEntropyLoss(reduction=reduction)(x, t)
    theirs = torch.nn.CrossEntropyLoss(reduction=reduction)(tx, tt)
    np.testing.assert_allclose(loss.numpy(), theirs.detach().numpy(), rtol=1e-5, atol=1e-6)
    g = np.linspace(0.5, 1.5, loss.numel()).reshape(loss.shape).astype(np.float32)
    loss.backward(cr.tensor(g))
    theirs.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(t.grad.numpy(), tt.grad.numpy(), rtol=1e-5, atol=1e-6)


def _libraries() -> list[tuple[Any, Any]]:
    """chainrule and, when installed, PyTorch, each with its functional module."""
    torch = _torch_or_none()
    return [(cr, F)] + ([] if torch is None else [(torch, torch.nn.functional)])


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_cross_entropy_passes_an_infinite_gradient_on_as_pytorch(reduction):
    """Long-survey seeds 104520 and 103850: PyTorch differentiates log softmax, so an
    infinite gradient gives inf - inf = NaN at the target class (everywhere, for positive
    probabilities) and inf elsewhere, where chainrule's fused form gave -inf."""
    logits = [[1.5, -0.5, 0.25], [0.0, 2.0, -1.0]]
    for lib, functional in _libraries():
        for target in ([2, 0], [[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]]):
            x = lib.tensor(logits, dtype=lib.float64, requires_grad=True)
            t = lib.tensor(target, dtype=lib.float64 if isinstance(target[0], list) else lib.int64)
            loss = functional.cross_entropy(x, t, reduction=reduction)
            with np.errstate(invalid="ignore"):  # NumPy's warning of the NaN it makes
                loss.backward(lib.full(tuple(loss.shape), math.inf, dtype=lib.float64))
            expected = [[math.inf, math.inf, math.nan], [math.nan, math.inf, math.inf]]
            if t.ndim == 2:
                expected = [[math.nan] * 3] * 2
            np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_a_cross_entropy_of_0_has_pytorchs_sign():
    """Long-survey seed 108577: 1 / loss told chainrule's +0 from PyTorch's -0 (one class,
    so log softmax is 0): -0 per sample and, over probabilities, summed; +0 summed over
    class indices."""
    for lib, functional in _libraries():
        x = lib.tensor([[1.87], [-0.24]])
        signs = {}
        for name, t in {
            "probs": lib.tensor([[0.56], [0.0]]),
            "indices": lib.tensor([0, 0]),
        }.items():
            for reduction in ("none", "sum", "mean"):
                loss = functional.cross_entropy(x, t, reduction=reduction)
                signs[name, reduction] = np.copysign(1.0, loss.numpy()).tolist()
        assert signs == {
            ("probs", "none"): [-1.0, -1.0],
            ("probs", "sum"): -1.0,
            ("probs", "mean"): -1.0,
            ("indices", "none"): [-1.0, -1.0],
            ("indices", "sum"): 1.0,
            ("indices", "mean"): 1.0,
        }


# ------------------------------------------------------------ a target that requires grad
TARGET_GRAD_LOSSES = {
    "binary_cross_entropy": (
        lambda m: m.binary_cross_entropy,
        np.array([[0.1, 0.7, 0.5], [0.95, 0.2, 0.4]]),
        # inside (0, 1), so that gradcheck's nudges stay inside too: BCE refuses a target outside
        np.array([[0.3, 0.95, 0.05], [0.5, 0.25, 0.9]]),
    ),
    "binary_cross_entropy_with_logits": (
        lambda m: m.binary_cross_entropy_with_logits,
        np.array([[0.5, -2.0, 3.0], [-0.1, 1.5, -4.0]]),
        np.array([[0.3, 0.9, 0.0], [1.0, 0.25, 0.6]]),
    ),
    "cross_entropy": (
        lambda m: m.cross_entropy,
        np.array([[0.5, -2.0, 3.0], [-0.1, 1.5, -4.0]]),
        np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]]),
    ),
}


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", list(TARGET_GRAD_LOSSES))
def test_target_that_requires_grad_gets_its_gradient(name, reduction):
    loss, prediction, target = TARGET_GRAD_LOSSES[name]
    x = cr.tensor(prediction, requires_grad=True)
    t = cr.tensor(target, requires_grad=True)
    assert cr.gradcheck(lambda x, t: loss(F)(x, t, reduction=reduction), (x, t))


def test_target_gradients_by_hand():
    x = cr.tensor([0.5, -2.0], requires_grad=True)
    t = cr.tensor([0.3, 0.9], requires_grad=True)
    F.binary_cross_entropy_with_logits(x, t).backward()
    np.testing.assert_allclose(t.grad.numpy(), [-0.25, 1.0])  # -x / N
    p = cr.tensor([0.2, 0.5], requires_grad=True)
    t = cr.tensor([0.3, 0.9], requires_grad=True)
    F.binary_cross_entropy(p, t, reduction="sum").backward()
    np.testing.assert_allclose(t.grad.numpy(), [math.log(0.8 / 0.2), 0.0], atol=1e-7)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", list(TARGET_GRAD_LOSSES))
def test_target_gradient_matches_torch(name, reduction):
    torch = _torch()
    loss, prediction, target = TARGET_GRAD_LOSSES[name]
    prediction, target = prediction.astype(np.float32), target.astype(np.float32)
    x, t = cr.tensor(prediction, requires_grad=True), cr.tensor(target, requires_grad=True)
    tx, tt = torch.tensor(prediction, requires_grad=True), torch.tensor(target, requires_grad=True)
    ours = loss(F)(x, t, reduction=reduction)
    theirs = loss(torch.nn.functional)(tx, tt, reduction=reduction)
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-6, atol=1e-7)
    g = np.linspace(0.5, 1.5, ours.numel()).reshape(ours.shape).astype(np.float32)
    ours.backward(cr.tensor(g))
    theirs.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(t.grad.numpy(), tt.grad.numpy(), rtol=1e-6, atol=1e-7)


# ------------------------------------------------------------ BCE's domain and clamps
@pytest.mark.parametrize("bad", [1.5, -0.5, float("nan")])
def test_bce_refuses_a_prediction_outside_0_1(bad):
    p = cr.tensor([0.5, bad])
    t = cr.tensor([1.0, 0.0])
    for call in (lambda: F.binary_cross_entropy(p, t), lambda: nn.BCELoss()(p, t)):
        with pytest.raises(ValueError, match=r"between 0 and 1, found .*binary_cross_entropy_"):
            call()
    if (torch := _torch_or_none()) is not None:
        with pytest.raises(RuntimeError, match="between 0 and 1"):
            torch.nn.BCELoss()(torch.tensor([0.5, bad]), torch.ones(2))


@pytest.mark.parametrize("bad", [1.5, -0.5, float("nan")])
def test_bce_refuses_a_target_outside_0_1(bad):
    p, t = cr.tensor([0.5, 0.5]), cr.tensor([1.0, bad])
    for call in (lambda: F.binary_cross_entropy(p, t), lambda: nn.BCELoss()(p, t)):
        with pytest.raises(ValueError, match=r"elements of the target should be between 0 and 1"):
            call()
    if (torch := _torch_or_none()) is not None:
        with pytest.raises(RuntimeError, match="target should be between 0 and 1"):
            torch.nn.BCELoss()(torch.tensor([0.5, 0.5]), torch.tensor([1.0, bad]))


BCE_EDGES = np.array([0.0, 1.0, 1e-8, 1 - 1e-7, 0.3, 1e-45], dtype=np.float32)


@pytest.mark.parametrize("target", [0.0, 1.0, 0.25])
def test_bce_clamps_each_log_at_minus_100_as_torch(target):
    """Already right before issue 11; checked here because the range check sits beside it."""
    t = np.full_like(BCE_EDGES, target)
    p = cr.tensor(BCE_EDGES, requires_grad=True)
    ours = F.binary_cross_entropy(p, cr.tensor(t), reduction="none")
    assert ours.numpy()[:2].tolist() == [100 * target, 100 * (1 - target)]  # log 0 -> -100
    if (torch := _torch_or_none()) is None:
        return
    tp = torch.tensor(BCE_EDGES, requires_grad=True)
    theirs = torch.nn.functional.binary_cross_entropy(tp, torch.tensor(t), reduction="none")
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-6)
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-6)


# ------------------------------------------------------------ loss dtypes, refusals, edges
def test_an_array_target_says_what_to_pass():
    labels = np.array([0, 1])
    with pytest.raises(TypeError, match=r"argument 'target' must be a Tensor, not ndarray"):
        F.cross_entropy(cr.ones(2, 3), labels)
    with pytest.raises(TypeError, match=r"argument 'target' must be a Tensor, not ndarray"):
        F.mse_loss(cr.ones(2), labels.astype(np.float32))
    if (torch := _torch_or_none()) is not None:
        with pytest.raises(TypeError):
            torch.nn.functional.cross_entropy(torch.ones(2, 3), labels)


# (loss, prediction's dtype, target's dtype, the loss's dtype): PyTorch promotes mse_loss's
# and cross_entropy's two inputs, and gives binary_cross_entropy_with_logits the target's.
LOSS_DTYPES = [
    ("mse_loss", "float32", "float64", "float64"),
    ("mse_loss", "float64", "float16", "float64"),
    ("mse_loss", "float32", "int64", "float32"),
    ("mse_loss", "float16", "bool", "float16"),
    ("binary_cross_entropy_with_logits", "float32", "float64", "float64"),
    ("binary_cross_entropy_with_logits", "float64", "float32", "float32"),
    ("binary_cross_entropy_with_logits", "float32", "float16", "float16"),
    ("cross_entropy", "float32", "float64", "float64"),
    ("cross_entropy", "float64", "float32", "float64"),
    ("cross_entropy", "float16", "float32", "float32"),
]
_SCORES = np.array([[0.5, -2.0, 3.0], [-0.1, 1.5, -4.0]])
_WEIGHTS = np.array([[0.25, 1.0, 0.0], [1.0, 0.5, 0.75]])


def _loss_by_hand(name: str, x: np.ndarray, t: np.ndarray) -> float:
    if name == "mse_loss":
        return float(np.mean((x - t) ** 2))
    if name == "binary_cross_entropy_with_logits":
        p = 1 / (1 + np.exp(-x))
        return float(np.mean(-(t * np.log(p) + (1 - t) * np.log(1 - p))))
    return float(np.mean(-(t * _log_softmax(x)).sum(axis=1)))


@pytest.mark.parametrize(("name", "x_dtype", "t_dtype", "dtype"), LOSS_DTYPES)
def test_a_loss_of_two_dtypes_has_pytorchs_dtype(name, x_dtype, t_dtype, dtype):
    t_values = _WEIGHTS > 0.6 if t_dtype == "bool" else _WEIGHTS
    x = cr.tensor(_SCORES, dtype=x_dtype, requires_grad=True)
    t = cr.tensor(t_values, dtype=t_dtype, requires_grad=t_dtype.startswith("float"))
    loss = getattr(F, name)(x, t)
    assert loss.dtype == dtype
    by_hand = _loss_by_hand(name, _SCORES.astype(x_dtype), t_values.astype(t_dtype))
    assert loss.item() == pytest.approx(
        by_hand, rel=1e-3 if "float16" in (x_dtype, dtype) else 1e-6
    )
    loss.backward()
    assert x.grad.dtype == x_dtype  # each input's gradient in its own dtype
    assert t.grad is None or t.grad.dtype == t_dtype
    if (torch := _torch_or_none()) is not None:
        tx = torch.tensor(_SCORES, dtype=getattr(torch, x_dtype), requires_grad=True)
        tt = torch.tensor(t_values, dtype=getattr(torch, t_dtype))
        theirs = getattr(torch.nn.functional, name)(tx, tt)
        assert str(theirs.dtype) == f"torch.{dtype}"
        theirs.backward()
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-3)


REFUSED_DTYPES = [
    # binary_cross_entropy wants the prediction's own dtype, as PyTorch
    (
        lambda lib, F: F.binary_cross_entropy(lib.ones(2) / 2, lib.ones(2, dtype=lib.float64)),
        "binary_cross_entropy: target is float64 but prediction is float32; they must have "
        "the same dtype",
    ),
    (
        lambda lib, F: F.binary_cross_entropy(
            lib.ones(2, dtype=lib.float16) / 2, lib.ones(2, dtype=lib.float32)
        ),
        "target is float32 but prediction is float16",
    ),
    (
        lambda lib, F: F.binary_cross_entropy(lib.ones(2) / 2, lib.ones(2, dtype=lib.int64)),
        "target is int64 but prediction is float32",
    ),
    # binary_cross_entropy_with_logits wants a floating target: no ints, no bools
    (
        lambda lib, F: F.binary_cross_entropy_with_logits(lib.ones(2), lib.ones(2) > 0),
        "binary_cross_entropy_with_logits: target must be floating point, not bool; "
        "convert it with .float()",
    ),
    (
        lambda lib, F: F.binary_cross_entropy_with_logits(
            lib.ones(2), lib.ones(2, dtype=lib.int64)
        ),
        "target must be floating point, not int64",
    ),
    # and no loss takes integer scores
    (
        lambda lib, F: F.mse_loss(lib.ones(2, dtype=lib.int64), lib.ones(2, dtype=lib.int64)),
        "mse_loss: prediction or target must be floating point, not int64",
    ),
    (
        lambda lib, F: F.cross_entropy(lib.ones(2, 3, dtype=lib.int64), lib.ones(2, 3)),
        "cross_entropy: logits must be floating point, not int64",
    ),
]


@pytest.mark.parametrize(("call", "message"), REFUSED_DTYPES)
def test_a_loss_refuses_what_pytorch_refuses_by_dtype(call, message):
    with pytest.raises(RuntimeError, match=re.escape(message)):
        call(cr, F)
    if (torch := _torch_or_none()) is not None:
        with pytest.raises(RuntimeError):
            call(torch, torch.nn.functional)


def test_bce_with_logits_at_infinite_logits_is_pytorchs():
    """(1 - t) x - log σ(x), as PyTorch writes it: +inf at x = +inf unless t = 1."""
    inf = math.inf
    x = cr.tensor([inf, -inf, inf, -inf, inf, -inf, 30.0, -30.0], requires_grad=True)
    t = cr.tensor([0.3, 0.3, 1.0, 1.0, 0.0, 0.0, 0.2, 0.2])
    with np.errstate(invalid="ignore"):
        loss = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    expected = [inf, math.nan, math.nan, math.nan, inf, math.nan, 24.0, 6.0]
    np.testing.assert_allclose(loss.numpy(), expected, rtol=1e-6)
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.7, -0.3, 0.0, -1.0, 1.0, 0.0, 0.8, -0.2])
    if (torch := _torch_or_none()) is not None:
        theirs = torch.nn.functional.binary_cross_entropy_with_logits(
            torch.tensor(x.numpy()), torch.tensor(t.numpy()), reduction="none"
        )
        np.testing.assert_allclose(loss.numpy(), theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(
    ("shape", "target"),
    [((4, 0), "probabilities"), ((0, 0), "probabilities"), ((0, 0), "indices")],
)
def test_cross_entropy_over_no_classes(shape, target, reduction):
    """Each sample's loss is an empty sum, 0; their mean is NaN, as in PyTorch."""
    x = cr.zeros(*shape, requires_grad=True)
    t = cr.zeros(*shape) if target == "probabilities" else cr.zeros(0, dtype=cr.int64)
    loss = F.cross_entropy(x, t, reduction=reduction)
    expected = {"none": np.zeros(shape[0]), "sum": 0.0, "mean": math.nan}[reduction]
    np.testing.assert_array_equal(loss.numpy(), expected)
    assert loss.dtype == np.float32
    loss.sum().backward()
    assert x.grad.shape == shape
    if (torch := _torch_or_none()) is not None:
        tt = torch.zeros(*shape) if target == "probabilities" else torch.zeros(0, dtype=torch.int64)
        theirs = torch.nn.functional.cross_entropy(torch.zeros(*shape), tt, reduction=reduction)
        np.testing.assert_array_equal(loss.numpy(), theirs.numpy())


# ------------------------------------------------------------ schedulers compose
def _schedule(lib: str, build, steps=30, lrs=(0.1,), by_hand=None):
    """The lr of each group after construction and after each of ``steps`` epochs; ``build``
    makes the schedulers from the library's lr_scheduler module; ``by_hand`` = (epoch, lr)
    sets every group's lr after that epoch's scheduler steps."""
    if lib == "torch":
        torch = _torch()
        params, opt_module = [torch.zeros(1, requires_grad=True) for _ in lrs], torch.optim
    else:
        params, opt_module = [cr.zeros(1, requires_grad=True) for _ in lrs], optim
    opt = opt_module.SGD([{"params": [p], "lr": lr} for p, lr in zip(params, lrs, strict=True)])
    schedulers = build(opt_module.lr_scheduler, opt)
    seen = [[group["lr"] for group in opt.param_groups]]
    for epoch in range(1, steps + 1):
        opt.step()
        for scheduler in schedulers:
            scheduler.step()
        assert schedulers[-1].get_last_lr() == [group["lr"] for group in opt.param_groups]
        if by_hand is not None and epoch == by_hand[0]:
            for group in opt.param_groups:
                group["lr"] = by_hand[1]
        seen.append([group["lr"] for group in opt.param_groups])
    return seen


SCHEDULES = {
    "cosine": (lambda m, o: [m.CosineAnnealingLR(o, T_max=30)], {}),
    "step": (lambda m, o: [m.StepLR(o, step_size=4, gamma=0.5)], {}),
    "cosine+step": (
        lambda m, o: [m.CosineAnnealingLR(o, T_max=30), m.StepLR(o, step_size=4, gamma=0.5)],
        {},
    ),
    "step+cosine": (
        lambda m, o: [m.StepLR(o, step_size=5, gamma=0.3), m.CosineAnnealingLR(o, T_max=12)],
        {},
    ),
    "cosine-by-hand-at-7": (lambda m, o: [m.CosineAnnealingLR(o, T_max=30)], {"by_hand": (7, 0.5)}),
    "step-by-hand-at-7": (lambda m, o: [m.StepLR(o, step_size=3)], {"by_hand": (7, 0.5)}),
    "cosine-T_max-5": (lambda m, o: [m.CosineAnnealingLR(o, T_max=5)], {}),
    "cosine-T_max-1": (lambda m, o: [m.CosineAnnealingLR(o, T_max=1)], {}),
    "cosine-eta_min-groups": (
        lambda m, o: [m.CosineAnnealingLR(o, T_max=7, eta_min=0.01)],
        {"lrs": (0.1, 0.5, 0.02)},
    ),
    "cosine-eta_min-by-hand": (
        lambda m, o: [m.CosineAnnealingLR(o, T_max=10, eta_min=0.01), m.StepLR(o, 6)],
        {"lrs": (0.1, 0.05), "by_hand": (7, 0.2)},
    ),
}


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_schedules_match_torch_for_30_epochs(name):
    build, options = SCHEDULES[name]
    ours, theirs = _schedule("chainrule", build, **options), _schedule("torch", build, **options)
    assert ours == theirs  # the same float operations in the same order: equal to the bit


def _cosine(epoch: int, base: float, t_max: int, eta_min: float = 0.0) -> float:
    return eta_min + (base - eta_min) * (1 + math.cos(math.pi * epoch / t_max)) / 2


def test_cosine_alone_is_the_closed_form_and_chained_with_step_multiplies_by_hand():
    lrs = (0.1, 0.5)
    seen = _schedule("chainrule", lambda m, o: [m.CosineAnnealingLR(o, 4, eta_min=0.01)], lrs=lrs)
    expected = [[_cosine(e, base, 4, 0.01) for base in lrs] for e in range(31)]
    assert seen == [pytest.approx(row, rel=1e-12) for row in expected]  # down, up, down...

    seen = _schedule("chainrule", SCHEDULES["cosine+step"][0])
    expected = [_cosine(e, 0.1, 30) * 0.5 ** (e // 4) for e in range(31)]
    assert [lr for (lr,) in seen] == pytest.approx(expected, rel=1e-12, abs=1e-17)


def test_cosine_carries_on_from_an_lr_set_by_hand():
    seen = _schedule("chainrule", SCHEDULES["cosine-by-hand-at-7"][0], by_hand=(7, 0.5))
    expected = [_cosine(e, 0.1, 30) for e in range(7)]  # then 0.5 by hand after epoch 7
    expected += [0.5 * _cosine(e, 0.1, 30) / _cosine(7, 0.1, 30) for e in range(7, 31)]
    assert [lr for (lr,) in seen] == pytest.approx(expected, rel=1e-12, abs=1e-17)


def _chained(opt):
    return [
        optim.lr_scheduler.CosineAnnealingLR(opt, T_max=30),
        optim.lr_scheduler.StepLR(opt, step_size=4, gamma=0.5),
    ]


def _sgd(lrs=(0.1, 0.02)):
    return optim.SGD([{"params": [cr.zeros(1, requires_grad=True)], "lr": lr} for lr in lrs])


def test_chained_schedulers_resume_from_state_dicts():
    straight = _schedule("chainrule", lambda m, o: _chained(o), lrs=(0.1, 0.02))
    by_hand = [[_cosine(e, lr, 30) * 0.5 ** (e // 4) for lr in (0.1, 0.02)] for e in range(31)]
    assert straight == [pytest.approx(row, rel=1e-12, abs=1e-17) for row in by_hand]
    opt = _sgd()
    schedulers = _chained(opt)
    for _ in range(10):
        for scheduler in schedulers:
            scheduler.step()
    saved_opt, saved = opt.state_dict(), [s.state_dict() for s in schedulers]
    assert [s["last_epoch"] for s in saved] == [10, 10]

    opt = _sgd()
    opt.load_state_dict(saved_opt)
    schedulers = _chained(opt)
    for scheduler, state in zip(schedulers, saved, strict=True):
        scheduler.load_state_dict(state)
    assert schedulers[-1].get_last_lr() == straight[10]
    for epoch in range(11, 31):
        for scheduler in schedulers:
            scheduler.step()
        assert [g["lr"] for g in opt.param_groups] == straight[epoch]


def test_last_epoch_resumes_from_the_optimizer_lr_as_torch():
    def resumed(lib: str) -> list[list[float]]:
        def build(m, o):
            for group in o.param_groups:
                group["initial_lr"], group["lr"] = group["lr"], group["lr"] * 0.3
            return [m.CosineAnnealingLR(o, T_max=8, last_epoch=5)]

        return _schedule(lib, build, steps=12, lrs=(0.1, 0.4))

    ours = resumed("chainrule")
    # construction moves to epoch 6 and keeps the lr; then each step scales from it
    assert ours[0] == pytest.approx([0.03, 0.12])
    ratio = (1 + math.cos(math.pi * 7 / 8)) / (1 + math.cos(math.pi * 6 / 8))
    assert ours[1] == pytest.approx([0.03 * ratio, 0.12 * ratio], rel=1e-12)
    if _torch_or_none() is not None:
        assert ours == resumed("torch")


# ------------------------------------------------------------ empty batches
EMPTY_LOSSES = {
    "mse_loss": (lambda m: m.mse_loss, (0,), lambda lib: lib.zeros(0)),
    "binary_cross_entropy": (lambda m: m.binary_cross_entropy, (0,), lambda lib: lib.zeros(0)),
    "binary_cross_entropy_with_logits": (
        lambda m: m.binary_cross_entropy_with_logits,
        (0,),
        lambda lib: lib.zeros(0),
    ),
    "cross_entropy-indices": (
        lambda m: m.cross_entropy,
        (0, 3),
        lambda lib: lib.zeros(0, dtype=lib.int64),
    ),
    "cross_entropy-probabilities": (lambda m: m.cross_entropy, (0, 3), lambda lib: lib.zeros(0, 3)),
    "nll_loss": (lambda m: m.nll_loss, (0, 3), lambda lib: lib.zeros(0, dtype=lib.int64)),
}


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", list(EMPTY_LOSSES))
def test_loss_over_an_empty_batch(name, reduction):
    loss, shape, target = EMPTY_LOSSES[name]
    x = cr.zeros(*shape, requires_grad=True)
    value = loss(F)(x, target(cr), reduction=reduction)  # and no warning
    if reduction == "none":
        assert value.shape == (0,)
        value.sum().backward()
    else:
        assert value.shape == ()
        assert math.isnan(value.item()) if reduction == "mean" else value.item() == 0.0
        value.backward()
    assert x.grad.shape == shape


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", list(EMPTY_LOSSES))
def test_loss_over_an_empty_batch_matches_torch(name, reduction):
    torch = _torch()
    loss, shape, target = EMPTY_LOSSES[name]
    ours = loss(F)(cr.zeros(*shape), target(cr), reduction=reduction)
    theirs = loss(torch.nn.functional)(torch.zeros(*shape), target(torch), reduction=reduction)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert ours.shape == tuple(theirs.shape) and ours.dtype == np.float32


@pytest.mark.parametrize(
    "softmax",
    [
        lambda x, dim: x.softmax(dim),
        lambda x, dim: F.log_softmax(x, dim=dim),
        lambda x, dim: nn.LogSoftmax(dim)(x),
    ],
)
@pytest.mark.parametrize(("shape", "dim"), [((2, 0), 3), ((0, 2), -3), ((), 1)])
def test_softmax_of_an_empty_tensor_refuses_a_dim_it_lacks(softmax, shape, dim):
    """Long-survey seeds 103490 and 104537: with no elements to normalise, the dim was not
    checked; PyTorch refuses one out of range whatever the tensor holds."""
    with pytest.raises(IndexError, match="out of range"):
        softmax(cr.zeros(shape), dim)
    torch = _torch_or_none()
    if torch is not None:
        with pytest.raises(IndexError, match="out of range"):
            torch.zeros(shape).softmax(dim)


# ------------------------------------------------------------ empty layers, float16's tail
def test_linear_with_no_inputs_outputs_its_bias():
    with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
        layer = nn.Linear(0, 3)
    assert layer.weight.shape == (3, 0)
    np.testing.assert_array_equal(layer.bias.numpy(), np.zeros(3))  # U(-0, 0), as in PyTorch
    layer.bias.data[...] = [1.0, 2.0, 3.0]
    x = cr.zeros(2, 0, requires_grad=True)
    y = layer(x)
    np.testing.assert_array_equal(y.numpy(), [[1.0, 2.0, 3.0]] * 2)
    y.sum().backward()
    assert x.grad.shape == (2, 0) and layer.weight.grad.shape == (3, 0)
    np.testing.assert_array_equal(layer.bias.grad.numpy(), [2.0, 2.0, 2.0])


def test_linear_with_no_inputs_matches_torch():
    torch = _torch()
    with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
        theirs = torch.nn.Linear(0, 3)
    with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
        ours = nn.Linear(0, 3)
    assert ours.weight.shape == tuple(theirs.weight.shape)
    np.testing.assert_array_equal(ours.bias.numpy(), theirs.bias.detach().numpy())
    out = ours(cr.zeros(4, 0))
    expected = theirs(torch.zeros(4, 0)).detach().numpy()
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out.numpy(), expected)


FLATTEN_CASES = [
    ((0, 2, 3), 1, -1, (0, 6)),
    ((0, 4), 1, -1, (0, 4)),
    ((3, 0, 2, 5), 2, 3, (3, 0, 10)),
    ((2, 0, 3), 1, -1, (2, 0)),
    ((2, 0, 3), 0, -1, (0,)),
    ((4, 0), 0, 1, (0,)),
]


@pytest.mark.parametrize(("shape", "start", "end", "expected"), FLATTEN_CASES)
def test_flatten_layer_on_zero_size_tensors(shape, start, end, expected):
    assert nn.Flatten(start, end)(cr.zeros(*shape)).shape == expected
    if (torch := _torch_or_none()) is not None:
        assert tuple(torch.nn.Flatten(start, end)(torch.zeros(*shape)).shape) == expected


def test_float16_sigmoid_reaches_into_the_tail():
    y = cr.tensor([-15.0, -17.0, -12.0, 0.0, 15.0], dtype=cr.float16).sigmoid()
    assert y.dtype == np.float16
    # exact σ rounded to float16: 3.06e-07 is 5 subnormal steps of 2**-24
    exact = 1 / (1 + np.exp(-np.array([-15.0, -17.0, -12.0, 0.0, 15.0])))
    np.testing.assert_array_equal(y.numpy(), exact.astype(np.float16))
    assert y.numpy()[0] == np.float16(2.98e-07) and y.numpy()[0] < 1.7e-5


def test_float16_sigmoid_and_its_gradient_match_torch():
    torch = _torch()
    x = np.linspace(-20, 20, 4001).astype(np.float16)
    g = np.random.default_rng(0).uniform(-3, 3, x.shape).astype(np.float16)
    ours, theirs = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = ours.sigmoid(), theirs.sigmoid()
    np.testing.assert_array_equal(y.numpy(), ty.detach().numpy())
    y.backward(cr.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


# ------------------------------------------------------------ clear errors
# Each call written for a library's (nn, functional, ones), so torch can take it too; and
# the start of our message.
LIST_CALLS = {
    "Linear": (lambda nn, F, ones: nn.Linear(2, 3)([1.0, 2.0]), r"Linear: argument 'x' must be"),
    "Sequential": (
        lambda nn, F, ones: nn.Sequential(nn.Linear(2, 3), nn.ReLU())([1.0, 2.0]),
        r"Linear: argument 'x' must be a Tensor",
    ),
    "ReLU": (lambda nn, F, ones: nn.ReLU()([1.0, -1.0]), r"ReLU: argument 'x' must be a Tensor"),
    "Dropout-eval": (lambda nn, F, ones: nn.Dropout().eval()([1.0]), r"Dropout: argument 'x'"),
    "MSELoss": (lambda nn, F, ones: nn.MSELoss()([1.0], [2.0]), r"MSELoss: argument 'prediction'"),
    "CrossEntropyLoss": (
        lambda nn, F, ones: nn.CrossEntropyLoss()([[1.0, 2.0]], [0]),
        r"CrossEntropyLoss: argument 'logits'",
    ),
    "F.relu": (lambda nn, F, ones: F.relu([1.0]), r"relu: argument 'x' must be a Tensor"),
    "F.linear": (lambda nn, F, ones: F.linear([[1.0]], ones(1, 1)), r"linear: argument 'x'"),
    "F.mse_loss": (lambda nn, F, ones: F.mse_loss([1.0], [2.0]), r"mse_loss: argument"),
    "F.cross_entropy": (
        lambda nn, F, ones: F.cross_entropy([[1.0]], [0]),
        r"cross_entropy: argument 'logits'",
    ),
    # a list as the target, beside a tensor prediction: to every loss, F.* and nn.*Loss
    "F.mse_loss-target": (
        lambda nn, F, ones: F.mse_loss(ones(1), [2.0]),
        r"mse_loss: argument 'target' must be a Tensor",
    ),
    "F.binary_cross_entropy-target": (
        lambda nn, F, ones: F.binary_cross_entropy(ones(1) / 2, [1.0]),
        r"binary_cross_entropy: argument 'target'",
    ),
    "F.binary_cross_entropy_with_logits-target": (
        lambda nn, F, ones: F.binary_cross_entropy_with_logits(ones(1), [1.0]),
        r"binary_cross_entropy_with_logits: argument 'target'",
    ),
    "F.cross_entropy-target": (
        lambda nn, F, ones: F.cross_entropy(ones(1, 2), [0]),
        r"cross_entropy: argument 'target'",
    ),
    "F.nll_loss-target": (
        lambda nn, F, ones: F.nll_loss(ones(1, 2), [0]),
        r"nll_loss: argument 'target'",
    ),
    "MSELoss-target": (
        lambda nn, F, ones: nn.MSELoss()(ones(1), [2.0]),
        r"MSELoss: argument 'target'",
    ),
    "BCELoss-target": (
        lambda nn, F, ones: nn.BCELoss()(ones(1) / 2, [1.0]),
        r"BCELoss: argument 'target'",
    ),
    "BCEWithLogitsLoss-target": (
        lambda nn, F, ones: nn.BCEWithLogitsLoss()(ones(1), [1.0]),
        r"BCEWithLogitsLoss: argument 'target'",
    ),
    "CrossEntropyLoss-target": (
        lambda nn, F, ones: nn.CrossEntropyLoss()(ones(1, 2), [0]),
        r"CrossEntropyLoss: argument 'target'",
    ),
    "NLLLoss-target": (
        lambda nn, F, ones: nn.NLLLoss()(ones(1, 2), [0]),
        r"NLLLoss: argument 'target'",
    ),
}


@pytest.mark.parametrize("name", list(LIST_CALLS))
def test_a_list_where_a_tensor_belongs_says_what_to_pass(name):
    call, message = LIST_CALLS[name]
    with pytest.raises(TypeError, match=message + r".*not list; make one with cr\.tensor"):
        call(nn, F, cr.ones)
    if (torch := _torch_or_none()) is not None:
        with pytest.raises((TypeError, AttributeError)):  # MSELoss: no attribute 'size'
            call(torch.nn, torch.nn.functional, torch.ones)


def test_modules_that_take_lists_still_do():
    class Total(nn.Module):
        def forward(self, values: list[float]) -> cr.Tensor:
            return cr.tensor(values).sum()

    assert Total()([1.0, 2.0]).item() == 3.0
    assert nn.Identity()([1.0]) == [1.0]
    assert nn.Sequential(Total())([1.0, 2.0]).item() == 3.0
    assert nn.Linear(2, 1)(x=cr.ones(2)).shape == (1,)
    with pytest.raises(TypeError, match="Linear: argument 'x'"):
        nn.Linear(2, 1)(x=[1.0, 2.0])


UNKNOWN_DEVICE = r"unknown device '(mps|tpu)'; chainrule runs on 'cpu' and 'cuda'/'cuda:N'"


@pytest.mark.parametrize(
    "call",
    [
        lambda: cr.tensor(1.0).to("mps"),
        lambda: nn.Linear(2, 3).to("mps"),
        lambda: cr.tensor(1.0).to("tpu", cr.float64),
        lambda: cr.tensor(1.0, device="tpu"),
        lambda: nn.Linear(2, 3).to(device="tpu"),
    ],
)
def test_an_unknown_device_is_named(call):
    with pytest.raises(ValueError, match=UNKNOWN_DEVICE):
        call()
    if (torch := _torch_or_none()) is not None:  # torch: "Expected one of cpu, cuda, ..."
        for refused in (
            lambda: torch.tensor(1.0).to("tpu"),
            lambda: torch.nn.Linear(1, 1).to("tpu"),
        ):
            with pytest.raises(RuntimeError, match="tpu"):
                refused()


@pytest.mark.parametrize(
    "save",
    [
        lambda path: cr.save({"w": cr.ones(2)}, path),
        lambda path: cr.save_checkpoint(path, model=nn.Linear(2, 1), epoch=3),
    ],
    ids=["save", "save_checkpoint"],
)
def test_saving_into_a_missing_folder_names_the_path(tmp_path, save):
    path = tmp_path / "missing" / "model.safetensors"
    with pytest.raises(FileNotFoundError) as caught:
        save(path)
    message = str(caught.value)
    assert f"cannot save {path}: the folder {tmp_path / 'missing'} does not exist" in message
    assert ".tmp" not in message
    assert list(tmp_path.iterdir()) == []
    if (torch := _torch_or_none()) is not None:  # torch: "Parent directory ... does not exist."
        with pytest.raises(RuntimeError, match=f"{tmp_path / 'missing'} does not exist"):
            torch.save({"w": torch.ones(2)}, path)


@pytest.mark.parametrize(("dtype", "far"), [("float32", -89.0), ("float64", -710.0)])
def test_sigmoid_is_zero_where_exp_overflows_without_a_warning(dtype, far):
    """Past -88.7 (float32) or -709.8 (float64) exp(-x) is inf and σ(x) = 1 / inf = 0, as
    PyTorch gives, not the smallest value a capped exp would leave (3e-39 in float32)."""
    y = cr.tensor([far, -1e4, float("-inf"), 0.0], dtype=getattr(cr, dtype)).sigmoid()
    assert y.tolist() == [0.0, 0.0, 0.0, 0.5]
    if (torch := _torch_or_none()) is not None:
        theirs = torch.tensor([far, -1e4, float("-inf"), 0.0], dtype=getattr(torch, dtype))
        assert theirs.sigmoid().tolist() == y.tolist()
