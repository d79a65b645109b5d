"""What the renderers draw: a walk-through (a ``Trace``) or a lesson of the material (the
error split, a computational graph, XOR), each as a list of blocks.

A lesson's record subclasses ``Lesson``: it writes its own blocks, and gets from here what
every lesson shows itself with (text, ``str``, and HTML in a notebook), drawn by the same
renderers as the walk-through.
"""

from __future__ import annotations

from .blocks import Block, walkthrough
from .numbers import DEFAULT_DIGITS
from .records import Trace
from .trace import ExplainError


class Lesson:
    """A lesson's record: ``blocks`` lays it out, in words of ``lang`` and numbers of
    ``digits`` significant digits."""

    digits = DEFAULT_DIGITS  # what it shows when no count of digits is asked for

    def blocks(self, lang: str = "en", digits: int = DEFAULT_DIGITS) -> list[Block]:
        raise NotImplementedError("a Lesson subclass lays out its blocks")

    def to_text(self, lang: str = "en", digits: int | None = None) -> str:
        """The lesson as the terminal shows it (``render_text``)."""
        from .text import render_text  # rich is imported only when text is asked for

        return render_text(self, lang, digits or self.digits)

    def __str__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        """The lesson as an HTML fragment, for Jupyter."""
        from .html import lesson_html

        return lesson_html(self, "en", self.digits, page=False)


def blocks_of(subject: Trace | Lesson, lang: str, digits: int, matrix: bool = False) -> list[Block]:
    """The blocks of a walk-through (with ``matrix``, and its matrix form) or of a lesson,
    which has no matrix form to add."""
    if isinstance(subject, Trace):
        return walkthrough(subject, lang, digits, matrix=matrix)
    if matrix:
        raise ExplainError(
            f"the matrix form is a training step's; {type(subject).__name__} has none, so "
            "leave out matrix"
        )
    return subject.blocks(lang, digits)
