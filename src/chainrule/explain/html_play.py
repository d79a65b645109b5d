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
from html import escape

from .. import nn
from .html_figure import Pieces, markup
from .labels import say
from .numbers import fmt
from .records import Trace


def model_data(trace: Trace, lang: str, digits: int) -> str:
    """The network, its values and the factor steps, as JSON safe inside a ``<script>``."""
    depth = trace.depth
    layers = [[name for name, _ in trace.inputs]] + [
        [n.name for n in trace.layer(number)] for number in range(1, depth + 1)
    ]
    slopes = trace.negative_slopes or (None,) * depth
    default_slope = nn.LeakyReLU().negative_slope
    data = {
        "lang": lang,
        "digits": digits,
        "loss": trace.loss,
        "frozen_biases": trace.frozen_biases,
        "steps": len(trace.errors) - 1,
        "layer_sizes": list(trace.layer_sizes),
        "activations": [trace.layer(number)[0].activation for number in range(1, depth + 1)],
        "negative_slopes": [
            (default_slope if s is None else s)
            if trace.layer(number)[0].activation == "leaky_relu"
            else s
            for number, s in enumerate(slopes, start=1)
        ],
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
            "caption": f"<strong>{escape(say(lang, label, **words))}</strong> "
            f'<span class="crx-formula">{markup(pieces, "span")}</span>',
            "edges": edges,
            "nodes": nodes,
            "keys": keys,
        }
        for label, words, pieces, edges, nodes, keys in _factor_steps(trace, digits)
    ]


Step = tuple[str, dict[str, str], Pieces, list[int], list[str], list[str]]


def _factor_steps(trace: Trace, digits: int) -> list[Step]:
    """(label, its words, formula, edges, nodes, keys) for each factor, in order."""

    def num(value: float, key: str) -> tuple[str, str]:
        return fmt(value, digits), key

    weights = {
        (p.source, p.target): i for i, p in enumerate(trace.parameters) if p.kind == "weight"
    }
    steps: list[Step] = []
    for number in range(trace.depth, 0, -1):
        for i, d in enumerate(trace.deltas):
            if d.layer != number:
                continue
            name, key = d.neuron, f"deltas.{i}"
            if number == trace.depth:
                terms = [f"loss_terms.{d.index}.{field}" for field in ("target", "out", "value")]
                formula: Pieces = ((f"∂E/∂out_{name} = ", None), num(d.dE_dout, f"{key}.dE_dout"))
                steps.append(
                    ("html_factor_output", {"neuron": name}, formula, [], [name],
                     [f"{key}.dE_dout", *terms])
                )  # fmt: skip
            else:
                steps += _paths(trace, i, weights, num)
            activation = trace.neurons[i].activation
            local = ((f"∂out_{name}/∂net_{name} = ", None), num(d.dout_dnet, f"{key}.dout_dnet"))
            steps.append(
                ("html_factor_local", {"neuron": name, "activation": activation}, local, [],
                 [name], [f"{key}.dout_dnet"])
            )  # fmt: skip
            delta = (
                (f"∂E/∂net_{name} = ∂E/∂out_{name} · ∂out_{name}/∂net_{name} = ", None),
                num(d.dE_dout, f"{key}.dE_dout"),
                (" · ", None),
                num(d.dout_dnet, f"{key}.dout_dnet"),
                (" = ", None),
                num(d.dE_dnet, f"{key}.dE_dnet"),
            )
            keys = [f"{key}.dE_dout", f"{key}.dout_dnet", f"{key}.dE_dnet"]
            steps.append(("html_factor_delta", {"neuron": name}, delta, [], [name], keys))
        indexed = [(i, p) for i, p in enumerate(trace.parameters) if p.layer == number]
        for i, p in sorted(indexed, key=lambda ip: ip[1].kind != "weight"):
            t, key = p.target, f"parameters.{i}"
            formula = (
                (f"∂E/∂{p.name} = ∂E/∂out_{t} · ∂out_{t}/∂net_{t} · ∂net_{t}/∂{p.name} = ", None),
                num(p.dE_dout, f"{key}.dE_dout"),
                (" · ", None),
                num(p.dout_dnet, f"{key}.dout_dnet"),
                (" · ", None),
                num(p.dnet_dparam, f"{key}.dnet_dparam"),
                (" = ", None),
                num(p.product, f"{key}.product"),
            )
            source = f"1:{p.layer}" if p.kind == "bias" else p.source
            fields = ("dE_dout", "dout_dnet", "dnet_dparam", "product", "grad")
            steps.append(
                ("html_factor_param", {"name": p.name}, formula, [i], [source, t],
                 [f"{key}.{field}" for field in fields])
            )  # fmt: skip
    return steps


def _paths(trace: Trace, index: int, weights: dict[tuple[str, str], int], num) -> list[Step]:
    """A hidden neuron's ∂E/∂out: one step per neuron it feeds (∂E/∂net of that neuron times
    the weight between them), then their sum (when there are several)."""
    d = trace.deltas[index]
    name, key = d.neuron, f"deltas.{index}"
    steps: list[Step] = []
    for k, f in enumerate(d.feeds):
        w = weights[name, f.to]
        weight = trace.parameters[w].name
        formula: Pieces = (
            (f"∂E/∂net_{f.to} · {weight} = ", None),
            num(f.dE_dnet, f"{key}.feeds.{k}.dE_dnet"),
            (" · ", None),
            num(f.weight, f"{key}.feeds.{k}.weight"),
            (" = ", None),
            num(f.product, f"{key}.feeds.{k}.product"),
        )
        keys = [f"{key}.feeds.{k}.{field}" for field in ("dE_dnet", "weight", "product")]
        words = {"neuron": name, "weight": weight, "to": f.to}
        steps.append(("html_factor_feed", words, formula, [w], [name, f.to], keys))
    if len(d.feeds) > 1:
        terms: list[tuple[str, str | None]] = [(f"∂E/∂out_{name} = ", None)]
        for k, f in enumerate(d.feeds):
            terms += [(" + ", None)] * (k > 0) + [num(f.product, f"{key}.feeds.{k}.product")]
        terms += [(" = ", None), num(d.dE_dout, f"{key}.dE_dout")]
        edges = [weights[name, f.to] for f in d.feeds]
        keys = [f"{key}.feeds.{k}.product" for k in range(len(d.feeds))] + [f"{key}.dE_dout"]
        nodes = [name, *(f.to for f in d.feeds)]
        steps.append(("html_factor_sum", {"neuron": name}, tuple(terms), edges, nodes, keys))
    return steps


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
        '<div class="crx-fields">'
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
        "</div>"
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
