"""Pictures among a lesson's blocks: a curve, a computational graph, and the plane of XOR's
four points with what a network decides there.

Like the other blocks they are plain data with no drawing in them, every printed number
already written (by ``fmt``) and every word already in the lesson's language. Each renderer
draws them its own way: the terminal and Markdown as text (``sketches``; Markdown draws a
graph as a mermaid flowchart), HTML as SVG (``html_pictures``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PLANE_LOW, PLANE_HIGH = -0.25, 1.25
"""The part of the (x1, x2) plane a ``Plane`` shows: the unit square and a margin round it."""


@dataclass(frozen=True)
class Curve:
    """A quantity after each of several steps, as a line: ``values[i]`` after step i."""

    values: tuple[float, ...]
    name: str  # what the values are, e.g. "E"
    first: str  # values[0] and values[-1] as the lesson writes them
    last: str
    axis: str  # what the steps are, e.g. "step"
    key: str = ""  # the record path of the values (value i is f"{key}.{i}"), for a page
    # to find the numbers it draws and redraw them


@dataclass(frozen=True)
class DiagramNode:
    """A value in a computational graph: an input (no ``symbol``) or an op's result."""

    name: str
    symbol: str  # "+", "×", "exp", …; "" for an input
    expression: str  # how the op computes it from its inputs, e.g. "apple × apple_num"
    inputs: tuple[str, ...]  # the names of the op's inputs, or constants written as numbers
    value: str
    grad: str


@dataclass(frozen=True)
class Diagram:
    """A computational graph, inputs before the ops that use them, the result last; each
    node shows its value (forward) and the result's gradient with respect to it (backward)."""

    nodes: tuple[DiagramNode, ...]
    grad_label: str  # a node's gradient's name, with {name} for the node, e.g. "∂price/∂{name}"
    legend: tuple[str, str]  # what the values are and what the gradients are, in words

    def node(self, name: str) -> DiagramNode | None:
        return next((n for n in self.nodes if n.name == name), None)


@dataclass(frozen=True)
class PlaneLine:
    """Where a sigmoid neuron is undecided: a·x1 + b·x2 + c = 0."""

    name: str
    a: float
    b: float
    c: float


@dataclass(frozen=True)
class Plane:
    """Points in the (x1, x2) plane marked by their targets, the lines of some neurons, and
    the region where a sigmoid network (``layers``: (weights, biases) of each Linear layer,
    each followed by a sigmoid) outputs 0.5 or more; no ``layers``, no region."""

    title: str
    points: tuple[tuple[float, float, float], ...]  # x1, x2, target (0 or 1)
    lines: tuple[PlaneLine, ...]
    layers: tuple[tuple[tuple[tuple[float, ...], ...], tuple[float, ...]], ...]
    legend: tuple[str, str, str]  # output ≥ 0.5, output < 0.5, the points (by target)


Picture = Curve | Diagram | Plane


def plane_output(plane: Plane, x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
    """The network's output at the points (x1, x2), arrays of one shape."""
    values = np.stack([np.ravel(x1), np.ravel(x2)], axis=1)
    for weights, biases in plane.layers:
        values = 1 / (1 + np.exp(-(values @ np.asarray(weights).T + np.asarray(biases))))
    return values[:, 0].reshape(np.shape(x1))


def plane_grid(plane: Plane, columns: int, rows: int) -> np.ndarray:
    """Whether the output is 0.5 or more at the centre of each of ``rows`` × ``columns``
    cells covering the plane, the top row (largest x2) first."""
    step_x = (PLANE_HIGH - PLANE_LOW) / columns
    step_y = (PLANE_HIGH - PLANE_LOW) / rows
    x1 = PLANE_LOW + step_x * (np.arange(columns) + 0.5)
    x2 = PLANE_HIGH - step_y * (np.arange(rows) + 0.5)
    grid_x1, grid_x2 = np.meshgrid(x1, x2)
    return plane_output(plane, grid_x1, grid_x2) >= 0.5


def clip_line(line: PlaneLine) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """The two ends of ``line`` inside the plane's square, or None where it misses it."""
    low, high = PLANE_LOW, PLANE_HIGH
    ends: list[tuple[float, float]] = []
    if line.b:
        for x1 in (low, high):
            x2 = -(line.a * x1 + line.c) / line.b
            if low <= x2 <= high:
                ends.append((x1, x2))
    if line.a:
        for x2 in (low, high):
            x1 = -(line.b * x2 + line.c) / line.a
            if low <= x1 <= high:
                ends.append((x1, x2))
    distinct = list(dict.fromkeys((round(u, 12), round(v, 12)) for u, v in ends))
    return (distinct[0], distinct[-1]) if len(distinct) >= 2 else None
