"""What makes the HTML walk-through a page to play with: the fields the learner edits, the
description of the network that the page's script recomputes the step from, and the
chain-rule factors it steps through.

The script (page.js) recomputes every record of the Trace, in the shape of
``dataclasses.asdict(trace)``, from what ``model_data`` gives it: the settings (layer
sizes, activations, loss, frozen biases, steps, digits, language), the names, and the
values the learner may change (inputs, targets, weights and biases, learning rate). Each
field is marked with the record key of the value it sets (``data-edit="parameters.4.value"``).
Without JavaScript none of this shows: the page is then the three drawings and the tables.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from html import escape

from .html_figure import EDGE_GREY, LABEL_PX, MONO_EM, PILL_PAD, Pieces, markup
from .labels import say
from .numbers import fmt
from .records import Trace


def model_data(trace: Trace, lang: str, digits: int) -> str:
    """The network, its values and the factor steps, as JSON safe inside a ``<script>``."""
    depth = trace.depth
    layers = [[name for name, _ in trace.inputs]] + [
        [n.name for n in trace.layer(number)] for number in range(1, depth + 1)
    ]
    data = {
        "lang": lang,
        "digits": digits,
        "loss": trace.loss,
        "frozen_biases": trace.frozen_biases,
        "steps": len(trace.errors) - 1,
        "layer_sizes": list(trace.layer_sizes),
        "activations": [trace.layer(number)[0].activation for number in range(1, depth + 1)],
        "negative_slopes": [trace.layer(number)[0].slope for number in range(1, depth + 1)],
        "names": layers,
        "parameters": [
            {
                "name": p.name,
                "kind": p.kind,
                "layer": p.layer,
                "source": p.source,
                "target": p.target,
                "key": p.key,
                "row": layers[p.layer].index(p.target),
                "col": layers[p.layer - 1].index(p.source) if p.kind == "weight" else -1,
            }
            for p in trace.parameters
        ],
        "values": {
            "inputs": [_finite(value) for _, value in trace.inputs],
            "targets": [_finite(term.target) for term in trace.loss_terms],
            "parameters": [_finite(p.value) for p in trace.parameters],
            "lr": _finite(trace.lr),
        },
        "factors": factors(trace, lang, digits),
        "drawing": {  # how the script redraws edges and labels as html_figure draws them
            "mono_em": MONO_EM,
            "label_px": LABEL_PX,
            "pill_pad": PILL_PAD,
            "edge_grey": EDGE_GREY,
        },
        "words": {  # the script fills in the {placeholders}
            "error": say(lang, "html_error", message="{message}"),
            "chart_point": say(lang, "html_chart_point", step="{step}", error="{error}"),
            **{key: say(lang, f"html_{key}") for key in ("bce_range", "not_number", "chart_empty")},
        },
    }
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c")


def _finite(value: float) -> float | str:
    """A value for JSON: a number, or "Infinity", "-Infinity" or "NaN" (which JSON has not)."""
    if math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def factors(trace: Trace, lang: str, digits: int) -> list[dict[str, object]]:
    """The backward pass one chain-rule factor at a time, in the order the worked example
    goes: from the output layer back, each neuron's ∂E/∂out (an output's from the loss, a
    hidden neuron's as one path per neuron it feeds, then their sum), its ∂out/∂net and
    their product δ; then the gradient of each parameter feeding that layer. Each step
    names the edges (parameter indices), nodes and record keys it involves, and has a
    caption whose numbers are keyed spans."""
    return [
        {
            "caption": f"<strong>{escape(say(lang, f.label, **f.words))}</strong> "
            f'<span class="crx-formula">{markup(f.formula, "span")}</span>',
            "edges": f.edges,
            "nodes": f.nodes,
            "keys": f.keys,
        }
        for f in _Factors(trace, digits).all()
    ]


@dataclass(frozen=True)
class _Factor:
    """One step of the walk: its caption's label and words, its formula, and what it lights."""

    label: str
    words: dict[str, str]
    formula: Pieces
    edges: list[int]
    nodes: list[str]
    keys: list[str]


