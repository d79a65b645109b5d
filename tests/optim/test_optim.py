"""Optimizers and lr schedulers: hand-computed steps, PyTorch's numbers, state dicts, errors."""

import math

import numpy as np
import pytest

import chainrule as cr
import chainrule.optim as optim
from chainrule.optim.lr_scheduler import CosineAnnealingLR, StepLR

# Each optimizer, and each option that changes its arithmetic.
CONFIGS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.1, "momentum": 0.5, "maximize": True}),
    ("SGD", {"lr": 0.1, "weight_decay": 0.1, "maximize": True}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "betas": (0.5, 0.9), "maximize": True}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9, "centered": True, "weight_decay": 0.01}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "centered": True, "maximize": True}),
    ("Adagrad", {"lr": 0.1}),
    (
        "Adagrad",
        {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.01, "initial_accumulator_value": 0.1},
    ),
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.1, "maximize": True}),
]
CONFIG_IDS = ["-".join([name, *(f"{k}={v}" for k, v in kw.items())]) for name, kw in CONFIGS]
SHAPES = [(3, 4), (3,), ()]  # a weight, a bias and a scalar, the last with no gradient at times


def _steps_of(name, kwargs, w0, loss_fn, n):
    """The parameter (float64) after each of ``n`` steps on ``loss_fn(w, step)``."""
    w = cr.tensor(w0, dtype=cr.float64, requires_grad=True)
    opt = getattr(optim, name)([w], **kwargs)
    values = []
    for t in range(n):
        opt.zero_grad()
        loss_fn(w, t).sum().backward()
        opt.step()
        values.append(w.tolist())
    return values


def _square(w, t):
    return w * w  # gradient 2w


# ------------------------------------------------------------------ hand-computed steps
def test_seed_000_one_sgd_update_lowers_the_error_from_0_2983_to_0_2910():
    hidden = cr.tensor([[0.15, 0.20], [0.25, 0.30]], dtype=cr.float64, requires_grad=True)
    output = cr.tensor([[0.40, 0.45], [0.50, 0.55]], dtype=cr.float64, requires_grad=True)
    x = cr.tensor([0.05, 0.10], dtype=cr.float64)
    target = cr.tensor([0.01, 0.99], dtype=cr.float64)

    def error():
        out = (output @ (hidden @ x + 0.35).sigmoid() + 0.60).sigmoid()
        return (0.5 * (target - out) ** 2).sum()

    opt = optim.SGD([hidden, output], lr=0.5)
    loss = error()
    assert loss.item() == pytest.approx(0.298371109, abs=1e-9)
    loss.backward()
    opt.step()
    # Seed 000: w5 = 0.40 - 0.5 * 0.082167041 = 0.35891648, w1 = 0.149780716.
    assert output.data[0, 0] == pytest.approx(0.35891648, abs=1e-8)
    assert hidden.data[0, 0] == pytest.approx(0.149780716, abs=1e-9)
    assert error().item() == pytest.approx(0.2910277737, abs=1e-10)


def test_sgd_momentum_by_hand():
    # gradient 2w; b1 = g1; b2 = 0.9 b1 + g2; w <- w - 0.1 b
    w1 = 1.0 - 0.1 * 2.0  # b1 = 2.0 -> 0.8
    b2 = 0.9 * 2.0 + 2 * w1  # 1.8 + 1.6 = 3.4
    w2 = w1 - 0.1 * b2  # 0.46
    b3 = 0.9 * b2 + 2 * w2  # 3.06 + 0.92 = 3.98
    w3 = w2 - 0.1 * b3  # 0.062
    got = _steps_of("SGD", {"lr": 0.1, "momentum": 0.9}, [1.0], _square, 3)
    assert got == [pytest.approx([w], rel=1e-12) for w in (w1, w2, w3)]


