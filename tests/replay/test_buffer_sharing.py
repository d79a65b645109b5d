"""A replay's buffers share memory only where no value could be overwritten while still
needed: the pass that decides it, on small bodies written out here, and on a real step."""

from __future__ import annotations

import re

import numpy as np
import pytest
from side_by_side import batches_of, side_by_side, training_step

import chainrule as cr
from chainrule import nn, optim
from chainrule.replay.emit import Emitter


def _emitter(count: int, shape: tuple[int, ...] = (4, 3)) -> tuple[Emitter, list[str]]:
    e = Emitter(np, cpu=True)
    return e, [e.buffer(shape, np.float32) for _ in range(count)]


def _run(e: Emitter, result: str) -> np.ndarray:
    """The body as a function of a0 (a (4, 3) float32 array); its result, copied."""
    source = e.source(["a0"], [], f"{result}.copy()")
    return e.function(source, "test")(np.arange(12, dtype=np.float32).reshape(4, 3))


def _distinct(e: Emitter, names: list[str]) -> int:
    return len({id(e.namespace[n]) for n in names if n in e.namespace})


def test_a_buffer_dead_before_another_is_written_lends_it_its_memory():
    e, (b1, b2, b3) = _emitter(3)
    e.line(f"xp.multiply(a0, a0, out={b1})")  # b1 = a0², last read on the next line
    e.line(f"xp.add({b1}, a0, out={b2})")
    e.line(f"xp.subtract({b2}, a0, out={b3})")  # b1 is dead here: b3 may use its memory
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    assert np.array_equal(_run(e, b3), x * x)
    assert _distinct(e, [b1, b2, b3]) == 2


def test_a_local_made_from_a_buffer_keeps_the_buffer_alive():
    e, (b1, b2, b3) = _emitter(3)
    e.line(f"xp.multiply(a0, a0, out={b1})")
    e.line(f"row = {b1}[0]")  # a view of b1, read two lines on
    e.line(f"xp.add(a0, a0, out={b2})")
    e.line(f"xp.add({b2}, row, out={b3})")
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    assert np.array_equal(_run(e, b3), 2 * x + x[0] * x[0])
    assert _distinct(e, [b1, b2, b3]) == 3


def test_a_view_constant_of_a_buffer_keeps_it_alive_and_follows_it_when_it_moves():
    e, (b1, b2, b3) = _emitter(3)
    e.line(f"xp.multiply(a0, 2, out={b1})")
    e.line(f"xp.add({b1}, 1, out={b2})")  # b1's last read
    e.line(f"xp.negative({b2}, out={b3})")  # b3 takes b1's memory ...
    flat = e.view(b3, ".reshape(-1)")  # ... and its view must be one of that memory
    e.line(f"xp.multiply({flat}, 3, out={flat})")
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    assert np.array_equal(_run(e, b3), -(2 * x + 1) * 3)
    assert _distinct(e, [b1, b2, b3]) == 2


@pytest.mark.parametrize(
    "kept",
    [
        "keep = KEEP.append({b1})",  # handed to code that may keep it
        "HOLDER.data = {b1}",  # stored in an attribute
        "KEEP[:] = [{b1}]",  # stored in a container
        "u, w = {b1}, a0",  # assigned in a way the pass does not follow
    ],
)
def test_a_buffer_handed_out_is_never_shared(kept):
    e, (b1, b2, b3) = _emitter(3)
    keep = e.const([], "keep")
    holder = e.const(type("Holder", (), {})(), "holder")
    e.line(f"xp.multiply(a0, a0, out={b1})")
    e.line(kept.format(b1=b1).replace("KEEP", keep).replace("HOLDER", holder))
    e.line(f"xp.add(a0, a0, out={b2})")
    e.line(f"xp.add({b2}, a0, out={b3})")
    _run(e, b3)
    assert e.namespace[b1] is not e.namespace[b2]
    assert e.namespace[b1] is not e.namespace[b3]


def test_a_buffer_read_before_it_is_written_keeps_its_values_from_call_to_call():
    e, (b1, b2, total) = _emitter(3)
    e.line(f"xp.multiply(a0, a0, out={b1})")
    e.line(f"xp.add({b1}, 1, out={b2})")  # b1 is dead from here on
    e.line(f"xp.add({total}, {b2}, out={total})")  # reads what the last call left
    source = e.source(["a0"], [], f"{total}.copy()")
    replay = e.function(source, "test")
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    e.namespace[total][...] = 0
    replay(x)
    assert np.array_equal(replay(x), 2 * (x * x + 1))
    assert _distinct(e, [b1, b2, total]) == 3


