"""The pictures of a lesson as inline SVG: a curve, a computational graph, a plane.

Each SVG carries its own colours and fonts as attributes, so it looks the same inside the
walk-through's page, a lesson's page or a notebook cell, and needs none of the page's CSS.
Text widths are estimated from a monospace font, as the network drawing does.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from html import escape

import numpy as np

from .pictures import (
    PLANE_HIGH,
    PLANE_LOW,
    Curve,
    Diagram,
    DiagramNode,
    Picture,
    Plane,
    clip_line,
    plane_grid,
)

INK, MUTED, FAINT = "#1f2328", "#59636e", "#adb5bd"
GRADIENT = "#c92a2a"  # the gradients, red as Deep Learning from Scratch draws them
LINE = "#1971c2"
YES, NO = "#ffe8cc", "#d0ebff"  # the regions where a network outputs ≥ 0.5 and < 0.5
MONO = 'ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", "Noto Sans Mono CJK KR", monospace'
SANS = 'system-ui, "Segoe UI", Roboto, "Noto Sans", "Noto Sans KR", "DejaVu Sans", sans-serif'
GLYPH = 0.62  # a monospace glyph's advance, in em


def _width(text: str, px: float) -> float:
    """Estimated width of ``text`` at ``px``; wide glyphs (Hangul, CJK) count double."""
    return sum(2 * GLYPH if ord(c) >= 0x1100 else GLYPH for c in text) * px


def _f(value: float) -> str:
    return f"{value:.1f}"


def _text(
    x: float,
    y: float,
    text: str,
    size: int = 13,
    anchor: str = "middle",
    fill: str = INK,
    font: str = MONO,
    bold: bool = False,
    key: str = "",
    extra: str = "",
) -> str:
    """A line of text at (x, y); ``key``, the record path of the number it shows, becomes
    its ``data-k``; ``extra`` holds any other attributes, written."""
    attrs = extra + (f' data-k="{escape(key)}"' if key else "")
    weight = ' font-weight="700"' if bold else ""
    return (
        f'<text x="{_f(x)}" y="{_f(y)}" font-size="{size}" text-anchor="{anchor}" '
        f'dominant-baseline="central" fill="{fill}" font-family=\'{font}\'{weight}{attrs}>'
        f"{escape(text)}</text>"
    )


def _svg(width: float, height: float, label: str, parts: list[str]) -> str:
    return (
        f'<svg class="crx-picture" width="{_f(width)}" '
        f'height="{_f(height)}" viewBox="0 0 {_f(width)} {_f(height)}" role="img" '
        f'aria-label="{escape(label)}" style="max-width: 100%; height: auto">\n'
        + "\n".join(parts)
        + "\n</svg>"
    )


def curve_svg(curve: Curve) -> str:
    """The values as a polyline over the steps, the first and last value written at its
    ends; the polyline's points are listed in ``data-values`` too. A curve of records
    (``curve.key``) says where it is drawn (``data-box``: left, top, right, bottom) and which
    value each dot and end label marks (``data-i``), so that a page can redraw it."""
    width, height = 640.0, 240.0
    left, right, top, bottom = 110.0, 110.0, 28.0, 44.0
    values = curve.values
    steps = max(len(values) - 1, 1)
    low, high = min(values), max(values)
    span = high - low or 1.0

    def at(i: int, v: float) -> tuple[float, float]:
        x = left + (width - left - right) * i / steps
        y = top + (height - top - bottom) * ((high - v) / span if high > low else 0.5)
        return x, y

    points = [at(i, v) for i, v in enumerate(values)]
    (x0, y0), (xn, yn) = points[0], points[-1]
    base = height - bottom
    last = len(values) - 1
    record = (
        f'data-curve="{escape(curve.key)}" data-box="{left} {top} {width - right} {base}" '
        if curve.key
        else ""
    )
    parts = [
        f'<line x1="{_f(left)}" y1="{_f(top)}" x2="{_f(left)}" y2="{_f(base)}" stroke="{FAINT}"/>',
        f'<line x1="{_f(left)}" y1="{_f(base)}" x2="{_f(width - right)}" y2="{_f(base)}" '
        f'stroke="{FAINT}"/>',
        f'<polyline fill="none" stroke="{LINE}" stroke-width="2.5" stroke-linejoin="round" '
        f'{record}data-values="{" ".join(repr(v) for v in values)}" '
        f'points="{" ".join(f"{_f(x)},{_f(y)}" for x, y in points)}"/>',
    ]
    if len(values) <= 60:
        parts += [
            f'<circle cx="{_f(x)}" cy="{_f(y)}" r="3" fill="{LINE}"{_index(curve, i)}/>'
            for i, (x, y) in enumerate(points)
        ]
    keys = (f"{curve.key}.0", f"{curve.key}.{last}") if curve.key else ("", "")
    parts += [
        _text(x0 - 10, y0, curve.first, anchor="end", key=keys[0], extra=_index(curve, 0)),
        _text(xn + 10, yn, curve.last, anchor="start", key=keys[1], extra=_index(curve, last)),
        _text(left, base + 16, "0"),
        _text(width - right, base + 16, str(len(values) - 1)),
        _text((width) / 2, base + 32, curve.axis, font=SANS, fill=MUTED),
        _text(left - 10, top - 14, curve.name, anchor="end", font=SANS, fill=MUTED, bold=True),
    ]
    return _svg(width, height, curve.name, parts)


def _index(curve: Curve, i: int) -> str:
    """For a curve of records, the attribute saying which value a mark stands at."""
    return f' data-i="{i}"' if curve.key else ""


def _columns(diagram: Diagram) -> dict[str, int]:
    """Each node's column: an op one right of its rightmost input; an input one left of
    the first op that uses it."""
    column: dict[str, int] = {}
    for node in diagram.nodes:
        if node.symbol:
            column[node.name] = 1 + max(column.get(i, 0) for i in node.inputs)
    for node in diagram.nodes:
        if not node.symbol:
            users = [column[n.name] for n in diagram.nodes if n.symbol and node.name in n.inputs]
            column[node.name] = min(users, default=1) - 1
    return column


def _rows(diagram: Diagram, column: dict[str, int]) -> dict[str, float]:
    """Each node's row: inputs in the order a walk from the result meets them, an op
    between its inputs, nodes of one column at least one row apart."""
    by_name = {n.name: n for n in diagram.nodes}
    order: list[str] = []
    stack = [diagram.nodes[-1].name]
    while stack:
        name = stack.pop()
        if name in order:
            continue
        order.append(name)
        stack += [i for i in reversed(by_name[name].inputs) if i in by_name]
    leaves = [name for name in order if not by_name[name].symbol]
    row = {name: float(slot) for slot, name in enumerate(leaves)}
    for c in range(max(column.values()) + 1):
        for node in diagram.nodes:
            if node.symbol and column[node.name] == c:
                inputs = [row[i] for i in node.inputs if i in by_name]
                row[node.name] = sum(inputs) / len(inputs)
        names = sorted((n for n in row if column[n] == c), key=lambda n: row[n])
        for before, after in itertools.pairwise(names):
            row[after] = max(row[after], row[before] + 1)
    return row


def diagram_svg(diagram: Diagram) -> str:
    """The graph left to right: a card per node (its name, its value, and in red the
    gradient of the result with respect to it), and a circle per op, with arrows from its
    inputs' cards and to its own card; under it, what the black and the red numbers are."""
    legend = diagram.legend
    column = _columns(diagram)
    row = _rows(diagram, column)
    card_w = 24 + max(
        max(_width(n.name, 14), _width(n.value, 14), _width(n.grad, 14)) for n in diagram.nodes
    )
    card_h, row_h, radius, op_space, gap = 66.0, 92.0, 17.0, 62.0, 34.0
    col_w = op_space + card_w + gap
    margin = 20.0
    top = margin + 8

    def card_left(name: str) -> float:
        return margin + column[name] * col_w + op_space

    def middle(name: str) -> float:
        return top + row[name] * row_h + card_h / 2

    parts: list[str] = []
    by_name = {n.name: n for n in diagram.nodes}
    for node in diagram.nodes:
        if node.symbol:
            parts += _op(node, by_name, card_left, middle, radius, card_w)
    for node in diagram.nodes:
        x, y = card_left(node.name), middle(node.name) - card_h / 2
        result = node is diagram.nodes[-1]
        parts += [
            f'<rect x="{_f(x)}" y="{_f(y)}" width="{_f(card_w)}" height="{_f(card_h)}" rx="8" '
            f'fill="{"#f3f0ff" if result else "#f8f9fa"}" stroke="{"#7048e8" if result else FAINT}"'
            f' stroke-width="1.5"/>',
            _text(x + card_w / 2, y + 14, node.name, 14, font=SANS, bold=True),
            _text(x + card_w / 2, y + 34, node.value, 14),
            _text(x + card_w / 2, y + 53, node.grad, 14, fill=GRADIENT),
        ]
    width = margin * 2 + (max(column.values()) + 1) * col_w - gap
    height = top + (max(row.values()) + 1) * row_h + 24
    parts += [
        _text(margin, height - 16, f"■ {legend[0]}", 13, "start", INK, SANS),
        _text(margin + _width(legend[0], 13) + 40, height - 16, "■", 13, "start", GRADIENT),
        _text(margin + _width(legend[0], 13) + 58, height - 16, legend[1], 13, "start", INK, SANS),
    ]
    return _svg(width, height, diagram.nodes[-1].name, parts)


