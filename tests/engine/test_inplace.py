"""In-place operations, by PyTorch's rules: where they change the data, when they refuse,
how the graph records them, and the version counter that guards saved tensors.

Programs are written once for both libraries (``lib`` is chainrule or torch), so that
PyTorch, when installed, is the reference; without it, gradients are checked against
central differences and values against hard facts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn

try:
    import torch
except ImportError:
    torch = None

MODIFIED = r"modified by an in.?place operation"


def _leaf(lib: Any, values: list[float]) -> Any:
    return lib.tensor(values, dtype=lib.float64, requires_grad=True)


# ----------------------------------------------------------------- without a graph


def test_iadd_changes_the_tensor_itself():
    x = cr.tensor([1.0, 2.0])
    before = x
    x += 1
    x -= cr.tensor([0.5, 0.5])
    x *= 4
    x /= 2
    x **= 2
    assert x is before
    assert x.tolist() == [9.0, 25.0]


def test_every_alias_sees_an_in_place_change():
    x = cr.tensor([[1.0, 2.0], [3.0, 4.0]])
    row, flat, detached, array = x[1], x.reshape(4), x.detach(), x.data  # .data: the ndarray
    x.mul_(10)
    assert row.tolist() == [30.0, 40.0]
    assert flat.tolist() == [10.0, 20.0, 30.0, 40.0]
    assert detached.tolist() == x.tolist()
    np.testing.assert_array_equal(array, x.data)
    row.zero_()  # and a change through a view reaches the base
    assert x.tolist() == [[10.0, 20.0], [0.0, 0.0]]


def test_in_place_methods_return_the_tensor():
    x = cr.ones(3)
    assert x.add_(1) is x and x.zero_() is x and x.fill_(2.0) is x and x.clamp_(0, 1) is x


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        (lambda x: x.add_(cr.tensor([1.0, 1.0, 1.0]), alpha=2), [1.0, 2.0, 6.0]),
        (lambda x: x.sub_(1, alpha=0.5), [-1.5, -0.5, 3.5]),
        (lambda x: x.mul_(2), [-2.0, 0.0, 8.0]),
        (lambda x: x.div_(4), [-0.25, 0.0, 1.0]),
        (lambda x: x.pow_(2), [1.0, 0.0, 16.0]),
        (lambda x: x.neg_(), [1.0, 0.0, -4.0]),
        (lambda x: x.abs_(), [1.0, 0.0, 4.0]),
        (lambda x: x.relu_(), [0.0, 0.0, 4.0]),
        (lambda x: x.clamp_(-0.5, 2), [-0.5, 0.0, 2.0]),
        (lambda x: x.clip_(max=1), [-1.0, 0.0, 1.0]),
        (lambda x: x.fill_(7), [7.0, 7.0, 7.0]),
        (lambda x: x.zero_(), [0.0, 0.0, 0.0]),
        (lambda x: x.copy_(cr.tensor([5, 6, 7])), [5.0, 6.0, 7.0]),
        (lambda x: x.exp_().log_(), [-1.0, 0.0, 4.0]),
        (lambda x: x.abs_().sqrt_(), [1.0, 0.0, 2.0]),
        (lambda x: x.sigmoid_(), [1 / (1 + np.e), 0.5, 1 / (1 + np.exp(-4))]),
        (lambda x: x.tanh_(), np.tanh([-1.0, 0.0, 4.0]).tolist()),
    ],
)
def test_in_place_methods_compute_what_their_out_of_place_ops_do(method, expected):
    x = cr.tensor([-1.0, 0.0, 4.0], dtype=cr.float64)
    data = x.data
    method(x)
    assert x.data is data and x.dtype == cr.float64
    np.testing.assert_allclose(x.numpy(), expected, rtol=1e-12)


def test_in_place_keeps_the_dtype_and_casts_the_result_to_it():
    x = cr.tensor([1.0, 2.0])  # float32
    x += cr.tensor([0.1, 0.2], dtype=cr.float64)
    assert x.dtype == cr.float32
    np.testing.assert_array_equal(x.numpy(), np.array([1.1, 2.2], dtype=np.float32))
    n = cr.tensor([1, 2], dtype=cr.int32)
    n += cr.tensor([10, 20])  # int64 into int32: same kind
    assert n.dtype == cr.int32 and n.tolist() == [11, 22]


def test_copy_fill_and_assignment_convert_to_the_dtype_as_pytorch_does():
    n = cr.tensor([0, 0, 0])
    n.copy_(cr.tensor([1.7, 2.2, -3.9]))
    assert n.dtype == cr.int64 and n.tolist() == [1, 2, -3]  # truncated toward zero
    n.fill_(2.5)
    assert n.tolist() == [2, 2, 2]
    n[0] = 9.9
    assert n.tolist() == [9, 2, 2]


@pytest.mark.parametrize(
    ("make", "change"),
    [
        (lambda lib: lib.tensor([1, 2]), lambda x: x.__iadd__(2.5)),
        (lambda lib: lib.tensor([4, 6]), lambda x: x.__itruediv__(2)),
        (lambda lib: lib.tensor([True, False]), lambda x: x.__iadd__(1)),
        (lambda lib: lib.tensor([1, 2]), lambda x: x.add_(1, alpha=0.5)),
        (lambda lib: lib.tensor([1.0, 2.0]), lambda x: x.__iadd__(1j)),
    ],
    ids=["int+=float", "int/=int", "bool+=int", "int.add_(alpha=float)", "float+=complex"],
)
def test_in_place_refuses_a_result_its_dtype_cannot_hold(make, change):
    x = make(cr)
    before = x.tolist()
    with pytest.raises(RuntimeError, match="cannot hold"):
        change(x)
    assert x.tolist() == before
    if torch is not None:
        with pytest.raises(RuntimeError):
            change(make(torch))


def test_the_other_operand_broadcasts_to_the_tensor_but_not_the_reverse():
    x = cr.zeros(2, 3)
    x += cr.tensor([1.0, 2.0, 3.0])
    assert x.tolist() == [[1.0, 2.0, 3.0]] * 2
    small = cr.zeros(3)
    with pytest.raises(RuntimeError, match=r"cannot change a tensor's shape"):
        small += cr.ones(2, 3)
    with pytest.raises(RuntimeError, match=r"cannot change a tensor's shape"):
        small.copy_(cr.ones(2, 3))
    assert small.shape == (3,)
    if torch is not None:
        with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
            torch.zeros(3).add_(torch.ones(2, 3))


def test_assignment_by_index_changes_the_tensor_in_place():
    x = cr.zeros(2, 3)
    view = x[1]
    x[1] = cr.tensor([1.0, 2.0, 3.0])
    x[0, 1:] = 5
    x[x > 2.5] = -1  # a mask from a tensor
    assert x.tolist() == [[0.0, -1.0, -1.0], [1.0, 2.0, -1.0]]
    assert view.tolist() == [1.0, 2.0, -1.0]


def test_uniform_and_normal_fill_from_the_seeded_generator():
    cr.manual_seed(7)
    a = cr.zeros(1000).uniform_(-2, 3)
    cr.manual_seed(7)
    b = cr.zeros(1000).uniform_(-2, 3)
    assert a.tolist() == b.tolist() and a.dtype == cr.float32
    assert a.min().item() >= -2 and a.max().item() < 3
    n = cr.zeros(20000, dtype=cr.float64).normal_(5.0, 2.0)
    assert n.dtype == cr.float64
    assert abs(n.mean().item() - 5.0) < 0.1 and abs(n.numpy().std() - 2.0) < 0.1


def test_in_place_ops_keep_a_gpu_tensor_on_its_gpu(fake_gpu):
    x = cr.ones(3, device="cuda")
    data = x.data
    x += 1
    x *= cr.tensor([1.0, 2.0, 3.0], device="cuda")
    x[0] = 5
    x.clamp_(0, 5.5)
    assert x.data is data and x.device == "cuda:0"
    assert x.cpu().tolist() == [5.0, 4.0, 5.5]
    with pytest.raises(cr.DeviceError, match="different devices"):
        x += cr.ones(3)
    w = cr.tensor([1.0, 2.0, 3.0], device="cuda", requires_grad=True)
    y = w * 2
    y += 1
    y *= w
    y[1] = 0.0
    y.sum().backward()
    assert w.grad.device == "cuda:0" and w.grad.cpu().tolist() == [5.0, 0.0, 13.0]  # 4w + 1


def _arange(lib: Any) -> Any:
    return lib.tensor([0.0, 1.0, 2.0, 3.0, 4.0, 5.0])


OVERLAPS = {
    "x += x[0:1]": (lambda x: x.add_(x[0:1]), True),
    "x /= x[1] (0-d)": (lambda x: x.div_(x[1]), True),
    "x.view(1, 6) *= x": (lambda x: x.view(1, 6).mul_(x), True),
    "x[0:3].copy_(x[1:4])": (lambda x: x[0:3].copy_(x[1:4]), True),
    "x[0:2] = x[1:3]": (lambda x: x.__setitem__(slice(0, 2), x[1:3]), True),
    "x[[4, 5]] = x[0:2]": (lambda x: x.__setitem__([4, 5], x[0:2]), True),
    "x += x": (lambda x: x.add_(x), False),
    "x += x.view(6)": (lambda x: x.add_(x.view(6)), False),
    "x[3:] -= x[:3]": (lambda x: x[3:].sub_(x[:3]), False),
    "x[0:3] = x[1] (filled)": (lambda x: x.__setitem__(slice(0, 3), x[1]), False),
    "x.view(1, 1, 6)[0:1] = itself": (
        lambda x: (lambda v: v.__setitem__(slice(0, 1), v))(x.view(1, 1, 6)),
        False,
    ),
    "x[0:3] = x[1:2] (broadcast)": (lambda x: x.__setitem__(slice(0, 3), x[1:2]), False),
    "x.fill_(x[0])": (lambda x: x.fill_(x[0]), False),
    "x[x > 3] = x[0] (filled)": (lambda x: x.__setitem__(x > 3, x[0]), False),
}


@pytest.mark.parametrize("change", OVERLAPS, ids=str)
def test_an_operand_sharing_part_of_the_written_memory_is_refused_as_in_pytorch(change):
    """Its elements would be read after they were written: PyTorch refuses, except where it
    fills the elements with one value, or broadcasts the operand."""
    program, refused = OVERLAPS[change]
    for lib in (cr, torch):
        if lib is None:
            continue
        x = _arange(lib)
        if refused:
            with pytest.raises(RuntimeError, match="refer to a single memory location"):
                program(x)
            assert x.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
        else:
            program(x)


def test_assignment_by_index_tensors_needs_the_tensors_dtype_as_in_pytorch():
    for lib in (cr, torch):
        if lib is None:
            continue
        x = lib.zeros(3)
        value = lib.tensor([1.5, 2.5], dtype=lib.float64)
        for key in ([0, 1], lib.tensor([0, 1]), lib.tensor([True, False, True])):
            with pytest.raises(RuntimeError, match="dtypes match"):
                x[key] = value
        x[0:2] = value  # a slice converts, as copy_ does
        x[lib.tensor([False, False, True])] = value[0:1]  # a mask fills with one element
        assert x.tolist() == [1.5, 2.5, 1.5] and x.dtype == lib.float32


# ----------------------------------------------------------------- leaves that require grad


@pytest.mark.parametrize(
    "change",
    [
        lambda w: w.__iadd__(1),
        lambda w: w.__isub__(cr.ones(3)),
        lambda w: w.mul_(2),
        lambda w: w.zero_(),
        lambda w: w.fill_(1),
        lambda w: w.copy_(cr.zeros(3)),
        lambda w: w.uniform_(),
        lambda w: w.__setitem__(0, 5.0),
    ],
    ids=["+=", "-=", "mul_", "zero_", "fill_", "copy_", "uniform_", "w[0] ="],
)
def test_a_leaf_that_requires_grad_refuses_in_place_changes_with_grad_mode_on(change):
    w = cr.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used"):
        change(w)
    assert w.tolist() == [1.0, 1.0, 1.0] and w.is_leaf
    with cr.no_grad():
        change(w)  # an optimizer step's way
    assert w.is_leaf and w.grad_fn is None and w.requires_grad


def test_a_view_of_a_leaf_that_requires_grad_refuses_in_place_changes():
    w = cr.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        w[0:2].mul_(2)
    assert w.tolist() == [1.0, 1.0, 1.0]
    if torch is not None:
        with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
            torch.ones(3, requires_grad=True)[0:2].mul_(2)


def test_sgd_written_by_hand_with_in_place_ops_trains_as_optim_sgd_does():
    x = cr.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    target = cr.tensor([[0.0], [1.0], [1.0], [0.0]])
    lr = 0.1

    def model() -> nn.Module:
        cr.manual_seed(0)
        return nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))

    by_hand, by_optim = model(), model()
    weights = list(by_hand.parameters())
    optimizer = cr.optim.SGD(by_optim.parameters(), lr=lr)
    losses = []
    for _ in range(60):
        loss = cr.functional.mse_loss(by_hand(x), target)
        loss.backward()
        with cr.no_grad():
            for p in by_hand.parameters():
                p -= lr * p.grad  # PyTorch's tutorial idiom
                p.grad.zero_()
        reference = cr.functional.mse_loss(by_optim(x), target)
        optimizer.zero_grad()
        reference.backward()
        optimizer.step()
        assert loss.item() == reference.item()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    assert [p for p in by_hand.parameters()] == weights  # the same objects, still Parameters
    assert all(isinstance(p, nn.Parameter) and p.is_leaf for p in weights)


# ----------------------------------------------------------------- recorded in the graph


def _chain(lib: Any, x: Any, w: Any) -> Any:
    y = x * 2
    before = y
    y += 1
    y *= w
    assert y is before  # the same tensor, now the output of the last op
    return y


def test_an_in_place_chain_on_a_non_leaf_has_pytorch_gradients():
    x, w = _leaf(cr, [1.0, 2.0, 3.0]), _leaf(cr, [0.5, -1.0, 2.0])
    y = _chain(cr, x, w)
    assert type(y.grad_fn).__name__ == "Mul" and type(y.grad_fn.inputs[0].grad_fn).__name__ == "Add"
    y.sum().backward()
    assert x.grad.tolist() == [1.0, -2.0, 4.0]  # d/dx (2x + 1) w = 2w
    assert w.grad.tolist() == [3.0, 5.0, 7.0]  # 2x + 1
    assert cr.gradcheck(lambda x, w: _chain(cr, x, w), (x, w))
    if torch is not None:
        tx, tw = _leaf(torch, [1.0, 2.0, 3.0]), _leaf(torch, [0.5, -1.0, 2.0])
        _chain(torch, tx, tw).sum().backward()
        assert x.grad.tolist() == tx.grad.tolist() and w.grad.tolist() == tw.grad.tolist()


IN_GRAPH: dict[str, Callable[[Any, Any], Any]] = {
    "add_ alpha": lambda y, w: y.add_(w, alpha=2),
    "sub_ alpha": lambda y, w: y.sub_(w * w, alpha=0.5),
    "mul_": lambda y, w: y.mul_(w),
    "div_": lambda y, w: y.div_(w),
    "pow_": lambda y, w: y.pow_(3),
    "**= tensor": lambda y, w: y.__ipow__(w),
    "neg_": lambda y, w: y.neg_(),
    "exp_": lambda y, w: y.exp_(),
    "log_": lambda y, w: y.log_(),
    "sqrt_": lambda y, w: y.sqrt_(),
    "abs_": lambda y, w: (y - 2).abs_(),
    "sigmoid_": lambda y, w: y.sigmoid_(),
    "tanh_": lambda y, w: y.tanh_(),
    "relu_": lambda y, w: (y - 2).relu_(),
    "clamp_": lambda y, w: y.clamp_(1.2, 2.5),
    "copy_": lambda y, w: y.copy_(w * 3),
    "fill_": lambda y, w: y.fill_(2.0),
    "zero_": lambda y, w: y.zero_(),
    "x[1:3] = w": lambda y, w: y.__setitem__(slice(1, 3), w[:2] * 2),
    "x[[0, 2]] = w": lambda y, w: y.__setitem__([0, 2], w[1:]),
    "x[mask] = 0": lambda y, w: y.__setitem__(y > 2, 0.0),
    "twice": lambda y, w: y.mul_(w).add_(y.exp()).sigmoid_(),
}


@pytest.mark.parametrize("name", IN_GRAPH)
def test_in_place_ops_in_the_graph_have_the_right_gradients(name):
    change = IN_GRAPH[name]

    def program(lib: Any, x: Any, w: Any) -> Any:
        y = x * 1.5 + 0.25  # a non-leaf; positive, for log, sqrt and powers
        result = change(y, w)  # y itself, a new tensor changed in place, or None (x[k] = v)
        return (y if result is None else result) * lib.tensor([1.0, -2.0, 0.5], dtype=lib.float64)

    values, weights = [0.5, 1.0, 2.0], [0.75, 1.5, 1.25]
    x, w = _leaf(cr, values), _leaf(cr, weights)
    program(cr, x, w).sum().backward()
    assert cr.gradcheck(lambda x, w: program(cr, x, w), (_leaf(cr, values), _leaf(cr, weights)))
    if torch is not None:
        tx, tw = _leaf(torch, values), _leaf(torch, weights)
        program(torch, tx, tw).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-15)
        expected_w = np.zeros(3) if tw.grad is None else tw.grad.numpy()
        got_w = np.zeros(3) if w.grad is None else w.grad.numpy()
        np.testing.assert_allclose(got_w, expected_w, rtol=1e-12, atol=1e-15)


def test_a_tensor_times_itself_in_place_is_refused_at_backward_as_in_pytorch():
    """mul_ saves its operand for the tensor's gradient, and the operand is the tensor, which
    the op then changes: PyTorch refuses y.mul_(y) (and y /= y.detach()) at backward."""
    for lib in (cr, torch):
        if lib is None:
            continue
        for change in (lambda y: y.mul_(y), lambda y: y.div_(y.detach())):
            y = _leaf(lib, [0.5, -1.0, 2.0]) * 1.5
            change(y)
            with pytest.raises(RuntimeError, match=MODIFIED):
                y.sum().backward()
        y = _leaf(lib, [0.5, -1.0, 2.0]) * 1.5
        y.add_(y)  # add_ saves nothing
        y.sum().backward()


def test_an_in_place_op_with_an_operand_that_requires_grad_puts_a_plain_tensor_in_the_graph():
    total = before = cr.zeros(3)
    x = _leaf(cr, [1.0, 2.0, 3.0])
    total += x * x
    assert total is before and total.requires_grad and not total.is_leaf
    total.sum().backward()
    assert x.grad.tolist() == [2.0, 4.0, 6.0]


def test_an_op_that_used_a_tensor_before_it_changed_gets_the_old_versions_gradient():
    def program(lib: Any, x: Any) -> Any:
        y = before = x * 2
        z = y * 3  # uses y before the change; saves only the 3
        y *= x  # y is now 2x²
        assert y is before
        return z + y

    x = _leaf(cr, [1.0, -2.0])
    program(cr, x).sum().backward()
    assert x.grad.tolist() == [10.0, -2.0]  # 6 + 4x
    if torch is not None:
        tx = _leaf(torch, [1.0, -2.0])
        program(torch, tx).sum().backward()
        assert x.grad.tolist() == tx.grad.tolist()


def test_retain_grad_follows_the_tensor_through_an_in_place_change():
    x = _leaf(cr, [1.0, 2.0])
    y = (x * 2).retain_grad()
    y *= 3
    (y * y).sum().backward()
    assert y.grad.tolist() == [12.0, 24.0]  # the gradient of the new value, 2y
    assert x.grad.tolist() == [72.0, 144.0]


def test_assignment_into_a_0d_tensor_in_the_graph_passes_the_gradient_on():
    """Seed 123 of the differential test: the gradient reaching the assignment of a 0-d
    tensor came as a NumPy scalar, which cannot be assigned into."""
    for lib in (cr, torch):
        if lib is None:
            continue
        x = lib.tensor(0.5, requires_grad=True)
        h = x * 3
        v = lib.tensor(-50.0, requires_grad=True)
        h[None, ...] = v
        (h * lib.tensor(-1.0)).sum().backward()
        assert (v.grad.item(), x.grad.item()) == (-1.0, 0.0)


def test_an_assigned_value_drops_its_leading_ones_and_gets_its_own_shaped_gradient():
    """Long-survey seeds 100301, 106440 and 102203: as in PyTorch, a value's leading
    dimensions of size 1 are dropped before it broadcasts to the elements (one element
    takes a value of shape (1,)), and its gradient comes back in its own shape."""
    for lib in (cr, torch):
        if lib is None:
            continue
        x = lib.tensor([-1.0])
        with lib.no_grad():
            x[0] = lib.tensor([0.5])
        assert x.tolist() == [0.5]
        h = lib.tensor([[1.0, 2.0, 3.0]])
        v = lib.tensor([[[5.0, 6.0, 7.0]]], requires_grad=True)
        h[0] = v
        u = lib.tensor([[[2.0]]], requires_grad=True)
        h[0, 1:] = u
        (h * lib.tensor([[1.0, 2.0, 3.0]])).sum().backward()
        assert h.tolist() == [[5.0, 2.0, 2.0]]
        assert v.grad.tolist() == [[[1.0, 0.0, 0.0]]] and u.grad.tolist() == [[[5.0]]]


def test_a_0d_tensor_overwritten_through_a_view_passes_no_gradient_to_its_old_value():
    """Long-survey seed 105203: the gradient reaching the change of a 0-d tensor through a
    view came as a NumPy scalar, and zeroing the overwritten element missed it."""
    for lib in (cr, torch):
        if lib is None:
            continue
        x = lib.tensor(1.5, requires_grad=True)
        h = x * 3
        h[None][None].copy_(lib.tensor(-2.0))
        (h.sigmoid() * 2).backward()
        assert (x.grad.item(), h.item()) == (0.0, -2.0)


def test_a_view_of_a_non_leaf_changed_in_place_gives_the_views_gradient():
    x = _leaf(cr, [1.0, 2.0, 3.0])
    h = x * 2
    v = h[0:2]
    v *= 3
    v.sum().backward()
    assert x.grad.tolist() == [6.0, 6.0, 0.0]
    assert h.tolist() == [6.0, 12.0, 6.0]  # the base holds the change


def _through_a_slice(lib: Any, x: Any, w: Any) -> Any:
    h = x * 2
    h[0:2].mul_(3)
    return h


def _through_a_transpose(lib: Any, x: Any, w: Any) -> Any:
    h = (x * 2).reshape(2, 2)
    h.T.mul_(w.reshape(2, 2))
    return h


def _view_made_before_its_base_changed(lib: Any, x: Any, w: Any) -> Any:
    h = x * 2
    v = h[1:]
    h.mul_(3)
    return v


def _sibling_of_the_changed_view(lib: Any, x: Any, w: Any) -> Any:
    h = x * 2
    a, b = h[0:2], h[2:]
    a.mul_(w[0:2])
    return b * a.sum()


def _view_used_before_and_after_its_base_changed(lib: Any, x: Any, w: Any) -> Any:
    h = (x * 2).reshape(2, 2)
    v = h[1:]
    before = v * 1.5
    h.mul_(w.reshape(2, 2))
    after = ((v * 2) * 3) * 4  # met after the use before the change, walking the graph
    return lib.cat([before, after])


def _add_into_a_column(lib: Any, x: Any, w: Any) -> Any:
    h = (x * 2).reshape(2, 2)
    h[:, 0] += w[0:2]  # a view changed in place, then assigned back
    return h * h


def _through_an_element(lib: Any, x: Any, w: Any) -> Any:
    h = x * 2
    h[1].mul_(w[0])  # h[1] is a 0-d view of h
    return h


def _view_of_a_tensor_without_grad(lib: Any, x: Any, w: Any) -> Any:
    h = lib.zeros(4, dtype=lib.float64)
    v = h[0:2]
    v += w[0:2]  # h now requires grad, as the output of the change
    return h * h


def _base_without_grad_changed_under_its_view(lib: Any, x: Any, w: Any) -> Any:
    h = lib.zeros(4, dtype=lib.float64)
    v = h.view(2, 2)
    h -= w  # v now requires grad, as a view of the changed h
    return v * v


def _add_into_a_buffer(lib: Any, x: Any, w: Any) -> Any:
    out = lib.zeros(4, 2, dtype=lib.float64)
    out[:, 0] += w
    return out * x[:, None]


# Each program's output and the gradients of x and w, as PyTorch 2.13 computes them.
THROUGH_VIEWS = {
    _through_a_slice: ([3.0, -6.0, 4.0, 6.0], [6.0, 6.0, 2.0, 2.0], None),
    _through_a_transpose: ([1.5, 4.0, 2.0, 1.5], [3.0, -4.0, 1.0, 0.5], [1.0, 4.0, -2.0, 6.0]),
    _view_made_before_its_base_changed: ([-6.0, 12.0, 18.0], [0.0, 6.0, 6.0, 6.0], None),
    _sibling_of_the_changed_view: ([2.0, 3.0], [30.0, 10.0, 1.0, 1.0], [10.0, -20.0, 0.0, 0.0]),
    _view_used_before_and_after_its_base_changed: (
        [6.0, 9.0, -192.0, 36.0],
        [0.0, 0.0, -93.0, 15.0],
        [0.0, 0.0, 96.0, 144.0],
    ),
    _add_into_a_column: ([6.25, 4.0, 20.25, 36.0], [10.0, -8.0, 18.0, 24.0], [5.0, 9.0, 0.0, 0.0]),
    _through_an_element: ([1.0, -3.0, 4.0, 6.0], [2.0, 3.0, 2.0, 2.0], [-2.0, 0.0, 0.0, 0.0]),
    _view_of_a_tensor_without_grad: ([2.25, 0.25, 0.0, 0.0], None, [3.0, 1.0, 0.0, 0.0]),
    _base_without_grad_changed_under_its_view: (
        [2.25, 0.25, 4.0, 0.0625],
        None,
        [3.0, 1.0, -4.0, 0.5],
    ),
    _add_into_a_buffer: (
        [0.75, 0.0, -0.5, 0.0, -4.0, 0.0, 0.75, 0.0],
        [1.5, 0.5, -2.0, 0.25],
        [0.5, -1.0, 2.0, 3.0],
    ),
}


@pytest.mark.parametrize("program", THROUGH_VIEWS, ids=lambda program: program.__name__[1:])
def test_a_change_through_a_view_or_its_base_reaches_the_other_as_in_pytorch(program):
    """PyTorch carries an in-place change of a view to its base, and of a base to its views
    (made before the change), in values and in the graph."""
    for lib in (cr, torch):
        if lib is None:
            continue
        x = lib.tensor([0.5, -1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
        w = lib.tensor([1.5, 0.5, -2.0, 0.25], dtype=lib.float64, requires_grad=True)
        out = program(lib, x, w)
        out.sum().backward()
        grads = [None if t.grad is None else t.grad.tolist() for t in (x, w)]
        assert (out.detach().reshape(-1).tolist(), *grads) == THROUGH_VIEWS[program], lib


def test_the_base_of_a_changed_view_becomes_the_output_of_the_change():
    x = _leaf(cr, [1.0, 2.0, 3.0])
    h = x * 2
    v = h[1:]
    v += x[1:]
    assert h.grad_fn.__class__.__name__ == "WriteThrough" and v.grad_fn.__class__.__name__ == "View"
    base = cr.zeros(3)
    base[0:2] += x[0:2]
    assert base.requires_grad and not base.is_leaf
    assert cr.gradcheck(
        lambda x: (lambda h: (h[0:2].mul_(x[1:]), h)[1])(x * 2), (_leaf(cr, [1.0, 2.0, 3.0]),)
    )


def test_what_an_in_place_op_on_a_view_saved_is_guarded_as_in_pytorch():
    """exp_ of a view saves its result, which a later change of the view (or of its base)
    overwrites: backward refuses. The previous value that mul_ saves is kept, and a float32
    view changed with a float64 operand computes with a copy that nothing else changes."""
    for lib in (cr, torch):
        if lib is None:
            continue
        for later in (lambda h, v: v.mul_(2), lambda h, v: h.add_(1)):
            h = _leaf(lib, [0.5, -1.0, 2.0]) * 2
            v = h[1:]
            v.exp_()
            later(h, v)
            with pytest.raises(RuntimeError, match=MODIFIED):
                h.sum().backward()
        h = lib.zeros(3)
        w = _leaf(lib, [2.0, 3.0])
        v = h[1:]
        v += 1
        v.mul_(w)
        v.add_(w)
        h.sum().backward()
        assert w.grad.tolist() == [2.0, 2.0]


def test_a_view_made_under_no_grad_refuses_a_change_recorded_in_the_graph():
    """PyTorch's rule: such a change is ambiguous (the view's history says it needs no
    gradient), whether the operand requires grad or the view's base does."""
    for lib in (cr, torch):
        if lib is None:
            continue
        h = lib.zeros(4)
        with lib.no_grad():
            v = h[0:2]
        with pytest.raises(RuntimeError, match=r"created in no_grad mode and is being modified"):
            v += lib.ones(2, requires_grad=True)
        v.mul_(2)  # neither requires grad: nothing to record
        h = lib.ones(4, requires_grad=True) * 2
        with lib.no_grad():
            v = h[0:2]
        with pytest.raises(RuntimeError, match=r"created in no_grad mode"):
            v.mul_(2)
        with pytest.raises(RuntimeError, match=r"created in no_grad mode"):
            v[0] = 5.0
        with lib.no_grad():
            v.mul_(2)  # under no_grad, as an optimizer step
        assert h.tolist() == [4.0, 4.0, 2.0, 2.0]


