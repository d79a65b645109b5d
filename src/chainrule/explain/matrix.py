"""The step as matrix products with their shapes, so that the neuron-by-neuron walk and
vectorised code are seen to be one computation.

``matrix_form`` writes the forward pass as netˡ = Wˡ·outˡ⁻¹ + bˡ, the backward pass as
δˡ = (Wˡ⁺¹ᵀ·δˡ⁺¹) ⊙ f′(netˡ) and ∂E/∂Wˡ = δˡ·(outˡ⁻¹)ᵀ, the update as Wˡ⁺ = Wˡ − η·∂E/∂Wˡ,
and the batch form NET = X·Wᵀ + b, ∂E/∂W = Δᵀ·X that ``nn.Linear`` computes. Every entry is
a record's number, keyed like every other number of the walk-through. ``equation_lines``
draws an equation in monospace, for the terminal and Markdown alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from .blocks import (
    Block,
    Equation,
    Heading,
    Matrix,
    Paragraph,
    Scalar,
    Table,
    _Writer,
    decimal_pads,
    plain,
)
from .records import Trace

MOST = 6
"""The most rows or columns a printed matrix has; an equation with a bigger one is shown by
its matrices' names and shapes, its numbers being in the walk-through's tables."""
WIDTH = 100
"""Where a drawn equation continues on a new line, unless told otherwise."""

_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_SYMBOLS = {"sigmoid": "σ"}
"""How an activation is written in a formula, where not by its name."""

Cells = list[list[tuple[float, str]]]
"""A matrix of (value, record key) entries, row by row."""


def _sup(layer: int) -> str:
    return str(layer).translate(_SUPERSCRIPT)


def _t(cells: Cells) -> Cells:
    return [list(row) for row in zip(*cells, strict=True)]


class _Records:
    """The records of a trace gathered into one matrix or column vector per layer."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self.names = {0: [name for name, _ in trace.inputs]}
        self.neurons: dict[int, list[int]] = {}
        for i, n in enumerate(trace.neurons):
            self.neurons.setdefault(n.layer, []).append(i)
            self.names.setdefault(n.layer, []).append(n.name)
        self.deltas: dict[int, list[int]] = {}
        for i, d in enumerate(trace.deltas):
            self.deltas.setdefault(d.layer, []).append(i)
        self.parameters = {
            (p.layer, p.kind, p.source, p.target): i for i, p in enumerate(trace.parameters)
        }

    def out(self, layer: int, field: str = "out") -> Cells:
        """outˡ (or netˡ with ``field`` "net") as a column; out⁰ is the input x."""
        if layer == 0:
            return [[(value, f"inputs.{i}.1")] for i, (_, value) in enumerate(self.trace.inputs)]
        neurons = self.trace.neurons
        return [[(getattr(neurons[i], field), f"neurons.{i}.{field}")] for i in self.neurons[layer]]

    def delta(self, layer: int, field: str) -> Cells:
        """A field of each neuron's chain rule (dE_dout, dout_dnet, dE_dnet) as a column."""
        deltas = self.trace.deltas
        return [[(getattr(deltas[i], field), f"deltas.{i}.{field}")] for i in self.deltas[layer]]

    def weights(self, layer: int, field: str) -> Cells:
        """Wˡ (``field`` "value"), ∂E/∂Wˡ ("grad") or Wˡ⁺ ("updated"): a row per neuron of
        layer ``layer``, a column per neuron (or input) of the layer before."""
        return [
            [
                self._entry(("weight", source, target), layer, field)
                for source in self.names[layer - 1]
            ]
            for target in self.names[layer]
        ]

    def biases(self, layer: int, field: str) -> Cells | None:
        """bˡ, ∂E/∂bˡ or bˡ⁺ as a column; None for a layer without biases."""
        if (layer, "bias", "1", self.names[layer][0]) not in self.parameters:
            return None
        return [[self._entry(("bias", "1", target), layer, field)] for target in self.names[layer]]

    def _entry(self, what: tuple[str, str, str], layer: int, field: str) -> tuple[float, str]:
        index = self.parameters[(layer, *what)]
        return getattr(self.trace.parameters[index], field), f"parameters.{index}.{field}"


def _matrix(name: str, cells: Cells, w: _Writer) -> Matrix:
    rows = tuple(tuple(w.num(value, key) for value, key in row) for row in cells)
    return Matrix(name, (len(cells), len(cells[0])), rows)


def _equation(*terms: Matrix | Scalar | str) -> Equation:
    """The equation of ``terms``; if one of its matrices has more than ``MOST`` rows or
    columns, it is written with names and shapes only."""
    if any(isinstance(t, Matrix) and max(t.shape) > MOST for t in terms):
        terms = tuple(_named(t) for t in terms)
    return Equation(terms)


def _named(term: Matrix | Scalar | str) -> Matrix | str:
    """``term`` without its numbers: a matrix's name and shape, a scalar's name."""
    if isinstance(term, Matrix):
        return Matrix(term.name, term.shape)
    return term.name if isinstance(term, Scalar) else term


