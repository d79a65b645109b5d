"""A computational graph from an expression someone writes, like "x*y + z", and Saito's two
price graphs written the same way.

The expression is never run as Python: ``ast`` reads it, and only numbers, names, + − × /
and ** (a power), unary minus, parentheses and the functions in ``FUNCTIONS`` are accepted.
Anything else is refused with one line that says what to write instead. The accepted tree
is then computed on the engine's tensors, so the graph and its gradients are the engine's.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ..tensor import Tensor
from .graph import Graph, graph
from .trace import ExplainError

FUNCTIONS: dict[str, Callable[[float], float]] = {
    "exp": math.exp,
    "log": math.log,
    "sqrt": math.sqrt,
    "tanh": math.tanh,
    "sigmoid": lambda v: 1 / (1 + math.exp(-v)),
    "relu": lambda v: max(v, 0.0),
    "abs": abs,
}
"""The functions an expression may call, each with what it computes on a plain number (a
constant argument); on a tensor, the Tensor method of that name computes it."""
MAX_LENGTH = 300
MAX_OPERATIONS = 40
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_BINARY: dict[type, tuple[Callable[[Any, Any], Any], str, int]] = {
    ast.Add: (operator.add, "+", 1),
    ast.Sub: (operator.sub, "−", 1),
    ast.Mult: (operator.mul, "×", 2),
    ast.Div: (operator.truediv, "/", 2),
    ast.Pow: (operator.pow, "^", 4),
}
"""Each accepted operator: what computes it, how the lesson writes it, and how tightly it
binds (a unary minus binds at 3)."""
_HOW = "use numbers, names, + - * / ** and parentheses, and " + ", ".join(FUNCTIONS)

PRICE_GRAPHS: dict[str, tuple[str, dict[str, float], tuple[str, ...]]] = {
    "apple": (
        "apple * apple_num * tax",
        {"apple": 100.0, "apple_num": 2.0, "tax": 1.1},
        ("apple_price", "price"),
    ),
    "apple-orange": (
        "(apple * apple_num + orange * orange_num) * tax",
        {"apple": 100.0, "apple_num": 2.0, "orange": 150.0, "orange_num": 3.0, "tax": 1.1},
        ("apple_price", "orange_price", "all_price", "price"),
    ),
}
"""Saito's price graphs (Deep Learning from Scratch, chapter 5): the expression, its inputs
with the book's numbers, and the book's names of the values computed on the way."""


def parse(text: str) -> tuple[ast.expr, tuple[str, ...]]:
    """The expression's tree and its names in the order they first appear; an
    ``ExplainError`` for anything but the arithmetic described above."""
    if len(text) > MAX_LENGTH:
        raise ExplainError(
            f"the expression is {len(text)} characters long; keep it to {MAX_LENGTH}"
        )
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise ExplainError(
            f"cannot read {text!r} as an expression; {_HOW}, like 'x*y + z'"
        ) from None
    operations = 0
    for node in ast.walk(tree):
        operations += isinstance(node, ast.BinOp | ast.UnaryOp | ast.Call)
        _check(node, text)
    if operations > MAX_OPERATIONS:
        raise ExplainError(
            f"the expression has {operations} operations; explain graph draws up to "
            f"{MAX_OPERATIONS}"
        )
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and n.id in FUNCTIONS and id(n) not in called:
            raise ExplainError(f"{n.id} is a function, not a name; call it, like {n.id}(x)")
    found = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in called]
    if not found:
        raise ExplainError(f"{text!r} has no names to take gradients for; write one, like 'x*y'")
    if isinstance(tree, ast.Name):
        raise ExplainError(f"{text!r} computes nothing; combine names with operations, like x*y")
    order = [n.id for n in sorted(found, key=lambda n: n.col_offset)]
    return tree, tuple(dict.fromkeys(order))


def _check(node: ast.AST, text: str) -> None:
    """Refuse anything but the accepted arithmetic, naming the part refused."""
    part = ast.get_source_segment(text.strip(), node) or type(node).__name__
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.BitXor):
            raise ExplainError(f"'^' in {part!r} is not a power here; write ** (x**2)")
        if type(node.op) not in _BINARY:
            raise ExplainError(f"{part!r} uses an operator explain graph lacks; {_HOW}")
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.USub | ast.UAdd):
            raise ExplainError(f"{part!r} uses an operator explain graph lacks; {_HOW}")
    elif isinstance(node, ast.Call):
        if (
            not isinstance(node.func, ast.Name)
            or node.func.id not in FUNCTIONS
            or len(node.args) != 1
            or node.keywords
        ):
            raise ExplainError(
                f"{part!r} is not a call explain graph knows; call one of "
                f"{', '.join(FUNCTIONS)} on one argument, like exp(x)"
            )
    elif isinstance(node, ast.Name):
        if node.id in FUNCTIONS:
            return  # checked as the function of its call
        if not _NAME.match(node.id):
            raise ExplainError(
                f"name {node.id!r} must start with a letter, then letters, digits or _"
            )
    elif isinstance(node, ast.Constant):
        if type(node.value) not in (int, float) or not math.isfinite(node.value):
            raise ExplainError(f"{part!r} is not a finite number; {_HOW}")
    elif not isinstance(node, ast.operator | ast.unaryop | ast.Load):
        raise ExplainError(f"{part!r} is not arithmetic explain graph draws; {_HOW}")


def written(tree: ast.expr) -> str:
    """The expression as the lesson writes it: × for *, − for -, ^ for **, and only the
    parentheses it needs."""

    def show(node: ast.expr, outer: int, right: bool) -> str:
        if isinstance(node, ast.Constant):
            return f"{node.value:g}"
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Call):
            return f"{node.func.id}({show(node.args[0], 0, False)})"  # type: ignore[attr-defined]
        if isinstance(node, ast.UnaryOp):
            inner = show(node.operand, 3, False)
            text = ("−" if isinstance(node.op, ast.USub) else "+") + inner
            return f"({text})" if outer > 3 else text
        assert isinstance(node, ast.BinOp)
        _, symbol, binds = _BINARY[type(node.op)]
        power = isinstance(node.op, ast.Pow)
        text = (
            f"{show(node.left, binds + power, False)} {symbol} "
            f"{show(node.right, binds + (not power), True)}"
        )
        return f"({text})" if binds < outer else text

    return show(tree, 0, False)


def _computed(tree: ast.expr, names: tuple[str, ...]) -> Callable[..., Any]:
    """A function of one value per name that computes ``tree`` on them: constants as plain
    numbers, anything with a tensor in it as the engine's ops."""

    def value(node: ast.expr, env: dict[str, Any]) -> Any:
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.Name):
            return env[node.id]
        if isinstance(node, ast.UnaryOp):
            inner = value(node.operand, env)
            return -inner if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.Call):
            argument = value(node.args[0], env)
            name = node.func.id  # type: ignore[attr-defined]
            if isinstance(argument, Tensor):
                return getattr(argument, name)()
            return FUNCTIONS[name](argument)
        assert isinstance(node, ast.BinOp)
        return _BINARY[type(node.op)][0](value(node.left, env), value(node.right, env))

    def fn(*leaves: Tensor) -> Any:
        try:
            return value(tree, dict(zip(names, leaves, strict=True)))
        except (ArithmeticError, ValueError) as error:
            raise ExplainError(f"cannot compute the expression's constants: {error}") from None

    return fn


