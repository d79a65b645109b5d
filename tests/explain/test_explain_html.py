"""The HTML walk-through: seed 000's numbers on one self-contained page in English and
Korean, a fragment for notebooks, and, in headless Chromium, a script that runs without an
error and steps the drawing through forward, backward and update."""

from __future__ import annotations

import re
from html import escape as escape_html
from html.parser import HTMLParser
from pathlib import Path

import pytest

import chainrule as cr
from chainrule import explain, nn
from chainrule.explain import html_repr, render_html, say
from chainrule.explain.html_assets import ERROR_HOOK_JS
from helpers import dump_dom, needs_chromium

# Seed 000: out(h2), out(o2), the error before and after the update, ∂E/∂w5 and the new w5.
SEED_NUMBERS = ("0.596884378", "0.772928465", "0.298371109", "0.291027774", "0.0821670406")
NEW_W5 = "0.35891648"
STEPS = ("forward", "backward", "update")


@pytest.fixture(scope="module")
def seed_trace() -> explain.Trace:
    example = explain.seed_000()
    return explain.trace(
        example.model,
        example.inputs,
        example.targets,
        example.loss,
        example.lr,
        example.freeze_biases,
        steps=5,
    )


@pytest.fixture(scope="module")
def page(seed_trace: explain.Trace) -> str:
    return render_html(seed_trace)


def test_seed_000_page_shows_the_worked_examples_numbers(page: str) -> None:
    for number in (*SEED_NUMBERS, NEW_W5):
        assert number in page


def test_page_is_one_utf8_document(page: str) -> None:
    assert page.startswith("<!doctype html>\n")
    assert page.count("<html") == 1 and '<html lang="en">' in page
    assert '<meta charset="utf-8">' in page
    assert page.rstrip().endswith("</html>")


def test_page_loads_nothing(page: str) -> None:
    """No network, no files: no URL at all, no src= or href=, no CSS import or url()."""
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"\b(src|href|srcset|action)\s*=", page, re.IGNORECASE)
    assert "@import" not in page and "url(" not in page


def test_each_step_labels_every_edge(page: str, seed_trace: explain.Trace) -> None:
    """12 parameters (8 weights, 4 biases), each an edge in each of the three drawings, with
    the weight, then ∂E/∂w, then the new value on it (and old → new in its tooltip)."""
    figures = _figures(page)
    assert [f["data-step"] for f in figures] == list(STEPS)
    for figure in figures:
        assert figure["html"].count("<line") == len(seed_trace.parameters) == 12
    unkeyed = [re.sub(r'<tspan data-k="[^"]*">([^<]*)</tspan>', r"\1", f["html"]) for f in figures]
    w5 = '<tspan class="crx-param">w5</tspan> '
    assert w5 + "0.4<" in unkeyed[0]
    assert w5 + "0.0821670406<" in unkeyed[1]
    assert w5 + f"{NEW_W5}<" in unkeyed[2] and f">w5 = 0.4 → {NEW_W5}</title>" in unkeyed[2]
    assert "0.291027774" in figures[2]["text"] and "0.291027774" not in figures[0]["text"]


def test_korean_page_has_korean_words_and_the_same_numbers(seed_trace: explain.Trace) -> None:
    page = render_html(seed_trace, lang="ko")
    assert '<html lang="ko">' in page
    for key in ("title", "forward", "backward", "html_update", "sum_over"):
        assert say("ko", key) in page
    assert "Backward pass" not in page
    for number in (*SEED_NUMBERS, NEW_W5):
        assert number in page


def test_digits_sets_every_number(seed_trace: explain.Trace) -> None:
    page = render_html(seed_trace, digits=4)
    assert "0.5969" in page and "0.08217" in page
    assert "0.596884378" not in page


def test_two_hidden_layers_with_index_names() -> None:
    cr.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2), nn.Sigmoid()
    )
    trace = explain.trace(model, [0.5, -0.2, 0.1], [0.0, 1.0], names="index", lr=0.1)
    page = render_html(trace)
    for name in ("x3", "a1_4", "a2_1", "a3_2", "W2[3,4]", "b3[2]"):
        assert f">{name}<" in page
    assert say("en", "hidden_n", n=2) in page
    for figure in _figures(page):
        assert figure["html"].count("<line") == len(trace.parameters) == 4 * 4 + 3 * 5 + 2 * 4


def test_a_wide_network_is_drawn_small() -> None:
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 12), nn.Sigmoid(), nn.Linear(12, 3))
    trace = explain.trace(model, [0.5, -0.2, 0.1, 0.3], 1, loss="ce", lr=0.1)
    page = render_html(trace)
    assert "crx-compact" in page and ">h12<" in page
    assert explain.fmt(trace.total_error) in page


def test_html_repr_is_a_notebook_fragment(seed_trace: explain.Trace) -> None:
    first, second = html_repr(seed_trace), html_repr(seed_trace)
    for fragment in (first, second):
        assert "<html" not in fragment and "<body" not in fragment and "<!doctype" not in fragment
        assert fragment.startswith('<div class="crx" id="crx-')
        for number in SEED_NUMBERS:
            assert number in fragment
    assert _ids(first).isdisjoint(_ids(second))
    assert all(selector.startswith(".crx") for selector in _selectors(first))


def test_unknown_language_is_an_error(seed_trace: explain.Trace) -> None:
    with pytest.raises(ValueError, match="language must be one of en, ko"):
        render_html(seed_trace, lang="fr")


# In headless Chromium --------------------------------------------------------------------


