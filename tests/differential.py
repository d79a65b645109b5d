"""Random programs, run in chainrule and in PyTorch and compared statement by statement.

A program is a list of Python statements over variables ``x0``, ``x1``, ... Each statement
is written once in chainrule's spelling and once in PyTorch's (one text wherever the two
APIs agree), with ``lib`` standing for ``chainrule`` or ``torch`` and ``F`` for
``chainrule.functional`` or ``torch.nn.functional``; so a printed program is a script
that runs in either library. ``OPS`` lists every op once, its two spellings side by
side, with placeholders (``{x}``, ``{dim}``, ``{key}``, ...) that ``PLACEHOLDERS`` fills
from the variables at hand: adding an op is adding one line to ``OPS``.

``generate(seed)`` builds a program from ``random.Random(seed)``, running PyTorch as it
goes to know each variable's shape and dtype (what an op is given is drawn to fit them,
and sometimes not, so that errors are compared too). ``run(program)`` runs it in both
libraries in lock step and returns the first ``Discrepancy``, or None:

- after each statement: whether it raised (both raising is agreement, unless chainrule
  crashed where PyTorch refused; chainrule raising alone is allowed only where
  ``DELIBERATE`` says so), the warnings chainrule gave, and its result's type, shape,
  dtype, ``requires_grad``, ``is_leaf`` and values;
- after the last one: every variable again (an in-place op must reach every alias);
- then ``loss = sum_k (out_k * w_k).sum()`` over the outputs (variables no later
  statement reads) with random weights ``w_k``, ``loss.backward()``, and the ``.grad`` of
  every leaf; then the same loss again and a second backward through the freed graph.

``survey(seeds)`` runs many programs, shrinks the first failing program of each kind of
discrepancy to the fewest statements that still show it, and reports them by kind. Run
this file to reproduce seeds or to survey: ``python tests/differential.py --help``.
"""

from __future__ import annotations

import argparse
import builtins
import math
import random
import re
import string
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

import numpy as np
import torch

import chainrule as cr

FLOATS = ("float16", "float32", "float64")
RTOL = {"float16": 1e-2, "float32": 1e-4, "float64": 1e-9}
"""Relative tolerance per dtype; the absolute one is this times the largest magnitude in
the expected array (at least 1), so that cancellation in a sum does not count."""

LIBRARIES = {
    "chainrule": {"lib": cr, "F": cr.functional},
    "torch": {"lib": torch, "F": torch.nn.functional},
}


# ----------------------------------------------------------------------------- the ops
@dataclass(frozen=True)
class Op:
    """One op: its chainrule spelling, its PyTorch spelling (``theirs``, empty when the
    same), how often it is drawn, whether it is an expression whose value is a new
    variable (``value``) or a statement that changes ``{t}`` in place (``inplace``), and
    whether PyTorch always refuses it (it is there to check that chainrule does too)."""

    name: str
    ours: str
    theirs: str = ""
    weight: float = 1.0
    kind: str = "value"
    refused: bool = False


OPS = [
    # arithmetic and comparison, with broadcasting, Python numbers and 0-d tensors
    Op("add", "{x} + {y}", weight=3),
    Op("radd", "{n} + {x}"),
    Op("sub", "{x} - {y}", weight=2),
    Op("rsub", "{n} - {x}"),
    Op("mul", "{x} * {y}", weight=3),
    Op("div", "{x} / {y}", weight=2),
    Op("rdiv", "{n} / {x}"),
    Op("neg", "-{x}"),
    Op("pow", "{x} ** {e}", weight=2),
    Op("rpow", "{n} ** {x}"),
    Op("gt", "{x} > {y}"),
    Op("le", "{x} <= {y}"),
    Op("eq", "{x} == {y}"),
    Op("maximum", "lib.max({x}, {yt})"),
    Op("minimum", "lib.min({x}, {yt})"),
    Op("where", "lib.where({x} > {n}, {x}, {y})", weight=2),
    Op("where_mask", "lib.where({mask}, {x}, {y})"),
    # elementwise math
    Op("exp", "{x}.exp()"),
    Op("lib.exp", "lib.exp({x})"),
    Op("log", "{x}.log()"),
    Op("sqrt", "lib.sqrt({x})"),
    Op("abs", "{x}.abs()"),
    Op("tanh", "lib.tanh({x})"),
    Op("sigmoid", "{x}.sigmoid()"),
    Op("relu", "{x}.relu()"),
    Op("F.relu", "F.relu({x})"),
    Op("leaky_relu", "F.leaky_relu({x}, {slope})"),
    Op("clamp", "{x}.clamp({bounds})", weight=2),
    Op("lib.clamp", "lib.clamp({x}, {bounds})"),
    Op("softmax", "{x}.softmax({dim})"),
    Op("F.softmax", "F.softmax({x}, dim={dim})"),
    Op("log_softmax", "{x}.log_softmax({dim})"),
    Op("F.log_softmax", "F.log_softmax({x}, dim={dim})"),
    # reductions (chainrule's max(dim) and min(dim) return the values only, as amax/amin)
    Op("sum", "{x}.sum()"),
    Op("sum_dims", "{x}.sum({dims}, keepdim={keep})", weight=2),
    Op("lib.sum", "lib.sum({x}, {dim})"),
    Op("mean", "{x}.mean()"),
    Op("mean_dims", "{x}.mean({dims}, keepdim={keep})", weight=2),
    Op("max", "{x}.max()"),
    Op("amax", "{x}.max({dims}, keepdim={keep})", "{x}.amax({dims}, keepdim={keep})", weight=2),
    Op("min", "{x}.min()"),
    Op("amin", "{x}.min({dims}, keepdim={keep})", "{x}.amin({dims}, keepdim={keep})"),
    Op("argmax", "{x}.argmax({dimnone}, keepdim={keep})"),
    Op("argmin", "{x}.argmin({dimnone})"),
    # linear algebra
    Op("matmul", "{x} @ {mat}", weight=2),
    Op("lib.matmul", "lib.matmul({x}, {mat})"),
    # indexing
    Op("getitem", "{x}[{key}]", weight=5),
    Op("mask_select", "{x}[{x} > {n}]"),
    # shape
    Op("reshape", "{x}.reshape({shape})", weight=2),
    Op("view", "{x}.view({shape})"),
    Op("permute", "{x}.permute({perm})"),
    Op("transpose", "{x}.transpose({pair})"),
    Op("lib.transpose", "lib.transpose({x}, {pair})"),
    Op("T", "{x}.T"),
    Op("flatten", "{x}.flatten()"),
    Op("lib.flatten", "lib.flatten({x}, {span})"),
    Op("squeeze", "{x}.squeeze()"),
    Op("squeeze_dim", "{x}.squeeze({sqdim})"),
    Op("unsqueeze", "{x}.unsqueeze({newdim})"),
    Op("cat", "lib.cat({catlist}, {catdim})", weight=2),
    Op("stack", "lib.stack({stacklist}, {stackdim})"),
    Op("clone", "{x}.clone()"),
    Op("detach", "{x}.detach()"),
    # dtypes and new tensors
    Op("float", "{x}.float()"),
    Op("double", "{x}.double()"),
    Op("long", "{x}.long()"),
    Op("to", "{x}.to({dtype})"),
    Op("tensor_of_number", "lib.tensor({n})"),
    Op("zeros_like", "lib.zeros_like({x})"),
    Op("ones_like", "lib.ones_like({x})"),
    Op("zeros", "lib.zeros({size})", weight=0.5),
    Op("full", "lib.full({size}, {n})", weight=0.5),
    Op("arange", "lib.arange({count})", weight=0.5),
    Op("eye", "lib.eye({count})", weight=0.5),
    # losses, each reduction
    Op("mse_loss", "F.mse_loss({f}, {same}, reduction={red})", weight=2),
    Op("bce", "F.binary_cross_entropy({f}.sigmoid(), {prob}, reduction={red})", weight=2),
    Op("bce_raw", "F.binary_cross_entropy({f}, {prob}, reduction={red})"),
    Op(
        "bce_with_logits",
        "F.binary_cross_entropy_with_logits({f}, {prob}, reduction={red})",
        weight=2,
    ),
    Op("cross_entropy", "F.cross_entropy({logits}, {cls}, reduction={red})", weight=2),
    Op("cross_entropy_probs", "F.cross_entropy({logits}, {probs}, reduction={red})", weight=2),
    Op("nll_loss", "F.nll_loss({logits}.log_softmax({cdim}), {cls}, reduction={red})"),
    Op("list_target", "F.mse_loss({f}, {same}.tolist())", weight=0.3, refused=True),
    # layers and loss modules
    Op("nn.Flatten", "lib.nn.Flatten()({x})", weight=0.5),
    Op("nn.ReLU", "lib.nn.ReLU()({x})", weight=0.3),
    Op("nn.Sigmoid", "lib.nn.Sigmoid()({x})", weight=0.3),
    Op("nn.Softmax", "lib.nn.Softmax({dim})({x})", weight=0.3),
    Op("nn.LogSoftmax", "lib.nn.LogSoftmax({dim})({x})", weight=0.3),
    Op("nn.MSELoss", "lib.nn.MSELoss(reduction={red})({f}, {same})", weight=0.5),
    Op("nn.BCELoss", "lib.nn.BCELoss(reduction={red})({f}.sigmoid(), {prob})", weight=0.5),
    Op(
        "nn.BCEWithLogitsLoss", "lib.nn.BCEWithLogitsLoss(reduction={red})({f}, {prob})", weight=0.5
    ),
    Op(
        "nn.CrossEntropyLoss",
        "lib.nn.CrossEntropyLoss(reduction={red})({logits}, {cls})",
        weight=0.5,
    ),
    Op(
        "nn.NLLLoss",
        "lib.nn.NLLLoss(reduction={red})({logits}.log_softmax({cdim}), {cls})",
        weight=0.5,
    ),
    # in place: with grad mode on, or under no_grad (drawn at random for each statement)
    Op("iadd", "{t} += {y}", kind="inplace"),
    Op("isub", "{t} -= {y}", kind="inplace"),
    Op("imul", "{t} *= {y}", kind="inplace"),
    Op("idiv", "{t} /= {y}", kind="inplace"),
    Op("add_", "{t}.add_({y})", kind="inplace"),
    Op("sub_", "{t}.sub_({y})", kind="inplace"),
    Op("mul_", "{t}.mul_({y})", kind="inplace"),
    Op("div_", "{t}.div_({y})", kind="inplace"),
    Op("zero_", "{t}.zero_()", kind="inplace"),
    Op("fill_", "{t}.fill_({n})", kind="inplace"),
    Op("copy_", "{t}.copy_({yt})", kind="inplace"),
    Op("clamp_", "{t}.clamp_({bounds})", kind="inplace"),
    Op("setitem", "{t}[{key}] = {n}", kind="inplace"),
    Op("setitem_tensor", "{t}[{key}] = {yt}", kind="inplace"),
    Op("setitem_mask", "{t}[{t} > {n}] = {n}", kind="inplace"),
    # a new leaf, now and then, to mix dtypes and shapes
    Op("leaf", "{leaf}", weight=2),
]
OPS_BY_NAME = {op.name: op for op in OPS}
INPLACE_SHARE = 0.12
"""The share of statements that are in-place ops (the rest are drawn by weight)."""


