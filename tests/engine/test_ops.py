"""Every op in the catalogue: forward against NumPy, gradient against central differences.

Then the cases people get wrong, one small named test each: repeated indices, tied
extremes, overflow in sigmoid/softmax, comparisons, broadcasting, dtype casts, and a
gradcheck that really does catch a wrong backward.
"""

from __future__ import annotations

import importlib
import math
import operator
import re
import warnings

import numpy as np
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule import tensor_functions
from chainrule.ops.device import ToDevice
from helpers import HalfSquare, RightMul, WrongSecond
from op_catalogue import BOOL, CATALOGUE, Case, inputs

IDS = [entry.id for entry in CATALOGUE]

# float32 results are compared with the float64 result on the same (float32) values.
TOLERANCE = {
    np.float32: {"rtol": 2e-5, "atol": 2e-5},
    np.float64: {"rtol": 1e-12, "atol": 1e-12},
}


def tensors(entry: Case, arrays: list[np.ndarray], dtype, requires_grad: bool = False):
    """The inputs as chainrule tensors: floats in ``dtype``, conditions and masks as bool."""
    return [
        cr.tensor(a) if d == BOOL else cr.tensor(a, dtype=dtype, requires_grad=requires_grad)
        for d, a in zip(entry.domains, arrays, strict=True)
    ]


# ---------------------------------------------------------------------------- the catalogue itself
def test_catalogue_is_consistent():
    assert len(set(IDS)) == len(IDS), "catalogue ids must be unique"
    for entry in CATALOGUE:
        assert len(entry.domains) == entry.arity, entry.id
        assert any(d != BOOL for d in entry.domains), f"{entry.id} has nothing to differentiate"


