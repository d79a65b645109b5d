"""How explain writes numbers: a fixed count of significant digits, and the few words around
a number that depend on its value (parentheses round a negative operand; which branch of a
formula holds). The page's script (page.js) writes them the same way when a number changes."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence

DEFAULT_DIGITS = 9


def fmt(value: float | None, digits: int = DEFAULT_DIGITS) -> str:
    """``value`` with ``digits`` significant digits (0.596884378, -0.0190491175, 1.5e-10);
    "—" for None (a frozen parameter has no new value). Negative zero, which a product with
    a zero factor can be (a ReLU's derivative of 0 times a negative ∂E/∂out), prints as 0:
    a learner would read "-0" as a number below zero."""
    if value is None:
        return "—"
    return f"{0.0 if value == 0 else value:.{digits}g}"


FORMS: dict[str, Callable[[float | None, str], str]] = {
    "paren": lambda value, text: f"({text})" if value is not None and value < 0 else text,
}
"""How a number is written where its value decides the text around it: "paren", an operand
of an expression, stands in parentheses when negative ("0.05 + (-0.019)")."""


def shown(value: float | None, digits: int = DEFAULT_DIGITS, form: str = "") -> str:
    """``value`` as ``fmt`` writes it, in its ``form`` (one of ``FORMS``) if it has one."""
    text = fmt(value, digits)
    return FORMS[form](value, text) if form else text


TESTS: dict[str, Callable[[Sequence[float]], bool]] = {
    "positive": lambda values: values[0] > 0,
    "equal": lambda values: all(v == values[0] for v in values),
    "sums_to_one": lambda values: abs(functools.reduce(operator.add, values, 0.0) - 1) < 1e-12,
}
"""What decides which words a formula shows, from the values of some records: a ReLU's side
(net > 0), whether a layer's biases start equal, whether ce's targets sum to 1 (y − target;
added one after another, as the page's script adds them)."""


def holds(test: str, values: Sequence[float]) -> bool:
    """Whether ``test`` (a name of ``TESTS``, or "!" and a name for its negation) holds for
    ``values``."""
    if test.startswith("!"):
        return not TESTS[test[1:]](values)
    return TESTS[test](values)
