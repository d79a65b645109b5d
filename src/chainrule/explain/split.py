"""Sending output errors back to the hidden neurons, two ways, as Tariq Rashid's *Make Your
Own Neural Network* does it.

Split in proportion: output k's error e_k goes back along each of its incoming weights in
proportion to that weight, w_hk / Σ_h' w_h'k, and hidden neuron h collects its shares from
every output. Transposed matrix: drop the normalising denominators and the split becomes
a matrix product, e_hidden = Wᵀ · e, which is the form backpropagation uses. The two give
different numbers (the second is not normalised); the record keeps both, the sums that
make them differ, and their gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..tensor import Tensor
from .blocks import Block, Heading, Paragraph, Table
from .labels import credit, say
from .lesson import Lesson
from .numbers import DEFAULT_DIGITS, fmt
from .trace import ExplainError

BOOK_WEIGHTS = ((2.0, 3.0), (1.0, 4.0))
BOOK_ERRORS = (0.8, 0.5)
"""Rashid's example: output errors 0.8 and 0.5 over weights 2, 3 (into o1) and 1, 4 (into o2)."""


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


def weight_name(hidden: int, output: int) -> str:
    """Rashid's name of the weight from hidden neuron ``hidden`` to output ``output`` (both
    counted from 1): w11, w21, …; w1,12 once a number has two digits."""
    comma = "," if max(hidden, output) > 9 else ""
    return f"w{hidden}{comma}{output}"


@dataclass(frozen=True)
class ErrorSplit(Lesson):
    """Rashid's two ways to split output errors back over a weight matrix (out, hidden)."""

    weights: tuple[tuple[float, ...], ...]
    output_errors: tuple[float, ...]
    hidden: tuple[HiddenError, ...]
    sums: tuple[float, ...]  # each output's normalising sum: the weights into it

    def blocks(self, lang: str = "en", digits: int = DEFAULT_DIGITS) -> list[Block]:
        """The given weights and errors, the split in proportion, Wᵀ·e, and why they differ."""
        w = _Words(lang, digits)
        return [
            Heading(1, w.say("split_title")),
            Paragraph(credit(lang, "rashid")),
            Paragraph(w.say("split_intro")),
            *self._given(w),
            *self._proportional(w),
            *self._transposed(w),
            *self._compared(w),
        ]

    def _given(self, w: _Words) -> list[Block]:
        columns = (
            w.say("split_output"),
            w.say("split_error"),
            *(w.say("split_from", neuron=h.neuron) for h in self.hidden),
            w.say("split_sum"),
        )
        rows = tuple(
            (
                f"o{k + 1}",
                w.num(error),
                *(
                    f"{weight_name(h + 1, k + 1)} = {w.num(self.weights[k][h])}"
                    for h in range(len(self.hidden))
                ),
                w.num(self.sums[k]),
            )
            for k, error in enumerate(self.output_errors)
        )
        numeric = (False, True, *(False for _ in self.hidden), True)
        return [
            Heading(2, w.say("split_given")),
            Table(columns, numeric, rows),
            Paragraph(w.say("split_sum_is")),
        ]

    def _proportional(self, w: _Words) -> list[Block]:
        columns = (
            w.say("split_output"),
            w.say("split_error"),
            w.say("split_to"),
            w.say("weight"),
            "w / Σw",
            "e · w / Σw",
        )
        rows = tuple(
            (
                f"o{k + 1}",
                w.num(error),
                h.neuron,
                f"{weight_name(j + 1, k + 1)} = {w.num(h.shares[k].weight)}",
                f"{w.num(h.shares[k].weight)} / {w.num(self.sums[k])} = "
                f"{w.num(h.shares[k].fraction)}",
                f"{w.num(error)} · {w.num(h.shares[k].fraction)} = {w.num(h.shares[k].amount)}",
            )
            for k, error in enumerate(self.output_errors)
            for j, h in enumerate(self.hidden)
        )
        per_output = len(self.hidden)
        sections = tuple(per_output * (k + 1) - 1 for k in range(len(self.output_errors) - 1))
        numeric = (False, True, False, False, False, False)
        whole = [
            Paragraph(
                w.say(
                    "split_whole",
                    output=f"o{k + 1}",
                    shares=" + ".join(w.num(h.shares[k].amount) for h in self.hidden),
                    error=w.num(error),
                )
            )
            for k, error in enumerate(self.output_errors)
        ]
        return [
            Heading(2, w.say("split_proportional")),
            Paragraph(w.say("split_proportional_intro")),
            Table(columns, numeric, rows, sections=sections),
            *whole,
            Paragraph(w.say("split_collect")),
            *(Paragraph(self._collected(j, h, w)) for j, h in enumerate(self.hidden)),
        ]

    def _collected(self, j: int, h: HiddenError, w: _Words) -> str:
        """e_h1 = e1 · w11 / (w11 + w21) + … = 0.8 · 2 / 5 + … = 0.32 + 0.1 = 0.42"""
        hidden_count = len(self.hidden)
        symbols = " + ".join(
            f"e{k + 1} · {weight_name(j + 1, k + 1)} / "
            f"({' + '.join(weight_name(i + 1, k + 1) for i in range(hidden_count))})"
            for k in range(len(self.output_errors))
        )
        numbers = " + ".join(
            f"{w.num(s.error)} · {w.num(s.weight)} / {w.num(self.sums[k])}"
            for k, s in enumerate(h.shares)
        )
        shares = " + ".join(w.num(s.amount) for s in h.shares)
        return f"e_{h.neuron} = {symbols} = {numbers} = {shares} = {w.num(h.proportional)}"

    def _transposed(self, w: _Words) -> list[Block]:
        def matrix(rows: list[list[float]]) -> str:
            return "[" + ", ".join("[" + ", ".join(map(w.num, row)) + "]" for row in rows) + "]"

        weights = [list(row) for row in self.weights]
        transposed = [list(column) for column in zip(*self.weights, strict=True)]
        errors = "[" + ", ".join(map(w.num, self.output_errors)) + "]"
        products = [
            f"e_{h.neuron} = "
            + " + ".join(
                f"{weight_name(j + 1, k + 1)} · e{k + 1}" for k in range(len(self.output_errors))
            )
            + " = "
            + " + ".join(f"{w.num(s.weight)} · {w.num(s.error)}" for k, s in enumerate(h.shares))
            + f" = {w.num(h.transposed)}"
            for j, h in enumerate(self.hidden)
        ]
        result = "[" + ", ".join(w.num(h.transposed) for h in self.hidden) + "]"
        return [
            Heading(2, w.say("split_matrix")),
            Paragraph(w.say("split_matrix_intro")),
            Paragraph(f"W = {matrix(weights)},   Wᵀ = {matrix(transposed)},   e = {errors}"),
            *(Paragraph(line) for line in products),
            Paragraph(f"e_hidden = Wᵀ · e = {result}"),
        ]

    def _compared(self, w: _Words) -> list[Block]:
        columns = (
            w.say("split_hidden"),
            w.say("split_by_share"),
            "Wᵀ · e",
            w.say("split_difference"),
        )
        rows = tuple(
            (h.neuron, w.num(h.proportional), w.num(h.transposed), w.num(h.difference))
            for h in self.hidden
        )
        sent = ", ".join(
            f"o{k + 1}: {w.num(e)} · {w.num(s)} = {w.num(e * s)}"
            for k, (e, s) in enumerate(zip(self.output_errors, self.sums, strict=True))
        )
        if len(set(self.sums)) == 1:
            scaled = ", ".join(
                f"{w.num(h.transposed)} = {w.num(self.sums[0])} · {w.num(h.proportional)}"
                for h in self.hidden
            )
            why = w.say("split_same_sums", sum=w.num(self.sums[0]), scaled=scaled)
        else:
            sums = ", ".join(f"o{k + 1}: {w.num(s)}" for k, s in enumerate(self.sums))
            why = w.say("split_different_sums", sums=sums)
        return [
            Heading(2, w.say("split_compare")),
            Table(columns, (False, True, True, True), rows),
            Paragraph(w.say("split_sent", sent=sent)),
            Paragraph(why),
            Paragraph(w.say("split_why")),
        ]


