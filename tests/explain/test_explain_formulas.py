"""explain's formulas beside its numbers: every quantity of the walk-through written as the
worked examples write it (the formula, the numbers substituted, the result), checked against
the engine's records; Matt Mazur's published numbers in their formulas (seed 000); the
softmax-with-cross-entropy gradient derived step by step as in Koki Saito's *Deep Learning
from Scratch*; the initial weights; one name per quantity; no negative zero."""

import html
import itertools
import math
import re
from dataclasses import asdict
from decimal import Decimal

import numpy as np
import pytest

import chainrule as cr
from chainrule import explain, nn
from chainrule.app.main import main
from chainrule.explain.blocks import (
    Paragraph,
    Table,
    keyed_pieces,
    plain,
    resolved,
    walkthrough,
)

# --- The networks ----------------------------------------------------------------------------


def _seed_000():
    e = explain.seed_000()
    return explain.trace(e.model, e.inputs, e.targets, e.loss, e.lr, e.freeze_biases)


def _tanh_three_layers():
    """2-3-2-1 tanh, three Linear layers, mse, names by layer and index."""
    cr.manual_seed(1)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 2), nn.Tanh(), nn.Linear(2, 1))
    return explain.trace(model, (0.5, -0.2), (0.3,), loss="mse", names="index", lr=0.1)


def _relu_bce():
    """ReLU hidden neurons, two of them dead (net < 0), sigmoid outputs, bce."""
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2), nn.Sigmoid()).double()
    with cr.no_grad():
        model[0].weight.data[...] = [[0.5, -0.4], [-0.6, 0.3], [0.2, 0.7]]
        model[0].bias.data[...] = [0.1, -0.2, -0.9]
        model[2].weight.data[...] = [[0.3, -0.8, 0.5], [-0.7, 0.4, 0.6]]
        model[2].bias.data[...] = [0.05, -0.05]
    return explain.trace(model, (1.0, 0.5), (1.0, 0.0), loss="bce", lr=0.3)


def _leaky_ce():
    """LeakyReLU with slope 0.2 and a softmax with cross-entropy over three outputs."""
    cr.manual_seed(2)
    model = nn.Sequential(nn.Linear(3, 4), nn.LeakyReLU(0.2), nn.Linear(4, 3))
    return explain.trace(model, (1.0, 2.0, -3.0), 2, loss="ce", lr=0.1)


def _identity_soft_ce():
    """No activation anywhere (nn.Identity), ce with targets that do not sum to 1."""
    cr.manual_seed(3)
    model = nn.Sequential(nn.Linear(2, 2), nn.Identity(), nn.Linear(2, 3))
    return explain.trace(model, (0.4, -0.9), (0.2, 0.3, 0.1), loss="ce", lr=0.1)


def _identity_mse():
    cr.manual_seed(4)
    model = nn.Sequential(nn.Linear(3, 2), nn.Sigmoid(), nn.Linear(2, 2), nn.Identity())
    return explain.trace(model, (0.1, 0.2, 0.3), (0.5, -0.5), loss="mse", lr=0.1)


TRACES = {
    "seed_000": _seed_000,
    "tanh_three_layers": _tanh_three_layers,
    "relu_bce": _relu_bce,
    "leaky_ce": _leaky_ce,
    "identity_soft_ce": _identity_soft_ce,
    "identity_mse": _identity_mse,
}


@pytest.fixture(scope="module", params=list(TRACES))
def any_trace(request):
    return TRACES[request.param]()


@pytest.fixture(scope="module")
def seed_000():
    return _seed_000()


@pytest.fixture(scope="module")
def leaky_ce():
    return _leaky_ce()


# --- Reading the formulas back ---------------------------------------------------------------


def _record(records, key):
    for part in key.split("."):
        records = records[int(part)] if isinstance(records, list | tuple) else records[part]
    return records


def _formulas(trace, lang="en", digits=explain.DEFAULT_DIGITS):
    """(left side, [(record key or None, text)] of each part) of every formula of the keyed
    walk-through: a paragraph, or a part between "; ", with a left side and a result; a
    remark in parentheses after the result ("(frozen)", "(net_h1 = 0.3 > 0)") is dropped."""
    found = []
    for block in walkthrough(trace, lang, digits, keyed=True):
        if not isinstance(block, Paragraph):
            continue
        for text in resolved(block.text).split("; "):  # the branches that hold
            text = re.sub(r" \([^()]*\)$", "", text)
            parts = text.split(" = ")
            if len(parts) < 3:
                continue
            pieces = [keyed_pieces(part) for part in parts]
            if len(pieces[-1]) == 1 and pieces[-1][0][0] is not None:
                found.append((plain(parts[0]), pieces))
    return found