# ----------------------------------------------------------------------------- variables
@dataclass
class Var:
    """What the generator knows of a variable: its shape and dtype in PyTorch."""

    name: str
    shape: tuple[int, ...]
    dtype: str

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def floating(self) -> bool:
        return self.dtype in FLOATS


def _var(name: str, tensor: torch.Tensor) -> Var:
    return Var(name, tuple(tensor.shape), _dtype_name(tensor))


def _dtype_name(tensor: Any) -> str:
    return str(tensor.dtype).removeprefix("torch.")


@dataclass(frozen=True)
class Statement:
    """One line of a program, in both spellings; ``target`` is the variable it defines or
    changes, ``uses`` the variables it reads."""

    ours: str
    theirs: str
    target: str
    op: str
    uses: tuple[str, ...] = ()
    kind: str = "value"


@dataclass(frozen=True)
class Program:
    seed: int
    statements: tuple[Statement, ...]


# ----------------------------------------------------------------------------- literals
def _values(rng: random.Random, shape: tuple[int, ...], dtype: str, kind: str, high: int) -> Any:
    """An array of ``shape``: ``normal`` floats in [-2, 2] with 2 decimals (and now and then
    0, ±1 or ±50), ``unit`` floats in [0, 1], ``int`` in [-3, 3], ``index`` in [-high, high)."""
    gen = np.random.default_rng(rng.getrandbits(64))
    if dtype == "bool":
        return gen.random(shape) < 0.5
    if kind == "index":
        return gen.integers(-high if gen.random() < 0.2 else 0, max(high, 1), shape)
    if dtype == "int64":
        return gen.integers(-3, 4, shape)
    if kind == "unit":
        values = gen.uniform(0, 1, shape).round(2)
        return np.where(gen.random(shape) < 0.1, gen.integers(0, 2, shape), values)
    values = gen.uniform(-2, 2, shape).round(2)
    special = gen.choice([0.0, 1.0, -1.0, 50.0, -50.0], shape)
    return np.where(gen.random(shape) < 0.06, special, values)


def _literal(values: Any, dtype: str, requires_grad: bool) -> str:
    """``lib.tensor(...)`` of ``values``, spelt with Python literals (floats give float32
    in both libraries; other float dtypes are named)."""
    grad = ", requires_grad=True" if requires_grad else ""
    if values.size == 0:
        return f"lib.zeros({values.shape}, dtype=lib.{dtype}{grad})"
    if dtype in FLOATS:
        values = values.astype(float)
    named = "" if dtype in ("float32", "int64", "bool") else f", dtype=lib.{dtype}"
    return f"lib.tensor({values.tolist()!r}{named}{grad})"


def _random_dtype(rng: random.Random) -> str:
    return rng.choices(
        ["float32", "float64", "int64", "bool", "float16"], [55, 15, 15, 10, 5], k=1
    )[0]


def _random_shape(rng: random.Random, ndim: int | None = None) -> tuple[int, ...]:
    if ndim is None:
        ndim = rng.choices([0, 1, 2, 3, 4], [10, 28, 35, 20, 7], k=1)[0]
    return tuple(0 if rng.random() < 0.04 else rng.randint(1, 4) for _ in range(ndim))