@needs_chromium
@pytest.mark.parametrize("step", [None, *STEPS])
def test_in_chromium_the_url_chooses_the_step(tmp_path: Path, page: str, step: str | None) -> None:
    """Opened at #backward (say), the script runs without an error and shows that step's
    drawing, with its numbers, and hides the others."""
    dom = dump_dom(tmp_path, page, step or "")
    shown = step or "forward"
    assert _errors(dom) is None
    root = _root(dom)
    assert root["data-step"] == shown and "crx-js" in root["class"].split()
    figures = _figures(dom)
    assert [f["data-step"] for f in figures if "data-active" in f] == [shown]
    active = next(f for f in figures if "data-active" in f)
    expected = {
        "forward": ("0.596884378", "0.772928465", "0.298371109"),
        "backward": ("0.0821670406", "0.0363503064"),
        "update": (f"0.4 → {NEW_W5}", "0.291027774"),
    }
    for number in expected[shown]:
        assert number in active["text"]
    pressed = re.findall(r'<button[^>]*data-step="(\w+)"[^>]*aria-pressed="true"', dom)
    assert pressed == [shown]


@needs_chromium
def test_in_chromium_buttons_and_arrow_keys_step(tmp_path: Path, page: str) -> None:
    """A click on Update, then ← (to Backward), ← (Forward) and ← again (stays)."""
    clicks = (
        "<script>document.querySelector('button[data-step=update]').click();"
        "for (let i = 0; i < 3; i++) document.dispatchEvent("
        "new KeyboardEvent('keydown', {key: 'ArrowLeft'}));"
        "document.body.dataset.seen = document.querySelector('.crx').dataset.step;"
        "document.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowRight'}));</script>"
    )
    dom = dump_dom(tmp_path, page.replace("</body>", f"{clicks}</body>"))
    assert _errors(dom) is None
    assert 'data-seen="forward"' in dom
    assert _root(dom)["data-step"] == "backward"
    assert [f["data-step"] for f in _figures(dom) if "data-active" in f] == ["backward"]


@needs_chromium
def test_in_chromium_the_korean_page_runs(tmp_path: Path, seed_trace: explain.Trace) -> None:
    dom = dump_dom(tmp_path, render_html(seed_trace, lang="ko"), "update")
    assert _errors(dom) is None and _root(dom)["data-step"] == "update"
    assert say("ko", "html_update") in dom


@needs_chromium
def test_in_chromium_two_notebook_fragments_run_side_by_side(
    tmp_path: Path, seed_trace: explain.Trace
) -> None:
    """Two html_repr fragments in one page, as in a notebook: both scripts run, on their
    own root each, and a hash in the URL (the notebook's, not theirs) changes nothing."""
    hook = f"<script>{ERROR_HOOK_JS}</script>"
    html = f"<!doctype html><html><head>{hook}</head><body>{html_repr(seed_trace)}"
    html += f"<p>between</p>{html_repr(seed_trace)}</body></html>"
    dom = dump_dom(tmp_path, html, "backward")
    assert _errors(dom) is None
    roots = re.findall(r'<div class="crx crx-js" id="(crx-[0-9a-f]+)" data-step="forward"', dom)
    assert len(set(roots)) == 2


# Reading the pages ------------------------------------------------------------------------


class _Outline(HTMLParser):
    """The document's and the walk-through's root elements, and each drawing's attributes,
    markup and text."""

    def __init__(self) -> None:
        super().__init__()
        self.document: dict[str, str] = {}
        self.root: dict[str, str] = {}
        self.figures: list[dict[str, str]] = []
        self._open = 0  # depth inside the current figure

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "html":
            self.document = values
        if tag == "div" and "crx" in values.get("class", "").split() and not self.root:
            self.root = values
        if tag == "figure":
            self.figures.append({**values, "html": "", "text": ""})
            self._open = 0
        if self.figures and self._open >= 0:
            self._open += 1
            self.figures[-1]["html"] += self.get_starttag_text() or ""

    def handle_endtag(self, tag: str) -> None:
        if self.figures and self._open > 0:
            self.figures[-1]["html"] += f"</{tag}>"
            self._open -= 1
            if self._open == 0:
                self._open = -1

    def handle_data(self, data: str) -> None:
        if self.figures and self._open > 0:
            self.figures[-1]["html"] += data
            self.figures[-1]["text"] += data


def _outline(html: str) -> _Outline:
    outline = _Outline()
    outline.feed(html)
    return outline


def _figures(html: str) -> list[dict[str, str]]:
    return _outline(html).figures


def _root(html: str) -> dict[str, str]:
    return _outline(html).root


def _errors(html: str) -> str | None:
    """What the page's error hook recorded on <html data-errors>, if anything."""
    return _outline(html).document.get("data-errors")


def _ids(html: str) -> set[str]:
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    return set(ids)


def _selectors(fragment: str) -> list[str]:
    """The selectors of the fragment's style sheet, outside @media blocks' own lines."""
    css = re.search(r"<style>(.*?)</style>", fragment, re.DOTALL)
    assert css is not None
    rules = re.sub(r"\{[^{}]*\}", "", re.sub(r"@media[^{]*\{", "", css.group(1)))
    return [s.strip() for s in rules.replace("}", "").split(",") if s.strip()]


def test_the_page_credits_the_worked_example_under_its_title(page: str) -> None:
    """The credit line sits under the title, above the controls and the drawing."""
    credit = explain.labels.credit("en", "mazur")
    assert page.index("</h1>") < page.index(escape_html(credit)) < page.index("<svg")