_ARITHMETIC = re.compile(r"(?:[\s+−·/()²½^,\d]|§\d+§|e\^|log|tanh|max)*")


def _evaluate(pieces, values):
    """The arithmetic of ``pieces`` (a substituted side) with the i-th number replaced by
    ``values[i]``; None where it is not arithmetic (a rule in words, a symbol)."""
    numbered, count = [], 0
    for key, text in pieces:
        if key is None:
            numbered.append(text)
        else:
            numbered.append(f"§{count}§")
            count += 1
    expression = "".join(numbered)
    if count == 0 or not _ARITHMETIC.fullmatch(expression):
        return None
    expression = re.sub(r"e\^(−?)(\(§\d+§\)|§\d+§)", r"exp(\1\2)", expression)
    for old, new in (("·", "*"), ("−", "-"), ("²", "**2"), ("½", "0.5")):
        expression = expression.replace(old, new)
    expression = re.sub(r"§(\d+)§", lambda m: f"({values[int(m.group(1))]!r})", expression)
    functions = {"exp": math.exp, "log": math.log, "tanh": math.tanh, "max": max}
    return eval(expression, {"__builtins__": {}}, functions)


def _half_ulp(text, value):
    """Half a unit in the last printed digit of ``text``; 0 where it is the value exactly."""
    if float(text) == value:
        return 0.0
    return 0.5 * 10.0 ** Decimal(text).as_tuple().exponent


def _checked(trace, lang="en", digits=explain.DEFAULT_DIGITS):
    """Check every formula's substituted side: with the records' values it gives the record
    of its result; with the numbers as printed it gives the printed result, within what the
    rounding of the printed numbers allows. Returns {left side: result key}."""
    records, results, evaluated = asdict(trace), {}, 0
    for lhs, pieces in _formulas(trace, lang, digits):
        result_key, result_text = pieces[-1][0]
        result = _record(records, result_key)
        assert result_text == explain.fmt(result, digits)
        results.setdefault(lhs, set()).add(result_key)
        substituted = pieces[-2]
        keys = [key for key, _ in substituted if key is not None]
        exact = [_record(records, key) for key in keys]
        value = _evaluate(substituted, exact)
        if value is None:
            continue
        evaluated += 1
        assert value == pytest.approx(result, rel=1e-9, abs=1e-12), lhs
        texts = [text for key, text in substituted if key is not None]
        printed = [float(text) for text in texts]
        shown = _evaluate(substituted, printed)
        bound = 0.0
        for i, (text, record) in enumerate(zip(texts, exact, strict=True)):
            nudged = [*printed[:i], printed[i] + _half_ulp(text, record), *printed[i + 1 :]]
            bound += abs(_evaluate(substituted, nudged) - shown)
        bound += _half_ulp(result_text, result)
        assert abs(shown - float(result_text)) <= 1.01 * bound + 1e-15, (lhs, shown, bound)
    assert evaluated > len(trace.neurons)
    return results


def _index(trace):
    """Where each named record is: neuron name → index in neurons (and deltas), output name →
    index in loss_terms."""
    neurons = {n.name: i for i, n in enumerate(trace.neurons)}
    outputs = {t.output: k for k, t in enumerate(trace.loss_terms)}
    return neurons, outputs


