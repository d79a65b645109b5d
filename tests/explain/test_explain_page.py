"""The HTML walk-through as a page to play with, driven in headless Chromium.

One Chromium run opens a page holding several walk-throughs (random small networks of every
activation and loss, one to three layers, frozen biases, softmax cross-entropy, a layer
without biases, a float32 model, most with the matrix form, one in Korean) and a script
that plays with each as a learner would: it edits a weight (to the other sign), an input, a
target, the learning rate and a bias (moving a ReLU neuron to its other side, or parting a
layer's equal biases), then trains N steps, and walks the chain rule factor by factor.
Every number the page then shows ([data-k]) must be the engine's: ``explain.trace`` run here
on the same edited network, formatted with ``explain.fmt``; and every sentence, table,
equation and curve of the walk-through must read as Python's walk-through of that network,
drawn in the same page without the script. The same run formats many numbers with the
page's formatter, to compare with Python's, and measures how wide a 4-6-5-3 network is
drawn. The page without JavaScript is opened in a sandboxed frame.
"""

from __future__ import annotations

import copy
import html
import importlib.util
import json
import math
import re
import subprocess
import sys
import zipfile
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import chainrule as cr
from chainrule import explain, nn
from chainrule.explain import html_repr, render_html
from chainrule.explain.html_assets import CSS, ERROR_HOOK_JS
from chainrule.explain.numbers import shown as shown_as
from chainrule.function import no_grad
from helpers import CHROMIUM, dump_dom, needs_chromium

REPO = Path(__file__).resolve().parents[2]


# The networks -------------------------------------------------------------------------------


def _leaky_bce() -> nn.Module:
    return nn.Sequential(
        nn.Linear(2, 3), nn.LeakyReLU(0.2), nn.Linear(3, 2), nn.Tanh(), nn.Linear(2, 1),
        nn.Sigmoid(),
    )  # fmt: skip


CASES: dict[str, dict[str, Any]] = {
    # name: model, loss, target, frozen biases, names, digits, steps shown, the matrix form,
    # a float32 model, language
    "seed": dict(
        model=None, loss="half_sse", frozen=True, names="example", digits=9, steps=3, matrix=True
    ),
    "tanh_mse": dict(
        model=lambda: nn.mlp([3, 4, 2], "tanh", None), loss="mse", digits=6, float32=True
    ),
    "relu_ce": dict(
        model=lambda: nn.mlp([2, 3, 3], "relu", None),
        loss="ce",
        target=2,
        frozen=True,
        steps=2,
        matrix=True,
        lang="ko",
    ),
    "leaky_bce": dict(model=_leaky_bce, loss="bce", matrix=True),
    "identity_no_bias": dict(
        model=lambda: nn.Sequential(nn.Linear(3, 2, bias=False)), loss="half_sse", digits=12
    ),
    "wide_sigmoid": dict(
        model=lambda: nn.mlp([4, 6, 5, 3], "sigmoid", None), loss="ce", matrix=True
    ),
}
TRAIN = 7  # steps the driver trains each network for


def _case(name: str, seed: int) -> dict[str, Any]:
    """The case's model, inputs and targets, and the edits the driver makes."""
    spec = {
        "frozen": False, "names": "index", "digits": 9, "steps": 1, "target": None,
        "matrix": False, "float32": False, "lang": "en",
    } | CASES[name]  # fmt: skip
    rng = np.random.default_rng(seed)
    if spec["model"] is None:
        example = explain.seed_000()
        model, inputs, targets, lr = example.model, list(example.inputs), example.targets, 0.5
    else:
        cr.manual_seed(seed)
        model = spec["model"]() if spec["float32"] else spec["model"]().double()
        sizes = [m for m in model if isinstance(m, nn.Linear)]
        inputs = rng.uniform(-1, 1, sizes[0].in_features).round(3).tolist()
        outputs = sizes[-1].out_features
        targets = spec["target"] if spec["target"] is not None else rng.uniform(0, 1, outputs)
        lr = round(float(rng.uniform(0.05, 0.8)), 2)
    trace = _trace(model, inputs, targets, spec, lr)
    weight = int(rng.choice([i for i, p in enumerate(trace.parameters) if p.kind == "weight"]))
    flipped = -math.copysign(round(float(rng.uniform(0.1, 1)), 4), trace.parameters[weight].value)
    edits = [
        (f"parameters.{weight}.value", flipped),  # the other sign: its parentheses come or go
        (f"inputs.{len(inputs) - 1}.1", round(float(rng.uniform(-1, 1)), 3)),
        ("loss_terms.0.target", round(float(rng.uniform(0, 1)), 2)),
        ("lr", round(float(rng.uniform(0.05, 0.3)), 2)),
    ]
    case = dict(spec, model=model, inputs=inputs, targets=targets, lr=lr, trace=trace, edits=edits)
    case["edits"] = edits + _bias_edit(case)
    return case