def test_a_change_through_a_detached_alias_is_outside_the_originals_graph():
    """As in PyTorch (long-survey seed 109954, where chainrule refused): the alias's change
    is in the alias's graph only; the original's gradient flows as if its values had not
    changed, through views of it too, and only an op that saved them refuses."""
    for lib in (cr, torch):
        if lib is None:
            continue
        x = _leaf(lib, [1.0, 2.0])
        h = x * 2
        v = h[0:2]
        a = _leaf(lib, [1.0, 3.0])
        h.detach().mul_(a)
        (h.sum() + (v * 3).sum()).backward()
        assert x.grad.tolist() == [8.0, 8.0] and a.grad is None
        assert h.tolist() == [2.0, 12.0]
        e = (x * 2).exp()
        e.detach().add_(a)
        with pytest.raises(RuntimeError, match=MODIFIED):
            e.sum().backward()


def test_an_integer_tensor_changed_with_a_tensor_that_requires_grad_still_requires_none():
    for lib in (cr, torch):
        if lib is None:
            continue
        w = lib.tensor([1.7, -2.2], requires_grad=True)
        n = lib.tensor([5, 6])
        n.copy_(w)
        m = lib.zeros(2, dtype=lib.int64)
        m[0] = w[1]
        assert (n.tolist(), m.tolist()) == ([1, -2], [-2, 0])
        assert not n.requires_grad and not m.requires_grad