def _expected_results(trace):
    """{left side: the record key its result must be} for every quantity of the step."""
    neurons, outputs = _index(trace)
    expected = {}
    for name, i in neurons.items():
        expected[f"net_{name}"] = f"neurons.{i}.net"
        expected[f"out_{name}"] = f"neurons.{i}.out"
        expected[f"∂E/∂out_{name}"] = f"deltas.{i}.dE_dout"
        expected[f"∂out_{name}/∂net_{name}"] = f"deltas.{i}.dout_dnet"
        expected[f"∂E/∂net_{name}"] = f"deltas.{i}.dE_dnet"
    for name, k in outputs.items():
        expected[f"E_{name}"] = f"loss_terms.{k}.value"
        if trace.loss == "ce":
            expected[f"y_{name}"] = f"loss_terms.{k}.probability"
            expected[f"∂E/∂y_{name}"] = f"loss_terms.{k}.dE_dprobability"
            for other, j in outputs.items():
                expected[f"∂y_{name}/∂out_{other}"] = f"loss_terms.{k}.dprobability_dout.{j}"
    for i, p in enumerate(trace.parameters):
        expected[f"∂E/∂{p.name}"] = f"parameters.{i}.product"
        after = "value" if p.updated is None else "updated"
        expected[f"{p.name}⁺"] = f"parameters.{i}.{after}"
    expected[explain.say("en", "total")] = "total_error"
    return expected


# --- Formulas against the engine's numbers ---------------------------------------------------


def test_every_quantity_has_its_formula_and_the_substitution_adds_up(any_trace):
    """Each neuron's net and out, each error term, each ∂E/∂out, ∂out/∂net and ∂E/∂net, each
    parameter's gradient and update, and the total: a formula whose result is that record
    and whose substituted arithmetic gives it, from the records and from the printed digits."""
    results = _checked(any_trace)
    expected = _expected_results(any_trace)
    assert {lhs: {key} for lhs, key in expected.items()} == results


@pytest.mark.parametrize("digits", [3, 5])
def test_formulas_add_up_to_the_digits_shown(any_trace, digits):
    """With fewer digits, each substituted side still gives its printed result, within what
    the rounding of its printed numbers allows."""
    assert set(_checked(any_trace, digits=digits)) == set(_expected_results(any_trace))


def test_korean_formulas_are_the_english_ones(any_trace):
    english, korean = _formulas(any_trace, "en"), _formulas(any_trace, "ko")
    total = {explain.say(lang, "total") for lang in ("en", "ko")}
    assert len(english) == len(korean)
    for (lhs_en, en), (lhs_ko, ko) in zip(english, korean, strict=True):
        assert lhs_en == lhs_ko or {lhs_en, lhs_ko} == total
        assert [[k for k, _ in part] for part in en] == [[k for k, _ in part] for part in ko]
    _checked(any_trace, "ko")


SEED_000_FORMULAS = [
    "net_h1 = w1·i1 + w2·i2 + b1_1·1 = 0.15·0.05 + 0.2·0.1 + 0.35·1 = 0.3775",
    "out_h1 = 1 / (1 + e^−net_h1) = 1 / (1 + e^−0.3775) = 0.593269992",
    "out_h2 = 1 / (1 + e^−net_h2) = 1 / (1 + e^−0.3925) = 0.596884378",
    "net_o1 = w5·out_h1 + w6·out_h2 + b2_1·1 = 0.4·0.593269992 + 0.45·0.596884378 + 0.6·1 "
    "= 1.10590597",
    "out_o1 = 1 / (1 + e^−net_o1) = 1 / (1 + e^−1.10590597) = 0.75136507",
    "out_o2 = 1 / (1 + e^−net_o2) = 1 / (1 + e^−1.2249214) = 0.772928465",
    "E_o1 = ½·(target_o1 − out_o1)² = ½·(0.01 − 0.75136507)² = 0.274811083",
    "E_o2 = ½·(target_o2 − out_o2)² = ½·(0.99 − 0.772928465)² = 0.0235600256",
    "total error E = E_o1 + E_o2 = 0.274811083 + 0.0235600256 = 0.298371109",
    "∂E/∂out_o1 = −(target_o1 − out_o1) = −(0.01 − 0.75136507) = 0.74136507",
    "∂out_o1/∂net_o1 = out_o1·(1 − out_o1) = 0.75136507·(1 − 0.75136507) = 0.186815602",
    "∂E/∂w5 = ∂E/∂out_o1 · ∂out_o1/∂net_o1 · ∂net_o1/∂w5 = 0.74136507 · 0.186815602 · "
    "0.593269992 = 0.0821670406",
    "w5⁺ = w5 − η·∂E/∂w5 = 0.4 − 0.5·0.0821670406 = 0.35891648",
    "∂E/∂out_h1 = ∂E/∂net_o1·w5 + ∂E/∂net_o2·w7 = 0.138498562·0.4 + (-0.0380982365)·0.5 "
    "= 0.0553994247 + (-0.0190491183) = 0.0363503064",
    "∂out_h1/∂net_h1 = out_h1·(1 − out_h1) = 0.593269992·(1 − 0.593269992) = 0.241300709",
    "∂E/∂w1 = ∂E/∂out_h1 · ∂out_h1/∂net_h1 · ∂net_h1/∂w1 = 0.0363503064 · 0.241300709 · 0.05 "
    "= 0.000438567734",
    "w1⁺ = w1 − η·∂E/∂w1 = 0.15 − 0.5·0.000438567734 = 0.149780716",
    "w7⁺ = w7 − η·∂E/∂w7 = 0.5 − 0.5·(-0.0226025405) = 0.51130127",
]