def test_sgd_nesterov_and_weight_decay_by_hand():
    # fixed gradient 0.5, weight decay 0.1: g = 0.5 + 0.1 w; b = 0.9 b + g; step g + 0.9 b
    g1 = 0.5 + 0.1 * 1.0  # 0.6, and b1 = 0.6
    w1 = 1.0 - 0.1 * (g1 + 0.9 * g1)  # 1 - 0.114 = 0.886
    g2 = 0.5 + 0.1 * w1  # 0.5886
    b2 = 0.9 * g1 + g2  # 1.1286
    w2 = w1 - 0.1 * (g2 + 0.9 * b2)  # 0.886 - 0.160434 = 0.725566
    kwargs = {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}
    got = _steps_of("SGD", kwargs, [1.0], lambda w, t: w * 0.5, 2)
    assert got == [pytest.approx([w1], rel=1e-12), pytest.approx([w2], rel=1e-12)]
    assert w2 == pytest.approx(0.725566)


def test_sgd_maximize_climbs():
    got = _steps_of("SGD", {"lr": 0.1, "maximize": True}, [1.0], _square, 2)
    assert got == [pytest.approx([1.2]), pytest.approx([1.44])]  # w <- w + 0.1 * 2w


def test_adam_by_hand():
    # gradient 2w; m = 0.9 m + 0.1 g; v = 0.999 v + 0.001 g^2; bias corrections 1 - beta^t
    m1, v1 = 0.1 * 2.0, 0.001 * 4.0  # 0.2, 0.004
    w1 = 1.0 - 0.1 * (m1 / 0.1) / (math.sqrt(v1 / 0.001) + 1e-8)  # 1 - 0.1 * 2 / 2 = 0.9
    g2 = 2 * w1  # 1.8
    m2 = 0.9 * m1 + 0.1 * g2  # 0.36
    v2 = 0.999 * v1 + 0.001 * g2**2  # 0.007236
    w2 = w1 - 0.1 * (m2 / (1 - 0.9**2)) / (math.sqrt(v2 / (1 - 0.999**2)) + 1e-8)
    got = _steps_of("Adam", {"lr": 0.1}, [1.0], _square, 2)
    assert got == [pytest.approx([w1], rel=1e-12), pytest.approx([w2], rel=1e-12)]
    assert w1 == pytest.approx(0.9) and w2 == pytest.approx(0.8004123, abs=1e-7)


def test_adam_amsgrad_divides_by_the_largest_second_moment_by_hand():
    # betas (0.9, 0.5); gradients 1 then 0.1, so v falls: 0.5 then 0.255, and v_max stays 0.5
    grads = [1.0, 0.1]
    m2 = 0.9 * 0.1 + 0.1 * 0.1  # m1 = 0.1, m2 = 0.1
    w1 = 1.0 - 0.1 * (0.1 / 0.1) / (math.sqrt(0.5 / 0.5) + 1e-8)  # 0.9
    for amsgrad, v in [(False, 0.5 * 0.5 + 0.5 * 0.01), (True, 0.5)]:
        w2 = w1 - 0.1 * (m2 / 0.19) / (math.sqrt(v / 0.75) + 1e-8)
        kwargs = {"lr": 0.1, "betas": (0.9, 0.5), "amsgrad": amsgrad}
        got = _steps_of("Adam", kwargs, [1.0], lambda w, t: w * grads[t], 2)
        assert got == [pytest.approx([w1], rel=1e-12), pytest.approx([w2], rel=1e-12)]


def test_adamw_decays_the_weights_not_the_gradient_by_hand():
    # p <- p (1 - lr wd) first, then Adam on the plain gradient 2w (taken before the decay)
    w1 = 1.0 * (1 - 0.1 * 0.1) - 0.1 * 1.0  # the first Adam step is lr: 0.99 - 0.1 = 0.89
    g2 = 2 * w1  # 1.78
    m2 = 0.9 * 0.2 + 0.1 * g2  # 0.358
    v2 = 0.999 * 0.004 + 0.001 * g2**2  # 0.0071644
    w2 = w1 * 0.99 - 0.1 * (m2 / 0.19) / (math.sqrt(v2 / (1 - 0.999**2)) + 1e-8)
    got = _steps_of("AdamW", {"lr": 0.1, "weight_decay": 0.1}, [1.0], _square, 2)
    assert got == [pytest.approx([w1], rel=1e-7), pytest.approx([w2], rel=1e-7)]


