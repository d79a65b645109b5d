"""Why a single-layer perceptron cannot learn XOR and a 2-2-1 network can, as lecture 8 of
Boostcourse's PyTorch course (파이토치로 시작하는 딥러닝 기초) shows it.

Both are trained as in the lecture's PyTorch program (sigmoid units, BCE, SGD with learning
rate 1, 10,001 steps). The perceptron's decision boundary is one line, w1·x1 + w2·x2 + b = 0,
and no line puts (0, 1) and (1, 0) on one side with (0, 0) and (1, 1) on the other, so it
settles on 0.5 everywhere. Each hidden unit of the 2-2-1 network draws its own line; in the
hidden units' coordinates the four points can be separated by the output unit's line.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from .. import nn, optim
from ..data import xor
from ..function import no_grad
from ..random import get_rng_state, manual_seed, set_rng_state
from ..tensor import Tensor
from .blocks import Block, Heading, Paragraph, Table
from .labels import credit, say
from .lesson import Lesson
from .numbers import fmt
from .pictures import Plane, PlaneLine

FLAT = 1e-4
"""The largest net input, anywhere on the unit square, of a neuron that draws no boundary:
its output stays within 0.5 ± 0.000025 there, 0.5 to the lesson's 4 digits. The
perceptron's weights end near 1e-7, float32's rounding of 0, and a line computed from them
would be noise."""
CORNERS = ((0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0))


@dataclass(frozen=True)
class Line:
    """The points where a sigmoid unit is exactly undecided: a·u + b·v + c = 0."""

    unit: str
    a: float
    b: float
    c: float

    def net_on_square(self) -> list[float]:
        """a·u + b·v + c at the unit square's corners, where it is largest and smallest."""
        return [self.a * u + self.b * v + self.c for u, v in CORNERS]

    @property
    def reach(self) -> float:
        """The largest |a·u + b·v + c| on the unit square."""
        return max(map(abs, self.net_on_square()))

    @property
    def flat(self) -> bool:
        """Whether the weights are at noise level: the output is 0.5 all over the square,
        and there is no boundary to draw."""
        return self.reach <= FLAT

    def describe(self, u: str, v: str, digits: int) -> str:
        """ "8.36·x1 − 8.07·x2 + 4.04 = 0   (x2 = 1.04·x1 + 0.5)"; never called on a flat
        line (a line from noise is no boundary)."""
        equation = f"{_terms([(self.a, u), (self.b, v), (self.c, '')], digits)} = 0"
        if abs(self.b) < 1e-12:
            return equation
        line = _terms([(-self.a / self.b, u), (-self.c / self.b, "")], digits)
        return f"{equation}   ({v} = {line})"

    def drawn(self) -> PlaneLine:
        return PlaneLine(self.unit, self.a, self.b, self.c)


def _terms(terms: list[tuple[float, str]], digits: int) -> str:
    """a·u + b·v + c written with its signs: 8.36·x1 − 8.07·x2 + 4.04."""
    text = ""
    for coefficient, name in terms:
        number = fmt(abs(coefficient), digits) + (f"·{name}" if name else "")
        if not text:
            text = ("−" if coefficient < 0 else "") + number
        else:
            text += (" − " if coefficient < 0 else " + ") + number
    return text