def expression_graph(
    text: str,
    values: Mapping[str, float],
    results: tuple[str, ...] = (),
    example: str = "",
) -> Graph:
    """The graph of ``text`` with its names set to ``values``: every name needs a value and
    every value a name. ``results`` names the values computed on the way."""
    tree, names = parse(text)
    missing = [n for n in names if n not in values]
    if missing:
        given = ",".join(f"{n}=…" for n in missing)
        raise ExplainError(
            f"no value for {', '.join(missing)}; give every name of the expression a value, "
            f"like {given}"
        )
    unused = [n for n in values if n not in names]
    if unused:
        raise ExplainError(
            f"{', '.join(unused)} is not in the expression, whose names are {', '.join(names)}"
        )
    inputs = [float(values[n]) for n in names]
    with np.errstate(all="ignore"):
        return graph(
            _computed(tree, names),
            *inputs,
            names=names,
            results=results,
            expression=written(tree),
            example=example,
            result_name="" if results else next(n for n in ("f", "g", "result") if n not in names),
        )


def price_graph(name: str, values: Mapping[str, float] | None = None) -> Graph:
    """Saito's "apple" or "apple-orange" graph, with the book's numbers or ``values`` in
    place of some of them."""
    if name not in PRICE_GRAPHS:
        raise ExplainError(f"no price graph {name!r}; choose {' or '.join(PRICE_GRAPHS)}")
    text, book, results = PRICE_GRAPHS[name]
    unknown = [n for n in values or {} if n not in book]
    if unknown:
        raise ExplainError(
            f"the {name} graph has no input {', '.join(unknown)}; its inputs are {', '.join(book)}"
        )
    return expression_graph(text, {**book, **(values or {})}, results, name.replace("-", "_"))
