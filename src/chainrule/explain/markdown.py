"""A Trace as GitHub-flavoured Markdown, ready to paste into a blog post: headings, short
sentences, pipe tables with numbers right-aligned, formulas in plain Unicode.

It draws the blocks of ``blocks.walkthrough``, as the terminal and HTML renderers do, so all
three show the same numbers in the same order.
"""

from __future__ import annotations

from .blocks import Equation, Heading, Paragraph, Table, walkthrough
from .matrix import equation_lines
from .numbers import DEFAULT_DIGITS
from .records import Trace


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _table(table: Table) -> str:
    lines = [f"**{table.title}**", ""] if table.title else []
    lines.append("| " + " | ".join(map(_cell, table.columns)) + " |")
    lines.append("| " + " | ".join("---:" if n else "---" for n in table.numeric) + " |")
    lines += ["| " + " | ".join(map(_cell, row)) + " |" for row in table.rows]
    return "\n".join(lines)


def render_markdown(
    trace: Trace, lang: str = "en", digits: int = DEFAULT_DIGITS, matrix: bool = False
) -> str:
    """The walk-through of ``trace`` in Markdown, in ``lang`` ("en" or "ko"), every number
    with ``digits`` significant digits; ``matrix`` adds the step as matrix products, each
    equation a block of monospace lines."""
    parts = []
    for block in walkthrough(trace, lang, digits, matrix=matrix):
        if isinstance(block, Table):
            parts.append(_table(block))
        elif isinstance(block, Paragraph):
            parts.append(block.text)
        elif isinstance(block, Equation):
            parts.append("\n".join(["```", *equation_lines(block), "```"]))
        elif isinstance(block, Heading):
            parts.append(f"{'#' * block.level} {block.text}")
    return "\n\n".join(parts) + "\n"
