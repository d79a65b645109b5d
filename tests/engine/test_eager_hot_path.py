"""The training step's hot path, written for speed, computes what the plain formulas do, bit
for bit, and walks every graph in an order that lets each node sum its gradients first."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("size", [0, 1, 3, 8, 17, 64, 257])
def test_sigmoid_is_one_over_one_plus_exp_of_minus_x_bit_for_bit(dtype, size):
    """The sigmoid computes in one array, in place; each step must round as the expression
    does, at every length (vector loops and their tails) and in both tails of exp."""
    rng = np.random.default_rng(size)
    far = {np.float32: 88.7, np.float64: 709.8}[dtype]
    pool = np.array([0.0, -0.0, 1e-30, -far, -far + 0.5, far, 40.0, -40.0], dtype)
    x = np.concatenate([rng.normal(scale=30, size=size), rng.choice(pool, size)]).astype(dtype)
    with np.errstate(over="ignore"):
        expected = 1 / (1 + np.exp(-x))
    for shape in [x.shape, (2, x.size // 2) if x.size % 2 == 0 else x.shape]:
        got = cr.Tensor(x.reshape(shape)).sigmoid().numpy()
        assert got.dtype == dtype
        assert np.array_equal(got.reshape(-1).view(np.uint8), expected.view(np.uint8))


def test_sigmoid_of_a_0d_tensor():
    for value in (0.5, -100.0):
        with np.errstate(over="ignore"):
            expected = np.float32(1) / (np.float32(1) + np.exp(-np.float32(value)))
        got = cr.tensor(value).sigmoid()
        assert got.shape == () and got.item() == expected


def test_a_node_the_search_finds_before_a_newer_one_that_uses_it_waits_for_its_gradient():
    """out = b + a with b = 3a and a = 2x: the search from out meets a (older) before b, which
    also uses a; a's backward must run once, after b's, with both gradients summed."""
    x = cr.tensor([1.0, -2.0], requires_grad=True)
    a = x * 2
    b = a * 3
    out = (a + b).sum()  # the search from Add reaches a first, then b
    out.backward()
    assert x.grad.tolist() == [8.0, 8.0]  # d/dx (2x + 6x)
    y = cr.tensor([0.5], requires_grad=True)
    c = y.exp()
    d = c * c
    e = d * c + c  # c reached from the last Add before d, which uses it twice
    e.sum().backward()
    assert np.allclose(y.grad.numpy(), 3 * np.exp(1.5) + np.exp(0.5))
