"""The differential test: chainrule against PyTorch on random programs and optimizer runs.

Random programs (``differential.py``: every op of its table, with broadcasting, Python
numbers, 0-d and empty tensors, every dtype, indexing of every kind, losses, in-place ops)
run in both libraries; each value's shape, dtype and numbers, and each leaf's gradient,
must agree, and where one library raises the other must too (chainrule's refusals are
allowed only where ``differential.DELIBERATE`` lists them). Optimizers run 30 steps on a
small model from the same weights and data, with schedulers alone, chained, and with the
lr changed by hand, and must agree at every step.

The normal suite runs 2,000 programs and 84 optimizer runs. For a long run, set the
number of programs (the random optimizer runs grow with it), and the first seed to start
elsewhere::

    CHAINRULE_FUZZ_EXAMPLES=20000 CHAINRULE_FUZZ_SEED=100000 \\
        python -m pytest tests/engine/test_torch_differential.py

A failure prints the smallest program of each kind of discrepancy; rerun one with
``python tests/differential.py SEED``. See docs/DIFFERENTIAL.md.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason="the differential test compares chainrule with PyTorch, not installed here"
)

import chainrule as cr  # noqa: E402
import differential  # noqa: E402
from chainrule import nn, optim  # noqa: E402
from differential import Program, Statement  # noqa: E402

EXAMPLES = int(os.environ.get("CHAINRULE_FUZZ_EXAMPLES", "0"))
PROGRAMS = EXAMPLES or 2000
FIRST_SEED = int(os.environ.get("CHAINRULE_FUZZ_SEED", "0"))


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """PyTorch on one thread: its ops here are tiny, and threads only wait for each other
    (several times slower on a busy two-core machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# ----------------------------------------------------------------------------- programs
@pytest.fixture(scope="module")
def survey() -> differential.Survey:
    return differential.survey(range(FIRST_SEED, FIRST_SEED + PROGRAMS), shrink_seconds=8)


def test_random_programs_match_pytorch(survey):
    assert not survey.categories, survey.text()


def test_every_op_of_the_table_runs(survey):
    """An op PyTorch never runs is a broken line of the table, not a tested op (unless it is
    there to be refused)."""
    rare = [op.name for op in differential.OPS if survey.drawn[op.name] < 3]
    broken = [op.name for op in differential.OPS if (survey.ran[op.name] > 0) == op.refused]
    assert not rare, f"ops drawn fewer than 3 times in {survey.programs} programs: {rare}"
    assert not broken, f"ops PyTorch never ran (or ran, though listed as refused): {broken}"


def test_a_seed_gives_the_same_program():
    assert differential.generate(12345) == differential.generate(12345)
    assert differential.generate(12345) != differential.generate(12346)


# The comparison itself, on programs whose chainrule line is wrong on purpose.
def _program(*lines: str | tuple[str, str]) -> Program:
    statements = []
    for i, line in enumerate(lines):
        ours, theirs = line if isinstance(line, tuple) else (line, line)
        target = ours.partition(" = ")[0]
        uses = tuple(f"x{k}" for k in range(i) if f"x{k}" in ours.partition(" = ")[2])
        statements.append(Statement(ours, theirs, target, f"line{i}", uses))
    return Program(0, tuple(statements))


X0 = "x0 = lib.tensor([[0.5, -1.25, 2.0], [1.5, 0.25, -0.75]], requires_grad=True)"


@pytest.mark.parametrize(
    ("wrong", "kind"),
    [
        (("x1 = x0 * 2.001", "x1 = x0 * 2"), "values"),
        (("x1 = x0.double()", "x1 = x0.float()"), "dtype"),
        (("x1 = x0[:, None]", "x1 = x0[None]"), "shape"),
        (("x1 = x0.detach() * 2", "x1 = x0 * 2"), "requires_grad"),
        (("x1 = x0.no_such_method()", "x1 = x0 * 2"), "raises only in chainrule"),
        (("x1 = x0 * 2", "x1 = x0.no_such_method()"), "raises only in PyTorch"),
        (("x1 = x0 * x0.detach()", "x1 = x0 * x0"), "gradient"),
        (("x1 = x0.nothing()", "x1 = x0.reshape(7)"), "chainrule crashes where PyTorch refuses"),
        (
            ("x1 = x0 * 2; __import__('warnings').warn('hm')", "x1 = x0 * 2"),
            "warns only in chainrule",
        ),
    ],
)
def test_the_comparison_catches(wrong, kind):
    found, _ = differential.run(_program(X0, wrong))
    assert found is not None and found.kind == kind, found


def test_agreement_errors_on_both_sides_and_numpys_warnings_pass():
    program = _program(
        X0,
        "x1 = (x0.exp().sum(1) * x0[0]).detach()",
        "x2 = x0.reshape(7)",
        "x3 = (x0 / 0).detach()",  # NumPy warns of the division by zero; PyTorch does not
    )
    assert differential.run(program)[0] is None


def test_a_deliberate_refusal_is_agreement_and_ends_the_program():
    program = _program(X0, "x1 = F.mse_loss(x0, lib.zeros(3), reduction='sum')", "x2 = x0 * 2")
    found, lines = differential.run(program)
    assert found is not None and found.kind == "raises only in chainrule"
    first, refused, last = program.statements
    mse_loss = (first, replace(refused, op="mse_loss"), last)
    found, lines = differential.run(replace(program, statements=mse_loss))
    assert found is None and lines == list(mse_loss[:2])
    error = ValueError("mse_loss: ... they must match")
    entry = differential._deliberate("chainrule", "mse_loss", error)
    assert entry is not None and entry.reason


def test_shrinking_keeps_only_the_lines_that_show_it():
    program = _program(
        X0,
        "x1 = lib.tensor([1.0, 2.0])",
        "x2 = x0.exp()",
        ("x3 = x2.sum(0) * 2.001", "x3 = x2.sum(0) * 2"),
        "x4 = x3 + x1.sum()",
    )
    found, _ = differential.run(program)
    shrunk = differential.shrink(program, found.key)
    assert [s.target for s in shrunk.statements] == ["x0", "x2", "x3"]


def test_every_deliberate_difference_says_why():
    for entry in differential.DELIBERATE:
        assert entry.library in differential.LIBRARIES and entry.reason and entry.says


# ----------------------------------------------------------------------------- optimizers
STEPS = 30
OPTIMIZERS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.2}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.1, "maximize": True}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.02, "betas": (0.8, 0.95), "weight_decay": 0.05, "amsgrad": True}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.02, "weight_decay": 0.1, "amsgrad": True, "eps": 1e-6}),
    ("RMSprop", {"lr": 0.01}),
    (
        "RMSprop",
        {"lr": 0.01, "alpha": 0.9, "momentum": 0.5, "centered": True, "weight_decay": 0.01},
    ),
    ("Adagrad", {"lr": 0.1}),
    (
        "Adagrad",
        {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.01, "initial_accumulator_value": 0.1},
    ),
]

