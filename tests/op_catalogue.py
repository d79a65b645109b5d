"""The op catalogue: every differentiable op chainrule offers, once per spelling and case.

One row per case: how to call it in chainrule, what NumPy computes for the same arrays,
what PyTorch calls it (a function of torch tensors), how many inputs it takes, which
shapes to try (a hypothesis strategy) and which values each input may hold (a domain).
``test_ops.py`` checks each row's forward against NumPy and its gradient against central
differences; ``test_torch_parity.py`` checks both against PyTorch.

Domains keep every input where its op is smooth, because central differences (and the
comparison with PyTorch) mean nothing at a kink or a tie:

- ``REAL``: uniform in [-2, 2].
- ``POSITIVE``: uniform in [0.5, 2.5] (log, sqrt, x ** 0.5, the base of a tensor power).
- ``NONZERO``: magnitude uniform in [0.5, 2], either sign (denominators, x ** -1).
- ``SPACED``: distinct values at least 0.35 apart, none within 0.05 of a multiple of 0.25,
  so max/min never tie and abs, relu, leaky_relu and clip (at bounds that are multiples
  of 0.25) are never evaluated near their kinks.
- ``BOOL``: conditions and masks; never differentiated.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import chainrule as cr

REAL = "real"
POSITIVE = "positive"
NONZERO = "nonzero"
SPACED = "spaced"
BOOL = "bool"

Shapes = tuple[tuple[int, ...], ...]


class _Lazy:
    """A module imported on first use, so the catalogue loads where PyTorch is absent."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)


torch = _Lazy("torch")


@dataclass(frozen=True)
class Case:
    """One way of calling one op. ``cr``, ``np`` and ``torch`` take the same inputs in the
    same order: chainrule tensors, NumPy arrays, torch tensors."""

    id: str  # the test id: the call, spelled as in chainrule
    cr: Callable[..., Any]  # the op in chainrule
    np: Callable[..., Any]  # the NumPy reference for the forward
    torch: Callable[..., Any]  # the same op in PyTorch
    arity: int  # how many inputs
    shapes: st.SearchStrategy[Shapes]  # one shape per input
    domains: tuple[str, ...]  # one domain per input (see the module docstring)
    out_dtype: Any = None  # the result's dtype when it is not the inputs' own (casts)


def case(
    id: str,
    cr_fn: Callable[..., Any],
    np_fn: Callable[..., Any],
    torch_fn: Callable[..., Any],
    arity: int,
    shapes: st.SearchStrategy[Shapes],
    domain: str | tuple[str, ...] = REAL,
    out_dtype: Any = None,
) -> Case:
    """A catalogue row; one ``domain`` string stands for every input."""
    domains = (domain,) * arity if isinstance(domain, str) else domain
    return Case(id, cr_fn, np_fn, torch_fn, arity, shapes, domains, out_dtype)


def _first_row_from(x: Any, v: Any) -> Any:
    """A copy of ``x`` whose first row is ``v``'s (chainrule, NumPy or torch alike)."""
    y = x.copy() if isinstance(x, np.ndarray) else x.clone()
    y[:1] = v[:1]
    return y


# ---------------------------------------------------------------------------- shapes
_side = st.integers(1, 4)


def one(min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4):
    """A single input of any shape within the bounds (0-d included when min_dims is 0)."""
    return array_shapes(
        min_dims=min_dims, max_dims=max(min_dims, max_dims), min_side=min_side, max_side=max_side
    ).map(lambda shape: (shape,))


def same(n: int, min_dims: int = 0, max_dims: int = 3, min_side: int = 1):
    """``n`` inputs of one shape."""
    return one(min_dims, max_dims, min_side).map(lambda shapes: shapes * n)


def broadcasting(n: int = 2, min_dims: int = 0):
    """``n`` shapes that broadcast together: size-1 and missing leading dimensions on any side."""
    return mutually_broadcastable_shapes(
        num_shapes=n, min_dims=min_dims, max_dims=3, min_side=1, max_side=4
    ).map(lambda shapes: shapes.input_shapes)


def sizes(build: Callable[..., Shapes], n: int):
    """Shapes built from ``n`` independent sizes in 1..4 (matrix products)."""
    return st.tuples(*[_side] * n).map(lambda dims: build(*dims))


def joined(n: int, axis: int):
    """``n`` shapes that agree everywhere except along ``axis`` (concatenation)."""

    def build(base: tuple[int, ...], lengths: list[int]) -> Shapes:
        shapes = [list(base) for _ in lengths]
        for shape, length in zip(shapes, lengths, strict=True):
            shape[axis] = length
        return tuple(tuple(shape) for shape in shapes)

    lengths = st.lists(_side, min_size=n, max_size=n)
    return st.builds(build, array_shapes(min_dims=2, max_dims=3, max_side=4), lengths)


