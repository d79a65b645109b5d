"""The numbers of the seeds (../shared/seeds/), reproduced by the engine."""

import numpy as np
import pytest

import chainrule as cr


def _scalars(*values):
    return [cr.tensor(v, dtype=cr.float64, requires_grad=True) for v in values]


def test_seed_004_apple_price_graph():
    apple, apple_num, tax = _scalars(100.0, 2.0, 1.1)
    price = apple * apple_num * tax
    price.backward()
    assert price.item() == pytest.approx(220.0)
    assert apple.grad.item() == pytest.approx(2.2)
    assert apple_num.grad.item() == pytest.approx(110.0)
    assert tax.grad.item() == pytest.approx(200.0)


def test_seed_004_apple_and_orange_price_graph():
    apple, apple_num, orange, orange_num, tax = _scalars(100.0, 2.0, 150.0, 3.0, 1.1)
    price = (apple * apple_num + orange * orange_num) * tax
    price.backward()
    assert price.item() == pytest.approx(715.0)
    grads = [t.grad.item() for t in (apple, apple_num, orange, orange_num, tax)]
    assert grads == pytest.approx([2.2, 110.0, 3.3, 165.0, 650.0])


class MulLayer(cr.Function):
    """Seed 004's multiply layer as a Function: backward swaps the inputs."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y

    @staticmethod
    def backward(ctx, dout):
        x, y = ctx.saved_tensors
        return dout * y, dout * x


class AddLayer(cr.Function):
    """Seed 004's add layer as a Function: backward passes the gradient through."""

    @staticmethod
    def forward(ctx, x, y):
        return x + y

    @staticmethod
    def backward(ctx, dout):
        return dout, dout


def test_seed_004_layers_written_as_functions_give_the_same_numbers():
    apple, apple_num, orange, orange_num, tax = _scalars(100.0, 2.0, 150.0, 3.0, 1.1)
    all_price = AddLayer.apply(MulLayer.apply(apple, apple_num), MulLayer.apply(orange, orange_num))
    price = MulLayer.apply(all_price, tax)
    price.backward()
    assert price.item() == pytest.approx(715.0)
    grads = [t.grad.item() for t in (apple, apple_num, orange, orange_num, tax)]
    assert grads == pytest.approx([2.2, 110.0, 3.3, 165.0, 650.0])


def test_seed_004_affine_bias_gradient_sums_over_the_batch():
    b = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x_dot_w = cr.tensor([[0.0, 0.0, 0.0], [10.0, 10.0, 10.0]])
    out = x_dot_w + b
    assert out.tolist() == [[1.0, 2.0, 3.0], [11.0, 12.0, 13.0]]
    out.backward(cr.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
    assert b.grad.tolist() == [5.0, 7.0, 9.0]


def test_seed_004_softmax_with_cross_entropy_backward_is_y_minus_t_over_n():
    logits = cr.tensor([[0.3, 2.9, 4.0], [1.0, -1.0, 0.5]], dtype=cr.float64, requires_grad=True)
    t = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    loss = -(logits.log_softmax(axis=1) * t).sum() / 2
    loss.backward()
    y = np.exp(logits.numpy()) / np.exp(logits.numpy()).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(logits.grad.numpy(), (y - t) / 2, rtol=1e-12)


def _mazur_network():
    w1, w2, w3, w4, w5, w6, w7, w8 = 0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55
    hidden = cr.tensor([[w1, w2], [w3, w4]], dtype=cr.float64, requires_grad=True)
    output = cr.tensor([[w5, w6], [w7, w8]], dtype=cr.float64, requires_grad=True)
    return hidden, output


def _forward(hidden, output):
    x = cr.tensor([0.05, 0.10], dtype=cr.float64)
    target = cr.tensor([0.01, 0.99], dtype=cr.float64)
    out_h = (hidden @ x + 0.35).sigmoid()
    out_o = (output @ out_h + 0.60).sigmoid()
    errors = 0.5 * (target - out_o) ** 2
    return out_h, out_o, errors


def test_seed_000_forward_pass():
    out_h, out_o, errors = _forward(*_mazur_network())
    assert out_h.tolist() == pytest.approx([0.593269992, 0.596884378], abs=1e-9)
    assert out_o.tolist() == pytest.approx([0.75136507, 0.772928465], abs=1e-8)
    # Seed 000 prints E_o2 = 0.023450026, a typo: ½(0.99 − 0.772928465)² = 0.023560026.
    assert errors.tolist() == pytest.approx([0.274811083, 0.023560026], abs=1e-9)
    assert errors.sum().item() == pytest.approx(0.298371109, abs=1e-9)


def test_seed_000_backward_pass_and_update():
    hidden, output = _mazur_network()
    _, _, errors = _forward(hidden, output)
    errors.sum().backward()
    assert output.grad[0, 0].item() == pytest.approx(0.082167041, abs=1e-9)  # dE/dw5
    assert hidden.grad[0, 0].item() == pytest.approx(0.000438568, abs=1e-9)  # dE/dw1
    with cr.no_grad():
        output.data -= 0.5 * output.grad.data
        hidden.data -= 0.5 * hidden.grad.data
    assert output.numpy().ravel().tolist() == pytest.approx(
        [0.35891648, 0.408666186, 0.511301270, 0.561370121], abs=1e-8
    )
    assert hidden.numpy().ravel().tolist() == pytest.approx(
        [0.149780716, 0.19956143, 0.24975114, 0.29950229], abs=1e-8
    )
    _, _, errors = _forward(hidden, output)
    # Seed 000: "0.2983... before the update, 0.2910... after"; exactly, in float64:
    assert errors.sum().item() == pytest.approx(0.2910277737, abs=1e-10)


def test_seed_000_hidden_gradient_sums_over_both_outputs():
    """dE/dout_h1 = dE_o1/dout_h1 + dE_o2/dout_h1 = 0.055399425 - 0.019049119."""
    hidden, output = _mazur_network()
    out_h, _, _ = _forward(hidden, output)
    per_output = []
    for k in range(2):
        h = out_h.detach().requires_grad_()
        o = (output.detach() @ h + 0.60).sigmoid()
        (0.5 * (cr.tensor([0.01, 0.99], dtype=cr.float64)[k] - o[k]) ** 2).backward()
        per_output.append(h.grad[0].item())
    assert per_output == pytest.approx([0.055399425, -0.019049119], abs=1e-9)
    assert sum(per_output) == pytest.approx(0.036350306, abs=1e-9)


def test_seed_001_sigmoid_derivative_is_sigma_times_one_minus_sigma():
    z = cr.tensor(np.linspace(-6, 6, 25), requires_grad=True)
    s = z.sigmoid()
    s.sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), s.numpy() * (1 - s.numpy()), rtol=1e-12)
