"""A Trace as a walk-through in the terminal: headings, sentences and rich tables.

``walkthrough`` turns a Trace into plain blocks (headings, paragraphs, tables of strings) in
the order seed 000 works its example: the network, the inputs, the forward pass, the error,
the backward pass, the update and the error after it. Every number goes through ``fmt`` and
every word through ``say``, so a language or a count of digits changes nothing else. The
terminal (here) and Markdown renderers draw the same blocks, so they cannot disagree.
"""

from __future__ import annotations

import io
import itertools
import re
from dataclasses import dataclass

from rich import box
from rich.console import Console, RenderableType
from rich.constrain import Constrain
from rich.measure import Measurement
from rich.table import Table as RichTable
from rich.text import Text

from .labels import say
from .numbers import DEFAULT_DIGITS, fmt
from .records import Delta, Parameter, Trace

TEXT_WIDTH = 100  # sentences wrap here; tables are as wide as their numbers need
NUMBER = re.compile(r"-?\d+(?:\.\d*)?(?:e[+-]?\d+)?")


@dataclass(frozen=True)
class Heading:
    """A section title; level 1 is the walk-through's title."""

    level: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    """A sentence or a formula with its numbers filled in."""

    text: str


@dataclass(frozen=True)
class Table:
    """Rows of strings under ``columns``; ``numeric`` marks the columns of numbers, and
    ``sections`` the rows after which a group ends (a layer, a neuron's terms)."""

    columns: tuple[str, ...]
    numeric: tuple[bool, ...]
    rows: tuple[tuple[str, ...], ...]
    title: str = ""
    sections: tuple[int, ...] = ()


Block = Heading | Paragraph | Table


@dataclass(frozen=True)
class _Writer:
    """Words in one language and numbers to one count of significant digits."""

    lang: str
    digits: int

    def say(self, key: str, **values: object) -> str:
        return say(self.lang, key, **values)

    def num(self, value: float | None) -> str:
        return fmt(value, self.digits)

    def layer_name(self, trace: Trace, number: int) -> str:
        """ "output", "hidden", or "hidden 2" where there are several hidden layers."""
        if number == trace.depth:
            return self.say("output")
        if trace.depth > 2:
            return self.say("hidden_n", n=number)
        return self.say("hidden")

    def layer(self, trace: Trace, number: int) -> str:
        """The layer's name and activation, e.g. "hidden (sigmoid)"."""
        return f"{self.layer_name(trace, number)} ({trace.layer(number)[0].activation})"


def walkthrough(trace: Trace, lang: str = "en", digits: int = DEFAULT_DIGITS) -> list[Block]:
    """The blocks of the walk-through of ``trace``, in seed 000's order."""
    w = _Writer(lang, digits)
    blocks: list[Block] = [Heading(1, w.say("title"))]
    for section in (_network, _inputs, _forward, _errors, _backward, _update, _after, _steps):
        blocks += section(trace, w)
    return blocks


def _table(
    title: str,
    columns: list[tuple[str, bool]],
    rows: list[tuple[str, ...]],
    sections: tuple[int, ...] = (),
) -> Table:
    labels, numeric = zip(*columns, strict=True)
    return Table(labels, numeric, tuple(rows), title, sections)


def _ends(sizes: list[int]) -> tuple[int, ...]:
    """The index of the last row of each group but the last, from the groups' sizes."""
    return tuple(end - 1 for end in itertools.accumulate(sizes[:-1]))


def _network(trace: Trace, w: _Writer) -> list[Block]:
    rows = [(w.say("input"), str(trace.layer_sizes[0]), "—")]
    rows += [
        (w.layer_name(trace, n), str(size), trace.layer(n)[0].activation)
        for n, size in enumerate(trace.layer_sizes[1:], start=1)
    ]
    columns = [(w.say("layer"), False), (w.say("neurons"), True), (w.say("activation"), False)]
    biases = "biases_frozen" if trace.frozen_biases else "biases_trained"
    return [
        Heading(2, w.say("network")),
        Paragraph(w.say("layer_sizes", sizes="-".join(map(str, trace.layer_sizes)))),
        _table("", columns, rows),
        Paragraph(w.say("loss", formula=w.say("loss_" + trace.loss))),
        Paragraph(w.say("learning_rate", lr=w.num(trace.lr))),
        Paragraph(w.say(biases)),
    ]