def matrix_form(trace: Trace, w: _Writer) -> list[Block]:
    """The blocks of the step written as matrix products: forward, backward, update, and the
    batch form, each matrix with the numbers of its records."""
    blocks: list[Block] = [Heading(2, w.say("matrix")), Paragraph(w.say("matrix_intro"))]
    if max(trace.layer_sizes) > MOST:
        blocks.append(Paragraph(w.say("matrix_capped", most=MOST)))
    records = _Records(trace)
    for section in (_forward, _backward, _update, _batch):
        blocks += section(trace, records, w)
    return blocks


def _input_name(layer: int) -> str:
    return "x" if layer == 1 else f"out{_sup(layer - 1)}"


def _function(trace: Trace, layer: int) -> str:
    activation = trace.layer(layer)[0].activation
    return _SYMBOLS.get(activation, activation)


def _forward(trace: Trace, records: _Records, w: _Writer) -> list[Block]:
    blocks: list[Block] = [Heading(3, w.say("forward")), Paragraph(w.say("matrix_forward"))]
    for layer in range(1, trace.depth + 1):
        s = _sup(layer)
        net = _matrix(f"net{s}", records.out(layer, "net"), w)
        terms: list[Matrix | str] = [
            net,
            "=",
            _matrix(f"W{s}", records.weights(layer, "value"), w),
            "·",
            _matrix(_input_name(layer), records.out(layer - 1), w),
        ]
        biases = records.biases(layer, "value")
        if biases is not None:
            terms += ["+", _matrix(f"b{s}", biases, w)]
        out = _matrix(f"out{s}", records.out(layer), w)
        blocks += [_equation(*terms), _equation(out, "=", _function(trace, layer), net)]
    return blocks


def _backward(trace: Trace, records: _Records, w: _Writer) -> list[Block]:
    blocks: list[Block] = [Heading(3, w.say("backward")), Paragraph(w.say("matrix_backward"))]
    for layer in range(trace.depth, 0, -1):
        s = _sup(layer)
        dE_dout = _matrix(f"∂E/∂out{s}", records.delta(layer, "dE_dout"), w)
        if layer < trace.depth:
            weights = _matrix(f"W{_sup(layer + 1)}ᵀ", _t(records.weights(layer + 1, "value")), w)
            later = _matrix(f"δ{_sup(layer + 1)}", records.delta(layer + 1, "dE_dnet"), w)
            blocks.append(_equation(dE_dout, "=", weights, "·", later))
        derivative = f"{_function(trace, layer)}′(net{s})"
        blocks.append(
            _equation(
                _matrix(f"δ{s}", records.delta(layer, "dE_dnet"), w),
                "=",
                dE_dout,
                "⊙",
                _matrix(derivative, records.delta(layer, "dout_dnet"), w),
            )
        )
    blocks.append(Paragraph(w.say("matrix_gradients")))
    for layer in range(trace.depth, 0, -1):
        s = _sup(layer)
        delta = _matrix(f"δ{s}", records.delta(layer, "dE_dnet"), w)
        source = _input_name(layer)
        blocks.append(
            _equation(
                _matrix(f"∂E/∂W{s}", records.weights(layer, "grad"), w),
                "=",
                delta,
                "·",
                _matrix(
                    f"{source}ᵀ" if layer == 1 else f"({source})ᵀ", _t(records.out(layer - 1)), w
                ),
            )
        )
        grads = records.biases(layer, "grad")
        if grads is not None:
            blocks.append(_equation(_matrix(f"∂E/∂b{s}", grads, w), "=", delta))
    return blocks


def _update(trace: Trace, records: _Records, w: _Writer) -> list[Block]:
    blocks: list[Block] = [Heading(3, w.say("update")), Paragraph(w.say("matrix_update"))]
    if trace.frozen_biases:
        blocks.append(Paragraph(w.say("update_frozen")))
    eta = Scalar("η", w.num(trace.lr, "lr"))
    for layer in range(trace.depth, 0, -1):
        s = _sup(layer)
        kinds = [("W", records.weights)]
        if not trace.frozen_biases and records.biases(layer, "value") is not None:
            kinds.append(("b", records.biases))
        for kind, field in kinds:
            blocks.append(
                _equation(
                    _matrix(f"{kind}{s}⁺", field(layer, "updated"), w),
                    "=",
                    _matrix(f"{kind}{s}", field(layer, "value"), w),
                    "−",
                    eta,
                    "·",
                    _matrix(f"∂E/∂{kind}{s}", field(layer, "grad"), w),
                )
            )
    return blocks