class _Factors:
    """The factors of a trace's backward pass, in order."""

    def __init__(self, trace: Trace, digits: int) -> None:
        self.trace, self.digits = trace, digits
        self.weights = {
            (p.source, p.target): i for i, p in enumerate(trace.parameters) if p.kind == "weight"
        }

    def _formula(self, *parts: str | tuple[float, str]) -> Pieces:
        """Words as they are, and each (value, record key) as its number."""
        return tuple(
            (part, None) if isinstance(part, str) else (fmt(part[0], self.digits), part[1])
            for part in parts
        )

    def all(self) -> list[_Factor]:
        steps: list[_Factor] = []
        for number in range(self.trace.depth, 0, -1):
            for i, d in enumerate(self.trace.deltas):
                if d.layer == number:
                    steps += self._output(i) if number == self.trace.depth else self._paths(i)
                    steps += self._neuron(i)
            indexed = [(i, p) for i, p in enumerate(self.trace.parameters) if p.layer == number]
            steps += [
                self._parameter(i) for i, p in sorted(indexed, key=lambda ip: ip[1].kind == "bias")
            ]
        return steps

    def _output(self, index: int) -> list[_Factor]:
        """An output's ∂E/∂out, the loss's derivative."""
        d, key = self.trace.deltas[index], f"deltas.{index}"
        terms = [f"loss_terms.{d.index}.{field}" for field in ("target", "out", "value")]
        formula = self._formula(f"∂E/∂out_{d.neuron} = ", (d.dE_dout, f"{key}.dE_dout"))
        keys = [f"{key}.dE_dout", *terms]
        return [_Factor("html_factor_output", {"neuron": d.neuron}, formula, [], [d.neuron], keys)]

    def _paths(self, index: int) -> list[_Factor]:
        """A hidden neuron's ∂E/∂out: one step per neuron it feeds (∂E/∂net of that neuron
        times the weight between them), then their sum, when there are several."""
        d, key = self.trace.deltas[index], f"deltas.{index}"
        steps = []
        for k, f in enumerate(d.feeds):
            w = self.weights[d.neuron, f.to]
            weight, at = self.trace.parameters[w].name, f"{key}.feeds.{k}"
            formula = self._formula(
                f"∂E/∂net_{f.to} · {weight} = ",
                (f.dE_dnet, f"{at}.dE_dnet"),
                " · ",
                (f.weight, f"{at}.weight"),
                " = ",
                (f.product, f"{at}.product"),
            )
            keys = [f"{at}.dE_dnet", f"{at}.weight", f"{at}.product"]
            words = {"neuron": d.neuron, "weight": weight, "to": f.to}
            steps.append(_Factor("html_factor_feed", words, formula, [w], [d.neuron, f.to], keys))
        if len(d.feeds) > 1:
            products = [(f.product, f"{key}.feeds.{k}.product") for k, f in enumerate(d.feeds)]
            added = [part for k, p in enumerate(products) for part in [" + "] * (k > 0) + [p]]
            formula = self._formula(
                f"∂E/∂out_{d.neuron} = ", *added, " = ", (d.dE_dout, f"{key}.dE_dout")
            )
            edges = [self.weights[d.neuron, f.to] for f in d.feeds]
            nodes = [d.neuron, *(f.to for f in d.feeds)]
            keys = [k for _, k in products] + [f"{key}.dE_dout"]
            steps.append(
                _Factor("html_factor_sum", {"neuron": d.neuron}, formula, edges, nodes, keys)
            )
        return steps

    def _neuron(self, index: int) -> list[_Factor]:
        """A neuron's ∂out/∂net, then δ = ∂E/∂out · ∂out/∂net."""
        d, key = self.trace.deltas[index], f"deltas.{index}"
        name = d.neuron
        words = {"neuron": name, "activation": self.trace.neurons[index].activation}
        local = self._formula(f"∂out_{name}/∂net_{name} = ", (d.dout_dnet, f"{key}.dout_dnet"))
        delta = self._formula(
            f"∂E/∂net_{name} = ∂E/∂out_{name} · ∂out_{name}/∂net_{name} = ",
            (d.dE_dout, f"{key}.dE_dout"),
            " · ",
            (d.dout_dnet, f"{key}.dout_dnet"),
            " = ",
            (d.dE_dnet, f"{key}.dE_dnet"),
        )
        keys = [f"{key}.dE_dout", f"{key}.dout_dnet", f"{key}.dE_dnet"]
        return [
            _Factor("html_factor_local", words, local, [], [name], [f"{key}.dout_dnet"]),
            _Factor("html_factor_delta", {"neuron": name}, delta, [], [name], keys),
        ]

    def _parameter(self, index: int) -> _Factor:
        """A parameter's gradient: its neuron's two factors times ∂net/∂w, its input."""
        p, key = self.trace.parameters[index], f"parameters.{index}"
        t = p.target
        formula = self._formula(
            f"∂E/∂{p.name} = ∂E/∂out_{t} · ∂out_{t}/∂net_{t} · ∂net_{t}/∂{p.name} = ",
            (p.dE_dout, f"{key}.dE_dout"),
            " · ",
            (p.dout_dnet, f"{key}.dout_dnet"),
            " · ",
            (p.dnet_dparam, f"{key}.dnet_dparam"),
            " = ",
            (p.product, f"{key}.product"),
        )
        source = f"1:{p.layer}" if p.kind == "bias" else p.source
        keys = [f"{key}.{field}" for field in ("dE_dout", "dout_dnet", "dnet_dparam", "product")]
        keys.append(f"{key}.grad")
        return _Factor("html_factor_param", {"name": p.name}, formula, [index], [source, t], keys)