def _op_types(out: cr.Tensor) -> set[type]:
    """The classes of every op node in the graph that made ``out``."""
    types, seen, stack = set(), set(), [out.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        types.add(type(node))
        stack.extend(t.grad_fn for t in node.inputs if isinstance(t, cr.Tensor))
    return types


def _ops_behind_the_tensor_api() -> set[type]:
    """Every op class that Tensor's methods and the cr.* functions call, except ToDevice:
    it needs a second device, and test_devices.py checks it on one."""
    # chainrule.tensor is also the name of the factory function, hence import_module.
    namespaces = (vars(importlib.import_module("chainrule.tensor")), vars(tensor_functions))
    return {
        obj
        for namespace in namespaces
        for obj in namespace.values()
        if isinstance(obj, type)
        and issubclass(obj, cr.Function)
        and obj not in (cr.Function, ToDevice)
    }


@settings(max_examples=1, deadline=None, phases=[Phase.generate])
@given(data=st.data())
def test_catalogue_reaches_every_op(data):
    """An op added to Tensor or cr.* without a catalogue entry fails here (float32 inputs,
    so that casts to float64 are real casts)."""
    reached: set[type] = set()
    for entry in CATALOGUE:
        arrays = data.draw(inputs(entry), label=entry.id)
        reached |= _op_types(entry.cr(*tensors(entry, arrays, np.float32, requires_grad=True)))
    behind_the_api = _ops_behind_the_tensor_api()
    assert len(behind_the_api) >= 25
    assert sorted(op.__name__ for op in behind_the_api - reached) == []


# ---------------------------------------------------------------------------- every entry
@pytest.mark.parametrize("entry", CATALOGUE, ids=IDS)
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_forward_matches_numpy(entry: Case, data):
    """In float32 and in float64; float32 in gives float32 out (casts aside)."""
    arrays = data.draw(inputs(entry), label="inputs")
    for dtype in (np.float32, np.float64):
        ours = entry.cr(*tensors(entry, arrays, dtype))
        # The reference gets exactly the values chainrule got (rounded to dtype), in float64.
        seen = [a if a.dtype == bool else a.astype(dtype).astype(np.float64) for a in arrays]
        expected = np.asarray(entry.np(*seen))
        assert isinstance(ours, cr.Tensor)
        assert ours.dtype == np.dtype(entry.out_dtype or dtype)
        assert ours.shape == expected.shape
        np.testing.assert_allclose(ours.numpy(), expected, **TOLERANCE[dtype])


@pytest.mark.parametrize("entry", CATALOGUE, ids=IDS)
@settings(max_examples=12, deadline=None)
@given(data=st.data())
def test_gradcheck(entry: Case, data):
    arrays = data.draw(inputs(entry), label="inputs")
    assert cr.gradcheck(entry.cr, tensors(entry, arrays, np.float64, requires_grad=True))


# ---------------------------------------------------------------------------- wrong backward caught
_REPORT = re.compile(
    r"input (\d+) \(shape (.*)\) is wrong at index \((.*)\): backprop gives (\S+), "
    r"central differences give (\S+) "
)


def _report(error: cr.GradcheckError) -> tuple[int, tuple[int, ...], float, float]:
    """The input, the index and both values that a GradcheckError names."""
    match = _REPORT.search(str(error))
    assert match, f"unexpected message: {error}"
    index = tuple(int(k) for k in match.group(3).split(",") if k.strip())
    return int(match.group(1)), index, float(match.group(4)), float(match.group(5))


def test_gradcheck_passes_a_right_backward():
    a = cr.tensor([0.5, -1.5, 2.0], requires_grad=True)
    b = cr.tensor([[1.0], [3.0]], requires_grad=True)
    assert cr.gradcheck(lambda a, b: RightMul.apply(a, b), [a, b])


def test_gradcheck_names_input_0_and_both_values():
    x = cr.tensor([1.0, -2.0, 3.0], requires_grad=True)
    with pytest.raises(cr.GradcheckError, match=r"input 0 \(shape \(3,\)\)") as caught:
        cr.gradcheck(lambda x: HalfSquare.apply(x), [x])
    _, (i,), backprop, numeric = _report(caught.value)
    # The worst element is at the largest |x|; the true derivative is twice backprop's.
    assert i == 2
    assert numeric == pytest.approx(2 * backprop, rel=1e-6)
    assert abs(numeric) > 1


def test_gradcheck_names_input_1_when_only_the_second_gradient_is_wrong():
    a = cr.tensor([2.0, 3.0], requires_grad=True)
    b = cr.tensor([5.0, -7.0], requires_grad=True)
    with pytest.raises(cr.GradcheckError, match=r"input 1 \(shape \(2,\)\)") as caught:
        cr.gradcheck(lambda a, b: WrongSecond.apply(a, b), [a, b])
    _, (i,), backprop, numeric = _report(caught.value)
    # backprop gave w * b[i], central differences w * a[i], for one projection weight w.
    assert backprop / numeric == pytest.approx(b.numpy()[i] / a.numpy()[i], rel=1e-6)


def test_gradcheck_numbers_inputs_by_position_even_when_some_are_not_checked():
    a = cr.tensor([[2.0, 3.0]])  # no requires_grad: not checked, but still input 0
    b = cr.tensor([[5.0, -7.0]], requires_grad=True)
    with pytest.raises(cr.GradcheckError, match=r"input 1 \(shape \(1, 2\)\)") as caught:
        cr.gradcheck(lambda a, b: WrongSecond.apply(a, b), [a, b])
    _, index, backprop, numeric = _report(caught.value)
    assert len(index) == 2
    assert backprop / numeric == pytest.approx(b.numpy()[index] / a.numpy()[index], rel=1e-6)


# ---------------------------------------------------------------------------- indexing
def test_repeated_indices_add_up_in_the_gradient():
    x = cr.tensor([10.0, 20.0, 30.0], requires_grad=True)
    x[[0, 0, 2]].sum().backward()
    assert x.grad.tolist() == [2.0, 0.0, 1.0]


def test_repeated_index_pairs_add_up_in_the_gradient():
    x = cr.zeros(2, 3, requires_grad=True)
    (x[[0, 1, 0, 0], [2, 0, 2, 2]] * cr.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0, 8.0], [2.0, 0.0, 0.0]]


def test_repeated_rows_add_up_in_the_gradient():
    x = cr.ones(3, 2, requires_grad=True)
    x[[1, 1, 1, 0]].sum().backward()
    assert x.grad.tolist() == [[1.0, 1.0], [3.0, 3.0], [0.0, 0.0]]


def test_boolean_mask_passes_the_gradient_to_the_picked_elements_only():
    x = cr.tensor([[1.0, -2.0], [-3.0, 4.0]], requires_grad=True)
    picked = x[x > 0]
    assert picked.tolist() == [1.0, 4.0]
    (picked * cr.tensor([5.0, 6.0])).sum().backward()
    assert x.grad.tolist() == [[5.0, 0.0], [0.0, 6.0]]


# ---------------------------------------------------------------------------- ties
def test_tied_maxima_share_the_gradient_equally():
    x = cr.tensor([1.0, 3.0, 3.0], requires_grad=True)
    x.max().backward()
    assert x.grad.tolist() == [0.0, 0.5, 0.5]