# ----------------------------------------------------------------- the version counter


def test_the_version_counts_in_place_changes_and_is_shared_by_aliases():
    x = cr.tensor([1.0, 2.0, 3.0])
    view, detached = x[1:], x.detach()
    assert x._version == 0
    x += 1
    view.mul_(2)
    detached[0] = 0
    x.data[0] = 5  # the array itself, as PyTorch's .data: not counted
    assert (x._version, view._version, detached._version) == (3, 3, 3)
    assert cr.tensor([1.0])._version == 0
    if torch is not None:
        t = torch.tensor([1.0, 2.0, 3.0])
        tv, td = t[1:], t.detach()
        t += 1
        tv.mul_(2)
        td[0] = 0
        assert (t._version, tv._version, td._version) == (3, 3, 3)


def _output_of_exp_changed(lib: Any, x: Any) -> Any:
    y = x.exp()
    return y.add_(1)


def _input_of_mul_changed(lib: Any, x: Any) -> Any:
    y = x * 2
    z = y * x
    y.mul_(2)
    return z


def _output_of_relu_changed(lib: Any, x: Any) -> Any:
    return (x * 2).relu_().sigmoid_()


def _output_changed_under_no_grad(lib: Any, x: Any) -> Any:
    y = x.sigmoid()
    with lib.no_grad():
        y.mul_(2)
    return y


