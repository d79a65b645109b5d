"""How explain writes numbers: a fixed count of significant digits."""

from __future__ import annotations

DEFAULT_DIGITS = 9


def fmt(value: float | None, digits: int = DEFAULT_DIGITS) -> str:
    """``value`` with ``digits`` significant digits (0.596884378, -0.0190491175, 1.5e-10);
    "—" for None (a frozen parameter has no new value). Negative zero, which a product with
    a zero factor can be (a ReLU's derivative of 0 times a negative ∂E/∂out), prints as 0:
    a learner would read "-0" as a number below zero."""
    if value is None:
        return "—"
    return f"{0.0 if value == 0 else value:.{digits}g}"
