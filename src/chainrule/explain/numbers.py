"""How explain writes numbers: a fixed count of significant digits."""

from __future__ import annotations

DEFAULT_DIGITS = 9


def fmt(value: float | None, digits: int = DEFAULT_DIGITS) -> str:
    """``value`` with ``digits`` significant digits (0.596884378, -0.0190491175, 1.5e-10);
    "—" for None (a frozen parameter has no new value). Negative zero is "0": a sign
    on nothing tells a learner nothing."""
    if value is None:
        return "—"
    return "0" if value == 0 else f"{value:.{digits}g}"