def _bias_edit(case: dict[str, Any]) -> list[tuple[str, float]]:
    """The last edit: where a layer's biases start equal, the first of them, so that they no
    longer are; where the first layer is a ReLU or leaky ReLU, the bias of its neuron with
    the largest |net| (after the other edits), so that its net changes sign."""
    trace = case["trace"]
    for layer in range(1, trace.depth + 1):
        biases = [
            (i, p) for i, p in enumerate(trace.parameters) if p.layer == layer and p.kind == "bias"
        ]
        if len(biases) > 1 and len({p.value for _, p in biases}) == 1:
            return [(f"parameters.{biases[0][0]}.value", round(biases[0][1].value + 0.05, 4))]
    if trace.layer(1)[0].activation not in ("relu", "leaky_relu"):
        return []
    model, inputs, targets, lr = _edited(case)
    edited = _trace(model, inputs, targets, case, lr)
    neuron = max(edited.layer(1), key=lambda n: abs(n.net))
    i, p = next(
        (i, p) for i, p in enumerate(edited.parameters)
        if p.kind == "bias" and p.target == neuron.name
    )  # fmt: skip
    return [(f"parameters.{i}.value", round(p.value - 2 * neuron.net, 4))]


def _trace(model: nn.Module, inputs, targets, spec: dict[str, Any], lr: float, **kw):
    return explain.trace(
        model, inputs, targets, spec["loss"], lr, spec["frozen"], spec["names"],
        **{"steps": spec["steps"], **kw},
    )  # fmt: skip


def _edited(case: dict[str, Any]) -> tuple[nn.Module, list[float], list[float], float]:
    """The case's network, inputs, targets and learning rate after the driver's edits, set
    through the engine's own objects (the state dict's entries)."""
    model = copy.deepcopy(case["model"])
    inputs = list(case["inputs"])
    targets = [t.target for t in case["trace"].loss_terms]
    lr = case["lr"]
    modules = list(model)
    for key, value in case["edits"]:
        parts = key.split(".")
        if parts[0] == "parameters":
            entry = case["trace"].parameters[int(parts[1])].key  # e.g. "2.weight[1, 0]"
            position, name, index = re.fullmatch(r"(\d+)\.(\w+)\[([\d, ]+)\]", entry).groups()
            with no_grad():
                tensor = getattr(modules[int(position)], name)
                tensor.data[tuple(int(i) for i in index.split(","))] = value
        elif parts[0] == "inputs":
            inputs[int(parts[1])] = value
        elif parts[0] == "loss_terms":
            targets[int(parts[1])] = value
        else:
            lr = value
    return model, inputs, targets, lr


def _trained(case: dict[str, Any], steps: int) -> nn.Module:
    """The edited network after ``steps`` SGD steps of the engine (the updates ``trace``
    records, applied one trace at a time)."""
    model, inputs, targets, lr = _edited(case)
    with no_grad():  # a float32 model as trace widens it: its values as written, in float64
        for parameter in model.parameters():
            parameter.data = np.asarray(parameter.data).astype(str).astype(np.float64)
    modules = list(model)
    for _ in range(steps):
        trace = _trace(model, inputs, targets, case, lr, steps=1)
        with no_grad():
            for p in trace.parameters:
                if p.updated is None:
                    continue
                position, name, index = re.fullmatch(r"(\d+)\.(\w+)\[([\d, ]+)\]", p.key).groups()
                tensor = getattr(modules[int(position)], name)
                tensor.data[tuple(int(i) for i in index.split(","))] = p.updated
    return model


def _record(records: Any, key: str) -> Any:
    for part in key.split("."):
        records = records[int(part)] if isinstance(records, (list, tuple)) else records[part]
    return records


# The formatter's cases -----------------------------------------------------------------------


def _format_cases() -> list[tuple[float, int]]:
    rng = np.random.default_rng(13)
    values = [0.0, -0.0, 1.0, -1.0, 0.5, 2.5, 0.125, 0.375, 1.5, 1e16, 1e17, 123456789.0]
    values += [
        0.0001,
        0.00001,
        9.9999995,
        99999.95,
        0.15,
        0.25,
        1e-320,
        5e-324,
        1.7976931348623157e308,
    ]
    values += [2.675, 1e21, 1e-7, 123456.5, 1234567.5, -0.0000123456789, 0.30000000000000004]
    values += (rng.standard_normal(150) * 10.0 ** rng.integers(-12, 12, 150)).tolist()
    values += (rng.integers(-(10**6), 10**6, 40) / 2.0 ** rng.integers(0, 12, 40)).tolist()  # ties
    values += [float(f"{d}5e{e}") for d in (1, 12, 123, 9, 99) for e in (-3, 0, 3)]
    return [(v, d) for v in values for d in (1, 2, 3, 4, 6, 9, 12, 17)]


# One run of Chromium ---------------------------------------------------------------------------

