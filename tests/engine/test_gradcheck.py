"""Numerical gradients (seed 001's method) and gradcheck."""

import numpy as np
import pytest

import chainrule as cr
from helpers import TripleSquare


def test_numerical_grad_of_a_square_is_twice_the_input():
    x = cr.tensor([1.0, -2.0, 0.5])
    (grad,) = cr.numerical_grad(lambda x: (x * x).sum(), x)
    np.testing.assert_allclose(grad, [2.0, -4.0, 1.0], rtol=1e-8)
    assert grad.dtype == np.float64


def test_numerical_grad_skips_non_float_inputs_and_leaves_inputs_unchanged():
    x = cr.tensor([[1.0, 2.0]])
    k = cr.tensor([3])
    gx, gk = cr.numerical_grad(lambda x, k: (x * k).sum(), (x, k))
    np.testing.assert_allclose(gx, [[3.0, 3.0]], rtol=1e-8)
    assert gk is None
    assert x.tolist() == [[1.0, 2.0]]


def test_numerical_grad_needs_a_scalar_function():
    with pytest.raises(ValueError, match=r"single number.*shape \(2,\).*\.sum\(\)"):
        cr.numerical_grad(lambda x: x * 2, cr.ones(2))


def test_gradcheck_passes_a_correct_gradient_for_several_inputs_and_a_matrix_output():
    a = cr.randn(3, 4, requires_grad=True)
    b = cr.randn(4, 2, requires_grad=True)
    assert cr.gradcheck(lambda a, b: (a @ b).tanh(), (a, b))


def test_gradcheck_checks_only_inputs_that_require_grad():
    a = cr.randn(3, requires_grad=True)
    b = cr.randn(3)
    assert cr.gradcheck(lambda a, b: a * b, (a, b))


def test_gradcheck_names_the_input_the_element_and_both_values():
    x = cr.tensor([0.0, 1.0], requires_grad=True)
    with pytest.raises(cr.GradcheckError) as caught:
        cr.gradcheck(lambda k, x: TripleSquare.apply(x).sum() * k, (cr.tensor(1.0), x))
    message = str(caught.value)
    assert "input 1" in message and "index (1,)" in message
    assert "backprop gives 3.0" in message and "central differences give 2.0" in message


def test_gradcheck_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="requires_grad=True"):
        cr.gradcheck(lambda x: x * 2, (cr.ones(2),))


def test_gradcheck_runs_in_float64_whatever_the_input_dtype():
    seen = []

    def fn(x):
        seen.append(x.dtype)
        return x.sigmoid()

    cr.gradcheck(fn, (cr.randn(3, requires_grad=True),))
    assert set(seen) == {np.dtype(np.float64)}
