"""nn: Module bookkeeping, Linear and the activation layers, losses, init."""

import math
import re

import numpy as np
import pytest

import chainrule as cr
import chainrule.functional as F
from chainrule import nn


def _mlp():
    return nn.Sequential(nn.Linear(4, 3), nn.Sigmoid(), nn.Linear(3, 2))


# ---------------------------------------------------------------------------- Module


def test_parameters_are_registered_in_order_with_pytorch_names():
    model = _mlp()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [p.shape for p in model.parameters()] == [(3, 4), (3,), (2, 3), (2,)]
    assert all(p.requires_grad for p in model.parameters())


def test_children_and_modules_walk_the_tree():
    model = _mlp()
    assert [type(m).__name__ for m in model.children()] == ["Linear", "Sigmoid", "Linear"]
    assert [type(m).__name__ for m in model.modules()] == [
        "Sequential",
        "Linear",
        "Sigmoid",
        "Linear",
    ]


def test_custom_module_registers_attributes_and_shared_parameters_once():
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Linear(3, 3)
            self.decoder = self.encoder
            self.scale = nn.Parameter(cr.ones(1))
            self.not_a_parameter = cr.ones(2)

        def forward(self, x):
            return self.decoder(self.encoder(x)) * self.scale

    model = Tied()
    assert [name for name, _ in model.named_parameters()] == [
        "scale",
        "encoder.weight",
        "encoder.bias",
    ]
    model(cr.randn(2, 3)).sum().backward()
    assert model.encoder.weight.grad is not None


def test_assigning_before_super_init_is_a_clear_error():
    class Forgot(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\)"):
        Forgot()


def test_repr_matches_pytorch():
    model = nn.Sequential(nn.Linear(784, 30), nn.Sigmoid(), nn.Linear(30, 10, bias=False))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=784, out_features=30, bias=True)\n"
        "  (1): Sigmoid()\n"
        "  (2): Linear(in_features=30, out_features=10, bias=False)\n"
        ")"
    )


def test_train_and_eval_switch_every_submodule():
    model = _mlp()
    model.eval()
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_zero_grad_clears_gradients():
    model = _mlp()
    model(cr.randn(2, 4)).sum().backward()
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_state_dict_round_trip_and_sharing():
    source, target = _mlp(), _mlp()
    state = source.state_dict()
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    target.load_state_dict(state)
    x = cr.randn(5, 4)
    np.testing.assert_array_equal(source(x).numpy(), target(x).numpy())
    state["0.bias"].numpy()[0] = 42.0  # state dict tensors share the module's arrays
    assert source[0].bias[0].item() == 42.0


def test_load_state_dict_names_missing_unexpected_and_misshapen_keys():
    model = _mlp()
    state = model.state_dict()
    del state["2.bias"]
    state["extra"] = cr.zeros(1)
    with pytest.raises(KeyError, match=r"missing keys \['2.bias'\].*unexpected keys \['extra'\]"):
        model.load_state_dict(state)
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["2.bias"] and result.unexpected_keys == ["extra"]
    bad = _mlp().state_dict()
    bad["0.weight"] = cr.zeros(4, 3)
    with pytest.raises(ValueError, match=r"'0.weight' has shape \(4, 3\).*expects \(3, 4\)"):
        model.load_state_dict(bad)


def test_state_dict_loads_into_pytorch_and_back():
    torch = pytest.importorskip("torch")
    ours = _mlp()
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Sigmoid(), torch.nn.Linear(3, 2))
    theirs.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in ours.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((6, 4)).astype(np.float32)
    np.testing.assert_allclose(
        theirs(torch.from_numpy(x)).detach().numpy(),
        ours(cr.tensor(x)).numpy(),
        rtol=1e-5,
        atol=1e-6,  # float32 sums that land near 0 differ in their last bits
    )
    back = _mlp()
    back.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    np.testing.assert_array_equal(back(cr.tensor(x)).numpy(), ours(cr.tensor(x)).numpy())


def test_double_converts_parameters():
    model = _mlp().double()
    assert all(p.dtype == cr.float64 for p in model.parameters())


