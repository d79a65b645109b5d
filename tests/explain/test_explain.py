"""explain: the trace's numbers against seed 000 and a float64 recomputation by hand, every
chain-rule product against .grad from a real backward(), seed 002's split, seed 004's graph
and seed 003's XOR story."""

import itertools

import numpy as np
import pytest

import chainrule as cr
import chainrule.functional as F
from chainrule import explain, nn
from chainrule.explain.graph import graph
from chainrule.explain.split import error_split
from chainrule.explain.xor import xor_story


def _seed_000_trace(**options):
    example = explain.seed_000()
    settings = {"loss": example.loss, "lr": example.lr, "freeze_biases": example.freeze_biases}
    return explain.trace(example.model, example.inputs, example.targets, **{**settings, **options})


def _by_name(records):
    return {r.name if hasattr(r, "name") else r.neuron: r for r in records}


def test_seed_000_numbers_as_the_seed_prints_them():
    t = _seed_000_trace()
    neurons = {n.name: n for n in t.neurons}
    assert round(neurons["h2"].out, 9) == 0.596884378
    assert round(neurons["o2"].out, 9) == 0.772928465
    # Seed 000 prints E_o2 = 0.023450026, a typo for ½(0.99 − 0.772928465)² = 0.023560026.
    assert round(t.loss_terms[1].value, 9) == 0.023560026
    assert round(t.total_error, 4) == 0.2984 and str(t.total_error).startswith("0.2983")
    assert str(t.error_after).startswith("0.2910")
    deltas = {d.neuron: d for d in t.deltas}
    # ∂E_o2/∂out_h1: seed 000 prints -0.019049119, the product of its rounded factors
    # (-0.038098237 × 0.5); unrounded it is -0.01904911826.
    assert round(deltas["h1"].feeds[1].product, 11) == -0.01904911826
    assert round(deltas["o2"].dE_dnet, 9) * 0.5 == pytest.approx(-0.019049119, abs=1e-9)


def _mazur_by_hand():
    """Seed 000 recomputed in float64 with the formulas written out, no engine."""
    x, t = np.array([0.05, 0.10]), np.array([0.01, 0.99])
    w1, w2 = np.array([[0.15, 0.20], [0.25, 0.30]]), np.array([[0.40, 0.45], [0.50, 0.55]])

    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    net_h = w1 @ x + 0.35
    h = sigmoid(net_h)
    net_o = w2 @ h + 0.60
    o = sigmoid(net_o)
    delta_o = -(t - o) * o * (1 - o)
    dE_dh = w2.T @ delta_o
    delta_h = dE_dh * h * (1 - h)
    grad_w2, grad_w1 = np.outer(delta_o, h), np.outer(delta_h, x)
    new_w1, new_w2 = w1 - 0.5 * grad_w1, w2 - 0.5 * grad_w2
    after = 0.5 * ((t - sigmoid(new_w2 @ sigmoid(new_w1 @ x + 0.35) + 0.60)) ** 2).sum()
    return {
        "net_h": net_h,
        "h": h,
        "net_o": net_o,
        "o": o,
        "terms": 0.5 * (t - o) ** 2,
        "delta_o": delta_o,
        "delta_h": delta_h,
        "dE_dh": dE_dh,
        "grad_w1": grad_w1,
        "grad_w2": grad_w2,
        "new_w1": new_w1,
        "new_w2": new_w2,
        "after": after,
    }


def test_seed_000_trace_equals_a_float64_recomputation_by_hand():
    t, ref = _seed_000_trace(), _mazur_by_hand()
    close = {"rtol": 1e-12, "atol": 1e-15}
    layer1, layer2 = t.layer(1), t.layer(2)
    np.testing.assert_allclose([n.net for n in layer1], ref["net_h"], **close)
    np.testing.assert_allclose([n.out for n in layer1], ref["h"], **close)
    np.testing.assert_allclose([n.net for n in layer2], ref["net_o"], **close)
    np.testing.assert_allclose([n.out for n in layer2], ref["o"], **close)
    np.testing.assert_allclose([term.value for term in t.loss_terms], ref["terms"], **close)
    deltas = {d.neuron: d for d in t.deltas}
    np.testing.assert_allclose([deltas[n].dE_dnet for n in ("o1", "o2")], ref["delta_o"], **close)
    np.testing.assert_allclose([deltas[n].dE_dnet for n in ("h1", "h2")], ref["delta_h"], **close)
    np.testing.assert_allclose([deltas[n].dE_dout for n in ("h1", "h2")], ref["dE_dh"], **close)
    for n in ("h1", "h2"):
        assert sum(f.product for f in deltas[n].feeds) == pytest.approx(
            deltas[n].dE_dout, rel=1e-12
        )
    weights = {p.name: p for p in t.parameters if p.kind == "weight"}
    grads = np.concatenate([ref["grad_w1"].ravel(), ref["grad_w2"].ravel()])
    updated = np.concatenate([ref["new_w1"].ravel(), ref["new_w2"].ravel()])
    names = [f"w{k}" for k in range(1, 9)]
    np.testing.assert_allclose([weights[n].grad for n in names], grads, **close)
    np.testing.assert_allclose([weights[n].product for n in names], grads, **close)
    np.testing.assert_allclose([weights[n].updated for n in names], updated, **close)
    assert t.error_after == pytest.approx(ref["after"], rel=1e-12)
    assert all(p.updated is None for p in t.parameters if p.kind == "bias")  # frozen, as in seed


