"""A Trace as a walk-through in the terminal, or a lesson: the blocks of
``blocks.walkthrough`` (or of the lesson) drawn with rich, as bold headings, sentences wrapped
at 100 cells, tables whose numbers line up on the decimal point, split by columns where the
terminal is narrower than a table, and pictures drawn in characters (``sketches``).
"""

from __future__ import annotations

import io

from rich import box
from rich.console import Console, RenderableType
from rich.constrain import Constrain
from rich.measure import Measurement
from rich.table import Table as RichTable
from rich.text import Text

from .blocks import Block, Equation, Heading, Paragraph, Table, decimal_pads
from .lesson import Lesson, blocks_of
from .matrix import equation_lines
from .numbers import DEFAULT_DIGITS
from .pictures import Curve, Diagram
from .records import Trace
from .sketches import curve_line, diagram_tree, plane_sketch

TEXT_WIDTH = 100  # sentences wrap here; tables are as wide as their numbers need


def _aligned(cells: list[str]) -> list[str]:
    """Numbers padded on the left so that their decimal points line up."""
    pads = decimal_pads(cells)
    return [c if pad is None else " " * pad + c for c, pad in zip(cells, pads, strict=True)]


def _rich_table(table: Table) -> RichTable:
    drawn = RichTable(
        title=Text(table.title) if table.title else None,
        title_justify="left",
        title_style="bold",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1, 0, 0),
    )
    for label in table.columns:
        drawn.add_column(Text(label), overflow="fold")
    columns = [list(column) for column in zip(*table.rows, strict=True)]
    cells = [_aligned(c) if n else c for c, n in zip(columns, table.numeric, strict=True)]
    for index, row in enumerate(zip(*cells, strict=True)):
        drawn.add_row(*map(Text, row), end_section=index in table.sections)
    return drawn


def _natural_width(console: Console, renderable: RenderableType) -> int:
    return Measurement.get(console, console.options.update_width(10_000), renderable).maximum


def _columns(table: Table, keep: list[int], title: str) -> Table:
    return Table(
        tuple(table.columns[c] for c in keep),
        tuple(table.numeric[c] for c in keep),
        tuple(tuple(row[c] for c in keep) for row in table.rows),
        title,
        table.sections,
    )


def _fitted(table: Table, console: Console) -> list[RichTable]:
    """``table``, or where it is wider than the console, its columns split over several
    tables one under another, each with the first column again, so that no number is cut or
    folded."""
    whole = _rich_table(table)
    if _natural_width(console, whole) <= console.width:
        return [whole]
    groups = [[0]]
    for column in range(1, len(table.columns)):
        wider = _rich_table(_columns(table, [*groups[-1], column], ""))
        if len(groups[-1]) > 1 and _natural_width(console, wider) > console.width:
            groups.append([0])
        groups[-1].append(column)
    return [
        _rich_table(_columns(table, group, table.title if n == 0 else ""))
        for n, group in enumerate(groups)
    ]


def _heading(heading: Heading) -> Text:
    """Underlined with = (the title), - (a section) or · (a part of one)."""
    text = Text(heading.text, style="bold cyan" if heading.level < 3 else "bold")
    text.append("\n" + "=-·"[min(heading.level, 3) - 1] * text.cell_len, style=text.style)
    return text


def _renderables(blocks: list[Block], console: Console) -> list[RenderableType]:
    """Rich renderables for ``blocks`` that fit ``console``; sentences wrap at 100 cells."""
    drawn: list[RenderableType] = []
    for block in blocks:
        if isinstance(block, Table):
            for table in _fitted(block, console):
                drawn += [table, Text()]
        elif isinstance(block, Paragraph):
            drawn += [Constrain(Text(block.text), min(console.width, TEXT_WIDTH)), Text()]
        elif isinstance(block, Equation):
            drawn += [_equation(block, min(console.width, TEXT_WIDTH)), Text()]
        elif isinstance(block, Heading):
            drawn += [_heading(block), Text()]
        else:
            drawn += [_picture(block), Text()]
    return drawn[:-1]


def _equation(equation: Equation, width: int | None) -> Text:
    """Matrices side by side, going on below at an operator where wider than ``width``."""
    return Text("\n".join(equation_lines(equation, width)), no_wrap=True, overflow="ignore")


def _picture(block: Block) -> Text:
    """A curve as a sparkline, a graph as a tree, a plane as a grid of characters."""
    if isinstance(block, Curve):
        lines = [curve_line(block)]
    elif isinstance(block, Diagram):
        lines = diagram_tree(block)
    else:
        lines = plane_sketch(block)
    return Text("\n".join(lines), no_wrap=True, overflow="ignore")


def render_text(
    trace: Trace | Lesson,
    lang: str = "en",
    digits: int = DEFAULT_DIGITS,
    width: int | None = None,
    color: bool = False,
    matrix: bool = False,
) -> str:
    """The walk-through of ``trace`` (or a lesson) as text with aligned tables, for a
    terminal or a file.

    ``width`` is the most cells a line may take (a table wider than that is split into
    several, by columns, and an equation goes on below at an operator); None makes every
    table as wide as its numbers need, with sentences and equations wrapped at 100.
    ``color`` adds ANSI styles (bold headings and table headers). ``matrix`` adds the step
    written as matrix products.
    """
    blocks = blocks_of(trace, lang, digits, matrix)
    output = io.StringIO()
    console = Console(
        file=output,
        width=width or TEXT_WIDTH,
        force_terminal=color,
        force_jupyter=False,
        color_system="standard" if color else None,
        markup=False,
        emoji=False,
        highlight=False,
        legacy_windows=False,
    )
    if width is None:
        tables = [_natural_width(console, _rich_table(b)) for b in blocks if isinstance(b, Table)]
        tables += [
            _natural_width(console, _equation(b, TEXT_WIDTH))
            for b in blocks
            if isinstance(b, Equation)
        ]
        console.width = max(TEXT_WIDTH, *tables)
    for renderable in _renderables(blocks, console):
        console.print(renderable)
    return "\n".join(line.rstrip() for line in output.getvalue().splitlines()) + "\n"


def print_text(
    trace: Trace | Lesson,
    lang: str = "en",
    digits: int = DEFAULT_DIGITS,
    console: Console | None = None,
    matrix: bool = False,
) -> None:
    """Print the walk-through of ``trace`` (or a lesson) to ``console`` (by default a new
    one on standard output), in its colours and split to its width; ``matrix`` adds the
    matrix form."""
    console = console or Console()
    for renderable in _renderables(blocks_of(trace, lang, digits, matrix), console):
        console.print(renderable)