Schedule = Callable[[Any, Any], list[Any]]
SCHEDULES: dict[str, Schedule] = {
    "none": lambda m, opt: [],
    "StepLR": lambda m, opt: [m.StepLR(opt, step_size=4, gamma=0.5)],
    "CosineAnnealingLR": lambda m, opt: [m.CosineAnnealingLR(opt, T_max=12, eta_min=0.001)],
    "StepLR+CosineAnnealingLR": lambda m, opt: [
        m.StepLR(opt, step_size=5, gamma=0.5),
        m.CosineAnnealingLR(opt, T_max=10),
    ],
}


def _models(seed: int) -> tuple[Any, Any]:
    """One small network in both libraries, with the same float64 weights."""
    torch.manual_seed(seed)
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 3))
    theirs = theirs.double()
    ours = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 3)).double()
    for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
        p.data[...] = q.detach().numpy()
    return ours, theirs


def _groups(model: Any, lr: float) -> list[dict[str, Any]]:
    """Two parameter groups: the first layer at ``lr``, the rest at half of it."""
    params = list(model.parameters())
    return [{"params": params[:2]}, {"params": params[2:], "lr": lr / 2}]


def _trajectory(
    name: str, kwargs: dict[str, Any], schedule: str, by_hand: int | None, seed: int
) -> None:
    """Run ``STEPS`` steps in both libraries and compare parameters and lrs after each.

    Each step draws a batch, steps the optimizer, then each scheduler; at step ``by_hand``
    every group's lr is halved by hand first."""
    ours, theirs = _models(seed)
    opt = getattr(optim, name)(_groups(ours, kwargs["lr"]), **kwargs)
    topt = getattr(torch.optim, name)(_groups(theirs, kwargs["lr"]), **kwargs)
    schedulers = SCHEDULES[schedule](optim.lr_scheduler, opt)
    tschedulers = SCHEDULES[schedule](torch.optim.lr_scheduler, topt)
    rng = np.random.default_rng(seed)
    for step in range(STEPS):
        x, labels = rng.standard_normal((8, 4)), rng.integers(0, 3, 8)
        if step == by_hand:
            for group in [*opt.param_groups, *topt.param_groups]:
                group["lr"] *= 0.5
        opt.zero_grad()
        cr.functional.cross_entropy(ours(cr.tensor(x)), cr.tensor(labels)).backward()
        opt.step()
        topt.zero_grad()
        torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor(labels)).backward()
        topt.step()
        for s, t in zip(schedulers, tschedulers, strict=True):
            s.step()
            t.step()
        where = f"{name}{kwargs} with {schedule}, lr halved by hand at {by_hand}, step {step}"
        lrs = [g["lr"] for g in opt.param_groups]
        assert lrs == pytest.approx([g["lr"] for g in topt.param_groups], rel=1e-12), where
        for s, t in zip(schedulers, tschedulers, strict=True):
            assert s.get_last_lr() == pytest.approx(t.get_last_lr(), rel=1e-12), where
        for i, (p, q) in enumerate(zip(ours.parameters(), theirs.parameters(), strict=True)):
            np.testing.assert_allclose(
                p.numpy(), q.detach().numpy(), rtol=1e-8, atol=1e-10, err_msg=f"{where}, p{i}"
            )