DRIVER = """
<pre id="results"></pre>
<script>
(function () {
  function spans(root) {
    return Array.from(root.querySelectorAll("[data-k]")).map(function (e) {
      return [e.getAttribute("data-k"), e.textContent, e.getAttribute("data-f") || ""];
    });
  }
  // An element's text as it reads: without what is hidden in it.
  function shown(node) {
    if (node.nodeType === 3) return node.nodeValue;
    if (node.nodeType !== 1 || node.hidden) return "";
    return Array.from(node.childNodes).map(shown).join("");
  }
  // The walk-through's blocks (after the drawings): each one's tag, whether it is hidden, its
  // text as it reads and whole, its cells (a table's, an equation's, a picture's texts) with
  // their padding, which branches in it are hidden, and its curve's points.
  function blocks(root) {
    var cells = "caption, th, td, .crx-eq > span:not(.crx-mat), .crx-mat > span, text";
    var all = root.querySelectorAll(":scope > section:not(.crx-play) > *");
    return Array.from(all).map(function (e) {
      var line = e.querySelector("polyline[data-curve]");
      return {
        tag: e.tagName.toLowerCase(), hidden: e.hidden, text: shown(e), whole: e.textContent,
        cells: Array.from(e.querySelectorAll(cells)).map(function (c) {
          return [shown(c), c.style.getPropertyValue("--crx-pad").trim()];
        }),
        when: Array.from(e.querySelectorAll("[data-when]")).map(function (w) { return w.hidden; }),
        curve: line && {
          points: line.getAttribute("points"), values: line.getAttribute("data-values"),
          marks: Array.from(e.querySelectorAll("[data-i]")).map(function (m) {
            return Number(m.getAttribute("cy") || m.getAttribute("y"));
          }),
        },
      };
    });
  }
  function tips(root) {
    return Array.from(root.querySelectorAll("[data-tpl]")).map(function (e) {
      return e.textContent;
    });
  }
  function edit(root, key, value) {
    var input = root.querySelector('input[data-edit="' + key + '"]');
    input.value = String(value);
    input.dispatchEvent(new Event("input", {bubbles: true}));
  }
  function lit(scope, selector, attribute) {
    return Array.from(scope.querySelectorAll(selector)).map(function (e) {
      return e.getAttribute(attribute);
    });
  }
  function factor(root) {
    var figure = root.querySelector('.crx-figure[data-step="backward"]');
    var caption = root.querySelector(".crx-factor-caption");
    var outside = Array.from(root.querySelectorAll("[data-k].crx-lit")).filter(function (e) {
      return !caption.contains(e) && !e.closest(".crx-figure");
    });
    return {
      count: root.querySelector(".crx-factor-count").textContent,
      step: root.getAttribute("data-step"),
      edges: lit(figure, "line.crx-lit", "data-p"),
      labels: lit(figure, ".crx-label.crx-lit", "data-p"),
      nodes: lit(figure, ".crx-node.crx-lit", "data-n"),
      keys: outside.map(function (e) { return e.getAttribute("data-k"); }),
      rows: outside.every(function (e) {  // in a table or a sentence: its row lit too
        return e.closest(".crx-lit-row") !== null || e.closest(".crx-eq") !== null;
      }),
      caption: spans(caption),
      figure_keys: lit(figure, "[data-k].crx-lit", "data-k"),
    };
  }
  function walk(root) {
    var next = root.querySelector(".crx-factor-next");
    var seen = [];
    root.querySelector('.crx-buttons button[data-step="forward"]').click();
    for (var k = 0; k < 500; k++) {
      next.click();
      seen.push(factor(root));
      var count = seen[seen.length - 1].count.split(" / ");
      if (count[0] === count[1]) break;
    }
    root.querySelector(".crx-factor-previous").click();
    var back = factor(root);
    var options = {key: "ArrowLeft", shiftKey: true, bubbles: true};
    root.dispatchEvent(new KeyboardEvent("keydown", options));
    var key = factor(root);
    root.querySelector('.crx-buttons button[data-step="update"]').click();
    return {steps: seen, back: back.count, key: key.count,
            cleared: root.querySelectorAll(".crx-lit").length};
  }
  var cases = JSON.parse(document.getElementById("cases").textContent);
  var results = {format: [], networks: {}};
  cases.format.forEach(function (c) {
    var value = typeof c[0] === "string" ? Number(c[0]) : c[0];
    if (c[0] === "-0") value = -0;
    results.format.push(chainruleExplain.fmt(value, c[1]));
  });
  cases.networks.forEach(function (c) {
    var root = document.getElementById(c.id);
    var r = {};
    r.initial = spans(root);
    var initial = blocks(root);
    if (c.walk) r.walk = walk(root);
    c.edits.forEach(function (e) { edit(root, e[0], e[1]); });
    r.edited = spans(root);
    r.blocks = {initial: initial, edited: blocks(root),
                expected: blocks(document.getElementById(c.expected[0]))};
    r.tips = tips(root);
    r.leaks = Array.from(root.querySelectorAll("[hidden]")).filter(function (e) {
      return e.getClientRects().length > 0;
    }).map(function (e) { return e.outerHTML.slice(0, 200); });
    root.querySelector(".crx-train-steps").value = String(c.train);
    root.querySelector(".crx-train-button").click();
    r.trained = spans(root);
    r.blocks.trained = blocks(root);
    r.blocks.expected_trained = blocks(document.getElementById(c.expected[1]));
    r.chart = Array.from(root.querySelectorAll(".crx-chart circle")).map(function (e) {
      return [Number(e.getAttribute("data-step")), e.textContent];
    });
    var fields = root.querySelectorAll('input[data-edit^="parameters."]');
    r.fields = Array.from(fields).map(function (e) {
      return [e.getAttribute("data-edit"), e.value];
    });
    var svg = root.querySelector('.crx-figure[data-active] svg');
    var box = root.querySelector('.crx-figure[data-active] .crx-scroll');
    r.fit = {svg: svg.getBoundingClientRect().width, box: box.clientWidth,
             scroll: box.scrollWidth, root: root.getBoundingClientRect().width,
             view: svg.viewBox.baseVal.width};
    r.banner = root.querySelector(".crx-error").hidden;
    if (c.refuse) {
      var before = spans(root);
      edit(root, "loss_terms.0.target", 1.5);
      r.refused = {notice: root.querySelector(".crx-notice").textContent,
                   same: JSON.stringify(spans(root)) === JSON.stringify(before)};
    }
    results.networks[c.id] = r;
  });
  document.getElementById("results").textContent = JSON.stringify(results);
})();
</script>
"""