def play_panel(trace: Trace, lang: str, digits: int) -> str:
    """The fields for inputs, targets and the learning rate, a grid per layer for its
    weights and biases, and the training controls with the error chart."""
    fields = [
        _field(name, f"inputs.{i}.1", value, digits) for i, (name, value) in enumerate(trace.inputs)
    ]
    targets = [
        _field(f"t_{t.output}", f"loss_terms.{k}.target", t.target, digits)
        for k, t in enumerate(trace.loss_terms)
    ]
    rate = _field("η", "lr", trace.lr, digits)
    return (
        '<section class="crx-play crx-needs-js">'
        f'<h2 class="crx-play-title">{escape(say(lang, "html_play"))}</h2>'
        '<div class="crx-controls"><div class="crx-fields">'
        f"<fieldset><legend>{escape(say(lang, 'inputs'))}</legend>{''.join(fields)}</fieldset>"
        f"<fieldset><legend>{escape(say(lang, 'html_targets'))}</legend>{''.join(targets)}"
        "</fieldset>"
        f"<fieldset><legend>{escape(say(lang, 'html_lr'))}</legend>{rate}</fieldset>"
        "</div>"
        f'<details class="crx-parameters"><summary>{escape(say(lang, "html_parameters"))}'
        f"</summary>{_grids(trace, lang, digits)}</details>"
        '<div class="crx-train">'
        f'<label class="crx-field"><span>{escape(say(lang, "html_train_steps"))}</span>'
        '<input class="crx-train-steps" type="number" min="1" max="10000" step="1" value="10">'
        "</label>"
        f'<button type="button" class="crx-train-button">{escape(say(lang, "html_train"))}'
        "</button>"
        f'<button type="button" class="crx-reset">{escape(say(lang, "html_reset"))}</button>'
        '<p class="crx-notice" role="status"></p>'
        "</div></div>"
        f'<div class="crx-chart-box"><p>{escape(say(lang, "html_chart"))}</p>'
        '<svg class="crx-chart" viewBox="0 0 360 140" role="img"'
        f' aria-label="{escape(say(lang, "html_chart"))}"></svg></div>'
        "</section>"
    )


def _field(label: str, key: str, value: float, digits: int) -> str:
    return (
        f'<label class="crx-field"><span>{escape(label)}</span>'
        f'<input type="number" step="any" data-edit="{escape(key)}" value="{fmt(value, digits)}">'
        "</label>"
    )


def _grids(trace: Trace, lang: str, digits: int) -> str:
    """Per layer, a table of its parameters: a row per neuron, a column per input to it and
    one for its bias, each cell a field named after the parameter."""
    tables = []
    for number in range(1, trace.depth + 1):
        indexed = [(i, p) for i, p in enumerate(trace.parameters) if p.layer == number]
        sources = list(dict.fromkeys(p.source for _, p in indexed))
        head = "".join(f"<th>{escape(s)}</th>" for s in sources)
        rows = []
        for neuron in trace.layer(number):
            cells = {p.source: (i, p) for i, p in indexed if p.target == neuron.name}
            row = "".join(
                f'<td><label class="crx-cell"><span>{escape(cells[s][1].name)}</span>'
                f'<input type="number" step="any" data-edit="parameters.{cells[s][0]}.value"'
                f' value="{fmt(cells[s][1].value, digits)}"></label></td>'
                if s in cells
                else "<td></td>"
                for s in sources
            )
            rows.append(f"<tr><th>{escape(neuron.name)}</th>{row}</tr>")
        name = _layer_name(trace, lang, number)
        tables.append(
            f'<table class="crx-grid"><caption>{escape(name)}</caption>'
            f"<thead><tr><th></th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )
    return "".join(tables)


def _layer_name(trace: Trace, lang: str, number: int) -> str:
    if number == trace.depth:
        return say(lang, "output")
    return say(lang, "hidden_n", n=number) if trace.depth > 2 else say(lang, "hidden")