# ----------------------------------------------------------------------------- drawing
class Draw:
    """The state of one op being drawn: the variables at hand, the placeholders filled so
    far, and the leaves made for it (written before its statement)."""

    def __init__(self, gen: Generation, op: Op) -> None:
        self.gen = gen
        self.rng = gen.rng
        self.op = op
        self.values: dict[str, str] = {}
        self.x: Var | None = None  # the tensor the other placeholders are drawn to fit
        self.uses: list[str] = []

    def use(self, var: Var) -> str:
        self.uses.append(var.name)
        return var.name

    def pick(self, accept: Callable[[Var], bool]) -> Var | None:
        """A variable ``accept`` takes: the newest one half the time, else any of them."""
        candidates = [v for v in self.gen.env.values() if accept(v)]
        if not candidates:
            return None
        return candidates[-1] if self.rng.random() < 0.5 else self.rng.choice(candidates)

    def leaf(
        self,
        shape: tuple[int, ...],
        dtype: str,
        kind: str = "normal",
        high: int = 1,
        requires_grad: bool | None = None,
    ) -> str:
        """A new leaf variable, written as a statement before the op's; its name."""
        if requires_grad is None:
            requires_grad = dtype in FLOATS and self.rng.random() < 0.6
        values = _values(self.rng, shape, dtype, kind, high)
        name = self.gen.new_name()
        text = f"{name} = {_literal(values, dtype, requires_grad)}"
        self.gen.emit(Statement(text, text, name, "leaf", kind="leaf"))
        self.uses.append(name)
        return name


PLACEHOLDERS: dict[str, Callable[[Draw], str]] = {}
REFERENCES = ("x", "f", "t", "logits", "mask", "catlist", "stacklist")
"""The placeholders that pick the tensor (``Draw.x``) the others are drawn to fit: drawn
first, whatever their place in the op's text."""


def placeholder(name: str) -> Callable[[Callable[[Draw], str]], Callable[[Draw], str]]:
    def register(draw: Callable[[Draw], str]) -> Callable[[Draw], str]:
        PLACEHOLDERS[name] = draw
        return draw

    return register


def _reference(d: Draw, accept: Callable[[Var], bool], make: Callable[[], str]) -> str:
    var = d.pick(accept)
    if var is None:
        name = make()
        var = d.gen.env[name]
    else:
        d.use(var)
    d.x = var
    return var.name


@placeholder("x")
def _x(d: Draw) -> str:
    """Any tensor; floating ones four times as often."""
    floating = d.rng.random() < 0.8
    return _reference(
        d,
        lambda v: v.floating == floating,
        lambda: d.leaf(_random_shape(d.rng), "float32" if floating else _random_dtype(d.rng)),
    )


@placeholder("f")
def _f(d: Draw) -> str:
    """A floating tensor."""
    return _reference(d, lambda v: v.floating, lambda: d.leaf(_random_shape(d.rng), "float32"))


@placeholder("t")
def _t(d: Draw) -> str:
    """The tensor an in-place op changes: any variable, leaves included."""
    return _reference(d, lambda v: True, lambda: d.leaf(_random_shape(d.rng), "float32"))


@placeholder("logits")
def _logits(d: Draw) -> str:
    """Scores for a classification loss: (N, C) mostly, now and then (C,) or (N, C, D)."""
    ndim = d.rng.choices([2, 1, 3], [85, 8, 7], k=1)[0]

    def make() -> str:
        shape = (d.rng.choice([0, 1, 2, 3, 4, 4]), d.rng.randint(1, 4), d.rng.randint(1, 3))
        dtype = d.rng.choices(["float32", "float64"], [85, 15], k=1)[0]
        return d.leaf(shape[:ndim] if ndim > 1 else shape[1:2], dtype)

    reuse = d.rng.random() < 0.5  # else a new tensor, so that shapes vary
    return _reference(d, lambda v: reuse and v.floating and v.ndim == ndim, make)


def _related_shape(rng: random.Random, shape: tuple[int, ...], grow: bool) -> tuple[int, ...]:
    """A shape that broadcasts with ``shape`` (to it, unless ``grow``), and now and then
    one that does not."""
    out = list(shape[rng.randint(0, len(shape)) :] if rng.random() < 0.4 else shape)
    out = [1 if rng.random() < 0.25 else s for s in out]
    if grow and rng.random() < 0.15:
        out.insert(0, rng.randint(2, 3))
    if out and rng.random() < 0.04:
        out[rng.randrange(len(out))] += 2
    return tuple(out)


def _broadcasts(a: tuple[int, ...], b: tuple[int, ...], onto: bool) -> bool:
    """Whether ``a`` broadcasts with ``b`` (or onto it, leaving its shape, when ``onto``)."""
    if onto and len(a) > len(b):
        return False
    for p, q in zip(reversed(a), reversed(b), strict=False):
        if p != q and p != 1 and (onto or q != 1):
            return False
    return True


def _operand(d: Draw, numbers: bool) -> str:
    assert d.x is not None
    x, onto = d.x, d.op.kind == "inplace"
    roll = d.rng.random()
    if numbers and roll < 0.25:
        return _n(d)
    if roll < 0.35:
        zero_d = d.pick(lambda v: v.ndim == 0 and v.name != x.name)
        if zero_d is not None and d.rng.random() < 0.5:
            return d.use(zero_d)
        return d.leaf((), _random_dtype(d.rng))
    if roll < 0.65:
        var = d.pick(lambda v: v.name != x.name and _broadcasts(v.shape, x.shape, onto))
        if var is not None:
            return d.use(var)
    return d.leaf(_related_shape(d.rng, x.shape, not onto), _random_dtype(d.rng))


@placeholder("y")
def _y(d: Draw) -> str:
    """The other operand of ``{x}``: a tensor that broadcasts with it (of any dtype, 0-d
    ones included), or a Python number."""
    return _operand(d, numbers=True)


@placeholder("yt")
def _yt(d: Draw) -> str:
    """Like ``{y}``, but always a tensor."""
    return _operand(d, numbers=False)


NUMBERS = (0, 1, 2, 3, -1, -2, 0.5, -1.5, 2.5, 0.0, 1.0, True)


def _number(number: float) -> str:
    """A number as written in a program: a negative one in parentheses, so that
    ``(-2) ** x`` and ``x * (-1)`` read as what they are."""
    return f"({number})" if number < 0 else repr(number)


@placeholder("n")
def _n(d: Draw) -> str:
    """A Python number: int, float or bool."""
    return _number(d.rng.choice(NUMBERS))


@placeholder("e")
def _e(d: Draw) -> str:
    """An exponent: an int, a float, or a tensor that broadcasts with ``{x}``."""
    if d.rng.random() < 0.25:
        return _operand(d, numbers=False)
    return repr(d.rng.choice([0, 1, 2, 3, -1, -2, 0.5, -0.5, 2.0, 1.5, 3.0]))


@placeholder("mask")
def _mask(d: Draw) -> str:
    """A bool tensor; ``{x}`` is drawn to broadcast with it."""
    var = d.pick(lambda v: v.dtype == "bool")
    name = d.use(var) if var is not None else d.leaf(_random_shape(d.rng), "bool")
    mask = d.gen.env[name]
    d.values["x"] = _reference(
        d,
        lambda v: v.floating and _broadcasts(v.shape, mask.shape, False),
        lambda: d.leaf(_related_shape(d.rng, mask.shape, True), "float32"),
    )
    return name