@pytest.mark.parametrize(
    ("program", "op", "saved", "now"),
    [
        (_output_of_exp_changed, "Exp", 0, 1),
        (_input_of_mul_changed, "Mul", 0, 1),
        (_output_of_relu_changed, "ReLU", 1, 2),
        (_output_changed_under_no_grad, "Sigmoid", 0, 1),
    ],
)
def test_backward_refuses_a_saved_tensor_that_changed_in_place(program, op, saved, now):
    loss = program(cr, _leaf(cr, [0.5, -1.0])).sum()
    saved_at = rf"{op} saved a tensor of shape \(2,\) at version {saved} and it is now at"
    with pytest.raises(RuntimeError, match=rf"{MODIFIED}: {saved_at} version {now};"):
        loss.backward()
    if torch is not None:
        with pytest.raises(RuntimeError, match=MODIFIED):
            program(torch, _leaf(torch, [0.5, -1.0])).sum().backward()


@pytest.mark.parametrize(
    "program",
    [
        lambda lib, x: (lambda y: (y + 1, y.mul_(3))[0])(x * 2),  # Add saves nothing
        lambda lib, x: (lambda y: (y * 3, y.add_(1))[0])(x * 2),  # Mul by a constant saves it
        lambda lib, x: (lambda y: (y.sum(), y.zero_())[0])(x * 2),  # Sum saves nothing
    ],
    ids=["input of add", "input of mul by a number", "input of sum"],
)
def test_changing_a_tensor_that_no_op_saved_is_allowed(program):
    x = _leaf(cr, [0.5, -1.0])
    out = program(cr, x)
    out.sum().backward()
    assert cr.gradcheck(lambda x: program(cr, x), (_leaf(cr, [0.5, -1.0]),))
    if torch is not None:
        tx = _leaf(torch, [0.5, -1.0])
        program(torch, tx).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