@pytest.fixture(scope="module")
def cases() -> dict[str, dict[str, Any]]:
    return {name: _case(name, seed) for seed, name in enumerate(CASES)}


@pytest.fixture(scope="module")
def driven(tmp_path_factory: pytest.TempPathFactory, cases: dict[str, dict[str, Any]]) -> dict:
    """The driver's results, for every case, from one run of Chromium."""
    if CHROMIUM is None:
        pytest.skip("chromium is not installed: apt-get install chromium")
    fragments, networks = [], []
    for name, case in cases.items():
        fragment = _drawn(case, case["trace"])
        uid = _uid(fragment)
        fragments.append(fragment)
        walk = name in ("seed", "leaky_bce", "relu_ce")
        refuse = case["loss"] == "bce"
        expected = []
        for trace in (_edited_trace(case), _trained_trace(case)):
            drawn = _without_script(_drawn(case, trace))
            expected.append(_uid(drawn))
            fragments.append(drawn)
        networks.append(
            {"id": uid, "edits": case["edits"], "train": TRAIN, "walk": walk, "refuse": refuse,
             "expected": expected}
        )  # fmt: skip
        case["id"] = uid
    format_cases = [
        (repr(v) if not math.isfinite(v) or v == 0 else v, d) for v, d in _format_cases()
    ]
    format_cases = [("-0" if v == "-0.0" else v, d) for v, d in format_cases]
    data = json.dumps({"format": format_cases, "networks": networks}).replace("<", "\\u003c")
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><script>{ERROR_HOOK_JS}</script>"
        f"</head><body>{''.join(fragments)}"
        f'<script type="application/json" id="cases">{data}</script>{DRIVER}</body></html>'
    )
    tmp = tmp_path_factory.mktemp("page")
    dom = dump_dom(tmp, page, flags=("--window-size=1280,900",))
    assert 'data-errors="' not in dom.split("<body", 1)[0], dom[:500]
    found = re.search(r'<pre id="results">(.*?)</pre>', dom, re.DOTALL)
    assert found and found.group(1), "the driver wrote no results"
    return json.loads(html.unescape(found.group(1)))


def _drawn(case: dict[str, Any], trace: explain.Trace) -> str:
    """The walk-through of ``trace`` as a notebook fragment, in the case's language, digits
    and form."""
    return html_repr(trace, case["lang"], case["digits"], case["matrix"])


def _uid(fragment: str) -> str:
    return re.match(r'<div class="crx" id="([^"]+)"', fragment).group(1)


def _without_script(fragment: str) -> str:
    """A walk-through as Python draws it, with no script to bring it to life."""
    head, _, tail = fragment.rpartition("<script>")
    return head + tail.split("</script>", 1)[1]


def _edited_trace(case: dict[str, Any]) -> explain.Trace:
    model, inputs, targets, lr = _edited(case)
    return _trace(model, inputs, targets, case, lr)


def _trained_trace(case: dict[str, Any]) -> explain.Trace:
    """The step from where the engine's SGD takes the edited network in ``TRAIN`` steps (a
    float32 model's walk-through still says that it was one)."""
    _, inputs, targets, lr = _edited(case)
    trained = _trace(_trained(case, TRAIN), inputs, targets, case, lr)
    return replace(trained, widened_from=case["trace"].widened_from)


