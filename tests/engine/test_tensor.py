"""Tensor construction, attributes, conversions and the factories."""

import numpy as np
import pytest

import chainrule as cr


@pytest.mark.parametrize(
    ("data", "dtype"),
    [
        (1.5, cr.float32),
        ([[0.05, 0.10]], cr.float32),
        ([1, 2], cr.int64),
        ([True, False], cr.bool_),
        ([1, 2.5], cr.float32),
        (np.zeros(2, dtype=np.float64), cr.float64),
        (np.zeros(2, dtype=np.int32), cr.int32),
    ],
)
def test_tensor_infers_dtype_like_pytorch(data, dtype):
    assert cr.tensor(data).dtype == dtype


def test_dtype_argument_wins():
    assert cr.tensor([1, 2], dtype=cr.float64).dtype == cr.float64
    assert cr.tensor(np.ones(2), dtype=cr.float32).dtype == cr.float32


def test_tensor_copies_its_data():
    source = np.array([1.0, 2.0])
    t = cr.tensor(source)
    source[0] = 9.0
    assert t[0].item() == 1.0


def test_numpy_shares_memory_with_the_tensor():
    t = cr.zeros(3)
    t.numpy()[1] = 4.0
    assert t.tolist() == [0.0, 4.0, 0.0]


def test_attributes():
    t = cr.zeros(2, 3, 4)
    assert t.shape == (2, 3, 4)
    assert t.ndim == 3
    assert t.dtype == cr.float32
    assert len(t) == 2
    assert t.size() == (2, 3, 4) and t.size(1) == 3
    assert t.numel() == 24
    assert t.device == "cpu"
    assert t.is_leaf and t.grad is None and t.grad_fn is None


def test_item_and_its_errors():
    assert cr.tensor([[2.5]]).item() == 2.5
    with pytest.raises(ValueError, match=r"one element.*shape \(2,\)"):
        cr.tensor([1.0, 2.0]).item()


def test_len_of_a_scalar_is_an_error():
    with pytest.raises(TypeError, match="0-d tensor"):
        len(cr.tensor(1.0))


def test_truth_value_of_many_elements_is_ambiguous():
    assert bool(cr.tensor([1.0]))
    with pytest.raises(ValueError, match="ambiguous"):
        bool(cr.tensor([1.0, 2.0]))


def test_iteration_yields_rows_that_stay_in_the_graph():
    x = cr.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    rows = list(x)
    assert [r.tolist() for r in rows] == [[1.0, 2.0], [3.0, 4.0]]
    (rows[1] * 2).sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0], [2.0, 2.0]]


def test_repr_shows_values_and_graph_state():
    assert repr(cr.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert "requires_grad=True" in repr(cr.tensor([1.0], requires_grad=True))
    y = cr.tensor([1.0], requires_grad=True) * 2
    assert "grad_fn=<Mul>" in repr(y)
    assert "dtype=float64" in repr(cr.tensor([1.0], dtype=cr.float64))


def test_python_scalars_and_numpy_values_mix_in():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    for y in (2 * x, x * 2, x * np.float64(2.0), np.float32(2.0) * x, x + np.zeros(2, np.float32)):
        assert isinstance(y, cr.Tensor) and y.dtype == cr.float32
    y = np.array([1.0, 1.0], dtype=np.float32) * x
    assert isinstance(y, cr.Tensor) and y.requires_grad
    assert (1 - x).tolist() == [0.0, -1.0]
    assert (2 / x).tolist() == [2.0, 1.0]
    assert (2**x).tolist() == [2.0, 4.0]
    assert (x - [1.0, 1.0]).tolist() == [0.0, 1.0]


def test_float32_stays_float32_through_every_kind_of_op():
    x = cr.randn(3, 4, requires_grad=True)
    y = ((x * 0.5 + 1) ** 2 / 3).exp().sigmoid().softmax(-1).log() @ cr.ones(4)
    assert y.dtype == cr.float32
    y.sum().backward()
    assert x.grad.dtype == cr.float32


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(TypeError, match=r"only floating-point.*int64.*\.float\(\)"):
        cr.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="floating-point"):
        cr.arange(3).requires_grad_()


def test_requires_grad_can_only_change_on_leaves():
    y = cr.ones(1, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)


def test_bad_data_is_a_clear_error():
    with pytest.raises(TypeError, match="cannot make a tensor from str"):
        cr.tensor("abc")
    with pytest.raises(TypeError, match="cannot make a tensor"):
        cr.tensor([[1.0, 2.0], [3.0]])


def test_to_and_float_double_convert_and_keep_the_gradient_flowing():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x.double()
    assert y.dtype == cr.float64 and x.to(cr.float32) is x
    (y * 3).sum().backward()
    assert x.grad.dtype == cr.float32 and x.grad.tolist() == [3.0, 3.0]
    assert cr.tensor([1, 2]).float().dtype == cr.float32


def test_np_asarray_reads_a_tensor():
    np.testing.assert_array_equal(np.asarray(cr.tensor([1.0, 2.0])), [1.0, 2.0])


def test_comparisons_give_bool_tensors_without_grad():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    mask = x > 1.5
    assert mask.dtype == cr.bool_ and not mask.requires_grad
    assert mask.tolist() == [False, True, True]
    assert (x == 2.0).tolist() == [False, True, False]
    assert (x != 2.0).any().item() and not (x > 5).any().item()
    assert (x >= 1).all().item()