@pytest.mark.parametrize("schedule", SCHEDULES)
@pytest.mark.parametrize(("name", "kwargs"), OPTIMIZERS, ids=[n for n, _ in OPTIMIZERS])
def test_optimizer_trajectory_matches_pytorch(name, kwargs, schedule):
    _trajectory(name, kwargs, schedule, by_hand=None, seed=0)


@pytest.mark.parametrize("schedule", SCHEDULES)
@pytest.mark.parametrize(("name", "kwargs"), OPTIMIZERS[::3], ids=[n for n, _ in OPTIMIZERS[::3]])
def test_optimizer_trajectory_with_lr_changed_by_hand_matches_pytorch(name, kwargs, schedule):
    _trajectory(name, kwargs, schedule, by_hand=13, seed=1)


def _random_run(seed: int) -> tuple[str, dict[str, Any], str, int | None]:
    """An optimizer of the table with its hyperparameters redrawn, a schedule, and maybe a
    step at which the lr is changed by hand."""
    rng = random.Random(seed)
    name, kwargs = rng.choice(OPTIMIZERS)
    redraw = {
        "momentum": lambda: rng.uniform(0.1, 0.95),
        "dampening": lambda: rng.uniform(0, 0.5),
        "alpha": lambda: rng.uniform(0.8, 0.99),
        "betas": lambda: (rng.uniform(0.5, 0.95), rng.uniform(0.9, 0.999)),
    }
    kwargs = {
        k: redraw[k]() if k in redraw else v * rng.uniform(0.5, 2) if type(v) is float else v
        for k, v in kwargs.items()
    }
    return name, kwargs, rng.choice(list(SCHEDULES)), rng.choice([None, rng.randrange(STEPS)])


@pytest.mark.parametrize("seed", range(FIRST_SEED, FIRST_SEED + max(PROGRAMS // 100, 8)))
def test_random_optimizer_runs_match_pytorch(seed):
    name, kwargs, schedule, by_hand = _random_run(seed)
    _trajectory(name, kwargs, schedule, by_hand, seed)
