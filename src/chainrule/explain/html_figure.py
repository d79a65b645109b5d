"""The network drawing of the HTML walk-through: one inline SVG per step.

Neurons are circles in columns (inputs, hidden layers, outputs). A bias is a node "1" below
the column before its layer, so every parameter, weight or bias, is one edge with one
label. The three steps draw the same network and label it differently:

- forward: each neuron's net and out, each edge's weight, each output's target and error;
- backward: each neuron's ∂E/∂out and ∂E/∂net (δ), each edge's ∂E/∂w (the engine's
  ``.grad``), coloured by its sign;
- update: each edge's new value (old → new in its tooltip; the old one is the forward
  step's, at the same place), and the error before → after.

Every number is ``fmt``'s string inside a ``<tspan data-k="record key">``, and every tooltip
a ``data-tpl`` template of record keys, so the page's script can refill them when the
learner changes the network; edges carry ``data-p`` (the parameter's index) and nodes
``data-n`` (the neuron's name) for the step-through to light them. The layout reserves each
number the width of a ``digits``-digit one, so that numbers the page recomputes still fit.

Nothing is measured in the browser: text widths are estimated from a monospace font. The
drawing has a viewBox and scales to the width of its box. The columns are set far enough
apart for the numbers under the neurons; the labels of a gap's edges are placed one by one
along their edges where they clear the nodes, the numbers and one another, and a gap whose
labels would make the drawing wider than ``WIDTH`` keeps its numbers in tooltips (and the
tables), as does a network with a layer of more than ``DETAILED_MAX`` neurons, which is
drawn small.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from html import escape

from .labels import say
from .numbers import fmt
from .records import ParameterStep, Trace

STEPS = ("forward", "backward", "update")
DETAILED_MAX = 6  # the largest layer drawn with numbers under its neurons
WIDTH = 1240  # the widest drawing with edge labels: at most 1/0.88 of the page
MONO_EM = 0.62  # the advance of a monospace glyph, in em, with a little to spare
LABEL_PX = 14  # edge labels
VALUE_PX = 15  # numbers under neurons
KEY_PX = 13  # the symbols before them (net, out, ∂E/∂net)
PILL = 26  # height of an edge label
PILL_PAD = 18  # an edge label's width beyond its text
CARD_TOP = 22  # from a circle's bottom to its first line of numbers
LINE = 20  # between lines of numbers
BIAS_SCALE = 0.55  # a bias node's radius, as a share of a neuron's
GAP_MIN, GAP_MAX = 190, 640  # between columns
GAP_STEP = 10
MARGIN = 28
BADGE_PAD = 12  # inside the total error's box
HEADER = 40  # room for the column names above the first neuron
THICKEST = {True: 5.0, False: 2.5}  # an edge's widest stroke, detailed or small
EDGE_GREY = 1.6  # an edge's stroke where no gradient colours it

Point = tuple[float, float]
Box = tuple[float, float, float, float]  # left, top, right, bottom
Span = tuple[float, float, float, float]  # left, symbols' end, numbers' start, right
Pieces = tuple[tuple[str, str | None], ...]  # (text, record key or None for words)


def _overlap(a: Box, b: Box, margin: float = 10) -> bool:
    return (
        a[0] < b[2] + margin
        and b[0] < a[2] + margin
        and a[1] < b[3] + margin
        and b[1] < a[3] + margin
    )


def _crosses(box: Box, a: Point, b: Point) -> bool:
    """Whether the segment from ``a`` to ``b`` passes through ``box`` (clipped, parametric)."""
    low, high = 0.0, 1.0
    dx, dy = b[0] - a[0], b[1] - a[1]
    for p, q in (
        (-dx, a[0] - box[0]),
        (dx, box[2] - a[0]),
        (-dy, a[1] - box[1]),
        (dy, box[3] - a[1]),
    ):
        if p == 0:
            if q < 0:
                return False
            continue
        r = q / p
        if p < 0:
            low = max(low, r)
        else:
            high = min(high, r)
        if low > high:
            return False
    return True


@dataclass(frozen=True)
class Node:
    """A neuron, input or bias node, placed."""

    key: str  # the neuron's name, or "1:<layer>" for the bias node feeding <layer>
    label: str
    kind: str  # "input", "hidden", "output" or "bias"
    x: float
    y: float


def _width(text: str, px: float) -> float:
    """Estimated width of ``text`` at ``px``: wide glyphs (Hangul, CJK) count double. The
    page's script estimates the same way (``textWidth`` in page.js)."""
    return sum(2 * MONO_EM if ord(c) >= 0x1100 else MONO_EM for c in text) * px


