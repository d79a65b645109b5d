"""A Trace as one self-contained HTML page, or as a fragment for a Jupyter notebook.

At the top, the fields to change the network with and train it (``html_play``), then the
network drawn in SVG with buttons (and the ← and → keys) that step through forward,
backward and update, and in the backward step, through the chain rule one factor at a
time; under it, the walk-through's tables. The tables are the blocks of
``blocks.walkthrough``, the ones the terminal and Markdown renderers draw, so the three show
the same numbers; the drawing writes the records' numbers with the same ``fmt``. Every
number is marked with its record's key, and the page's script (page.js) recomputes the
records and refills them when the learner changes a number; of the words that depend on the
numbers (``blocks._Writer.when``), the page holds every branch and shows those that hold.
CSS, script and drawing are inline: the page loads nothing from anywhere. Without
JavaScript the page shows the three steps one under the other, and none of the controls.
"""

from __future__ import annotations

import json
import uuid
from html import escape

from .blocks import (
    Block,
    Equation,
    Heading,
    Matrix,
    Paragraph,
    Scalar,
    Table,
    When,
    branches,
    decimal_pads,
    marked_numbers,
    plain,
    walkthrough,
)
from .html_assets import CSS, ERROR_HOOK_JS, MATRIX_CSS, PAGE_CSS, page_script
from .html_figure import STEPS, Figure
from .html_pictures import picture_svg
from .html_play import model_data, play_panel
from .labels import say
from .lesson import Lesson, blocks_of
from .numbers import DEFAULT_DIGITS
from .pictures import Curve, Diagram, Plane
from .records import Trace


def render_html(
    trace: Trace | Lesson, lang: str = "en", digits: int = DEFAULT_DIGITS, matrix: bool = False
) -> str:
    """The walk-through of ``trace`` as a complete HTML document in ``lang`` ("en" or "ko"),
    every number with ``digits`` significant digits; ``matrix`` adds the step as matrix
    products. The URL's #forward, #backward or #update chooses the step the drawing shows
    when the page opens. A lesson is a page of its blocks (``lesson_html``)."""
    if isinstance(trace, Lesson):
        if matrix:
            blocks_of(trace, lang, digits, matrix)  # refuses, saying why
        return lesson_html(trace, lang, digits)
    title = escape(say(lang, "title"))
    sizes = "-".join(map(str, trace.layer_sizes))
    return (
        "<!doctype html>\n"
        f'<html lang="{escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title} ({sizes})</title>\n"
        f"<style>{PAGE_CSS}{CSS}{MATRIX_CSS}</style>\n"
        f"<script>{ERROR_HOOK_JS}</script>\n"
        "</head>\n<body>\n"
        f"{_walkthrough(trace, lang, digits, 'crx-page', page=True, matrix=matrix)}\n"
        "</body>\n</html>\n"
    )


def html_repr(
    trace: Trace, lang: str = "en", digits: int = DEFAULT_DIGITS, matrix: bool = False
) -> str:
    """The walk-through of ``trace`` as an HTML fragment for a notebook cell (Jupyter's
    ``_repr_html_``): no document around it, CSS scoped to it, and ids of its own, so that
    several walk-throughs in one notebook do not clash."""
    uid = f"crx-{uuid.uuid4().hex[:12]}"
    return _walkthrough(trace, lang, digits, uid, page=False, matrix=matrix)


def _walkthrough(
    trace: Trace, lang: str, digits: int, uid: str, page: bool, matrix: bool = False
) -> str:
    """The root element: title and credit, controls, drawing, tables, the network's
    description and the script that brings them to life."""
    blocks = walkthrough(trace, lang, digits, keyed=True, matrix=matrix)
    head, rest = blocks[:2], blocks[2:]  # the title and the line that credits the works
    style = "" if page else f"<style>{CSS}{MATRIX_CSS}</style>\n"
    return (
        f'<div class="crx" id="{uid}" data-step="forward">\n{style}'
        f"{_blocks(head)}\n"
        '<p class="crx-error" role="alert" hidden></p>\n'
        f"{play_panel(trace, lang, digits)}\n"
        f"{_stepper(lang)}\n"
        f"{_figures(Figure(trace, lang, digits), lang)}\n"
        f"{_blocks(rest)}\n"
        f'<script type="application/json" class="crx-model">{model_data(trace, lang, digits)}'
        "</script>\n"
        f"<script>{page_script()}\nchainruleExplain.start("
        f"document.getElementById({json.dumps(uid)}), {json.dumps(page)});</script>\n"
        "</div>"
    )