def _dim_of(d: Draw, extra: int = 0) -> int:
    """A dimension of ``{x}`` (of a result with ``extra`` more), counted from either end;
    one out of range now and then."""
    assert d.x is not None
    ndim = d.x.ndim + extra
    if d.rng.random() < 0.03:
        return ndim + 1
    return d.rng.randint(-max(ndim, 1), max(ndim, 1) - 1)


@placeholder("dim")
def _dim(d: Draw) -> str:
    return str(_dim_of(d))


@placeholder("dims")
def _dims(d: Draw) -> str:
    """A dimension, or a tuple of distinct ones."""
    assert d.x is not None
    if d.x.ndim >= 2 and d.rng.random() < 0.3:
        first, second = d.rng.sample(range(d.x.ndim), 2)
        return repr((first, second - d.x.ndim if d.rng.random() < 0.5 else second))
    return str(_dim_of(d))


@placeholder("dimnone")
def _dimnone(d: Draw) -> str:
    return "None" if d.rng.random() < 0.3 else str(_dim_of(d))


@placeholder("keep")
def _keep(d: Draw) -> str:
    return repr(d.rng.random() < 0.4)


@placeholder("newdim")
def _newdim(d: Draw) -> str:
    return str(_dim_of(d, extra=1))


@placeholder("pair")
def _pair(d: Draw) -> str:
    return f"{_dim_of(d)}, {_dim_of(d)}"


@placeholder("span")
def _span(d: Draw) -> str:
    """``start_dim, end_dim`` for flatten."""
    assert d.x is not None
    ndim = max(d.x.ndim, 1)
    start = d.rng.randrange(ndim)
    return f"{start}, {d.rng.randint(start, ndim - 1) - (ndim if d.rng.random() < 0.5 else 0)}"


@placeholder("perm")
def _perm(d: Draw) -> str:
    assert d.x is not None
    order = list(range(d.x.ndim))
    d.rng.shuffle(order)
    order = [i - d.x.ndim if d.rng.random() < 0.2 else i for i in order]
    return repr(tuple(order)) if d.rng.random() < 0.5 or len(order) < 2 else repr(order)[1:-1]


@placeholder("sqdim")
def _sqdim(d: Draw) -> str:
    """A dimension (of size 1 more often than not), or a tuple of them."""
    assert d.x is not None
    ones = [i for i, s in enumerate(d.x.shape) if s == 1]
    if len(ones) >= 2 and d.rng.random() < 0.4:
        return repr(tuple(d.rng.sample(ones, 2)))
    if ones and d.rng.random() < 0.6:
        return str(d.rng.choice(ones))
    return str(_dim_of(d))


@placeholder("shape")
def _shape(d: Draw) -> str:
    """A shape with ``{x}``'s number of elements, as arguments or a tuple; maybe a -1."""
    assert d.x is not None
    count, rng = math.prod(d.x.shape), d.rng
    if count == 0:
        dims = rng.choice([[0], [0, rng.randint(1, 3)], [rng.randint(1, 3), 0]])
    else:
        factors, rest = [], count
        for p in (2, 3, 5, 7, 11, 13):
            while rest % p == 0:
                factors.append(p)
                rest //= p
        factors.append(rest)
        dims = [1] * rng.randint(1, 3)
        for p in factors:
            dims[rng.randrange(len(dims))] *= p
    if d.rng.random() < 0.2:
        dims.insert(d.rng.randint(0, len(dims)), 1)
    if count and d.rng.random() < 0.3:
        dims[d.rng.randrange(len(dims))] = -1
    if d.rng.random() < 0.03:
        dims[0] += 1
    return repr(tuple(dims)) if d.rng.random() < 0.5 else repr(tuple(dims))[1:-1].rstrip(",")


def _index_part(d: Draw, kind: str, sizes: tuple[int, ...]) -> str:
    rng = d.rng
    if kind == "int":
        return str(rng.randint(-sizes[0], sizes[0] - 1) if rng.random() < 0.97 else sizes[0])
    if kind == "slice":
        ends = [None, None, 0, 1, 2, -1, -2, sizes[0] + 1]
        start, stop = rng.choice(ends), rng.choice(ends)
        step = rng.choice([None, None, 1, 2])
        text = f"{'' if start is None else start}:{'' if stop is None else stop}"
        return text + (f":{step}" if step else "")
    if kind == "array":
        count = rng.randint(1, 3)
        picks = [rng.randint(-sizes[0], sizes[0] - 1) for _ in range(count)]
        if rng.random() < 0.4:
            return repr(picks)
        if rng.random() < 0.3:
            picks = [picks, [rng.randint(0, sizes[0] - 1) for _ in range(count)]]
        return f"lib.tensor({picks!r})"
    values = _values(rng, sizes, "bool", "normal", 1)
    return f"lib.tensor({values.tolist()!r})"


@placeholder("key")
def _key(d: Draw) -> str:
    """An index into ``{x}``: ints, slices, None, ..., integer arrays (lists or tensors, 1-d
    or 2-d) and bool masks, mixed."""
    assert d.x is not None
    rng, shape = d.rng, d.x.shape
    parts: list[tuple[str, int]] = []  # (kind, how many dimensions it indexes)
    free = len(shape)
    for _ in range(rng.randint(1, max(len(shape), 1) + 1)):
        kind = rng.choices(
            ["int", "slice", "none", "array", "mask", "ellipsis"], [30, 30, 8, 20, 8, 6], k=1
        )[0]
        if kind == "ellipsis" and any(k == "ellipsis" for k, _ in parts):
            kind = "none"
        width = {"none": 0, "ellipsis": 0, "mask": rng.randint(1, 2)}.get(kind, 1)
        if width > free:
            kind, width = ("none", 0) if rng.random() < 0.5 else ("ellipsis", 0)
            if any(k == "ellipsis" for k, _ in parts):
                kind = "none"
        parts.append((kind, width))
        free -= width
    texts, dim = [], 0
    for i, (kind, width) in enumerate(parts):
        if kind == "ellipsis":
            texts.append("...")
            dim = len(shape) - sum(w for _, w in parts[i + 1 :])
            continue
        if kind == "none":
            texts.append("None")
            continue
        sizes = shape[dim : dim + width]
        if 0 in sizes and kind in ("array", "mask", "int"):
            kind = "slice"
            width = 1
        texts.append(_index_part(d, kind, sizes[: max(width, 1)]))
        dim += width
    return texts[0] if len(texts) == 1 else ", ".join(texts)


@placeholder("bounds")
def _bounds(d: Draw) -> str:
    rng = d.rng
    low, high = rng.choice([-1, -0.5, 0, 0.0, 0.25]), rng.choice([1, 0.5, 1.0, 2, 0.75, -1])
    return rng.choice([f"{low}, {high}", f"min={low}", f"max={high}", f"min={low}, max={high}"])


@placeholder("slope")
def _slope(d: Draw) -> str:
    return repr(d.rng.choice([0.01, 0.2, 1.5]))


@placeholder("dtype")
def _dtype(d: Draw) -> str:
    return "lib." + d.rng.choice(["float32", "float64", "float16", "int64", "bool"])


@placeholder("size")
def _size(d: Draw) -> str:
    shape = _random_shape(d.rng, d.rng.randint(1, 3))
    return repr(shape) if d.rng.random() < 0.5 else repr(shape)[1:-1].rstrip(",")


