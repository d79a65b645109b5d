"""``cr.compile``'s guards: what changes between calls is seen (a scheduler's lr, ``eval()``,
a rebound parameter, a loaded state dict, eager steps in between), what a replay could not
repeat makes the function run eagerly with a warning that says why (a tensor's value read,
a hook, an op or optimizer without a replay form, work outside the ops), and ``check=N``
and the check at capture catch a replay form that is off by one bit."""

from __future__ import annotations

import numpy as np
import pytest
from side_by_side import batches_of, bits, side_by_side, training_step

import chainrule as cr
import chainrule.functional as F
from chainrule import CompileWarning, Function, ReplayMismatch, nn, optim
from chainrule.ops.activation import Sigmoid
from chainrule.optim.lr_scheduler import StepLR


def _data(samples: int = 20, dtype: type = np.float32) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    return rng.normal(size=(samples, 4)).astype(dtype), rng.integers(0, 3, size=samples)


def _build(optimizer=lambda p: optim.SGD(p, lr=0.1, momentum=0.9), dropout: float = 0.0):
    def build() -> tuple:
        cr.manual_seed(2)
        layers = [nn.Linear(4, 8), nn.Sigmoid()]
        layers += [nn.Dropout(dropout)] if dropout else []
        model = nn.Sequential(*layers, nn.Linear(8, 3))
        return model, optimizer(model.parameters()), nn.CrossEntropyLoss()

    return build


BATCHES = batches_of(*_data(), size=6, epochs=3)


# ---------------------------------------------------------------------------- what is seen


def test_a_scheduler_sets_the_lr_each_replay_uses():
    def build():
        model, optimizer, loss_fn = _build()()
        return model, optimizer, loss_fn, StepLR(optimizer, step_size=2, gamma=0.5)

    compiled = side_by_side(build, training_step, BATCHES, between=lambda i, s: s[3].step())
    assert compiled.eager_reason is None
    assert compiled._captures <= 3  # the first step, then full and last batches: no lr's


def test_eval_and_train_switch_between_captures():
    def switch(i, state):
        state[0].train(i % 4 >= 2)  # two steps in eval (no dropout), two in training

    compiled = side_by_side(_build(dropout=0.5), training_step, BATCHES, between=switch)
    assert compiled.eager_reason is None


def test_a_rebound_parameter_is_followed():
    def rebind(i, state):
        if i % 3 == 1:
            for p in state[0].parameters():
                p.data = p.data * 0.5  # a new array

    compiled = side_by_side(_build(), training_step, BATCHES, between=rebind)
    assert compiled.eager_reason is None
    assert compiled._captures <= 4  # followed without capturing again


def test_load_state_dict_of_model_and_optimizer_is_followed():
    saved = {}

    def reload(i, state):
        model, optimizer = state[:2]
        if i == 2:
            weights = {name: value.clone() for name, value in model.state_dict().items()}
            saved[id(model)] = weights, optimizer.state_dict()
        if i == 6:
            model_state, optimizer_state = saved[id(model)]
            model.load_state_dict(model_state)
            optimizer.load_state_dict(optimizer_state)

    compiled = side_by_side(
        _build(lambda p: optim.Adam(p, lr=0.01)), training_step, BATCHES, between=reload
    )
    assert compiled.eager_reason is None


def test_eager_steps_between_replays_are_taken_up():
    def eager_step(i, state):
        if i % 4 == 3:
            training_step(state, *BATCHES[i])

    compiled = side_by_side(
        _build(lambda p: optim.Adam(p, lr=0.01)), training_step, BATCHES, between=eager_step
    )
    assert compiled.eager_reason is None


def test_gradients_that_add_up_across_calls_without_zero_grad():
    def accumulate(state, x, t):
        model, optimizer, loss_fn = state
        loss_fn(model(x), t).backward()
        optimizer.step()
        with cr.no_grad():
            return loss_fn(model(x), t)

    compiled = side_by_side(_build(lambda p: optim.SGD(p, lr=0.01)), accumulate, BATCHES)
    assert compiled.eager_reason is None


def test_zero_grad_to_zeros_two_losses_and_a_layer_used_twice():
    def build():
        cr.manual_seed(4)
        first, second = nn.Linear(4, 4), nn.Linear(4, 3)
        model = nn.Sequential(first, nn.Tanh(), second)
        return model, optim.SGD(model.parameters(), lr=0.05), nn.CrossEntropyLoss(), first

    def step(state, x, t):
        model, optimizer, loss_fn, first = state
        optimizer.zero_grad(set_to_none=False)
        shared = first(x)
        loss = loss_fn(model(x), t) + (first(shared.tanh()) * shared).mean()
        loss.backward()
        (model(x).sum() * 0.01).backward()
        optimizer.step()
        return loss

    compiled = side_by_side(build, step, BATCHES)
    assert compiled.eager_reason is None


