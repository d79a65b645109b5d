"""A computation on a few numbers as a graph, each node's value forward and its gradient
backward, as Koki Saito's *Deep Learning from Scratch* (chapter 5) draws the price of
apples and oranges.

The graph is the engine's own: ``fn`` runs on scalar tensors, every intermediate keeps its
gradient with ``retain_grad``, and one ``backward()`` fills them all. Each edge's share of
the gradient is the gradient that reached its op times the op's local derivative, which is
the op's own ``backward`` applied to 1: an addition passes the gradient through (× 1), a
multiplication swaps its inputs (× the other input).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .._backend import float64
from ..function import Function
from ..tensor import Tensor
from .blocks import Block, Heading, Paragraph, Table
from .labels import credit, say
from .lesson import Lesson
from .numbers import DEFAULT_DIGITS, fmt
from .pictures import Diagram, DiagramNode
from .trace import ExplainError

_SYMBOLS = {"Add": "+", "Sub": "−", "Mul": "×", "Div": "/", "Pow": "^"}
_RULES = {
    "Add": ("graph_rule_add", "graph_rule_add"),
    "Sub": ("graph_rule_add", "graph_rule_sub"),
    "Mul": ("graph_rule_mul", "graph_rule_mul"),
    "Div": ("graph_rule_div_a", "graph_rule_div_b"),
    "Pow": ("graph_rule_pow_a", "graph_rule_pow_b"),
}
"""The label of the rule an op's local derivative follows, for its left and right input."""
_FUNCTIONS = {
    "Neg": ("−", "−{x}: × −1"),
    "Exp": ("exp", "exp: × exp({x})"),
    "Log": ("log", "log: × 1 / {x}"),
    "Sqrt": ("√", "√: × 1 / (2 · √{x})"),
    "Abs": ("abs", "abs: × sign({x})"),
    "Tanh": ("tanh", "tanh: × (1 − tanh({x})²)"),
    "Sigmoid": ("σ", "σ: × σ({x}) · (1 − σ({x}))"),
    "ReLU": ("relu", "relu: × 1 ({x} > 0) | 0 ({x} ≤ 0)"),
}
"""An op of one input: the symbol its circle shows, and its local derivative; any other
op is described by its ``formula``."""


@dataclass(frozen=True)
class GraphNode:
    """A value in the computation: an input (``op`` is "input") or an op's result."""

    name: str
    op: str
    expression: str
    value: float
    grad: float
    formula: str
    inputs: tuple[str, ...] = ()  # the op's inputs: node names, or constants as numbers


@dataclass(frozen=True)
class GraphEdge:
    """One input of an op, followed backward: the gradient that reached the op times the
    op's local derivative with respect to that input is this input's share."""

    source: str  # the input's node
    target: str  # the op's node
    position: int  # which of the op's inputs (0: the left one)
    upstream: float  # ∂result/∂target: the engine's .grad of the op's result
    local: float  # ∂target/∂source: the op's backward applied to 1
    contribution: float  # upstream × local