def _inputs(trace: Trace, w: _Writer) -> list[Block]:
    rows = [(name, w.num(value)) for name, value in trace.inputs]
    columns = [(w.say("input"), False), (w.say("value"), True)]
    return [Heading(2, w.say("inputs")), _table("", columns, rows)]


def _forward(trace: Trace, w: _Writer) -> list[Block]:
    blocks: list[Block] = [Heading(2, w.say("forward")), Paragraph(w.say("forward_intro"))]
    columns = [(w.say("neuron"), False), (w.say("net"), True), (w.say("out"), True)]
    for number in range(1, trace.depth + 1):
        rows = [(n.name, w.num(n.net), w.num(n.out)) for n in trace.layer(number)]
        blocks.append(_table(w.layer(trace, number), columns, rows))
    return blocks


def _errors(trace: Trace, w: _Writer) -> list[Block]:
    columns = [
        (w.say("output"), False),
        (w.say("target"), True),
        (w.say("out"), True),
        (w.say("term"), True),
    ]
    rows = [(t.output, w.num(t.target), w.num(t.out), w.num(t.value)) for t in trace.loss_terms]
    terms = " + ".join(w.num(t.value) for t in trace.loss_terms)
    return [
        Heading(2, w.say("errors")),
        Paragraph(w.say("errors_intro")),
        _table("", columns, rows),
        Paragraph(f"{w.say('total')} = {terms} = {w.num(trace.total_error)}"),
    ]


def _backward(trace: Trace, w: _Writer) -> list[Block]:
    blocks: list[Block] = [
        Heading(2, w.say("backward")),
        Heading(3, w.say("deltas")),
        Paragraph(w.say("deltas_intro")),
    ]
    columns = [
        (w.say("neuron"), False),
        (w.say("dE_dout"), True),
        (w.say("dout_dnet"), True),
        (w.say("dE_dnet"), True),
    ]
    for number in range(trace.depth, 0, -1):
        deltas = [d for d in trace.deltas if d.layer == number]
        if number < trace.depth:
            blocks += _feeds(trace, w, number, deltas)
        rows = [(d.neuron, w.num(d.dE_dout), w.num(d.dout_dnet), w.num(d.dE_dnet)) for d in deltas]
        blocks.append(_table(w.layer(trace, number), columns, rows))
    return blocks + _gradients(trace, w)


def _feeds(trace: Trace, w: _Writer, number: int, deltas: list[Delta]) -> list[Block]:
    """How each hidden neuron's ∂E/∂out sums one term per neuron it feeds."""
    weights = {(p.source, p.target): p.name for p in trace.parameters if p.kind == "weight"}
    columns = [
        (w.say("neuron"), False),
        (w.say("feeds"), False),
        (w.say("dE_dnet"), True),
        (w.say("weight"), False),
        (w.say("value"), True),
        (w.say("feed_product"), True),
    ]
    rows = [
        (
            d.neuron,
            f.to,
            w.num(f.dE_dnet),
            weights[d.neuron, f.to],
            w.num(f.weight),
            w.num(f.product),
        )
        for d in deltas
        for f in d.feeds
    ]
    title = f"{w.layer(trace, number)}: {w.say('sum_over')}"
    sums = [Paragraph(_sum(d, w)) for d in deltas]
    return [_table(title, columns, rows, _ends([len(d.feeds) for d in deltas])), *sums]


def _sum(delta: Delta, w: _Writer) -> str:
    """∂E/∂out of a hidden neuron as the sum of its terms, e.g. "∂E/∂out_h1 = 0.0553994247 +
    -0.0190491183 = 0.0363503064"; a single term is the whole of it."""
    terms = [w.num(f.product) for f in delta.feeds]
    shown = terms if len(terms) == 1 else [" + ".join(terms), w.num(delta.dE_dout)]
    return " = ".join([f"∂E/∂out_{delta.neuron}", *shown])


def _in_seed_order(trace: Trace) -> list[Parameter]:
    """Output layer first, then back towards the inputs; in a layer, weights before biases."""
    return sorted(trace.parameters, key=lambda p: (-p.layer, p.kind != "weight"))


