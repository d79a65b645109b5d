"""The network drawing of the HTML walk-through: one inline SVG per step.

Neurons are circles in columns (inputs, hidden layers, outputs). A bias is a node "1" below
the column before its layer, so every parameter, weight or bias, is one edge with one
label. The three steps draw the same network and label it differently:

- forward: each neuron's net and out, each edge's weight, each output's target and error;
- backward: each neuron's ∂E/∂out and ∂E/∂net (δ), each edge's ∂E/∂w (the engine's
  ``.grad``), coloured by its sign;
- update: each edge's old → new value, and the error before → after.

Every number is ``fmt``'s string. Nothing is measured in the browser: text widths are
estimated from a monospace font, and the columns are set far enough apart that the edge
labels clear the neurons' values. Edges into a layer of more than ``LABELLED_MAX`` neurons
keep their numbers in tooltips (and the tables), and a network with a layer of more than
``DETAILED_MAX`` is drawn small, all its numbers in tooltips.
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
LABELLED_MAX = 3  # the largest layer whose incoming edges carry their numbers
MONO_EM = 0.62  # the advance of a monospace glyph, in em, with a little to spare
LABEL_PX = 14  # edge labels
VALUE_PX = 15  # numbers under neurons
KEY_PX = 13  # the symbols before them (net, out, ∂E/∂net)
PILL = 26  # height of an edge label
CARD_TOP = 22  # from a circle's bottom to its first line of numbers
LINE = 20  # between lines of numbers
BIAS_SCALE = 0.55  # a bias node's radius, as a share of a neuron's
GAP_MIN, GAP_MAX = 240, 900  # between columns
MARGIN = 36
BADGE_PAD = 12  # inside the total error's box
HEADER = 40  # room for the column names above the first neuron

Point = tuple[float, float]
Box = tuple[float, float, float, float]  # left, top, right, bottom
Span = tuple[float, float, float, float]  # left, symbols' end, numbers' start, right


def _overlap(a: Box, b: Box, margin: float = 14) -> bool:
    return (
        a[0] < b[2] + margin
        and b[0] < a[2] + margin
        and a[1] < b[3] + margin
        and b[1] < a[3] + margin
    )


@dataclass(frozen=True)
class Node:
    """A neuron, input or bias node, placed."""

    key: str  # the neuron's name, or "1:<layer>" for the bias node feeding <layer>
    label: str
    kind: str  # "input", "hidden", "output" or "bias"
    x: float
    y: float


def _width(text: str, px: float) -> float:
    """Estimated width of ``text`` at ``px``: wide glyphs (Hangul, CJK) count double."""
    return sum(2 * MONO_EM if ord(c) >= 0x1100 else MONO_EM for c in text) * px


def _attrs(**values: object) -> str:
    """SVG attributes from keywords (aria_label= gives aria-label), numbers to 0.1 px."""
    return "".join(
        f' {name.replace("_", "-")}="{f"{v:.1f}" if isinstance(v, float) else escape(str(v))}"'
        for name, v in values.items()
    )


class Figure:
    """The placed network of a trace and its labels for each step."""

    def __init__(self, trace: Trace, lang: str, digits: int) -> None:
        self.trace, self.lang, self.digits = trace, lang, digits
        self.sizes = trace.layer_sizes
        self.detailed = max(self.sizes) <= DETAILED_MAX
        self.radius = 28 if self.detailed else 15
        self.spacing = 160 if self.detailed else 44
        self.cards = {step: self._cards(step) for step in STEPS}
        self.edge_labels = {step: self._edge_labels(step) for step in STEPS}
        self.nodes = self._place()
        self.width = self._side_x() + max(self._side_width(), self._badge_size()[0]) + MARGIN
        self.height = max(self._bottom(), self._badge_y() + self._badge_size()[1] / 2) + MARGIN

    def _num(self, value: float | None) -> str:
        return fmt(value, self.digits)

    # What each step writes --------------------------------------------------------------

    def _cards(self, step: str) -> dict[str, list[tuple[str, str]]]:
        """The (symbol, number) lines under each neuron."""
        t = self.trace
        if step == "forward":
            cards = {name: [("", self._num(value))] for name, value in t.inputs}
            return cards | {
                n.name: [("net", self._num(n.net)), ("out", self._num(n.out))] for n in t.neurons
            }
        if step == "backward":
            return {
                d.neuron: [("∂E/∂out", self._num(d.dE_dout)), ("∂E/∂net", self._num(d.dE_dnet))]
                for d in t.deltas
            }
        return {}

    def _edge_labels(self, step: str) -> list[str]:
        """The number on each parameter's edge, in the trace's order."""
        if step == "forward":
            return [self._num(p.value) for p in self.trace.parameters]
        if step == "backward":
            return [self._num(p.grad) for p in self.trace.parameters]
        frozen = say(self.lang, "frozen")
        return [
            f"{self._num(p.value)} · {frozen}"
            if p.updated is None
            else f"{self._num(p.value)} → {self._num(p.updated)}"
            for p in self.trace.parameters
        ]

    def _sides(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """Beside each output in the forward step: its target t and error term E_o."""
        return [
            (term.output, [("t", self._num(term.target)), ("E", self._num(term.value))])
            for term in self.trace.loss_terms
        ]

    def _totals(self, step: str) -> list[tuple[str, str]]:
        """The total error E, and after the update what it became."""
        lines = [("E", self._num(self.trace.total_error))]
        if step == "update":
            lines.append(("→", self._num(self.trace.error_after)))
        return lines

    # Where things go ----------------------------------------------------------------------

    def _card_span(self, x: float, lines: list[tuple[str, str]]) -> Span:
        """The left edge of a block of lines under the node at ``x``, where its symbols end,
        where its numbers start, and its right edge. A neuron's block ends flush with its
        circle's right side, so that the labels of its outgoing edges can sit close; an
        input's value (a line without a symbol) is centred."""
        keys = max(_width(k, KEY_PX) for k, _ in lines)
        values = max(_width(v, VALUE_PX) for _, v in lines)
        gap = 8 if keys else 0
        right = x + self.radius if keys else x + values / 2
        left = right - keys - gap - values
        return left, left + keys, left + keys + gap, right

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
                if lines:
                    top = y + self.radius + CARD_TOP - LINE / 2
                    left, _, _, right = self._card_span(x, lines)
                    boxes.append((left, top, right, top + LINE * len(lines)))
        return boxes

    def _labels(self, ends: dict[int, tuple[Point, Point]]) -> list[Box]:
        """The box of the label of each parameter in ``ends`` (the widest of the steps)."""
        boxes = []
        for i, (source, target) in ends.items():
            x, y = self._label_at(self.trace.parameters[i], source, target)
            width = self._label_width(i)
            boxes.append((x - width / 2, y - PILL / 2, x + width / 2, y + PILL / 2))
        return boxes

    def _label_width(self, index: int) -> float:
        name = self.trace.parameters[index].name
        return (
            max(_width(f"{name} {labels[index]}", LABEL_PX) for labels in self.edge_labels.values())
            + 18
        )

    def _label_at(self, p: ParameterStep, source: Point, target: Point) -> Point:
        """Where an edge's label sits: at t = 1/(n + 1) of the way from its source, for n
        neurons in the target layer, which gives each label of a gap a height of its own."""
        t = 1 / (self.sizes[p.layer] + 1)
        return source[0] + t * (target[0] - source[0]), source[1] + t * (target[1] - source[1])

    def _labelled(self, layer: int) -> bool:
        """Whether the edges into ``layer`` carry their numbers (else only in tooltips)."""
        return self.detailed and self.sizes[layer] <= LABELLED_MAX

    def _gap(self, layer: int, left: dict[str, float], right: dict[str, float]) -> float:
        """The narrowest distance between columns ``layer`` − 1 and ``layer`` at which
        neither the edge labels of the gap nor the two columns touch one another."""
        if not self.detailed:
            return GAP_MIN
        gap = GAP_MIN
        while gap < GAP_MAX:
            sources, targets = self._obstacles(left, 0), self._obstacles(right, gap)
            ends = {}
            for i, p in enumerate(self.trace.parameters):
                if p.layer == layer and self._labelled(layer):
                    source = f"1:{layer}" if p.kind == "bias" else p.source
                    ends[i] = ((0.0, left[source]), (gap, right[p.target]))
            labels = self._labels(ends)
            clashes = [(a, b) for a in labels for b in sources + targets]
            clashes += [(a, b) for a in sources for b in targets]
            if not any(_overlap(a, b) for a, b in clashes):
                break
            gap += 10
        return gap

    def _place(self) -> dict[str, Node]:
        columns = self._heights()
        depth = len(self.sizes) - 1
        cards = [self.cards[step].get(name) for step in STEPS for name in columns[0]]
        inputs = [lines for lines in cards if lines]
        x = MARGIN + max([self.radius, *(-self._card_span(0, lines)[0] for lines in inputs)])
        nodes: dict[str, Node] = {}
        for column, heights in enumerate(columns):
            if column:
                x += self._gap(column, columns[column - 1], heights)
            kind = "input" if column == 0 else "output" if column == depth else "hidden"
            for key, y in heights.items():
                bias = key.startswith("1:")
                nodes[key] = Node(key, "1" if bias else key, "bias" if bias else kind, x, y)
        return nodes

    def _side_x(self) -> float:
        return max(n.x for n in self.nodes.values()) + self.radius + 16

    def _side_width(self) -> float:
        if not self.detailed:
            return 0.0
        return max(
            _width(f"E{name} {value}", VALUE_PX)
            for name, lines in self._sides()
            for _, value in lines
        )

    def _badge_size(self, step: str = "update") -> tuple[float, float]:
        """Width and height of the total error's box; the update's (two lines) is the largest."""
        lines = self._totals(step)
        keys = max(_width(k, VALUE_PX) for k, _ in lines)
        values = max(_width(v, VALUE_PX) for _, v in lines)
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
            depth = CARD_TOP + LINE * (lines - 0.5) if lines and self.detailed else 0
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
        parts = [
            # Shrinks to fit its box down to 3/4 of its size; a narrower box scrolls.
            f'<svg class="{css}"{size}{view} style="min-width: {0.75 * self.width:.0f}px"'
            f' role="img"{_attrs(aria_label=title)}>',
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
        in the update, which stays grey."""
        if step == "forward" or (step == "update" and p.updated is None) or biggest == 0:
            return "crx-edge", 1.6
        sign = "crx-pos" if p.grad > 0 else "crx-neg" if p.grad < 0 else "crx-edge"
        thickest = 5 if self.detailed else 2.5
        return sign, 1 + (thickest - 1) * (abs(p.grad) / biggest) ** 0.5

    def _edges(self, step: str) -> Iterable[str]:
        biggest = max((abs(p.grad) for p in self.trace.parameters), default=0.0)
        labels = []
        for p, text in zip(self.trace.parameters, self.edge_labels[step], strict=True):
            source, target = self._ends(p)
            css, stroke = self._edge_class(step, p, biggest)
            bias = " crx-bias" if p.kind == "bias" else ""
            yield (
                f'<line class="{css}{bias}"'
                f"{_attrs(x1=source.x, y1=source.y)}"
                f"{_attrs(x2=target.x, y2=target.y)}"
                f' stroke-width="{stroke:.2f}"><title>{escape(p.name)} = {escape(text)}</title>'
                "</line>"
            )
            if self._labelled(p.layer):
                labels.append(self._edge_label(p, text, source, target, css))
        yield from labels

    def _edge_label(self, p: ParameterStep, text: str, source: Node, target: Node, css: str) -> str:
        x, y = self._label_at(p, (source.x, source.y), (target.x, target.y))
        width = _width(f"{p.name} {text}", LABEL_PX) + 18
        box = _attrs(x=x - width / 2, y=y - PILL / 2, width=width)
        return (
            f'<g class="crx-label {css}">'
            f'<rect{box} height="{PILL}" rx="{PILL / 2}"></rect>'
            f'<text{_attrs(x=x, y=y)}><tspan class="crx-param">'
            f"{escape(p.name)}</tspan> {escape(text)}</text></g>"
        )

    def _node(self, node: Node, step: str) -> str:
        r = self.radius * (BIAS_SCALE if node.kind == "bias" else 1)
        lines = self.cards[step].get(node.key, [])
        tip = ", ".join(f"{k} {v}".strip() for k, v in lines)
        parts = [
            f'<g class="crx-node crx-{node.kind}"><title>'
            f"{escape(node.label)}{': ' + escape(tip) if tip else ''}</title>",
            f"<circle{_attrs(cx=node.x, cy=node.y, r=r)}></circle>",
            f'<text class="crx-name"{_attrs(x=node.x, y=node.y)}>{escape(node.label)}</text>',
        ]
        if self.detailed and lines:
            parts.append(self._card(node, lines))
        return "\n".join([*parts, "</g>"])

    def _card(self, node: Node, lines: list[tuple[str, str]]) -> str:
        """The symbol and number lines under a node, numbers aligned on their left."""
        _, keys_end, values_start, _ = self._card_span(node.x, lines)
        rows = []
        for row, (k, v) in enumerate(lines):
            y = node.y + self.radius + CARD_TOP + LINE * row
            if k:
                rows.append(f'<text class="crx-key"{_attrs(x=keys_end, y=y)}>{escape(k)}</text>')
            rows.append(f'<text class="crx-value"{_attrs(x=values_start, y=y)}>{escape(v)}</text>')
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
                        f"<tspan{back}> {escape(value)}</tspan></text>"
                    )
        width, height = self._badge_size(step)
        top = self._badge_y() - height / 2
        lines = self._totals(step)
        keys = max(_width(k, VALUE_PX) for k, _ in lines)
        rows = "".join(
            f'<text class="crx-key"{_attrs(x=x + BADGE_PAD + keys, y=y)}>{escape(k)}</text>'
            f"<text{_attrs(x=x + BADGE_PAD + keys + 8, y=y)}>{escape(v)}</text>"
            for row, (k, v) in enumerate(lines)
            for y in [top + BADGE_PAD / 2 + LINE * (row + 0.5)]
        )
        yield (
            f'<g class="crx-total crx-total-{step}">'
            f"<rect{_attrs(x=x, y=top, width=width, height=height)}"
            f' rx="8"></rect>{rows}</g>'
        )