def test_rmsprop_by_hand():
    # gradient 2w; v = 0.99 v + 0.01 g^2; w <- w - 0.01 g / (sqrt(v) + eps)
    v1 = 0.01 * 4.0  # 0.04
    w1 = 1.0 - 0.01 * 2.0 / (math.sqrt(v1) + 1e-8)  # 1 - 0.02 / 0.2 = 0.9
    g2 = 2 * w1
    v2 = 0.99 * v1 + 0.01 * g2**2  # 0.0396 + 0.0324 = 0.072
    w2 = w1 - 0.01 * g2 / (math.sqrt(v2) + 1e-8)
    got = _steps_of("RMSprop", {"lr": 0.01}, [1.0], _square, 2)
    assert got == [pytest.approx([w1], rel=1e-12), pytest.approx([w2], rel=1e-12)]
    assert w1 == pytest.approx(0.9)


def test_rmsprop_centered_with_momentum_by_hand():
    # fixed gradient 1, alpha 0.9: v and a both 0.1 then 0.19; d = sqrt(v - a^2) + eps
    b1 = 1.0 / (math.sqrt(0.1 - 0.1**2) + 1e-8)  # 1 / 0.3
    w1 = 1.0 - 0.01 * b1  # 0.96667
    b2 = 0.5 * b1 + 1.0 / (math.sqrt(0.19 - 0.19**2) + 1e-8)
    w2 = w1 - 0.01 * b2
    kwargs = {"lr": 0.01, "alpha": 0.9, "momentum": 0.5, "centered": True}
    got = _steps_of("RMSprop", kwargs, [1.0], lambda w, t: w * 1.0, 2)
    assert got == [pytest.approx([w1], rel=1e-12), pytest.approx([w2], rel=1e-12)]


def test_adagrad_by_hand():
    # gradient 2w; s starts at 0.1 and adds g^2; lr / (1 + (t - 1) * 0.5) at step t
    s1 = 0.1 + 2.0**2  # 4.1
    w1 = 1.0 - 0.1 * 2.0 / (math.sqrt(s1) + 1e-10)
    g2 = 2 * w1
    s2 = s1 + g2**2
    w2 = w1 - 0.1 / 1.5 * g2 / (math.sqrt(s2) + 1e-10)
    kwargs = {"lr": 0.1, "lr_decay": 0.5, "initial_accumulator_value": 0.1}
    got = _steps_of("Adagrad", kwargs, [1.0], _square, 2)
    assert got == [pytest.approx([w1], rel=1e-12), pytest.approx([w2], rel=1e-12)]


# ------------------------------------------------------------------ against PyTorch
def _fixed_grads(n):
    """Gradients for the parameters of SHAPES at each of ``n`` steps; the scalar's is None
    every third step, so its step count falls behind the others'."""
    rng = np.random.default_rng(1)
    return [
        [
            None if (shape == () and t % 3 == 2) else rng.standard_normal(shape, np.float32)
            for shape in SHAPES
        ]
        for t in range(n)
    ]


def _initial_weights():
    rng = np.random.default_rng(0)
    return [rng.standard_normal(shape).astype(np.float32) for shape in SHAPES]


def _run_chainrule(name, kwargs, grads, weights=None, opt_state=None):
    params = [cr.Tensor(w, requires_grad=True) for w in (weights or _initial_weights())]
    opt = getattr(optim, name)(params, **kwargs)
    if opt_state is not None:
        opt.load_state_dict(opt_state)
    for step_grads in grads:
        for p, g in zip(params, step_grads, strict=True):
            p.grad = None if g is None else cr.Tensor(g)
        opt.step()
    return params, opt