@dataclass(frozen=True)
class _Words:
    lang: str
    digits: int

    def say(self, key: str, **values: object) -> str:
        return say(self.lang, key, **values)

    def num(self, value: float) -> str:
        return fmt(value, self.digits)


def _as_array(value: Any, what: str) -> np.ndarray:
    try:
        array = np.asarray(value.data if isinstance(value, Tensor) else value, dtype=float)
    except (TypeError, ValueError):
        raise ExplainError(f"error_split needs {what} as numbers, not {value!r}") from None
    if not np.all(np.isfinite(array)):
        raise ExplainError(f"error_split needs finite {what}; got {array.tolist()}")
    return array


def error_split(weights: Any = BOOK_WEIGHTS, output_errors: Any = BOOK_ERRORS) -> ErrorSplit:
    """Both of Rashid's ways to send ``output_errors`` (n_out,) back over ``weights``, a
    matrix shaped like ``nn.Linear.weight``: (n_out, n_hidden), row k holding the weights
    into output k. By default the book's example: errors 0.8, 0.5 over weights [[2, 3],
    [1, 4]] give 0.42 and 0.88 by proportional split, and [2.1, 4.4] as Wᵀ·e."""
    w = _as_array(weights, "weights")
    e = _as_array(output_errors, "output errors").reshape(-1)
    if w.ndim != 2 or w.shape[0] != e.size or w.size == 0:
        raise ExplainError(
            f"error_split needs weights of shape (outputs, hidden) with one row per output "
            f"error; got weights of shape {w.shape} and {e.size} errors"
        )
    totals = w.sum(axis=1)
    if np.any(totals == 0):
        zero = int(np.flatnonzero(totals == 0)[0]) + 1
        raise ExplainError(
            f"the weights into output o{zero} sum to 0, so there is no proportional split of "
            "its error; give weights whose rows do not sum to 0"
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
        tuple(tuple(float(v) for v in row) for row in w),
        tuple(float(v) for v in e),
        tuple(hidden),
        tuple(float(v) for v in totals),
    )