@placeholder("count")
def _count(d: Draw) -> str:
    return str(d.rng.randint(0, 4))


@placeholder("mat")
def _mat(d: Draw) -> str:
    """The right operand of ``{x} @ ...``: 1-d, 2-d or batched, mostly of ``{x}``'s dtype."""
    assert d.x is not None
    shape, rng = d.x.shape, d.rng
    inner = shape[-1] if shape else 2
    if rng.random() < 0.05:
        inner += 1
    cols = rng.randint(1, 3)
    options = [(inner,), (inner, cols), (2, inner, cols)]
    if len(shape) >= 3:
        options += [(*shape[:-2], inner, cols), (1, inner, cols)]
    dtype = d.x.dtype if rng.random() < 0.85 else _random_dtype(rng)
    return d.leaf(rng.choice(options), dtype)


@placeholder("same")
def _same(d: Draw) -> str:
    """A tensor of ``{x}``'s shape (now and then one that only broadcasts with it)."""
    assert d.x is not None
    x = d.x
    var = d.pick(lambda v: v.name != x.name and v.shape == x.shape and v.floating)
    if var is not None and d.rng.random() < 0.5:
        return d.use(var)
    if d.rng.random() < 0.05:
        return d.leaf(_related_shape(d.rng, x.shape, True), x.dtype)
    dtype = x.dtype if d.rng.random() < 0.85 else _random_dtype(d.rng)
    return d.leaf(x.shape, dtype)


@placeholder("prob")
def _prob(d: Draw) -> str:
    """A target in [0, 1] of ``{x}``'s shape: a sigmoid of a variable, or a new tensor
    (requiring grad now and then)."""
    assert d.x is not None
    x = d.x
    var = d.pick(lambda v: v.name != x.name and v.shape == x.shape and v.floating)
    if var is not None and d.rng.random() < 0.4:
        return f"{d.use(var)}.sigmoid()"
    dtype = x.dtype if d.rng.random() < 0.9 else _random_dtype(d.rng)
    return d.leaf(x.shape, dtype, "unit", requires_grad=d.rng.random() < 0.3)


@placeholder("probs")
def _probs(d: Draw) -> str:
    """Class probabilities for ``{logits}``: a softmax of a variable, or non-negative values
    that need not sum to 1 (multi-hot, unnormalised)."""
    assert d.x is not None
    x = d.x
    var = d.pick(lambda v: v.name != x.name and v.shape == x.shape and v.floating)
    if var is not None and d.rng.random() < 0.35:
        return f"{d.use(var)}.softmax({1 if x.ndim > 1 else 0})"
    dtype = x.dtype if d.rng.random() < 0.9 else _random_dtype(d.rng)
    return d.leaf(x.shape, dtype, "unit", requires_grad=d.rng.random() < 0.3)


@placeholder("cls")
def _cls(d: Draw) -> str:
    """Class indices for ``{logits}`` (N, C) -> (N,), (C,) -> (), (N, C, D) -> (N, D)."""
    assert d.x is not None
    shape = d.x.shape
    classes = shape[1] if len(shape) > 1 else (shape[0] if shape else 1)
    if d.rng.random() < 0.04:
        classes += 1
    target = shape[:1] + shape[2:] if len(shape) > 1 else ()
    return d.leaf(target, "int64", "index", high=classes, requires_grad=False)


@placeholder("cdim")
def _cdim(d: Draw) -> str:
    assert d.x is not None
    return "1" if d.x.ndim > 1 else "0"


@placeholder("red")
def _red(d: Draw) -> str:
    return repr(d.rng.choice(["mean", "sum", "none"]))


@placeholder("catlist")
def _catlist(d: Draw) -> str:
    """A tensor, and others that fit it but along ``{catdim}``, which this draws too."""
    _x(d)
    assert d.x is not None
    x = d.x
    dim = _dim_of(d) if x.ndim else 0
    d.values["catdim"] = str(dim)
    names = [x.name]
    for _ in range(d.rng.randint(1, 2)):
        if d.rng.random() < 0.3 or not x.ndim or not -x.ndim <= dim < x.ndim:
            names.append(x.name)
            continue
        shape = list(x.shape)
        shape[dim] = d.rng.randint(0, 3)
        dtype = x.dtype if d.rng.random() < 0.8 else _random_dtype(d.rng)
        names.append(d.leaf(tuple(shape), dtype))
    return "[" + ", ".join(names) + "]"


@placeholder("stacklist")
def _stacklist(d: Draw) -> str:
    """A tensor and others of its shape; and ``{stackdim}``."""
    _x(d)
    assert d.x is not None
    x = d.x
    d.values["stackdim"] = str(_dim_of(d, extra=1))
    names = [x.name]
    for _ in range(d.rng.randint(1, 2)):
        var = d.pick(lambda v: v.shape == x.shape)
        if var is not None and d.rng.random() < 0.5:
            names.append(d.use(var))
        else:
            dtype = x.dtype if d.rng.random() < 0.8 else _random_dtype(d.rng)
            names.append(d.leaf(x.shape, dtype))
    return "[" + ", ".join(names) + "]"


@placeholder("leaf")
def _leaf(d: Draw) -> str:
    """A new leaf of random shape and dtype (the op itself copies it)."""
    return d.leaf(_random_shape(d.rng), _random_dtype(d.rng))


def _placeholders(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


for _op in OPS:
    assert set(_placeholders(_op.theirs)) <= set(_placeholders(_op.ours)), _op.name
    assert set(_placeholders(_op.ours)) <= set(PLACEHOLDERS) | {"catdim", "stackdim"}, _op.name
assert len(OPS_BY_NAME) == len(OPS), "each op is listed once"


# ----------------------------------------------------------------------------- running
@cache
def _compiled(text: str) -> Any:
    return compile(text, "<program>", "exec")


def _namespace(library: str) -> dict[str, Any]:
    return {"__builtins__": builtins, **LIBRARIES[library]}


def _execute(text: str, ns: dict[str, Any]) -> tuple[Exception | None, list[Any]]:
    """Run one statement; the exception it raised (if any) and the warnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            exec(_compiled(text), ns)
        except Exception as error:
            return error, caught
    return None, caught


def _undo_integer_requires_grad(ns: dict[str, Any]) -> None:
    """Detach every integer or bool tensor in PyTorch's namespace that says it requires grad:
    PyTorch's slip (one written into, or through a view, from a tensor that requires grad
    says so too), which ops on it then carry on (a float result requiring grad, a backward
    that fails with an internal assert, an op that refuses "Autograd not support dtype").
    It can carry no gradient, and chainrule's requires none."""
    for name, value in ns.items():
        if (
            isinstance(value, torch.Tensor)
            and value.requires_grad
            and not (value.is_floating_point() or value.is_complex())
        ):
            ns[name] = value.detach()


