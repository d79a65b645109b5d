"""Each quantity of a walk-through as the worked examples write it: the formula, the same
formula with the numbers substituted, and the result, e.g.
``net_h1 = w1·i1 + w2·i2 + b1_1·1 = 0.15·0.05 + 0.2·0.1 + 0.35·1 = 0.3775``.

Every number is a record's, written through the walk-through's writer with the record's
key, so a keyed formula can be recomputed from the records alone. A negative number that
is an operand stands in parentheses ("0.0553994247 + (-0.0190491183)"); a result does not.
The substituted side uses only numbers, + − · /, ², parentheses, e^x, log, tanh and max,
so that it can be evaluated as written. In a wide network a sum's symbols are written as its
first terms, "…" and its last, while its numbers are all written out: the symbols repeat one
pattern, and the initial-weights table says which weight joins which neurons.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .records import Trace

if TYPE_CHECKING:
    from .blocks import _Writer


SHOWN_TERMS = 4
"""A symbolic sum of more terms than this shows its first two, "…" and its last."""


def _chain(*parts: str) -> str:
    return " = ".join(parts)


def _sum(symbols: list[str]) -> str:
    if len(symbols) > SHOWN_TERMS:
        symbols = [*symbols[:2], "…", symbols[-1]]
    return " + ".join(symbols)


class Formulas:
    """The formulas of one trace, written by one writer; methods take a record's index."""

    def __init__(self, trace: Trace, w: _Writer) -> None:
        self.trace = trace
        self.w = w
        self.neuron_index = {n.name: i for i, n in enumerate(trace.neurons)}
        self.input_index = {name: i for i, (name, _) in enumerate(trace.inputs)}
        self.delta_index = {d.neuron: i for i, d in enumerate(trace.deltas)}
        self.weight_name = {
            (p.source, p.target): p.name for p in trace.parameters if p.kind == "weight"
        }

    def num(self, value: float | None, key: str) -> str:
        return self.w.num(value, key)

    def operand(self, value: float, key: str) -> str:
        """A number inside an expression: in parentheses when negative."""
        return self.w.num(value, key, "paren")

    def _source(self, name: str) -> tuple[str, str]:
        """(symbol, substituted number) of what a weight multiplies: an input or a neuron's out."""
        if name in self.input_index:
            k = self.input_index[name]
            return name, self.operand(self.trace.inputs[k][1], f"inputs.{k}.1")
        m = self.neuron_index[name]
        return f"out_{name}", self.operand(self.trace.neurons[m].out, f"neurons.{m}.out")

    # The forward pass

    def net(self, index: int) -> str:
        """net_h1 = w1·i1 + w2·i2 + b1_1·1 = 0.15·0.05 + 0.2·0.1 + 0.35·1 = 0.3775"""
        n = self.trace.neurons[index]
        weights, biases, numbers = [], [], []
        for i, p in enumerate(self.trace.parameters):
            if p.layer != n.layer or p.target != n.name:
                continue
            value = self.operand(p.value, f"parameters.{i}.value")
            if p.kind == "bias":
                biases.append(f"{p.name}·1")
                numbers.append(f"{value}·{self.num(p.dnet_dparam, f'parameters.{i}.dnet_dparam')}")
            else:
                symbol, number = self._source(p.source)
                weights.append(f"{p.name}·{symbol}")
                numbers.append(f"{value}·{number}")
        symbols = " + ".join([_sum(weights), *biases])
        result = self.num(n.net, f"neurons.{index}.net")
        return _chain(f"net_{n.name}", symbols, " + ".join(numbers), result)

    def out(self, index: int) -> str:
        """out_h1 = 1 / (1 + e^−net_h1) = 1 / (1 + e^−0.3775) = 0.593269992, and the other
        activations' forms."""
        n = self.trace.neurons[index]
        name, out = n.name, self.num(n.out, f"neurons.{index}.out")
        net = self.operand(n.net, f"neurons.{index}.net")
        if n.activation == "sigmoid":
            return _chain(f"out_{name}", f"1 / (1 + e^−net_{name})", f"1 / (1 + e^−{net})", out)
        argument = self.num(n.net, f"neurons.{index}.net")
        if n.activation == "tanh":
            return _chain(f"out_{name}", f"tanh(net_{name})", f"tanh({argument})", out)
        if n.activation == "relu":
            return _chain(f"out_{name}", f"max(0, net_{name})", f"max(0, {argument})", out)
        if n.activation == "leaky_relu":
            slope = self.operand(n.slope or 0.0, f"neurons.{index}.slope")
            rule = self.w.say(
                "piecewise", cond=f"net_{name} > 0", a=f"net_{name}", b=f"{slope}·net_{name}"
            )
            branch = self.w.choose(
                "positive",
                [(n.net, f"neurons.{index}.net")],
                f"net_{name}",
                _chain(f"{slope}·net_{name}", f"{slope}·{net}"),
            )
            return _chain(f"out_{name}", f"({rule})", branch, out)
        return _chain(f"out_{name}", f"net_{name}", out)

    # The error

    def outputs(self) -> str:
        """n, the count of outputs that mse and bce divide by."""
        return self.num(self.trace.layer_sizes[-1], f"layer_sizes.{self.trace.depth}")

    def probability(self, k: int) -> str:
        """y_o1 = e^out_o1 / (e^out_o1 + e^out_o2) = e^0.3 / (e^0.3 + e^(-1.2)) = 0.817574476"""
        terms = self.trace.loss_terms
        o = terms[k].output
        powers = [f"e^{self.operand(t.out, f'loss_terms.{j}.out')}" for j, t in enumerate(terms)]
        return _chain(
            f"y_{o}",
            f"e^out_{o} / ({_sum([f'e^out_{t.output}' for t in terms])})",
            f"{powers[k]} / ({' + '.join(powers)})",
            self.num(terms[k].probability, f"loss_terms.{k}.probability"),
        )

    def term(self, k: int) -> str:
        """E_o1 = ½·(target_o1 − out_o1)² = ½·(0.01 − 0.75136507)² = 0.274811083, and the
        other losses' forms."""
        t, loss = self.trace.loss_terms[k], self.trace.loss
        o, n = t.output, self.outputs()
        target = self.operand(t.target, f"loss_terms.{k}.target")
        out = self.operand(t.out, f"loss_terms.{k}.out")
        value = self.num(t.value, f"loss_terms.{k}.value")
        if loss == "half_sse":
            symbol = f"½·(target_{o} − out_{o})²"
            return _chain(f"E_{o}", symbol, f"½·({target} − {out})²", value)
        if loss == "mse":
            symbol = f"(out_{o} − target_{o})² / n"
            return _chain(f"E_{o}", symbol, f"({out} − {target})² / {n}", value)
        if loss == "bce":
            symbol = f"−(target_{o}·log(out_{o}) + (1 − target_{o})·log(1 − out_{o})) / n"
            argument = self.num(t.out, f"loss_terms.{k}.out")
            numbers = f"−({target}·log({argument}) + (1 − {target})·log(1 − {out})) / {n}"
            return _chain(f"E_{o}", symbol, numbers, value)
        y = self.num(t.probability, f"loss_terms.{k}.probability")
        return _chain(f"E_{o}", f"−target_{o}·log(y_{o})", f"−({target}·log({y}))", value)

    def total(self) -> str:
        """E = E_o1 + E_o2 = 0.274811083 + 0.0235600256 = 0.298371109"""
        terms = self.trace.loss_terms
        return _chain(
            self.w.say("total"),
            _sum([f"E_{t.output}" for t in terms]),
            " + ".join(self.operand(t.value, f"loss_terms.{k}.value") for k, t in enumerate(terms)),
            self.num(self.trace.total_error, "total_error"),
        )

    # The backward pass

    def output_dE_dout(self, k: int) -> str:
        """∂E/∂out_o1 = −(target_o1 − out_o1) = −(0.01 − 0.75136507) = 0.74136507, and the
        forms of mse and bce (ce has a derivation of its own: ``softmax_*``)."""
        t, loss = self.trace.loss_terms[k], self.trace.loss
        o, n, d = t.output, self.outputs(), self.delta_index[t.output]
        target = self.operand(t.target, f"loss_terms.{k}.target")
        out = self.operand(t.out, f"loss_terms.{k}.out")
        result = self.num(self.trace.deltas[d].dE_dout, f"deltas.{d}.dE_dout")
        if loss == "half_sse":
            return _chain(
                f"∂E/∂out_{o}", f"−(target_{o} − out_{o})", f"−({target} − {out})", result
            )
        if loss == "mse":
            symbol = f"2·(out_{o} − target_{o}) / n"
            return _chain(f"∂E/∂out_{o}", symbol, f"2·({out} − {target}) / {n}", result)
        symbol = f"(out_{o} − target_{o}) / (out_{o}·(1 − out_{o})) / n"
        numbers = f"({out} − {target}) / ({out}·(1 − {out})) / {n}"
        return _chain(f"∂E/∂out_{o}", symbol, numbers, result)

    def hidden_dE_dout(self, index: int) -> str:
        """∂E/∂out_h1 = ∂E/∂net_o1·w5 + ∂E/∂net_o2·w7 = 0.138498562·0.4 + (-0.0380982366)·0.5
        = 0.0553994247 + (-0.0190491183) = 0.0363503064: one term per neuron it feeds."""
        d = self.trace.deltas[index]
        key = f"deltas.{index}.feeds"
        symbols = [f"∂E/∂net_{f.to}·{self.weight_name[d.neuron, f.to]}" for f in d.feeds]
        numbers = [
            f"{self.operand(f.dE_dnet, f'{key}.{k}.dE_dnet')}·"
            f"{self.operand(f.weight, f'{key}.{k}.weight')}"
            for k, f in enumerate(d.feeds)
        ]
        products = [self.operand(f.product, f"{key}.{k}.product") for k, f in enumerate(d.feeds)]
        shown = [_sum(symbols), " + ".join(numbers)]
        if len(d.feeds) > 1:
            shown.append(" + ".join(products))
        result = self.num(d.dE_dout, f"deltas.{index}.dE_dout")
        return _chain(f"∂E/∂out_{d.neuron}", *shown, result)

    def dout_dnet(self, index: int) -> str:
        """∂out_o1/∂net_o1 = out_o1·(1 − out_o1) = 0.75136507·(1 − 0.75136507) = 0.186815602,
        and the other activations' forms."""
        d, n = self.trace.deltas[index], self.trace.neurons[index]
        name, lhs = n.name, f"∂out_{n.name}/∂net_{n.name}"
        result = self.num(d.dout_dnet, f"deltas.{index}.dout_dnet")
        out = self.operand(n.out, f"neurons.{index}.out")
        if n.activation == "sigmoid":
            return _chain(lhs, f"out_{name}·(1 − out_{name})", f"{out}·(1 − {out})", result)
        if n.activation == "tanh":
            return _chain(lhs, f"1 − out_{name}²", f"1 − {out}²", result)
        if n.activation in ("relu", "leaky_relu"):
            below = (
                self.operand(n.slope or 0.0, f"neurons.{index}.slope")
                if n.activation == "leaky_relu"
                else "0"
            )
            rule = self.w.say("piecewise", cond=f"net_{name} > 0", a="1", b=below)
            key = f"neurons.{index}.net"
            sign = self.w.choose("positive", [(n.net, key)], ">", "≤")
            net = self.num(n.net, key)
            return f"{_chain(lhs, f'({rule})', result)} (net_{name} = {net} {sign} 0)"
        return _chain(lhs, f"∂net_{name}/∂net_{name}", result)

    def dE_dnet(self, index: int) -> str:
        """∂E/∂net_o1 = ∂E/∂out_o1 · ∂out_o1/∂net_o1 = 0.74136507 · 0.186815602 = 0.138498562"""
        d = self.trace.deltas[index]
        name = d.neuron
        return _chain(
            f"∂E/∂net_{name}",
            f"∂E/∂out_{name} · ∂out_{name}/∂net_{name}",
            f"{self.operand(d.dE_dout, f'deltas.{index}.dE_dout')} · "
            f"{self.operand(d.dout_dnet, f'deltas.{index}.dout_dnet')}",
            self.num(d.dE_dnet, f"deltas.{index}.dE_dnet"),
        )

    def gradient(self, index: int) -> str:
        """∂E/∂w5 = ∂E/∂out_o1 · ∂out_o1/∂net_o1 · ∂net_o1/∂w5
        = 0.74136507 · 0.186815602 · 0.593269992 = 0.0821670406"""
        p, key = self.trace.parameters[index], f"parameters.{index}"
        t = p.target
        return _chain(
            f"∂E/∂{p.name}",
            f"∂E/∂out_{t} · ∂out_{t}/∂net_{t} · ∂net_{t}/∂{p.name}",
            " · ".join(
                self.operand(getattr(p, factor), f"{key}.{factor}")
                for factor in ("dE_dout", "dout_dnet", "dnet_dparam")
            ),
            self.num(p.product, f"{key}.product"),
        )

    def update(self, index: int) -> str:
        """w5⁺ = w5 − η·∂E/∂w5 = 0.4 − 0.5·0.0821670406 = 0.35891648; a frozen parameter
        keeps its value."""
        p, key = self.trace.parameters[index], f"parameters.{index}"
        if p.updated is None:
            value = self.num(p.value, f"{key}.value")
            return f"{_chain(f'{p.name}⁺', p.name, value)} ({self.w.say('frozen')})"
        return _chain(
            f"{p.name}⁺",
            f"{p.name} − η·∂E/∂{p.name}",
            f"{self.operand(p.value, f'{key}.value')} − {self.operand(self.trace.lr, 'lr')}·"
            f"{self.operand(p.grad, f'{key}.grad')}",
            self.num(p.updated, f"{key}.updated"),
        )

    # Softmax with cross-entropy, backwards (Saito's SoftmaxWithLoss)

    def softmax_dE_dy(self, j: int) -> str:
        """∂E/∂y_o3 = −target_o3 / y_o3 = −(1 / 0.388115230) = -2.57655439"""
        t = self.trace.loss_terms[j]
        o = t.output
        return _chain(
            f"∂E/∂y_{o}",
            f"−target_{o} / y_{o}",
            f"−({self.operand(t.target, f'loss_terms.{j}.target')} / "
            f"{self.operand(t.probability or 0.0, f'loss_terms.{j}.probability')})",
            self.num(t.dE_dprobability, f"loss_terms.{j}.dE_dprobability"),
        )

    def softmax_jacobian(self, j: int) -> str:
        """Row j of the softmax's Jacobian, each entry y_j·(δ_jk − y_k) with its numbers:
        ∂y_o1/∂out_o1 = y_o1·(1 − y_o1) = …; ∂y_o1/∂out_o2 = −y_o1·y_o2 = −(… · …) = …"""
        terms = self.trace.loss_terms
        oj = terms[j].output
        yj = self.operand(terms[j].probability or 0.0, f"loss_terms.{j}.probability")
        entries = []
        for k, t in enumerate(terms):
            ok = t.output
            entry = self.num(terms[j].dprobability_dout[k], f"loss_terms.{j}.dprobability_dout.{k}")
            if k == j:
                entries.append(
                    _chain(f"∂y_{oj}/∂out_{ok}", f"y_{oj}·(1 − y_{oj})", f"{yj}·(1 − {yj})", entry)
                )
            else:
                yk = self.operand(t.probability or 0.0, f"loss_terms.{k}.probability")
                entries.append(
                    _chain(f"∂y_{oj}/∂out_{ok}", f"−y_{oj}·y_{ok}", f"−({yj}·{yk})", entry)
                )
        return "; ".join(entries)

    def softmax_chain(self, k: int) -> str:
        """∂E/∂out_o1 = Σ_j ∂E/∂y_j · ∂y_j/∂out_o1, every term written out with its numbers;
        the result is the engine's gradient."""
        terms = self.trace.loss_terms
        ok, d = terms[k].output, self.delta_index[terms[k].output]
        symbols = [f"∂E/∂y_{t.output} · ∂y_{t.output}/∂out_{ok}" for t in terms]
        numbers = [
            f"{self.operand(t.dE_dprobability or 0.0, f'loss_terms.{j}.dE_dprobability')}·"
            f"{self.operand(t.dprobability_dout[k], f'loss_terms.{j}.dprobability_dout.{k}')}"
            for j, t in enumerate(terms)
        ]
        return _chain(
            f"∂E/∂out_{ok}",
            _sum(symbols),
            " + ".join(numbers),
            self.num(self.trace.deltas[d].dE_dout, f"deltas.{d}.dE_dout"),
        )

    def targets(self) -> list[tuple[float, str]]:
        """(value, record key) of every target: whether they sum to 1 decides step 4."""
        return [(t.target, f"loss_terms.{k}.target") for k, t in enumerate(self.trace.loss_terms)]

    def softmax_collapse(self, k: int) -> str:
        """What the sum comes to: y_o1 − target_o1 where the targets sum to 1 (a class, or
        one-hot), else y_o1·(target_o1 + …) − target_o1; the engine's gradient again."""
        terms = self.trace.loss_terms
        t = terms[k]
        o, d = t.output, self.delta_index[t.output]
        y = self.operand(t.probability or 0.0, f"loss_terms.{k}.probability")
        target = self.operand(t.target, f"loss_terms.{k}.target")
        result = self.num(self.trace.deltas[d].dE_dout, f"deltas.{d}.dE_dout")
        every = [self.operand(u.target, f"loss_terms.{j}.target") for j, u in enumerate(terms)]
        symbol = f"y_{o}·({_sum([f'target_{u.output}' for u in terms])}) − target_{o}"
        collapsed = self.w.choose(
            "sums_to_one",
            self.targets(),
            _chain(f"y_{o} − target_{o}", f"{y} − {target}"),
            _chain(symbol, f"{y}·({' + '.join(every)}) − {target}"),
        )
        return _chain(f"∂E/∂out_{o}", collapsed, result)
