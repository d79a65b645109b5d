"""The material's other lessons from the command line, in every format and both languages:
Rashid's error split (``explain split``), Saito's price graphs and one's own expression
(``explain graph``), XOR's perceptron and 2-2-1 network (``explain xor``), and the error
curve of ``--steps``. Numbers are checked against the books' and against the engine's."""

from __future__ import annotations

import dataclasses
import html
import re
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule import explain
from chainrule.app.main import main
from chainrule.explain.xor import Line, XorStory
from helpers import run_cli, run_main

FORMATS = ("text", "markdown", "html")
LANGS = ("en", "ko")
EVERY = [(f, lang) for f in FORMATS for lang in LANGS]
BARS = "▁▂▃▄▅▆▇█"


def _explain(capsys: pytest.CaptureFixture[str], *args: str, fmt: str, lang: str) -> str:
    """``chainrule explain *args`` in this process, as seen: HTML without its tags."""
    assert main(["explain", *args, "--format", fmt, "--lang", lang]) == 0
    out = capsys.readouterr().out
    return html.unescape(re.sub(r"<[^>]+>", " ", out)) if fmt == "html" else out


def _sentences(text: str) -> str:
    """``text`` with its lines joined: a sentence the terminal wrapped is one line again."""
    return " ".join(text.split())


def _refused(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """The one line ``chainrule explain *args`` ends with, exit code 2 (argparse's too)."""
    code = run_main(["explain", *args])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def _page_is_self_contained(page: str) -> None:
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
    assert "http://" not in page and "https://" not in page and "url(" not in page
    assert not re.search(r"\b(src|href)\s*=", page)


# The error split: Rashid, Make Your Own Neural Network ---------------------------------------

SPLIT_BOOK = (
    "0.8 · 0.4 = 0.32",  # o1's error over w11 = 2 of the sum 5
    "0.8 · 0.6 = 0.48",
    "0.5 · 0.2 = 0.1",
    "0.5 · 0.8 = 0.4",
    "0.32 + 0.1 = 0.42",  # h1 collects its shares
    "0.48 + 0.4 = 0.88",
    "2 · 0.8 + 1 · 0.5 = 2.1",  # Wᵀ·e, term by term
    "3 · 0.8 + 4 · 0.5 = 4.4",
    "Wᵀ · e = [2.1, 4.4]",
    "2.1 = 5 · 0.42",  # how they differ: the normalising sum, 5 for both outputs
    "4.4 = 5 · 0.88",
)


@pytest.mark.parametrize(("fmt", "lang"), EVERY)
def test_split_shows_the_books_example(capsys, fmt, lang):
    out = _sentences(_explain(capsys, "split", fmt=fmt, lang=lang))
    for statement in SPLIT_BOOK:
        assert statement in out, statement
    heading = {"en": "Split in proportion to the weights", "ko": "가중치에 비례해 나누기"}[lang]
    assert heading in out
    assert {"en": "Rashid", "ko": "라시드"}[lang] in out and "seed" not in out


def test_split_html_is_one_self_contained_page(capsys):
    assert main(["explain", "split", "--format", "html"]) == 0
    page = capsys.readouterr().out
    _page_is_self_contained(page)
    assert page.count("<table>") == 3 and page.count("<h2>") == 4


@pytest.mark.parametrize(
    ("weights", "errors"),
    [("2,3;1,5", "0.8,0.5"), ("0.5,-1.5,3;2,2,1;1,0.25,4", "0.1,-0.7,0.3")],
)
def test_split_of_any_weights_against_numpy(capsys, weights, errors):
    """Shares e_k · w_hk / Σ_h w_hk, their sums, and Wᵀ·e computed here, independently."""
    w = np.array([[float(v) for v in row.split(",")] for row in weights.split(";")])
    e = np.array([float(v) for v in errors.split(",")])
    out = _explain(
        capsys, "split", "--weights", weights, "--errors", errors, fmt="markdown", lang="en"
    )
    sums = w.sum(axis=1)
    for h in range(w.shape[1]):
        proportional = sum(e[k] * w[k, h] / sums[k] for k in range(w.shape[0]))
        assert re.search(rf"e_h{h + 1} = .* = {re.escape(explain.fmt(proportional))}\n", out)
    transposed = w.T @ e
    assert f"Wᵀ · e = [{', '.join(explain.fmt(v) for v in transposed)}]" in out
    assert "sum to different amounts" in out  # the sums differ, so the two are not in proportion
    assert "sum to the same" not in out


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--weights", "2,3;1"], "rows of different lengths"),
        (["--weights", "2,3;1,4", "--errors", "0.8"], "one row per output error"),
        (["--weights", "1,-1;1,4"], "the weights into output o1 sum to 0"),
        (["--errors", "0.8,x"], "not a comma-separated list of finite numbers"),
    ],
)
def test_split_bad_shapes_are_one_line(capsys, args, fragment):
    assert fragment in _refused(capsys, "split", *args)


