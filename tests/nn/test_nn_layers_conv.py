"""Conv2d, MaxPool2d, BatchNorm1d and Dropout: their gradients against central differences,
their forward passes and gradients against PyTorch, their state dicts and initialisation,
and the errors they raise for inputs of the wrong shape."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
import chainrule.functional as F
from chainrule import nn

# (input shape, weight shape, stride, padding)
CONV_CONFIGS = [
    ((2, 2, 5, 5), (3, 2, 3, 3), 1, 0),
    ((2, 2, 6, 5), (3, 2, 3, 3), 2, 1),
    ((1, 3, 5, 6), (2, 3, 2, 3), (2, 1), (1, 0)),
    ((2, 1, 4, 4), (2, 1, 1, 1), 1, 0),
    ((1, 2, 7, 6), (2, 2, 4, 3), 3, 2),
    ((1, 1, 3, 3), (2, 1, 3, 3), 1, 0),
]
CONV_IDS = ["3x3", "stride2-pad1", "2x3-stride(2,1)-pad(1,0)", "1x1", "4x3-stride3-pad2", "whole"]

# (input shape, kernel_size, stride, padding)
POOL_CONFIGS = [
    ((2, 2, 4, 6), 2, None, 0),
    ((1, 2, 5, 5), 2, 1, 0),
    ((1, 2, 7, 6), 3, 2, 1),
    ((1, 1, 5, 7), (3, 2), (2, 3), (1, 1)),
    ((1, 2, 5, 5), 2, None, 0),
]
POOL_IDS = ["tiled", "overlapping", "3x3-stride2-pad1", "3x2-stride(2,3)-pad1", "untiled-remainder"]


def leaf(array: np.ndarray) -> cr.Tensor:
    return cr.tensor(array, requires_grad=True)


def torch_leaf(torch, array: np.ndarray):
    return torch.tensor(array, requires_grad=True)


def assert_close(ours, theirs, rtol: float = 1e-10, atol: float = 1e-12) -> None:
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    ours = ours.numpy() if isinstance(ours, cr.Tensor) else np.asarray(ours)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol)


def distinct_values(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """Values 0.1 apart in random order, most of them negative (so that padding must not
    win): no window has tied maxima, even after a 1e-6 nudge."""
    size = math.prod(shape)
    return (np.random.default_rng(seed).permutation(size).reshape(shape) - 0.8 * size) * 0.1


# ---------------------------------------------------------------------------- gradcheck
@pytest.mark.parametrize(("x_shape", "w_shape", "stride", "padding"), CONV_CONFIGS, ids=CONV_IDS)
def test_conv2d_gradcheck_input_weight_and_bias(x_shape, w_shape, stride, padding):
    rng = np.random.default_rng(0)
    x, w, b = (leaf(rng.standard_normal(s)) for s in (x_shape, w_shape, w_shape[:1]))
    assert cr.gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride, padding), (x, w, b))


@pytest.mark.parametrize(("shape", "kernel", "stride", "padding"), POOL_CONFIGS, ids=POOL_IDS)
def test_max_pool2d_gradcheck_without_ties(shape, kernel, stride, padding):
    x = leaf(distinct_values(shape))
    assert cr.gradcheck(lambda x: F.max_pool2d(x, kernel, stride, padding), (x,))


@pytest.mark.parametrize("shape", [(5, 3), (3, 2, 4)], ids=["(N,C)", "(N,C,L)"])
def test_batch_norm_gradcheck_in_training(shape):
    rng = np.random.default_rng(1)
    x = leaf(rng.standard_normal(shape) * 3 + 1)
    w, b = leaf(rng.standard_normal(shape[1])), leaf(rng.standard_normal(shape[1]))
    assert cr.gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), (x, w, b))


# ---------------------------------------------------------------------------- against PyTorch
@pytest.mark.parametrize(("x_shape", "w_shape", "stride", "padding"), CONV_CONFIGS, ids=CONV_IDS)
@pytest.mark.parametrize("with_bias", [True, False], ids=["bias", "no-bias"])
def test_conv2d_forward_and_gradients_match_torch(x_shape, w_shape, stride, padding, with_bias):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal(s) for s in (x_shape, w_shape, w_shape[:1])]
    x, w, b = (leaf(a) for a in arrays)
    xt, wt, bt = (torch_leaf(torch, a) for a in arrays)
    y = F.conv2d(x, w, b if with_bias else None, stride, padding)
    yt = torch.nn.functional.conv2d(xt, wt, bt if with_bias else None, stride, padding)
    assert_close(y, yt)
    g = rng.standard_normal(y.shape)
    y.backward(g)
    yt.backward(torch.tensor(g))
    assert_close(x.grad, xt.grad)
    assert_close(w.grad, wt.grad)
    if with_bias:
        assert_close(b.grad, bt.grad)
    else:
        assert b.grad is None


def test_conv2d_layer_stays_float32_and_matches_torch_with_its_state_dict():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Conv2d(3, 4, (3, 2), stride=(1, 2), padding=1)
    ours = nn.Conv2d(3, 4, (3, 2), stride=(1, 2), padding=1)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    array = np.random.default_rng(3).standard_normal((2, 3, 6, 7)).astype(np.float32)
    x, xt = leaf(array), torch_leaf(torch, array)
    y, yt = ours(x), theirs(xt)
    assert y.dtype == np.float32
    assert_close(y, yt, rtol=1e-5, atol=1e-5)
    (y * y).sum().backward()
    (yt * yt).sum().backward()
    for got, want in [(x, xt), (ours.weight, theirs.weight), (ours.bias, theirs.bias)]:
        assert got.grad.dtype == np.float32
        assert_close(got.grad, want.grad, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(("shape", "kernel", "stride", "padding"), POOL_CONFIGS, ids=POOL_IDS)
def test_max_pool2d_matches_torch_and_routes_ties_to_the_first_maximum(
    shape, kernel, stride, padding
):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    array = rng.integers(-3, 0, shape).astype(np.float64)  # many tied maxima, all below 0
    x, xt = leaf(array), torch_leaf(torch, array)
    y = F.max_pool2d(x, kernel, stride, padding)
    yt = torch.nn.functional.max_pool2d(xt, kernel, stride, padding)
    assert_close(y, yt)
    g = rng.standard_normal(y.shape)
    y.backward(g)
    yt.backward(torch.tensor(g))
    assert_close(x.grad, xt.grad)
    assert np.count_nonzero(x.grad.numpy()) <= y.numpy().size  # one position per window


def test_max_pool2d_propagates_nan():
    x = cr.tensor([[[[1.0, float("nan")], [3.0, 2.0]]]])
    assert np.isnan(F.max_pool2d(x, 2).item())


@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5)], ids=["(N,C)", "(N,C,L)"])
@pytest.mark.parametrize("momentum", [0.1, None], ids=["momentum0.1", "cumulative"])
def test_batch_norm_matches_torch_in_training_then_eval(shape, momentum):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    ours = nn.BatchNorm1d(3, momentum=momentum).double()
    theirs = torch.nn.BatchNorm1d(3, momentum=momentum).double()
    ours.weight.data[...] = rng.uniform(0.5, 2, 3)
    ours.bias.data[...] = rng.standard_normal(3)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})

    def step(scale: float, shift: float) -> None:
        array = rng.standard_normal(shape) * scale + shift
        x, xt = leaf(array), torch_leaf(torch, array)
        y, yt = ours(x), theirs(xt)
        assert_close(y, yt, rtol=1e-9, atol=1e-9)
        g = rng.standard_normal(shape)
        y.backward(g)
        yt.backward(torch.tensor(g))
        assert_close(x.grad, xt.grad, rtol=1e-8, atol=1e-9)

    for scale, shift in [(1, 0), (3, 2), (0.5, -1)]:
        step(scale, shift)
    assert_close(ours.weight.grad, theirs.weight.grad, rtol=1e-8, atol=1e-9)
    assert_close(ours.bias.grad, theirs.bias.grad, rtol=1e-8, atol=1e-9)
    assert_close(ours.running_mean, theirs.running_mean)
    assert_close(ours.running_var, theirs.running_var)
    assert ours.num_batches_tracked.item() == theirs.num_batches_tracked.item() == 3
    ours.eval()
    theirs.eval()
    step(2, 1)
    assert ours.num_batches_tracked.item() == 3  # evaluation leaves the statistics alone


def test_batch_norm_without_running_stats_uses_the_batch_even_in_eval():
    torch = pytest.importorskip("torch")
    ours = nn.BatchNorm1d(4, affine=False, track_running_stats=False).eval()
    theirs = torch.nn.BatchNorm1d(4, affine=False, track_running_stats=False).eval()
    array = np.random.default_rng(6).standard_normal((6, 4)) * 5 + 3
    assert_close(ours(cr.tensor(array)), theirs(torch.tensor(array)), rtol=1e-9, atol=1e-9)


def test_dropout_statistics_match_torch_and_the_gradient_is_the_mask():
    torch = pytest.importorskip("torch")
    p = 0.3
    cr.manual_seed(0)
    x = leaf(np.ones((200, 500), dtype=np.float32))
    y = F.dropout(x, p)
    yt = torch.nn.functional.dropout(torch.ones(200, 500), p)
    values, theirs = y.numpy(), yt.numpy()
    assert y.dtype == np.float32
    np.testing.assert_allclose(np.unique(values), np.unique(theirs))  # {0, 1 / (1 - p)}
    np.testing.assert_allclose(np.unique(values), [0, 1 / (1 - p)], rtol=1e-6)
    assert abs(np.mean(values == 0) - p) < 0.01
    assert abs(np.mean(theirs == 0) - p) < 0.01
    assert abs(values.mean() - 1) < 0.02  # the scaling keeps the expectation
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), values)


def test_dropout_is_the_identity_in_eval_and_for_p_zero():
    x = leaf(np.arange(1.0, 7.0).reshape(2, 3))
    layer = nn.Dropout(0.5).eval()
    assert layer(x) is x
    assert F.dropout(x, 0.0) is x
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.9)).eval()
    np.testing.assert_array_equal(model(x).numpy(), model[0](x).numpy())
    y = nn.Dropout(0.5).eval()(x * 2)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 2)


def test_dropout_with_p_one_gives_zeros_and_zero_gradient():
    x = leaf(np.ones((3, 4)))
    y = nn.Dropout(1.0)(x)
    np.testing.assert_array_equal(y.numpy(), 0)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 0)


def test_dropout_is_reproducible_with_manual_seed():
    x = cr.ones(50, 40)
    layer = nn.Dropout(0.5)
    cr.manual_seed(7)
    first, second = layer(x).numpy(), layer(x).numpy()
    cr.manual_seed(7)
    again = layer(x).numpy()
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, second)


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_dropout_rejects_p_outside_zero_one(p):
    with pytest.raises(ValueError, match=f"between 0 and 1, but got {p}"):
        nn.Dropout(p)
    with pytest.raises(ValueError, match=f"between 0 and 1, but got {p}"):
        F.dropout(cr.ones(3), p)


def test_a_small_cnn_matches_torch_end_to_end():
    torch = pytest.importorskip("torch")

    def build(lib):
        return lib.Sequential(
            lib.Conv2d(1, 8, 3),
            lib.ReLU(),
            lib.MaxPool2d(2),
            lib.Flatten(),
            lib.Linear(8 * 5 * 5, 10),
        )

    theirs, ours = build(torch.nn), build(nn)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(8)
    images = rng.standard_normal((4, 1, 12, 12)).astype(np.float32)
    labels = rng.integers(0, 10, 4)
    loss = F.cross_entropy(ours(cr.tensor(images)), cr.tensor(labels))
    loss_t = torch.nn.functional.cross_entropy(theirs(torch.tensor(images)), torch.tensor(labels))
    assert loss.item() == pytest.approx(loss_t.item(), rel=1e-5)
    loss.backward()
    loss_t.backward()
    for (name, p), pt in zip(ours.named_parameters(), theirs.parameters(), strict=True):
        assert p.grad.dtype == np.float32, name
        assert_close(p.grad, pt.grad, rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------------------- state and init
LAYERS = {
    "conv": lambda lib: lib.Conv2d(3, 4, 3),
    "conv-no-bias": lambda lib: lib.Conv2d(3, 4, (2, 3), bias=False),
    "maxpool": lambda lib: lib.MaxPool2d(2),
    "batchnorm": lambda lib: lib.BatchNorm1d(5),
    "batchnorm-no-affine": lambda lib: lib.BatchNorm1d(5, affine=False),
    "batchnorm-untracked": lambda lib: lib.BatchNorm1d(5, track_running_stats=False),
    "dropout": lambda lib: lib.Dropout(0.2),
}


@pytest.mark.parametrize("make", LAYERS.values(), ids=LAYERS.keys())
def test_state_dict_keys_shapes_and_dtypes_match_torch(make):
    torch = pytest.importorskip("torch")
    ours, theirs = make(nn).state_dict(), make(torch.nn).state_dict()
    assert list(ours) == list(theirs)
    for key, value in theirs.items():
        assert ours[key].shape == tuple(value.shape), key
        assert ours[key].dtype == np.dtype(str(value.dtype).removeprefix("torch.")), key


def test_conv2d_init_follows_pytorch_formulas():
    cr.manual_seed(0)
    layer = nn.Conv2d(16, 32, 3)
    fan_in = 16 * 3 * 3
    gain = math.sqrt(2 / (1 + 5))  # kaiming_uniform_ with a = sqrt(5), leaky_relu
    bound = gain * math.sqrt(3 / fan_in)
    assert bound == pytest.approx(1 / math.sqrt(fan_in))
    weight, bias = layer.weight.numpy(), layer.bias.numpy()
    assert weight.shape == (32, 16, 3, 3) and weight.dtype == np.float32
    assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.99 * bound
    assert weight.std() == pytest.approx(bound / math.sqrt(3), rel=0.05)  # uniform's std
    assert np.abs(bias).max() <= 1 / math.sqrt(fan_in) and bias.std() > 0


def test_batch_norm_starts_as_the_identity_map_with_fresh_statistics():
    layer = nn.BatchNorm1d(4)
    np.testing.assert_array_equal(layer.weight.numpy(), np.ones(4, np.float32))
    np.testing.assert_array_equal(layer.bias.numpy(), np.zeros(4, np.float32))
    np.testing.assert_array_equal(layer.running_mean.numpy(), np.zeros(4, np.float32))
    np.testing.assert_array_equal(layer.running_var.numpy(), np.ones(4, np.float32))
    assert layer.num_batches_tracked.dtype == np.int64 and layer.num_batches_tracked.item() == 0
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    layer(cr.randn(6, 4))
    layer.reset_running_stats()
    assert layer.num_batches_tracked.item() == 0
    np.testing.assert_array_equal(layer.running_var.numpy(), 1)


def test_layers_accept_unbatched_images():
    x = cr.randn(2, 6, 6)
    conv = nn.Conv2d(2, 3, 3, padding=1)
    np.testing.assert_allclose(conv(x).numpy(), conv(x.unsqueeze(0)).numpy()[0], rtol=1e-6)
    assert nn.MaxPool2d(2)(x).shape == (2, 3, 3)


# ---------------------------------------------------------------------------- errors
def test_conv2d_names_the_layer_and_both_shapes_for_the_wrong_channels():
    layer = nn.Conv2d(3, 8, 3)
    message = (
        "Conv2d(in_channels=3, out_channels=8, kernel_size=(3, 3)) expects input "
        "(N, 3, H, W), got (8, 1, 28, 28)"
    )
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        layer(cr.zeros(8, 1, 28, 28))
    with pytest.raises(ValueError, match=r"expects input \(N, 3, H, W\), got \(28, 28\)"):
        layer(cr.zeros(28, 28))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: F.conv2d(cr.zeros(1, 1, 2, 2), cr.zeros(1, 1, 5, 5), padding=1),
            r"conv2d: kernel 5×5 is larger than the padded input 4×4",
        ),
        (
            lambda: F.conv2d(cr.zeros(1, 2, 5, 5), cr.zeros(4, 3, 3, 3)),
            r"weight of shape \(4, 3, 3, 3\) expects input \(N, 3, H, W\), got \(1, 2, 5, 5\)",
        ),
        (
            lambda: F.conv2d(cr.zeros(1, 3, 5, 5), cr.zeros(4, 3, 3, 3), cr.zeros(3)),
            r"bias of shape \(3,\) does not fit weight of shape \(4, 3, 3, 3\)",
        ),
        (
            lambda: F.conv2d(cr.zeros(1, 3, 5, 5), cr.zeros(4, 3, 3, 3), stride=0),
            r"stride must be positive",
        ),
        (
            lambda: F.max_pool2d(cr.zeros(1, 1, 4, 4), 2, padding=2),
            r"padding \(2, 2\) must be at most half the kernel size \(2, 2\)",
        ),
        (
            lambda: F.max_pool2d(cr.zeros(1, 1, 2, 5), 3),
            r"max_pool2d: kernel 3×3 is larger than the padded input 2×5",
        ),
        (
            lambda: nn.MaxPool2d(2)(cr.zeros(4, 4)),
            r"MaxPool2d\(kernel_size=2\) expects input \(N, C, H, W\) or \(C, H, W\), got \(4, 4\)",
        ),
        (
            lambda: nn.BatchNorm1d(4)(cr.zeros(8, 3)),
            r"BatchNorm1d\(num_features=4\) expects input \(N, 4\) or \(N, 4, L\), got \(8, 3\)",
        ),
        (
            lambda: nn.BatchNorm1d(4)(cr.zeros(1, 4)),
            r"more than 1 value per channel, got input of shape \(1, 4\)",
        ),
        (
            lambda: F.batch_norm(cr.zeros(2, 4), None, None),
            r"needs running_mean and running_var",
        ),
    ],
    ids=[
        "conv-kernel-too-large",
        "conv-channels",
        "conv-bias",
        "conv-stride",
        "pool-padding",
        "pool-kernel-too-large",
        "pool-ndim",
        "batchnorm-features",
        "batchnorm-one-sample",
        "batchnorm-eval-without-stats",
    ],
)
def test_shape_errors_are_one_clear_line(call, message):
    with pytest.raises(ValueError, match=message) as error:
        call()
    assert "\n" not in str(error.value)


def test_kernel_size_must_be_an_int_or_a_pair():
    with pytest.raises(TypeError, match=r"kernel_size must be an int or a pair of ints"):
        nn.Conv2d(1, 1, (3, 3, 3))