def _assert_numbers_are(shown: list[list[str]], trace: explain.Trace, digits: int) -> int:
    """Each [key, text, form] the page shows is the record at key, formatted in its form (a
    negative operand in parentheses); the count checked."""
    records = asdict(trace)
    wrong = [
        (key, text, form, shown_as(_record(records, key), digits, form))
        for key, text, form in shown
        if text != shown_as(_record(records, key), digits, form)
    ]
    assert wrong == [], wrong[:10]
    return len(shown)


# The tests -----------------------------------------------------------------------------------


@needs_chromium
def test_page_formats_numbers_as_python_does(driven: dict) -> None:
    """The page's fmt against f"{v:.{digits}g}" (negative zero as "0") on 3,000 values:
    exponents both ways, 0 and −0, subnormals, the largest double, and ties (0.125, 2.5,
    2.675) that Python rounds half to even on the exact binary value."""
    expected = [explain.fmt(v, d) for v, d in _format_cases()]
    assert len(driven["format"]) == len(expected)
    wrong = [
        (v, d, page, want)
        for (v, d), page, want in zip(_format_cases(), driven["format"], expected, strict=True)
        if page != want
    ]
    assert wrong == []
    assert explain.fmt(-0.0) == "0" and explain.fmt(0.125, 2) == "0.12"


@needs_chromium
@pytest.mark.parametrize("name", list(CASES))
def test_page_recomputes_every_number_as_the_engine_does(
    name: str, cases: dict[str, dict[str, Any]], driven: dict
) -> None:
    """After the learner edits a weight, an input, a target and the learning rate, every
    number on the page ([data-k], tables, drawings and captions) is the engine's record for
    the edited network, and so is every tooltip."""
    case, result = cases[name], driven["networks"][cases[name]["id"]]
    assert result["banner"] is True  # no error shown
    digits = case["digits"]
    assert _assert_numbers_are(result["initial"], case["trace"], digits) > 20
    model, inputs, targets, lr = _edited(case)
    edited = _trace(model, inputs, targets, case, lr)
    checked = _assert_numbers_are(result["edited"], edited, digits)
    assert checked == len(result["initial"]) and checked > 3 * len(edited.parameters)
    changed = {
        k
        for (k, a, _), (_, b, _) in zip(result["initial"], result["edited"], strict=True)
        if a != b
    }
    assert {"lr", "total_error", "error_after"} <= changed
    expected_tips = re.findall(r'<title data-tpl="[^"]*">([^<]*)</title>', _drawn(case, edited))
    assert [html.unescape(t) for t in expected_tips] == result["tips"]


@needs_chromium
@pytest.mark.parametrize("name", list(CASES))
def test_page_trains_as_the_engine_does(
    name: str, cases: dict[str, dict[str, Any]], driven: dict
) -> None:
    """Train 7 steps on the page: every number is then the engine's step from the network
    the engine's SGD reaches in 7 steps, the weight fields hold its weights, and the error
    chart shows trace(..., steps=7).errors."""
    case, result = cases[name], driven["networks"][cases[name]["id"]]
    digits = case["digits"]
    model, inputs, targets, lr = _edited(case)
    trained = _trace(_trained(case, TRAIN), inputs, targets, case, lr)
    _assert_numbers_are(result["trained"], trained, digits)
    assert dict(result["fields"]) == {
        f"parameters.{i}.value": explain.fmt(p.value, digits)
        for i, p in enumerate(trained.parameters)
    }
    curve = _trace(model, inputs, targets, case, lr, steps=TRAIN).errors
    assert [step for step, _ in result["chart"]] == list(range(TRAIN + 1))
    for (step, text), error in zip(result["chart"], curve, strict=True):
        assert text.endswith(f"E = {explain.fmt(error, digits)}"), (step, text)


def _assert_blocks_read_alike(page: list[dict], python: list[dict]) -> None:
    """The page's blocks read as Python's: the same text, shown and whole (hidden branches
    too), the same cells with the same decimal padding, the same branches hidden, and curves
    through the same points (to the 0.1 their coordinates are written to)."""
    assert len(page) == len(python)
    for ours, theirs in zip(page, python, strict=True):
        curves = ours.pop("curve"), theirs.pop("curve")
        assert ours == theirs
        if curves == (None, None):
            continue
        points = [np.array(re.split("[ ,]", c["points"]), float) for c in curves]
        assert np.allclose(*points, atol=0.051)
        assert np.allclose(*(np.array(c["marks"]) for c in curves), atol=0.051)
        values = [np.array(c["values"].split(), float) for c in curves]
        assert np.allclose(*values, rtol=1e-12, atol=0)  # (the engine's matrix products round
        # as the BLAS library of the machine it runs on has them round, in the last bit)