class Generation:
    """A program being drawn, and PyTorch running it line by line to say what each variable
    is (shape, dtype, whether it needs a gradient)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.ns = _namespace("torch")
        self.env: dict[str, Var] = {}
        self.statements: list[Statement] = []
        self.count = 0
        self.ran: Counter[str] = Counter()  # the ops PyTorch ran without an error

    def program(self) -> Program:
        return Program(self.seed, tuple(self.statements))

    def new_name(self) -> str:
        self.count += 1
        return f"x{self.count - 1}"

    def emit(self, statement: Statement) -> None:
        self.statements.append(statement)
        error, _ = _execute(statement.theirs, self.ns)
        if error is None:
            self.ran[statement.op] += 1
        for name in [*self.env, statement.target]:
            value = self.ns.get(name)
            if isinstance(value, torch.Tensor):
                self.env[name] = _var(name, value)
            else:
                self.env.pop(name, None)

    def draw(self, op: Op) -> None:
        """Fill ``op``'s placeholders and write its statement (after any leaves it made)."""
        d = Draw(self, op)
        names = _placeholders(op.ours)
        for name in sorted(names, key=lambda name: name not in REFERENCES):
            if name not in d.values:
                d.values[name] = PLACEHOLDERS[name](d)
        if op.name == "leaf":
            return
        ours, theirs = op.ours.format(**d.values), (op.theirs or op.ours).format(**d.values)
        uses = tuple(dict.fromkeys(d.uses))
        if op.kind == "inplace":
            target = d.values["t"]
            uses = tuple(u for u in uses if u != target)
            if self.rng.random() < 0.5:
                ours, theirs = f"with lib.no_grad(): {ours}", f"with lib.no_grad(): {theirs}"
            self.emit(Statement(ours, theirs, target, op.name, uses, "inplace"))
        else:
            name = self.new_name()
            self.emit(Statement(f"{name} = {ours}", f"{name} = {theirs}", name, op.name, uses))


VALUE_OPS = [op for op in OPS if op.kind == "value"]
INPLACE_OPS = [op for op in OPS if op.kind == "inplace"]


def generate(seed: int) -> Program:
    """The program of ``seed``: 1-3 leaves, then 3-10 ops."""
    return _generation(seed).program()


def _generation(seed: int) -> Generation:
    gen = Generation(seed)
    rng = gen.rng
    for _ in range(rng.randint(1, 3)):
        Draw(gen, OPS_BY_NAME["leaf"]).leaf(_random_shape(rng), _random_dtype(rng))
    for _ in range(rng.randint(3, 10)):
        ops = INPLACE_OPS if rng.random() < INPLACE_SHARE else VALUE_OPS
        op = rng.choices(ops, [op.weight for op in ops], k=1)[0]
        gen.draw(op)
    return gen


# ----------------------------------------------------------------------------- deliberate
@dataclass(frozen=True)
class Deliberate:
    """A place where chainrule differs from PyTorch on purpose: at the ops whose names
    match the regular expression ``op``, ``library`` alone raising an error (or, for
    chainrule, giving a warning) of type ``error`` whose message matches the regular
    expression ``says`` is agreement, for ``reason``. The program stops there."""

    library: str  # "chainrule" (it refuses or warns) or "torch" (chainrule accepts more)
    op: str
    error: type[BaseException]
    says: str
    reason: str

    def allows(self, library: str, op: str, error: BaseException | warnings.WarningMessage) -> bool:
        if isinstance(error, warnings.WarningMessage):
            kind, message = error.category, str(error.message)
        else:
            kind, message = type(error), str(error)
        return (
            self.library == library
            and re.fullmatch(self.op, op) is not None
            and issubclass(kind, self.error)
            and re.search(self.says, message) is not None
        )


DELIBERATE = [
    Deliberate(
        "chainrule",
        ".*",
        RuntimeWarning,
        "encountered in|Mean of empty slice",
        "NumPy warns when an op makes inf or NaN (log of a negative number, 0 / 0, an "
        "overflow, the mean of nothing) where PyTorch is silent: chainrule never hides a NaN",
    ),
    Deliberate(
        "chainrule",
        "mse_loss|nn.MSELoss",
        ValueError,
        "they must match",
        "PyTorch broadcasts a target of another shape with a warning that it is probably "
        "a bug; chainrule refuses it",
    ),
    Deliberate(
        "chainrule",
        "cross_entropy|cross_entropy_probs|nn.CrossEntropyLoss|nll_loss|nn.NLLLoss",
        ValueError,
        r"(logits|input) must have shape \(N, C\)",
        "chainrule's classification losses take scores (N, C) only, not (C,) or (N, C, d...)",
    ),
    Deliberate(
        "chainrule",
        "second backward",
        RuntimeError,
        "retain_graph",
        "chainrule's backward frees every node it ran, so a second backward through any of "
        "them asks for retain_graph=True; PyTorch asks only where a freed node saved tensors",
    ),
    Deliberate(
        "torch",
        "backward|second backward",
        RuntimeError,
        r"INTERNAL ASSERT FAILED|Subtraction, the `-` operator, with a bool tensor",
        "PyTorch 2.13 fails to differentiate a power with a bool base or exponent "
        "(True ** x, x ** mask), a bug of its own; chainrule differentiates it",
    ),
    Deliberate(
        "chainrule",
        "matmul|lib.matmul",
        RuntimeError,
        "matmul needs operands of one dtype",
        "PyTorch's batched matmul skips its dtype check when an operand has no elements "
        "(its zeros take the second operand's dtype); chainrule refuses two dtypes always, "
        "as PyTorch does for every product with elements",
    ),
]
"""Every deliberate difference the comparison allows; anything else is a discrepancy."""


def _deliberate(library: str, op: str, error: Any) -> Deliberate | None:
    return next((entry for entry in DELIBERATE if entry.allows(library, op, error)), None)


# ----------------------------------------------------------------------------- comparing
CRASHES = (AttributeError, KeyError, NameError, ZeroDivisionError, AssertionError, RecursionError)
"""Exceptions that mean chainrule's own code broke (where PyTorch gave an error of its own),
as does a TypeError about None."""


def _crashed(error: BaseException) -> bool:
    return isinstance(error, CRASHES) or (isinstance(error, TypeError) and "NoneType" in str(error))


@dataclass(frozen=True)
class Discrepancy:
    """What differs (``kind``), at which op, on which line of the program as run."""

    kind: str
    op: str
    line: int
    detail: str
    gist: str = ""  # the error's message without its numbers, shapes and names

    @property
    def key(self) -> tuple[str, str, str]:
        return self.kind, self.op, self.gist


def _error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"[:300]


def _gist(error: BaseException) -> str:
    """What kind of error: its type and message without numbers, shapes and quoted names,
    so that one cause gives one gist."""
    text = re.sub(r"\(.*?\)|\[.*?\]|'.*?'|\d+", "_", _error_text(error).partition(" on inputs")[0])
    return text[:70]


def _close(
    ours: np.ndarray, theirs: np.ndarray, dtype: str, rtol: float, scale: float = 1.0
) -> bool:
    """Whether two arrays agree: exactly, unless floating; then NaN where the other has NaN,
    an infinity where it has one, and other values to ``rtol`` (relative to the largest
    magnitude in ``theirs``, or ``scale`` if larger: that of the terms of a sum).

    The sign of zero is not compared (PyTorch itself gives -0 from ``amax`` and +0 from
    ``max`` of [-0.0, 0.0]), so neither is that of an infinity, which 1 / ±0 makes.
    """
    if dtype not in FLOATS:
        return bool(np.array_equal(ours, theirs))
    a, b = ours.astype(np.float64), theirs.astype(np.float64)
    if not np.array_equal(np.isnan(a), np.isnan(b)):
        return False
    if not np.array_equal(np.isinf(a), np.isinf(b)):
        return False
    finite = np.isfinite(b)
    a, b = a[finite], b[finite]
    if a.size == 0:
        return True
    rtol = max(rtol, RTOL[dtype])
    return bool(np.all(np.abs(a - b) <= rtol * (np.abs(b) + max(scale, np.abs(b).max()))))