def test_tensors_are_hashable_by_identity():
    a, b = cr.ones(1), cr.ones(1)
    assert len({a, b}) == 2


# ---------------------------------------------------------------------------- factories


def test_zeros_ones_full_eye_shapes_and_dtypes():
    assert cr.zeros(2, 3).shape == (2, 3) == cr.zeros((2, 3)).shape
    assert cr.ones([4]).tolist() == [1.0] * 4
    assert cr.zeros(2).dtype == cr.float32
    assert cr.zeros(2, dtype=cr.float64).dtype == cr.float64
    assert cr.full((2, 2), 7.0).tolist() == [[7.0, 7.0], [7.0, 7.0]]
    assert cr.full((2,), 7.0).dtype == cr.float32
    assert cr.full((2,), 3).dtype == cr.int64
    np.testing.assert_array_equal(cr.eye(3).numpy(), np.eye(3))
    assert cr.eye(2, 3).shape == (2, 3)


def test_like_factories_follow_the_other_tensor():
    x = cr.randn(2, 5, dtype=cr.float64)
    assert cr.zeros_like(x).shape == (2, 5) and cr.zeros_like(x).dtype == cr.float64
    assert cr.ones_like(x).tolist() == [[1.0] * 5] * 2


def test_arange_like_pytorch():
    assert cr.arange(5).tolist() == [0, 1, 2, 3, 4] and cr.arange(5).dtype == cr.int64
    assert cr.arange(1, 7, 2).tolist() == [1, 3, 5]
    assert cr.arange(0.0, 1.0, 0.25).dtype == cr.float32


def test_factories_make_leaves_that_can_require_grad():
    w = cr.randn(3, requires_grad=True)
    assert w.requires_grad and w.is_leaf
    assert cr.zeros(2, requires_grad=True).requires_grad


def test_manual_seed_makes_random_tensors_reproducible():
    cr.manual_seed(42)
    first = (cr.randn(3, 4).numpy().copy(), cr.rand(5).numpy().copy())
    cr.manual_seed(42)
    second = (cr.randn(3, 4).numpy(), cr.rand(5).numpy())
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert not np.array_equal(cr.randn(3, 4).numpy(), first[0])


def test_rng_state_round_trips():
    cr.manual_seed(1)
    state = cr.get_rng_state()
    a = cr.randn(4).tolist()
    cr.set_rng_state(state)
    assert cr.randn(4).tolist() == a


def test_random_tensors_have_the_right_distribution():
    cr.manual_seed(0)
    u = cr.rand(10_000).numpy()
    n = cr.randn(10_000).numpy()
    assert u.dtype == np.float32 and u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.02
    assert abs(n.mean()) < 0.05 and abs(n.std() - 1.0) < 0.05


@pytest.mark.parametrize(
    "call",
    [
        lambda: cr.ones(3).flatten(1),
        lambda: cr.ones(3).unsqueeze(5),
        lambda: cr.ones(2, 1).squeeze(3),
        lambda: cr.ones(2, 1).unsqueeze(-4),
    ],
)
def test_out_of_range_dimensions_are_an_error_as_in_pytorch(call):
    with pytest.raises(IndexError, match="out of range"):
        call()


def test_wrap_shares_the_array_and_stays_out_of_the_graph():
    from chainrule.tensor import wrap

    array = np.arange(3.0)
    t = wrap(array)
    assert t.data is array and t.grad_fn is None and not t.requires_grad and t.grad is None
    array[0] = 7.0
    assert t.tolist() == [7.0, 1.0, 2.0]
    scalar = wrap(np.float32(2.5))  # a NumPy scalar, as reductions give, becomes a 0-d array
    assert type(scalar.data) is np.ndarray and scalar.shape == () and scalar.dtype == cr.float32


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min"])
def test_sum_mean_max_min_read_their_arguments_alike(name):
    x = cr.tensor(np.arange(24.0).reshape(2, 3, 4), dtype=cr.float32)
    reduce = getattr(x, name)
    whole = getattr(np, name)(x.numpy())
    for everything in [reduce(), reduce(()), reduce(dim=[]), reduce(axis=())]:
        assert everything.shape == () and everything.item() == whole
    for kept in [
        reduce((0, 2), True),
        reduce(dim=[0, 2], keepdim=True),
        reduce(axis=(0, 2), keepdims=True),
        reduce(dim=(0, 2), keepdim=False, keepdims=True),  # NumPy's spelling wins when given
    ]:
        assert kept.shape == (1, 3, 1)
        np.testing.assert_array_equal(
            kept.numpy(), getattr(np, name)(x.numpy(), axis=(0, 2), keepdims=True)
        )
    assert reduce(-1).shape == reduce(axis=2).shape == (2, 3)
    with pytest.raises(TypeError, match="pass dim or axis, not both"):
        reduce(dim=0, axis=0)
    scalar = getattr(cr.tensor(3.0), name)
    assert scalar(0).item() == scalar(-1, keepdim=True).item() == 3.0
    with pytest.raises(IndexError, match="dimension 1 is out of range"):
        scalar(1)