def _gradients(trace: Trace, w: _Writer) -> list[Block]:
    """The three factors of each parameter's gradient, their product and the engine's .grad.
    (The value itself is no factor; the update shows it, and the hidden sums the weights'.)"""
    parameters = _in_seed_order(trace)
    columns = [
        (w.say("parameter"), False),
        (w.say("connects"), False),
        (w.say("dE_dout"), True),
        (w.say("dout_dnet"), True),
        (w.say("dnet_dparam"), True),
        (w.say("product"), True),
        (w.say("grad"), True),
    ]
    rows = [
        (
            p.name,
            f"{p.source} → {p.target}",
            w.num(p.dE_dout),
            w.num(p.dout_dnet),
            w.num(p.dnet_dparam),
            w.num(p.product),
            w.num(p.grad),
        )
        for p in parameters
    ]
    layers = sorted({p.layer for p in parameters}, reverse=True)
    examples = [
        next(p for p in parameters if p.layer == number and p.kind == "weight") for number in layers
    ]
    return [
        Heading(3, w.say("gradients")),
        Paragraph(w.say("backward_intro")),
        *(
            Paragraph(
                w.say(
                    "gradient_example",
                    name=p.name,
                    target=p.target,
                    dE_dout=w.num(p.dE_dout),
                    dout_dnet=w.num(p.dout_dnet),
                    dnet_dparam=w.num(p.dnet_dparam),
                    product=w.num(p.product),
                )
            )
            for p in examples
        ),
        _table("", columns, rows, _ends([sum(p.layer == n for p in parameters) for n in layers])),
    ]


def _update(trace: Trace, w: _Writer) -> list[Block]:
    parameters = _in_seed_order(trace)
    columns = [
        (w.say("parameter"), False),
        (w.say("connects"), False),
        (w.say("old"), True),
        (w.say("grad"), True),
        (w.say("updated"), True),
    ]
    rows = [
        (
            p.name,
            f"{p.source} → {p.target}",
            w.num(p.value),
            w.num(p.grad),
            w.say("frozen") if p.updated is None else w.num(p.updated),
        )
        for p in parameters
    ]
    layers = sorted({p.layer for p in parameters}, reverse=True)
    blocks: list[Block] = [
        Heading(2, w.say("update")),
        Paragraph(w.say("update_intro", lr=w.num(trace.lr))),
    ]
    if trace.frozen_biases:
        blocks.append(Paragraph(w.say("update_frozen")))
    sections = _ends([sum(p.layer == n for p in parameters) for n in layers])
    return [*blocks, _table("", columns, rows, sections)]


def _after(trace: Trace, w: _Writer) -> list[Block]:
    sentence = w.say(
        "after_sentence", before=w.num(trace.total_error), after=w.num(trace.error_after)
    )
    return [Heading(2, w.say("after")), Paragraph(sentence)]


def _steps(trace: Trace, w: _Writer) -> list[Block]:
    if len(trace.errors) <= 2:
        return []
    rows = [(str(step), w.num(error)) for step, error in enumerate(trace.errors)]
    columns = [(w.say("step"), True), (w.say("error"), True)]
    return [
        Heading(2, w.say("steps")),
        Paragraph(w.say("steps_intro", steps=len(trace.errors) - 1)),
        _table("", columns, rows),
    ]


def _aligned(cells: list[str]) -> list[str]:
    """Numbers padded on the left so that their decimal points line up."""

    def whole(cell: str) -> int:
        return len(cell.split(".")[0].split("e")[0])

    width = max((whole(c) for c in cells if NUMBER.fullmatch(c)), default=0)
    return [" " * (width - whole(c)) + c if NUMBER.fullmatch(c) else c for c in cells]


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
        else:
            drawn += [_heading(block), Text()]
    return drawn[:-1]


def render_text(
    trace: Trace,
    lang: str = "en",
    digits: int = DEFAULT_DIGITS,
    width: int | None = None,
    color: bool = False,
) -> str:
    """The walk-through of ``trace`` as text with aligned tables, for a terminal or a file.

    ``width`` is the most cells a line may take (a table wider than that is split into
    several, by columns); None makes every table as wide as its numbers need, with sentences
    wrapped at 100. ``color`` adds ANSI styles (bold headings and table headers).
    """
    blocks = walkthrough(trace, lang, digits)
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
        console.width = max(TEXT_WIDTH, *tables)
    for renderable in _renderables(blocks, console):
        console.print(renderable)
    return "\n".join(line.rstrip() for line in output.getvalue().splitlines()) + "\n"


def print_text(
    trace: Trace,
    lang: str = "en",
    digits: int = DEFAULT_DIGITS,
    console: Console | None = None,
) -> None:
    """Print the walk-through of ``trace`` to ``console`` (by default a new one on standard
    output), in its colours and split to its width."""
    console = console or Console()
    for renderable in _renderables(walkthrough(trace, lang, digits), console):
        console.print(renderable)
