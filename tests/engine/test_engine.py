"""The backward walk: accumulation, ordering, freeing, grad modes, custom Functions."""

import gc
import tracemalloc
import weakref

import numpy as np
import pytest

import chainrule as cr
from helpers import Square


def test_fan_out_accumulates():
    x = cr.tensor(3.0, requires_grad=True)
    (x * x + x).backward()
    assert x.grad.item() == 7.0  # 2x + 1: both paths summed


def test_diamond_graph_visits_shared_node_once_with_summed_gradient():
    x = cr.tensor(2.0, requires_grad=True, dtype=cr.float64)
    h = x.exp()  # used by both branches below
    y = h * 3 + h * h
    y.backward()
    e = np.exp(2.0)
    assert x.grad.item() == pytest.approx(3 * e + 2 * e * e)


def test_grad_accumulates_across_backward_calls_until_zeroed():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    (w * 3).sum().backward()
    (w * 3).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [6.0, 6.0])
    w.grad = None
    (w * 3).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [3.0, 3.0])


def test_leaf_gradients_never_share_memory():
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    b = cr.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad.data *= 10
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])


def test_gradient_has_the_leaf_dtype_even_through_a_float64_op():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    (w * cr.tensor([0.5, 0.25], dtype=cr.float64)).sum().backward()
    assert w.grad.dtype == cr.float32
    np.testing.assert_array_equal(w.grad.numpy(), [0.5, 0.25])


def test_broadcast_gradient_is_summed_back_to_the_input_shape():
    b = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x = cr.ones(4, 3)
    (x + b).sum().backward()
    np.testing.assert_array_equal(b.grad.numpy(), [4.0, 4.0, 4.0])


def test_chain_of_100000_ops_backprops_without_recursion_error():
    x = cr.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + x
    y.backward()
    assert x.grad.item() == 100_001


def test_a_long_graph_that_is_never_backpropagated_is_freed_without_crashing():
    x = cr.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 1.0
    probe = weakref.ref(y.grad_fn)
    del y
    gc.collect()
    assert probe() is None


def test_graph_is_freed_after_backward():
    x = cr.randn(3, requires_grad=True)
    y = x.exp()
    loss = y.sum()
    loss.backward()
    assert y.grad_fn.saved_tensors == ()


def test_second_backward_needs_retain_graph():
    x = cr.tensor(2.0, requires_grad=True)
    y = x * x
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward_that_accumulates():
    x = cr.tensor(2.0, requires_grad=True)
    y = x * x
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == 8.0


def test_no_grad_records_nothing_and_enable_grad_reenables():
    x = cr.tensor([1.0], requires_grad=True)
    with cr.no_grad():
        y = x * 2
        assert not cr.is_grad_enabled()
        with cr.enable_grad():
            z = x * 2
    assert cr.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None


def test_ops_on_tensors_without_grad_record_nothing():
    y = cr.ones(2) * 3
    assert not y.requires_grad and y.is_leaf


def test_detach_stops_the_gradient():
    x = cr.tensor(3.0, requires_grad=True)
    (x * x.detach()).backward()
    assert x.grad.item() == 3.0


def test_non_scalar_backward_needs_a_gradient_of_its_shape():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    with pytest.raises(RuntimeError, match=r"shape \(2,\) needs grad="):
        y.backward()
    y.backward(cr.tensor([1.0, 0.5]))
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_backward_with_a_gradient_of_the_wrong_shape_is_an_error():
    y = cr.tensor([1.0, 2.0], requires_grad=True) * 2
    with pytest.raises(ValueError, match=r"grad of shape \(3,\) for a tensor of shape \(2,\)"):
        y.backward(np.ones(3))


def test_backward_on_a_tensor_that_needs_no_grad_is_an_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        cr.ones(1).backward()


def test_backward_on_a_leaf_fills_its_own_grad():
    x = cr.tensor(5.0, requires_grad=True)
    x.backward()
    assert x.grad.item() == 1.0


def test_custom_function_joins_the_graph():
    a = cr.tensor([1.0, -3.0], requires_grad=True)
    z = Square.apply(a)
    np.testing.assert_array_equal(z.numpy(), [1.0, 9.0])
    assert isinstance(z.grad_fn, Square)
    z.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, -6.0])
    assert cr.gradcheck(Square.apply, (cr.randn(4, requires_grad=True),))


def test_custom_function_sees_which_inputs_need_grad():
    seen = []

    class Probe(cr.Function):
        @staticmethod
        def forward(ctx, a, b):
            seen.append(ctx.needs_input_grad)
            return a * b

        @staticmethod
        def backward(ctx, grad):
            return grad, grad

    Probe.apply(cr.ones(1, requires_grad=True), cr.ones(1)).sum().backward()
    assert seen == [(True, False)]


def test_a_backward_with_the_wrong_number_of_gradients_is_a_clear_error():
    class Broken(cr.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, grad):
            return grad

    y = Broken.apply(cr.ones(1, requires_grad=True), cr.ones(1, requires_grad=True))
    with pytest.raises(RuntimeError, match=r"Broken\.backward returned 1 gradients for 2"):
        y.sum().backward()


def _training_step(weights, x, target, lr=0.1):
    w1, b1, w2, b2 = weights
    hidden = (x @ w1 + b1).sigmoid()
    loss = ((hidden @ w2 + b2 - target) ** 2).mean()
    loss.backward()
    with cr.no_grad():
        for w in weights:
            w.data -= lr * w.grad.data
            w.grad = None
    return loss.item()


def _live(kind):
    return sum(issubclass(type(o), kind) for o in gc.get_objects())