def _attrs(**values: object) -> str:
    """SVG attributes from keywords (aria_label= gives aria-label, data_k= data-k), numbers
    to 0.1 px."""
    return "".join(
        f' {name.replace("_", "-")}="{f"{v:.1f}" if isinstance(v, float) else escape(str(v))}"'
        for name, v in values.items()
    )


def markup(pieces: Pieces, tag: str = "tspan") -> str:
    """Words escaped, each number a ``<tspan data-k>`` (in HTML, a ``<span>``) that the
    page's script refills."""
    return "".join(
        escape(text) if key is None else f'<{tag} data-k="{escape(key)}">{escape(text)}</{tag}>'
        for text, key in pieces
    )


def plain(pieces: Pieces) -> str:
    return "".join(text for text, _ in pieces)


def template(pieces: Pieces) -> str:
    """The pieces with each number as ``{record key}``: a tooltip the script refills."""
    return "".join(text if key is None else f"{{{key}}}" for text, key in pieces)


class Figure:
    """The placed network of a trace and its labels for each step."""

    def __init__(self, trace: Trace, lang: str, digits: int) -> None:
        self.trace, self.lang, self.digits = trace, lang, digits
        self.sizes = trace.layer_sizes
        self.detailed = max(self.sizes) <= DETAILED_MAX
        self.radius = 26 if self.detailed else 15
        self.spacing = 150 if self.detailed else 44
        self.cards = {step: self._cards(step) for step in STEPS}
        self.edge_labels = {step: self._edge_labels(step) for step in STEPS}
        self.nodes, self.label_at = self._place()
        self.width = self._side_x() + max(self._side_width(), self._badge_size()[0]) + MARGIN
        self.height = max(self._bottom(), self._badge_y() + self._badge_size()[1] / 2) + MARGIN

    def _num(self, value: float | None, key: str) -> tuple[str, str | None]:
        return fmt(value, self.digits), key

    def _reserved(self, pieces: Pieces, px: float) -> float:
        """The width ``pieces`` may take once the page recomputes them: each number as wide
        as a negative one of ``digits`` digits below 1 (-0.123456789), or wider if it is."""
        return sum(
            _width(text if key is None else text.ljust(self.digits + 3), px) for text, key in pieces
        )

    # What each step writes --------------------------------------------------------------

    def _cards(self, step: str) -> dict[str, list[tuple[str, Pieces]]]:
        """The (symbol, number) lines under each neuron."""
        t = self.trace
        if step == "forward":
            cards = {
                name: [("", (self._num(value, f"inputs.{i}.1"),))]
                for i, (name, value) in enumerate(t.inputs)
            }
            return cards | {
                n.name: [
                    ("net", (self._num(n.net, f"neurons.{i}.net"),)),
                    ("out", (self._num(n.out, f"neurons.{i}.out"),)),
                ]
                for i, n in enumerate(t.neurons)
            }
        if step == "backward":
            return {
                d.neuron: [
                    ("∂E/∂out", (self._num(d.dE_dout, f"deltas.{i}.dE_dout"),)),
                    ("∂E/∂net", (self._num(d.dE_dnet, f"deltas.{i}.dE_dnet"),)),
                ]
                for i, d in enumerate(t.deltas)
            }
        return {}

    def _edge_labels(self, step: str) -> list[Pieces]:
        """The number on each parameter's edge, in the trace's order: its value, ∂E/∂w, or
        its value after the update (the value before is the forward step's, at the same
        place, and the edge's tooltip has both)."""
        labels = []
        for i, p in enumerate(self.trace.parameters):
            value = self._num(p.value, f"parameters.{i}.value")
            if step == "forward":
                labels.append((value,))
            elif step == "backward":
                labels.append((self._num(p.grad, f"parameters.{i}.grad"),))
            elif p.updated is None:
                labels.append((value,))
            else:
                labels.append((self._num(p.updated, f"parameters.{i}.updated"),))
        return labels

    def _tip(self, step: str, index: int) -> Pieces:
        """An edge's tooltip: its name and number, and in the update, the value before (or
        that it is frozen)."""
        p = self.trace.parameters[index]
        pieces = self.edge_labels[step][index]
        if step == "update" and p.updated is None:
            pieces = (*pieces, (f" · {say(self.lang, 'frozen')}", None))
        elif step == "update":
            pieces = (self._num(p.value, f"parameters.{index}.value"), (" → ", None), *pieces)
        return ((f"{p.name} = ", None), *pieces)

    def _sides(self) -> list[tuple[str, list[tuple[str, Pieces]]]]:
        """Beside each output in the forward step: its target t and error term E_o."""
        return [
            (
                term.output,
                [
                    ("t", (self._num(term.target, f"loss_terms.{k}.target"),)),
                    ("E", (self._num(term.value, f"loss_terms.{k}.value"),)),
                ],
            )
            for k, term in enumerate(self.trace.loss_terms)
        ]

    def _totals(self, step: str) -> list[tuple[str, Pieces]]:
        """The total error E, and after the update what it became."""
        lines = [("E", (self._num(self.trace.total_error, "total_error"),))]
        if step == "update":
            lines.append(("→", (self._num(self.trace.error_after, "error_after"),)))
        return lines

    # Where things go ----------------------------------------------------------------------

    def _card_span(self, x: float, lines: list[tuple[str, Pieces]]) -> Span:
        """The left edge of a block of lines under the node at ``x``, where its symbols end,
        where its numbers start, and its right edge. A neuron's block ends flush with its
        circle's right side, so that the labels of its outgoing edges can sit close. An
        input's value (a line without a symbol) sits left of its circle instead, ending
        there, out of the way of the edges it feeds."""
        keys = max(_width(k, KEY_PX) for k, _ in lines)
        values = max(self._reserved(v, VALUE_PX) for _, v in lines)
        if not keys:
            right = x - self.radius - 10
            return right - values, right - values, right - values, right
        right = x + self.radius
        left = right - keys - 8 - values
        return left, left + keys, left + keys + 8, right

    def _card_box(self, x: float, y: float, lines: list[tuple[str, Pieces]]) -> Box:
        """The box the lines under (or beside) the node at (x, y) take."""
        left, keys_end, _, right = self._card_span(x, lines)
        if keys_end == left:
            return left, y - LINE / 2, right, y + LINE / 2
        top = y + self.radius + CARD_TOP - LINE / 2
        return left, top, right, top + LINE * len(lines)

    def _column_names(self, column: int) -> list[str]:
        if column == 0:
            return [name for name, _ in self.trace.inputs]
        return [n.name for n in self.trace.layer(column)]

    def _has_bias(self, layer: int) -> bool:
        return any(p.kind == "bias" and p.layer == layer for p in self.trace.parameters)

    def _heights(self) -> list[dict[str, float]]:
        """The height of every node, column by column: each layer centred on the same line,
        a bias node one place below the last neuron of its column."""
        top = MARGIN + HEADER + self.radius + (self.spacing * (max(self.sizes) - 1)) / 2
        columns = []
        for column, names in enumerate(map(self._column_names, range(len(self.sizes)))):
            middle = (len(names) - 1) / 2
            heights = {name: top + self.spacing * (j - middle) for j, name in enumerate(names)}
            if column < len(self.sizes) - 1 and self._has_bias(column + 1):
                heights[f"1:{column + 1}"] = top + self.spacing * (len(names) - middle)
            columns.append(heights)
        return columns

    def _obstacles(self, heights: dict[str, float], x: float) -> list[Box]:
        """The circles and number blocks of one column at ``x``."""
        boxes = []
        for key, y in heights.items():
            r = self.radius * (BIAS_SCALE if key.startswith("1:") else 1)
            boxes.append((x - r, y - r, x + r, y + r))
            for step in STEPS:
                lines = self.cards[step].get(key, [])
                if lines and self.detailed:
                    boxes.append(self._card_box(x, y, lines))
        return boxes

    def _label_width(self, index: int) -> float:
        """An edge label's width: its name and the widest of its steps' numbers."""
        name = self.trace.parameters[index].name
        numbers = max(
            self._reserved(labels[index], LABEL_PX) for labels in self.edge_labels.values()
        )
        return _width(f"{name} ", LABEL_PX) + numbers + PILL_PAD

    def _candidates(self, layer: int) -> list[float]:
        """Where along its edge a label may sit, the likeliest first: from 1/(n + 1) of the
        way, for n neurons in the target layer (which gives each label of a gap a height of
        its own when there is room), outwards."""
        first = 1 / (self.sizes[layer] + 1)
        steps = [first + k * 0.05 for k in range(-14, 15)]
        return sorted((t for t in steps if 0.14 <= t <= 0.86), key=lambda t: abs(t - first))

    def _fit_labels(
        self, layer: int, left: dict[str, float], right: dict[str, float], gap: float
    ) -> dict[int, float] | None:
        """How far along its edge each label of the gap before ``layer`` sits, placed one
        by one clear of the columns' nodes and numbers and of the labels placed before it,
        and if it can be, of the other edges; None if one does not fit."""
        obstacles = self._obstacles(left, 0) + self._obstacles(right, gap)
        edges = {
            i: ((0.0, left[f"1:{layer}" if p.kind == "bias" else p.source]), (gap, right[p.target]))
            for i, p in enumerate(self.trace.parameters)
            if p.layer == layer
        }
        placed: list[Box] = []
        where: dict[int, float] = {}
        for i, (a, b) in edges.items():
            width = self._label_width(i)
            boxes = []
            for t in self._candidates(layer):
                x, y = a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])
                boxes.append((t, (x - width / 2, y - PILL / 2, x + width / 2, y + PILL / 2)))
            free = [
                (t, box)
                for t, box in boxes
                if not any(_overlap(box, o) for o in obstacles)
                and not any(_overlap(box, o, 4) for o in placed)
            ]
            clear = [
                (t, box)
                for t, box in free
                if not any(_crosses(box, *ends) for j, ends in edges.items() if j != i)
            ]
            if not free:
                return None
            t, box = (clear or free)[0]
            where[i] = t
            placed.append(box)
        return where

    def _columns_clear(self, left: dict[str, float], right: dict[str, float], gap: float) -> bool:
        return not any(
            _overlap(a, b) for a in self._obstacles(left, 0) for b in self._obstacles(right, gap)
        )

    def _gap(
        self, layer: int, left: dict[str, float], right: dict[str, float], labelled: bool
    ) -> tuple[float, dict[int, float]] | None:
        """The narrowest distance between columns ``layer`` − 1 and ``layer`` at which the
        columns (and with ``labelled``, the gap's edge labels) clear one another; None if
        the labels do not fit at any."""
        gap = float(GAP_MIN)
        while gap <= GAP_MAX:
            if self._columns_clear(left, right, gap):
                if not labelled:
                    return gap, {}
                where = self._fit_labels(layer, left, right, gap)
                if where is not None:
                    return gap, where
            gap += GAP_STEP
        return None if labelled else (float(GAP_MAX), {})

    def _place(self) -> tuple[dict[str, Node], dict[int, float]]:
        """The nodes, and how far along its edge each edge label sits: every gap as narrow
        as its labels allow, and the labels of the widest gaps left to tooltips until the
        drawing fits ``WIDTH``."""
        columns = self._heights()
        depth = len(self.sizes) - 1
        cards = [self.cards[step].get(name) for step in STEPS for name in columns[0]]
        inputs = [lines for lines in cards if lines and self.detailed]
        start = MARGIN + max([self.radius, *(-self._card_span(0, lines)[0] for lines in inputs)])
        bare, labelled = {}, {}
        for layer in range(1, depth + 1):
            left, right = columns[layer - 1], columns[layer]
            bare[layer] = self._gap(layer, left, right, labelled=False)
            if self.detailed:
                fitted = self._gap(layer, left, right, labelled=True)
                if fitted is not None:
                    labelled[layer] = fitted

        def width() -> float:
            gaps = sum((labelled.get(n) or bare[n])[0] for n in bare)
            return start + gaps + self.radius + 16 + self._side_room()

        while labelled and width() > WIDTH:
            del labelled[max(labelled, key=lambda n: labelled[n][0] - bare[n][0])]
        nodes: dict[str, Node] = {}
        x = start
        for column, heights in enumerate(columns):
            if column:
                x += (labelled.get(column) or bare[column])[0]
            kind = "input" if column == 0 else "output" if column == depth else "hidden"
            for key, y in heights.items():
                bias = key.startswith("1:")
                nodes[key] = Node(key, "1" if bias else key, "bias" if bias else kind, x, y)
        where = {i: t for _, ts in labelled.values() for i, t in ts.items()}
        return nodes, where

    def _side_x(self) -> float:
        return max(n.x for n in self.nodes.values()) + self.radius + 16

    def _side_width(self) -> float:
        if not self.detailed:
            return 0.0
        return max(
            _width(f"E{name} ", VALUE_PX) + self._reserved(value, VALUE_PX)
            for name, lines in self._sides()
            for _, value in lines
        )

    def _side_room(self) -> float:
        return max(self._side_width(), self._badge_size()[0]) + MARGIN

    def _badge_size(self, step: str = "update") -> tuple[float, float]:
        """Width and height of the total error's box; the update's (two lines) is the largest."""
        lines = self._totals(step)
        keys = max(_width(k, VALUE_PX) for k, _ in lines)
        values = max(self._reserved(v, VALUE_PX) for _, v in lines)
        return keys + values + 8 + 2 * BADGE_PAD, LINE * len(lines) + BADGE_PAD

    def _badge_y(self) -> float:
        """The middle of the total error's badge: between the last two outputs, or below a
        single one."""
        outputs = [self.nodes[term.output].y for term in self.trace.loss_terms]
        if len(outputs) >= 2:
            return (outputs[-2] + outputs[-1]) / 2
        return outputs[-1] + self.radius + self._badge_size()[1] / 2 + 12

    def _bottom(self) -> float:
        """The lowest point of any node and the lines under it."""
        lowest = 0.0
        for node in self.nodes.values():
            lines = max(len(self.cards[step].get(node.key, [])) for step in STEPS)
            below = lines and self.detailed and node.kind != "input"
            depth = CARD_TOP + LINE * (lines - 0.5) if below else 0
            r = self.radius * (BIAS_SCALE if node.kind == "bias" else 1)
            lowest = max(lowest, node.y + r + depth)
        return lowest

    def _ends(self, p: ParameterStep) -> tuple[Node, Node]:
        source = self.nodes[f"1:{p.layer}"] if p.kind == "bias" else self.nodes[p.source]
        return source, self.nodes[p.target]

    # Drawing ------------------------------------------------------------------------------

    def svg(self, step: str) -> str:
        """The drawing of ``step`` ("forward", "backward" or "update")."""
        title = say(self.lang, step)
        size = _attrs(width=self.width, height=self.height)
        view = _attrs(viewBox=f"0 0 {self.width:.1f} {self.height:.1f}")
        css = "crx-svg" if self.detailed else "crx-svg crx-compact"
        # As wide as its box, up to its own width; on a narrow screen it scrolls rather than
        # shrink below 3/5 of its size.
        style = f"max-width: {self.width:.0f}px; min-width: {0.6 * self.width:.0f}px"
        parts = [
            f'<svg class="{css}"{size}{view} style="{style}" role="img"'
            f"{_attrs(aria_label=title, data_step=step, data_thickest=THICKEST[self.detailed])}>",
            *self._headers(),
            *self._edges(step),
            *(self._node(node, step) for node in self.nodes.values()),
            *self._outputs(step),
            "</svg>",
        ]
        return "\n".join(parts)

    def _headers(self) -> Iterable[str]:
        depth = len(self.sizes) - 1
        for column in range(depth + 1):
            if column == 0:
                text = say(self.lang, "input")
            elif column == depth:
                text = say(self.lang, "output")
            elif depth > 2:
                text = say(self.lang, "hidden_n", n=column)
            else:
                text = say(self.lang, "hidden")
            x = self.nodes[self._column_names(column)[0]].x
            yield f'<text class="crx-column"{_attrs(x=x, y=MARGIN)}>{escape(text)}</text>'

    def _edge_class(self, step: str, p: ParameterStep, biggest: float) -> tuple[str, float]:
        """The edge's CSS class and stroke width: grey in the forward step; after it,
        coloured by the sign of ∂E/∂w and thicker for a larger |∂E/∂w|, except a frozen bias
        in the update, which stays grey. (The page's script redraws them the same way.)"""
        if step == "forward" or (step == "update" and p.updated is None) or biggest == 0:
            return "crx-edge", EDGE_GREY
        sign = "crx-pos" if p.grad > 0 else "crx-neg" if p.grad < 0 else "crx-edge"
        thickest = THICKEST[self.detailed]
        return sign, 1 + (thickest - 1) * (abs(p.grad) / biggest) ** 0.5

    def _edges(self, step: str) -> Iterable[str]:
        biggest = max((abs(p.grad) for p in self.trace.parameters), default=0.0)
        labels = []
        for i, (p, pieces) in enumerate(
            zip(self.trace.parameters, self.edge_labels[step], strict=True)
        ):
            source, target = self._ends(p)
            css, stroke = self._edge_class(step, p, biggest)
            bias = " crx-bias" if p.kind == "bias" else ""
            tip = self._tip(step, i)
            yield (
                f'<line class="{css}{bias}"{_attrs(data_p=i)}'
                f"{_attrs(x1=source.x, y1=source.y)}"
                f"{_attrs(x2=target.x, y2=target.y)}"
                f' stroke-width="{stroke:.2f}">{self._title(tip)}</line>'
            )
            if i in self.label_at:
                labels.append(self._edge_label(i, p, pieces, source, target, css))
        yield from labels

    def _title(self, pieces: Pieces) -> str:
        return f"<title{_attrs(data_tpl=template(pieces))}>{escape(plain(pieces))}</title>"

    def _edge_label(
        self, i: int, p: ParameterStep, pieces: Pieces, source: Node, target: Node, css: str
    ) -> str:
        t = self.label_at[i]
        x, y = source.x + t * (target.x - source.x), source.y + t * (target.y - source.y)
        width = _width(f"{p.name} {plain(pieces)}", LABEL_PX) + PILL_PAD
        box = _attrs(x=x - width / 2, y=y - PILL / 2, width=width)
        return (
            f'<g class="crx-label {css}"{_attrs(data_p=i)}>'
            f'<rect{box} height="{PILL}" rx="{PILL / 2}"></rect>'
            f'<text{_attrs(x=x, y=y)}><tspan class="crx-param">'
            f"{escape(p.name)}</tspan> {markup(pieces)}</text></g>"
        )

    def _node(self, node: Node, step: str) -> str:
        r = self.radius * (BIAS_SCALE if node.kind == "bias" else 1)
        lines = self.cards[step].get(node.key, [])
        tip: list[tuple[str, str | None]] = [(node.label, None)]
        for row, (k, v) in enumerate(lines):
            tip += [(": " if row == 0 else ", ", None), (f"{k} " if k else "", None), *v]
        parts = [
            f'<g class="crx-node crx-{node.kind}"{_attrs(data_n=node.key)}>'
            f"{self._title(tuple(tip))}",
            f"<circle{_attrs(cx=node.x, cy=node.y, r=r)}></circle>",
            f'<text class="crx-name"{_attrs(x=node.x, y=node.y)}>{escape(node.label)}</text>',
        ]
        if self.detailed and lines:
            parts.append(self._card(node, lines))
        return "\n".join([*parts, "</g>"])

    def _card(self, node: Node, lines: list[tuple[str, Pieces]]) -> str:
        """The symbol and number lines under a node, numbers aligned on their left (an
        input's value, left of it, aligned on its right)."""
        _, keys_end, values_start, right = self._card_span(node.x, lines)
        rows = []
        for row, (k, v) in enumerate(lines):
            if not k:
                at = _attrs(x=right, y=node.y)
                rows.append(f'<text class="crx-value crx-input-value"{at}>{markup(v)}</text>')
                continue
            y = node.y + self.radius + CARD_TOP + LINE * row
            rows.append(f'<text class="crx-key"{_attrs(x=keys_end, y=y)}>{escape(k)}</text>')
            rows.append(f'<text class="crx-value"{_attrs(x=values_start, y=y)}>{markup(v)}</text>')
        return "\n".join(rows)

    def _outputs(self, step: str) -> Iterable[str]:
        """Targets and error terms beside the outputs (forward), and the total error."""
        x = self._side_x()
        if step == "forward" and self.detailed:
            for name, lines in self._sides():
                y = self.nodes[name].y
                for row, (key, value) in enumerate(lines):
                    sub = f'<tspan class="crx-sub" dy="5">{escape(name)}</tspan>' if row else ""
                    back = ' dy="-5"' if row else ""
                    yield (
                        f'<text class="crx-side"{_attrs(x=x, y=y + LINE * (row - 0.5))}>'
                        f'<tspan class="crx-key">{escape(key)}{sub}</tspan>'
                        f"<tspan{back}> {markup(value)}</tspan></text>"
                    )
        width, height = self._badge_size(step)
        top = self._badge_y() - height / 2
        lines = self._totals(step)
        keys = max(_width(k, VALUE_PX) for k, _ in lines)
        rows = "".join(
            f'<text class="crx-key"{_attrs(x=x + BADGE_PAD + keys, y=y)}>{escape(k)}</text>'
            f"<text{_attrs(x=x + BADGE_PAD + keys + 8, y=y)}>{markup(v)}</text>"
            for row, (k, v) in enumerate(lines)
            for y in [top + BADGE_PAD / 2 + LINE * (row + 0.5)]
        )
        yield (
            f'<g class="crx-total crx-total-{step}">'
            f"<rect{_attrs(x=x, y=top, width=width, height=height)}"
            f' rx="8"></rect>{rows}</g>'
        )
