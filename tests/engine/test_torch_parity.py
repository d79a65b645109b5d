"""chainrule against PyTorch: every catalogue entry, then random graphs of many ops.

Both libraries get the same float64 inputs and the same output gradient (a random one,
so that a gradient that is transposed, reversed or summed wrongly cannot pass by
symmetry); values and input gradients must agree to about 1e-10.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import chainrule as cr

torch = pytest.importorskip("torch")

from op_catalogue import BOOL, CATALOGUE, REAL, Case, inputs  # noqa: E402

TOLERANCE = {"rtol": 1e-10, "atol": 1e-12}


def _both(arrays: list[np.ndarray], domains: tuple[str, ...]) -> tuple[list[Any], list[Any]]:
    """The arrays as chainrule tensors and as torch tensors; floating ones require grad."""
    ours = [cr.tensor(a, requires_grad=d != BOOL) for a, d in zip(arrays, domains, strict=True)]
    theirs = [
        torch.from_numpy(a.copy()).requires_grad_(d != BOOL)
        for a, d in zip(arrays, domains, strict=True)
    ]
    return ours, theirs


def _assert_same(ours: cr.Tensor, theirs: Any, what: str) -> None:
    expected = theirs.detach().numpy()
    assert ours.dtype == expected.dtype, what
    assert ours.shape == expected.shape, what
    np.testing.assert_allclose(ours.numpy(), expected, err_msg=what, **TOLERANCE)


def _assert_same_grads(ours: list[cr.Tensor], theirs: list[Any]) -> None:
    for i, (x, t) in enumerate(zip(ours, theirs, strict=True)):
        if not t.requires_grad:
            continue
        assert (x.grad is None) == (t.grad is None), f"input {i}: only one library has a grad"
        if t.grad is not None:
            _assert_same(x.grad, t.grad, f"gradient of input {i}")


# ---------------------------------------------------------------------------- every entry
@pytest.mark.parametrize("entry", CATALOGUE, ids=[entry.id for entry in CATALOGUE])
@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_entry_matches_torch(entry: Case, data):
    arrays = data.draw(inputs(entry), label="inputs")
    ours, theirs = _both(arrays, entry.domains)
    out, expected = entry.cr(*ours), entry.torch(*theirs)
    _assert_same(out, expected, "value")
    seed = data.draw(st.integers(0, 2**32 - 1), label="cotangent seed")
    cotangent = np.random.default_rng(seed).uniform(-1, 1, size=out.shape)
    out.backward(cotangent)
    expected.backward(torch.from_numpy(cotangent))
    _assert_same_grads(ours, theirs)


def test_cast_from_float32_matches_torch():
    """The catalogue runs in float64, where a cast to float64 does nothing; here it does."""
    values = np.array([[0.25, -1.5], [2.0, 3.5]], dtype=np.float32)
    x = cr.tensor(values, requires_grad=True)
    t = torch.from_numpy(values.copy()).requires_grad_()
    y, u = x.double() ** 3, t.double() ** 3
    _assert_same(y, u, "value")
    cotangent = np.array([[1.0, -2.0], [0.5, 3.0]])
    y.backward(cotangent)
    u.backward(torch.from_numpy(cotangent))
    _assert_same(x.grad, t.grad, "gradient")
    assert x.grad.dtype == np.float32


# ---------------------------------------------------------------------------- random graphs
@dataclass(frozen=True)
class Step:
    """One op of a random graph, in both libraries; every op keeps shapes broadcastable."""

    arity: int
    ours: Any
    theirs: Any


def alike(arity: int, fn: Any) -> Step:
    """A step both libraries spell the same way."""
    return Step(arity, fn, fn)


STEPS = {
    "neg": alike(1, lambda x: -x),
    "half": alike(1, lambda x: 0.5 * x),
    "exp": alike(1, lambda x: x.exp()),
    "tanh": alike(1, lambda x: x.tanh()),
    "sigmoid": alike(1, lambda x: x.sigmoid()),
    "relu": alike(1, lambda x: x.relu()),
    "abs": alike(1, lambda x: x.abs()),
    "square": alike(1, lambda x: x**2),
    "log(x*x+1)": alike(1, lambda x: (x * x + 1).log()),
    "sqrt(x*x+1)": alike(1, lambda x: (x * x + 1).sqrt()),
    "clamp": alike(1, lambda x: x.clamp(-1.0, 1.0)),
    "softmax": alike(1, lambda x: x.softmax(-1)),
    "log_softmax": alike(1, lambda x: x.log_softmax(-1)),
    "center": alike(1, lambda x: x - x.mean(-1, keepdim=True)),
    "sum_last": alike(1, lambda x: x.sum(-1, keepdim=True)),
    "leaky_relu": Step(
        1, lambda x: x.leaky_relu(0.1), lambda x: torch.nn.functional.leaky_relu(x, 0.1)
    ),
    "max_last": Step(1, lambda x: x.max(-1, keepdim=True), lambda x: x.amax(-1, keepdim=True)),
    "add": alike(2, lambda a, b: a + b),
    "sub": alike(2, lambda a, b: a - b),
    "mul": alike(2, lambda a, b: a * b),
    "div": alike(2, lambda a, b: a / (b * b + 1)),
    "pow": alike(2, lambda a, b: (a * a + 0.5) ** b.tanh()),
    "where": Step(2, lambda a, b: cr.where(a > b, a, b), lambda a, b: torch.where(a > b, a, b)),
}


@st.composite
def graphs(draw):
    """2-3 input shapes that broadcast together, a seed for their values, and 5-12 steps,
    each naming its operands by how far back in the list of results they are."""
    count = draw(st.integers(2, 3))
    shapes = draw(
        mutually_broadcastable_shapes(num_shapes=count, min_dims=1, max_dims=3, max_side=4)
    ).input_shapes
    seed = draw(st.integers(0, 2**32 - 1))
    back = st.integers(0, 15)
    steps = draw(
        st.lists(st.tuples(st.sampled_from(sorted(STEPS)), back, back), min_size=5, max_size=12)
    )
    return shapes, seed, steps


def _run(steps: list[tuple[str, int, int]], leaves: list[Any], side: str) -> list[Any]:
    results = list(leaves)
    for name, i, j in steps:
        step = STEPS[name]
        operands = (results[-1 - i % len(results)], results[-1 - j % len(results)])
        results.append(getattr(step, side)(*operands[: step.arity]))
    return results


@settings(max_examples=100, deadline=None)
@given(graph=graphs())
def test_random_graph_matches_torch(graph):
    shapes, seed, steps = graph
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(-2, 2, size=shape) for shape in shapes]
    ours, theirs = _both(arrays, (REAL,) * len(arrays))
    our_results = _run(steps, ours, "ours")
    assume(all(np.all(np.abs(r.numpy()) < 1e6) for r in our_results))  # no runaway exp/square
    their_results = _run(steps, theirs, "theirs")
    for k, (r, t) in enumerate(zip(our_results, their_results, strict=True)):
        _assert_same(r, t, f"result {k}")
    cotangent = rng.uniform(-1, 1, size=our_results[-1].shape)
    our_results[-1].backward(cotangent)
    their_results[-1].backward(torch.from_numpy(cotangent))
    _assert_same_grads(ours, theirs)