@dataclass(frozen=True)
class Graph(Lesson):
    """The nodes in the order they were computed (the last one is the result), and the
    edges from the result back to the inputs, in the order backward follows them."""

    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...] = ()
    expression: str = ""  # the whole computation as its author wrote it, if it was written
    example: str = ""  # "apple" or "apple_orange": one of the book's, told as the book tells it

    def node(self, name: str) -> GraphNode:
        return next(n for n in self.nodes if n.name == name)

    def blocks(self, lang: str = "en", digits: int = DEFAULT_DIGITS) -> list[Block]:
        """The graph drawn, the forward pass node by node, the backward pass edge by edge
        with the rules that give each local derivative, and each node's gradient."""
        result = self.nodes[-1].name
        blocks: list[Block] = [
            Heading(1, say(lang, "graph_title", result=result)),
            Paragraph(credit(lang, "saito")),
        ]
        if self.example:
            blocks.append(Paragraph(say(lang, f"graph_{self.example}")))
        if self.expression:
            blocks.append(Paragraph(f"{result} = {self.expression}"))
        inputs = [n for n in self.nodes if n.op == "input"]
        blocks.append(Paragraph(", ".join(f"{n.name} = {fmt(n.value, digits)}" for n in inputs)))
        blocks.append(self.diagram(lang, digits))
        return blocks + self._forward(lang, digits) + self._backward(lang, digits)

    def diagram(self, lang: str = "en", digits: int = DEFAULT_DIGITS) -> Diagram:
        """The graph as a picture: each node with its value and gradient."""
        result = self.nodes[-1].name
        return Diagram(
            tuple(
                DiagramNode(
                    n.name,
                    "" if n.op == "input" else _symbol(n.op),
                    "" if n.op == "input" else n.expression,
                    n.inputs,
                    fmt(n.value, digits),
                    fmt(n.grad, digits),
                )
                for n in self.nodes
            ),
            f"∂{result}/∂{{name}}",
            (say(lang, "graph_legend_value"), say(lang, "graph_legend_grad", result=result)),
        )

    def _forward(self, lang: str, digits: int) -> list[Block]:
        values = {n.name: fmt(n.value, digits) for n in self.nodes}
        rows = tuple(
            (n.name, n.expression, _substituted(n, values), fmt(n.value, digits))
            for n in self.nodes
            if n.op != "input"
        )
        columns = (
            say(lang, "graph_node"),
            say(lang, "graph_computes"),
            say(lang, "graph_numbers"),
            say(lang, "value"),
        )
        return [
            Heading(2, say(lang, "forward")),
            Paragraph(say(lang, "graph_forward_intro")),
            Table(columns, (False, False, False, True), rows),
        ]

    def _backward(self, lang: str, digits: int) -> list[Block]:
        result = self.nodes[-1].name
        by_name = {n.name: n for n in self.nodes}
        rows = tuple(
            (
                e.target,
                e.source,
                _rule(by_name[e.target], e, lang, digits, by_name),
                fmt(e.upstream, digits),
                fmt(e.local, digits),
                f"{fmt(e.upstream, digits)} × {fmt(e.local, digits)} = "
                f"{fmt(e.contribution, digits)}",
            )
            for e in self.edges
        )
        columns = (
            say(lang, "graph_node"),
            say(lang, "graph_input"),
            say(lang, "graph_rule"),
            f"∂{result}/∂{say(lang, 'graph_node')}",
            say(lang, "graph_local"),
            say(lang, "graph_share"),
        )
        blocks: list[Block] = [
            Heading(2, say(lang, "backward")),
            Paragraph(say(lang, "graph_backward_intro", result=result)),
            Table(columns, (False, False, False, True, True, False), rows),
        ]
        blocks += self._rules(lang, digits)
        return blocks + self._gradients(lang, digits)

    def _rules(self, lang: str, digits: int) -> list[Block]:
        """The addition and multiplication rules, each with the numbers of its first edge."""
        result = self.nodes[-1].name
        by_name = {n.name: n for n in self.nodes}
        sentences = []
        for op, key in (("Add", "graph_add_says"), ("Mul", "graph_mul_says")):
            edges = [e for e in self.edges if by_name[e.target].op == op]
            if not edges:
                continue
            # Best shown where a gradient other than 1 arrives, between two different inputs.
            edge = min(
                edges,
                key=lambda e: (
                    e.upstream == 1,
                    len(set(by_name[e.target].inputs)) < 2,
                ),
            )
            node = by_name[edge.target]
            other = node.inputs[1 - edge.position]
            sentences.append(
                Paragraph(
                    say(
                        lang,
                        key,
                        result=result,
                        source=edge.source,
                        target=edge.target,
                        other=other,
                        other_value=fmt(edge.local, digits),
                        upstream=fmt(edge.upstream, digits),
                        share=fmt(edge.contribution, digits),
                    )
                )
            )
        return sentences

    def _gradients(self, lang: str, digits: int) -> list[Block]:
        result = self.nodes[-1].name
        rows = []
        for n in self.nodes:
            shares = [fmt(e.contribution, digits) for e in self.edges if e.source == n.name]
            summed = " + ".join(shares) if shares else say(lang, "graph_start")
            if len(shares) > 1:
                total = sum(e.contribution for e in self.edges if e.source == n.name)
                summed += f" = {fmt(total, digits)}"
            rows.append((n.name, fmt(n.value, digits), summed, fmt(n.grad, digits)))
        columns = (
            say(lang, "graph_node"),
            say(lang, "value"),
            say(lang, "graph_sum_of_shares", result=result),
            say(lang, "grad"),
        )
        return [
            Heading(2, say(lang, "graph_gradients")),
            Paragraph(say(lang, "graph_gradients_intro", result=result)),
            Table(columns, (False, True, False, True), tuple(rows)),
        ]


def _substituted(node: GraphNode, values: dict[str, str]) -> str:
    """The node's expression with its inputs' values in place of their names."""
    if node.op in _SYMBOLS and len(node.inputs) == 2:
        a, b = (values.get(i, i) for i in node.inputs)
        return f"{a} {_SYMBOLS[node.op]} {b}"
    if node.op == "Neg":
        return f"−{values.get(node.inputs[0], node.inputs[0])}"
    return f"{node.op.lower()}({', '.join(values.get(i, i) for i in node.inputs)})"