def test_seed_000_names_follow_the_seed():
    t = _seed_000_trace()
    assert [n.name for n in t.neurons] == ["h1", "h2", "o1", "o2"]
    weights = [(p.name, p.source, p.target) for p in t.parameters if p.kind == "weight"]
    assert weights[4] == ("w5", "h1", "o1") and weights[0] == ("w1", "i1", "h1")
    assert weights[2] == ("w3", "i1", "h2") and weights[7] == ("w8", "h2", "o2")
    # The seed writes one b1 and one b2, but each neuron has a bias (and a gradient) of its own.
    biases = [p.name for p in t.parameters if p.kind == "bias"]
    assert biases == ["b1_1", "b1_2", "b2_1", "b2_2"]


def test_names_are_the_examples_by_default_and_seed_is_no_longer_one():
    """``names="example"`` (the default) names things as Mazur's example does; the old name of
    that choice, "seed", said nothing to a learner and is refused, naming the choices."""
    assert [n.name for n in _seed_000_trace(names="example").neurons] == ["h1", "h2", "o1", "o2"]
    index = _seed_000_trace(names="index")
    assert [p.name for p in index.parameters][:3] == ["W1[1,1]", "W1[1,2]", "b1[1]"]
    with pytest.raises(
        explain.ExplainError, match="names must be 'example' or 'index', not 'seed'"
    ):
        _seed_000_trace(names="seed")


def test_a_parameters_record_is_a_parameter_step_and_leaves_nn_parameter_unshadowed():
    """The record of one weight or bias is ``explain.ParameterStep``; ``explain`` exports no
    ``Parameter``, so a star import of it next to ``nn``'s keeps ``nn.Parameter``."""
    t = _seed_000_trace()
    assert all(type(p) is explain.ParameterStep for p in t.parameters) and len(t.parameters) == 12
    names: dict = {}
    exec("from chainrule.nn import Parameter\nfrom chainrule.explain import *", names)
    assert names["Parameter"] is nn.Parameter and names["ParameterStep"] is explain.ParameterStep
    assert not hasattr(explain, "Parameter")


def _real_gradients(model, inputs, target, loss):
    """.grad of every parameter after an ordinary forward and backward()."""
    model = model.double()
    out = model(cr.tensor(np.asarray(inputs, dtype=float)[None, :]))
    target = cr.tensor(np.asarray(target, dtype=float)[None, :])
    if loss == "ce":
        error = F.cross_entropy(out, target, reduction="sum")
    elif loss == "bce":
        error = F.binary_cross_entropy(out, target)
    else:
        error = F.mse_loss(out, target)
    model.zero_grad()
    error.backward()
    return {name: p.grad.numpy() for name, p in model.named_parameters()}, error.item()


@pytest.mark.parametrize(
    ("sizes", "activation", "last", "loss"),
    [
        ((3, 4, 2), nn.Tanh, nn.Sigmoid, "mse"),
        ((2, 3, 3, 1), nn.ReLU, nn.Sigmoid, "bce"),
        ((4, 5, 3), nn.LeakyReLU, None, "ce"),
        ((2, 2), nn.Sigmoid, nn.Sigmoid, "mse"),
    ],
)
def test_every_chain_rule_product_equals_grad_after_a_real_backward(sizes, activation, last, loss):
    cr.manual_seed(3)
    layers = []
    for i, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(fan_in, fan_out))
        final = i == len(sizes) - 2
        if not final or last is not None:
            layers.append((last if final else activation)())
    model = nn.Sequential(*layers).double()  # a float32 model is walked on its decimals
    rng = np.random.default_rng(0)
    inputs = rng.uniform(-1, 1, sizes[0])
    target = np.eye(sizes[-1])[1] if loss == "ce" else rng.uniform(0, 1, sizes[-1])
    t = explain.trace(model, inputs, target, loss=loss, lr=0.1, names="index")
    grads, error = _real_gradients(model, inputs, target, loss)
    assert t.total_error == pytest.approx(error, rel=1e-12)
    for p in t.parameters:
        name, index = p.key.split("[")
        position = tuple(int(v) for v in index.rstrip("]").split(","))
        expected = grads[name][position]
        assert p.product == pytest.approx(expected, rel=1e-9, abs=1e-15), p.name
        assert p.grad == pytest.approx(expected, rel=1e-12, abs=1e-15), p.name
        assert p.updated == pytest.approx(p.value - 0.1 * expected, rel=1e-12, abs=1e-15)