def _stepper(lang: str) -> str:
    buttons = "".join(
        f'<button type="button" data-step="{step}" aria-pressed="{str(step == "forward").lower()}">'
        f"{escape(say(lang, f'html_{step}'))}</button>"
        for step in STEPS
    )
    return (
        f'<div class="crx-stepper" role="group" aria-label="{escape(say(lang, "step"))}">'
        f'<span class="crx-buttons">{buttons}</span>'
        f'<span class="crx-hint">{escape(say(lang, "html_keys"))}</span></div>'
    )


def _factor_bar(lang: str) -> str:
    """In the backward step: buttons that walk the chain rule one factor at a time, and the
    caption that says which (the script fills it)."""
    return (
        f'<div class="crx-factors crx-needs-js" role="group"'
        f' aria-label="{escape(say(lang, "html_factors"))}">'
        f'<span class="crx-factor-buttons"><button type="button" class="crx-factor-previous">'
        f"{escape(say(lang, 'html_factor_previous'))}</button>"
        f'<button type="button" class="crx-factor-next">{escape(say(lang, "html_factor_next"))}'
        "</button></span>"
        '<span class="crx-factor-count"></span>'
        f'<span class="crx-hint">{escape(say(lang, "html_factor_keys"))}</span>'
        f'<p class="crx-factor-caption" aria-live="polite">'
        f"{escape(say(lang, 'html_factor_start'))}</p></div>"
    )


def _figures(figure: Figure, lang: str) -> str:
    legend = (
        '<span class="crx-legend">'
        f'<span><span class="crx-swatch crx-pos"></span>{escape(say(lang, "html_positive"))}'
        "</span>"
        f'<span><span class="crx-swatch crx-neg"></span>{escape(say(lang, "html_negative"))}'
        "</span></span>"
    )
    return "\n".join(
        f'<figure class="crx-figure" data-step="{step}"{" data-active" * (step == "forward")}>'
        f"<figcaption><strong>{escape(say(lang, step))}</strong>"
        f"{escape(say(lang, f'html_shows_{step}'))}{legend if step != 'forward' else ''}"
        f"</figcaption>\n{_factor_bar(lang) if step == 'backward' else ''}"
        f'<div class="crx-scroll">{figure.svg(step)}</div>\n</figure>'
        for step in STEPS
    )


def _blocks(blocks: list[Block]) -> str:
    """Headings, paragraphs and tables as HTML; each level-2 heading opens a section."""
    parts: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            if block.level == 2:
                parts += ["</section>"] * ("<section>" in parts) + ["<section>"]
            parts.append(f"<h{block.level}>{escape(block.text)}</h{block.level}>")
        elif isinstance(block, Paragraph):
            parts.append(_paragraph(block.text))
        elif isinstance(block, Equation):
            parts.append(_equation(block))
        elif isinstance(block, Curve | Diagram | Plane):
            parts.append(_picture(block))
        else:
            parts.append(_table(block))
    return "\n".join(parts + ["</section>"] * ("<section>" in parts))


def _text(text: str) -> str:
    """Escaped ``text`` in which each keyed number is a ``<span data-k="record key">`` (with
    ``data-f``, its form, if it has one), and each branch a ``<span data-when>`` (hidden
    where its test does not hold), for the page's script to find and recompute."""
    return "".join(
        _numbers(words) if when is None else f"<span{_when(when)}>{_numbers(words)}</span>"
        for when, words in branches(text)
    )


def _numbers(text: str) -> str:
    """Escaped ``text`` (without branches), each keyed number a ``<span data-k>``."""
    parts = []
    for key, form, piece in marked_numbers(text):
        if key is None:
            parts.append(escape(piece))
        else:
            attrs = f' data-k="{escape(key)}"' + (f' data-f="{escape(form)}"' if form else "")
            parts.append(f"<span{attrs}>{escape(piece)}</span>")
    return "".join(parts)


def _when(when: When) -> str:
    """The attributes of an element shown only where ``when``'s test holds."""
    keys = escape(" ".join(when.keys))
    return f' data-when="{escape(when.test)}" data-keys="{keys}"{"" if when.holds else " hidden"}'


def _paragraph(text: str) -> str:
    """A paragraph; one that is a branch as a whole is itself shown only where it holds."""
    pieces = branches(text)
    if len(pieces) == 1 and pieces[0][0] is not None:
        when, words = pieces[0]
        return f"<p{_when(when)}>{_numbers(words)}</p>"
    return f"<p>{_text(text)}</p>"