def _rule(
    node: GraphNode, edge: GraphEdge, lang: str, digits: int, by_name: dict[str, GraphNode]
) -> str:
    """Why the local derivative is what it is: "× passes on the other input, tax = 1.1"."""
    if node.op in _RULES:
        other = node.inputs[1 - edge.position] if len(node.inputs) == 2 else ""
        other_value = by_name[other].value if other in by_name else _number(other)
        return say(
            lang,
            _RULES[node.op][edge.position],
            other=other,
            other_value=fmt(other_value, digits),
        )
    if node.op in _FUNCTIONS:
        return _FUNCTIONS[node.op][1].format(x=edge.source)
    return node.formula


def _symbol(op: str) -> str:
    """What an op's circle shows: +, ×, exp, σ, …"""
    if op in _SYMBOLS:
        return _SYMBOLS[op]
    return _FUNCTIONS[op][0] if op in _FUNCTIONS else op.lower()


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")


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


def graph(
    fn: Callable[..., Tensor],
    *inputs: float,
    names: Sequence[str] = (),
    results: Sequence[str] = (),
    expression: str = "",
    example: str = "",
    result_name: str = "",
) -> Graph:
    """Run ``fn`` on ``inputs`` (numbers) and record each node's value, the gradient of
    the result with respect to it, and each edge's share of that gradient. Inputs are named
    after ``fn``'s parameters (or ``names``); intermediate nodes after ``results`` (in the
    order they are computed), else v1, v2, …, and the result ``result_name`` if it is
    given. ``expression`` is ``fn`` as written, for
    the lesson to show; ``example`` names one of the book's (see ``price_graph``)."""
    labels = tuple(names) or tuple(inspect.signature(fn).parameters)[: len(inputs)]
    if len(labels) != len(inputs):
        raise ValueError(f"graph needs a name for each of the {len(inputs)} inputs")
    leaves = [Tensor(float(v), dtype=float64, requires_grad=True) for v in inputs]
    with np.errstate(all="ignore"):
        result = fn(*leaves)
        if not isinstance(result, Tensor) or result.numel() != 1 or result.grad_fn is None:
            raise ExplainError("graph needs fn to compute one number from its inputs")
        order = _walk(result)
        name_of = {id(leaf): label for leaf, label in zip(leaves, labels, strict=True)}
        described = []  # (tensor, name, op, inputs, locals, formula), before backward frees
        count = 0
        for tensor in order:
            node: Function | None = tensor.grad_fn
            if node is None:
                if id(tensor) in name_of:
                    described.append((tensor, name_of[id(tensor)], "input", (), (), ""))
                continue
            tensor.retain_grad()
            if tensor is result and result_name:
                name_of[id(tensor)] = result_name
            else:
                name_of[id(tensor)] = results[count] if count < len(results) else f"v{count + 1}"
            count += 1
            arguments = tuple(_argument(a, name_of) for a in node.inputs if a is not None)
            local = node.backward(node, np.ones_like(tensor.data))
            local = local if isinstance(local, tuple) else (local,)
            described.append(
                (tensor, name_of[id(tensor)], type(node).__name__, arguments, local, node.formula)
            )
        result.backward()
    nodes = tuple(
        GraphNode(
            name,
            op,
            _expression(op, arguments) if op != "input" else name,
            float(t.item()),
            float(t.grad.item()),
            formula,
            arguments,
        )
        for t, name, op, arguments, _, formula in described
    )
    edges = tuple(
        GraphEdge(
            source,
            name,
            position,
            float(t.grad.item()),
            float(np.asarray(derivative).reshape(-1)[0]),
            float(t.grad.item()) * float(np.asarray(derivative).reshape(-1)[0]),
        )
        for t, name, op, arguments, local, _ in reversed(described)
        if op != "input"
        for position, (source, derivative) in enumerate(zip(arguments, local, strict=False))
        if derivative is not None and any(n.name == source for n in nodes)
    )
    bad = [n.name for n in nodes if not (np.isfinite(n.value) and np.isfinite(n.grad))]
    if bad:
        raise ExplainError(
            f"{', '.join(bad)} is not a finite number at these values (a division by 0, the "
            "log of a number ≤ 0, or an overflow); choose other values"
        )
    return Graph(nodes, edges, expression, example)


def _argument(value: object, name_of: dict[int, str]) -> str:
    """An op's input as the graph names it: a node's name, or a constant's value."""
    if isinstance(value, Tensor):
        return name_of.get(id(value)) or f"{value.item():g}"
    return f"{value:g}"


def _expression(op: str, args: tuple[str, ...]) -> str:
    if op in _SYMBOLS and len(args) == 2:
        return f"{args[0]} {_SYMBOLS[op]} {args[1]}"
    if op == "Neg":
        return f"−{args[0]}"
    return f"{op.lower()}({', '.join(args)})"