# The price graphs: Saito, Deep Learning from Scratch, chapter 5 ------------------------------

APPLE = (
    "100 × 2",  # apple_price = apple × apple_num
    "200 × 1.1",  # price = apple_price × tax = 220
    "1 × 1.1 = 1.1",  # ∂price/∂apple_price: × swaps, tax
    "1 × 200 = 200",  # ∂price/∂tax
    "1.1 × 2 = 2.2",  # ∂price/∂apple
    "1.1 × 100 = 110",  # ∂price/∂apple_num
)
APPLE_ORANGE = (
    "200 + 450",  # all_price
    "650 × 1.1",  # price = 715
    "1 × 650 = 650",  # ∂price/∂tax
    "1.1 × 1 = 1.1",  # the addition passes 1.1 through to both prices
    "1.1 × 2 = 2.2",  # apple
    "1.1 × 100 = 110",  # apple_num
    "1.1 × 3 = 3.3",  # orange
    "1.1 × 150 = 165",  # orange_num
)


@pytest.mark.parametrize(("fmt", "lang"), EVERY)
@pytest.mark.parametrize(
    ("name", "statements", "price"),
    [("apple", APPLE, "220"), ("apple-orange", APPLE_ORANGE, "715")],
)
def test_price_graphs_show_the_books_numbers(capsys, name, statements, price, fmt, lang):
    out = _sentences(_explain(capsys, "graph", name, fmt=fmt, lang=lang))
    for statement in statements:
        assert statement in out, statement
    assert re.search(rf"(?<![\d.]){price}(?![\d.])", out)
    assert {"en": "Saito", "ko": "사이토"}[lang] in out and "seed" not in out
    rules = {"en": ("+ passes it through", "× swaps"), "ko": ("그대로 흘려보냄", "입력을 바꿈")}
    assert rules[lang][1] in out and (name == "apple" or rules[lang][0] in out)


def test_price_graph_pictures_in_each_format(capsys):
    """The terminal draws the graph as a tree, Markdown as a mermaid flowchart, HTML as SVG;
    each node with its value and its gradient."""
    text = _explain(capsys, "graph", "apple-orange", fmt="text", lang="en")
    assert re.search(
        r"├─ all_price = apple_price \+ orange_price = 650 +∂price/∂all_price = 1.1", text
    )
    assert re.search(r"└─ tax = 1.1 +∂price/∂tax = 650", text)
    assert main(["explain", "graph", "apple-orange", "--format", "markdown"]) == 0
    markdown = capsys.readouterr().out
    assert "```mermaid\nflowchart LR\n" in markdown
    assert 'n0["apple = 100<br/>∂price/∂apple = 2.2"]' in markdown
    assert markdown.count('(("×"))') == 3 and markdown.count('(("+"))') == 1
    assert main(["explain", "graph", "apple-orange", "--format", "html"]) == 0
    page = capsys.readouterr().out
    _page_is_self_contained(page)
    svg = page[page.index("<svg") : page.index("</svg>")]
    cards = re.findall(r">([^<>]+)</text>", svg)
    for name, value, grad in [
        ("apple", "100", "2.2"),
        ("orange_num", "3", "165"),
        ("tax", "1.1", "650"),
    ]:
        at = cards.index(name)
        assert cards[at + 1 : at + 3] == [value, grad]
    assert svg.count("<circle") == 4  # one per op: three × and one +