def _summary(array: np.ndarray) -> str:
    return np.array2string(array, threshold=12, edgeitems=2, precision=5).replace("\n", "")


def _differs(ours: Any, theirs: Any, rtol: float, scale: float = 1.0) -> str | None:
    """How chainrule's value ``ours`` differs from PyTorch's ``theirs`` (floats compared to
    ``rtol`` at least, relative to ``scale`` at least); None if it does not."""
    if not isinstance(theirs, torch.Tensor):
        return None if type(ours) is type(theirs) and ours == theirs else f"{ours!r} vs {theirs!r}"
    if not isinstance(ours, cr.Tensor):
        return f"type: chainrule gives {type(ours).__name__}, PyTorch a Tensor"
    if tuple(ours.shape) != tuple(theirs.shape):
        return f"shape: chainrule {tuple(ours.shape)}, PyTorch {tuple(theirs.shape)}"
    dtype = _dtype_name(theirs)
    if str(ours.dtype) != dtype:
        return f"dtype: chainrule {ours.dtype}, PyTorch {dtype}"
    if ours.requires_grad != theirs.requires_grad:
        return f"requires_grad: chainrule {ours.requires_grad}, PyTorch {theirs.requires_grad}"
    elif ours.is_leaf != theirs.is_leaf:
        return f"is_leaf: chainrule {ours.is_leaf}, PyTorch {theirs.is_leaf}"
    expected = theirs.detach().numpy()
    if not _close(np.asarray(ours.data), expected, dtype, rtol, scale):
        return f"values: chainrule {_summary(np.asarray(ours.data))}, PyTorch {_summary(expected)}"
    return None


def _kind(difference: str) -> str:
    return difference.partition(":")[0]


class _Run:
    """Both libraries running one program in lock step."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.ours = _namespace("chainrule")
        self.theirs = _namespace("torch")
        self.lines: list[Statement] = []
        self.rtol: dict[str, float] = {}  # each variable's, from the floats it came from
        self.both_raised = False  # by the last statement: what it left behind is no one's

    def tolerance(self, statement: Statement) -> float:
        """The relative tolerance for ``statement``'s result: the loosest of its own dtype's
        and its inputs' (a float32 sum turned float64 carries float32's rounding)."""
        value = self.theirs.get(statement.target)
        reads = (
            [*statement.uses, statement.target] if statement.kind == "inplace" else statement.uses
        )
        rtol = max(
            [RTOL.get(_dtype_name(value), 0.0) if isinstance(value, torch.Tensor) else 0.0]
            + [self.rtol.get(name, 0.0) for name in reads]
        )
        self.rtol[statement.target] = rtol
        return rtol

    def terms_scale(self) -> float:
        """The largest finite magnitude among the outputs the loss sums (its weights are at
        most 1): rounding in a sum that cancels is relative to its terms, not its result."""
        largest = 1.0
        for name in self.outputs():
            values = self.theirs[name].detach().double().numpy()
            finite = np.abs(values[np.isfinite(values)])
            largest = max(largest, float(finite.max(initial=0.0)))
        return largest

    def loosest(self) -> float:
        return max(self.rtol.values(), default=0.0)

    def step(self, statement: Statement) -> Discrepancy | bool | None:
        """Run one statement in both; a Discrepancy, True if chainrule refused on purpose
        (the program stops there), else None."""
        self.lines.append(statement)
        line, op = len(self.lines) - 1, statement.op
        their_error, _ = _execute(statement.theirs, self.theirs)
        _undo_integer_requires_grad(self.theirs)
        our_error, our_warnings = _execute(statement.ours, self.ours)
        self.both_raised = our_error is not None and their_error is not None
        if isinstance(their_error, NameError):  # a shrunk program that lost a variable
            return None
        if our_error is not None and their_error is not None:
            if _crashed(our_error) and type(our_error) is not type(their_error):
                detail = f"chainrule {_error_text(our_error)}; PyTorch {_error_text(their_error)}"
                return Discrepancy(
                    "chainrule crashes where PyTorch refuses", op, line, detail, _gist(our_error)
                )
            return None
        if our_error is not None:
            if _deliberate("chainrule", op, our_error):
                return True
            text, gist = _error_text(our_error), _gist(our_error)
            return Discrepancy("raises only in chainrule", op, line, text, gist)
        if their_error is not None:
            if _deliberate("torch", op, their_error):
                return True
            text, gist = _error_text(their_error), _gist(their_error)
            return Discrepancy("raises only in PyTorch", op, line, text, gist)
        for caught in our_warnings:
            if not _deliberate("chainrule", op, caught):
                detail = f"{caught.category.__name__}: {caught.message}"
                return Discrepancy("warns only in chainrule", op, line, detail, detail[:70])
        difference = _differs(
            self.ours.get(statement.target),
            self.theirs.get(statement.target),
            self.tolerance(statement),
            self.terms_scale() if statement.target == "loss" else 1.0,
        )
        if difference is not None:
            return Discrepancy(_kind(difference), op, line, difference)
        return None

    def steps(self, statements: Iterable[Statement]) -> Discrepancy | bool | None:
        """Run ``statements`` until one shows a discrepancy or a deliberate refusal."""
        for statement in statements:
            outcome = self.step(statement)
            if outcome is not None:
                return outcome
        return None

    def variables(self) -> list[str]:
        """The program's variables that PyTorch holds as tensors, in order."""
        return [
            name
            for name in dict.fromkeys(s.target for s in self.program.statements)
            if isinstance(self.theirs.get(name), torch.Tensor)
        ]

    def outputs(self) -> list[str]:
        """Floating variables that need a gradient and that no later statement reads."""
        last: dict[str, int] = {}
        for i, s in enumerate(self.program.statements):
            last[s.target] = i
        read_after = {
            name
            for i, s in enumerate(self.program.statements)
            for name in s.uses
            if last.get(name, -1) < i
        }
        return [
            name
            for name in self.variables()
            if name not in read_after
            and self.theirs[name].requires_grad
            and self.theirs[name].is_floating_point()
        ]

    def loss_lines(self) -> list[Statement]:
        """``w_k = ...`` for each output ``x_k``, ``loss = Σ (x_k * w_k).sum()``, backward."""
        lines, terms = [], []
        for name in self.outputs():
            value = self.theirs[name]
            rng = random.Random(f"{self.program.seed}:{name}")
            weights = _values(rng, tuple(value.shape), "float32", "normal", 1).clip(-1, 1)
            weight = "w" + name[1:]
            text = f"{weight} = {_literal(weights, _dtype_name(value), False)}"
            lines.append(Statement(text, text, weight, "leaf", kind="leaf"))
            terms.append(f"({name} * {weight}).sum()")
        if not terms:
            return []
        text = "loss = " + " + ".join(terms)
        lines.append(Statement(text, text, "loss", "loss", tuple(self.outputs())))
        lines.append(Statement("loss.backward()", "loss.backward()", "loss", "backward", ("loss",)))
        return lines

    def compare_all(self, op: str) -> Discrepancy | None:
        for name in self.variables():
            difference = _differs(self.ours.get(name), self.theirs[name], self.loosest())
            if difference is not None:
                detail = f"{name} at the end: {difference}"
                return Discrepancy(_kind(difference) + " at the end", op, len(self.lines), detail)
        return None

    def compare_grads(self, op: str) -> Discrepancy | None:
        for name in self.variables():
            theirs, ours = self.theirs[name], self.ours.get(name)
            if not (theirs.is_leaf and theirs.requires_grad):
                continue
            if (ours.grad is None) != (theirs.grad is None):
                detail = f"{name}.grad: chainrule {ours.grad}, PyTorch {theirs.grad}"
                return Discrepancy("gradient", op, len(self.lines) - 1, detail)
            if theirs.grad is not None:
                difference = _differs(ours.grad, theirs.grad, self.loosest())
                if difference is not None:
                    detail = f"{name}.grad: {difference}"
                    return Discrepancy("gradient", op, len(self.lines) - 1, detail)
        return None