def _paragraphs(output, form):
    """The sentences and formulas of a rendered walk-through, one per line, as plain text."""
    if form == "html":
        texts = re.findall(r"<p>(.*?)</p>", output, re.DOTALL)
        return [html.unescape(re.sub(r"<[^>]+>", "", t)) for t in texts]
    return [" ".join(p.split("\n")) for p in output.split("\n\n")]


def _render(trace, form, lang="en"):
    render = {
        "text": explain.render_text,
        "markdown": explain.render_markdown,
        "html": explain.render_html,
    }[form]
    return render(trace, lang)


@pytest.mark.parametrize("form", ["text", "markdown", "html"])
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_seed_000_formulas_with_the_published_numbers(seed_000, form, lang):
    """Matt Mazur's example (seed 000) as he writes it: net_h1 = w1·i1 + w2·i2 + b1·1 =
    0.3775, out_h1 = 0.593269992, ∂E/∂out_o1 = 0.74136507, ∂out_o1/∂net_o1 = 0.186815602,
    w5⁺ = 0.35891648, in every format and both languages."""
    paragraphs = _paragraphs(_render(seed_000, form, lang), form)
    total = explain.say(lang, "total")
    for formula in SEED_000_FORMULAS:
        assert formula.replace("total error E", total) in paragraphs
    frozen = explain.say(lang, "frozen")
    for name, value in (("b1_1", "0.35"), ("b1_2", "0.35"), ("b2_1", "0.6"), ("b2_2", "0.6")):
        assert f"{name}⁺ = {name} = {value} ({frozen})" in paragraphs


def test_activation_forms(any_trace):
    """Each activation's out and ∂out/∂net in its own form: sigmoid out·(1 − out), tanh
    1 − out², ReLU and leaky ReLU by the sign of net (with the layer's slope), identity 1."""
    paragraphs = [plain(b.text) for b in walkthrough(any_trace) if isinstance(b, Paragraph)]
    fmt = explain.fmt
    for n in any_trace.neurons:
        name, net, out = n.name, n.net, n.out
        d = next(d for d in any_trace.deltas if d.neuron == name)
        rule = f"∂out_{name}/∂net_{name} = "
        lines = [p for p in paragraphs if p.startswith(rule)]
        assert len(lines) == 1
        if n.activation == "sigmoid":
            assert f"= out_{name}·(1 − out_{name}) =" in lines[0]
        elif n.activation == "tanh":
            assert f"= 1 − out_{name}² =" in lines[0]
        elif n.activation in ("relu", "leaky_relu"):
            below = "0" if n.activation == "relu" else fmt(n.slope)
            sign = ">" if net > 0 else "≤"
            assert lines[0] == (
                f"{rule}(1 if net_{name} > 0, else {below}) = {fmt(d.dout_dnet)} "
                f"(net_{name} = {fmt(net)} {sign} 0)"
            )
            assert d.dout_dnet == (1.0 if net > 0 else (n.slope or 0.0))
            if n.activation == "leaky_relu":
                slope = fmt(n.slope)
                rule_out = f"(net_{name} if net_{name} > 0, else {slope}·net_{name})"
                tail = f"net_{name}" if net > 0 else f"{slope}·net_{name} = {slope}·({fmt(net)})"
                assert f"out_{name} = {rule_out} = {tail} = {fmt(out)}" in paragraphs
        else:
            assert lines[0] == f"{rule}∂net_{name}/∂net_{name} = 1"
            assert f"out_{name} = net_{name} = {fmt(out)}" in paragraphs