@needs_chromium
@pytest.mark.parametrize("name", list(CASES))
def test_page_reads_as_the_walkthrough_of_the_edited_network(
    name: str, cases: dict[str, dict[str, Any]], driven: dict
) -> None:
    """After the edits (a weight to the other sign, a ReLU neuron to the other side of 0, a
    layer's equal biases parted, a target that makes ce's targets no longer sum to 1) and
    again after training, every sentence, table, equation (the matrix form) and curve of the
    page's walk-through reads as Python's walk-through of the same network: the numbers, the
    parentheses round negative operands, "> 0" or "≤ 0", the leaky ReLU's branch, ce's step
    4, which notes hold, and the numbers lined up on the decimal point."""
    case, result = cases[name], driven["networks"][cases[name]["id"]]
    before, after = case["trace"], _edited_trace(case)
    assert any(  # the weight's sign flipped
        (p.value < 0) != (q.value < 0)
        for p, q in zip(before.parameters, after.parameters, strict=True)
    )
    if before.layer(1)[0].activation in ("relu", "leaky_relu"):
        assert any(
            (m.net > 0) != (n.net > 0) for m, n in zip(before.neurons, after.neurons, strict=True)
        )
    blocks = result["blocks"]
    branches = [[(b["hidden"], b["when"]) for b in blocks[k]] for k in ("initial", "edited")]
    assert (branches[0] != branches[1]) == (name in ("seed", "relu_ce", "leaky_bce"))
    _assert_blocks_read_alike(blocks["edited"], blocks["expected"])
    assert result["leaks"] == []  # what the script hides takes no room on the page
    _assert_blocks_read_alike(blocks["trained"], blocks["expected_trained"])


def _expected_factors(trace: explain.Trace) -> list[dict[str, Any]]:
    """What each factor of the backward pass lights, worked out from the records: for each
    layer from the output back, each neuron's ∂E/∂out (an output's alone; a hidden neuron's
    one path per neuron it feeds, lighting that weight's edge, then their sum), its
    ∂out/∂net and its δ; then each parameter into the layer (weights, then biases), lighting
    its edge and the two nodes it joins."""
    index = {(p.source, p.target): i for i, p in enumerate(trace.parameters) if p.kind == "weight"}
    steps = []
    for layer in range(trace.depth, 0, -1):
        for i, d in enumerate(trace.deltas):
            if d.layer != layer:
                continue
            if layer == trace.depth:
                steps.append({"edges": [], "nodes": [d.neuron], "key": f"deltas.{i}.dE_dout"})
            for k, f in enumerate(d.feeds):
                edge = [str(index[d.neuron, f.to])]
                key = f"deltas.{i}.feeds.{k}.product"
                steps.append({"edges": edge, "nodes": [d.neuron, f.to], "key": key})
            if len(d.feeds) > 1:
                edges = sorted(str(index[d.neuron, f.to]) for f in d.feeds)
                nodes = [d.neuron, *(f.to for f in d.feeds)]
                steps.append({"edges": edges, "nodes": nodes, "key": f"deltas.{i}.dE_dout"})
            steps.append({"edges": [], "nodes": [d.neuron], "key": f"deltas.{i}.dout_dnet"})
            steps.append({"edges": [], "nodes": [d.neuron], "key": f"deltas.{i}.dE_dnet"})
        params = [(i, p) for i, p in enumerate(trace.parameters) if p.layer == layer]
        for i, p in [*((i, p) for i, p in params if p.kind == "weight"),
                     *((i, p) for i, p in params if p.kind == "bias")]:  # fmt: skip
            source = f"1:{layer}" if p.kind == "bias" else p.source
            steps.append(
                {"edges": [str(i)], "nodes": [source, p.target], "key": f"parameters.{i}.product"}
            )
    return steps


@needs_chromium
@pytest.mark.parametrize("name", ["seed", "leaky_bce", "relu_ce"])
def test_page_steps_through_the_chain_rule_factor_by_factor(
    name: str, cases: dict[str, dict[str, Any]], driven: dict
) -> None:
    """Next, from the forward step, goes to the backward drawing and through every factor of
    the backward pass in the worked example's order, lighting the edge and the neurons
    involved in the drawing and the factor's numbers in the tables (with their rows); the
    caption's numbers are the records'. Previous and Shift+← go back; another step clears
    the lights."""
    case, result = cases[name], driven["networks"][cases[name]["id"]]
    walk = result["walk"]
    expected = _expected_factors(case["trace"])
    seen = walk["steps"]
    assert len(seen) == len(expected)
    for k, (step, want) in enumerate(zip(seen, expected, strict=True)):
        assert step["count"] == f"{k + 1} / {len(expected)}"
        assert step["step"] == "backward"
        assert sorted(step["edges"], key=int) == sorted(want["edges"], key=int), k
        assert sorted(step["labels"]) == sorted(step["labels"]) and set(step["labels"]) <= set(
            step["edges"]
        )
        assert sorted(step["nodes"]) == sorted(want["nodes"]), k
        assert want["key"] in step["keys"], (k, want["key"], step["keys"])
        assert step["rows"], k
        assert want["key"] in [key for key, _, _ in step["caption"]], k
        _assert_numbers_are(step["caption"], case["trace"], case["digits"])
    assert walk["back"] == f"{len(expected) - 1} / {len(expected)}"
    assert walk["key"] == f"{len(expected) - 2} / {len(expected)}"
    assert walk["cleared"] == 0
    if name == "seed":  # w5's factor lights its three factors and product in the drawing too
        i = next(i for i, p in enumerate(case["trace"].parameters) if p.name == "w5")
        w5 = next(s for s in seen if s["edges"] == [str(i)])
        assert sorted(w5["nodes"]) == ["h1", "o1"]
        assert f"parameters.{i}.grad" in w5["figure_keys"]
        assert [text for _, text, _ in w5["caption"]][-1] == "0.0821670406"


