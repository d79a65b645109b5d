"""explain's matrix form (``--matrix``): every product recomputed with NumPy from the records
equals the numbers shown, shapes are right, every format and language draws it; and a
float32 model walked in float64 on its values as written (Mazur's worked example)."""

import re
from dataclasses import asdict, replace

import numpy as np
import pytest

import chainrule as cr
from chainrule import explain, nn
from chainrule.app.main import main
from chainrule.explain.blocks import Equation, Matrix, Scalar, Table, keyed_pieces, walkthrough
from chainrule.explain.matrix import MOST, equation_lines
from helpers import dump_dom, needs_chromium

FUNCTIONS = {
    "σ": lambda v: 1 / (1 + np.exp(-v)),
    "tanh": np.tanh,
    "relu": lambda v: np.maximum(v, 0),
    "leaky_relu": lambda v: np.where(v > 0, v, 0.01 * v),
    "identity": lambda v: v,
}


def _seed_000_trace():
    e = explain.seed_000()
    return explain.trace(e.model, e.inputs, e.targets, e.loss, e.lr, e.freeze_biases)


@pytest.fixture(scope="module")
def seed_000():
    return _seed_000_trace()


@pytest.fixture(scope="module")
def deep():
    """2-3-2-1 with tanh, biases updated."""
    cr.manual_seed(1)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 2), nn.Tanh(), nn.Linear(2, 1))
    return explain.trace(model, (0.5, -0.2), (0.3,), names="index", lr=0.1)


@pytest.fixture(scope="module")
def softmax_ce():
    cr.manual_seed(2)
    model = nn.Sequential(nn.Linear(3, 4), nn.LeakyReLU(), nn.Linear(4, 3))
    return explain.trace(model, (1.0, -2.0, 3.0), 2, loss="ce", lr=0.1)


@pytest.fixture(scope="module")
def no_bias():
    cr.manual_seed(4)
    model = nn.Sequential(nn.Linear(2, 3, bias=False), nn.ReLU(), nn.Linear(3, 2, bias=False))
    return explain.trace(model, (0.7, 0.4), (0.2, 0.9), loss="mse", lr=0.2)


def _record(tree, key):
    for part in key.split("."):
        tree = tree[int(part)] if isinstance(tree, list | tuple) else tree[part]
    return tree


def _value(term, records):
    """A matrix's (or scalar's) entries as an array read from the records its keys name,
    after checking that each shown number is its record, formatted."""
    cells = [[term.value]] if isinstance(term, Scalar) else term.rows
    values = []
    for row in cells:
        values.append([])
        for cell in row:
            ((key, shown),) = keyed_pieces(cell)
            assert key is not None and shown == explain.fmt(_record(records, key)), cell
            values[-1].append(_record(records, key))
    array = np.array(values, dtype=float)
    if isinstance(term, Matrix):
        assert array.shape == term.shape, term.name
    return array


def _evaluate(terms, records):
    """The right-hand side of an equation with NumPy: f(M) for an activation f, or sums
    and differences of products (· a matrix product or a scalar times a matrix, ⊙ entry by
    entry)."""
    if isinstance(terms[0], str):
        (function, operand) = terms
        return FUNCTIONS[function](_value(operand, records))
    total, sign, product = None, 1, None
    for term in [*terms, "+"]:
        if term in ("+", "−"):
            total = sign * product if total is None else total + sign * product
            sign, product, op = (1 if term == "+" else -1), None, None
        elif term in ("·", "⊙"):
            op = term
        else:
            value = _value(term, records)
            if product is None:
                product = value
            elif op == "⊙" or isinstance(term, Scalar) or product.shape == (1, 1):
                product = product * value
            else:
                product = product @ value
    return total


def _equations(trace, **options):
    return [
        b for b in walkthrough(trace, keyed=True, matrix=True, **options) if isinstance(b, Equation)
    ]


