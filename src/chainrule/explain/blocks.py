"""The walk-through as blocks that every format lays out: headings, sentences and tables of
strings, with no drawing in them.

``walkthrough`` turns a Trace into these blocks in the order seed 000 works its example: the
network, the inputs, the initial weights and biases, the forward pass, the error, the backward
pass, the update and the error after it. Each quantity comes as a table row and as its formula
with the numbers substituted (``formulas``). Every number goes through ``fmt`` and every word
through ``say``, so a language or a count of digits changes nothing else. The terminal,
Markdown and HTML renderers draw the same blocks, so they cannot disagree; none of them is
imported here.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .formulas import Formulas
from .labels import credit, say
from .numbers import DEFAULT_DIGITS, holds, shown
from .pictures import Curve, Picture
from .records import Delta, ParameterStep, Trace

_NUMBER = re.compile(r"-?\d+(?:\.\d*)?(?:e[+-]?\d+)?")
_KEYED = re.compile("\ue000([^\ue001\ue003]*)(?:\ue003([^\ue001]*))?\ue001([^\ue002]*)\ue002")
"""A number marked with its record key and, if it has one, its form (``numbers.FORMS``):
private-use characters around ``key``, ``form`` and ``text``."""
_BRANCH = re.compile("\ue004([^\ue005]*)\ue005([^\ue005]*)\ue005([01])\ue006([^\ue007]*)\ue007")
"""Words (numbers among them) shown only where a test on some records holds: the test, the
records' keys, whether it holds for this trace, and the words."""


@dataclass(frozen=True)
class When:
    """Where a branch of a keyed text shows: ``test`` (``numbers.holds``) on the records at
    ``keys``, and whether it holds for the trace the text was written from."""

    test: str
    keys: tuple[str, ...]
    holds: bool


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


@dataclass(frozen=True)
class Matrix:
    """A matrix of an equation: its name, its shape (rows, columns) and its entries, row by
    row; with no ``rows``, one too big to print, shown by its name and shape only."""

    name: str
    shape: tuple[int, int]
    rows: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class Scalar:
    """A number of an equation, under its name (the learning rate η)."""

    name: str
    value: str


@dataclass(frozen=True)
class Equation:
    """Matrices, scalars and the operators between them ("=", "·", "+", "⊙", "σ"), in
    order, e.g. net¹ = W¹ · x + b¹: drawn side by side, each matrix under its name and shape."""

    terms: tuple[Matrix | Scalar | str, ...]


Block = Heading | Paragraph | Table | Equation | Picture


def resolved(text: str) -> str:
    """``text`` as it reads: of its branches, those that hold, unmarked; numbers still keyed."""
    return _BRANCH.sub(lambda m: m.group(4) if m.group(3) == "1" else "", text)


def plain(text: str) -> str:
    """``text`` as it reads, without the marks of a keyed walk-through."""
    return _KEYED.sub(r"\3", resolved(text))


def branches(text: str) -> list[tuple[When | None, str]]:
    """``text`` cut into pieces shown whatever the numbers, (None, text), and branches shown
    only where a test holds, (When, text), in order; numbers still keyed."""
    pieces: list[tuple[When | None, str]] = []
    start = 0
    for match in _BRANCH.finditer(text):
        if match.start() > start:
            pieces.append((None, text[start : match.start()]))
        test, keys, holds, words = match.groups()
        pieces.append((When(test, tuple(keys.split()), holds == "1"), words))
        start = match.end()
    if start < len(text):
        pieces.append((None, text[start:]))
    return pieces


def marked_numbers(text: str) -> list[tuple[str | None, str, str]]:
    """``text`` (without branches) cut into (record key, form, number as written) pieces and
    (None, "", words) pieces, in order."""
    pieces: list[tuple[str | None, str, str]] = []
    start = 0
    for match in _KEYED.finditer(text):
        if match.start() > start:
            pieces.append((None, "", text[start : match.start()]))
        pieces.append((match.group(1), match.group(2) or "", match.group(3)))
        start = match.end()
    if start < len(text):
        pieces.append((None, "", text[start:]))
    return pieces