def _engine_apple_orange() -> dict[str, float]:
    """Saito's graph built here on the engine, every node's .grad after one backward()."""
    leaves = {
        n: cr.tensor(v, dtype=cr.float64, requires_grad=True)
        for n, v in (
            ("apple", 100.0),
            ("apple_num", 2.0),
            ("orange", 150.0),
            ("orange_num", 3.0),
            ("tax", 1.1),
        )
    }
    apple_price = leaves["apple"] * leaves["apple_num"]
    orange_price = leaves["orange"] * leaves["orange_num"]
    all_price = apple_price + orange_price
    price = all_price * leaves["tax"]
    nodes = {
        **leaves,
        "apple_price": apple_price,
        "orange_price": orange_price,
        "all_price": all_price,
    }
    for node in nodes.values():
        node.retain_grad()
    price.backward()
    return {name: t.grad.item() for name, t in nodes.items()}


def test_price_graph_gradients_are_the_engines():
    g = explain.price_graph("apple-orange")
    engine = _engine_apple_orange()
    assert {n.name: n.grad for n in g.nodes if n.name != "price"} == pytest.approx(
        engine, rel=1e-15
    )
    for node in g.nodes[:-1]:  # each gradient is the sum of the shares it receives
        shares = [e.contribution for e in g.edges if e.source == node.name]
        assert sum(shares) == pytest.approx(node.grad, rel=1e-15)
    assert g.node("price").value == pytest.approx(715.0)
    text = g.to_text()
    assert re.search(r"\n\s*tax\s+1.1\s+650\s+650\n", text)  # the .grad column
    assert explain.price_graph("apple", {"apple_num": 3}).node("price").value == pytest.approx(330)


# One's own expression --------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "lang"), EVERY)
def test_expression_graph_end_to_end(capsys, fmt, lang):
    out = _explain(capsys, "graph", "x*y + z", "--values", "x=2,y=3,z=4", fmt=fmt, lang=lang)
    out = _sentences(out)
    for statement in ("f = x × y + z", "2 × 3", "6 + 4", "1 × 3 = 3", "1 × 2 = 2", "1 × 1 = 1"):
        assert statement in out, statement
    assert re.search(r"(?<![\d.])10(?![\d.])", out)


@pytest.mark.parametrize(
    ("expression", "values"),
    [
        ("x*x + x", {"x": 3.0}),  # fan-out: both paths add up, 2x + 1 = 7
        ("(a - b) / (a + 2) ** 2", {"a": 1.5, "b": -0.5}),
        (
            "-x * sigmoid(y) + tanh(x) - exp(y) / 4 + log(y) * sqrt(x) + relu(x - y)",
            {"x": 0.7, "y": 1.3},
        ),
    ],
)
def test_expression_gradients_are_the_engines(expression, values):
    """Against the same computation on the engine's tensors, written here as Python."""
    g = explain.expression_graph(expression, values)
    t = {n: cr.tensor(v, dtype=cr.float64, requires_grad=True) for n, v in values.items()}
    env = {**t, "exp": cr.exp, "log": cr.log, "sqrt": cr.sqrt, "tanh": cr.tanh}
    env |= {"sigmoid": lambda v: v.sigmoid(), "relu": lambda v: v.relu()}
    result = eval(expression, {"__builtins__": {}}, env)
    result.backward()
    assert g.nodes[-1].value == pytest.approx(result.item(), rel=1e-15)
    for name, leaf in t.items():
        assert g.node(name).grad == pytest.approx(leaf.grad.item(), rel=1e-12), name
        shares = [e.contribution for e in g.edges if e.source == name]
        assert sum(shares) == pytest.approx(leaf.grad.item(), rel=1e-12)