def _run_torch(torch, name, kwargs, grads):
    params = [torch.tensor(w, requires_grad=True) for w in _initial_weights()]
    opt = getattr(torch.optim, name)(params, **kwargs)
    for step_grads in grads:
        for p, g in zip(params, step_grads, strict=True):
            p.grad = None if g is None else torch.tensor(g)
        opt.step()
    return params, opt


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS, ids=CONFIG_IDS)
def test_twenty_steps_on_fixed_gradients_match_pytorch(name, kwargs):
    torch = pytest.importorskip("torch")
    grads = _fixed_grads(20)
    ours, _ = _run_chainrule(name, kwargs, grads)
    theirs, _ = _run_torch(torch, name, kwargs, grads)
    for p, q in zip(ours, theirs, strict=True):
        assert p.dtype == np.float32
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS, ids=CONFIG_IDS)
def test_twenty_steps_of_linear_regression_match_pytorch(name, kwargs):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    x = rng.standard_normal((16, 4)).astype(np.float32)
    y = rng.standard_normal((16, 3)).astype(np.float32)
    w0, b0, _ = _initial_weights()

    w, b = cr.Tensor(w0, requires_grad=True), cr.Tensor(b0, requires_grad=True)
    opt = getattr(optim, name)([w, b], **kwargs)
    tw, tb = torch.tensor(w0, requires_grad=True), torch.tensor(b0, requires_grad=True)
    topt = getattr(torch.optim, name)([tw, tb], **kwargs)
    for _ in range(20):
        opt.zero_grad()
        ((cr.Tensor(x) @ w.T + b - cr.Tensor(y)) ** 2).mean().backward()
        opt.step()
        topt.zero_grad()
        ((torch.tensor(x) @ tw.T + tb - torch.tensor(y)) ** 2).mean().backward()
        topt.step()
    np.testing.assert_allclose(w.numpy(), tw.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b.numpy(), tb.detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS, ids=CONFIG_IDS)
def test_state_dict_has_pytorchs_layout(name, kwargs):
    torch = pytest.importorskip("torch")
    grads = _fixed_grads(3)
    grads[0][1] = grads[1][1] = grads[2][1] = None  # the bias never gets a gradient
    _, opt = _run_chainrule(name, kwargs, grads)
    _, topt = _run_torch(torch, name, kwargs, grads)
    ours, theirs = opt.state_dict(), topt.state_dict()
    assert {i: sorted(s) for i, s in ours["state"].items()} == {
        i: sorted(s) for i, s in theirs["state"].items()
    }
    for i, entries in ours["state"].items():
        for key, value in entries.items():
            if key == "step":
                assert value == theirs["state"][i][key].item()
            else:
                np.testing.assert_allclose(value.numpy(), theirs["state"][i][key], rtol=1e-6)
    (group,) = ours["param_groups"]
    (tgroup,) = theirs["param_groups"]
    assert group == {k: tgroup[k] for k in group}