@pytest.mark.parametrize("name", ["seed_000", "deep", "softmax_ce", "no_bias"])
def test_every_product_recomputed_from_the_records_equals_the_numbers_shown(name, request):
    """W·x + b gives the nets, f(net) the outs, Wᵀδ the hidden ∂E/∂out and ⊙ f′ the δ's,
    δ·xᵀ the .grad records, W − η·∂E/∂W the updated values, and the batch form the same:
    each recomputed with NumPy from the records that the entries' keys name."""
    trace = request.getfixturevalue(name)
    records = asdict(trace)
    equations = _equations(trace)
    names = set()
    for equation in equations:
        left, equals, *right = equation.terms
        assert equals == "="
        expected = _evaluate(right, records)
        np.testing.assert_allclose(_value(left, records), expected, rtol=1e-12, atol=1e-15)
        names.add(left.name)
    depth = trace.depth
    frozen = trace.frozen_biases or name == "no_bias"
    per_layer = 2 + 2 + 1 + (0 if name == "no_bias" else 1) + (1 if frozen else 2)
    assert len(equations) == depth * per_layer - 1 + 2  # the output layer has no Wᵀδ; batch
    for layer in "¹²":
        assert {f"net{layer}", f"out{layer}", f"δ{layer}", f"∂E/∂W{layer}", f"W{layer}⁺"} <= names
    assert {"∂E/∂out¹", "NET¹", "∂E/∂W¹"} <= names


def test_seed_000_matrices_hold_the_worked_examples_numbers(seed_000):
    """Mazur's numbers where the matrix form shows them: net_h1 = 0.3775, out_h1, the δ's,
    ∂E/∂w5 and w5⁺ = 0.35891648."""
    lines = "\n".join(line for e in _equations(seed_000) for line in equation_lines(e, None))
    for number in ("0.3775", "0.593269992", "0.75136507", "0.138498562", "0.0821670406"):
        assert number in lines
    assert "⎡ 0.35891648  0.408666186 ⎤" in lines
    assert "[ 0.05  0.1 ]" in lines  # xᵀ, a row


def test_shapes_are_printed_as_the_products_need_them(deep):
    """2-3-2-1: W¹ is (3×2), x (2×1), W²ᵀ (3×2), δ² (2×1), (out¹)ᵀ (1×3); the batch table
    gives each layer's X, Wᵀ and Δᵀ·X shapes."""
    text = explain.render_text(deep, matrix=True)
    shapes = {}
    for equation in _equations(deep):
        lines = equation_lines(equation, None)
        shown = re.findall(r"\((\d+)×(\d+)\)", lines[1])
        matrices = [t for t in equation.terms if isinstance(t, Matrix)]
        assert [tuple(map(int, s)) for s in shown] == [m.shape for m in matrices]
        shapes.update({m.name: m.shape for m in matrices})
    assert shapes["W¹"] == (3, 2) and shapes["x"] == (2, 1) and shapes["net¹"] == (3, 1)
    assert shapes["W²ᵀ"] == (3, 2) and shapes["δ²"] == (2, 1) and shapes["(out¹)ᵀ"] == (1, 3)
    assert shapes["∂E/∂W³"] == (1, 2) and shapes["NET¹"] == (1, 3) and shapes["X"] == (1, 2)
    table = next(
        b for b in walkthrough(deep, matrix=True) if isinstance(b, Table) and "Δ" in b.columns
    )
    assert table.rows[1][1:] == (
        "(B×3)",
        "(3×2)",
        "(1×2)",
        "(B×2)",
        "(B×2)",
        "(2×B) · (B×3) = (2×3)",
    )
    assert "(1×B) · (B×2) = (1×2)" in text


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_every_format_and_language_draws_the_matrix_form(seed_000, lang):
    heading = explain.say(lang, "matrix")
    text = explain.render_text(seed_000, lang, matrix=True)
    markdown = explain.render_markdown(seed_000, lang, matrix=True)
    page = explain.render_html(seed_000, lang, matrix=True)
    for output in (text, markdown, page):
        assert heading in output and explain.say(lang, "matrix_batch") in output
        assert heading not in explain.render_markdown(seed_000, lang)
    symbolic = "net¹ = W¹ · x + b¹"
    assert symbolic in re.sub(r" +", " ", text) and symbolic in re.sub(r" +", " ", markdown)
    first = "⎡ 0.3775 ⎤  =  ⎡ 0.15  0.2 ⎤  ·  ⎡ 0.05 ⎤  +  ⎡ 0.35 ⎤"
    assert first in text and first in markdown
    section = markdown[markdown.index(heading) :]
    assert section.count("```") == 2 * len(_equations(seed_000))
    assert page.count('class="crx-eq"') == len(_equations(seed_000))
    assert page.count('class="crx-mat"') > 40
    if lang == "ko":
        assert "행렬" in text and "배치" in markdown and "원소" in page
    english = explain.render_text(seed_000, "en", matrix=True)
    numbers = re.compile(r"-?\d+\.\d+(?:e-?\d+)?")
    assert sorted(numbers.findall(text)) == sorted(numbers.findall(english))