def test_fan_out_adds_the_shares(capsys):
    out = _explain(capsys, "graph", "x*x + x", "--values", "x=3", fmt="text", lang="en")
    # x reaches f directly (1) and through x · x twice (3 each: × swaps in the other x).
    assert re.search(r"\n\s*x\s+3\s+1 \+ 3 \+ 3 = 7\s+7\n", out)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["x*"], "cannot read 'x*' as an expression"),
        (["x^2", "--values", "x=1"], "write ** (x**2)"),
        (
            ["x*y", "--values", "x=1"],
            "no value for y; give every name of the expression a value, like y=…",
        ),
        (["x*2", "--values", "x=1,q=2"], "q is not in the expression"),
        (["x/y", "--values", "x=1,y=0"], "is not a finite number at these values"),
        (["log(x)", "--values", "x=-1"], "is not a finite number at these values"),
        (["x*y", "--values", "x=1,y"], "'y' is not NAME=NUMBER"),
        (["x*y", "--values", "x=1,y=two"], "'two' for y is not a finite number"),
        (["x.real * 2", "--values", "x=1"], "is not arithmetic explain graph draws"),
        (["x % 2", "--values", "x=1"], "uses an operator explain graph lacks"),
        (["open(x)", "--values", "x=1"], "is not a call explain graph knows"),
        (["exp * x", "--values", "x=1"], "exp is a function"),
        (["2*3"], "has no names"),
        (["x", "--values", "x=1"], "computes nothing"),
        (["x" + "+x" * 200, "--values", "x=1"], "keep it to 300"),
        (["apple", "--values", "pear=2"], "the apple graph has no input pear"),
    ],
)
def test_expression_errors_are_one_line(capsys, args, fragment):
    assert fragment in _refused(capsys, "graph", *args)


def test_an_expression_is_never_run_as_python(tmp_path):
    marker = tmp_path / "ran"
    code = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    result = run_cli("explain", "graph", code)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "is not a call explain graph knows" in result.stderr
    assert "Traceback" not in result.stderr and not marker.exists()


# XOR: lecture 8 of Boostcourse's PyTorch course ----------------------------------------------


@pytest.fixture(scope="module")
def story() -> XorStory:
    return explain.xor_story()


@pytest.mark.parametrize(("fmt", "lang"), EVERY)
def test_xor_never_draws_a_boundary_from_noise(capsys, monkeypatch, story, fmt, lang):
    """The perceptron ends with weights near 1e-7: it has no boundary, and the lesson says so
    instead of solving for a line. The 2-2-1 network's hidden lines are given and drawn."""
    line = story.perceptron_line
    assert max(abs(line.a), abs(line.b), abs(line.c)) < 1e-6  # noise: float32's rounding of 0
    monkeypatch.setattr(explain, "xor_story", lambda: story)  # trained once for all formats
    assert main(["explain", "xor", "--format", fmt, "--lang", lang]) == 0
    out = capsys.readouterr().out
    network = {"en": "A 2-2-1 network after", "ko": "2-2-1 신경망을 "}[lang]
    perceptron, rest = out.split(network, 1)
    assert not re.search(r"x2 = ", perceptron) and "= 0 " not in perceptron  # no line
    assert {"en": "no decision boundary", "ko": "결정 경계가 없습니다"}[lang] in perceptron
    assert re.search(r"h1: 8.364·x1 − 8.073·x2 \+ 4.041 = 0 +\(x2 = 1.036·x1 \+ 0.5006\)", rest)
    assert re.search(r"h2: −8.141·x1 \+ 8.421·x2 \+ 4.078 = 0", rest)
    if fmt == "html":
        _page_is_self_contained(out)
        planes = re.findall(r"<svg.*?</svg>", out, re.S)
        assert len(planes) == 2
        assert "<line" not in planes[0]  # no boundary drawn for the perceptron
        assert planes[1].count("<line") == 2  # h1 and h2
        assert "#ffe8cc" not in planes[0] and "#ffe8cc" in planes[1]  # no region, a region
    else:
        # The plane in characters: the network's region splits the four points as XOR does.
        grid = out[out.rindex("x2\n") :]
        rows = [line for line in grid.splitlines() if re.match(r" [01] \|", line)]
        top, bottom = rows
        assert re.search(r"# 1 #", top) and re.search(r"\. 0 \.", top)
        assert re.search(r"\. 0 \.", bottom) and re.search(r"# 1 #", bottom)


def test_a_boundary_at_noise_level_is_none(story):
    """A line from weights of 1e-7 is refused whatever the story; a real one is given."""
    noise = Line("perceptron", -1.04e-7, -1.12e-7, 1.19e-7)
    real = Line("perceptron", 2.0, -1.0, 0.25)
    for line, given in ((noise, False), (real, True)):
        lesson = dataclasses.replace(story, perceptron_line=line)
        text = explain.render_text(lesson, "en", 4)
        perceptron = text.split("A 2-2-1 network after")[0]
        assert ("(x2 = 2·x1 + 0.25)" in perceptron) is given
        assert ("no decision boundary" in perceptron) is not given