def _amax(lib: Any, x: Any) -> Any:
    return x.amax(-1) if lib is torch else x.max(-1)


def _linear(lib: Any, x: Any, w: Any) -> Any:
    return (torch.nn.functional if lib is torch else cr.functional).linear(x, w)


def _cross_entropy(lib: Any, x: Any, t: Any) -> Any:
    return (torch.nn.functional if lib is torch else cr.functional).cross_entropy(x, t)


def _leaky_relu(lib: Any, x: Any, _: Any) -> Any:
    return (torch.nn.functional if lib is torch else cr.functional).leaky_relu(x, 0.2)


def _mse(lib: Any, x: Any, t: Any) -> Any:
    return (torch.nn.functional if lib is torch else cr.functional).mse_loss(x, t)


# What each op saves for its backward, as PyTorch does, seen from outside: with a, b or
# the output changed in place after the op, does backward refuse? (a, b) require grad as
# given. An operand that only the other's gradient needs is saved only when that gradient
# is wanted; an output that no gradient needs is not saved.
SAVED = [
    ("a / b", lambda lib, a, b: a / b, (True, False), {"a": False, "b": True, "out": False}),
    ("a / b", lambda lib, a, b: a / b, (False, True), {"a": True, "b": True, "out": False}),
    ("2 / a", lambda lib, a, b: 2 / a, (True, False), {"a": False, "out": False}),
    ("a ** 2", lambda lib, a, b: a**2, (True, False), {"a": True, "out": False}),
    ("|a| ** b", lambda lib, a, b: a.abs() ** b, (False, True), {"b": True, "out": True}),
    ("a @ b", lambda lib, a, b: a @ b, (True, False), {"a": False, "b": True}),
    ("a @ b", lambda lib, a, b: a @ b, (False, True), {"a": True, "b": False}),
    ("a[0] @ b[0]", lambda lib, a, b: a[0] @ b[0], (True, False), {"a": False, "b": True}),
    ("linear", _linear, (True, False), {"a": False, "b": True}),
    ("linear", _linear, (False, True), {"a": True, "b": False}),
    ("max", lambda lib, a, b: a.max(), (True, False), {"a": True, "out": True}),
    ("max over a dim", lambda lib, a, b: _amax(lib, a), (True, False), {"a": True, "out": True}),
    ("leaky_relu", _leaky_relu, (True, False), {"a": True}),
    ("mse_loss", _mse, (True, False), {"a": True, "b": True}),
    ("cross_entropy", _cross_entropy, (True, False), {"a": False, "b": True}),
    ("cross_entropy", _cross_entropy, (False, True), {"a": False, "b": False}),
]