def test_an_argument_that_requires_grad_gets_its_gradient():
    inputs = np.random.default_rng(0).normal(size=(6, 5, 4)).astype(np.float32)
    targets = cr.randn(5, 3)
    grads = []
    for compile_it in (False, True):
        cr.manual_seed(6)
        model = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
        state = model, optim.SGD(model.parameters(), lr=0.1), nn.MSELoss()
        step = cr.compile(training_step) if compile_it else training_step
        xs = [cr.tensor(x, requires_grad=True) for x in inputs]
        for x in xs:
            step(state, x, targets)
        step(state, xs[0], targets)  # a gradient added to the one x has
        grads.append([bits(x.grad) for x in xs] + [bits(p) for p in model.parameters()])
    assert grads[0] == grads[1]


def test_grad_mode_is_part_of_the_signature():
    model = nn.Sequential(nn.Linear(4, 3), nn.Sigmoid())
    forward = cr.compile(lambda x: model(x).sum())
    x = cr.randn(5, 4)
    with cr.no_grad():
        without = [forward(x) for _ in range(3)]
    with pytest.warns(CompileWarning, match="graph is still alive"):
        forward(x)  # with grad, the result has a graph: that cannot be replayed
    assert all(bits(y) == bits(model(x).sum()) for y in without)


def test_under_detect_anomaly_every_call_runs_eagerly():
    model, optimizer, loss_fn = _build()()
    step = cr.compile(lambda x, t: training_step((model, optimizer, loss_fn), x, t))
    x, t = BATCHES[0]
    step(x, t)
    step(x, t)
    with cr.detect_anomaly():
        assert step(x, t).grad_fn is not None  # eager's loss
    assert step(x, t).grad_fn is None


def test_a_value_check_of_the_loss_runs_in_the_replay_too():
    predictions = cr.compile(lambda p, t: F.binary_cross_entropy(p, t))
    t = cr.tensor([0.0, 1.0, 1.0])
    for _ in range(3):
        predictions(cr.tensor([0.2, 0.5, 0.9]), t)
    with pytest.raises(ValueError, match=r"should be between 0 and 1, found 1\.5"):
        predictions(cr.tensor([0.2, 1.5, 0.9]), t)
    classes = cr.compile(lambda x, labels: F.cross_entropy(x, labels))
    x = cr.randn(3, 4)
    for _ in range(3):
        classes(x, cr.tensor([0, 1, 3]))
    with pytest.raises(ValueError, match="class index 4 is out of range for 4 classes"):
        classes(x, cr.tensor([0, 4, 3]))
    with pytest.raises(ValueError, match="class index -1 is out of range for 4 classes"):
        classes(x, cr.tensor([0, -1, 3]))


def test_each_value_of_a_number_argument_is_a_signature_up_to_cache_size():
    model = nn.Linear(4, 1)
    scaled = cr.compile(lambda x, k: (model(x) * k).sum(), cache_size=3)
    x = cr.randn(2, 4)
    with cr.no_grad():
        for k in range(3):
            assert bits(scaled(x, k)) == bits((model(x) * k).sum())
        with pytest.warns(CompileWarning, match="cache_size"):
            assert bits(scaled(x, 7)) == bits((model(x) * 7).sum())
        assert scaled.signatures == 3


# ---------------------------------------------------------------------------- what runs eagerly