def keyed_pieces(text: str) -> list[tuple[str | None, str]]:
    """``text`` as it reads cut into (record key, number) pieces and (None, words) pieces, in
    order; the parentheses round a negative operand are words."""
    pieces: list[tuple[str | None, str]] = []
    for key, form, piece in marked_numbers(resolved(text)):
        if key is not None and form == "paren" and piece.startswith("("):
            pieces += [(None, "("), (key, piece[1:-1]), (None, ")")]
        else:
            pieces.append((key, piece))
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

    def num(self, value: float | None, key: str | None = None, form: str = "") -> str:
        """``value`` written in ``form`` (``numbers.FORMS``); keyed, marked with ``key``."""
        text = shown(value, self.digits, form)
        if self.keyed and key is not None:
            mark = f"{key}\ue003{form}" if form else key
            return f"\ue000{mark}\ue001{text}\ue002"
        return text

    def when(self, test: str, records: Sequence[tuple[float, str]], text: str) -> str:
        """``text`` where ``test`` (``numbers.holds``) holds for the (value, key) ``records``,
        else nothing; keyed, ``text`` whatever the values, marked with the test and the keys,
        so that a page can show it when the test comes to hold."""
        holds_now = holds(test, [value for value, _ in records])
        if not self.keyed:
            return text if holds_now else ""
        keys = " ".join(key for _, key in records)
        return f"\ue004{test}\ue005{keys}\ue005{int(holds_now)}\ue006{text}\ue007"

    def choose(self, test: str, records: Sequence[tuple[float, str]], yes: str, no: str) -> str:
        """``yes`` where ``test`` holds for ``records``, else ``no`` (both, keyed)."""
        return self.when(test, records, yes) + self.when(f"!{test}", records, no)

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
    trace: Trace,
    lang: str = "en",
    digits: int = DEFAULT_DIGITS,
    keyed: bool = False,
    matrix: bool = False,
) -> list[Block]:
    """The blocks of the walk-through of ``trace``, in seed 000's order. With ``keyed``, every
    number carries the path of its record in ``dataclasses.asdict(trace)`` (e.g.
    "neurons.2.out", "parameters.5.grad", "errors.3") and its form (a negative operand in
    parentheses), and words that other values would change ("> 0" or "≤ 0", a formula's
    branch, a note that holds only while some biases are equal) are written for every value,
    each marked with the test that decides it (``_Writer.when``), so that a page can show
    the one that holds; ``keyed_pieces`` reads the numbers back and ``plain`` gives the text
    as it reads. With ``matrix``, the same step follows as matrix products."""
    w = _Writer(lang, digits, keyed)
    works = ("mazur", "saito") if trace.loss == "ce" else ("mazur",)
    blocks: list[Block] = [Heading(1, w.say("title")), Paragraph(credit(lang, *works))]
    sections = (_network, _inputs, _initial, _forward, _errors, _backward, _update, _after, _steps)
    for section in sections:
        blocks += section(trace, w)
    if matrix:
        from .matrix import matrix_form  # matrix.py builds on this module's blocks

        blocks += matrix_form(trace, w)
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
        *([Paragraph(w.say("widened", dtype=trace.widened_from))] if trace.widened_from else []),
    ]


def _inputs(trace: Trace, w: _Writer) -> list[Block]:
    rows = [(name, w.num(value, f"inputs.{i}.1")) for i, (name, value) in enumerate(trace.inputs)]
    columns = [(w.say("input"), False), (w.say("value"), True)]
    return [Heading(2, w.say("inputs")), _table("", columns, rows)]


def _initial(trace: Trace, w: _Writer) -> list[Block]:
    """The weights and biases before the step, layer by layer from the inputs, with a note
    where a layer's biases start equal (the worked example writes them as one b1)."""
    columns = [(w.say("parameter"), False), (w.say("connects"), False), (w.say("value"), True)]
    rows = [
        (p.name, f"{p.source} → {p.target}", w.num(p.value, f"parameters.{i}.value"))
        for i, p in enumerate(trace.parameters)
    ]
    layers = range(1, trace.depth + 1)
    sizes = [sum(p.layer == n for p in trace.parameters) for n in layers]
    blocks: list[Block] = [
        Heading(2, w.say("initial")),
        Paragraph(w.say("initial_intro")),
        _table("", columns, rows, _ends(sizes)),
    ]
    for number in layers:
        biases = [
            (i, p) for i, p in enumerate(trace.parameters) if p.layer == number and p.kind == "bias"
        ]
        if len(biases) > 1:
            i, p = biases[0]
            names = ", ".join(p.name for _, p in biases)
            value = w.num(p.value, f"parameters.{i}.value")
            values = [(p.value, f"parameters.{i}.value") for i, p in biases]
            note = w.when("equal", values, w.say("initial_equal_biases", names=names, value=value))
            blocks += [Paragraph(note)] if note else []
    return blocks


