"""explain's terminal and Markdown renderers: seed 000's numbers as the seed prints them, the
same numbers in English and Korean, fewer digits, deeper networks and ce, tables that fit the
width without losing a digit, and Markdown tables that GitHub reads as tables."""

import io
import re
import subprocess
import sys
from collections import Counter
from decimal import Decimal

import pytest
from rich.cells import cell_len
from rich.console import Console

import chainrule as cr
from chainrule import explain, nn
from chainrule.explain.labels import credit

# A number not glued to a name (h1, w5, E_o1): 0.05, -0.0190491183, 1.5e-10, 2.
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?")


def _seed_000_trace(steps=1):
    e = explain.seed_000()
    return explain.trace(e.model, e.inputs, e.targets, e.loss, e.lr, e.freeze_biases, steps=steps)


@pytest.fixture(scope="module")
def seed_000():
    return _seed_000_trace(steps=5)


@pytest.fixture(scope="module")
def deep():
    """2-3-2-1 with tanh, parameters named by layer and index."""
    cr.manual_seed(1)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 2), nn.Tanh(), nn.Linear(2, 1))
    return explain.trace(model, (0.5, -0.2), (0.3,), names="index", lr=0.1)


@pytest.fixture(scope="module")
def softmax_ce():
    cr.manual_seed(2)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 3))
    return explain.trace(model, (1.0, 2.0, 3.0), 2, loss="ce", lr=0.1)


def _renders(trace, **options):
    return {
        "text": explain.render_text(trace, **options),
        "markdown": explain.render_markdown(trace, **options),
    }


def _unwrapped(output):
    """``output`` with each paragraph on one line: the terminal wraps sentences at spaces."""
    return "\n\n".join(" ".join(p.split("\n")) for p in output.split("\n\n"))


def _numbers(output):
    return NUMBER.findall(output)


def _shows(output, printed, within=None):
    """Whether ``output`` shows a number that rounds to ``printed`` (to its last digit), or
    lies ``within`` that distance of it."""
    target = Decimal(printed)
    within = Decimal(within) if within else Decimal(5) * Decimal(10) ** (target.as_tuple()[2] - 1)
    return any(abs(Decimal(n) - target) <= within for n in _numbers(output))


# Seed 000's numbers as it (and Matt Mazur's post it follows) prints them.
SEED_000_PRINTED = {
    "out(h1)": "0.593269992",
    "out(h2)": "0.596884378",
    "out(o1)": "0.75136507",
    "out(o2)": "0.772928465",
    "E_o1": "0.274811083",
    "E_o2": "0.023560026",
    "E_total": "0.298371109",
    "∂E/∂w5": "0.082167041",
    "∂E_o1/∂out_h1": "0.055399425",
    "∂E/∂out_h1": "0.036350306",
    "w5 after the update": "0.35891648",
    "∂E/∂w1": "0.000438568",
    "E after the update": "0.291027774",
}


@pytest.mark.parametrize("form", ["text", "markdown"])
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_seed_000_walkthrough_shows_the_seeds_numbers(seed_000, form, lang):
    output = _renders(seed_000, lang=lang)[form]
    missing = [name for name, printed in SEED_000_PRINTED.items() if not _shows(output, printed)]
    assert missing == []
    for exact in ("0.0235600256", "0.0821670406", "0.000438567734", "0.35891648", "0.291027774"):
        assert exact in _numbers(output)
    # Seed 000 prints E_o2 as 0.023450026, a typo for ½(0.99 − 0.772928465)².
    assert not _shows(output, "0.023450026")
    # ∂E_o2/∂out_h1 unrounded is -0.01904911826; the seed prints -0.019049119, the product of
    # its rounded factors, one unit off in the last place.
    assert "-0.0190491183" in _numbers(output) and _shows(output, "-0.019049119", "1e-9")
    # The hidden sum is the engine's ∂E/∂out_h1, not the sum of the terms as rounded (…077).
    assert "0.0553994247 + (-0.0190491183) = 0.0363503064" in _unwrapped(output)
    assert "0.0363503077" not in output


