"""``cr.compile``: a replayed training step is eager's bit for bit, step after step, for small
networks of every activation, loss and optimizer it replays, in float32 and float64, with a
smaller last batch and with dropout; and for the speed suite's workloads."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from side_by_side import batches_of, side_by_side, training_step

import chainrule as cr
from chainrule import Function, nn, optim

ACTIVATIONS = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU, "leaky_relu": nn.LeakyReLU}
LOSSES = {
    # name: (the loss, the output layer's nonlinearity, outputs, targets from labels)
    "mse": (nn.MSELoss, None, 3, lambda labels: np.eye(3, dtype=np.float32)[labels]),
    "ce": (nn.CrossEntropyLoss, None, 3, lambda labels: labels),
    "ce_sum": (
        lambda: nn.CrossEntropyLoss(reduction="sum"),
        None,
        3,
        lambda labels: labels,
    ),
    "bce": (nn.BCELoss, nn.Sigmoid, 1, lambda labels: (labels % 2).astype(np.float32)[:, None]),
    "bce_logits": (
        nn.BCEWithLogitsLoss,
        None,
        1,
        lambda labels: (labels % 2).astype(np.float32)[:, None],
    ),
}
OPTIMIZERS = {
    "sgd": lambda p: optim.SGD(p, lr=0.1),
    "sgd_momentum": lambda p: optim.SGD(p, lr=0.05, momentum=0.9),
    "sgd_weight_decay": lambda p: optim.SGD(p, lr=0.1, weight_decay=0.01),
    "sgd_nesterov_decay": lambda p: optim.SGD(
        p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3
    ),
    "sgd_dampening_maximize": lambda p: optim.SGD(
        p, lr=0.01, momentum=0.5, dampening=0.2, maximize=True
    ),
    "adam": lambda p: optim.Adam(p, lr=0.01),
    "adam_decay_amsgrad": lambda p: optim.Adam(p, lr=0.01, weight_decay=0.01, amsgrad=True),
    "adamw": lambda p: optim.AdamW(p, lr=0.01, betas=(0.8, 0.99)),
}


def _data(loss: str, dtype: type, samples: int = 23) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(samples, 5)).astype(dtype)
    labels = rng.integers(0, 3, size=samples)
    targets = LOSSES[loss][3](labels)
    return x, targets.astype(dtype) if targets.dtype.kind == "f" else targets


def _builder(activation: str, loss: str, optimizer: str, dtype: type, dropout: float = 0.0):
    make_loss, last, outputs, _ = LOSSES[loss]

    def build() -> tuple:
        cr.manual_seed(3)
        layers = [nn.Linear(5, 7), ACTIVATIONS[activation]()]
        layers += [nn.Dropout(dropout)] if dropout else []
        layers += [nn.Linear(7, 6), ACTIVATIONS[activation](), nn.Linear(6, outputs)]
        layers += [last()] if last else []
        model = nn.Sequential(*layers).to(dtype=dtype)
        return model, OPTIMIZERS[optimizer](model.parameters()), make_loss()

    return build


# Every activation with every loss, the optimizers and dtypes taking turns among them.
CASES = [
    (activation, loss, optimizer, dtype)
    for (activation, loss), optimizer, dtype in zip(
        itertools.product(ACTIVATIONS, LOSSES),
        itertools.cycle(OPTIMIZERS),
        itertools.cycle([np.float32, np.float32, np.float64]),
        strict=False,
    )
]


@pytest.mark.parametrize(("activation", "loss", "optimizer", "dtype"), CASES)
def test_a_replayed_mlp_is_eager_bit_for_bit_after_every_step(activation, loss, optimizer, dtype):
    x, t = _data(loss, dtype)
    build = _builder(activation, loss, optimizer, dtype)
    compiled = side_by_side(build, training_step, batches_of(x, t, size=5, epochs=3))
    assert compiled.eager_reason is None
    assert compiled.signatures >= 2  # batches of 5, and the last one of 3


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_optimizer_replays_bit_for_bit_in_both_dtypes(optimizer, dtype):
    x, t = _data("mse", dtype)
    build = _builder("sigmoid", "mse", optimizer, dtype)
    compiled = side_by_side(build, training_step, batches_of(x, t, size=5, epochs=3))
    assert compiled.eager_reason is None


@pytest.mark.parametrize(
    ("activation", "loss"), [("relu", "ce"), ("tanh", "mse"), ("sigmoid", "bce")]
)
def test_dropout_draws_the_masks_eager_draws(activation, loss):
    x, t = _data(loss, np.float32)
    build = _builder(activation, loss, "sgd_momentum", np.float32, dropout=0.4)
    cr.manual_seed(11)
    compiled = side_by_side(build, training_step, batches_of(x, t, size=5, epochs=3))
    assert compiled.eager_reason is None


def test_the_masks_change_from_step_to_step():
    layer = nn.Dropout(0.5)
    drop = cr.compile(lambda x: layer(x) * 1.0)
    x = cr.ones(64)
    masks = {drop(x).numpy().tobytes() for _ in range(5)}
    assert len(masks) == 5


@pytest.mark.parametrize("key", ["a", "b", "c", "e"])
def test_the_speed_suites_workloads_replay_bit_for_bit(key):
    from speed import chainrule_version
    from speed.inputs import make_problem
    from speed.workloads import WORKLOADS

    workload = WORKLOADS[key]
    problem = make_problem(workload, workload.batch * 4 + 2)  # XOR: whole batches of 4
    batches = [tuple(b) for b in chainrule_version.prepare_data(workload, problem)]
    compiled = side_by_side(
        lambda: chainrule_version.build(workload, problem), training_step, batches * 2
    )
    assert compiled.eager_reason is None


def test_a_replay_runs_no_op_of_the_engine(monkeypatch):
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.CrossEntropyLoss()
    step = cr.compile(lambda x, t: training_step((model, optimizer, loss_fn), x, t))
    x, t = cr.randn(6, 4), cr.tensor([0, 1, 2, 0, 1, 2])
    step(x, t)  # the capture runs eagerly
    calls = []
    apply = Function.apply.__func__
    monkeypatch.setattr(
        Function, "apply", classmethod(lambda cls, *a: calls.append(cls) or apply(cls, *a))
    )
    losses = [step(x, t) for _ in range(5)]
    assert calls == []
    assert len({loss.item() for loss in losses}) == 5  # and it trains: each loss is lower
    assert losses[-1].item() < losses[0].item()
    model(x)  # the counter counts
    assert calls


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_a_linear_layer_fused_with_its_activation_is_replayed_by_its_form(activation, monkeypatch):
    # Sequential runs Linear + activation as one op (ops.linear.LinearActivation); its replay
    # writes the two halves' NumPy calls, and never calls the fused op's forward or backward.
    from chainrule.ops.linear import LinearActivation

    (fused,) = [
        cls
        for cls in LinearActivation.__subclasses__()
        if cls.activation.__name__ == ACTIVATIONS[activation].__name__
    ]
    x, t = _data("ce", np.float32)
    state = _builder(activation, "ce", "adam", np.float32)()
    step = cr.compile(lambda x, t: training_step(state, x, t))
    x, t = cr.tensor(x[:5]), cr.tensor(t[:5])
    step(x, t)  # eager: Adam has no state to capture yet
    step(x, t)
    assert step.eager_reason is None and step.signatures == 1  # captured, eagerly

    def refuse(*args):
        raise AssertionError("the fused op was called, not replayed by its form")

    monkeypatch.setattr(fused, "forward", refuse)
    monkeypatch.setattr(fused, "backward", refuse)
    losses = [step(x, t).item() for _ in range(4)]
    assert losses == sorted(losses, reverse=True) and len(set(losses)) == 4
    with pytest.raises(AssertionError, match="was called"):
        state[0](x)  # the patch is in place: eager calls it


def test_the_returned_loss_is_a_0d_tensor_that_is_not_in_a_graph():
    model = nn.Linear(3, 1)
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    step = cr.compile(lambda x, t: training_step((model, optimizer, nn.MSELoss()), x, t))
    x, t = cr.randn(4, 3), cr.randn(4, 1)
    first, second, third = step(x, t), step(x, t), step(x, t)
    assert first.grad_fn is not None  # the capture's is eager's own
    assert second.shape == () and second.dtype == cr.float32 and second.grad_fn is None
    assert not second.requires_grad
    assert second.item() != third.item()  # each call's loss a tensor of its own


def test_a_custom_function_that_says_it_may_be_called_is_replayed():
    class Cube(Function):
        replay_by_call = True

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x * x * g

    def build():
        cr.manual_seed(5)
        model = nn.Linear(3, 2)
        return (
            model,
            optim.SGD(model.parameters(), lr=0.01),
            lambda y, t: ((Cube.apply(y) - t) ** 2).mean(),
        )

    x, t = cr.randn(8, 3), cr.randn(8, 2)
    compiled = side_by_side(build, training_step, [(x, t)] * 5)
    assert compiled.eager_reason is None


@pytest.mark.usefixtures("fake_gpu")
@pytest.mark.parametrize("optimizer", ["sgd_momentum", "adam_decay_amsgrad", "sgd"])
def test_a_step_on_a_gpu_replays_through_its_array_module(optimizer):
    x, t = _data("ce", np.float32)
    cpu_build = _builder("relu", "ce", optimizer, np.float32, dropout=0.3)

    def build():
        model, _, loss_fn = cpu_build()
        model.to("cuda")
        return model, OPTIMIZERS[optimizer](model.parameters()), loss_fn

    batches = [(a.to("cuda"), b.to("cuda")) for a, b in batches_of(x, t, size=5, epochs=3)]
    compiled = side_by_side(build, training_step, batches)
    assert compiled.eager_reason is None
    assert type(compiled._entries[0].stores[0].chunks[0].params).__module__ == "fake_cupy"


@pytest.mark.parametrize("context", ["numpy's error state", "np.errstate"])
def test_a_sigmoid_that_overflows_is_silent_and_the_error_state_comes_back(context, monkeypatch):
    # exp(-x) overflows to inf for x < -89 in float32, and the sigmoid is then exactly 0, with
    # no warning (warnings are errors in this suite), as eager; the replay silences it with
    # NumPy's error state set and reset directly, or with np.errstate where that is missing
    # (and so does eager, run beside it: chainrule._fpstate serves both).
    from chainrule import _fpstate

    if context == "np.errstate":
        monkeypatch.setattr(_fpstate, "ERROR_STATE", None)
    x = np.array([[-1000.0, 2.0], [3.0, -500.0], [0.5, 0.25]], dtype=np.float32)
    t = np.array([[1.0], [0.0], [1.0]], dtype=np.float32)

    def build() -> tuple:
        cr.manual_seed(2)
        model = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid(), nn.Linear(3, 1), nn.Sigmoid())
        return model, optim.SGD(model.parameters(), lr=0.5), nn.MSELoss()

    before = np.geterr()
    compiled = side_by_side(build, training_step, [(cr.tensor(x), cr.tensor(t))] * 4)
    assert compiled.eager_reason is None
    assert np.geterr() == before
    source = compiled._entries[0].source
    assert ("errstate" in source.lower()) == (context == "np.errstate")