def _custom_op(x):
    class Twice(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    return Twice.apply(x)


def _made_inside(x):
    return x * cr.tensor(2.0)


def _draws(x):
    cr.randn(3)  # random numbers the ops never see
    return x


def _data_work(state, x, t):
    model = state[0]
    loss = training_step(state, x, t)
    for p in model.parameters():
        p.data *= 0.999  # on the array: the capture cannot see it
    return loss


READS = {
    "item()": lambda loss: loss.item(),
    "float()": lambda loss: float(loss),
    "bool()": lambda loss: bool(loss > 0),
    "numpy()": lambda loss: loss.numpy(),
    "tolist()": lambda loss: loss.tolist(),
    "conversion to a NumPy array": lambda loss: np.asarray(loss),
}


@pytest.mark.parametrize("read", READS)
def test_reading_a_value_inside_runs_eagerly_and_says_so(read):
    def step(state, x, t):
        loss = training_step(state, x, t)
        READS[read](loss)
        return loss

    expected = "item" if read == "float()" else read.split("(")[0]
    with pytest.warns(CompileWarning, match=rf"reads a tensor's value \({expected}"):
        compiled = side_by_side(_build(), step, BATCHES)
    assert compiled.eager_reason is not None


STEPS = {
    "retain_grad": (
        lambda s, x, t: _loss_with(s, x, t, lambda h: h.retain_grad()),
        r"retain_grad\(\) \(a hook",
    ),
    "custom op": (
        lambda s, x, t: _loss_with(s, x, t, _custom_op),
        "the op Twice has no replay form",
    ),
    "a tensor made inside": (
        lambda s, x, t: _loss_with(s, x, t, _made_inside),
        "made inside the function outside chainrule's ops",
    ),
    "randn": (lambda s, x, t: _loss_with(s, x, t, _draws), "random generator's state differs"),
    "work on .data": (_data_work, "replay differs from the eager call"),
    "retain_graph": (
        lambda s, x, t: _backward_with(s, x, t, retain_graph=True),
        "retain_graph=True",
    ),
    "a gradient": (
        lambda s, x, t: _backward_with(s, x, t, grad=cr.tensor(2.0)),
        "a gradient other than ones",
    ),
    "a closure": (lambda s, x, t: s[1].step(lambda: s[2](s[0](x), t)), r"step\(closure\)"),
    "RMSprop": (
        lambda s, x, t: training_step((*s[:1], optim.RMSprop(s[0].parameters()), s[2]), x, t),
        "optimizer RMSprop has no replay form",
    ),
}


def _loss_with(state, x, t, change):
    model, optimizer, loss_fn = state
    hidden = model[1](model[0](x))
    changed = change(hidden)
    loss = loss_fn(model[2](hidden if changed is None else changed), t)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss


def _backward_with(state, x, t, **options):
    model, optimizer, loss_fn = state
    loss = loss_fn(model(x), t)
    optimizer.zero_grad()
    loss.backward(options.get("grad"), retain_graph=options.get("retain_graph", False))
    optimizer.step()
    return loss


@pytest.mark.parametrize("what", STEPS)
def test_what_a_replay_cannot_repeat_runs_eagerly_and_says_why(what):
    step, reason = STEPS[what]
    with pytest.warns(CompileWarning, match=reason) as warned:
        compiled = side_by_side(_build(), step, BATCHES[:4])
    assert len([w for w in warned if w.category is CompileWarning]) == 1  # once
    assert compiled.eager_reason is not None and compiled.signatures == 0


def test_a_step_with_its_forward_alone_compiled_says_to_compile_the_whole_step():
    model = nn.Linear(4, 3)
    forward = cr.compile(lambda x: model(x))
    with pytest.warns(CompileWarning, match="compile the whole step"):
        y = forward(cr.randn(2, 4))
    y.sum().backward()  # eager's result, with its graph
    assert model.weight.grad is not None


# ---------------------------------------------------------------------------- checking the check


def _off_by_one_ulp(monkeypatch, from_call: int = 0) -> None:
    """Make Sigmoid's replay form add one ulp to its output, in each replay from its call
    ``from_call`` + 1 on (0: every call; a capture's own check is its first call)."""
    original = Sigmoid.replay_forward

    def wrong(e, op):
        original(e, op)
        counter = e.const([], "calls")  # this replay's calls
        y = op.out.name
        e.line(f"{counter}.append(1)")
        e.line(f"if len({counter}) > {from_call}:")
        e.line(f"    xp.nextafter({y}, xp.inf, out={y})")

    monkeypatch.setattr(Sigmoid, "replay_forward", staticmethod(wrong))


def test_a_form_one_ulp_off_is_caught_when_captured(monkeypatch):
    _off_by_one_ulp(monkeypatch)
    with pytest.warns(CompileWarning, match="replay differs from the eager call"):
        compiled = side_by_side(_build(), training_step, BATCHES[:4])
    assert compiled.eager_reason is not None


def test_a_form_that_goes_wrong_later_fails_the_bitwise_comparison(monkeypatch):
    _off_by_one_ulp(monkeypatch, from_call=1)
    with pytest.raises(AssertionError, match="differ"):
        side_by_side(_build(), training_step, BATCHES)


def test_check_runs_both_and_raises_on_a_difference(monkeypatch):
    side_by_side(_build(), training_step, BATCHES, check=3)  # a right replay passes its checks
    _off_by_one_ulp(monkeypatch, from_call=1)
    with pytest.raises(ReplayMismatch, match="differs from eager"):
        side_by_side(_build(), training_step, BATCHES, check=len(BATCHES))


def test_check_and_cache_size_are_refused_when_not_whole_numbers():
    with pytest.raises(ValueError, match="check must be a whole number >= 0"):
        cr.compile(lambda: None, check=-1)
    with pytest.raises(ValueError, match="cache_size must be a whole number >= 1"):
        cr.compile(lambda: None, cache_size=0)


def test_the_training_flag_is_guarded_where_forward_may_read_it():
    # chainrule's Linear, activations, Sequential and losses compute the same in both modes:
    # their flags cost the replay nothing. Dropout's, BatchNorm's and any module of a user's
    # own class (even one that only inherits chainrule's forward) are part of the signature.
    class Noisy(nn.Linear):
        def forward(self, x):
            return super().forward(x) * (2.0 if self.training else 1.0)

    class Renamed(nn.Tanh):
        pass

    noisy, renamed = Noisy(3, 3), Renamed()
    model = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), noisy, renamed, nn.Dropout(0.0))
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    step = cr.compile(lambda x, t: training_step((model, optimizer, nn.MSELoss()), x, t))
    x, t = cr.randn(4, 3), cr.randn(4, 3)
    step(x, t)
    guarded = {type(m).__name__ for m in model.modules() if m.training_matters}
    assert guarded == {"Noisy", "Renamed", "Dropout"} and nn.BatchNorm1d(3).training_matters
    assert step._entries[0].source.count(".training is True") == 3
    noisy.eval()  # a user's flag changes the step: a new capture, as eager computes it
    step(x, t)
    assert step.signatures == 2