def test_seed_000_after_sentence_and_frozen_biases(seed_000):
    for output in _renders(seed_000).values():
        assert "The total error went from 0.298371109 to 0.291027774." in output
        assert "Biases are frozen" in output
    update = explain.render_text(seed_000).split("\nUpdate\n")[1]
    # The sentence, then b2_1, b2_2, b1_1, b1_2 in the formulas and again in the table.
    assert update.count("frozen") == 1 + 4 + 4
    assert "b1_2⁺ = b1_2 = 0.35 (frozen)" in update.splitlines()


def test_seed_000_backward_goes_from_the_output_layer_to_the_hidden_one(seed_000):
    text = explain.render_text(seed_000)
    rows = [line.split()[0] for line in text.splitlines() if re.match(r"[wb][\d_]+\s", line)]
    initial, gradients, update = rows[:12], rows[12:24], rows[24:]
    seed_order = ["w5", "w6", "w7", "w8", "b2_1", "b2_2", "w1", "w2", "w3", "w4", "b1_1", "b1_2"]
    assert gradients == update == seed_order
    # The initial values come before the forward pass, in its order: from the inputs, and
    # each neuron's weights and bias together, as its net input sums them.
    assert initial == [
        "w1",
        "w2",
        "b1_1",
        "w3",
        "w4",
        "b1_2",
        "w5",
        "w6",
        "b2_1",
        "w7",
        "w8",
        "b2_2",
    ]
    assert text.index("Initial weights") < text.index("Forward pass")
    assert text.index("Forward pass") < text.index("Backward pass") < text.index("\nUpdate\n")


@pytest.mark.parametrize("form", ["text", "markdown"])
def test_english_and_korean_show_the_same_numbers(seed_000, deep, softmax_ce, form):
    for trace in (seed_000, deep, softmax_ce):
        english, korean = (_renders(trace, lang=lang)[form] for lang in ("en", "ko"))
        assert Counter(_numbers(english)) == Counter(_numbers(korean))
        assert len(_numbers(english)) > 50


def test_korean_walkthrough_speaks_korean(seed_000):
    for output in _renders(seed_000, lang="ko").values():
        for label in ("순전파", "역전파", "업데이트", "전체 오차", "고정", "학습 단계"):
            assert label in output
        assert "Forward pass" not in output


def test_fewer_digits(seed_000):
    for output in _renders(seed_000, digits=4).values():
        assert "0.5969" in _numbers(output)  # out(h2)
        significant = [
            len(n.lstrip("-").split("e")[0].replace(".", "").lstrip("0")) for n in _numbers(output)
        ]
        assert max(significant) == 4
        assert not any(n in output for n in ("0.596884378", "0.298371109"))


def test_steps_table_only_after_several_steps(seed_000):
    one_step = explain.render_text(_seed_000_trace(steps=1))
    assert "Training steps" not in one_step
    text = explain.render_text(seed_000)
    steps = text.split("Training steps")[1].splitlines()
    rows = [line.split() for line in steps if re.match(r"\d+\s", line)]
    assert rows == [[str(k), explain.fmt(e)] for k, e in enumerate(seed_000.errors)]
    assert len(rows) == 6


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_deeper_network_and_ce_show_every_parameter_and_neuron(deep, softmax_ce, lang):
    for trace in (deep, softmax_ce):
        names = [p.name for p in trace.parameters] + [n.name for n in trace.neurons]
        for output in _renders(trace, lang=lang).values():
            for name in names:
                assert re.search(rf"(?<![\w\[]){re.escape(name)}(?![\w\[])", output), name
    for output in _renders(deep, lang=lang).values():
        assert explain.say(lang, "hidden_n", n=2) in output and "tanh" in output
    for output in _renders(softmax_ce, lang=lang).values():
        assert explain.say(lang, "loss_ce") in output