def test_leaky_relu_records_its_slope(leaky_ce):
    hidden = leaky_ce.layer(1)
    assert {n.slope for n in hidden} == {0.2} and {n.slope for n in leaky_ce.layer(2)} == {None}
    assert any(n.net < 0 for n in hidden) and any(n.net > 0 for n in hidden)
    ko = [plain(b.text) for b in walkthrough(leaky_ce, "ko") if isinstance(b, Paragraph)]
    name = next(n.name for n in hidden if n.net < 0)
    assert any(
        p.startswith(f"∂out_{name}/∂net_{name} = (net_{name} > 0일 때 1, 아니면 0.2) = 0.2 (")
        for p in ko
    )


def test_loss_forms():
    """Each loss's error term and ∂E/∂out in its own form, with n the count of outputs for
    the two that average (mse and bce)."""
    forms = {
        "half_sse": ("½·(target_{o} − out_{o})²", "−(target_{o} − out_{o})"),
        "mse": ("(out_{o} − target_{o})² / n", "2·(out_{o} − target_{o}) / n"),
        "bce": (
            "−(target_{o}·log(out_{o}) + (1 − target_{o})·log(1 − out_{o})) / n",
            "(out_{o} − target_{o}) / (out_{o}·(1 − out_{o})) / n",
        ),
        "ce": ("−target_{o}·log(y_{o})", "y_{o} − target_{o}"),
    }
    cr.manual_seed(5)
    model = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 2), nn.Sigmoid())
    for loss, (term, gradient) in forms.items():
        trace = explain.trace(model, (0.3, 0.6), (0.0, 1.0), loss=loss)
        _checked(trace)
        paragraphs = [plain(b.text) for b in walkthrough(trace) if isinstance(b, Paragraph)]
        for t in trace.loss_terms:
            o = t.output
            assert any(p.startswith(f"E_{o} = {term.format(o=o)} = ") for p in paragraphs)
            assert any(p.startswith(f"∂E/∂out_{o} = {gradient.format(o=o)} = ") for p in paragraphs)
        assert ("n = 2, the number of outputs." in paragraphs) == (loss in ("mse", "bce"))


# --- Softmax with cross-entropy, derived ----------------------------------------------------


def test_ce_records_the_softmax_numbers(leaky_ce):
    """y = softmax(out), ∂E/∂y = −t/y, the Jacobian y_j(δ_jk − y_k) and their chain-rule sum,
    which is y − t: the engine's own gradient of E with respect to the outputs."""
    terms = leaky_ce.loss_terms
    out = np.array([t.out for t in terms])
    target = np.array([t.target for t in terms])
    y = np.exp(out - out.max()) / np.exp(out - out.max()).sum()
    probability = np.array([t.probability for t in terms])
    np.testing.assert_allclose(probability, y, rtol=1e-13)
    np.testing.assert_allclose([t.dE_dprobability for t in terms], -target / y, rtol=1e-13)
    jacobian = np.array([t.dprobability_dout for t in terms])
    np.testing.assert_allclose(jacobian, np.diag(y) - np.outer(y, y), rtol=1e-12, atol=1e-15)
    engine = np.array([d.dE_dout for d in leaky_ce.deltas if d.layer == leaky_ce.depth])
    np.testing.assert_allclose(engine, y - target, rtol=1e-12, atol=1e-15)
    dE_dy = np.array([t.dE_dprobability for t in terms])
    np.testing.assert_allclose(dE_dy @ jacobian, engine, rtol=1e-12, atol=1e-15)
    assert all(t.probability is None and t.dprobability_dout == () for t in _seed_000().loss_terms)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_ce_gradient_is_derived_step_by_step(leaky_ce, lang):
    """Saito's four steps in order, each followed by its formulas with this network's numbers:
    ∂E/∂y_j = −t_j/y_j, the softmax's Jacobian, the chain rule's sum, and y − t."""
    blocks = [b for b in walkthrough(leaky_ce, lang) if isinstance(b, Paragraph)]
    texts = [b.text for b in blocks]
    steps = ["ce_step_dE_dy", "ce_step_jacobian", "ce_step_chain", "ce_step_collapse"]
    at = [texts.index(explain.say(lang, step)) for step in steps]
    assert at == sorted(at)
    assert texts.index(explain.say(lang, "ce_backward_intro")) == at[0] - 1
    outputs = [t.output for t in leaky_ce.loss_terms]
    between = [texts[a + 1 : b] for a, b in itertools.pairwise([*at, at[-1] + 1 + len(outputs)])]
    assert [t.split(" = ")[0] for t in between[0]] == [f"∂E/∂y_{o}" for o in outputs]
    assert [t.split(" = ")[0] for t in between[1]] == [f"∂y_{o}/∂out_{outputs[0]}" for o in outputs]
    assert all(t.count("; ") == len(outputs) - 1 for t in between[1])
    assert [t.split(" = ")[0] for t in between[2]] == [f"∂E/∂out_{o}" for o in outputs]
    for k, text in enumerate(between[3]):
        t = leaky_ce.loss_terms[k]
        d = next(d for d in leaky_ce.deltas if d.neuron == t.output)
        fmt = explain.fmt
        target = fmt(t.target)
        assert text == (
            f"∂E/∂out_{t.output} = y_{t.output} − target_{t.output} = "
            f"{fmt(t.probability)} − {target} = {fmt(d.dE_dout)}"
        )
    assert explain.say(lang, "ce_intro") in texts


