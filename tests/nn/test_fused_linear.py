"""A Linear layer and the activation after it in a Sequential run as one op: the same values
and gradients as the two ops, bit for bit, and the same behaviour wherever a user can look."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule import nn
from chainrule.ops.linear import LinearLeakyReLU, LinearReLU, LinearSigmoid, LinearTanh

FUSED = {
    nn.Sigmoid: LinearSigmoid,
    nn.ReLU: LinearReLU,
    nn.Tanh: LinearTanh,
    nn.LeakyReLU: LinearLeakyReLU,
}
ACTIVATIONS = [nn.Sigmoid, nn.ReLU, nn.Tanh, lambda: nn.LeakyReLU(0.2)]
DTYPES = [np.float32, np.float64]


def _bits(array: np.ndarray) -> np.ndarray:
    """The raw bytes of ``array``: equal only if every bit is."""
    return np.ascontiguousarray(array).view(np.uint8)


def _same_bits(a: Any, b: Any) -> bool:
    a, b = (np.asarray(v.data if isinstance(v, cr.Tensor) else v) for v in (a, b))
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(_bits(a), _bits(b))


def _layers(make_activation: Any, fan_in: int, fan_out: int, bias: bool, dtype: Any, scale: float):
    linear = nn.Linear(fan_in, fan_out, bias=bias).to(dtype=dtype)
    with cr.no_grad():
        linear.weight.data *= scale  # large weights reach the activations' far tails
    return linear, make_activation()


def _run(forward: Any, linear: nn.Linear, x: np.ndarray, upstream: np.ndarray) -> tuple[Any, ...]:
    """Output, its grad_fn, and the gradients of x and of the layer's parameters, from a
    fresh graph and zeroed gradients."""
    linear.zero_grad()
    xt = cr.Tensor(x, requires_grad=True)
    out = forward(xt)
    out.backward(upstream)
    return out, out.grad_fn, xt.grad, *(p.grad for p in linear.parameters())


@pytest.mark.parametrize("make_activation", ACTIVATIONS, ids=["sigmoid", "relu", "tanh", "leaky"])
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@settings(max_examples=25, deadline=None)
@given(
    batch=st.integers(0, 9),
    fan_in=st.integers(1, 7),
    fan_out=st.integers(1, 7),
    bias=st.booleans(),
    extra=st.sampled_from([(), (3,), None]),  # a batch of rows, a 3-D batch, or one sample
    scale=st.sampled_from([1.0, 300.0]),
    seed=st.integers(0, 2**31 - 1),
)
def test_fused_pair_gives_the_two_ops_values_and_gradients_bit_for_bit(
    make_activation, dtype, batch, fan_in, fan_out, bias, extra, scale, seed
):
    cr.manual_seed(seed % 1000)
    rng = np.random.default_rng(seed)
    linear, activation = _layers(make_activation, fan_in, fan_out, bias, dtype, scale)
    shape = (fan_in,) if extra is None else (*extra, batch, fan_in)
    x = rng.normal(size=shape).astype(dtype)
    upstream = rng.normal(size=(*shape[:-1], fan_out)).astype(dtype)

    fused = _run(nn.Sequential(linear, activation), linear, x, upstream)
    apart = _run(lambda t: activation(linear(t)), linear, x, upstream)  # the ops one by one
    assert type(fused[1]) is FUSED[type(activation)]
    assert type(apart[1]) is not FUSED[type(activation)]
    assert fused[0].dtype == dtype
    for ours, theirs in zip(fused[:1] + fused[2:], apart[:1] + apart[2:], strict=True):
        assert (ours is None) == (theirs is None)
        if ours is not None:
            assert _same_bits(ours, theirs)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_training_a_fused_network_gives_the_unfused_parameters_bit_for_bit(dtype):
    """An MLP trained for 30 SGD steps through Sequential's fused pairs and through the same
    layers called one by one ends with the same bits in every parameter."""
    rng = np.random.default_rng(7)
    x = cr.Tensor(rng.normal(size=(16, 5)).astype(dtype))
    t = cr.Tensor(rng.random(size=(16, 2)).astype(dtype))
    models = []
    for _ in range(2):
        cr.manual_seed(3)
        models.append(nn.mlp([5, 8, 6, 2], "tanh", "sigmoid").to(dtype=dtype))

    def by_hand(model: nn.Sequential) -> Any:
        return lambda v: [v := layer(v) for layer in model][-1]

    runs = []
    for model, forward in ((models[0], models[0]), (models[1], by_hand(models[1]))):
        optimizer = cr.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
        losses = []
        for _ in range(30):
            loss = nn.MSELoss()(forward(x), t)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.data.copy())
        runs.append((losses, [p.data for p in model.parameters()]))
    assert all(_same_bits(a, b) for a, b in zip(runs[0][0], runs[1][0], strict=True))
    assert all(_same_bits(a, b) for a, b in zip(runs[0][1], runs[1][1], strict=True))


def test_the_output_of_a_fused_pair_is_its_node_with_the_layers_inputs():
    model = nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 2), nn.ReLU())
    x = cr.randn(5, 3)
    out = model(x)
    assert type(out.grad_fn) is LinearReLU and repr(out.grad_fn) == "<LinearReLU>"
    hidden, weight, bias = out.grad_fn.inputs
    assert weight is model[2].weight and bias is model[2].bias
    assert type(hidden.grad_fn) is LinearSigmoid and hidden.grad_fn.inputs[0] is x
    assert out.grad_fn.formula.startswith("dz = g where z > 0, else 0;  dx = dz @ W")


def test_an_activation_without_a_linear_before_it_runs_alone():
    model = nn.Sequential(nn.Sigmoid(), nn.Linear(3, 2), nn.Identity(), nn.Tanh(), nn.Linear(2, 2))
    out = model(cr.randn(4, 3, requires_grad=True))
    assert type(out.grad_fn).__name__ == "Linear"
    assert type(out.grad_fn.inputs[0].grad_fn).__name__ == "Tanh"


class _Retaining(nn.Linear):
    """A Linear that keeps its output, to read the gradient there: it must run on its own."""

    def forward(self, x: cr.Tensor) -> cr.Tensor:
        self.out = super().forward(x).retain_grad()
        return self.out


class _Doubled(nn.Sigmoid):
    def forward(self, x: cr.Tensor) -> cr.Tensor:
        return 2 * super().forward(x)


def test_a_subclass_on_either_side_is_not_fused_and_sees_the_intermediate():
    cr.manual_seed(0)
    x = cr.randn(4, 3)
    first = _Retaining(3, 2)
    model = nn.Sequential(first, nn.Sigmoid())
    out = model(x)
    assert type(out.grad_fn).__name__ == "Sigmoid"
    out.backward(cr.ones(4, 2))
    y = out.data
    assert np.allclose(first.out.grad.data, y * (1 - y))  # dσ/dz, kept by retain_grad
    doubled = nn.Sequential(nn.Linear(3, 2), _Doubled())
    assert type(doubled(x).grad_fn).__name__ == "Mul"


def test_a_forward_replaced_on_the_instance_is_called_and_not_fused():
    cr.manual_seed(0)
    linear, activation = nn.Linear(3, 2), nn.Tanh()
    seen = []

    def watching(x: cr.Tensor) -> cr.Tensor:
        seen.append(x)
        return nn.Tanh.forward(activation, x)

    activation.forward = watching
    out = nn.Sequential(linear, activation)(cr.randn(4, 3))
    assert type(out.grad_fn).__name__ == "Tanh"
    assert len(seen) == 1 and type(seen[0].grad_fn).__name__ == "Linear"


def test_retain_grad_and_retain_graph_on_a_fused_output():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 2), nn.Sigmoid())
    x = cr.randn(4, 3)
    out = model(x).retain_grad()
    loss = (out * out).sum()
    loss.backward(retain_graph=True)
    first = model[0].weight.grad.data.copy()
    assert _same_bits(out.grad, 2 * out.data)
    loss.backward()
    assert _same_bits(model[0].weight.grad, first + first)
    with pytest.raises(RuntimeError, match="already freed"):
        loss.backward()


def test_a_fused_output_changed_in_place_is_refused_by_backward():
    model = nn.Sequential(nn.Linear(3, 2), nn.Sigmoid())
    out = model(cr.randn(4, 3))
    out.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an in-place operation: LinearSigmoid"):
        out.sum().backward()


def test_an_input_changed_in_place_is_refused_as_the_linear_op_refuses_it():
    x = cr.randn(4, 3)
    model = nn.Sequential(nn.Linear(3, 2), nn.Tanh())
    out = model(x)
    x.add_(1)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        out.sum().backward()


def test_under_no_grad_the_fused_pair_gives_the_same_values_and_no_graph():
    model = nn.Sequential(nn.Linear(3, 2), nn.LeakyReLU(0.3))
    x = cr.randn(6, 3)
    with cr.no_grad():
        out = model(x)
    assert out.grad_fn is None and not out.requires_grad
    assert _same_bits(out, model[1](model[0](x)).detach())


def test_the_first_layer_still_refuses_what_it_cannot_take():
    model = nn.Sequential(nn.Linear(3, 2), nn.Sigmoid())
    with pytest.raises(TypeError, match="Linear"):
        model([[1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match="its last dimension must be 3"):
        model(cr.ones(2, 4))


@pytest.mark.parametrize("make_activation", ACTIVATIONS, ids=["sigmoid", "relu", "tanh", "leaky"])
def test_anomaly_mode_names_the_half_of_the_fused_op_that_went_wrong(make_activation):
    """Forward: the Linear layer's infinite output (which a sigmoid or tanh would turn
    finite), as the two ops report it. Backward: a NaN gradient arriving at the activation
    is reported as the activation's."""
    activation = make_activation()
    messages = []
    linear = nn.Linear(2, 2)
    for model in (nn.Sequential(linear, activation), lambda t: activation(linear(t))):
        with (
            np.errstate(all="ignore"),  # BLAS may warn of inf * 0
            cr.detect_anomaly(),
            pytest.raises(FloatingPointError) as forward_error,
        ):
            model(cr.tensor([[np.inf, 1.0]]))
        out = model(cr.tensor([[1.0, 2.0]]))
        with cr.detect_anomaly(), pytest.raises(FloatingPointError) as backward_error:
            out.backward(cr.tensor([[np.nan, 1.0]]))
        messages.append((str(forward_error.value), str(backward_error.value)))
    assert messages[0] == messages[1]
    assert messages[0][0].startswith("Linear forward produced NaN or inf")
    name = type(activation).__name__
    assert messages[0][1].startswith(f"{name} backward produced NaN or inf in the gradient")


@pytest.mark.parametrize("op", [LinearSigmoid, LinearReLU, LinearTanh, LinearLeakyReLU])
def test_gradcheck_of_each_fused_op(op):
    rng = np.random.default_rng(1)
    x = cr.Tensor(rng.normal(size=(3, 4)), requires_grad=True)
    w = cr.Tensor(rng.normal(size=(2, 4)), requires_grad=True)
    b = cr.Tensor(rng.normal(size=2), requires_grad=True)
    extra = (0.1,) if op is LinearLeakyReLU else ()
    assert cr.gradcheck(lambda x, w, b: op.apply(x, w, b, *extra), (x, w, b))
