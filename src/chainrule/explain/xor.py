"""Seed 003: why a single-layer perceptron cannot learn XOR and a 2-2-1 network can.

Both are trained as in the seed's PyTorch program (sigmoid units, BCE, SGD with learning
rate 1, 10,001 steps). The perceptron's decision boundary is one line, w1·x1 + w2·x2 + b = 0,
and no line puts (0, 1) and (1, 0) on one side with (0, 0) and (1, 1) on the other, so it
settles on 0.5 everywhere. Each hidden unit of the 2-2-1 network draws its own line; in the
hidden units' coordinates the four points can be separated by the output unit's line.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import nn, optim
from ..data import xor
from ..function import no_grad
from ..random import manual_seed
from ..tensor import Tensor
from .labels import say
from .numbers import fmt


@dataclass(frozen=True)
class Line:
    """The points where a sigmoid unit is exactly undecided: a·u + b·v + c = 0."""

    unit: str
    a: float
    b: float
    c: float

    def describe(self, u: str, v: str, digits: int) -> str:
        equation = f"{_terms([(self.a, u), (self.b, v), (self.c, '')], digits)} = 0"
        if abs(self.b) < 1e-12:
            return equation
        line = _terms([(-self.a / self.b, u), (-self.c / self.b, "")], digits)
        return f"{equation}   ({v} = {line})"


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
class XorStory:
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

    def to_text(self, lang: str = "en", digits: int = 4) -> str:
        lines = [say(lang, "xor_title"), "", say(lang, "xor_perceptron", steps=self.steps), ""]
        lines.append("  x1  x2 | t | out")
        for (x1, x2), t, o in zip(self.inputs, self.targets, self.perceptron_outputs, strict=True):
            lines.append(f"  {x1:>2g}  {x2:>2g} | {t:g} | {fmt(o, digits)}")
        lines += [
            "",
            "  " + self.perceptron_line.describe("x1", "x2", digits),
            "  " + say(lang, "xor_perceptron_why", cost=fmt(self.perceptron_cost, digits)),
            "",
            say(lang, "xor_network", steps=self.steps),
            "",
        ]
        for line in self.hidden_lines:
            lines.append(f"  {line.unit}: " + line.describe("x1", "x2", digits))
        lines += ["", "  x1  x2 | h1      h2      | t | out"]
        for (x1, x2), h, t, o in zip(
            self.inputs, self.hidden, self.targets, self.network_outputs, strict=True
        ):
            lines.append(
                f"  {x1:>2g}  {x2:>2g} | {fmt(h[0], digits):<7} {fmt(h[1], digits):<7} | "
                f"{t:g} | {fmt(o, digits)}"
            )
        lines += [
            "",
            f"  {self.output_line.unit}: " + self.output_line.describe("h1", "h2", digits),
            "  " + say(lang, "xor_network_why", cost=fmt(self.network_cost, digits)),
        ]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()


def _train(model: nn.Module, x: Tensor, t: Tensor, steps: int) -> float:
    criterion = nn.BCELoss()
    optimizer = optim.SGD(model.parameters(), lr=1.0)
    for _ in range(steps):
        optimizer.zero_grad()
        cost = criterion(model(x), t)
        cost.backward()
        optimizer.step()
    return cost.item()


def _line(unit: str, layer: nn.Linear, row: int) -> Line:
    a, b = (float(v) for v in layer.weight.numpy()[row])
    return Line(unit, a, b, float(layer.bias.numpy()[row]))


def xor_story(seed: int = 777, steps: int = 10_001) -> XorStory:
    """Train seed 003's perceptron and 2-2-1 network on XOR and describe what each learned."""
    x, t = xor().tensors
    inputs, targets = x.numpy(), t.numpy()
    manual_seed(seed)
    perceptron = nn.mlp((2, 1), "sigmoid", "sigmoid")
    network = nn.mlp((2, 2, 1), "sigmoid", "sigmoid")
    perceptron_cost = _train(perceptron, x, t, steps)
    network_cost = _train(network, x, t, steps)
    with no_grad():
        perceptron_out = perceptron(x).numpy()[:, 0]
        hidden = network[1](network[0](x)).numpy()
        network_out = network(x).numpy()[:, 0]
    return XorStory(
        inputs=tuple((float(a), float(b)) for a, b in inputs),
        targets=tuple(float(v) for v in targets[:, 0]),
        perceptron_outputs=tuple(float(v) for v in perceptron_out),
        perceptron_line=_line("perceptron", perceptron[0], 0),
        perceptron_cost=perceptron_cost,
        hidden=tuple(tuple(float(v) for v in row) for row in hidden),
        hidden_lines=(_line("h1", network[0], 0), _line("h2", network[0], 1)),
        output_line=_line("out", network[2], 0),
        network_outputs=tuple(float(v) for v in network_out),
        network_cost=network_cost,
        steps=steps,
    )