def test_ce_with_targets_that_do_not_sum_to_one_says_so():
    trace = _identity_soft_ce()
    texts = [plain(b.text) for b in walkthrough(trace) if isinstance(b, Paragraph)]
    assert explain.say("en", "ce_step_collapse_soft") in texts
    assert explain.say("en", "ce_step_collapse") not in texts
    o = trace.loss_terms[0]
    assert any(
        t.startswith(
            f"∂E/∂out_o1 = y_o1·(target_o1 + target_o2 + target_o3) − target_o1 = "
            f"{explain.fmt(o.probability)}·(0.2 + 0.3 + 0.1) − 0.2 = "
        )
        for t in texts
    )
    _checked(trace)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_cli_loss_ce_shows_the_derivation(capsys, lang):
    """``chainrule explain --loss ce`` end to end: the softmax column, the derivation and the
    initial weights, in every format."""
    for form in ("text", "markdown", "html"):
        args = ["explain", "--layers", "2,3,3", "--loss", "ce", "--targets", "1"]
        assert main([*args, "--format", form, "--lang", lang]) == 0
        words = re.sub(r"<[^>]+>", "", capsys.readouterr().out)  # (a branch is a span in HTML)
        out = " ".join(html.unescape(words).split())
        for key in ("ce_backward", "ce_intro", "ce_step_jacobian", "initial", "probability"):
            assert " ".join(explain.say(lang, key).split()) in out
        assert "∂y_o1/∂out_o2 = −y_o1·y_o2 = −(" in out
        assert "∂E/∂out_o2 = y_o2 − target_o2 = " in out


# --- The initial weights, one name per quantity, no negative zero ----------------------------


@pytest.mark.parametrize("form", ["text", "markdown", "html"])
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_initial_weights_come_before_the_forward_pass(seed_000, form, lang):
    """A table of every weight and bias before the step, right before the forward pass, with
    a note where a layer's biases start equal as the worked example writes them."""
    output = _render(seed_000, form, lang)
    heading = {"text": "\n{}\n-", "markdown": "\n## {}\n", "html": "<h2>{}</h2>"}[form]
    start = output.index(heading.format(explain.say(lang, "initial")))
    end = output.index(heading.format(explain.say(lang, "forward")))
    assert start < end and output.index(heading.format(explain.say(lang, "inputs"))) < start
    cells = re.sub(r"</t[dh]>|</caption>|</p>|\|", " ", output[start:end])
    part = " ".join(html.unescape(re.sub(r"<[^>]+>", "", cells)).split())
    for p in seed_000.parameters:
        row = f"{p.name} {p.source} → {p.target} {explain.fmt(p.value)} "
        assert part.count(row) == 1
    for names, value in (("b1_1, b1_2", "0.35"), ("b2_1, b2_2", "0.6")):
        note = explain.say(lang, "initial_equal_biases", names=names, value=value)
        assert " ".join(note.split()) in part


def test_initial_weights_table_is_keyed(seed_000):
    blocks = walkthrough(seed_000, keyed=True)
    start = next(
        i for i, b in enumerate(blocks) if getattr(b, "text", "") == explain.say("en", "initial")
    )
    table = next(b for b in blocks[start:] if isinstance(b, Table))
    keys = [keyed_pieces(row[2])[0][0] for row in table.rows]
    assert keys == [f"parameters.{i}.value" for i in range(len(seed_000.parameters))]