def test_sequential_indexing_len_iteration_and_append():
    model = _mlp()
    assert len(model) == 3 and isinstance(model[1], nn.Sigmoid)
    assert isinstance(model[-1], nn.Linear)
    assert len(model[:2]) == 2
    model.append(nn.Softmax(dim=1))
    assert [type(m).__name__ for m in model][-1] == "Softmax"
    assert model(cr.randn(3, 4)).sum().item() == pytest.approx(3.0, rel=1e-5)
    with pytest.raises(TypeError, match="argument 1 is a int"):
        nn.Sequential(nn.Linear(1, 1), 3)


# ---------------------------------------------------------------------------- layers


def test_mlp_puts_the_activation_between_linear_layers_and_the_output_one_last():
    cr.manual_seed(1)
    built = nn.mlp([4, 5, 3, 2], "tanh", "sigmoid")
    assert [type(m) for m in built] == [
        nn.Linear,
        nn.Tanh,
        nn.Linear,
        nn.Tanh,
        nn.Linear,
        nn.Sigmoid,
    ]
    assert [(m.in_features, m.out_features) for m in built if isinstance(m, nn.Linear)] == [
        (4, 5),
        (5, 3),
        (3, 2),
    ]
    # Drawn in the order a hand-written Sequential draws them: the same seed, the same weights.
    cr.manual_seed(1)
    by_hand = nn.Sequential(
        nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3), nn.Tanh(), nn.Linear(3, 2), nn.Sigmoid()
    )
    for (name, a), (other, b) in zip(
        built.state_dict().items(), by_hand.state_dict().items(), strict=True
    ):
        assert name == other and np.array_equal(a.numpy(), b.numpy())


def test_mlp_without_an_output_activation_ends_in_logits():
    logits = nn.mlp((2, 3), "leaky_relu")
    assert [type(m) for m in logits] == [nn.Linear]
    assert [type(m) for m in nn.mlp((2, 3, 4), "leaky_relu")] == [
        nn.Linear,
        nn.LeakyReLU,
        nn.Linear,
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ([4],),
            "at least two layer sizes (inputs, ..., outputs), each a positive integer, not (4,)",
        ),
        (([4, 0, 3],), "not (4, 0, 3)"),
        (([4, 2.5],), "not (4, 2.5)"),
        (
            ([2, 3], "softplus"),
            "unknown activation 'softplus'; use one of sigmoid, relu, tanh, leaky_relu",
        ),
        (([2, 3], "relu", "softmax"), "unknown activation 'softmax'"),
    ],
)
def test_mlp_refuses_what_is_no_mlp_in_its_own_words(args, message):
    with pytest.raises(ValueError, match=re.escape(message)) as raised:
        nn.mlp(*args)
    assert "--" not in str(raised.value)  # no command-line flag: the library is not the command


def test_linear_initialisation_follows_pytorch_bounds():
    cr.manual_seed(0)
    layer = nn.Linear(400, 50)
    bound = 1 / math.sqrt(400)
    for p in (layer.weight, layer.bias):
        assert p.dtype == cr.float32
        assert np.abs(p.numpy()).max() <= bound
        assert np.abs(p.numpy()).max() > 0.9 * bound
    assert layer.weight.numpy().std() == pytest.approx(bound / math.sqrt(3), rel=0.05)


def test_linear_rejects_the_wrong_input_width_naming_both_shapes():
    with pytest.raises(ValueError, match=r"Linear\(in_features=784.*shape \(10, 100\)"):
        nn.Linear(784, 30)(cr.zeros(10, 100))


@pytest.mark.parametrize("batch_shape", [(), (5,), (2, 3)])
def test_linear_gradients_pass_gradcheck(batch_shape):
    layer = nn.Linear(4, 3).double()
    x = cr.randn(*batch_shape, 4, dtype=cr.float64, requires_grad=True)
    w = cr.tensor(layer.weight.numpy(), requires_grad=True)
    b = cr.tensor(layer.bias.numpy(), requires_grad=True)
    assert cr.gradcheck(F.linear, (x, w, b))
    assert cr.gradcheck(lambda x, w: F.linear(x, w), (x, w))


