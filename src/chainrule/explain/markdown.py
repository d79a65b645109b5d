"""A Trace (or a lesson) as GitHub-flavoured Markdown, ready to paste into a blog post:
headings, short sentences, pipe tables with numbers right-aligned, formulas in plain Unicode;
a curve as a sparkline, a computational graph as a mermaid flowchart (GitHub draws it), a
plane as a grid of characters.

It draws the blocks of ``blocks.walkthrough``, as the terminal and HTML renderers do, so all
three show the same numbers in the same order.
"""

from __future__ import annotations

from .blocks import Equation, Heading, Paragraph, Table
from .lesson import Lesson, blocks_of
from .matrix import equation_lines
from .numbers import DEFAULT_DIGITS
from .pictures import Curve, Diagram, Picture
from .records import Trace
from .sketches import curve_line, plane_sketch


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _table(table: Table) -> str:
    lines = [f"**{table.title}**", ""] if table.title else []
    lines.append("| " + " | ".join(map(_cell, table.columns)) + " |")
    lines.append("| " + " | ".join("---:" if n else "---" for n in table.numeric) + " |")
    lines += ["| " + " | ".join(map(_cell, row)) + " |" for row in table.rows]
    return "\n".join(lines)


def _mermaid(diagram: Diagram) -> str:
    """A flowchart, left to right: a box per value (its value, and its gradient), a circle
    per op between its inputs and its result."""

    def quoted(text: str) -> str:
        return '"' + text.replace('"', "#quot;") + '"'

    ids = {n.name: f"n{i}" for i, n in enumerate(diagram.nodes)}
    lines = ["```mermaid", "flowchart LR"]
    for i, node in enumerate(diagram.nodes):
        gradient = f"{diagram.grad_label.format(name=node.name)} = {node.grad}"
        lines.append(f"  n{i}[{quoted(f'{node.name} = {node.value}<br/>{gradient}')}]")
        if not node.symbol:
            continue
        lines.append(f"  op{i}(({quoted(node.symbol)}))")
        for k, source in enumerate(dict.fromkeys(node.inputs)):
            if source in ids:
                lines.append(f"  {ids[source]} --> op{i}")
            else:
                lines += [f"  c{i}_{k}[{quoted(source)}]", f"  c{i}_{k} --> op{i}"]
        lines.append(f"  op{i} --> n{i}")
    return "\n".join([*lines, "```"])


def _picture(picture: Picture) -> str:
    if isinstance(picture, Curve):
        return f"`{curve_line(picture)}`"
    if isinstance(picture, Diagram):
        return _mermaid(picture)
    return "\n".join(["```", *plane_sketch(picture), "```"])


def render_markdown(
    trace: Trace | Lesson, lang: str = "en", digits: int = DEFAULT_DIGITS, matrix: bool = False
) -> str:
    """The walk-through of ``trace`` (or a lesson) in Markdown, in ``lang`` ("en" or "ko"),
    every number with ``digits`` significant digits; ``matrix`` adds the step as matrix
    products, each equation a block of monospace lines."""
    parts = []
    for block in blocks_of(trace, lang, digits, matrix):
        if isinstance(block, Table):
            parts.append(_table(block))
        elif isinstance(block, Paragraph):
            parts.append(block.text)
        elif isinstance(block, Equation):
            parts.append("\n".join(["```", *equation_lines(block), "```"]))
        elif isinstance(block, Heading):
            parts.append(f"{'#' * block.level} {block.text}")
        else:
            parts.append(_picture(block))
    return "\n\n".join(parts) + "\n"
