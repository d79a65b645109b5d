"""The walk-through as blocks that every format lays out: headings, sentences and tables of
strings, with no drawing in them.

``walkthrough`` turns a Trace into these blocks in the order seed 000 works its example: the
network, the inputs, the forward pass, the error, the backward pass, the update and the error
after it. Every number goes through ``fmt`` and every word through ``say``, so a language or a
count of digits changes nothing else. The terminal, Markdown and HTML renderers draw the same
blocks, so they cannot disagree; none of them is imported here.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .labels import say
from .numbers import DEFAULT_DIGITS, fmt
from .pictures import Curve, Picture
from .records import Delta, ParameterStep, Trace

_NUMBER = re.compile(r"-?\d+(?:\.\d*)?(?:e[+-]?\d+)?")
_KEYED = re.compile("\ue000([^\ue001]*)\ue001([^\ue002]*)\ue002")
"""A number marked with its record key (private-use characters around ``key`` and ``text``)."""


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


Block = Heading | Paragraph | Table | Picture


def plain(text: str) -> str:
    """``text`` without the record keys that a keyed walk-through marks its numbers with."""
    return _KEYED.sub(r"\2", text)


def keyed_pieces(text: str) -> list[tuple[str | None, str]]:
    """``text`` cut into (record key, number) pieces and (None, words) pieces, in order."""
    pieces: list[tuple[str | None, str]] = []
    start = 0
    for match in _KEYED.finditer(text):
        if match.start() > start:
            pieces.append((None, text[start : match.start()]))
        pieces.append((match.group(1), match.group(2)))
        start = match.end()
    if start < len(text):
        pieces.append((None, text[start:]))
    return pieces


@dataclass(frozen=True)
class _Writer:
    """Words in one language and numbers to one count of significant digits; ``keyed`` marks
    each number with the path of the record it shows (``record_key``), so a page can find and
    recompute it."""

    lang: str
    digits: int
    keyed: bool = False

    def say(self, key: str, **values: object) -> str:
        return say(self.lang, key, **values)

    def num(self, value: float | None, key: str | None = None) -> str:
        text = fmt(value, self.digits)
        if self.keyed and key is not None:
            return f"\ue000{key}\ue001{text}\ue002"
        return text

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


def walkthrough(
    trace: Trace, lang: str = "en", digits: int = DEFAULT_DIGITS, keyed: bool = False
) -> list[Block]:
    """The blocks of the walk-through of ``trace``, in seed 000's order. With ``keyed``, every
    number carries the path of its record in ``dataclasses.asdict(trace)`` (e.g.
    "neurons.2.out", "parameters.5.grad", "errors.3"); ``keyed_pieces`` reads them back and
    ``plain`` drops them."""
    w = _Writer(lang, digits, keyed)
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
        Paragraph(w.say("learning_rate", lr=w.num(trace.lr, "lr"))),
        Paragraph(w.say(biases)),
    ]


def _inputs(trace: Trace, w: _Writer) -> list[Block]:
    rows = [(name, w.num(value, f"inputs.{i}.1")) for i, (name, value) in enumerate(trace.inputs)]
    columns = [(w.say("input"), False), (w.say("value"), True)]
    return [Heading(2, w.say("inputs")), _table("", columns, rows)]


def _forward(trace: Trace, w: _Writer) -> list[Block]:
    blocks: list[Block] = [Heading(2, w.say("forward")), Paragraph(w.say("forward_intro"))]
    columns = [(w.say("neuron"), False), (w.say("net"), True), (w.say("out"), True)]
    for number in range(1, trace.depth + 1):
        rows = [
            (n.name, w.num(n.net, f"neurons.{i}.net"), w.num(n.out, f"neurons.{i}.out"))
            for i, n in enumerate(trace.neurons)
            if n.layer == number
        ]
        blocks.append(_table(w.layer(trace, number), columns, rows))
    return blocks


def _errors(trace: Trace, w: _Writer) -> list[Block]:
    columns = [
        (w.say("output"), False),
        (w.say("target"), True),
        (w.say("out"), True),
        (w.say("term"), True),
    ]
    rows = [
        (
            t.output,
            w.num(t.target, f"loss_terms.{k}.target"),
            w.num(t.out, f"loss_terms.{k}.out"),
            w.num(t.value, f"loss_terms.{k}.value"),
        )
        for k, t in enumerate(trace.loss_terms)
    ]
    terms = " + ".join(
        w.num(t.value, f"loss_terms.{k}.value") for k, t in enumerate(trace.loss_terms)
    )
    return [
        Heading(2, w.say("errors")),
        Paragraph(w.say("errors_intro")),
        _table("", columns, rows),
        Paragraph(f"{w.say('total')} = {terms} = {w.num(trace.total_error, 'total_error')}"),
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
        deltas = [(i, d) for i, d in enumerate(trace.deltas) if d.layer == number]
        if number < trace.depth:
            blocks += _feeds(trace, w, number, deltas)
        rows = [
            (
                d.neuron,
                w.num(d.dE_dout, f"deltas.{i}.dE_dout"),
                w.num(d.dout_dnet, f"deltas.{i}.dout_dnet"),
                w.num(d.dE_dnet, f"deltas.{i}.dE_dnet"),
            )
            for i, d in deltas
        ]
        blocks.append(_table(w.layer(trace, number), columns, rows))
    return blocks + _gradients(trace, w)


def _feeds(trace: Trace, w: _Writer, number: int, deltas: list[tuple[int, Delta]]) -> list[Block]:
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
            w.num(f.dE_dnet, f"deltas.{i}.feeds.{k}.dE_dnet"),
            weights[d.neuron, f.to],
            w.num(f.weight, f"deltas.{i}.feeds.{k}.weight"),
            w.num(f.product, f"deltas.{i}.feeds.{k}.product"),
        )
        for i, d in deltas
        for k, f in enumerate(d.feeds)
    ]
    title = f"{w.layer(trace, number)}: {w.say('sum_over')}"
    sums = [Paragraph(_sum(i, d, w)) for i, d in deltas]
    return [_table(title, columns, rows, _ends([len(d.feeds) for _, d in deltas])), *sums]


def _sum(index: int, delta: Delta, w: _Writer) -> str:
    """∂E/∂out of a hidden neuron as the sum of its terms, e.g. "∂E/∂out_h1 = 0.0553994247 +
    -0.0190491183 = 0.0363503064"; a single term is the whole of it."""
    terms = [
        w.num(f.product, f"deltas.{index}.feeds.{k}.product") for k, f in enumerate(delta.feeds)
    ]
    total = w.num(delta.dE_dout, f"deltas.{index}.dE_dout")
    shown = terms if len(terms) == 1 else [" + ".join(terms), total]
    return " = ".join([f"∂E/∂out_{delta.neuron}", *shown])