def test_trace_leaves_the_model_unchanged_and_steps_lower_the_error():
    example = explain.seed_000()
    before = {k: v.numpy().copy() for k, v in example.model.state_dict().items()}
    t = explain.trace(example.model, example.inputs, example.targets, lr=0.5, steps=20)
    for key, value in example.model.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), before[key])
    assert len(t.errors) == 21 and t.errors[1] == t.error_after
    assert all(a > b for a, b in itertools.pairwise(t.errors))


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (nn.Sequential(nn.Linear(2, 2), nn.Softmax()), "module 1 is Softmax"),
        (nn.Sequential(nn.Flatten(), nn.Linear(2, 2)), "module 0 is Flatten"),
        (nn.Sequential(nn.Linear(40, 40)), "up to 64 neurons"),
        (nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Tanh()), "module 2 is Tanh"),
    ],
)
def test_models_explain_cannot_show_get_a_clear_error(model, message):
    with pytest.raises(explain.ExplainError, match=message):
        explain.trace(
            model,
            np.zeros(model[0].in_features if hasattr(model[0], "in_features") else 2),
            [0.0, 0.0],
        )


def test_bad_inputs_targets_and_options_get_clear_errors():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid())
    with pytest.raises(explain.ExplainError, match="one sample of 2 values"):
        explain.trace(model, [1.0, 2.0, 3.0], [0.0, 1.0])
    with pytest.raises(explain.ExplainError, match=r"one value per output \(2\)"):
        explain.trace(model, [1.0, 2.0], [0.0])
    with pytest.raises(explain.ExplainError, match="loss must be one of"):
        explain.trace(model, [1.0, 2.0], [0.0, 1.0], loss="hinge")
    with pytest.raises(explain.ExplainError, match="class 5 is out of range"):
        explain.trace(model, [1.0, 2.0], 5, loss="ce")


def test_seed_002_error_split():
    split = error_split([[2.0, 3.0], [1.0, 4.0]], [0.8, 0.5])
    assert [h.proportional for h in split.hidden] == pytest.approx([0.42, 0.88])
    assert [h.transposed for h in split.hidden] == pytest.approx([2.1, 4.4])
    assert [h.difference for h in split.hidden] == pytest.approx([1.68, 3.52])
    shares = split.hidden[0].shares
    assert [s.output for s in shares] == ["o1", "o2"]
    assert [s.fraction for s in shares] == pytest.approx([0.4, 0.2])
    assert [s.amount for s in shares] == pytest.approx([0.32, 0.1])
    text = split.to_text()
    assert "0.42" in text and "0.88" in text and "2.1" in text and "4.4" in text
    assert "차이" in split.to_text("ko")
    with pytest.raises(ValueError, match="one row per output error"):
        error_split([[1.0, 2.0]], [0.1, 0.2])


def test_seed_004_apple_and_orange_graph():
    g = graph(
        lambda apple, apple_num, orange, orange_num, tax: (
            (apple * apple_num + orange * orange_num) * tax
        ),
        100,
        2,
        150,
        3,
        1.1,
    )
    grads = {n.name: n.grad for n in g.nodes}
    assert g.nodes[-1].value == pytest.approx(715.0)
    assert [grads[k] for k in ("apple", "apple_num", "orange", "orange_num", "tax")] == (
        pytest.approx([2.2, 110.0, 3.3, 165.0, 650.0])
    )
    expressions = {n.expression: n.value for n in g.nodes if n.op != "input"}
    assert expressions["apple × apple_num"] == pytest.approx(200.0)
    assert expressions["v1 + v2"] == pytest.approx(650.0)
    text = g.to_text()
    assert "v1 = apple × apple_num" in text and "∂v4/∂tax = 650" in text


def test_seed_004_apple_graph():
    g = graph(lambda apple, apple_num, tax: apple * apple_num * tax, 100, 2, 1.1)
    assert g.nodes[-1].value == pytest.approx(220.0)
    assert [g.node(k).grad for k in ("apple", "apple_num", "tax")] == pytest.approx([2.2, 110, 200])


def test_seed_003_xor_story():
    story = xor_story()
    assert story.perceptron_outputs == pytest.approx([0.5] * 4, abs=1e-3)
    assert [round(o) for o in story.network_outputs] == [0, 1, 1, 0]
    # The output unit separates the points in hidden space: the sign of its line matches XOR.
    line = story.output_line
    sides = [line.a * h1 + line.b * h2 + line.c > 0 for h1, h2 in story.hidden]
    assert sides == [False, True, True, False]
    text = story.to_text()
    assert "no line puts" in text and "h1:" in text and "h2:" in text


def test_the_xor_story_leaves_the_generator_as_it_was_and_is_trained_once():
    import chainrule as cr

    cr.manual_seed(5)
    expected = cr.rand(3).numpy()
    cr.manual_seed(5)
    first = xor_story(steps=300)
    assert cr.rand(3).numpy().tobytes() == expected.tobytes()
    assert xor_story(steps=300) is first  # kept, not trained again
    assert xor_story.__wrapped__(steps=300) == first  # and the same when it is