def test_tied_minima_share_the_gradient_equally_along_a_dimension():
    x = cr.tensor([[2.0, 2.0, 5.0], [1.0, 4.0, 1.0], [6.0, 6.0, 6.0]], requires_grad=True)
    x.min(dim=1).backward(cr.tensor([1.0, 2.0, 3.0]))
    assert x.grad.tolist() == [[0.5, 0.5, 0.0], [1.0, 0.0, 1.0], [1.0, 1.0, 1.0]]


def test_tied_maxima_with_keepdims_share_the_gradient():
    x = cr.tensor([[4.0, 1.0], [4.0, 4.0]], requires_grad=True)
    x.max(axis=0, keepdims=True).sum().backward()
    assert x.grad.tolist() == [[0.5, 0.0], [0.5, 1.0]]


# ---------------------------------------------------------------------------- inf and NaN
# A derivative that is 0 somewhere is a select, as in PyTorch: an infinite or NaN incoming
# gradient there gives 0, not inf * 0 = NaN.
INF, NAN = math.inf, math.nan


def _grad_of(op, values, upstream=None):
    """x.grad after op(x).backward(upstream), with NumPy's warnings of inf and NaN quiet."""
    x = cr.tensor(values, requires_grad=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = op(x)
        y.backward(cr.tensor(upstream) if upstream is not None else cr.ones_like(y))
    return x.grad.numpy()


def test_relu_sends_no_infinite_gradient_to_where_it_was_flat():
    np.testing.assert_array_equal(
        _grad_of(lambda x: x.relu() ** -0.5, [0.0, 1.0, -1.0]), [0.0, -0.5, 0.0]
    )
    relu = lambda x: x.relu()  # noqa: E731
    np.testing.assert_array_equal(
        _grad_of(relu, [0.0, 1.0, -1.0, -2.0], [INF, INF, -INF, NAN]), [0.0, INF, 0.0, 0.0]
    )


def test_relu_of_nan_passes_the_gradient_as_pytorch():
    """PyTorch zeroes the gradient where the output is at most 0, which NaN is not."""
    np.testing.assert_allclose(_grad_of(lambda x: x.log().relu(), [-1.0, 4.0]), [-1.0, 0.25])


CLAMPS = [
    (lambda x: 0.0 / x.clamp(min=0), [NAN, 0.0, 0.0]),
    (lambda x: 0.0 / x.clamp(max=0), [NAN, 0.0, 0.0]),
    (lambda x: 0.0 / x.clamp(-1, 0), [NAN, 0.0, 0.0]),
]


@pytest.mark.parametrize(("op", "expected"), CLAMPS, ids=["min", "max", "both"])
def test_clamp_sends_no_nan_gradient_outside_its_bounds(op, expected):
    x = [0.0, 1.0, -1.0]  # 0.0 / 0 is NaN and so is its derivative: clamped, it gives 0
    np.testing.assert_array_equal(_grad_of(op, x), expected)


@pytest.mark.parametrize("reduce", ["max", "min"])
def test_max_of_everything_when_it_is_nan_sends_the_gradient_to_the_nans(reduce):
    grad = _grad_of(lambda x: getattr(x.log(), reduce)(), [1.0, -1.0, 2.0, -3.0])
    np.testing.assert_allclose(grad, [0.0, -0.5, 0.0, -1 / 6])  # 1/2 each, through log


def test_max_selects_its_maximum_but_max_over_a_dimension_multiplies_a_mask():
    """As PyTorch: max() gives an infinite g to its maximum only; max(dim), PyTorch's amax,
    multiplies g by a 0/1 mask, so a NaN maximum or an infinite g gives NaN in its slice."""
    np.testing.assert_array_equal(_grad_of(lambda x: x.max(), [1.0, 2.0, 0.0], INF), [0, INF, 0])
    grad = _grad_of(lambda x: x.log().max(0), [[1.0, -1.0], [2.0, 3.0]])
    np.testing.assert_array_equal(grad, [[0.0, NAN], [0.5, NAN]])
    grad = _grad_of(lambda x: x.max(0), [[1.0, 5.0], [2.0, 3.0]], [INF, 1.0])
    np.testing.assert_array_equal(grad, [[NAN, 1.0], [INF, 0.0]])


@pytest.mark.parametrize("reduce", ["max", "min"])
def test_max_over_a_dim_of_a_0d_tensor_is_amax_at_a_nan_too(reduce):
    """Long-survey seed 119529: a dim given for a 0-d tensor made max(dim) max(), which
    sends the gradient to a NaN; PyTorch's amax gives NaN there, as over any dim."""
    np.testing.assert_array_equal(_grad_of(lambda x: getattr(x, reduce)(0), NAN), NAN)
    np.testing.assert_array_equal(_grad_of(lambda x: getattr(x, reduce)(-1), 2.0), 1.0)
    np.testing.assert_array_equal(_grad_of(lambda x: getattr(x, reduce)(), NAN), 1.0)


def test_a_power_0_sends_0_even_from_an_infinite_or_nan_gradient():
    """Long-survey seed 129739: the derivative of a ** 0 is 0, whatever g is, as PyTorch's
    (0 * NaN was NaN), for a number exponent and where a tensor exponent is 0."""
    np.testing.assert_array_equal(_grad_of(lambda x: x**0, [2.0, 0.0], [NAN, INF]), [0.0, 0.0])
    b = cr.tensor([0.0, 1.0])
    np.testing.assert_array_equal(_grad_of(lambda x: x**b, [2.0, 3.0], [NAN, 1.0]), [0.0, 1.0])


def test_edge_gradients_match_torch():
    torch = pytest.importorskip("torch")
    same = [
        (lambda x: x.relu() ** -0.5, [0.0, 1.0, -1.0], None),
        (lambda x: x.relu(), [0.0, 1.0, -1.0, -2.0], [INF, INF, -INF, NAN]),
        (lambda x: x.log().relu(), [-1.0, 4.0], None),
        *((op, [0.0, 1.0, -1.0], None) for op, _ in CLAMPS),
        (lambda x: x.log().max(), [1.0, -1.0, 2.0, -3.0], None),
        (lambda x: x.log().min(), [1.0, -1.0, 2.0, -3.0], None),
        (lambda x: x.max(), [1.0, 2.0, 0.0], INF),
    ]
    cases = [(op, op, values, upstream) for op, values, upstream in same] + [
        # chainrule's max(dim) is PyTorch's amax(dim)
        (lambda x: x.log().max(0), lambda x: x.log().amax(0), [[1.0, -1.0], [2.0, 3.0]], None),
        (lambda x: x.max(0), lambda x: x.amax(0), [[1.0, 5.0], [2.0, 3.0]], [INF, 1.0]),
        (lambda x: x.min(0), lambda x: x.amin(0), NAN, None),
        (lambda x: x**0, lambda x: x**0, [2.0, 0.0], [NAN, INF]),
    ]
    for ours, theirs, values, upstream in cases:
        tx = torch.tensor(values, requires_grad=True)
        y = theirs(tx)
        y.backward(torch.ones_like(y) if upstream is None else torch.tensor(upstream))
        np.testing.assert_allclose(_grad_of(ours, values, upstream), tx.grad.numpy(), rtol=1e-6)


# ---------------------------------------------------------------------------- stability
EXTREMES = [1000.0, -1000.0, 0.0]
STABLE = [
    # name, op, value, gradient of (y * [1, 2, 3]).sum()
    ("sigmoid", lambda x: x.sigmoid(), [1.0, 0.0, 0.5], [0.0, 0.0, 0.75]),
    ("softmax", lambda x: x.softmax(0), [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]),
    ("log_softmax", lambda x: x.log_softmax(0), [0.0, -2000.0, -1000.0], [-5.0, 2.0, 3.0]),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize(("name", "op", "value", "grad"), STABLE, ids=[s[0] for s in STABLE])
def test_stable_for_huge_inputs(name, op, value, grad, dtype):
    x = cr.tensor(EXTREMES, dtype=dtype, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow RuntimeWarning fails the test
        y = op(x)
        (y * cr.tensor([1.0, 2.0, 3.0], dtype=dtype)).sum().backward()
    assert y.dtype == dtype
    assert x.grad.dtype == dtype
    assert np.all(np.isfinite(y.numpy()))
    assert np.all(np.isfinite(x.grad.numpy()))
    np.testing.assert_allclose(y.numpy(), value, atol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), grad, atol=1e-6)


@pytest.mark.parametrize("way", ["numpy's error state", "np.errstate"])
def test_the_sigmoid_quiets_only_its_overflow_and_puts_the_error_state_back(way, monkeypatch):
    # The sigmoid sets NumPy's error state around its exp (chainrule._fpstate), directly or,
    # where NumPy lacks that state, with np.errstate: the overflow is silent even where the
    # user made overflows raise, and the user's settings are the same after it.
    from chainrule import _fpstate

    if way == "np.errstate":
        monkeypatch.setattr(_fpstate, "ERROR_STATE", None)
    with np.errstate(over="raise", divide="raise", invalid="warn"):
        before = np.geterr()
        y = cr.tensor([-1000.0, 0.0, 1000.0]).sigmoid()
        assert np.geterr() == before
    assert y.tolist() == [0.0, 0.5, 1.0]


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_softmax_of_equal_huge_rows_is_uniform(op):
    x = cr.tensor([[1000.0, 1000.0], [-1000.0, -1000.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = getattr(x, op)(dim=1)
    expected = 0.5 if op == "softmax" else np.log(0.5)
    np.testing.assert_allclose(y.numpy(), np.full((2, 2), expected), rtol=1e-6)


# ---------------------------------------------------------------------------- comparisons
COMPARISONS = [
    (operator.lt, "lt", [True, False, False]),
    (operator.le, "le", [True, True, False]),
    (operator.gt, "gt", [False, False, True]),
    (operator.ge, "ge", [False, True, True]),
    (operator.eq, "eq", [False, True, False]),
    (operator.ne, "ne", [True, False, True]),
]


@pytest.mark.parametrize(("op", "method", "expected"), COMPARISONS, ids=[c[1] for c in COMPARISONS])
def test_comparisons_give_bool_tensors_that_need_no_grad(op, method, expected):
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for other in (cr.tensor([2.0, 2.0, 2.0], requires_grad=True), 2.0, 2, np.array([2.0])):
        for result in (op(x, other), getattr(x, method)(other)):
            assert isinstance(result, cr.Tensor)
            assert result.dtype == np.bool_
            assert not result.requires_grad
            assert result.grad_fn is None
            assert result.tolist() == expected


def test_reflected_comparison_with_a_number():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    assert (2.0 < x).tolist() == [False, False, True]  # noqa: SIM300 (the reflected form)
    assert (2.0 >= x).tolist() == [True, True, False]  # noqa: SIM300


# ---------------------------------------------------------------------------- broadcasting
def test_broadcast_gradients_sum_back_to_column_and_row():
    a = cr.tensor([[1.0], [2.0], [3.0]], requires_grad=True)  # (3, 1)
    b = cr.tensor([[10.0, 20.0, 30.0, 40.0]], requires_grad=True)  # (1, 4)
    (a + b).sum().backward()
    assert a.grad.shape == (3, 1)
    assert b.grad.shape == (1, 4)
    assert a.grad.tolist() == [[4.0], [4.0], [4.0]]
    assert b.grad.tolist() == [[3.0, 3.0, 3.0, 3.0]]


def test_broadcast_gradients_sum_over_missing_leading_dimensions():
    a = cr.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)  # (4,)
    b = cr.tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)  # (2, 3, 4)
    (a * b).sum().backward()
    assert a.grad.shape == (4,)
    assert b.grad.shape == (2, 3, 4)
    np.testing.assert_array_equal(a.grad.numpy(), np.arange(24.0).reshape(6, 4).sum(axis=0))
    np.testing.assert_array_equal(b.grad.numpy(), np.broadcast_to([1.0, 2.0, 3.0, 4.0], (2, 3, 4)))


def test_broadcast_gradient_of_a_scalar_tensor():
    a = cr.tensor(2.0, requires_grad=True)
    b = cr.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.shape == ()
    assert a.grad.item() == 10.0
    assert b.grad.tolist() == [[2.0, 2.0], [2.0, 2.0]]


# ---------------------------------------------------------------------------- dtypes
def test_float32_stays_float32_with_python_and_numpy_scalars():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    for y in (x * 2.5, 2.5 / x, x**2, x - np.float64(1.0), x + 1, cr.where(x > 1, x, 0.0)):
        assert y.dtype == np.float32


def test_cast_to_float64_sends_a_float32_gradient_back():
    x = cr.tensor([1.5, -2.0], requires_grad=True)
    for cast in (lambda x: x.double(), lambda x: x.to(cr.float64)):
        x.grad = None
        y = cast(x)
        assert y.dtype == np.float64
        assert y.requires_grad
        (y * y).sum().backward()
        assert x.grad.dtype == np.float32
        assert x.grad.tolist() == [3.0, -4.0]


def test_cast_to_float32_sends_a_float64_gradient_back():
    x = cr.tensor([1.5, -2.0], dtype=cr.float64, requires_grad=True)
    y = x.float()
    assert y.dtype == np.float32
    (y * cr.tensor([2.0, 3.0])).sum().backward()
    assert x.grad.dtype == np.float64
    assert x.grad.tolist() == [2.0, 3.0]


def test_clone_is_a_copy_that_stays_in_the_graph():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x.clone()
    y.data[0] = 100.0
    assert x.tolist() == [1.0, 2.0]
    (y * 3.0).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