@dataclass(frozen=True)
class XorStory(Lesson):
    """Both networks after training, their outputs on the four points, and their lines."""

    inputs: tuple[tuple[float, float], ...]
    targets: tuple[float, ...]
    perceptron_outputs: tuple[float, ...]
    perceptron_line: Line
    perceptron_cost: float
    hidden: tuple[tuple[float, ...], ...]  # the hidden units' outputs at each point
    hidden_lines: tuple[Line, ...]
    output_line: Line  # in the hidden units' coordinates
    network_outputs: tuple[float, ...]
    network_cost: float
    steps: int

    digits = 4

    def blocks(self, lang: str = "en", digits: int = 4) -> list[Block]:
        """The perceptron's outputs and (missing) boundary, then the 2-2-1 network's lines,
        hidden outputs and decision, each drawn on the plane."""
        return [
            Heading(1, say(lang, "xor_title")),
            Paragraph(credit(lang, "boostcourse")),
            Paragraph(say(lang, "xor_intro")),
            *self._perceptron(lang, digits),
            *self._network(lang, digits),
        ]

    def _points(self) -> tuple[tuple[float, float, float], ...]:
        return tuple((x1, x2, t) for (x1, x2), t in zip(self.inputs, self.targets, strict=True))

    def _legend(self, lang: str) -> tuple[str, str, str]:
        return (say(lang, "xor_says_1"), say(lang, "xor_says_0"), say(lang, "xor_points"))

    def _boundary(self, line: Line, u: str, v: str, lang: str, digits: int) -> str:
        """The unit's line, or where its weights are at noise level, that it has none."""
        if line.flat:
            spread = max(abs(1 / (1 + math.exp(-z)) - 0.5) for z in line.net_on_square())
            return say(
                lang,
                "xor_no_boundary",
                unit=line.unit,
                a=fmt(line.a, 2),
                b=fmt(line.b, 2),
                c=fmt(line.c, 2),
                reach=fmt(line.reach, 2),
                spread=fmt(spread, 2),
            )
        return f"{line.unit}: {line.describe(u, v, digits)}"

    def _perceptron(self, lang: str, digits: int) -> list[Block]:
        line = self.perceptron_line
        rows = tuple(
            (f"{x1:g}", f"{x2:g}", f"{t:g}", fmt(o, digits))
            for (x1, x2), t, o in zip(
                self.inputs, self.targets, self.perceptron_outputs, strict=True
            )
        )
        plane = Plane(
            say(lang, "xor_perceptron_plane"),
            self._points(),
            () if line.flat else (line.drawn(),),
            () if line.flat else ((((line.a, line.b),), (line.c,)),),
            self._legend(lang),
        )
        return [
            Heading(2, say(lang, "xor_perceptron_heading")),
            Paragraph(say(lang, "xor_perceptron", steps=self.steps)),
            Table(("x1", "x2", say(lang, "target"), "out"), (True, True, True, True), rows),
            Paragraph(self._boundary(line, "x1", "x2", lang, digits)),
            plane,
            Paragraph(say(lang, "xor_perceptron_why", cost=fmt(self.perceptron_cost, digits))),
        ]

    def _network(self, lang: str, digits: int) -> list[Block]:
        rows = tuple(
            (f"{x1:g}", f"{x2:g}", fmt(h[0], digits), fmt(h[1], digits), f"{t:g}", fmt(o, digits))
            for (x1, x2), h, t, o in zip(
                self.inputs, self.hidden, self.targets, self.network_outputs, strict=True
            )
        )
        first = (
            tuple((line.a, line.b) for line in self.hidden_lines),
            tuple(line.c for line in self.hidden_lines),
        )
        out = self.output_line
        plane = Plane(
            say(lang, "xor_network_plane"),
            self._points(),
            tuple(line.drawn() for line in self.hidden_lines if not line.flat),
            (first, (((out.a, out.b),), (out.c,))),
            self._legend(lang),
        )
        columns = ("x1", "x2", "h1", "h2", say(lang, "target"), "out")
        return [
            Heading(2, say(lang, "xor_network_heading")),
            Paragraph(say(lang, "xor_network", steps=self.steps)),
            *(
                Paragraph(self._boundary(line, "x1", "x2", lang, digits))
                for line in self.hidden_lines
            ),
            Table(columns, (True,) * 6, rows),
            Paragraph(self._boundary(out, "h1", "h2", lang, digits)),
            plane,
            Paragraph(say(lang, "xor_network_why", cost=fmt(self.network_cost, digits))),
        ]


def _train(model: nn.Module, x: Tensor, t: Tensor, steps: int) -> float:
    criterion = nn.BCELoss()
    optimizer = optim.SGD(model.parameters(), lr=1.0)
    for _ in range(steps):
        optimizer.zero_grad()
        cost = criterion(model(x), t)
        cost.backward()
        optimizer.step()
    return cost.item()


def _trained(x: Tensor, t: Tensor, steps: int) -> tuple[nn.Module, float, nn.Module, float]:
    """The perceptron and the 2-2-1 network, made from the generator as it is and trained,
    each with its cost after the last step."""
    perceptron = nn.mlp((2, 1), "sigmoid", "sigmoid")
    network = nn.mlp((2, 2, 1), "sigmoid", "sigmoid")
    return perceptron, _train(perceptron, x, t, steps), network, _train(network, x, t, steps)


def _line(unit: str, layer: nn.Linear, row: int) -> Line:
    a, b = (float(v) for v in layer.weight.numpy()[row])
    return Line(unit, a, b, float(layer.bias.numpy()[row]))


@functools.lru_cache(maxsize=4)
def xor_story(seed: int = 777, steps: int = 10_001) -> XorStory:
    """Train the lecture's perceptron and 2-2-1 network on XOR and describe what each learned.

    The story depends on ``seed`` and ``steps`` alone (the global generator is seeded and
    put back as it was), so each is trained once per process and kept.
    """
    x, t = xor().tensors
    inputs, targets = x.numpy(), t.numpy()
    state = get_rng_state()
    try:
        manual_seed(seed)
        trained = _trained(x, t, steps)
    finally:
        set_rng_state(state)
    perceptron, perceptron_cost, network, network_cost = trained
    with no_grad():
        perceptron_out = perceptron(x).numpy()[:, 0]
        hidden = network[1](network[0](x)).numpy()
        network_out = network(x).numpy()[:, 0]
    return XorStory(
        inputs=tuple((float(a), float(b)) for a, b in inputs),
        targets=tuple(float(v) for v in targets[:, 0]),
        perceptron_outputs=tuple(float(v) for v in perceptron_out),
        perceptron_line=_line("out", perceptron[0], 0),
        perceptron_cost=perceptron_cost,
        hidden=tuple(tuple(float(v) for v in row) for row in hidden),
        hidden_lines=(_line("h1", network[0], 0), _line("h2", network[0], 1)),
        output_line=_line("out", network[2], 0),
        network_outputs=tuple(float(v) for v in network_out),
        network_cost=network_cost,
        steps=steps,
    )