def test_pytorchs_state_dict_loads_and_carries_on():
    torch = pytest.importorskip("torch")
    kwargs = {"lr": 0.01, "amsgrad": True}
    grads = _fixed_grads(10)
    theirs, topt = _run_torch(torch, "Adam", kwargs, grads[:5])
    weights = [p.detach().numpy().copy() for p in theirs]
    saved = topt.state_dict()
    exp_avg = saved["state"][0]["exp_avg"].clone()
    ours, _ = _run_chainrule("Adam", kwargs, grads[5:], weights, saved)
    assert torch.equal(saved["state"][0]["exp_avg"], exp_avg)  # loading copied it
    theirs, _ = _run_torch(torch, "Adam", kwargs, grads)
    for p, q in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_param_groups_with_their_own_lr_and_momentum_match_pytorch():
    torch = pytest.importorskip("torch")
    w0, b0, _ = _initial_weights()
    gw, gb = np.full_like(w0, 0.5), np.full_like(b0, -1.0)
    w, b = cr.Tensor(w0, requires_grad=True), cr.Tensor(b0, requires_grad=True)
    opt = optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.01, "momentum": 0.9}], lr=0.1)
    tw, tb = torch.tensor(w0, requires_grad=True), torch.tensor(b0, requires_grad=True)
    topt = torch.optim.SGD([{"params": [tw]}, {"params": [tb], "lr": 0.01, "momentum": 0.9}], 0.1)
    for _ in range(5):
        w.grad, b.grad = cr.Tensor(gw), cr.Tensor(gb)
        tw.grad, tb.grad = torch.tensor(gw), torch.tensor(gb)
        opt.step()
        topt.step()
    np.testing.assert_allclose(w.numpy(), tw.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(b.numpy(), tb.detach().numpy(), rtol=1e-6)


# ------------------------------------------------------------------ behaviour
def test_param_groups_take_their_own_lr_and_the_defaults_otherwise():
    w = cr.tensor([1.0, 1.0], requires_grad=True)
    b = cr.tensor([1.0], requires_grad=True)
    opt = optim.SGD([{"params": [w]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert [g["momentum"] for g in opt.param_groups] == [0.9, 0.9]
    (w.sum() + b.sum()).backward()  # gradient 1 everywhere
    opt.step()
    assert w.tolist() == pytest.approx([0.9, 0.9])
    assert b.tolist() == pytest.approx([0.5])


def test_add_param_group_later_and_adagrad_makes_its_state_at_once():
    w = cr.tensor([1.0], requires_grad=True)
    b = cr.tensor([2.0], requires_grad=True)
    opt = optim.Adagrad([w], initial_accumulator_value=0.5)
    opt.add_param_group({"params": [b], "lr": 1.0})
    assert opt.param_groups[1]["lr"] == 1.0 and opt.param_groups[1]["lr_decay"] == 0
    state = opt.state_dict()["state"]
    assert sorted(state) == [0, 1]
    assert state[1]["step"] == 0 and state[1]["sum"].tolist() == [0.5]
    assert opt.state_dict()["param_groups"][1]["params"] == [1]


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS, ids=CONFIG_IDS)
def test_step_leaves_gradients_alone_and_state_in_the_params_dtype(name, kwargs):
    grads = _fixed_grads(3)
    params = [cr.Tensor(w, requires_grad=True) for w in _initial_weights()]
    opt = getattr(optim, name)(params, **kwargs)
    for step_grads in grads:
        for p, g in zip(params, step_grads, strict=True):
            p.grad = None if g is None else cr.Tensor(g)
        before = [None if p.grad is None else p.grad.numpy().copy() for p in params]
        opt.step()
        for p, g in zip(params, before, strict=True):
            assert (p.grad is None) if g is None else np.array_equal(p.grad.numpy(), g)
            assert p.is_leaf and p.dtype == np.float32
    for entries in opt.state.values():
        for value in entries.values():
            assert isinstance(value, int) or value.dtype == np.float32


def test_parameters_without_a_gradient_are_skipped():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    frozen = cr.tensor([3.0], requires_grad=True)
    opt = optim.Adam([w, frozen], lr=0.1)
    (w * w).sum().backward()
    opt.step()
    assert frozen.tolist() == [3.0] and frozen not in opt.state
    assert opt.state[w]["step"] == 1
    assert list(opt.state_dict()["state"]) == [0]


def test_zero_grad_sets_to_none_or_zeroes():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * 3).sum().backward()
    grad = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is grad and w.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert w.grad is None
    opt.step()  # no gradient: nothing moves
    assert w.tolist() == [1.0, 2.0]


def test_step_with_a_closure_returns_its_loss():
    w = cr.tensor([1.0, -1.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with cr.no_grad():  # the closure still records its graph, as in PyTorch
        loss = opt.step(closure)
    assert loss.item() == 2.0
    assert w.tolist() == [0.5, -0.5]


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS, ids=CONFIG_IDS)
def test_state_dict_round_trip_resumes_exactly(name, kwargs):
    grads = _fixed_grads(10)
    straight, _ = _run_chainrule(name, kwargs, grads)
    first, opt = _run_chainrule(name, kwargs, grads[:5])
    saved = opt.state_dict()
    weights = [p.numpy().copy() for p in first]
    first[0].grad = cr.Tensor(grads[0][0])
    opt.step()  # the saving optimizer's later steps change nothing saved
    for _ in range(2):  # loading copies: resuming changes nothing saved either
        resumed, _ = _run_chainrule(name, kwargs, grads[5:], weights, saved)
        for p, q in zip(resumed, straight, strict=True):
            np.testing.assert_array_equal(p.numpy(), q.numpy())


def test_load_state_dict_takes_the_saved_hyperparameters():
    w = cr.tensor([1.0], requires_grad=True)
    saved = optim.SGD([w], lr=0.5, momentum=0.9).state_dict()
    opt = optim.SGD([w], lr=0.1)
    opt.load_state_dict(saved)
    assert opt.param_groups[0]["lr"] == 0.5 and opt.param_groups[0]["momentum"] == 0.9
    assert opt.param_groups[0]["params"][0] is w


def test_repr_lists_each_group():
    w = cr.tensor([1.0], requires_grad=True)
    text = repr(optim.SGD([w], lr=0.5))
    assert text.startswith("SGD (\nParameter Group 0\n") and "    lr: 0.5\n" in text


# ------------------------------------------------------------------ lr schedulers
def _lrs(make_scheduler, epochs, lrs=(0.1, 0.02)):
    w, b = cr.tensor([1.0], requires_grad=True), cr.tensor([1.0], requires_grad=True)
    opt = optim.SGD([{"params": [w], "lr": lrs[0]}, {"params": [b], "lr": lrs[1]}])
    scheduler = make_scheduler(opt)
    seen = [scheduler.get_last_lr()]
    for _ in range(epochs):
        opt.step()
        scheduler.step()
        seen.append(scheduler.get_last_lr())
        assert seen[-1] == [g["lr"] for g in opt.param_groups]
    return seen


def _torch_lrs(torch, make_scheduler, epochs, lrs=(0.1, 0.02)):
    w, b = torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([{"params": [w], "lr": lrs[0]}, {"params": [b], "lr": lrs[1]}])
    scheduler = make_scheduler(opt)
    seen = [scheduler.get_last_lr()]
    for _ in range(epochs):
        opt.step()
        scheduler.step()
        seen.append(scheduler.get_last_lr())
    return seen


def test_step_lr_by_hand():
    seen = _lrs(lambda opt: StepLR(opt, step_size=2, gamma=0.5), 5)
    expected = [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]  # 0.1 * 0.5 ** (epoch // 2)
    assert [lr for lr, _ in seen] == pytest.approx(expected, rel=1e-15)
    assert [lr for _, lr in seen] == pytest.approx([lr / 5 for lr in expected], rel=1e-15)


def test_cosine_annealing_by_hand():
    seen = _lrs(lambda opt: CosineAnnealingLR(opt, T_max=4, eta_min=0.02), 8)
    # 0.02 + 0.08 * (1 + cos(pi * epoch / 4)) / 2: down to eta_min at 4, back up by 8
    root = math.sqrt(2) / 2
    expected = [0.1, 0.02 + 0.04 * (1 + root), 0.06, 0.02 + 0.04 * (1 - root), 0.02]
    expected += expected[-2::-1]
    assert [lr for lr, _ in seen] == pytest.approx(expected, rel=1e-12)
    assert [lr for _, lr in seen] == pytest.approx([0.02] * 9, rel=1e-12)  # eta_min = initial


@pytest.mark.parametrize(
    "make",
    [
        lambda m, opt: m.StepLR(opt, step_size=3, gamma=0.3),
        lambda m, opt: m.CosineAnnealingLR(opt, T_max=10),
        lambda m, opt: m.CosineAnnealingLR(opt, T_max=7, eta_min=0.001),
    ],
    ids=["StepLR", "CosineAnnealingLR", "CosineAnnealingLR-eta_min"],
)
def test_schedulers_match_pytorch_epoch_by_epoch(make):
    torch = pytest.importorskip("torch")
    ours = _lrs(lambda opt: make(optim.lr_scheduler, opt), 25)
    theirs = _torch_lrs(torch, lambda opt: make(torch.optim.lr_scheduler, opt), 25)
    assert ours == [pytest.approx(lrs, rel=1e-10, abs=1e-15) for lrs in theirs]


@pytest.mark.parametrize(
    "make",
    [lambda opt: StepLR(opt, step_size=2, gamma=0.5), lambda opt: CosineAnnealingLR(opt, 6)],
    ids=["StepLR", "CosineAnnealingLR"],
)
def test_scheduler_state_dict_resumes(make):
    straight = _lrs(make, 8)
    w = cr.tensor([1.0], requires_grad=True)
    b = cr.tensor([1.0], requires_grad=True)
    opt = optim.SGD([{"params": [w], "lr": 0.1}, {"params": [b], "lr": 0.02}])
    scheduler = make(opt)
    for _ in range(3):
        scheduler.step()
    saved_opt, saved = opt.state_dict(), scheduler.state_dict()
    assert saved["last_epoch"] == 3 and saved_opt["param_groups"][0]["initial_lr"] == 0.1

    opt = optim.SGD([{"params": [w], "lr": 0.1}, {"params": [b], "lr": 0.02}])
    opt.load_state_dict(saved_opt)
    scheduler = make(opt)
    scheduler.load_state_dict(saved)
    assert scheduler.last_epoch == 3 and scheduler.get_last_lr() == straight[3]
    assert [g["lr"] for g in opt.param_groups] == straight[3]
    for epoch in range(4, 9):
        scheduler.step()
        assert scheduler.get_last_lr() == pytest.approx(straight[epoch], rel=1e-15)


def test_scheduler_sets_initial_lr_and_resumes_only_with_it():
    w = cr.tensor([1.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    with pytest.raises(KeyError, match="initial_lr"):
        StepLR(opt, step_size=1, last_epoch=4)
    StepLR(opt, step_size=1)
    assert opt.param_groups[0]["initial_lr"] == 0.1
    scheduler = StepLR(opt, step_size=2, last_epoch=4)  # epoch 5 now: lr unchanged
    assert scheduler.last_epoch == 5 and scheduler.get_last_lr() == [0.1]


# ------------------------------------------------------------------ errors
def _w():
    return cr.tensor([1.0, 2.0], requires_grad=True)


BAD_CALLS = [
    (lambda: optim.SGD([], lr=0.1), ValueError, "empty parameter list"),
    (lambda: optim.SGD(_w(), lr=0.1), TypeError, r"not one Tensor; pass \[tensor\]"),
    (lambda: optim.SGD({_w()}, lr=0.1), TypeError, "a set has none"),
    (lambda: optim.SGD([[1.0, 2.0]]), TypeError, "can only optimize tensors.*list"),
    (lambda: optim.SGD([_w() * 2]), ValueError, "non-leaf"),
    (lambda: optim.SGD([cr.tensor([1, 2])]), TypeError, "floating-point.*int64"),
    (lambda: optim.SGD([{"lr": 0.1}]), TypeError, "'params' key"),
    (lambda: optim.SGD([{"params": []}]), ValueError, "group with no parameters"),
    (lambda: (w := _w(), optim.SGD([w, w])), ValueError, "more than once"),
    (lambda: optim.SGD([_w()], lr=-0.1), ValueError, "SGD: lr must be a number >= 0, got -0.1"),
    (lambda: optim.SGD([_w()], lr="0.1"), ValueError, "lr must be a number >= 0, got '0.1'"),
    (lambda: optim.SGD([_w()], lr=math.nan), ValueError, "lr must be a number >= 0, got nan"),
    (lambda: optim.SGD([{"params": [_w()], "lr": -1}]), ValueError, "lr must be"),
    (lambda: optim.SGD([_w()], momentum=-0.9), ValueError, "momentum must be"),
    (lambda: optim.SGD([_w()], nesterov=True), ValueError, "nesterov=True needs momentum > 0"),
    (lambda: optim.SGD([_w()], 0.1, 0.9, 0.1, nesterov=True), ValueError, "dampening = 0"),
    (lambda: optim.Adam([_w()], betas=(0.9, 1.0)), ValueError, r"betas must be .* \[0, 1\)"),
    (lambda: optim.Adam([_w()], betas=0.9), ValueError, "betas must be two numbers"),
    (lambda: optim.AdamW([_w()], eps=-1e-8), ValueError, "AdamW: eps must be"),
    (lambda: optim.AdamW([_w()], weight_decay=-0.01), ValueError, "weight_decay must be"),
    (lambda: optim.RMSprop([_w()], alpha=-0.5), ValueError, "RMSprop: alpha must be"),
    (lambda: optim.Adagrad([_w()], lr_decay=-1), ValueError, "Adagrad: lr_decay must be"),
    (lambda: StepLR(optim.SGD([_w()]), step_size=0), ValueError, "step_size must be"),
    (lambda: CosineAnnealingLR(optim.SGD([_w()]), T_max=0), ValueError, "T_max must be"),
    (lambda: StepLR("sgd", step_size=1), TypeError, "needs an Optimizer, got str"),
]


@pytest.mark.parametrize(("call", "error", "match"), BAD_CALLS, ids=[m for *_, m in BAD_CALLS])
def test_bad_arguments_raise_one_clear_line(call, error, match):
    with pytest.raises(error, match=match) as info:
        call()
    assert len(str(info.value).splitlines()) == 1


def test_a_gradient_of_the_wrong_shape_is_a_clear_error():
    w = _w()
    opt = optim.SGD([w], lr=0.1)
    w.grad = cr.tensor([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"shape \(2,\) has a gradient of shape \(3,\)"):
        opt.step()


def _adam_after_one_step(*shapes):
    params = [cr.zeros(*shape, requires_grad=True) for shape in shapes]
    opt = optim.Adam(params, lr=0.1)
    sum(p.sum() for p in params).backward()
    opt.step()
    return opt


def _sgd_momentum_after_one_step():
    w = _w()
    opt = optim.SGD([w], momentum=0.9)
    w.sum().backward()
    opt.step()
    return opt.state_dict()


@pytest.mark.parametrize(
    ("saved", "match"),
    [
        (lambda: [], "needs a dict with keys 'state' and 'param_groups'"),
        (
            lambda: {"state": {}, "param_groups": []},
            "has 0 parameter groups, and this Adam has 1",
        ),
        (
            lambda: _adam_after_one_step((2,), (3,)).state_dict(),
            "group 0 has 2 parameters .* and 1",
        ),
        (
            lambda: _adam_after_one_step((3,)).state_dict(),
            r"'exp_avg' of parameter 0 has shape \(3,\)",
        ),
        (_sgd_momentum_after_one_step, "lacks 'step', 'exp_avg'"),
        (
            lambda: {"state": {5: {}}, "param_groups": [{"params": [0]}]},
            "state for parameter 5, which none",
        ),
        (
            lambda: {"state": {}, "param_groups": [{"params": [0], "lr": -1.0}]},
            "Adam: lr must be a number >= 0, got -1.0",
        ),
    ],
    ids=["not-a-dict", "groups", "params", "shape", "other-optimizer", "index", "lr"],
)
def test_load_state_dict_rejects_a_mismatch_and_changes_nothing(saved, match):
    opt = _adam_after_one_step((2,))
    before = opt.state_dict()
    with pytest.raises(ValueError, match=match) as info:
        opt.load_state_dict(saved())
    assert len(str(info.value).splitlines()) == 1
    after = opt.state_dict()
    assert after["param_groups"] == before["param_groups"]
    assert after["state"][0]["exp_avg"].tolist() == before["state"][0]["exp_avg"].tolist()


def test_scheduler_load_state_dict_rejects_another_schedulers_state():
    opt = optim.SGD([_w()], lr=0.1)
    saved = StepLR(opt, step_size=2).state_dict()
    with pytest.raises(ValueError, match="saved by another scheduler"):
        CosineAnnealingLR(opt, T_max=5).load_state_dict(saved)
