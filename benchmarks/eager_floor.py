"""The floor of an eager tape in Python on this machine: the leanest reverse-mode tape we
could write, trained on the speed suite's MLP workloads against the suite's hand-written
NumPy, in one process.

The tape has what an eager step needs and nothing else: a tensor of ``data``, ``grad`` and
the node that made it; one node per Linear layer and its activation, one for the loss; a
walk that pops (tensor, gradient) pairs off a list; SGD as ``p -= lr * grad``; batches
sliced and wrapped. It checks nothing (no dtypes, labels, shapes, versions, hooks, grad
mode), so it bounds from below what any eager design can reach here; benchmarks/NOTES.md
sets it beside chainrule's eager step and issue 14's targets.

    python benchmarks/eager_floor.py [--workloads a,b,c,e] [--rounds 7]
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from speed import reference
from speed.inputs import Problem, make_problem
from speed.workloads import WORKLOADS, Workload


class Node:
    """A tensor: its array, its gradient, and the backward of the op that made it (a
    function of the upstream gradient that returns (tensor, gradient) pairs), if any."""

    __slots__ = ("backward", "data", "grad")

    def __init__(self, data: np.ndarray, backward: Any = None) -> None:
        self.data = data
        self.grad: np.ndarray | None = None
        self.backward = backward


class Layer:
    """activation(x @ W.T + b) as one node; ``activation`` is "sigmoid", "relu" or None."""

    def __init__(self, weight: np.ndarray, bias: np.ndarray, activation: str | None) -> None:
        self.weight, self.bias, self.activation = Node(weight), Node(bias), activation

    def __call__(self, x: Node) -> Node:
        y = x.data @ self.weight.data.T
        y += self.bias.data
        if self.activation == "sigmoid":
            np.negative(y, out=y)
            np.exp(y, out=y)
            y += 1
            np.reciprocal(y, out=y)
        elif self.activation == "relu":
            y = np.maximum(y, 0)
        return Node(y, lambda g: self._backward(g, x, y))

    def _backward(self, g: np.ndarray, x: Node, y: np.ndarray) -> list[tuple[Node, Any]]:
        if self.activation == "sigmoid":
            g = g * (1 - y) * y
        elif self.activation == "relu":
            g = g * (y > 0)
        for param, grad in ((self.weight, g.T @ x.data), (self.bias, g.sum(axis=0))):
            param.grad = grad if param.grad is None else param.grad + grad
        return [(x, g @ self.weight.data)] if x.backward is not None else []


def mse(y: Node, t: Node) -> Node:
    diff = y.data - t.data
    flat = diff.reshape(-1)
    return Node(
        np.float32(flat @ flat / diff.size),
        lambda g: [(y, diff * (2.0 * float(g) / diff.size))],
    )


def cross_entropy(z: Node, t: Node) -> Node:
    rows = np.arange(len(t.data))
    shifted = z.data - z.data.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    loss = (np.log(total).sum() - shifted[rows, t.data].sum()) / len(rows)
    exp /= total

    def backward(g: Any) -> list[tuple[Node, Any]]:
        d = exp.copy()
        d[rows, t.data] -= 1
        d *= float(g) / len(rows)
        return [(z, d)]

    return Node(np.float32(loss), backward)


def backward(loss: Node) -> None:
    pending = [(loss, np.float32(1.0))]
    while pending:
        node, g = pending.pop()
        pending += node.backward(g)


def minimal_epoch(workload: Workload, problem: Problem) -> tuple[Any, list[Node]]:
    """One epoch of the workload through the tape, as a function of no arguments, and the
    parameters it trains (weight, bias, weight, ...)."""
    activation = workload.plan[1].kind
    count = len(problem.weights)
    layers = [
        Layer(w.copy(), b.copy(), activation if i < count - 1 or workload.loss == "mse" else None)
        for i, (w, b) in enumerate(problem.weights)
    ]
    params = [p for layer in layers for p in (layer.weight, layer.bias)]
    loss_fn = mse if workload.loss == "mse" else cross_entropy
    x, t, size, lr = problem.inputs, problem.targets, workload.batch, workload.lr

    def epoch() -> None:
        for start in range(0, len(x), size):
            a = Node(x[start : start + size])
            for layer in layers:
                a = layer(a)
            loss = loss_fn(a, Node(t[start : start + size]))
            for p in params:
                p.grad = None
            backward(loss)
            for p in params:
                p.data -= lr * p.grad

    return epoch, params


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workloads", default="a,b,c,e")
    parser.add_argument("--rounds", type=int, default=7)
    options = parser.parse_args()
    for key in options.workloads.split(","):
        workload = WORKLOADS[key]
        problem = make_problem(workload, workload.quick_samples)
        best = {"hand-written": float("inf"), "minimal tape": float("inf")}
        for _ in range(options.rounds):
            params = reference.build(workload, problem)
            data = reference.prepare_data(workload, problem)
            epoch, trained = minimal_epoch(workload, problem)
            runs = (
                ("hand-written", partial(reference.train_epoch, workload, params, data)),
                ("minimal tape", epoch),
            )
            for name, run in runs:
                gc.collect()
                start = time.process_time()
                run()
                best[name] = min(best[name], time.process_time() - start)
            for mine, theirs in zip(trained, params, strict=True):  # the same training
                np.testing.assert_allclose(mine.data, theirs, rtol=1e-3, atol=1e-5)
        steps = -(-problem.samples // workload.batch)
        hand = best["hand-written"]
        for name, seconds in best.items():
            print(
                f"({key}) {name}: {seconds / steps * 1e6:.1f} µs a step, "
                f"{seconds / hand:.3f} of hand-written"
            )


if __name__ == "__main__":
    main()