def test_hidden_sums_one_term_per_neuron_fed(deep):
    """Each hidden ∂E/∂out written term by term: the symbols, the δ's and weights substituted
    (a negative one in parentheses), the products, and the engine's sum."""
    lines = _unwrapped(explain.render_text(deep)).splitlines()
    weights = {(p.source, p.target): p.name for p in deep.parameters if p.kind == "weight"}

    def shown(value):
        return f"({explain.fmt(value)})" if value < 0 else explain.fmt(value)

    for delta in deep.deltas:
        if not delta.feeds:
            continue
        symbols = " + ".join(f"∂E/∂net_{f.to}·{weights[delta.neuron, f.to]}" for f in delta.feeds)
        factors = " + ".join(f"{shown(f.dE_dnet)}·{shown(f.weight)}" for f in delta.feeds)
        terms = " + ".join(shown(f.product) for f in delta.feeds)
        # A neuron that feeds one neuron: its one term is the whole sum.
        shown_terms = [terms] if len(delta.feeds) > 1 else []
        parts = [f"∂E/∂out_{delta.neuron}", symbols, factors, *shown_terms]
        assert " = ".join([*parts, explain.fmt(delta.dE_dout)]) in lines
    assert [len(d.feeds) for d in deep.deltas] == [2, 2, 2, 1, 1, 0]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_text_fits_the_width_without_losing_a_digit(seed_000, deep, lang):
    for trace in (seed_000, deep):
        natural = explain.render_text(trace, lang)
        for width in (100, 60):
            fitted = explain.render_text(trace, lang, width=width)
            assert max(map(cell_len, fitted.splitlines())) <= width
            # A split table repeats its first column, names like W1[1,2]: compare decimals.
            assert Counter(n for n in _numbers(fitted) if "." in n) == Counter(
                n for n in _numbers(natural) if "." in n
            )
    # Seed 000 needs no split at 100: one table of gradients.
    seed_text = explain.render_text(seed_000, lang, width=100)
    assert seed_text == explain.render_text(seed_000, lang)
    header = rf"^{explain.say(lang, 'parameter')} +{explain.say(lang, 'connects')} "
    headers = re.findall(header, seed_text, re.MULTILINE)
    assert len(headers) == 3  # the initial values, the gradients and the update


def test_text_columns_line_up_on_the_decimal_point(seed_000):
    text = explain.render_text(seed_000)
    lines = text.split(explain.say("en", "gradients"))[1].splitlines()
    w7, w1 = (next(line for line in lines if line.startswith(f"{n} ")) for n in ("w7", "w1"))
    dots = [[i for i, c in enumerate(line) if c == "."] for line in (w7, w1)]
    assert dots[0] == dots[1] and len(dots[0]) == 5


def test_text_is_plain_unless_colour_is_asked_for(seed_000):
    plain = explain.render_text(seed_000)
    assert "\x1b" not in plain
    coloured = explain.render_text(seed_000, color=True)
    assert "\x1b[" in coloured
    stripped = re.sub(r"\x1b\[[0-9;]*m", "", coloured)
    assert [line.rstrip() for line in stripped.splitlines()] == plain.splitlines()


def test_print_text_prints_what_render_text_returns(seed_000):
    console = Console(file=io.StringIO(), width=100, color_system=None)
    explain.print_text(seed_000, "ko", console=console)
    printed = [line.rstrip() for line in console.file.getvalue().splitlines()]
    assert printed == explain.render_text(seed_000, "ko", width=100).splitlines()