@needs_chromium
def test_page_refuses_what_the_engine_refuses(
    cases: dict[str, dict[str, Any]], driven: dict
) -> None:
    """A binary cross-entropy target of 1.5, which the engine refuses, leaves every number
    as it was and says why."""
    result = driven["networks"][cases["leaky_bce"]["id"]]
    assert result["refused"] == {"notice": explain.say("en", "html_bce_range"), "same": True}
    model, inputs, _, lr = _edited(cases["leaky_bce"])
    with pytest.raises(ValueError, match="between 0 and 1"):
        _trace(model, inputs, [1.5], cases["leaky_bce"], lr)


@needs_chromium
def test_a_4_6_5_3_network_fits_the_page(cases: dict[str, dict[str, Any]], driven: dict) -> None:
    """In a 1280-pixel window, the 4-6-5-3 network's drawing (and the seed's) is as wide as
    its box at most, scrolls nowhere, and is drawn at 0.85 of its size or more, so that its
    numbers stay readable; its labels' font is no smaller than 12 px on screen."""
    for name in ("wide_sigmoid", "seed", "relu_ce"):
        fit = driven["networks"][cases[name]["id"]]["fit"]
        assert fit["svg"] <= fit["box"] + 0.5 and fit["scroll"] <= fit["box"], (name, fit)
        assert fit["svg"] / fit["view"] >= 0.85, (name, fit)
        assert fit["root"] <= 1180


@needs_chromium
def test_an_unknown_key_stops_the_page_with_a_visible_error(tmp_path: Path) -> None:
    """A number whose record the script does not compute (a field another part added,
    say) is not left stale: the page says so at the top and the error reaches the console;
    so does a number in a form (data-f) or a branch under a test (data-when) it does not
    know, in the walk-throughs after it."""
    trace = explain.trace(*_seed_args())
    page = render_html(trace).replace('<span data-k="lr">', '<span data-k="loss_terms.0.novel">', 1)
    others = [
        html_repr(trace).replace('<span data-k="lr">', '<span data-k="lr" data-f="novel">', 1),
        html_repr(trace).replace('data-when="equal"', 'data-when="novel"', 1),
    ]
    page = page.replace("</body>", "".join(others) + "</body>")
    with pytest.raises(AssertionError, match=r"loss_terms\.0\.novel"):
        dump_dom(tmp_path, page)
    dom = dump_dom(tmp_path, page, allow_console=True)
    banners = re.findall(r'<p class="crx-error" role="alert">([^<]*)</p>', dom)
    whats = ("loss_terms.0.novel", "lr (form novel)", "test novel")
    assert all(what in banner for banner, what in zip(banners, whats, strict=True)), banners
    assert 'data-errors="' in dom and "loss_terms.0.novel" in dom.split("<body", 1)[0]


def _seed_args() -> tuple:
    example = explain.seed_000()
    return (example.model, example.inputs, example.targets, example.loss, example.lr,
            example.freeze_biases)  # fmt: skip


NO_SCRIPT = """<!doctype html><html><head><meta charset="utf-8"></head><body>
<iframe sandbox="allow-same-origin" style="width: 1280px; height: 800px" srcdoc="{page}"></iframe>
<pre id="results"></pre>
<script>
window.addEventListener("load", function () {{
  var doc = document.querySelector("iframe").contentDocument;
  var win = document.querySelector("iframe").contentWindow;
  function shown(e) {{
    return win.getComputedStyle(e).display !== "none" && e.getClientRects().length > 0;
  }}
  var root = doc.querySelector(".crx");
  document.getElementById("results").textContent = JSON.stringify({{
    ran: root.classList.contains("crx-js"),
    figures: Array.from(doc.querySelectorAll(".crx-figure")).map(function (f) {{
      return [f.getAttribute("data-step"), shown(f), f.textContent];
    }}),
    controls: Array.from(doc.querySelectorAll(
      ".crx-play, .crx-stepper, .crx-factors, .crx-factor-caption, .crx-train-button, .crx-error"
    )).map(function (e) {{ return [e.className, shown(e)]; }}),
    branches: Array.from(doc.querySelectorAll("[data-when]")).map(function (e) {{
      return [e.hasAttribute("hidden"), shown(e)];
    }}),
    equations: Array.from(doc.querySelectorAll(".crx-eq")).filter(shown).length,
    text: doc.body.innerText,
  }});
}});
</script></body></html>"""


