"""Pictures drawn in characters, for the terminal and for Markdown: a curve as a sparkline, a
computational graph as a tree rooted at its result, and a plane as a grid of cells.
"""

from __future__ import annotations

from .pictures import PLANE_HIGH, PLANE_LOW, Curve, Diagram, DiagramNode, Plane, plane_grid

BARS = "▁▂▃▄▅▆▇█"
SPARK_WIDTH = 60  # the most bars a sparkline draws; longer curves are sampled
PLANE_COLUMNS, PLANE_ROWS = 31, 16  # cells of a plane; each cell is two characters wide


def sampled(count: int, width: int = SPARK_WIDTH) -> list[int]:
    """The indices of ``count`` values that a sparkline of at most ``width`` bars draws:
    all of them, or ``width`` spread evenly from the first to the last."""
    if count <= width:
        return list(range(count))
    return [round(i * (count - 1) / (width - 1)) for i in range(width)]


def sparkline(values: tuple[float, ...], width: int = SPARK_WIDTH) -> str:
    """One bar per drawn value, from ▁ (the smallest drawn) to █ (the largest)."""
    drawn = [values[i] for i in sampled(len(values), width)]
    low, high = min(drawn), max(drawn)
    if high == low:
        return BARS[0] * len(drawn)
    return "".join(BARS[round((v - low) / (high - low) * (len(BARS) - 1))] for v in drawn)


def curve_line(curve: Curve) -> str:
    """ "E 0.298 ▇▆▅▄▃▂▁ 0.27 (step 0 → 10)": the first value, the line and the last."""
    steps = len(curve.values) - 1
    return (
        f"{curve.name}: {curve.first} {sparkline(curve.values)} {curve.last}   "
        f"({curve.axis} 0 → {steps})"
    )


def _node_text(node: DiagramNode) -> str:
    if not node.symbol:
        return f"{node.name} = {node.value}"
    return f"{node.name} = {node.expression} = {node.value}"


def diagram_tree(diagram: Diagram) -> list[str]:
    """The graph as a tree from its result down to its inputs, each node's gradient in a
    column on the right. A node that feeds several ops is drawn in full once; later it is
    only named (its value and gradient are the same)."""
    by_name = {n.name: n for n in diagram.nodes}
    rows: list[tuple[str, DiagramNode]] = []
    drawn: set[str] = set()
    stack: list[tuple[str, str, str]] = [(diagram.nodes[-1].name, "", "")]
    while stack:
        name, lead, below = stack.pop()
        node = by_name[name]
        if name in drawn and node.symbol:
            rows.append((f"{lead}{node.name} = {node.value} (↑)", node))
            continue
        drawn.add(name)
        rows.append((lead + _node_text(node), node))
        children = [i for i in node.inputs if i in by_name]
        for position, child in reversed(list(enumerate(children))):
            last = position == len(children) - 1
            stack.append(
                (child, below + ("└─ " if last else "├─ "), below + ("   " if last else "│  "))
            )
    width = max(len(text) for text, _ in rows)
    return [
        f"{text:<{width}}   {diagram.grad_label.format(name=node.name)} = {node.grad}"
        for text, node in rows
    ]


def plane_sketch(plane: Plane) -> list[str]:
    """The plane as cells: # where the network outputs 0.5 or more, . where less (blank where
    the plane has no network), and each point as its target, 0 or 1; a legend under it."""
    columns, rows = PLANE_COLUMNS, PLANE_ROWS
    step_x = (PLANE_HIGH - PLANE_LOW) / columns
    step_y = (PLANE_HIGH - PLANE_LOW) / rows

    def column(x1: float) -> int:
        return min(columns - 1, int((x1 - PLANE_LOW) / step_x))

    def row(x2: float) -> int:
        return min(rows - 1, int((PLANE_HIGH - x2) / step_y))

    if plane.layers:
        decided = plane_grid(plane, columns, rows)
        grid = [["#" if cell else "." for cell in line] for line in decided]
    else:
        grid = [[" "] * columns for _ in range(rows)]
    for x1, x2, target in plane.points:
        grid[row(x2)][column(x1)] = f"{target:g}"
    labels = {row(1.0): " 1 |", row(0.0): " 0 |"}
    lines = [plane.title, "x2"]
    lines += [labels.get(r, "   |") + " ".join(grid[r]).rstrip() for r in range(rows)]
    lines.append("   +" + "-" * (2 * columns))
    axis = [" "] * (2 * columns + 4)
    axis[4 + 2 * column(0.0)] = "0"
    axis[4 + 2 * column(1.0)] = "1"
    lines.append("".join(axis).rstrip() + "   x1")
    legend = f"0, 1: {plane.legend[2]}"
    if plane.layers:
        legend = f"#: {plane.legend[0]}   .: {plane.legend[1]}   {legend}"
    return [*lines, legend]