def test_a_thousand_training_steps_do_not_grow_memory():
    cr.manual_seed(0)
    weights = [
        cr.randn(8, 16, requires_grad=True),
        cr.zeros(16, requires_grad=True),
        cr.randn(16, 1, requires_grad=True),
        cr.zeros(1, requires_grad=True),
    ]
    x, target = cr.randn(32, 8), cr.randn(32, 1)
    tracemalloc.start()
    try:
        # Warm-up: CPython's tuple free lists fill up to their cap (2,000 each) during the
        # first few thousand steps; that memory is reused, not leaked.
        for _ in range(3000):
            _training_step(weights, x, target)
        tensors, nodes = _live(cr.Tensor), _live(cr.Function)
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(1000):
            _training_step(weights, x, target)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # Exact: no tensor or graph node outlives its step.
    assert (_live(cr.Tensor), _live(cr.Function)) == (tensors, nodes)
    # A leaked graph would hold this network's arrays, about 10 KB a step (10 MB here);
    # the allowance covers interpreter caches that other tests leave half full.
    assert grown < 256 * 1024


def test_a_backward_with_a_gradient_of_the_wrong_shape_is_a_clear_error():
    class Transposed(cr.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad.T  # same size, wrong shape: must not be silently reshaped

    y = Transposed.apply(cr.ones(2, 3, requires_grad=True))
    with pytest.raises(RuntimeError, match=r"Transposed.backward returned a gradient of shape"):
        y.sum().backward()


def test_retain_grad_keeps_an_intermediate_gradient():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    h = (x * 3).retain_grad()
    y = h * h
    y.sum().backward()
    assert h.grad.tolist() == [6.0, 12.0]  # dy/dh = 2h
    assert x.grad.tolist() == [18.0, 36.0]
    z = x * 2
    z.sum().backward()
    assert z.grad is None  # not retained: intermediate gradients are not kept by default


def test_a_second_backward_through_an_inner_freed_node_needs_retain_graph():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    y, z = h * 3, h * 4
    y.sum().backward()  # frees h's node too: z's graph now reaches a freed node
    with pytest.raises(RuntimeError, match=r"already freed.*retain_graph=True"):
        z.sum().backward()
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    y, z = h * 3, h * 4
    y.sum().backward(retain_graph=True)
    z.sum().backward()
    assert x.grad.tolist() == [14.0, 14.0]
    torch = pytest.importorskip("torch")  # which refuses the same program the same way
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    y, z = h * 3, h * 4
    y.sum().backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        z.sum().backward()


class _TensorGrads(cr.Function):
    """A backward written as for PyTorch: it returns Tensors, not arrays."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return cr.tensor(grad * b), cr.tensor(grad * a)


class _TensorGrad(cr.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 3

    @staticmethod
    def backward(ctx, grad):
        return cr.tensor(grad) * 3


def test_a_custom_backward_may_return_tensors():
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    b = cr.tensor([3.0, -1.0], requires_grad=True)
    _TensorGrads.apply(a, b).sum().backward()
    assert a.grad.tolist() == [3.0, -1.0] and b.grad.tolist() == [1.0, 2.0]
    assert isinstance(a.grad.data, np.ndarray)
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    (_TensorGrad.apply(x) * x).sum().backward()  # the Tensor gradient also passes a node on
    assert x.grad.tolist() == [6.0, 12.0]  # d(3x * x)/dx = 6x
    with cr.detect_anomaly():
        _TensorGrad.apply(cr.tensor([1.0], requires_grad=True)).backward()


POWER_GRADIENTS_AT_0_AND_4 = {0: [0.0, 0.0], 1: [1.0, 1.0], 2: [0.0, 8.0], 0.5: [np.inf, 0.25]}


def test_the_gradient_of_a_power_at_zero_is_pytorchs():
    for exponent, expected in POWER_GRADIENTS_AT_0_AND_4.items():
        x = cr.tensor([0.0, 4.0], requires_grad=True)
        with np.errstate(divide="ignore"):  # 0 ** -0.5
            (x**exponent).sum().backward()
        assert x.grad.tolist() == expected, exponent  # d(x**0)/dx = 0, not 0 * 0**-1 = nan
    torch = pytest.importorskip("torch")
    for exponent, expected in POWER_GRADIENTS_AT_0_AND_4.items():
        t = torch.tensor([0.0, 4.0], requires_grad=True)
        (t**exponent).sum().backward()
        assert t.grad.tolist() == expected, exponent


def test_the_gradient_of_a_power_with_a_zero_tensor_exponent_is_zero():
    x = cr.tensor([0.0, 2.0], requires_grad=True)
    e = cr.tensor([0.0, 0.0], requires_grad=True)
    (x**e).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]
    assert e.grad.tolist() == [0.0, np.float32(np.log(2.0))]  # x**e log x, 0 at x = 0


def test_a_number_over_a_tensor_is_its_reciprocal_times_the_number_as_in_pytorch():
    """PyTorch computes 3 / x as reciprocal(x) * 3, which rounds differently from one
    division in about a third of the cases: chainrule does the same, bit for bit."""
    x = np.float32([0.7, 1.1, 3.3, -2.9, 0.3])
    expected = (np.float32(1) / x) * np.float32(3)
    assert not np.array_equal(expected, np.float32(3) / x)  # the two roundings differ here
    np.testing.assert_array_equal((3 / cr.tensor(x)).numpy(), expected)
    t = cr.tensor(x, requires_grad=True)
    (3 / t).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), -3 / x**2, rtol=1e-6)
    torch = pytest.importorskip("torch")
    np.testing.assert_array_equal((3 / torch.tensor(x)).numpy(), expected)