def _forward(trace: Trace, w: _Writer) -> list[Block]:
    blocks: list[Block] = [Heading(2, w.say("forward")), Paragraph(w.say("forward_intro"))]
    columns = [(w.say("neuron"), False), (w.say("net"), True), (w.say("out"), True)]
    formulas = Formulas(trace, w)
    for number in range(1, trace.depth + 1):
        layer = [(i, n) for i, n in enumerate(trace.neurons) if n.layer == number]
        rows = [
            (n.name, w.num(n.net, f"neurons.{i}.net"), w.num(n.out, f"neurons.{i}.out"))
            for i, n in layer
        ]
        blocks.append(_table(w.layer(trace, number), columns, rows))
        blocks += [Paragraph(f(i)) for i, _ in layer for f in (formulas.net, formulas.out)]
    return blocks


def _errors(trace: Trace, w: _Writer) -> list[Block]:
    formulas = Formulas(trace, w)
    ce = trace.loss == "ce"
    columns = [
        (w.say("output"), False),
        (w.say("target"), True),
        (w.say("out"), True),
        *([(w.say("probability"), True)] if ce else []),
        (w.say("term"), True),
    ]
    rows = [
        (
            t.output,
            w.num(t.target, f"loss_terms.{k}.target"),
            w.num(t.out, f"loss_terms.{k}.out"),
            *([w.num(t.probability, f"loss_terms.{k}.probability")] if ce else []),
            w.num(t.value, f"loss_terms.{k}.value"),
        )
        for k, t in enumerate(trace.loss_terms)
    ]
    blocks: list[Block] = [Heading(2, w.say("errors")), Paragraph(w.say("errors_intro"))]
    outputs = range(len(trace.loss_terms))
    if ce:
        blocks.append(Paragraph(w.say("ce_intro")))
        blocks += [Paragraph(formulas.probability(k)) for k in outputs]
    if trace.loss in ("mse", "bce"):
        blocks.append(Paragraph(w.say("outputs_n", n=formulas.outputs())))
    return [
        *blocks,
        _table("", columns, rows),
        *(Paragraph(formulas.term(k)) for k in outputs),
        Paragraph(formulas.total()),
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
    formulas = Formulas(trace, w)
    for number in range(trace.depth, 0, -1):
        deltas = [(i, d) for i, d in enumerate(trace.deltas) if d.layer == number]
        if number < trace.depth:
            blocks += _feeds(trace, w, number, deltas)
        elif trace.loss == "ce":
            blocks += _softmax_backward(trace, w, formulas)
        for i, d in deltas:
            if number < trace.depth:
                lines = [formulas.hidden_dE_dout(i)]
            else:  # ce's ∂E/∂out are the derivation's last lines
                lines = [] if trace.loss == "ce" else [formulas.output_dE_dout(d.index)]
            lines += [formulas.dout_dnet(i), formulas.dE_dnet(i)]
            blocks += map(Paragraph, lines)
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


def _softmax_backward(trace: Trace, w: _Writer, formulas: Formulas) -> list[Block]:
    """∂E/∂out of each output under ce, derived as Koki Saito's *Deep Learning from Scratch*
    derives its SoftmaxWithLoss layer's y − t: ∂E/∂y, the softmax's Jacobian, the chain
    rule's sum over every y, and what that sum comes to; each step with its numbers."""
    outputs = range(len(trace.loss_terms))
    collapse = w.choose(
        "sums_to_one",
        formulas.targets(),
        w.say("ce_step_collapse"),
        w.say("ce_step_collapse_soft"),
    )
    return [
        Heading(3, w.say("ce_backward")),
        Paragraph(w.say("ce_backward_intro")),
        Paragraph(w.say("ce_step_dE_dy")),
        *(Paragraph(formulas.softmax_dE_dy(j)) for j in outputs),
        Paragraph(w.say("ce_step_jacobian")),
        *(Paragraph(formulas.softmax_jacobian(j)) for j in outputs),
        Paragraph(w.say("ce_step_chain")),
        *(Paragraph(formulas.softmax_chain(k)) for k in outputs),
        Paragraph(collapse),
        *(Paragraph(formulas.softmax_collapse(k)) for k in outputs),
    ]


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
    return [_table(title, columns, rows, _ends([len(d.feeds) for _, d in deltas]))]


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
    formulas = Formulas(trace, w)
    return [
        Heading(3, w.say("gradients")),
        Paragraph(w.say("backward_intro")),
        Paragraph(w.say("gradients_intro")),
        *(Paragraph(formulas.gradient(i)) for i, _ in parameters),
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
    formulas = Formulas(trace, w)
    blocks += [Paragraph(formulas.update(i)) for i, _ in parameters]
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