def test_a_buffer_the_result_reads_lives_to_the_end():
    e, (b1, b2) = _emitter(2)
    e.line(f"xp.multiply(a0, a0, out={b1})")
    e.line(f"xp.add(a0, 1, out={b2})")
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    source = e.source(["a0"], [], f"({b1}.copy(), {b2}.copy())")
    square, successor = e.function(source, "test")(x)
    assert np.array_equal(square, x * x) and np.array_equal(successor, x + 1)


def test_a_buffer_the_guards_read_is_never_shared():
    e, (b1, b2, b3) = _emitter(3)
    e.guard(f"{b1}.shape == (4, 3)")
    e.line(f"xp.multiply(a0, a0, out={b1})")
    e.line(f"xp.add({b1}, 1, out={b2})")  # b1 is dead from here on, but guarded
    e.line(f"xp.add({b2}, 1, out={b3})")
    assert np.array_equal(_run(e, b3), np.arange(12, dtype=np.float32).reshape(4, 3) ** 2 + 2)
    assert _distinct(e, [b1, b2, b3]) == 3


def test_a_buffer_only_the_result_reads_is_left_alone():
    e, (b1, b2) = _emitter(2)
    e.line(f"xp.multiply(a0, a0, out={b1})")
    source = e.source(["a0"], [], f"({b1}.copy(), {b2}.shape)")
    assert e.function(source, "test")(np.ones((4, 3), np.float32))[1] == (4, 3)


def test_only_a_buffer_written_whole_at_the_top_level_takes_another_ones_memory():
    e, (b1, b2, b3, b4) = _emitter(4)
    e.line(f"xp.multiply(a0, a0, out={b1})")
    e.line(f"xp.add({b1}, 1, out={b2})")  # b1 is dead from here on
    e.line(f"if {b2}[0, 0] > 0:")
    e.line(f"    xp.negative({b2}, out={b3})")  # written in one branch only
    e.line("else:")
    e.line(f"    xp.copyto({b3}, {b2})")
    e.line(f"xp.add({b3}, {b3}, out={b3})")
    e.line(f"xp.add(a0, 0, out={b4})")  # written whole at the top level: may take b1's
    e.line(f"xp.add({b4}, {b3}, out={b4})")
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    assert np.array_equal(_run(e, b4), x - 2 * (x * x + 1))  # the branch that negates
    assert e.namespace.get(b3) is not None  # kept its own memory
    assert b4 not in e.namespace  # renamed to b1


def test_buffers_of_another_shape_or_dtype_are_not_shared():
    e = Emitter(np, cpu=True)
    b1 = e.buffer((4, 3), np.float32)
    b2 = e.buffer((4, 3), np.float32)
    other_dtype = e.buffer((4, 3), np.float64)
    other_shape = e.buffer((3, 4), np.float32)
    e.line(f"xp.multiply(a0, a0, out={b1})")
    e.line(f"xp.add({b1}, 1, out={b2})")  # b1 is dead from here on
    e.line(f"xp.add({b2}, 1, out={other_dtype})")
    e.line(f"xp.negative({e.view(b2, '.T')}, out={other_shape})")
    source = e.source(["a0"], [], f"({other_dtype}.copy(), {other_shape}.copy())")
    e.function(source, "test")(np.ones((4, 3), np.float32))
    assert _distinct(e, [b1, b2, other_dtype, other_shape]) == 4


def test_a_zero_dimensional_buffer_is_never_a_number_constant():
    # np.empty(()) holds whatever bytes were there, which may equal a constant's, such as
    # the 1 a sigmoid's backward subtracts from: the buffer must not be that constant.
    rng = np.random.default_rng(3)
    x = rng.normal(size=(8, 12)).astype(np.float32)
    t = rng.normal(size=(8, 1)).astype(np.float32)

    def build():
        cr.manual_seed(0)
        model = nn.Sequential(nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 1))
        return model, optim.SGD(model.parameters(), lr=0.1), nn.MSELoss()

    def step(state, x, t):
        model, optimizer, loss_fn = state
        loss = cr.sigmoid(loss_fn(model(x), t)) * 2  # a sigmoid of a 0-d loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss

    compiled = side_by_side(build, step, [(cr.tensor(x), cr.tensor(t))] * 4)
    assert compiled.eager_reason is None


def test_a_real_step_shares_its_activation_buffers_and_stays_eager_bit_for_bit():
    # 784-256-256-10's shape at a small scale: three layers of ReLU, cross-entropy, SGD.
    rng = np.random.default_rng(3)
    x = rng.normal(size=(24, 12)).astype(np.float32)
    labels = rng.integers(0, 4, size=24)

    def build():
        cr.manual_seed(0)
        model = nn.Sequential(
            nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 4)
        )
        return model, optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss()

    step = side_by_side(build, training_step, batches_of(x, labels, 8))
    products = re.findall(r"xp_matmul\(.*, out=(B\d+)\)", step._entries[0].source)
    assert len(set(products)) < len(products), "each product has a buffer of its own"