def with_unit_dim(axis: int):
    """One shape of 2 or 3 dimensions with a size-1 dimension at ``axis``; other sizes 1..3."""

    def build(shape: tuple[int, ...]) -> Shapes:
        shape = list(shape)
        shape[axis] = 1
        return (tuple(shape),)

    return array_shapes(min_dims=2, max_dims=3, max_side=3).map(build)


# ---------------------------------------------------------------------------- values
def sample(domain: str, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Values for one input, float64 (bool for ``BOOL``), drawn from ``domain``; a NumPy
    scalar rather than an array when ``shape`` is ()."""
    if domain == REAL:
        return rng.uniform(-2, 2, size=shape)
    if domain == POSITIVE:
        return rng.uniform(0.5, 2.5, size=shape)
    if domain == NONZERO:
        return rng.uniform(0.5, 2, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    if domain == SPACED:
        n = math.prod(shape)
        steps = rng.permutation(n) - n // 2  # distinct integers around 0
        return (0.5 * (steps + rng.uniform(0.1, 0.4, size=n))).reshape(shape)
    if domain == BOOL:
        return rng.random(size=shape) < 0.5
    raise ValueError(f"unknown domain {domain!r}")


def inputs(entry: Case) -> st.SearchStrategy[list[np.ndarray]]:
    """Fresh inputs for ``entry``: shapes from its strategy, values from its domains."""

    def build(shapes: Shapes, seed: int) -> list[np.ndarray]:
        rng = np.random.default_rng(seed)
        return [np.asarray(sample(d, s, rng)) for d, s in zip(entry.domains, shapes, strict=True)]

    return st.builds(build, entry.shapes, st.integers(0, 2**32 - 1))


# ---------------------------------------------------------------------------- reference helpers
def _np_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


def _np_log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    return x - np.log(np.exp(x).sum(axis=axis, keepdims=True))


def _ramp(x: Any) -> np.ndarray:
    """A float64 NumPy array that broadcasts against ``x``: -1 .. 1 along its last dimension."""
    return np.linspace(-1.0, 1.0, x.shape[-1])


def _reversed_dims(x: Any) -> Any:
    return x.permute(tuple(reversed(range(x.ndim))))


def _reductions(name: str, torch_name: str, domain: str) -> list[Case]:
    """Every spelling of the reduction ``name`` (sum, mean, max, min).

    PyTorch's ``max``/``min`` over a dimension also return indices and send the gradient to
    one of them, so the PyTorch side is ``amax``/``amin``, which reduce like NumPy.
    """
    ref = getattr(np, name)

    def ours(x: cr.Tensor, *args: Any, **kwargs: Any) -> cr.Tensor:
        return getattr(x, name)(*args, **kwargs)

    def theirs(x: Any, *args: Any, **kwargs: Any) -> Any:
        return getattr(x, torch_name)(*args, **kwargs)

    functional = getattr(cr, name)
    every = one(min_dims=0)
    return [
        case(f"x.{name}()", lambda x: ours(x), ref, lambda x: theirs(x), 1, every, domain),
        case(
            f"x.{name}(keepdims=True)",
            lambda x: ours(x, keepdims=True),
            lambda x: ref(x, keepdims=True),
            lambda x: theirs(x, dim=tuple(range(x.ndim)), keepdim=True),
            1,
            every,
            domain,
        ),
        case(
            f"x.{name}(axis=0)",
            lambda x: ours(x, axis=0),
            lambda x: ref(x, axis=0),
            lambda x: theirs(x, 0),
            1,
            one(min_dims=1),
            domain,
        ),
        case(
            f"x.{name}(axis=1)",
            lambda x: ours(x, axis=1),
            lambda x: ref(x, axis=1),
            lambda x: theirs(x, 1),
            1,
            one(min_dims=2),
            domain,
        ),
        case(
            f"x.{name}(axis=-1)",
            lambda x: ours(x, axis=-1),
            lambda x: ref(x, axis=-1),
            lambda x: theirs(x, -1),
            1,
            one(min_dims=1),
            domain,
        ),
        case(
            f"x.{name}(axis=(0,-1))",
            lambda x: ours(x, axis=(0, -1)),
            lambda x: ref(x, axis=(0, -1)),
            lambda x: theirs(x, (0, -1)),
            1,
            one(min_dims=2),
            domain,
        ),
        case(
            f"x.{name}(axis=1,keepdims=True)",
            lambda x: ours(x, axis=1, keepdims=True),
            lambda x: ref(x, axis=1, keepdims=True),
            lambda x: theirs(x, 1, keepdim=True),
            1,
            one(min_dims=2),
            domain,
        ),
        case(
            f"x.{name}(axis=(0,2),keepdims=True)",
            lambda x: ours(x, axis=(0, 2), keepdims=True),
            lambda x: ref(x, axis=(0, 2), keepdims=True),
            lambda x: theirs(x, (0, 2), keepdim=True),
            1,
            one(min_dims=3),
            domain,
        ),
        case(
            f"x.{name}(dim=-1,keepdim=True)",
            lambda x: ours(x, dim=-1, keepdim=True),
            lambda x: ref(x, axis=-1, keepdims=True),
            lambda x: theirs(x, dim=-1, keepdim=True),
            1,
            one(min_dims=1),
            domain,
        ),
        case(
            f"x.{name}(1)",
            lambda x: ours(x, 1),
            lambda x: ref(x, axis=1),
            lambda x: theirs(x, 1),
            1,
            one(min_dims=2),
            domain,
        ),
        case(
            f"x.{name}(dim=[0,1])",
            lambda x: ours(x, dim=[0, 1]),
            lambda x: ref(x, axis=(0, 1)),
            lambda x: theirs(x, dim=[0, 1]),
            1,
            one(min_dims=2),
            domain,
        ),
        case(
            f"cr.{name}(x,dim=0)",
            lambda x: functional(x, dim=0),
            lambda x: ref(x, axis=0),
            lambda x: theirs(x, dim=0),
            1,
            one(min_dims=1),
            domain,
        ),
    ]


# ---------------------------------------------------------------------------- the catalogue
CATALOGUE: list[Case] = [
    # --- arithmetic: tensor op tensor (broadcasting both ways), tensor op number, reflected
    case("a+b", lambda a, b: a + b, np.add, lambda a, b: a + b, 2, broadcasting()),
    case("x+2.5", lambda x: x + 2.5, lambda x: x + 2.5, lambda x: x + 2.5, 1, one()),
    case("2.5+x", lambda x: 2.5 + x, lambda x: 2.5 + x, lambda x: 2.5 + x, 1, one()),
    case(
        "x+ndarray",
        lambda x: x + _ramp(x).astype(x.dtype),
        lambda x: x + _ramp(x),
        lambda x: x + torch.from_numpy(_ramp(x)).to(x.dtype),
        1,
        one(min_dims=1),
    ),
    case(
        "ndarray*x",
        lambda x: _ramp(x).astype(x.dtype) * x,
        lambda x: _ramp(x) * x,
        lambda x: torch.from_numpy(_ramp(x)).to(x.dtype) * x,
        1,
        one(min_dims=1),
    ),
    case("a.add(b)", lambda a, b: a.add(b), np.add, lambda a, b: a.add(b), 2, broadcasting()),
    case("a-b", lambda a, b: a - b, np.subtract, lambda a, b: a - b, 2, broadcasting()),
    case("x-1.5", lambda x: x - 1.5, lambda x: x - 1.5, lambda x: x - 1.5, 1, one()),
    case("1.5-x", lambda x: 1.5 - x, lambda x: 1.5 - x, lambda x: 1.5 - x, 1, one()),
    case("a.sub(b)", lambda a, b: a.sub(b), np.subtract, lambda a, b: a.sub(b), 2, broadcasting()),
    case("a*b", lambda a, b: a * b, np.multiply, lambda a, b: a * b, 2, broadcasting()),
    case("x*-3.0", lambda x: x * -3.0, lambda x: x * -3.0, lambda x: x * -3.0, 1, one()),
    case("-3.0*x", lambda x: -3.0 * x, lambda x: -3.0 * x, lambda x: -3.0 * x, 1, one()),
    case("a.mul(b)", lambda a, b: a.mul(b), np.multiply, lambda a, b: a.mul(b), 2, broadcasting()),
    case("x*x", lambda x: x * x, lambda x: x * x, lambda x: x * x, 1, one()),
    case(
        "a/b",
        lambda a, b: a / b,
        np.divide,
        lambda a, b: a / b,
        2,
        broadcasting(),
        (REAL, NONZERO),
    ),
    case("x/4.0", lambda x: x / 4.0, lambda x: x / 4.0, lambda x: x / 4.0, 1, one()),
    case("4.0/x", lambda x: 4.0 / x, lambda x: 4.0 / x, lambda x: 4.0 / x, 1, one(), NONZERO),
    case(
        "a.div(b)",
        lambda a, b: a.div(b),
        np.divide,
        lambda a, b: a.div(b),
        2,
        broadcasting(),
        (REAL, NONZERO),
    ),
    case("x**2", lambda x: x**2, lambda x: x**2, lambda x: x**2, 1, one()),
    case("x**3", lambda x: x**3, lambda x: x**3, lambda x: x**3, 1, one()),
    case("x**0.5", lambda x: x**0.5, np.sqrt, lambda x: x**0.5, 1, one(), POSITIVE),
    case("x**-1", lambda x: x**-1, lambda x: 1 / x, lambda x: x**-1, 1, one(), NONZERO),
    case("x.pow(3)", lambda x: x.pow(3), lambda x: x * x * x, lambda x: x.pow(3), 1, one()),
    case(
        "a**b",
        lambda a, b: a**b,
        lambda a, b: np.exp(b * np.log(a)),
        lambda a, b: a**b,
        2,
        broadcasting(),
        (POSITIVE, REAL),
    ),
    case("2.0**x", lambda x: 2.0**x, lambda x: np.exp2(x), lambda x: 2.0**x, 1, one()),
    case("-x", lambda x: -x, np.negative, lambda x: -x, 1, one()),
    case("x.neg()", lambda x: x.neg(), np.negative, lambda x: x.neg(), 1, one()),
    # --- matrix products: vectors, matrices, batches (broadcast batch dimensions)
    case(
        "1d@1d",
        lambda a, b: a @ b,
        lambda a, b: np.einsum("k,k->", a, b),
        lambda a, b: a @ b,
        2,
        sizes(lambda k: ((k,), (k,)), 1),
    ),
    case(
        "2d@1d",
        lambda a, b: a @ b,
        lambda a, b: np.einsum("mk,k->m", a, b),
        lambda a, b: a @ b,
        2,
        sizes(lambda m, k: ((m, k), (k,)), 2),
    ),
    case(
        "1d@2d",
        lambda a, b: a @ b,
        lambda a, b: np.einsum("k,kn->n", a, b),
        lambda a, b: a @ b,
        2,
        sizes(lambda k, n: ((k,), (k, n)), 2),
    ),
    case(
        "2d@2d",
        lambda a, b: a @ b,
        lambda a, b: np.einsum("mk,kn->mn", a, b),
        lambda a, b: a @ b,
        2,
        sizes(lambda m, k, n: ((m, k), (k, n)), 3),
    ),
    case(
        "3d@3d",
        lambda a, b: a @ b,
        lambda a, b: np.einsum("bmk,bkn->bmn", a, b),
        lambda a, b: a @ b,
        2,
        sizes(lambda b, m, k, n: ((b, m, k), (b, k, n)), 4),
    ),
    case(
        "3d@2d",
        lambda a, b: a @ b,
        lambda a, b: np.einsum("bmk,kn->bmn", a, b),
        lambda a, b: a @ b,
        2,
        sizes(lambda b, m, k, n: ((b, m, k), (k, n)), 4),
    ),
    case(
        "2d@3d",
        lambda a, b: a @ b,
        lambda a, b: np.einsum("mk,bkn->bmn", a, b),
        lambda a, b: a @ b,
        2,
        sizes(lambda b, m, k, n: ((m, k), (b, k, n)), 4),
    ),
    case(
        "3d@1d",
        lambda a, b: a @ b,
        lambda a, b: np.einsum("bmk,k->bm", a, b),
        lambda a, b: a @ b,
        2,
        sizes(lambda b, m, k: ((b, m, k), (k,)), 3),
    ),
    case(
        "1d@3d",
        lambda a, b: a @ b,
        lambda a, b: np.einsum("k,bkn->bn", a, b),
        lambda a, b: a @ b,
        2,
        sizes(lambda b, k, n: ((k,), (b, k, n)), 3),
    ),
    case(
        "4d@3d(batch broadcast)",
        lambda a, b: a @ b,
        lambda a, b: np.einsum(
            "pqmk,qkn->pqmn", np.broadcast_to(a, a.shape[:1] + b.shape[:1] + a.shape[2:]), b
        ),
        lambda a, b: a @ b,
        2,
        sizes(lambda p, q, m, k: ((p, 1, m, k), (q, k, 2)), 4),
    ),
    case(
        "a.matmul(b)",
        lambda a, b: a.matmul(b),
        np.matmul,
        lambda a, b: a.matmul(b),
        2,
        sizes(lambda m, k, n: ((m, k), (k, n)), 3),
    ),
    case(
        "cr.matmul(a,b)",
        lambda a, b: cr.matmul(a, b),
        np.matmul,
        lambda a, b: torch.matmul(a, b),
        2,
        sizes(lambda b, m, k, n: ((b, m, k), (k, n)), 4),
    ),
    # --- reductions, every spelling
    *_reductions("sum", "sum", REAL),
    *_reductions("mean", "mean", REAL),
    *_reductions("max", "amax", SPACED),
    *_reductions("min", "amin", SPACED),
    # --- elementwise maximum and minimum (a tie splits the gradient; SPACED inputs avoid one)
    case(
        "cr.maximum(a,b)",
        lambda a, b: cr.maximum(a, b),
        np.maximum,
        lambda a, b: torch.maximum(a, b),
        2,
        broadcasting(),
        SPACED,
    ),
    case(
        "cr.max(a,b)",
        lambda a, b: cr.max(a, b),
        np.maximum,
        lambda a, b: torch.max(a, b),
        2,
        broadcasting(),
        SPACED,
    ),
    case(
        "a.minimum(b)",
        lambda a, b: a.minimum(b),
        np.minimum,
        lambda a, b: a.minimum(b),
        2,
        broadcasting(),
        SPACED,
    ),
    case(
        "cr.min(a,b)",
        lambda a, b: cr.min(a, b),
        np.minimum,
        lambda a, b: torch.min(a, b),
        2,
        broadcasting(),
        SPACED,
    ),
    # --- elementwise math and activations
    case("x.exp()", lambda x: x.exp(), np.exp, lambda x: x.exp(), 1, one()),
    case("cr.exp(x)", lambda x: cr.exp(x), np.exp, lambda x: torch.exp(x), 1, one()),
    case("x.log()", lambda x: x.log(), np.log, lambda x: x.log(), 1, one(), POSITIVE),
    case("cr.log(x)", lambda x: cr.log(x), np.log, lambda x: torch.log(x), 1, one(), POSITIVE),
    case("x.sqrt()", lambda x: x.sqrt(), np.sqrt, lambda x: x.sqrt(), 1, one(), POSITIVE),
    case("cr.sqrt(x)", lambda x: cr.sqrt(x), np.sqrt, lambda x: torch.sqrt(x), 1, one(), POSITIVE),
    case("x.abs()", lambda x: x.abs(), np.abs, lambda x: x.abs(), 1, one(), SPACED),
    case("cr.abs(x)", lambda x: cr.abs(x), np.abs, lambda x: torch.abs(x), 1, one(), SPACED),
    case("x.tanh()", lambda x: x.tanh(), np.tanh, lambda x: x.tanh(), 1, one()),
    case("cr.tanh(x)", lambda x: cr.tanh(x), np.tanh, lambda x: torch.tanh(x), 1, one()),
    case(
        "x.sigmoid()",
        lambda x: x.sigmoid(),
        lambda x: 0.5 * (1 + np.tanh(x / 2)),
        lambda x: x.sigmoid(),
        1,
        one(),
    ),
    case(
        "cr.sigmoid(x)",
        lambda x: cr.sigmoid(x),
        lambda x: 0.5 * (1 + np.tanh(x / 2)),
        lambda x: torch.sigmoid(x),
        1,
        one(),
    ),
    case(
        "x.relu()",
        lambda x: x.relu(),
        lambda x: np.where(x > 0, x, 0.0),
        lambda x: x.relu(),
        1,
        one(),
        SPACED,
    ),
    case(
        "cr.relu(x)",
        lambda x: cr.relu(x),
        lambda x: np.where(x > 0, x, 0.0),
        lambda x: torch.relu(x),
        1,
        one(),
        SPACED,
    ),
    case(
        "x.leaky_relu()",
        lambda x: x.leaky_relu(),
        lambda x: np.where(x > 0, x, 0.01 * x),
        lambda x: torch.nn.functional.leaky_relu(x),
        1,
        one(),
        SPACED,
    ),
    case(
        "cr.leaky_relu(x,0.2)",
        lambda x: cr.leaky_relu(x, 0.2),
        lambda x: np.where(x > 0, x, 0.2 * x),
        lambda x: torch.nn.functional.leaky_relu(x, 0.2),
        1,
        one(),
        SPACED,
    ),
    case(
        "x.softmax()",
        lambda x: x.softmax(),
        lambda x: _np_softmax(x, -1),
        lambda x: x.softmax(-1),
        1,
        one(min_dims=1),
    ),
    case(
        "x.softmax(0)",
        lambda x: x.softmax(0),
        lambda x: _np_softmax(x, 0),
        lambda x: x.softmax(0),
        1,
        one(min_dims=1),
    ),
    case(
        "cr.softmax(x,dim=-1)",
        lambda x: cr.softmax(x, dim=-1),
        lambda x: _np_softmax(x, -1),
        lambda x: torch.softmax(x, dim=-1),
        1,
        one(min_dims=1),
    ),
    case(
        "x.softmax(axis=1)",
        lambda x: x.softmax(axis=1),
        lambda x: _np_softmax(x, 1),
        lambda x: x.softmax(1),
        1,
        one(min_dims=2),
    ),
    case(
        "x.log_softmax()",
        lambda x: x.log_softmax(),
        lambda x: _np_log_softmax(x, -1),
        lambda x: x.log_softmax(-1),
        1,
        one(min_dims=1),
    ),
    case(
        "x.log_softmax(0)",
        lambda x: x.log_softmax(0),
        lambda x: _np_log_softmax(x, 0),
        lambda x: x.log_softmax(0),
        1,
        one(min_dims=1),
    ),
    case(
        "cr.log_softmax(x,dim=-1)",
        lambda x: cr.log_softmax(x, dim=-1),
        lambda x: _np_log_softmax(x, -1),
        lambda x: torch.log_softmax(x, dim=-1),
        1,
        one(min_dims=1),
    ),
    case(
        "x.clip(min=-0.5)",
        lambda x: x.clip(min=-0.5),
        lambda x: np.maximum(x, -0.5),
        lambda x: x.clamp(min=-0.5),
        1,
        one(),
        SPACED,
    ),
    case(
        "x.clip(max=0.5)",
        lambda x: x.clip(max=0.5),
        lambda x: np.minimum(x, 0.5),
        lambda x: x.clamp(max=0.5),
        1,
        one(),
        SPACED,
    ),
    case(
        "x.clip(-0.5,1.0)",
        lambda x: x.clip(-0.5, 1.0),
        lambda x: np.minimum(np.maximum(x, -0.5), 1.0),
        lambda x: x.clamp(-0.5, 1.0),
        1,
        one(),
        SPACED,
    ),
    case(
        "x.clamp(min=-1.0,max=0.25)",
        lambda x: x.clamp(min=-1.0, max=0.25),
        lambda x: np.minimum(np.maximum(x, -1.0), 0.25),
        lambda x: x.clamp(min=-1.0, max=0.25),
        1,
        one(),
        SPACED,
    ),
    case(
        "cr.clip(x,-1.0,1.0)",
        lambda x: cr.clip(x, -1.0, 1.0),
        lambda x: np.minimum(np.maximum(x, -1.0), 1.0),
        lambda x: torch.clip(x, -1.0, 1.0),
        1,
        one(),
        SPACED,
    ),
    case(
        "cr.clamp(x,min=0.5)",
        lambda x: cr.clamp(x, min=0.5),
        lambda x: np.maximum(x, 0.5),
        lambda x: torch.clamp(x, min=0.5),
        1,
        one(),
        SPACED,
    ),
    # --- shape
    case("x.reshape(-1)", lambda x: x.reshape(-1), np.ravel, lambda x: x.reshape(-1), 1, one()),
    case(
        "x.reshape(n,-1)",
        lambda x: x.reshape(x.shape[-1], -1),
        lambda x: x.reshape(x.shape[-1], -1),
        lambda x: x.reshape(x.shape[-1], -1),
        1,
        one(min_dims=1),
    ),
    case(
        "x.reshape((-1,1,n))",
        lambda x: x.reshape((-1, 1, x.shape[0])),
        lambda x: x.reshape((-1, 1, x.shape[0])),
        lambda x: x.reshape((-1, 1, x.shape[0])),
        1,
        one(min_dims=1),
    ),
    case(
        "x.view(-1,n)",
        lambda x: x.view(-1, x.shape[0]),
        lambda x: x.reshape(-1, x.shape[0]),
        lambda x: x.reshape(-1, x.shape[0]),
        1,
        one(min_dims=1),
    ),
    case(
        "cr.reshape(x,(-1,))",
        lambda x: cr.reshape(x, (-1,)),
        np.ravel,
        lambda x: torch.reshape(x, (-1,)),
        1,
        one(),
    ),
    case(
        "x.transpose(0,1)",
        lambda x: x.transpose(0, 1),
        lambda x: np.swapaxes(x, 0, 1),
        lambda x: x.transpose(0, 1),
        1,
        one(min_dims=2),
    ),
    case(
        "x.transpose(-1,0)",
        lambda x: x.transpose(-1, 0),
        lambda x: np.swapaxes(x, -1, 0),
        lambda x: x.transpose(-1, 0),
        1,
        one(min_dims=2),
    ),
    case(
        "x.transpose()",
        lambda x: x.transpose(),
        np.transpose,
        _reversed_dims,
        1,
        one(),
    ),
    case(
        "x.transpose(2,0,1)",
        lambda x: x.transpose(2, 0, 1),
        lambda x: np.transpose(x, (2, 0, 1)),
        lambda x: x.permute(2, 0, 1),
        1,
        one(min_dims=3),
    ),
    case(
        "cr.transpose(x,1,0)",
        lambda x: cr.transpose(x, 1, 0),
        lambda x: np.swapaxes(x, 1, 0),
        lambda x: torch.transpose(x, 1, 0),
        1,
        one(min_dims=2),
    ),
    case("x.T", lambda x: x.T, np.transpose, _reversed_dims, 1, one()),
    case(
        "x.permute(1,2,0)",
        lambda x: x.permute(1, 2, 0),
        lambda x: np.transpose(x, (1, 2, 0)),
        lambda x: x.permute(1, 2, 0),
        1,
        one(min_dims=3, max_dims=3),
    ),
    case(
        "x.permute((2,0,1))",
        lambda x: x.permute((2, 0, 1)),
        lambda x: np.transpose(x, (2, 0, 1)),
        lambda x: x.permute((2, 0, 1)),
        1,
        one(min_dims=3, max_dims=3),
    ),
    case(
        "x.permute(0,-1,1)",
        lambda x: x.permute(0, -1, 1),
        lambda x: np.transpose(x, (0, 2, 1)),
        lambda x: x.permute(0, -1, 1),
        1,
        one(min_dims=3, max_dims=3),
    ),
    case(
        "cr.permute(x,(1,0))",
        lambda x: cr.permute(x, (1, 0)),
        np.transpose,
        lambda x: torch.permute(x, (1, 0)),
        1,
        one(min_dims=2, max_dims=2),
    ),
    case("x.flatten()", lambda x: x.flatten(), np.ravel, lambda x: x.flatten(), 1, one()),
    case(
        "x.flatten(1)",
        lambda x: x.flatten(1),
        lambda x: x.reshape(x.shape[0], -1),
        lambda x: x.flatten(1),
        1,
        one(min_dims=2),
    ),
    case(
        "x.flatten(start_dim=0,end_dim=1)",
        lambda x: x.flatten(start_dim=0, end_dim=1),
        lambda x: x.reshape(-1, *x.shape[2:]),
        lambda x: x.flatten(start_dim=0, end_dim=1),
        1,
        one(min_dims=2),
    ),
    case(
        "cr.flatten(x,1,-2)",
        lambda x: cr.flatten(x, 1, -2),
        lambda x: x.reshape(x.shape[0], -1, x.shape[-1]),
        lambda x: torch.flatten(x, 1, -2),
        1,
        one(min_dims=3),
    ),
    case(
        "x.squeeze()",
        lambda x: x.squeeze(),
        np.squeeze,
        lambda x: x.squeeze(),
        1,
        one(max_side=2),
    ),
    case(
        "x.squeeze(1)",
        lambda x: x.squeeze(1),
        lambda x: np.squeeze(x, 1),
        lambda x: x.squeeze(1),
        1,
        with_unit_dim(1),
    ),
    case(
        "x.squeeze(-1)",
        lambda x: x.squeeze(-1),
        lambda x: np.squeeze(x, -1),
        lambda x: x.squeeze(-1),
        1,
        with_unit_dim(-1),
    ),
    case(
        "x.squeeze(0)(size>1)",
        lambda x: x.squeeze(0),
        lambda x: x,
        lambda x: x.squeeze(0),
        1,
        one(min_dims=1, min_side=2),
    ),
    case(
        "cr.squeeze(x,0)",
        lambda x: cr.squeeze(x, 0),
        lambda x: np.squeeze(x, 0),
        lambda x: torch.squeeze(x, 0),
        1,
        with_unit_dim(0),
    ),
    case(
        "x.unsqueeze(0)",
        lambda x: x.unsqueeze(0),
        lambda x: x[None],
        lambda x: x.unsqueeze(0),
        1,
        one(),
    ),
    case(
        "x.unsqueeze(-1)",
        lambda x: x.unsqueeze(-1),
        lambda x: x[..., None],
        lambda x: x.unsqueeze(-1),
        1,
        one(),
    ),
    case(
        "cr.unsqueeze(x,1)",
        lambda x: cr.unsqueeze(x, 1),
        lambda x: np.expand_dims(x, 1),
        lambda x: torch.unsqueeze(x, 1),
        1,
        one(min_dims=1),
    ),
    # --- indexing: basic (views), advanced (gathers; repeats must add up), boolean masks
    case("x[0]", lambda x: x[0], lambda x: x[0], lambda x: x[0], 1, one(min_dims=1)),
    case("x[-1]", lambda x: x[-1], lambda x: x[-1], lambda x: x[-1], 1, one(min_dims=1)),
    case(
        "x[0,-1]",
        lambda x: x[0, -1],
        lambda x: x[0, -1],
        lambda x: x[0, -1],
        1,
        one(min_dims=2),
    ),
    case(
        "x[:,1:]",
        lambda x: x[:, 1:],
        lambda x: x[:, 1:],
        lambda x: x[:, 1:],
        1,
        one(min_dims=2, min_side=2),
    ),
    case(
        "x[...,::2]",
        lambda x: x[..., ::2],
        lambda x: x[..., ::2],
        lambda x: x[..., ::2],
        1,
        one(min_dims=1),
    ),
    case("x[None]", lambda x: x[None], lambda x: x[None], lambda x: x[None], 1, one()),
    case(
        "x[1:,None,-2]",
        lambda x: x[1:, None, -2],
        lambda x: x[1:, None, -2],
        lambda x: x[1:, None, -2],
        1,
        one(min_dims=2, min_side=2),
    ),
    case(
        "x[[0,2,0,0]]",
        lambda x: x[[0, 2, 0, 0]],
        lambda x: x[[0, 2, 0, 0]],
        lambda x: x[[0, 2, 0, 0]],
        1,
        one(min_dims=1, min_side=3),
    ),
    case(
        "x[[-1,0,-1]]",
        lambda x: x[[-1, 0, -1]],
        lambda x: x[[-1, 0, -1]],
        lambda x: x[[-1, 0, -1]],
        1,
        one(min_dims=1),
    ),
    case(
        "x[:,[1,1,0]]",
        lambda x: x[:, [1, 1, 0]],
        lambda x: x[:, [1, 1, 0]],
        lambda x: x[:, [1, 1, 0]],
        1,
        one(min_dims=2, min_side=2),
    ),
    case(
        "x[[0,1,0],[2,0,2]]",
        lambda x: x[[0, 1, 0], [2, 0, 2]],
        lambda x: x[[0, 1, 0], [2, 0, 2]],
        lambda x: x[[0, 1, 0], [2, 0, 2]],
        1,
        one(min_dims=2, min_side=3),
    ),
    case(
        "x[mask]", lambda x, m: x[m], lambda x, m: x[m], lambda x, m: x[m], 2, same(2), (REAL, BOOL)
    ),
    case(
        "x[x>0]",
        lambda x: x[x > 0],
        lambda x: x[x > 0],
        lambda x: x[x > 0],
        1,
        one(),
        SPACED,
    ),
    # --- joining and selecting between tensors
    case(
        "cr.cat([a,b])",
        lambda a, b: cr.cat([a, b]),
        lambda a, b: np.concatenate([a, b]),
        lambda a, b: torch.cat([a, b]),
        2,
        joined(2, 0),
    ),
    case(
        "cr.cat([a,b,c],dim=1)",
        lambda a, b, c: cr.cat([a, b, c], dim=1),
        lambda a, b, c: np.concatenate([a, b, c], axis=1),
        lambda a, b, c: torch.cat([a, b, c], dim=1),
        3,
        joined(3, 1),
    ),
    case(
        "cr.concatenate((a,b),axis=-1)",
        lambda a, b: cr.concatenate((a, b), axis=-1),
        lambda a, b: np.concatenate((a, b), axis=-1),
        lambda a, b: torch.cat((a, b), dim=-1),
        2,
        joined(2, -1),
    ),
    case(
        "cr.stack([a,b])",
        lambda a, b: cr.stack([a, b]),
        lambda a, b: np.stack([a, b]),
        lambda a, b: torch.stack([a, b]),
        2,
        same(2),
    ),
    case(
        "cr.stack([a,b,c],dim=-1)",
        lambda a, b, c: cr.stack([a, b, c], dim=-1),
        lambda a, b, c: np.stack([a, b, c], axis=-1),
        lambda a, b, c: torch.stack([a, b, c], dim=-1),
        3,
        same(3),
    ),
    case(
        "cr.stack([a,b],axis=1)",
        lambda a, b: cr.stack([a, b], axis=1),
        lambda a, b: np.stack([a, b], axis=1),
        lambda a, b: torch.stack([a, b], dim=1),
        2,
        same(2, min_dims=1),
    ),
    case(
        "cr.where(c,a,b)",
        lambda c, a, b: cr.where(c, a, b),
        np.where,
        lambda c, a, b: torch.where(c, a, b),
        3,
        broadcasting(3),
        (BOOL, REAL, REAL),
    ),
    case(
        "cr.where(c,x,0.0)",
        lambda c, x: cr.where(c, x, 0.0),
        lambda c, x: np.where(c, x, 0.0),
        lambda c, x: torch.where(c, x, 0.0),
        2,
        broadcasting(2),
        (BOOL, REAL),
    ),
    case(
        "cr.where(x>0,x,0.1*x)",
        lambda x: cr.where(x > 0, x, 0.1 * x),
        lambda x: np.where(x > 0, x, 0.1 * x),
        lambda x: torch.where(x > 0, x, 0.1 * x),
        1,
        one(),
        SPACED,
    ),
    # --- in place, on a tensor in the graph (a clone): recorded, so gradients flow through
    case(
        "x.clone().mul_(y)",
        lambda x, y: x.clone().mul_(y),
        np.multiply,
        lambda x, y: x.clone().mul_(y),
        2,
        same(2),
    ),
    case(
        "x.clone().exp_()", lambda x: x.clone().exp_(), np.exp, lambda x: x.clone().exp_(), 1, one()
    ),
    case(
        "x.clone().copy_(y)",
        lambda x, y: x.clone().copy_(y),
        lambda x, y: y.copy(),
        lambda x, y: x.clone().copy_(y),
        2,
        same(2),
    ),
    case(
        "y=x.clone();y[:1]=v[:1]",
        lambda x, v: _first_row_from(x, v),
        lambda x, v: _first_row_from(x, v),
        lambda x, v: _first_row_from(x, v),
        2,
        same(2, min_dims=1),
    ),
    # --- copies and casts
    case("x.clone()", lambda x: x.clone(), np.copy, lambda x: x.clone(), 1, one()),
    case(
        "x.to(cr.float64)",
        lambda x: x.to(cr.float64),
        lambda x: x,
        lambda x: x.to(torch.float64),
        1,
        one(),
        out_dtype=np.float64,
    ),
    case(
        "x.double()",
        lambda x: x.double(),
        lambda x: x,
        lambda x: x.double(),
        1,
        one(),
        out_dtype=np.float64,
    ),
]

BY_ID = {entry.id: entry for entry in CATALOGUE}