def _op(
    node: DiagramNode,
    by_name: dict[str, DiagramNode],
    card_left: Callable[[str], float],
    middle: Callable[[str], float],
    radius: float,
    card_w: float,
) -> list[str]:
    """An op's circle, the arrows into it from its inputs (a constant is written beside
    it) and the arrow from it to its result's card."""
    cx, cy = card_left(node.name) - 34, middle(node.name)
    parts = []
    constants = [i for i in node.inputs if i not in by_name]
    for name in dict.fromkeys(i for i in node.inputs if i in by_name):
        x1, y1 = card_left(name) + card_w, middle(name)
        dx, dy = cx - x1, cy - y1
        length = max((dx * dx + dy * dy) ** 0.5, 1.0)
        x2, y2 = cx - dx / length * (radius + 3), cy - dy / length * (radius + 3)
        parts += _arrow(x1, y1, x2, y2)
    for position, constant in enumerate(constants):
        parts.append(_text(cx, cy - radius - 10 - 14 * position, constant, 12, fill=MUTED))
    parts += [
        *_arrow(cx + radius, cy, card_left(node.name) - 2, cy),
        f'<circle cx="{_f(cx)}" cy="{_f(cy)}" r="{_f(radius)}" fill="#fff" stroke="{INK}" '
        'stroke-width="1.5"/>',
        _text(cx, cy, node.symbol, 16 if len(node.symbol) == 1 else 10, font=SANS, bold=True),
    ]
    return parts


