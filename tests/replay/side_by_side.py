"""Training two copies of one network side by side, eagerly and through ``cr.compile``, and
comparing them bit for bit after every step: the loss each step returns, every parameter,
every gradient and the optimizer's state, each as raw bytes; and the random generator, which
dropout draws from, left in the same state."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

import chainrule as cr
from chainrule import Tensor, random
from chainrule._backend import to_numpy


def bits(array: Any) -> tuple[Any, tuple[int, ...], bytes]:
    """An array as its dtype, shape and raw bytes: equal only if every bit is."""
    array = to_numpy(array.data if isinstance(array, Tensor) else array)
    return array.dtype, array.shape, np.ascontiguousarray(array).tobytes()


def state_bits(model: Any, optimizer: Any) -> dict[str, Any]:
    """Every parameter, its gradient, and the optimizer's state, as raw bytes by name."""
    state: dict[str, Any] = {}
    for name, p in model.named_parameters():
        state[name] = bits(p)
        state[f"{name}.grad"] = None if p.grad is None else bits(p.grad)
    for index, entries in optimizer.state_dict()["state"].items():
        for key, value in entries.items():
            state[f"state {index} {key}"] = bits(value) if isinstance(value, Tensor) else value
    groups = optimizer.state_dict()["param_groups"]
    state["param_groups"] = [{k: v for k, v in g.items() if k != "params"} for g in groups]
    return state


def first_difference(eager: dict[str, Any], compiled: dict[str, Any]) -> str | None:
    for name, value in eager.items():
        if compiled.get(name) != value:
            return name
    return None if eager.keys() == compiled.keys() else "the names differ"


def side_by_side(
    build: Callable[[], tuple[Any, ...]],
    step: Callable[..., Any],
    batches: Iterable[tuple[Any, ...]],
    between: Callable[[int, tuple[Any, ...]], None] = lambda i, state: None,
    **options: Any,
) -> Any:
    """Train ``build()``'s model eagerly and a second ``build()`` through
    ``cr.compile(step)``, batch by batch, asserting after every step that they agree bit for
    bit. ``step(state, *batch)`` is one training step of ``state`` (what ``build`` returns:
    model and optimizer first), returning the loss; ``between(i, state)`` runs on both
    states after step i (a scheduler's step, ``eval()``, a rebinding). Returns the compiled
    function."""
    eager_state, compiled_state = build(), build()
    compiled = cr.compile(lambda *batch: step(compiled_state, *batch), **options)
    for i, batch in enumerate(batches):
        rng = cr.get_rng_state(), copy.deepcopy(random._gpu_generators)
        eager_loss = step(eager_state, *batch)
        eager_rng = cr.get_rng_state()
        cr.set_rng_state(rng[0])
        random._gpu_generators.clear()  # dropout on a GPU draws from the GPU's own
        random._gpu_generators.update(rng[1])
        compiled_loss = compiled(*batch)
        assert isinstance(compiled_loss, Tensor) and compiled_loss.shape == eager_loss.shape
        assert bits(compiled_loss) == bits(eager_loss), f"step {i}: the losses differ"
        assert repr(cr.get_rng_state()) == repr(eager_rng), f"step {i}: the generators differ"
        eager, replayed = (state_bits(*s[:2]) for s in (eager_state, compiled_state))
        assert (name := first_difference(eager, replayed)) is None, f"step {i}: {name} differs"
        between(i, eager_state)
        between(i, compiled_state)
    assert compiled._captures < i, "the compiled function captured nearly every call"
    return compiled


def training_step(state: tuple[Any, ...], x: Tensor, t: Tensor) -> Tensor:
    """The loop body of every training script: forward, zero_grad, backward, step."""
    model, optimizer, loss_fn = state[:3]
    loss = loss_fn(model(x), t)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss


def batches_of(x: np.ndarray, t: np.ndarray, size: int, epochs: int = 2) -> list[tuple]:
    """``epochs`` passes over (x, t) in batches of ``size``, the last one smaller when
    ``size`` does not divide the data, as a DataLoader gives them."""
    loader = cr.data.DataLoader(cr.data.TensorDataset(x, t), batch_size=size)
    return [tuple(batch) for _ in range(epochs) for batch in loader]