def _refuses_after_changing(lib: Any, op: Callable, needs: tuple, changed: str) -> bool:
    a = lib.tensor([[1.2, 0.5], [0.3, 1.9]], dtype=lib.float64, requires_grad=needs[0])
    b = lib.tensor([[0.4, 0.6], [0.7, 0.3]], dtype=lib.float64, requires_grad=needs[1])
    out = op(lib, a, b)
    with lib.no_grad():
        {"a": a, "b": b, "out": out}[changed].mul_(1)
    try:
        out.sum().backward()
    except RuntimeError as error:
        assert re.search(MODIFIED, str(error)), error
        return True
    return False


@pytest.mark.parametrize(
    ("op", "needs", "changed", "refused"),
    [
        pytest.param(op, needs, changed, refused, id=f"{name} {needs} {changed}")
        for name, op, needs, outcomes in SAVED
        for changed, refused in outcomes.items()
    ],
)
def test_each_op_saves_what_pytorch_saves(op, needs, changed, refused):
    assert _refuses_after_changing(cr, op, needs, changed) is refused
    if torch is not None:
        assert _refuses_after_changing(torch, op, needs, changed) is refused


@pytest.mark.parametrize("changed", ["prediction", "target"])
def test_mse_loss_of_two_dtypes_guards_what_it_converted(changed):
    """Long-survey seed 105174: PyTorch's mse_loss saves its inputs as they were given;
    chainrule's computed with converted copies, which a change of the originals missed."""
    for lib, functional in ((cr, cr.functional), (torch, torch and torch.nn.functional)):
        if lib is None:
            continue
        prediction = lib.tensor([1.2, 0.5], requires_grad=True) * 1  # float32
        target = lib.tensor([0.4, 0.6], dtype=lib.float64)
        loss = functional.mse_loss(prediction, target)
        assert loss.dtype == lib.float64
        with lib.no_grad():
            {"prediction": prediction, "target": target}[changed].mul_(2)
        with pytest.raises(RuntimeError, match=MODIFIED):
            loss.backward()


