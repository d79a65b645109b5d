"""Walk-throughs of backpropagation: every number of a forward pass, a backward pass and an
update, for any small network, as Matt Mazur's step-by-step example works it; and the
lessons of Tariq Rashid's error split, Koki Saito's computational graphs and the XOR problem.

The terminal renderer (``render_text``, ``print_text``) is loaded when first asked for, so
that Markdown, HTML and the records work without importing rich.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .expression import expression_graph, price_graph
from .graph import Graph, GraphEdge, GraphNode, graph
from .html import html_repr, render_html
from .labels import LANGUAGES, say
from .lesson import Lesson
from .markdown import render_markdown
from .networks import Example, seed_000
from .numbers import DEFAULT_DIGITS, fmt
from .records import Delta, FeedTerm, LossTerm, Neuron, ParameterStep, Trace
from .split import ErrorSplit, error_split
from .trace import ExplainError, trace
from .xor import XorStory, xor_story

if TYPE_CHECKING:
    from .text import print_text, render_text

__all__ = [
    "DEFAULT_DIGITS",
    "LANGUAGES",
    "Delta",
    "ErrorSplit",
    "Example",
    "ExplainError",
    "FeedTerm",
    "Graph",
    "GraphEdge",
    "GraphNode",
    "Lesson",
    "LossTerm",
    "Neuron",
    "ParameterStep",
    "Trace",
    "XorStory",
    "error_split",
    "expression_graph",
    "fmt",
    "graph",
    "html_repr",
    "price_graph",
    "print_text",
    "render_html",
    "render_markdown",
    "render_text",
    "say",
    "seed_000",
    "trace",
    "xor_story",
]


def __getattr__(name: str) -> Any:
    """``render_text`` and ``print_text``, imported from ``text`` (and rich) on first use."""
    if name in ("render_text", "print_text"):
        from . import text

        return getattr(text, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