def run(program: Program) -> tuple[Discrepancy | None, list[Statement]]:
    """Run ``program`` in both libraries; the first discrepancy (None if they agree) and
    the lines run: the program's, then the loss and its backward, then the loss again from
    the same outputs and its backward (through nodes the first one freed: both libraries
    must refuse, or both accumulate the same gradients)."""
    state = _Run(program)
    outcome = state.steps(program.statements)
    inplace = [s.op for s in program.statements if s.kind == "inplace"]
    if outcome is None and inplace:
        outcome = state.compare_all(inplace[-1])
    loss = state.loss_lines() if outcome is None else []
    if loss:
        outcome = state.steps(loss)
        if outcome is None and not state.both_raised:  # a backward both refused fills nothing
            outcome = state.compare_grads("backward")
        again = [replace(loss[-2], op="second loss"), replace(loss[-1], op="second backward")]
        outcome = outcome or state.steps(again)
        if outcome is None and not state.both_raised:
            outcome = state.compare_grads("second backward")
    return (None if outcome is True else outcome), state.lines


# ----------------------------------------------------------------------------- reporting
def render(lines: Iterable[Statement], mark: int | None = None) -> str:
    """The program as text in chainrule's spelling, PyTorch's in a comment where it
    differs, and ``<--`` on line ``mark``."""
    out = []
    for i, s in enumerate(lines):
        text = s.ours if s.ours == s.theirs else f"{s.ours}  # torch: {s.theirs}"
        out.append(text + ("   # <-- here" if i == mark else ""))
    return "\n".join(out)


def shrink(program: Program, key: tuple[str, str, str], deadline: float = math.inf) -> Program:
    """The fewest of ``program``'s statements that still show a discrepancy with ``key``
    (each statement dropped in turn while that holds, until none can be)."""

    def fails(statements: tuple[Statement, ...]) -> bool:
        found, _ = run(Program(program.seed, statements))
        return found is not None and found.key == key

    statements = program.statements
    found, _ = run(program)
    if found is not None and found.line < len(statements):
        cut = statements[: found.line + 1]
        if fails(cut):
            statements = cut
    changed = True
    while changed and time.monotonic() < deadline:
        changed = False
        for i in reversed(range(len(statements))):
            trial = statements[:i] + statements[i + 1 :]
            if trial and fails(trial):
                statements, changed = trial, True
    return replace(program, statements=statements)


def reproducer(program: Program) -> str:
    """``program`` run once more, as text: its lines, the line that differs, and how."""
    found, lines = run(program)
    header = f"# seed {program.seed}"
    if found is None:
        return f"{header}: chainrule and PyTorch agree\n{render(lines)}"
    return f"{header}: {found.kind} at {found.op}\n{render(lines, found.line)}\n# {found.detail}"


@dataclass
class Category:
    kind: str
    op: str
    gist: str
    seeds: list[int] = field(default_factory=list)
    example: Program | None = None


@dataclass
class Survey:
    """What ``survey`` found: discrepancies by (kind, op), and how often each op ran."""

    programs: int = 0
    categories: dict[tuple[str, str, str], Category] = field(default_factory=dict)
    drawn: Counter[str] = field(default_factory=Counter)
    ran: Counter[str] = field(default_factory=Counter)  # ops PyTorch ran without an error
    seconds: float = 0.0

    def text(self) -> str:
        failing = sum(len(c.seeds) for c in self.categories.values())
        lines = [
            f"{failing} of {self.programs} random programs differ from PyTorch, in "
            f"{len(self.categories)} ways (each shown by its smallest program; rerun one "
            "with `python tests/differential.py SEED`):"
        ]
        for category in sorted(self.categories.values(), key=lambda c: -len(c.seeds)):
            seeds = ", ".join(map(str, category.seeds[:8]))
            lines.append(
                f"\n== {category.kind} at {category.op}"
                + (f" ({category.gist})" if category.gist else "")
                + f": {len(category.seeds)} programs "
                f"(seeds {seeds}{', ...' if len(category.seeds) > 8 else ''})"
            )
            if category.example is not None:
                lines.append(reproducer(category.example))
        return "\n".join(lines)


WHOLE_PROGRAM = ("loss", "backward", "second loss", "second backward")


def survey(seeds: Iterable[int], shrink_seconds: float = 20.0) -> Survey:
    """Run the program of each seed and sort its discrepancy, if any, by kind and op; the
    first program of each sort is shrunk (within ``shrink_seconds`` in all). A gradient
    that differs is sorted by the ops of its shrunk program, which name the culprit."""
    result = Survey()
    start = time.monotonic()
    shrink_until = None
    for seed in seeds:
        gen = _generation(seed)
        program = gen.program()
        result.programs += 1
        result.drawn.update(s.op for s in program.statements)
        result.ran.update(gen.ran)
        found, _ = run(program)
        if found is None:
            continue
        key = found.key
        whole = (found.op in WHOLE_PROGRAM and not found.gist) or found.kind.endswith("at the end")
        if shrink_until is None:
            shrink_until = time.monotonic() + shrink_seconds
        example = None
        if key not in result.categories or whole:
            example = shrink(program, key, shrink_until)
        if whole and example is not None:
            ops = sorted({s.op for s in example.statements if s.kind != "leaf"})
            key = (found.kind, f"{found.op} after {' '.join(ops) or 'leaves'}", found.gist)
        category = result.categories.setdefault(key, Category(*key))
        category.seeds.append(seed)
        if category.example is None or (
            example is not None and len(example.statements) < len(category.example.statements)
        ):
            category.example = example or program
    result.seconds = time.monotonic() - start
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Run random programs in chainrule and PyTorch and report where they differ."
    )
    parser.add_argument("seeds", nargs="*", type=int, help="print and rerun these programs")
    parser.add_argument("--survey", type=int, metavar="N", help="run N programs and report")
    parser.add_argument("--first", type=int, default=0, help="the first seed of --survey")
    parser.add_argument("--no-shrink", action="store_true", help="show the programs whole")
    parser.add_argument(
        "--shrink-seconds", type=float, default=300, help="time to shrink examples in --survey"
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # tiny ops: threads only wait for each other
    for seed in args.seeds:
        program = generate(seed)
        found, _ = run(program)
        if found is not None and not args.no_shrink:
            print(reproducer(program) + "\n# shrunk:")
            program = shrink(program, found.key)
        print(reproducer(program) + "\n")
    if args.survey:
        result = survey(range(args.first, args.first + args.survey), args.shrink_seconds)
        print(result.text())
        print(f"\n{result.programs} programs in {result.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