@pytest.mark.parametrize(
    ("layer", "reference"),
    [
        (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
        (nn.Tanh(), np.tanh),
        (nn.ReLU(), lambda x: np.maximum(x, 0)),
        (nn.LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
        (nn.Softmax(dim=1), lambda x: np.exp(x) / np.exp(x).sum(1, keepdims=True)),
        (nn.LogSoftmax(dim=1), lambda x: x - np.log(np.exp(x).sum(1, keepdims=True))),
        (nn.Identity(), lambda x: x),
        (nn.Flatten(), lambda x: x.reshape(len(x), -1)),
    ],
)
def test_activation_layers_compute_their_function_and_gradient(layer, reference):
    x = cr.randn(3, 4, dtype=cr.float64, requires_grad=True) + 0.01
    np.testing.assert_allclose(layer(x).numpy(), reference(x.numpy()), rtol=1e-12)
    assert cr.gradcheck(layer, (cr.randn(3, 4, requires_grad=True),))


def test_init_functions_follow_their_formulas():
    cr.manual_seed(0)
    w = cr.zeros(200, 300)
    nn.init.xavier_uniform_(w)
    assert np.abs(w.numpy()).max() <= math.sqrt(6 / 500)
    nn.init.xavier_normal_(w)
    assert w.numpy().std() == pytest.approx(math.sqrt(2 / 500), rel=0.03)
    nn.init.kaiming_normal_(w, nonlinearity="relu")
    assert w.numpy().std() == pytest.approx(math.sqrt(2 / 300), rel=0.03)
    nn.init.kaiming_uniform_(w, nonlinearity="relu")
    assert np.abs(w.numpy()).max() <= math.sqrt(6 / 300)
    nn.init.normal_(w, 1.0, 0.5)
    assert w.numpy().mean() == pytest.approx(1.0, abs=0.01)
    nn.init.uniform_(w, -2, -1)
    assert w.numpy().min() >= -2 and w.numpy().max() <= -1
    nn.init.zeros_(w)
    assert not w.numpy().any()
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        nn.init.xavier_uniform_(cr.zeros(3))


# ---------------------------------------------------------------------------- losses


def _logits_and_labels(n=6, c=4):
    rng = np.random.default_rng(1)
    logits = cr.tensor(rng.standard_normal((n, c)), requires_grad=True)
    labels = cr.tensor(rng.integers(0, c, n))
    return logits, labels


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_with_indices_equals_with_one_hot_and_passes_gradcheck(reduction):
    logits, labels = _logits_and_labels()
    by_index = F.cross_entropy(logits, labels, reduction)
    by_one_hot = F.cross_entropy(logits, F.one_hot(labels, 4).double(), reduction)
    np.testing.assert_allclose(by_index.numpy(), by_one_hot.numpy(), rtol=1e-12)
    probs = np.exp(logits.numpy()) / np.exp(logits.numpy()).sum(1, keepdims=True)
    expected = -np.log(probs[np.arange(6), labels.numpy()])
    expected = {"mean": expected.mean(), "sum": expected.sum(), "none": expected}[reduction]
    np.testing.assert_allclose(by_index.numpy(), expected, rtol=1e-12)
    assert cr.gradcheck(lambda x: F.cross_entropy(x, labels, reduction), (logits,))


def test_cross_entropy_gradient_is_softmax_minus_target_over_n():
    """Seed 004: the backward of softmax-with-loss is (y - t) / N."""
    logits, labels = _logits_and_labels()
    nn.CrossEntropyLoss()(logits, labels).backward()
    probs = np.exp(logits.numpy()) / np.exp(logits.numpy()).sum(1, keepdims=True)
    np.testing.assert_allclose(
        logits.grad.numpy(), (probs - np.eye(4)[labels.numpy()]) / 6, rtol=1e-12
    )


def test_cross_entropy_is_stable_for_huge_logits():
    logits = cr.tensor([[1000.0, -1000.0, 0.0]], requires_grad=True)
    loss = F.cross_entropy(logits, cr.tensor([1]))
    loss.backward()
    assert loss.item() == pytest.approx(2000.0)
    assert np.isfinite(logits.grad.numpy()).all()


def test_nll_of_log_softmax_equals_cross_entropy():
    logits, labels = _logits_and_labels()
    np.testing.assert_allclose(
        nn.NLLLoss()(nn.LogSoftmax(dim=1)(logits), labels).numpy(),
        nn.CrossEntropyLoss()(logits, labels).numpy(),
        rtol=1e-12,
    )
    assert cr.gradcheck(lambda x: F.nll_loss(x.log_softmax(1), labels), (logits,))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_losses_agree_and_pass_gradcheck(reduction):
    rng = np.random.default_rng(2)
    logits = cr.tensor(rng.standard_normal((5, 2)), requires_grad=True)
    target = cr.tensor(rng.integers(0, 2, (5, 2)).astype(np.float64))
    with_logits = F.binary_cross_entropy_with_logits(logits, target, reduction)
    on_probs = F.binary_cross_entropy(logits.sigmoid(), target, reduction)
    np.testing.assert_allclose(with_logits.numpy(), on_probs.numpy(), rtol=1e-10)
    assert cr.gradcheck(lambda x: F.binary_cross_entropy_with_logits(x, target, reduction), logits)
    assert cr.gradcheck(lambda x: F.binary_cross_entropy(x.sigmoid(), target, reduction), logits)


def test_bce_of_a_saturated_sigmoid_stays_finite():
    p = cr.tensor([1.0, 0.0, 1.0], requires_grad=True)
    loss = nn.BCELoss()(p, cr.tensor([0.0, 1.0, 1.0]))
    loss.backward()
    assert loss.item() == pytest.approx(200.0 / 3)
    assert np.isfinite(p.grad.numpy()).all()
    logits = cr.tensor([200.0, -200.0], requires_grad=True)
    loss = nn.BCEWithLogitsLoss()(logits, cr.tensor([0.0, 0.0]))
    loss.backward()
    assert loss.item() == pytest.approx(100.0)
    np.testing.assert_allclose(logits.grad.numpy(), [0.5, 0.0])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss(reduction):
    prediction = cr.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=cr.float64, requires_grad=True)
    target = cr.tensor([[1.5, 2.0], [2.0, 4.0]], dtype=cr.float64)
    squares = np.array([[0.25, 0.0], [1.0, 0.0]])
    expected = {"mean": squares.mean(), "sum": squares.sum(), "none": squares}[reduction]
    np.testing.assert_allclose(
        nn.MSELoss(reduction=reduction)(prediction, target).numpy(), expected
    )
    assert cr.gradcheck(lambda p: F.mse_loss(p, target, reduction), prediction)


def test_losses_match_pytorch():
    torch = pytest.importorskip("torch")
    logits, labels = _logits_and_labels()
    t_logits = torch.tensor(logits.numpy(), requires_grad=True)
    pairs = [
        (
            F.cross_entropy(logits, labels),
            torch.nn.functional.cross_entropy(t_logits, torch.tensor(labels.numpy())),
        ),
        (
            F.binary_cross_entropy_with_logits(logits, (logits > 0).double()),
            torch.nn.functional.binary_cross_entropy_with_logits(t_logits, (t_logits > 0).double()),
        ),
        (
            F.mse_loss(logits, logits.detach() * 0.5),
            torch.nn.functional.mse_loss(t_logits, t_logits.detach() * 0.5),
        ),
    ]
    for ours, theirs in pairs:
        logits.grad, t_logits.grad = None, None
        ours.backward()
        theirs.backward()
        np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-12)
        np.testing.assert_allclose(logits.grad.numpy(), t_logits.grad.numpy(), rtol=1e-10)


def test_loss_shape_and_argument_errors():
    with pytest.raises(
        ValueError, match=r"prediction has shape \(3, 1\) but target has shape \(3,\)"
    ):
        nn.MSELoss()(cr.zeros(3, 1), cr.zeros(3))
    with pytest.raises(ValueError, match=r"class indices of shape \(2,\)"):
        nn.CrossEntropyLoss()(cr.zeros(2, 3), cr.zeros(3))
    with pytest.raises(ValueError, match="class index 5 is out of range for 3 classes"):
        nn.CrossEntropyLoss()(cr.zeros(2, 3), cr.tensor([0, 5]))
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.MSELoss(reduction="avg")