def _identity(trace, key):
    """The quantity a record key belongs to: a parameter, a neuron (its neurons, deltas and
    loss_terms records are one neuron's), an input, or the key itself."""
    parts = key.split(".")
    neurons, _ = _index(trace)
    if parts[0] in ("neurons", "deltas"):
        return ("neuron", int(parts[1]))
    if parts[0] == "loss_terms":
        return ("neuron", neurons[trace.loss_terms[int(parts[1])].output])
    if parts[0] in ("parameters", "inputs"):
        return (parts[0], int(parts[1]))
    return (key,)


def _label_clashes(trace):
    """Labels used for two different quantities: a name in a table's first column that rows of
    two different records carry, or a formula's left side with two different values."""
    records = asdict(trace)
    named: dict[str, set] = {}
    for block in walkthrough(trace, keyed=True):
        if isinstance(block, Table):
            for row in block.rows:
                keys = [k for cell in row[1:] for k, _ in keyed_pieces(cell) if k is not None]
                if keys:
                    named.setdefault(plain(row[0]), set()).add(_identity(trace, keys[0]))
    valued: dict[str, list] = {}
    for lhs, pieces in _formulas(trace):
        valued.setdefault(lhs, []).append(_record(records, pieces[-1][0][0]))
    clashes = [name for name, ids in named.items() if len(ids) > 1]
    clashes += [
        lhs
        for lhs, values in valued.items()
        if any(v != pytest.approx(values[0], rel=1e-12, abs=1e-15) for v in values)
    ]
    names = [n.name for n in trace.neurons] + [p.name for p in trace.parameters]
    names += [name for name, _ in trace.inputs]
    clashes += sorted({n for n in names if names.count(n) > 1})
    return clashes


def test_no_label_names_two_quantities(any_trace):
    """Every name in the walk-through (a neuron, an input, a parameter, a formula's left side)
    stands for one quantity: the 2-2-2 example's two hidden biases are b1_1 and b1_2, not
    two "b1" with different gradients."""
    assert _label_clashes(any_trace) == []


def test_no_label_names_two_quantities_in_seed_style_deep_nets():
    cr.manual_seed(6)
    model = nn.Sequential(
        nn.Linear(2, 3), nn.Sigmoid(), nn.Linear(3, 3), nn.Sigmoid(), nn.Linear(3, 2)
    )
    with cr.no_grad():
        for layer in (model[0], model[2], model[4]):
            layer.bias.data[...] = 0.1  # equal biases, as the worked example starts them
    trace = explain.trace(model, (0.2, 0.4), (0.0, 1.0))
    assert _label_clashes(trace) == []
    assert [p.name for p in trace.parameters if p.kind == "bias"][:3] == ["b1_1", "b1_2", "b1_3"]


NEGATIVE_ZERO = re.compile(r"(?<![\w.])[−-]0(?![\d.])")


def test_fmt_prints_negative_zero_as_zero():
    assert explain.fmt(-0.0) == "0" and explain.fmt(0.0) == "0"
    assert explain.fmt(-0.0 * 3) == "0" and explain.fmt(-1e-300) == "-1e-300"
    assert explain.fmt(-0.5) == "-0.5"


@pytest.mark.parametrize("name", ["relu_bce", "leaky_ce"])
def test_no_negative_zero_anywhere(name):
    """A dead ReLU neuron's ∂out/∂net of 0 times a negative ∂E/∂out is -0.0, and so is
    −target/y for a target of 0: every format and language prints each as 0."""
    trace = TRACES[name]()
    values = [v for v in _all_numbers(asdict(trace))]
    assert any(v == 0 and math.copysign(1, v) < 0 for v in values)
    for lang in ("en", "ko"):
        for form in ("text", "markdown", "html"):
            output = _render(trace, form, lang)
            assert not NEGATIVE_ZERO.search(output), NEGATIVE_ZERO.search(output)


def _all_numbers(tree):
    if isinstance(tree, dict):
        for value in tree.values():
            yield from _all_numbers(value)
    elif isinstance(tree, list | tuple):
        for value in tree:
            yield from _all_numbers(value)
    elif isinstance(tree, float):
        yield tree
