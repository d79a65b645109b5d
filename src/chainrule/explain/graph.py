"""Seed 004: a computation on a few numbers as a graph, each node's value forward and its
gradient backward (the apple and orange price graph).

The graph is the engine's own: ``fn`` runs on scalar tensors, every intermediate keeps its
gradient with ``retain_grad``, and one ``backward()`` fills them all.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

from .._backend import float64
from ..function import Function
from ..tensor import Tensor
from .labels import say
from .numbers import DEFAULT_DIGITS, fmt

_SYMBOLS = {"Add": "+", "Sub": "−", "Mul": "×", "Div": "/", "Pow": "^"}


@dataclass(frozen=True)
class GraphNode:
    """A value in the computation: an input (``op`` is "input") or an op's result."""

    name: str
    op: str
    expression: str
    value: float
    grad: float
    formula: str


@dataclass(frozen=True)
class Graph:
    """The nodes in the order they were computed; the last one is the result."""

    nodes: tuple[GraphNode, ...]

    def node(self, name: str) -> GraphNode:
        return next(n for n in self.nodes if n.name == name)

    def to_text(self, lang: str = "en", digits: int = DEFAULT_DIGITS) -> str:
        """One line per node: name = expression = value, then its gradient."""
        result = self.nodes[-1].name
        width = max(len(f"{n.name} = {n.expression}") for n in self.nodes)
        lines = [say(lang, "graph_title", result=result)]
        for n in self.nodes:
            left = f"{n.name} = {n.expression}" if n.op != "input" else n.name
            lines.append(
                f"{left:<{width}}  = {fmt(n.value, digits):>12}   "
                f"∂{result}/∂{n.name} = {fmt(n.grad, digits)}"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()


def _walk(result: Tensor) -> list[Tensor]:
    """Every tensor ``result`` depends on, inputs before the ops that use them."""
    order: list[Tensor] = []
    seen: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(result, False)]
    while stack:
        tensor, expanded = stack.pop()
        if expanded:
            order.append(tensor)
            continue
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        stack.append((tensor, True))
        if tensor.grad_fn is not None:
            stack.extend(
                (t, False) for t in reversed(tensor.grad_fn.inputs) if isinstance(t, Tensor)
            )
    return order


def graph(fn: Callable[..., Tensor], *inputs: float, names: tuple[str, ...] = ()) -> Graph:
    """Run ``fn`` on ``inputs`` (numbers) and record each node's value and the gradient of
    the result with respect to it. Inputs are named after ``fn``'s parameters (or
    ``names``); intermediate nodes are named v1, v2, … in the order they are computed."""
    labels = names or tuple(inspect.signature(fn).parameters)[: len(inputs)]
    if len(labels) != len(inputs):
        raise ValueError(f"graph needs a name for each of the {len(inputs)} inputs")
    leaves = [Tensor(float(v), dtype=float64, requires_grad=True) for v in inputs]
    result = fn(*leaves)
    if not isinstance(result, Tensor) or result.numel() != 1 or result.grad_fn is None:
        raise ValueError("graph needs fn to compute one number from its inputs")
    order = _walk(result)
    name_of = {id(leaf): label for leaf, label in zip(leaves, labels, strict=True)}
    described = []  # (tensor, name, op, expression, formula), before backward frees the edges
    for tensor in order:
        node: Function | None = tensor.grad_fn
        if node is None:
            if id(tensor) in name_of:
                described.append((tensor, name_of[id(tensor)], "input", name_of[id(tensor)], ""))
            continue
        tensor.retain_grad()
        name_of[id(tensor)] = f"v{sum(d[2] != 'input' for d in described) + 1}"
        op = type(node).__name__
        described.append(
            (tensor, name_of[id(tensor)], op, _expression(op, node, name_of), node.formula)
        )
    result.backward()
    return Graph(
        tuple(
            GraphNode(name, op, expression, float(t.item()), float(t.grad.item()), formula)
            for t, name, op, expression, formula in described
        )
    )


def _expression(op: str, node: Function, name_of: dict[int, str]) -> str:
    args = [
        name_of.get(id(a), "?") if isinstance(a, Tensor) else f"{a:g}"
        for a in node.inputs
        if a is not None
    ]
    if op in _SYMBOLS and len(args) == 2:
        return f"{args[0]} {_SYMBOLS[op]} {args[1]}"
    return f"{op.lower()}({', '.join(args)})"