def _table(table: Table) -> str:
    """A table whose numeric columns line up on the decimal point: each number is padded on
    the left by as many character widths as its whole part is shorter than the longest."""
    columns = list(zip(*table.rows, strict=True)) or [() for _ in table.columns]
    numeric = zip(columns, table.numeric, strict=True)
    pads = [
        decimal_pads([plain(cell) for cell in cells]) if number else [None] * len(cells)
        for cells, number in numeric
    ]
    head = "".join(f"<th>{escape(label)}</th>" for label in table.columns)
    groups: list[list[str]] = [[]]
    for index, row in enumerate(table.rows):
        cells = []
        for column, cell in enumerate(row):
            pad = pads[column][index]
            if pad is None:
                css = ' class="crx-word"' if table.numeric[column] else ""
                cells.append(f"<td{css}>{_text(cell)}</td>")
            else:
                style = f' style="--crx-pad: {pad}"' if pad else ""
                cells.append(f'<td class="crx-num"{style}>{_text(cell)}</td>')
        groups[-1].append(f"<tr>{''.join(cells)}</tr>")
        if index in table.sections:
            groups.append([])
    caption = f"<caption>{escape(table.title)}</caption>" if table.title else ""
    bodies = "".join(f"<tbody>{''.join(rows)}</tbody>" for rows in groups if rows)
    return (
        f'<div class="crx-table-wrap"><table>{caption}<thead><tr>{head}</tr></thead>'
        f"{bodies}</table></div>"
    )


def _equation(equation: Equation) -> str:
    """An equation as a grid: each term's name (and shape) over its matrix, number or
    operator; each matrix's numbers lined up on the decimal point."""
    cells = []
    for term in equation.terms:
        if isinstance(term, str):
            cells += [
                f'<span class="crx-eq-name">{escape(term)}</span>',
                f'<span class="crx-eq-op">{escape(term)}</span>',
            ]
        elif isinstance(term, Scalar):
            cells += [
                f'<span class="crx-eq-name">{escape(term.name)}</span>',
                f'<span class="crx-eq-num">{_text(term.value)}</span>',
            ]
        else:
            rows, columns = term.shape
            cells += [
                f'<span class="crx-eq-name">{escape(term.name)}<small>({rows}×{columns})</small>'
                "</span>",
                _matrix(term),
            ]
    return f'<div class="crx-eq-wrap"><div class="crx-eq">{"".join(cells)}</div></div>'


def _matrix(matrix: Matrix) -> str:
    """A matrix's numbers in a grid between brackets; nothing for one shown by shape only."""
    if not matrix.rows:
        return "<span></span>"
    columns = zip(*matrix.rows, strict=True)
    pads = [decimal_pads([plain(cell) for cell in column]) for column in columns]
    entries = "".join(
        f"<span{_pad(pads[j][i])}>{_text(cell)}</span>"
        for i, row in enumerate(matrix.rows)
        for j, cell in enumerate(row)
    )
    style = f"grid-template-columns: repeat({matrix.shape[1]}, auto)"
    return f'<span class="crx-mat" style="{style}">{entries}</span>'


def _pad(pad: int | None) -> str:
    """The style that shifts a number right by ``pad`` character widths, if any."""
    return f' style="--crx-pad: {pad}"' if pad else ""


def _picture(picture: Curve | Diagram | Plane) -> str:
    """A picture's SVG, under a plane's title."""
    title = (
        f'<p class="crx-caption" style="margin-bottom: 0.25rem">{escape(picture.title)}</p>'
        if isinstance(picture, Plane)
        else ""
    )
    return (
        f'<div class="crx-lesson-picture" style="margin: 0.75rem 0 1.25rem">{title}'
        f'<div class="crx-scroll">{picture_svg(picture)}</div></div>'
    )


def lesson_html(
    lesson: Lesson, lang: str = "en", digits: int = DEFAULT_DIGITS, page: bool = True
) -> str:
    """A lesson (the error split, a computational graph, XOR) as a complete HTML document,
    or with ``page`` False as a fragment for a notebook cell: its blocks, pictures as SVG,
    in the walk-through's style, with no script."""
    blocks = lesson.blocks(lang, digits)
    body = (
        f'<div class="crx">\n{"" if page else f"<style>{CSS}</style>"}\n{_blocks(blocks)}\n</div>'
    )
    if not page:
        return body
    title = blocks[0].text if isinstance(blocks[0], Heading) else ""
    return (
        "<!doctype html>\n"
        f'<html lang="{escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n"
        f"<style>{PAGE_CSS}{CSS}</style>\n"
        "</head>\n<body>\n"
        f"{body}\n"
        "</body>\n</html>\n"
    )