def test_the_page_keys_every_matrix_entry_to_its_record(seed_000):
    """In the page, each number of an equation is a data-k span holding its record's value."""
    page = explain.render_html(seed_000, matrix=True)
    records = asdict(seed_000)
    section = page[page.index('class="crx-eq"') :]
    spans = re.findall(r'<span data-k="([^"]+)">([^<]*)</span>', section)
    assert len(spans) > 100
    for key, shown in spans:
        assert shown == explain.fmt(_record(records, key)), key
    keys = {key for key, _ in spans}
    assert {"lr", "inputs.0.1", "neurons.0.net", "deltas.0.dE_dnet"} <= keys
    assert {f"parameters.{i}.grad" for i, p in enumerate(seed_000.parameters)} <= keys


@needs_chromium
def test_in_chromium_the_matrix_page_runs_and_lays_out_each_equation(tmp_path, seed_000):
    dom = dump_dom(tmp_path, explain.render_html(seed_000, "ko", matrix=True))
    assert dom.count('class="crx-eq"') == len(_equations(seed_000))
    assert 'data-k="parameters.4.updated"' in dom


def test_a_wide_layer_is_shown_by_its_shapes_and_the_output_says_so():
    """2-7-2: equations with a 7-neuron matrix show names and shapes only; the output
    layer's δ, with no such matrix, still shows its numbers."""
    cr.manual_seed(5)
    model = nn.Sequential(nn.Linear(2, 7), nn.Sigmoid(), nn.Linear(7, 2), nn.Sigmoid())
    trace = explain.trace(model, (0.3, 0.6), (0.1, 0.8))
    assert MOST < 7
    for lang in ("en", "ko"):
        note = explain.say(lang, "matrix_capped", most=MOST)
        assert note in re.sub(r"\s+", " ", explain.render_text(trace, lang, matrix=True))
    equations = {e.terms[0].name: e for e in _equations(trace)}
    for name in ("net¹", "out¹", "∂E/∂out¹", "δ¹", "∂E/∂W²", "W¹⁺"):
        assert all(not t.rows for t in equations[name].terms if isinstance(t, Matrix)), name
        assert equation_lines(equations[name])[1].count("×") >= 2
        assert len(equation_lines(equations[name])) == 2
    assert equations["δ²"].terms[0].rows and equations["∂E/∂b²"].terms[0].rows
    assert explain.say("en", "matrix_capped", most=MOST) not in explain.render_text(
        _seed_000_trace(), matrix=True
    )


def test_a_wide_equation_goes_on_below_at_an_operator(deep):
    """At width 60, the update W⁺ = W − η·∂E/∂W continues on new lines, each starting with
    an operator, none wider than 60."""
    text = explain.render_text(deep, width=60, matrix=True)
    update = text[text.index("W¹⁺") :]
    update = update[: update.index("\n\n", update.index("∂E/∂W¹"))]
    lines = update.splitlines()
    assert max(map(len, text.splitlines())) <= 60
    assert lines[0] == "W¹⁺" and any(line.startswith("=  W¹") for line in lines)
    assert any(line.startswith("·  ∂E/∂W¹") for line in lines)