def test_xor_from_the_command_line():
    result = run_cli("explain", "xor", "--format", "markdown")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# Why a perceptron cannot learn XOR")
    assert "no decision boundary" in result.stdout and "seed" not in result.stdout


# The error curve of --steps ---------------------------------------------------------------


def _mazur_errors(steps: int) -> list[float]:
    e = explain.seed_000()
    trace = explain.trace(e.model, e.inputs, e.targets, e.loss, e.lr, e.freeze_biases, steps=steps)
    return trace.errors


def _levels(values: list[float]) -> str:
    low, high = min(values), max(values)
    return "".join(BARS[round((v - low) / (high - low) * 7)] for v in values)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("fmt", ("text", "markdown"))
def test_steps_draw_the_error_curve_as_a_line(capsys, fmt, lang):
    errors = _mazur_errors(10)
    out = _explain(capsys, "--steps", "10", fmt=fmt, lang=lang)
    axis = {"en": "step", "ko": "단계"}[lang]
    line = (
        f"E: {explain.fmt(errors[0])} {_levels(errors)} {explain.fmt(errors[-1])}   ({axis} 0 → 10)"
    )
    assert line in out
    assert _levels(errors)[0] == "█" and _levels(errors)[-1] == "▁"  # the error falls


def test_a_long_curve_is_sampled_to_sixty_bars(capsys):
    errors = _mazur_errors(200)
    out = _explain(capsys, "step", "--steps", "200", fmt="text", lang="en")
    bars = re.search(rf"E: {explain.fmt(errors[0])} ([{BARS}]+) {explain.fmt(errors[-1])} ", out)
    picked = [errors[round(i * 200 / 59)] for i in range(60)]
    assert bars and bars.group(1) == _levels(picked)


@pytest.mark.parametrize("lang", LANGS)
def test_steps_draw_the_error_curve_in_svg(capsys, lang):
    errors = _mazur_errors(10)
    assert main(["explain", "--steps", "10", "--format", "html", "--lang", lang]) == 0
    page = capsys.readouterr().out
    _page_is_self_contained(page)
    line = re.search(
        r'<polyline[^>]*data-curve="errors"[^>]*data-values="([^"]+)" points="([^"]+)"', page
    )
    assert [float(v) for v in line.group(1).split()] == errors
    points = [tuple(map(float, p.split(","))) for p in line.group(2).split()]
    xs, ys = zip(*points, strict=True)
    assert np.allclose(np.diff(xs), xs[1] - xs[0], atol=0.11)  # one step apart
    # Height is affine in the error: the highest point is the largest error, the lowest the least.
    low, high = min(errors), max(errors)
    scaled = [(high - e) / (high - low) for e in errors]
    assert np.allclose(np.interp(scaled, [0, 1], [ys[0], ys[-1]]), ys, atol=0.11)
    for key, value in (("errors.0", errors[0]), ("errors.10", errors[-1])):
        assert re.search(rf'data-k="{key}">{explain.fmt(value)}</text>', page)


# Names: the works, never "seed 000" -------------------------------------------------------


def test_cli_names_the_works_not_the_seeds(capsys):
    texts = []
    for args in (
        ["explain"],
        *(["explain", lesson] for lesson in ("step", "split", "graph", "xor")),
    ):
        with pytest.raises(SystemExit):
            main([*args, "--help"])
        texts.append(capsys.readouterr().out)
    helps = "\n".join(texts)
    assert "seed-000" not in helps and not re.search(r"seed 00\d", helps)
    for work in ("Matt Mazur", "Rashid", "Saito", "Boostcourse"):
        assert work in helps


def test_step_is_the_default_walk_through(capsys):
    assert main(["explain", "--digits", "5"]) == 0
    default = capsys.readouterr().out
    assert main(["explain", "step", "--digits", "5"]) == 0
    assert capsys.readouterr().out == default
    assert main(["explain", "--lang", "ko", "step", "--steps", "3"]) == 0
    assert "학습 단계" in capsys.readouterr().out  # options before and after the lesson both count


def test_lessons_write_to_a_file(tmp_path: Path, capsys):
    target = tmp_path / "graph.html"
    assert main(["explain", "graph", "apple", "--format", "html", "--out", str(target)]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {target}"
    assert "<svg" in target.read_text(encoding="utf-8")