@pytest.mark.parametrize("layout", ["permuted", "contiguous"])
def test_matmul_saves_a_copy_where_pytorchs_reshape_copies(layout):
    """Long-survey seed 101736: PyTorch folds a 3-d operand to a matrix by a reshape, which
    copies a permuted one; the product saves the copy, so a later change of the operand is
    neither refused nor seen by the gradient. A contiguous operand folds to a view, which
    is guarded."""
    values = np.arange(27.0).reshape(3, 3, 3)
    for lib in (cr, torch):
        if lib is None:
            continue
        x = lib.tensor(values, requires_grad=True)
        a = x.permute(2, 1, 0) if layout == "permuted" else x
        w = lib.tensor([[1.0], [2.0], [3.0]], dtype=lib.float64, requires_grad=True)
        y = a @ w
        with lib.no_grad():
            a *= 2
        if layout == "contiguous":
            with pytest.raises(RuntimeError, match=MODIFIED):
                y.sum().backward()
            continue
        y.sum().backward()
        before = values.transpose(2, 1, 0)
        np.testing.assert_array_equal(w.grad.numpy(), before.sum(axis=(0, 1))[:, None])


@pytest.mark.parametrize("op", ["exp", "sigmoid", "relu", "tanh", "sqrt"])
def test_the_saved_output_of_an_op_on_a_0d_tensor_is_guarded_too(op):
    """NumPy computes a 0-d result as a scalar; what the op saved is still the output."""
    for lib in (cr, torch):
        if lib is None:
            continue
        y = getattr(lib.tensor(0.5, requires_grad=True), op)()
        with lib.no_grad():
            y.mul_(2)
        with pytest.raises(RuntimeError, match=MODIFIED):
            y.backward()