def _in_seed_order(trace: Trace) -> list[tuple[int, ParameterStep]]:
    """(index in ``trace.parameters``, record): output layer first, then back towards the
    inputs; in a layer, weights before biases."""
    return sorted(
        enumerate(trace.parameters), key=lambda ip: (-ip[1].layer, ip[1].kind != "weight")
    )


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
            w.num(p.dE_dout, f"parameters.{i}.dE_dout"),
            w.num(p.dout_dnet, f"parameters.{i}.dout_dnet"),
            w.num(p.dnet_dparam, f"parameters.{i}.dnet_dparam"),
            w.num(p.product, f"parameters.{i}.product"),
            w.num(p.grad, f"parameters.{i}.grad"),
        )
        for i, p in parameters
    ]
    layers = sorted({p.layer for _, p in parameters}, reverse=True)
    examples = [
        next((i, p) for i, p in parameters if p.layer == number and p.kind == "weight")
        for number in layers
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
                    dE_dout=w.num(p.dE_dout, f"parameters.{i}.dE_dout"),
                    dout_dnet=w.num(p.dout_dnet, f"parameters.{i}.dout_dnet"),
                    dnet_dparam=w.num(p.dnet_dparam, f"parameters.{i}.dnet_dparam"),
                    product=w.num(p.product, f"parameters.{i}.product"),
                )
            )
            for i, p in examples
        ),
        _table(
            "", columns, rows, _ends([sum(p.layer == n for _, p in parameters) for n in layers])
        ),
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
            w.num(p.value, f"parameters.{i}.value"),
            w.num(p.grad, f"parameters.{i}.grad"),
            w.say("frozen") if p.updated is None else w.num(p.updated, f"parameters.{i}.updated"),
        )
        for i, p in parameters
    ]
    layers = sorted({p.layer for _, p in parameters}, reverse=True)
    blocks: list[Block] = [
        Heading(2, w.say("update")),
        Paragraph(w.say("update_intro", lr=w.num(trace.lr, "lr"))),
    ]
    if trace.frozen_biases:
        blocks.append(Paragraph(w.say("update_frozen")))
    sections = _ends([sum(p.layer == n for _, p in parameters) for n in layers])
    return [*blocks, _table("", columns, rows, sections)]


def _after(trace: Trace, w: _Writer) -> list[Block]:
    sentence = w.say(
        "after_sentence",
        before=w.num(trace.total_error, "total_error"),
        after=w.num(trace.error_after, "error_after"),
    )
    return [Heading(2, w.say("after")), Paragraph(sentence)]


def _steps(trace: Trace, w: _Writer) -> list[Block]:
    if len(trace.errors) <= 2:
        return []
    rows = [(str(step), w.num(error, f"errors.{step}")) for step, error in enumerate(trace.errors)]
    columns = [(w.say("step"), True), (w.say("error"), True)]
    last = len(trace.errors) - 1
    curve = Curve(
        tuple(trace.errors),
        "E",
        w.num(trace.errors[0]),
        w.num(trace.errors[last]),
        w.say("step"),
        "errors",
    )
    return [
        Heading(2, w.say("steps")),
        Paragraph(w.say("steps_intro", steps=len(trace.errors) - 1)),
        curve,
        _table("", columns, rows),
    ]


def decimal_pads(cells: Sequence[str]) -> list[int | None]:
    """For each cell of a numeric column, the characters to pad it by on the left so that the
    column's decimal points line up; None for a cell that is a word ("frozen")."""

    def whole(cell: str) -> int:
        return len(cell.split(".")[0].split("e")[0])

    width = max((whole(c) for c in cells if _NUMBER.fullmatch(c)), default=0)
    return [width - whole(c) if _NUMBER.fullmatch(c) else None for c in cells]