def _batch(trace: Trace, records: _Records, w: _Writer) -> list[Block]:
    """The batch form's shapes for every layer, and the first layer's products with B = 1."""
    sizes = trace.layer_sizes
    rows = []
    for layer in range(1, trace.depth + 1):
        n, m = sizes[layer - 1], sizes[layer]
        biased = records.biases(layer, "value") is not None
        rows.append(
            (
                w.layer_name(trace, layer),
                f"(B×{n})",
                f"({n}×{m})",
                f"(1×{m})" if biased else "—",
                f"(B×{m})",
                f"(B×{m})",
                f"({m}×B) · (B×{n}) = ({m}×{n})",
            )
        )
    columns = ("layer", "X", "Wᵀ", "b", "NET = X · Wᵀ + b", "Δ", "∂E/∂W = Δᵀ · X")
    table = Table((w.say("layer"), *columns[1:]), (False,) * len(columns), tuple(rows))
    terms: list[Matrix | str] = [
        _matrix("NET¹", _t(records.out(1, "net")), w),
        "=",
        _matrix("X", _t(records.out(0)), w),
        "·",
        _matrix("W¹ᵀ", _t(records.weights(1, "value")), w),
    ]
    biases = records.biases(1, "value")
    if biases is not None:
        terms += ["+", _matrix("b¹", _t(biases), w)]
    gradient = _equation(
        _matrix("∂E/∂W¹", records.weights(1, "grad"), w),
        "=",
        _matrix("Δ¹ᵀ", records.delta(1, "dE_dnet"), w),
        "·",
        _matrix("X", _t(records.out(0)), w),
    )
    return [
        Heading(3, w.say("matrix_batch")),
        Paragraph(w.say("matrix_batch_intro")),
        table,
        Paragraph(w.say("matrix_batch_one")),
        _equation(*terms),
        gradient,
    ]


def equation_lines(equation: Equation, width: int | None = WIDTH) -> list[str]:
    """``equation`` drawn in monospace: the names on the first line (so that it reads as a
    formula), the shapes under them, then the matrices side by side in brackets with the
    operators on their middle row. Wider than ``width`` cells (None: never), it goes on
    below, starting again at an operator."""
    units: list[list[_Column]] = []
    for column in map(_column, equation.terms):
        if not units or (column.operator and not units[-1][-1].operator):
            units.append([])
        units[-1].append(column)
    groups: list[list[_Column]] = [[]]
    for unit in units:
        if groups[-1] and width is not None and _width([*groups[-1], *unit]) > width:
            groups.append([])
        groups[-1] += unit
    lines: list[str] = []
    for group in groups:
        lines += [""] * bool(lines) + _draw(group)
    return lines


@dataclass(frozen=True)
class _Column:
    """A term as lines: [name, shape, body…]; an operator's one line is drawn on the names'
    line and on the matrices' middle row."""

    lines: list[str]
    operator: bool = False

    @property
    def width(self) -> int:
        return max(map(len, self.lines))


def _column(term: Matrix | Scalar | str) -> _Column:
    if isinstance(term, str):
        return _Column([plain(term)], operator=True)
    if isinstance(term, Scalar):
        return _Column([plain(term.name), "", plain(term.value)])
    rows, columns = term.shape
    return _Column([plain(term.name), f"({rows}×{columns})", *_bracketed(term.rows)])


def _bracketed(rows: tuple[tuple[str, ...], ...]) -> list[str]:
    """The rows of a matrix, each column's numbers lined up on the decimal point, between
    brackets as tall as the matrix."""
    if not rows:
        return []
    columns = []
    for cells in zip(*rows, strict=True):
        cells = [plain(cell) for cell in cells]
        padded = [" " * (pad or 0) + c for c, pad in zip(cells, decimal_pads(cells), strict=True)]
        columns.append([c.ljust(max(map(len, padded))) for c in padded])
    lines = ["  ".join(row) for row in zip(*columns, strict=True)]
    if len(lines) == 1:
        return [f"[ {lines[0]} ]"]
    left = ["⎡", *"⎢" * (len(lines) - 2), "⎣"]
    right = ["⎤", *"⎥" * (len(lines) - 2), "⎦"]
    return [f"{a} {line} {b}" for a, line, b in zip(left, lines, right, strict=True)]


def _width(columns: list[_Column]) -> int:
    return sum(c.width for c in columns) + 2 * (len(columns) - 1)


def _draw(columns: list[_Column]) -> list[str]:
    """One line of ``columns``: names, shapes, then bodies centred on the middle row."""
    height = max((len(c.lines) - 2 for c in columns if not c.operator), default=0)
    middle = 2 + (height - 1) // 2
    grid = []
    for column in columns:
        cells = [""] * (2 + height)
        if column.operator:
            cells[0] = column.lines[0]
            if height:
                cells[middle] = column.lines[0]
        else:
            body = column.lines[2:]
            top = 2 + (height - len(body)) // 2
            cells[:2] = column.lines[:2]
            cells[top : top + len(body)] = body
        grid.append([cell.ljust(column.width) for cell in cells])
    return ["  ".join(line).rstrip() for line in zip(*grid, strict=True)]