def test_index_tensors_changed_in_place_after_indexing_are_refused_at_backward():
    """The gradient of x[idx] and of h[idx] = v goes to the positions idx held then: a
    backward after idx changed would send it elsewhere, so it refuses, as PyTorch does."""
    for lib in (cr, torch):
        if lib is None:
            continue
        x = _leaf(lib, [1.0, 2.0, 3.0])
        idx = lib.tensor([0, 1])
        y = x[idx]
        idx[0] = 2
        with pytest.raises(RuntimeError, match=MODIFIED):
            y.sum().backward()
        h = x * 1
        idx = lib.tensor([0, 1])
        h[idx] = _leaf(lib, [5.0, 6.0])
        idx[0] = 2
        with pytest.raises(RuntimeError, match=MODIFIED):
            h.sum().backward()


def test_an_operand_converted_for_a_mixed_dtype_op_is_guarded_as_the_original():
    """PyTorch's op saves the original (an int64 n in n / x, a float32 h in h * h.double());
    chainrule computes with a converted copy, whose versions are the original's."""
    for lib in (cr, torch):
        if lib is None:
            continue
        n = lib.tensor([2, 3])
        x = _leaf(lib, [0.5, 4.0])
        y = n / x
        n[0] = 5
        with pytest.raises(RuntimeError, match=MODIFIED):
            y.sum().backward()
        h = lib.tensor([0.5, 4.0], requires_grad=True).clamp(0, 1)
        z = h * h.double()
        with lib.no_grad():
            h[1] = 0
        with pytest.raises(RuntimeError, match=MODIFIED):
            z.sum().backward()


def test_a_refused_backward_leaves_the_gradient_of_a_leaf_whose_ops_did_not_all_run():
    """As PyTorch: a leaf's .grad changes once every op that used it has run, so a backward
    refused at one of them leaves no partial sum behind."""
    for lib in (cr, torch):
        if lib is None:
            continue
        x = _leaf(lib, [0.7, -0.6])
        top = _amax(lib, x)
        spread = x.softmax(0)  # runs first in backward, then max refuses
        with lib.no_grad():
            top.mul_(2)
        with pytest.raises(RuntimeError, match=MODIFIED):
            (top + spread.sum()).backward()
        assert x.grad is None


def test_an_in_place_change_after_backward_is_allowed():
    x = _leaf(cr, [1.0, 2.0])
    y = x.exp()
    y.sum().backward()
    y.add_(1)  # as after a training step: nothing needs the old value any more
    assert y._version == 1


@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_an_optimizer_step_counts_as_an_in_place_change_of_its_parameters(optimizer):
    """As in PyTorch: a graph kept with retain_graph saved the second layer's weight (the
    hidden layer's gradient needs it), and a step changed it, so a second backward through
    the graph refuses instead of using the new weight."""
    for lib in (cr, torch):
        if lib is None:
            continue
        model = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.Sigmoid(), lib.nn.Linear(4, 2))
        loss = model(lib.ones(4, 3)).sum()
        loss.backward(retain_graph=True)
        before = model[2].weight._version
        getattr(lib.optim, optimizer)(model.parameters(), lr=0.1).step()
        assert model[2].weight._version == before + 1
        with pytest.raises(RuntimeError, match=MODIFIED):
            loss.backward()