def test_cli_matrix_end_to_end(capsys, tmp_path):
    assert main(["explain", "--matrix"]) == 0
    out = capsys.readouterr().out
    section = out[out.index("The same step as matrix products") :]
    assert "net¹" in section and "W²⁺" in section and "0.35891648" in section
    assert "NET¹" in section and "Δ¹ᵀ" in section
    assert main(["explain"]) == 0
    assert "matrix products" not in capsys.readouterr().out
    assert main(["explain", "--matrix", "--format", "markdown", "--lang", "ko"]) == 0
    assert "행렬곱으로 나타낸 같은 단계" in capsys.readouterr().out
    page = tmp_path / "m.html"
    assert main(["explain", "--matrix", "--format", "html", "--out", str(page)]) == 0
    assert page.read_text(encoding="utf-8").count('class="crx-eq"') == 15


# float32 models ------------------------------------------------------------------------------


def _seed_000_in_float32():
    """Mazur's 2-2-2 network as a learner builds it: nn.Linear's default dtype, float32."""
    model = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 2), nn.Sigmoid())
    model[0].weight.data[...] = [[0.15, 0.20], [0.25, 0.30]]
    model[0].bias.data[...] = 0.35
    model[2].weight.data[...] = [[0.40, 0.45], [0.50, 0.55]]
    model[2].bias.data[...] = 0.60
    return model


def test_a_float32_model_is_walked_in_float64_on_the_values_as_written(seed_000):
    """Seed 000's network built in float32 gives the worked example's numbers, every record
    equal to the float64 example's: net_h1 = 0.3775, not 0.377499995."""
    model = _seed_000_in_float32()
    assert model[0].weight.dtype == np.float32
    inputs, targets = cr.tensor([0.05, 0.10]), cr.tensor([0.01, 0.99])
    assert inputs.dtype == np.float32
    trace = explain.trace(model, inputs, targets, lr=0.5, freeze_biases=True)
    shown = {
        "net_h1": trace.neurons[0].net,
        "out_h1": trace.neurons[0].out,
        "E": trace.total_error,
        "w5+": trace.parameters[6].updated,
    }
    assert trace.parameters[6].name == "w5"
    assert {k: explain.fmt(v) for k, v in shown.items()} == {
        "net_h1": "0.3775",
        "out_h1": "0.593269992",
        "E": "0.298371109",
        "w5+": "0.35891648",
    }
    assert trace.neurons[0].net == 0.15 * 0.05 + 0.2 * 0.1 + 0.35
    assert trace.widened_from == "float32" and seed_000.widened_from is None
    assert replace(trace, widened_from=None) == seed_000
    assert model[0].weight.dtype == np.float32  # the model is left as it was
    assert model[0].weight.numpy()[0, 0] == np.float32(0.15)


def test_float32_inputs_alone_are_read_as_written_too(seed_000):
    e = explain.seed_000()
    trace = explain.trace(
        e.model, np.array(e.inputs, np.float32), e.targets, e.loss, e.lr, e.freeze_biases
    )
    assert trace.inputs == seed_000.inputs and trace.widened_from == "float32"
    assert replace(trace, widened_from=None) == seed_000


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_walkthrough_says_a_float32_model_was_walked_in_float64(seed_000, lang):
    trace = explain.trace(
        _seed_000_in_float32(), (0.05, 0.10), (0.01, 0.99), lr=0.5, freeze_biases=True
    )
    note = explain.say(lang, "widened", dtype="float32")
    assert "float32" in note and "float64" in note
    for render in (explain.render_text, explain.render_markdown, explain.render_html):
        output = re.sub(r"\s+", " ", render(trace, lang))
        assert re.sub(r"\s+", " ", note) in output
        assert "float32" not in render(seed_000, lang)