@needs_chromium
def test_without_javascript_the_page_shows_all_three_steps(tmp_path: Path) -> None:
    """In a frame that may run no script (a notebook not run, a page on a code host), the
    page shows the forward, backward and update drawings one under the other, each with its
    numbers, and none of the controls that need the script; the matrix form is there, and
    of the sentences that depend on the numbers, only those that hold (b2_1 and b2_2 no
    longer start equal here)."""
    args = _seed_args()
    with no_grad():
        args[0][2].bias.data[1] = 0.61
    trace = explain.trace(*args)
    page = render_html(trace, matrix=True)
    dom = dump_dom(
        tmp_path, NO_SCRIPT.format(page=html.escape(page, quote=True)), allow_console=True
    )
    found = re.search(r'<pre id="results">(.*?)</pre>', dom, re.DOTALL)
    results = json.loads(html.unescape(found.group(1)))
    assert results["ran"] is False
    assert [(step, shown) for step, shown, _ in results["figures"]] == [
        ("forward", True),
        ("backward", True),
        ("update", True),
    ]
    texts = {step: text for step, _, text in results["figures"]}
    assert "0.593269992" in texts["forward"] and "0.0821670406" in texts["backward"]
    assert "0.35891648" in texts["update"]
    controls = dict(results["controls"])
    assert len(controls) >= 5 and not any(controls.values()), controls
    assert results["branches"] == [[False, True], [True, False]]
    notes = [
        " ".join(explain.say("en", "initial_equal_biases", names=names, value=value).split())
        for names, value in (("b1_1, b1_2", "0.35"), ("b2_1, b2_2", "0.6"))
    ]
    text = " ".join(results["text"].split())
    assert notes[0] in text and notes[1] not in text
    assert results["equations"] > 10


def test_page_embeds_what_the_script_recomputes_from() -> None:
    """The page carries the settings (layer sizes, activations and a leaky ReLU's slope,
    loss, frozen biases, steps, digits, language) and the values a learner may change."""
    model = _leaky_bce().double()
    trace = explain.trace(model, [0.1, 0.2], [1.0], loss="bce", steps=4, freeze_biases=True)
    page = render_html(trace, lang="ko", digits=5)
    found = re.search(r'<script type="application/json" class="crx-model">(.*?)</script>', page)
    data = json.loads(found.group(1))
    assert data["layer_sizes"] == [2, 3, 2, 1] and data["loss"] == "bce"
    assert data["activations"] == ["leaky_relu", "tanh", "sigmoid"]
    assert data["negative_slopes"] == [0.2, None, None]
    assert data["frozen_biases"] is True and data["steps"] == 4
    assert data["digits"] == 5 and data["lang"] == "ko"
    assert data["values"]["inputs"] == [0.1, 0.2] and data["values"]["targets"] == [1.0]
    assert data["values"]["parameters"] == [p.value for p in trace.parameters]
    assert [trace.layer(n)[0].slope for n in (1, 2, 3)] == [0.2, None, None]


def test_fonts_list_korean_faces() -> None:
    """Both font stacks name the common Korean faces, so Hangul renders wherever one is."""
    for stack in re.findall(r"--crx-(?:sans|mono):([^;]*);", CSS):
        for face in ("Noto Sans KR", "Nanum Gothic", "Apple SD Gothic Neo", "Malgun Gothic"):
            assert f'"{face}"' in stack, (face, stack)


def _builds_wheels() -> bool:
    """Whether setuptools here builds wheels offline: its own bdist_wheel (70.1 on) or the
    wheel package's."""
    own = importlib.util.find_spec("setuptools.command.bdist_wheel") is not None
    return own or importlib.util.find_spec("wheel") is not None


@pytest.mark.skipif(not _builds_wheels(), reason="setuptools here cannot build a wheel offline")
def test_the_installed_package_carries_the_page_script(tmp_path: Path) -> None:
    """page.js is package data: a wheel built from the sources has it, and a chainrule
    installed from that wheel writes pages that carry it."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (REPO / name).exists():
            (source / name).write_bytes((REPO / name).read_bytes())
    subprocess.run(
        ["cp", "-r", str(REPO / "src"), str(source / "src")], check=True, capture_output=True
    )
    wheels = tmp_path / "wheels"
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
             "--no-index", "-q", "-w", str(wheels), str(source)]  # fmt: skip
    subprocess.run(build, check=True, capture_output=True, timeout=120)
    (wheel,) = wheels.glob("chainrule-*.whl")
    assert "chainrule/explain/page.js" in zipfile.ZipFile(wheel).namelist()
    target = tmp_path / "installed"
    install = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q",
               "--target", str(target), str(wheel)]  # fmt: skip
    subprocess.run(install, check=True, capture_output=True, timeout=120)
    script = (
        "import chainrule.explain as e, sys; ex = e.seed_000();"
        "page = e.render_html(e.trace(ex.model, ex.inputs, ex.targets));"
        "print(e.__file__); sys.exit(0 if 'chainruleExplain.start' in page"
        " and 'function significant' in page else 1)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(str(target))