def _markdown_tables(markdown):
    """(line before, lines, line after) of each run of lines that start with a pipe."""
    lines = markdown.splitlines()
    tables, start = [], None
    for i, line in enumerate([*lines, ""]):
        if line.startswith("|") and start is None:
            start = i
        elif not line.startswith("|") and start is not None:
            tables.append((lines[start - 1], lines[start:i], line))
            start = None
    return tables


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_markdown_tables_are_well_formed(seed_000, deep, softmax_ce, lang):
    for trace in (seed_000, deep, softmax_ce):
        markdown = explain.render_markdown(trace, lang)
        tables = _markdown_tables(markdown)
        assert len(tables) >= 9
        for before, rows, after in tables:
            assert before == "" and after == ""
            pipes = [len(re.findall(r"(?<!\\)\|", row)) for row in rows]
            assert set(pipes) == {pipes[0]} and len(rows) >= 3
            assert re.fullmatch(r"(\| -{3}:? )+\|", rows[1])
        works = ("mazur", "saito") if trace.loss == "ce" else ("mazur",)
        credited = f"# {explain.say(lang, 'title')}\n\n{credit(lang, *works)}\n\n## "
        assert markdown.startswith(credited)
        assert "\n\n\n" not in markdown


# Renders Markdown and HTML in a fresh interpreter, then lists the terminal modules loaded;
# then renders text, to show that the listing would have caught them.
_WITHOUT_THE_TERMINAL = """
import sys
from chainrule.explain.markdown import render_markdown
from chainrule.explain.html import html_repr, render_html
from chainrule import explain
e = explain.seed_000()
t = explain.trace(e.model, e.inputs, e.targets, e.loss, e.lr, e.freeze_biases)
shown = render_markdown(t) + render_html(t, "ko") + html_repr(t) + t._repr_html_()
def terminal():
    names = [m for m in sys.modules if m.split(".")[0] == "rich"]
    return sorted(names + [m for m in sys.modules if m == "chainrule.explain.text"])
print(len(shown) > 10_000, terminal())
explain.render_text(t)
print("rich" in terminal(), "chainrule.explain.text" in terminal())
"""


def test_markdown_and_html_do_not_import_the_terminal_renderer():
    """Markdown, HTML and the notebook view draw the renderer-neutral blocks without loading
    rich or the terminal renderer; ``explain.render_text`` loads both when first used."""
    result = subprocess.run(
        [sys.executable, "-c", _WITHOUT_THE_TERMINAL], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["True []", "True True"]


def _record(tree, key):
    for part in key.split("."):
        tree = tree[int(part)] if isinstance(tree, list | tuple) else tree[part]
    return tree


@pytest.mark.parametrize("name", ["seed_000", "deep", "softmax_ce"])
def test_keyed_walkthrough_numbers_are_their_records(name, request):
    """The keyed walk-through (the page's) marks every number of its tables and sentences with
    the record it shows; each marked number is that record's value, formatted, and nothing
    else changes: without the marks it is the walk-through the other renderers draw. (It
    also holds, hidden, the sentences that only other values make true, such as a note that
    a layer's biases start equal: as it reads, such a sentence is empty.)"""
    from dataclasses import asdict, replace

    from chainrule.explain.blocks import Paragraph, Table, keyed_pieces, plain, walkthrough

    trace = request.getfixturevalue(name)
    records = asdict(trace)
    keyed = walkthrough(trace, keyed=True)
    marked = 0
    for block in keyed:
        texts = [c for row in block.rows for c in row] if isinstance(block, Table) else []
        texts += [block.text] if isinstance(block, Paragraph) else []
        for text in texts:
            for key, piece in keyed_pieces(text):
                if key is not None:
                    marked += 1
                    assert piece == explain.fmt(_record(records, key)), key
            unmarked = "".join(piece for key, piece in keyed_pieces(text) if key is None)
            assert not re.fullmatch(r"\s*-?\d+\.\d+(e[+-]?\d+)?\s*", unmarked), text
    assert marked > 3 * len(trace.parameters)

    def unkeyed(block):
        if isinstance(block, Paragraph):
            return Paragraph(plain(block.text))
        if isinstance(block, Table):
            return replace(block, rows=tuple(tuple(map(plain, row)) for row in block.rows))
        return block

    shown = [unkeyed(b) for b in keyed if not (isinstance(b, Paragraph) and not plain(b.text))]
    assert shown == walkthrough(trace)
