"""Seed 002: sending output errors back to the hidden neurons, two ways.

Split in proportion: output k's error e_k goes back along each of its incoming weights in
proportion to that weight, w_kh / Σ_h' w_kh', and hidden neuron h collects its shares from
every output. Transposed matrix: drop the normalising denominators and the split becomes
a matrix product, e_hidden = Wᵀ · e, which is the form backpropagation uses. The two give
different numbers (the second is not normalised); the record keeps both and their gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..tensor import Tensor
from .labels import say
from .numbers import DEFAULT_DIGITS, fmt


@dataclass(frozen=True)
class Share:
    """The part of output ``output``'s error that travels back over one weight."""

    output: str
    error: float
    weight: float
    fraction: float  # weight / sum of the output's incoming weights
    amount: float  # error * fraction


@dataclass(frozen=True)
class HiddenError:
    """One hidden neuron's error by both methods, and how far apart they are."""

    neuron: str
    shares: tuple[Share, ...]
    proportional: float  # sum of the shares
    transposed: float  # (Wᵀ e) for this neuron
    difference: float  # transposed - proportional


@dataclass(frozen=True)
class ErrorSplit:
    """Seed 002's two ways to split output errors back over a weight matrix (out, hidden)."""

    weights: tuple[tuple[float, ...], ...]
    output_errors: tuple[float, ...]
    hidden: tuple[HiddenError, ...]

    def to_text(self, lang: str = "en", digits: int = DEFAULT_DIGITS) -> str:
        """The split as plain text: each share, both totals and their difference."""
        lines = [say(lang, "split_title"), say(lang, "split_intro"), ""]
        for h in self.hidden:
            parts = " + ".join(
                f"{fmt(s.error, digits)} × {fmt(s.weight, digits)}/"
                f"{fmt(s.weight / s.fraction if s.fraction else 0.0, digits)}"
                for s in h.shares
            )
            lines.append(f"{h.neuron}: {parts} = {fmt(h.proportional, digits)}")
            lines.append(
                f"    Wᵀ·e: {fmt(h.transposed, digits)}   "
                f"({say(lang, 'split_difference')} {fmt(h.difference, digits)})"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()


def _as_array(value: Any) -> np.ndarray:
    return np.asarray(value.data if isinstance(value, Tensor) else value, dtype=float)


def error_split(weights: Any, output_errors: Any) -> ErrorSplit:
    """Both of seed 002's ways to send ``output_errors`` (n_out,) back over ``weights``, a
    matrix shaped like ``nn.Linear.weight``: (n_out, n_hidden), row k holding the weights
    into output k. Seed 002: errors 0.8, 0.5 over weights [[2, 3], [1, 4]] give 0.42 and
    0.88 by proportional split, and [2.1, 4.4] as Wᵀ·e."""
    w = _as_array(weights)
    e = _as_array(output_errors).reshape(-1)
    if w.ndim != 2 or w.shape[0] != e.size:
        raise ValueError(
            f"error_split needs weights of shape (outputs, hidden) with one row per output "
            f"error; got weights of shape {w.shape} and {e.size} errors"
        )
    totals = w.sum(axis=1)
    if np.any(totals == 0):
        raise ValueError(
            "each output's incoming weights must not sum to 0 for a proportional split"
        )
    transposed = w.T @ e
    hidden = []
    for h in range(w.shape[1]):
        shares = tuple(
            Share(
                f"o{k + 1}",
                float(e[k]),
                float(w[k, h]),
                float(w[k, h] / totals[k]),
                float(e[k] * w[k, h] / totals[k]),
            )
            for k in range(w.shape[0])
        )
        proportional = sum(s.amount for s in shares)
        hidden.append(
            HiddenError(
                f"h{h + 1}",
                shares,
                proportional,
                float(transposed[h]),
                float(transposed[h] - proportional),
            )
        )
    return ErrorSplit(
        tuple(tuple(float(v) for v in row) for row in w), tuple(float(v) for v in e), tuple(hidden)
    )