def _arrow(x1: float, y1: float, x2: float, y2: float) -> list[str]:
    """A line from (x1, y1) with an arrowhead at (x2, y2)."""
    dx, dy = x2 - x1, y2 - y1
    length = max((dx * dx + dy * dy) ** 0.5, 1.0)
    ux, uy = dx / length, dy / length
    back_x, back_y = x2 - 8 * ux, y2 - 8 * uy
    left = (back_x - 4 * uy, back_y + 4 * ux)
    right = (back_x + 4 * uy, back_y - 4 * ux)
    return [
        f'<line x1="{_f(x1)}" y1="{_f(y1)}" x2="{_f(back_x)}" y2="{_f(back_y)}" '
        f'stroke="{MUTED}" stroke-width="1.5"/>',
        f'<path d="M{_f(x2)},{_f(y2)} L{_f(left[0])},{_f(left[1])} '
        f'L{_f(right[0])},{_f(right[1])} z" fill="{MUTED}"/>',
    ]


def plane_svg(plane: Plane) -> str:
    """The plane: the network's regions shaded, the unit square dashed, the lines drawn
    and named, and the points marked by their targets (filled: 1, hollow: 0)."""
    size, left, top, cells = 320.0, 44.0, 14.0, 64
    legend_h = 66.0
    scale = size / (PLANE_HIGH - PLANE_LOW)

    def at(x1: float, x2: float) -> tuple[float, float]:
        return left + (x1 - PLANE_LOW) * scale, top + (PLANE_HIGH - x2) * scale

    parts = [
        f'<rect x="{_f(left)}" y="{_f(top)}" width="{_f(size)}" height="{_f(size)}" '
        f'fill="#fff" stroke="{FAINT}"/>'
    ]
    if plane.layers:
        decided = plane_grid(plane, cells, cells)
        cell = size / cells
        for r, line in enumerate(decided):
            starts = [0, *(np.flatnonzero(line[1:] != line[:-1]) + 1), cells]
            for start, end in itertools.pairwise(starts):
                parts.append(
                    f'<rect x="{_f(left + start * cell)}" y="{_f(top + r * cell)}" '
                    f'width="{_f((end - start) * cell + 0.4)}" height="{_f(cell + 0.4)}" '
                    f'fill="{YES if line[start] else NO}"/>'
                )
    (sx, sy), (ex, ey) = at(0, 1), at(1, 0)
    parts.append(
        f'<rect x="{_f(sx)}" y="{_f(sy)}" width="{_f(ex - sx)}" height="{_f(ey - sy)}" '
        f'fill="none" stroke="{MUTED}" stroke-dasharray="4 4"/>'
    )
    for line in plane.lines:
        ends = clip_line(line)
        if ends is None:
            continue
        (ax, ay), (bx, by) = at(*ends[0]), at(*ends[1])
        parts.append(
            f'<line x1="{_f(ax)}" y1="{_f(ay)}" x2="{_f(bx)}" y2="{_f(by)}" stroke="#7048e8" '
            'stroke-width="2.5"/>'
        )
        lx, ly = (ax + bx) / 2, (ay + by) / 2
        parts.append(_text(lx + 14, ly - 12, line.name, 13, "start", "#7048e8", SANS, True))
    for x1, x2, target in plane.points:
        x, y = at(x1, x2)
        fill = GRADIENT if target >= 0.5 else "#fff"
        parts.append(
            f'<circle cx="{_f(x)}" cy="{_f(y)}" r="7" fill="{fill}" stroke="{INK}" '
            'stroke-width="2"/>'
        )
    for value in (0, 1):
        x, _ = at(value, 0)
        _, y = at(0, value)
        parts += [
            _text(x, top + size + 14, str(value), 12, fill=MUTED),
            _text(left - 10, y, str(value), 12, "end", MUTED),
        ]
    parts += [
        _text(left + size / 2, top + size + 30, "x1", 13, fill=MUTED, font=SANS),
        _text(left - 30, top + size / 2, "x2", 13, fill=MUTED, font=SANS),
    ]
    y = top + size + 50
    legend = [(f"● 1   ○ 0   {plane.legend[2]}", INK)]
    if plane.layers:
        legend = [(f"■ {plane.legend[0]}", "#e8590c"), (f"■ {plane.legend[1]}", LINE), *legend]
    for offset, (text, colour) in enumerate(legend):
        parts.append(_text(left, y + 18 * offset, text, 13, "start", colour, SANS))
    width = left + size + 20
    width = max(width, left + max(_width(t, 13) for t, _ in legend) + 10)
    return _svg(width, top + size + legend_h - 18 + 18 * len(legend), plane.title, parts)


def picture_svg(picture: Picture) -> str:
    """The SVG of any picture."""
    if isinstance(picture, Curve):
        return curve_svg(picture)
    if isinstance(picture, Diagram):
        return diagram_svg(picture)
    return plane_svg(picture)
