"""PyTorch's type promotion, indexing and tensor-level edge cases.

Each behaviour is pinned twice: by expectations written here (shapes, dtypes, values), which
run without PyTorch, and, where PyTorch is importable, by running the same program in both
libraries and comparing values, dtypes and gradients.
"""

from __future__ import annotations

import importlib.util
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import chainrule as cr

HAS_TORCH = importlib.util.find_spec("torch") is not None
needs_torch = pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed")


def _torch() -> Any:
    import torch

    return torch


def _dtype(m: Any, name: str) -> Any:
    """The dtype called ``name`` in the library ``m`` (cr or torch)."""
    return getattr(m, name, None) or np.dtype(name)


def _name(dtype: Any) -> str:
    """A dtype's name, the same for NumPy's and PyTorch's: 'float32', 'bool'..."""
    return str(dtype).removeprefix("torch.").replace("bool_", "bool")


def _values(t: Any) -> np.ndarray:
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


# ---------------------------------------------------------------------------- promotion
def _t(m: Any, data: Any, dtype: str) -> Any:
    return m.tensor(data, dtype=_dtype(m, dtype))


# (the program, as a function of the library; the dtype PyTorch 2.13 gives its result)
PROMOTIONS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "float32 * int64": (lambda m: _t(m, [1.5, 2.0], "float32") * _t(m, [2, 3], "int64"), "float32"),
    "int64 * float32": (lambda m: _t(m, [2, 3], "int64") * _t(m, [1.5, 2.0], "float32"), "float32"),
    "int64 + 2.5": (lambda m: _t(m, [1, 2], "int64") + 2.5, "float32"),
    "2.5 - int64": (lambda m: 2.5 - _t(m, [1, 2], "int64"), "float32"),
    "int32 + 2": (lambda m: _t(m, [1, 2], "int32") + 2, "int32"),
    "int64 / int64": (lambda m: _t(m, [1, 3], "int64") / _t(m, [2, 2], "int64"), "float32"),
    "int64 / 2": (lambda m: _t(m, [1, 3], "int64") / 2, "float32"),
    "7 / int32": (lambda m: 7 / _t(m, [2, 4], "int32"), "float32"),
    "bool / bool": (lambda m: _t(m, [True, True], "bool") / _t(m, [True, True], "bool"), "float32"),
    "float32 + 0-d float64": (
        lambda m: _t(m, [1.0, 2.0], "float32") + _t(m, 0.1, "float64"),
        "float32",
    ),
    "0-d float64 * float32": (
        lambda m: _t(m, 0.1, "float64") * _t(m, [1.0, 2.0], "float32"),
        "float32",
    ),
    "float32 * np.float64": (lambda m: _t(m, [1.0, 2.0], "float32") * np.float64(0.1), "float32"),
    "np.float64 * float32": (lambda m: np.float64(0.1) * _t(m, [1.0, 2.0], "float32"), "float32"),
    "float16 * 0-d float64": (
        lambda m: _t(m, [1.0, 2.0], "float16") * _t(m, 3.0, "float64"),
        "float16",
    ),
    "int32 + 0-d int64": (lambda m: _t(m, [1, 2], "int32") + _t(m, 5, "int64"), "int32"),
    "int64 + 0-d float64": (lambda m: _t(m, [1, 2], "int64") + _t(m, 0.5, "float64"), "float64"),
    "0-d int64 + 0-d float32": (lambda m: _t(m, 1, "int64") + _t(m, 0.5, "float32"), "float32"),
    "0-d float64 + 0-d float32": (
        lambda m: _t(m, 1.0, "float64") + _t(m, 0.5, "float32"),
        "float64",
    ),
    "0-d int32 + 2.5": (lambda m: _t(m, 1, "int32") + 2.5, "float32"),
    "bool + bool": (lambda m: _t(m, [True, False], "bool") + _t(m, [True, True], "bool"), "bool"),
    "bool * bool": (lambda m: _t(m, [True, False], "bool") * _t(m, [True, True], "bool"), "bool"),
    "bool + 1": (lambda m: _t(m, [True, False], "bool") + 1, "int64"),
    "bool + 1.5": (lambda m: _t(m, [True, False], "bool") + 1.5, "float32"),
    "bool + True": (lambda m: _t(m, [True, False], "bool") + True, "bool"),
    "float16 + float32": (
        lambda m: _t(m, [1.0, 2.0], "float16") + _t(m, [0.5, 0.25], "float32"),
        "float32",
    ),
    "float16 + int64": (lambda m: _t(m, [1.0, 2.0], "float16") + _t(m, [1, 2], "int64"), "float16"),
    "uint8 + int8": (lambda m: _t(m, [1, 2], "uint8") + _t(m, [-1, 2], "int8"), "int16"),
    "int64 ** 2": (lambda m: _t(m, [2, 3], "int64") ** 2, "int64"),
    "int64 ** 0.5": (lambda m: _t(m, [2, 3], "int64") ** 0.5, "float32"),
    "2.0 ** int64": (lambda m: 2.0 ** _t(m, [2, 3], "int64"), "float32"),
    "float32 ** int64": (
        lambda m: _t(m, [2.0, 3.0], "float32") ** _t(m, [2, 3], "int64"),
        "float32",
    ),
    "maximum(float32, int64)": (
        lambda m: m.maximum(_t(m, [1.5, 2.0], "float32"), _t(m, [2, 1], "int64")),
        "float32",
    ),
    "max(int32, float64)": (
        lambda m: m.max(_t(m, [1, 5], "int32"), _t(m, [1.5, 2.0], "float64")),
        "float64",
    ),
    "where(c, int64, float32)": (
        lambda m: m.where(
            _t(m, [True, False], "bool"), _t(m, [1, 2], "int64"), _t(m, [0.5], "float32")
        ),
        "float32",
    ),
    "where(c, int64, 2.5)": (
        lambda m: m.where(_t(m, [True, False], "bool"), _t(m, [1, 2], "int64"), 2.5),
        "float32",
    ),
    "where(c, 1, 2.5)": (lambda m: m.where(_t(m, [True, False], "bool"), 1, 2.5), "float32"),
    "where(c, 1, 2)": (lambda m: m.where(_t(m, [True, False], "bool"), 1, 2), "int64"),
    "where(c, float32, 0-d float64)": (
        lambda m: m.where(
            _t(m, [True, False], "bool"), _t(m, [1.0, 2.0], "float32"), _t(m, 0.5, "float64")
        ),
        "float32",
    ),
    "cat(float32, int64)": (
        lambda m: m.cat([_t(m, [1.5], "float32"), _t(m, [2, 3], "int64")]),
        "float32",
    ),
    "cat(float16, float64)": (
        lambda m: m.cat([_t(m, [1.5], "float16"), _t(m, [2.0], "float64")]),
        "float64",
    ),
    "stack(int32, uint8)": (
        lambda m: m.stack([_t(m, [1, 2], "int32"), _t(m, [2, 3], "uint8")]),
        "int32",
    ),
    "int64.clamp(0.5)": (lambda m: _t(m, [0, 2], "int64").clamp(0.5), "float32"),
    "int32.clamp(0, 1)": (lambda m: _t(m, [0, 2], "int32").clamp(0, 1), "int32"),
    "float16.clamp(max=0.5)": (lambda m: _t(m, [0.0, 2.0], "float16").clamp(max=0.5), "float16"),
    "int64 == 2.5": (lambda m: _t(m, [2, 3], "int64") == 2.5, "bool"),
    "int64 < float32": (lambda m: _t(m, [2, 3], "int64") < _t(m, [2.5, 2.5], "float32"), "bool"),
    # Compared in float32, where 2**24 + 1 rounds to 2**24; NumPy (in float64) says False.
    "int64 == float32 in float32": (
        lambda m: _t(m, [2**24 + 1], "int64") == _t(m, [2.0**24], "float32"),
        "bool",
    ),
}

# The values PyTorch gives, for the cases where they say something about promotion.
PROMOTED_VALUES = {
    "int64 / int64": [0.5, 1.5],
    "7 / int32": [3.5, 1.75],
    "bool + bool": [True, True],
    "bool + 1": [2, 1],
    "int64 == float32 in float32": [True],
    "int64 < float32": [True, False],
    "where(c, 1, 2.5)": [1.0, 2.5],
}


@pytest.mark.parametrize("case", PROMOTIONS, ids=list(PROMOTIONS))
def test_promotion_dtype(case):
    program, dtype = PROMOTIONS[case]
    result = program(cr)
    assert _name(result.dtype) == dtype
    if case in PROMOTED_VALUES:
        assert result.tolist() == PROMOTED_VALUES[case]


@needs_torch
@pytest.mark.parametrize("case", PROMOTIONS, ids=list(PROMOTIONS))
def test_promotion_matches_torch(case):
    program, _ = PROMOTIONS[case]
    ours, theirs = program(cr), program(_torch())
    assert _name(ours.dtype) == _name(theirs.dtype)
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_allclose(_values(ours), _values(theirs), rtol=1e-6)


def test_result_type_ranks_dimensioned_zero_dim_and_numbers():
    f32, f64 = cr.ones(2), cr.ones(2, dtype=cr.float64)
    i32 = cr.tensor([1, 2], dtype=cr.int32)
    assert cr.result_type(f32, cr.tensor(1.0, dtype=cr.float64)) == np.float32
    assert cr.result_type(i32, cr.tensor(1.0, dtype=cr.float64)) == np.float64
    assert cr.result_type(i32, 2.5) == np.float32
    assert cr.result_type(i32, 2) == np.int32
    assert cr.result_type(f64, 2.5) == np.float64
    assert cr.result_type(1, 2.5) == np.float32
    assert cr.result_type(True, 2) == np.int64
    assert cr.promote_types(np.int64, np.float16) == np.float16
    assert cr.promote_types(np.uint8, np.int8) == np.int16


@needs_torch
def test_result_type_matches_torch():
    torch = _torch()
    programs = [
        lambda m: (m.ones(2), m.tensor(1.0, dtype=m.float64)),
        lambda m: (m.tensor([1, 2], dtype=m.int32), m.tensor(1.0, dtype=m.float64)),
        lambda m: (m.tensor([1, 2], dtype=m.int32), 2.5),
        lambda m: (m.tensor(1, dtype=m.int32), m.tensor(1, dtype=m.int64)),
        lambda m: (m.tensor([True]), 2),
    ]
    for program in programs:
        assert _name(cr.result_type(*program(cr))) == _name(torch.result_type(*program(torch)))


def test_gradients_come_back_in_each_inputs_dtype():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    scale = cr.tensor(3.0, dtype=cr.float64, requires_grad=True)
    y = x * scale
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [3.0, 3.0]
    assert scale.grad.dtype == np.float64 and scale.grad.item() == 3.0


@needs_torch
def test_mixed_dtype_gradients_match_torch():
    """float32 data, an int64 offset and a 0-d float64 scale: the result stays float32 (NumPy
    would make it float64), and each gradient comes back in its input's dtype."""
    torch = _torch()
    rng = np.random.default_rng(11)
    a, b, c = rng.normal(size=(3, 4)), rng.integers(-3, 3, size=4), rng.normal()

    def program(a: Any, b: Any, c: Any) -> Any:
        return ((a * c + b) / (c + 1) - a**2 * c).sum()

    results = []
    for m in (cr, torch):
        inputs = [
            m.tensor(a, dtype=m.float32, requires_grad=True),
            m.tensor(b, dtype=m.int64),
            m.tensor(c, dtype=m.float64, requires_grad=True),
        ]
        out = program(*inputs)
        out.backward()
        results.append((out, inputs[0].grad, inputs[2].grad))
    for ours, theirs in zip(*results, strict=True):
        assert _name(ours.dtype) == _name(theirs.dtype)
        np.testing.assert_allclose(_values(ours), _values(theirs), rtol=1e-5)
    assert [_name(t.dtype) for t in results[0]] == ["float32", "float32", "float64"]


def test_matmul_refuses_mixed_dtypes():
    with pytest.raises(RuntimeError, match="matmul needs operands of one dtype"):
        cr.ones(2, 2) @ cr.ones(2, 2, dtype=cr.float64)


# ---------------------------------------------------------------------------- max / min of two
def test_max_of_two_tensors_is_elementwise_and_splits_ties():
    a = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = cr.tensor([1.0, 1.0, 4.0], requires_grad=True)
    cr.max(a, b).sum().backward()
    assert a.grad.tolist() == [0.5, 1.0, 0.0]
    assert b.grad.tolist() == [0.5, 0.0, 1.0]
    a.grad = b.grad = None
    y = cr.min(a, b)
    assert y.tolist() == [1.0, 1.0, 3.0]
    y.sum().backward()
    assert a.grad.tolist() == [0.5, 0.0, 1.0]
    assert b.grad.tolist() == [0.5, 1.0, 0.0]
    assert cr.max(cr.tensor([[1.0, 5.0]]), 1).tolist() == [5.0]  # a number is a dim


@needs_torch
def test_maximum_minimum_ties_nan_and_broadcast_match_torch():
    torch = _torch()
    a = np.array([[1.0, 2.0, np.nan], [0.0, -1.0, 3.0]])
    b = np.array([1.0, 3.0, 0.0])
    w = np.arange(6.0).reshape(2, 3)
    for name in ("maximum", "minimum", "max", "min"):
        results = []
        for m in (cr, torch):
            x, y = m.tensor(a, requires_grad=True), m.tensor(b, requires_grad=True)
            out = getattr(m, name)(x, y)
            (out * m.tensor(w)).sum().backward()
            results.append([_values(out), _values(x.grad), _values(y.grad)])
        for ours, theirs in zip(*results, strict=True):
            np.testing.assert_array_equal(ours, theirs, err_msg=name)


# ---------------------------------------------------------------------------- indexing
X234 = np.arange(24.0).reshape(2, 3, 4)

# (the key, the shape PyTorch 2.13 gives x[key] for x of shape (2, 3, 4))
KEYS: list[tuple[Any, tuple[int, ...]]] = [
    ((0, slice(None), [0, 2]), (3, 2)),  # NumPy: (2, 3)
    ((slice(None), 0, [0, 2]), (2, 2)),
    ((0, [0, 2], 0), (2,)),
    (([1, 0], slice(None), 0), (2, 3)),
    (([[0], [1]], slice(None), [0, 1, 3]), (2, 3, 3)),
    ((0, slice(None), cr.tensor([3, 1, 1])), (3, 3)),
    ((cr.tensor(1), slice(None), [0, 2]), (3, 2)),  # a 0-d integer tensor is an int
    ((np.int64(1), slice(None), np.array([0, 2])), (3, 2)),
    ((Ellipsis, [0, 2]), (2, 3, 2)),
    ((0, Ellipsis, None, [0, 2]), (3, 1, 2)),
    ((None, 0, None, [0, 2]), (1, 1, 2, 4)),
    ((True, 0), (1, 3, 4)),
    ((0, False), (0, 3, 4)),
    ((cr.tensor(True), 0, slice(None), [1, 2]), (2, 3)),  # True is an index array too
    ((True, slice(None), [0, 1]), (2, 2, 4)),
    ((slice(None), X234[0] > 5), (2, 6)),
    ((0, cr.tensor([True, False, True])), (2, 4)),
    ((1, slice(None), [True, False, True, True]), (3, 3)),
    (([], 0), (0, 4)),
    ([1, 0, 1], (3, 3, 4)),
    ([True, False], (1, 3, 4)),
]


@pytest.mark.parametrize(("key", "shape"), KEYS, ids=[repr(k)[:40] for k, _ in KEYS])
def test_index_has_torchs_layout(key, shape):
    x = cr.tensor(X234, requires_grad=True)
    y = x[key]
    assert y.shape == shape
    y.sum().backward()
    assert x.grad.shape == x.shape


def test_int_beside_index_array_keeps_the_dims_in_place():
    x = cr.tensor(X234)
    y = x[0, :, [0, 2]]
    np.testing.assert_array_equal(y.numpy(), X234[0][:, [0, 2]])


def test_index_repeats_add_up_in_the_gradient():
    x = cr.tensor(X234, requires_grad=True)
    x[1, :, [3, 3, 0]].sum().backward()
    expected = np.zeros_like(X234)
    expected[1, :, 3] = 2.0
    expected[1, :, 0] = 1.0
    np.testing.assert_array_equal(x.grad.numpy(), expected)


@pytest.mark.parametrize(
    ("key", "error", "message"),
    [
        ((0, 5), IndexError, "index 5 is out of bounds"),
        ((0, slice(None), [0, 4]), IndexError, "index 4 is out of bounds"),
        ((-3,), IndexError, "index -3 is out of bounds"),
        ((slice(None, None, -1),), ValueError, "step must be greater than zero"),
        (cr.tensor([0.5]), IndexError, "integer"),
        ([[0, 1], [1, 0]], IndexError, "x\\[tuple\\(index\\)\\] or x\\[cr.tensor\\(index\\)\\]"),
        ([0, slice(None)], IndexError, "ambiguous"),
        ((0, 0, 0, 0), IndexError, "too many indices"),
    ],
)
def test_bad_index_is_refused_clearly(key, error, message):
    with pytest.raises(error, match=message):
        cr.tensor(X234)[key]


def _random_key(rng: np.random.Generator, shape: tuple[int, ...]) -> list[tuple[str, Any]]:
    """A random valid index for ``shape``, as (kind, value) parts in order. Each part is
    drawn for the dimension it lands on; the index arrays and masks of one key broadcast
    together (``family``: the shape they broadcast to, fixed by the first of them)."""
    parts: list[tuple[str, Any]] = []
    family: tuple[int, ...] | None = None
    dim = 0
    while dim < len(shape) and rng.random() > 0.1:
        extra = rng.random()
        if extra < 0.08:
            parts.append(("none", None))
        elif extra < 0.12:
            parts.append(("bool", True))
        elif extra < 0.14 and family is None:
            parts.append(("bool", False))
            family = (0,)
        size = shape[dim]
        kind = rng.choice(["int", "slice", "full", "array", "mask"], p=[0.25, 0.2, 0.2, 0.2, 0.15])
        if kind == "int":
            parts.append(("int", int(rng.integers(-size, size))))
            dim += 1
        elif kind == "slice":
            start, stop = rng.integers(-size - 1, size + 2, size=2)
            step = [None, 1, 2, 3][rng.integers(4)]
            parts.append(("slice", slice(int(start), int(stop), step)))
            dim += 1
        elif kind == "full":
            parts.append(("full", slice(None)))
            dim += 1
        elif kind == "array":
            if family is None:
                family = [(2,), (3,), (1,), (2, 3), (3, 1)][rng.integers(5)]
            index_shape = tuple(n if rng.random() < 0.7 else 1 for n in family)
            index_shape = (
                index_shape[rng.integers(len(index_shape)) :] if rng.random() < 0.2 else index_shape
            )
            parts.append(("array", rng.integers(-size, size, size=index_shape)))
            dim += 1
        else:
            k = int(rng.integers(1, min(2, len(shape) - dim) + 1))
            cells = int(np.prod(shape[dim : dim + k]))
            if family is None:
                count = int(rng.integers(0, cells + 1))
            elif len(family) == 1 and family[0] <= cells:
                count = family[0]
            else:
                continue
            mask = np.zeros(cells, dtype=bool)
            mask[rng.choice(cells, size=count, replace=False)] = True
            parts.append(("mask", mask.reshape(shape[dim : dim + k])))
            family = (count,)
            dim += k
    fulls = [i for i, (kind, _) in enumerate(parts) if kind == "full"]
    if rng.random() < 0.4:  # one run of full slices (maybe none) becomes ...
        parts += [("full", slice(None))] * (len(shape) - dim)
        fulls = [i for i, (kind, _) in enumerate(parts) if kind == "full"]
        start = fulls[rng.integers(len(fulls))] if fulls else rng.integers(len(parts) + 1)
        stop = start
        while stop < len(parts) and parts[stop][0] == "full" and rng.random() < 0.7:
            stop += 1
        parts[start:stop] = [("ellipsis", Ellipsis)]
    return parts


def _as_key(parts: list[tuple[str, Any]], m: Any, rng: np.random.Generator) -> Any:
    """The key in library ``m``'s spelling; arrays as tensors, lists or ndarrays at random
    (``rng`` draws the same choices for both libraries when seeded alike).

    Beside ``...``, a mask of several dimensions is always a tensor: given as a list or an
    ndarray there, PyTorch 2.13 counts it as one dimension and fails (chainrule does not).
    """
    key = []
    ellipsis = any(kind == "ellipsis" for kind, _ in parts)
    for kind, value in parts:
        form = rng.integers(3)
        if kind == "mask" and ellipsis and value.ndim > 1:
            key.append(m.tensor(value))
        elif kind in ("array", "mask"):
            key.append([m.tensor(value), value.tolist(), value][form])
        elif kind == "int":
            key.append([value, np.int64(value), m.tensor(value)][form])
        elif kind == "bool":
            key.append([value, value, m.tensor(value)][form])
        else:
            key.append(value)
    if (
        len(key) == 1
        and not (isinstance(key[0], list) and np.ndim(key[0]) > 1)
        and rng.random() < 0.5
    ):
        return key[0]
    return tuple(key)


@needs_torch
@pytest.mark.parametrize("shape", [(2, 3, 4), (4,), (3, 1, 2, 2), (2, 5)])
def test_random_indices_match_torch(shape):
    """Seed 11: 150 random keys per shape; values, shape and the gradient of a randomly
    weighted sum must all be PyTorch's."""
    torch = _torch()
    rng = np.random.default_rng(11)
    data = rng.normal(size=shape)
    for _ in range(150):
        parts = _random_key(rng, shape)
        seed = int(rng.integers(2**32))
        x = cr.tensor(data, requires_grad=True)
        t = torch.tensor(data, requires_grad=True)
        ours = x[_as_key(parts, cr, np.random.default_rng(seed))]
        theirs = t[_as_key(parts, torch, np.random.default_rng(seed))]
        assert ours.shape == tuple(theirs.shape), parts
        np.testing.assert_array_equal(ours.numpy(), theirs.detach().numpy(), err_msg=str(parts))
        weight = rng.normal(size=ours.shape)
        (ours * cr.tensor(weight)).sum().backward()
        (theirs * torch.tensor(weight)).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), err_msg=str(parts))


# ---------------------------------------------------------------------------- edge cases
@pytest.mark.parametrize(
    "program",
    [
        lambda m, z: z.sum(0),
        lambda m, z: z.sum(-1, keepdim=True),
        lambda m, z: z.mean(-1),
        lambda m, z: z.mean((0,)),
        lambda m, z: z.amax(-1) if m is not cr else z.max(-1),
        lambda m, z: z.amin(0) if m is not cr else z.min(0),
        lambda m, z: z.argmax(0),
        lambda m, z: z.softmax(0),
        lambda m, z: z.log_softmax(-1),
        lambda m, z: z.flatten(),
        lambda m, z: z.squeeze(0),
        lambda m, z: z.squeeze((0,)),
    ],
)
def test_zero_dim_tensor_takes_dim_0_and_minus_1(program):
    z = cr.tensor(3.0)
    result = program(cr, z)
    assert result.ndim in (0, 1)
    if HAS_TORCH:
        torch = _torch()
        theirs = program(torch, torch.tensor(3.0))
        assert result.shape == tuple(theirs.shape)
        assert _name(result.dtype) == _name(theirs.dtype)
        np.testing.assert_allclose(_values(result), _values(theirs))


def test_zero_dim_tensor_refuses_other_dims():
    with pytest.raises(IndexError, match="dimension 1 is out of range"):
        cr.tensor(3.0).sum(1)


def test_an_empty_dim_tuple_reduces_everything_as_in_torch():
    x = cr.ones(2, 3)
    assert x.sum(()).item() == 6.0
    assert x.mean(dim=[]).item() == 1.0
    assert x.max(()).item() == 1.0


def test_mean_of_nothing_is_nan_without_a_warning():
    x = cr.ones(0, 3, requires_grad=True)
    whole, columns, rows = x.mean(), x.mean(0), x.mean(1)
    assert np.isnan(whole.item())
    assert columns.shape == (3,) and np.isnan(columns.numpy()).all()
    assert rows.shape == (0,)
    (whole + columns.sum() + rows.sum()).backward()
    assert x.grad.shape == (0, 3)


def test_mean_of_integers_is_refused_as_in_torch():
    with pytest.raises(RuntimeError, match=r"mean\(\) needs a floating-point tensor"):
        cr.tensor([1, 2]).mean()


def test_sum_of_small_integers_is_int64():
    assert cr.tensor(np.array([200, 100], dtype=np.uint8)).sum().dtype == np.int64
    assert cr.tensor([True, True]).sum().dtype == np.int64
    assert cr.tensor([1, 2], dtype=cr.int32).sum().dtype == np.int64


@pytest.mark.parametrize(
    ("shape", "args", "expected"),
    [
        ((0, 3), (), (0,)),
        ((0, 3), (1,), (0, 3)),
        ((2, 0, 3), (1,), (2, 0)),
        ((2, 3, 0), (0, 1), (6, 0)),
        ((), (), (1,)),
        ((), (0, -1), (1,)),
    ],
)
def test_flatten_zero_size_and_zero_dim(shape, args, expected):
    x = cr.zeros(*shape, requires_grad=True)
    y = x.flatten(*args)
    assert y.shape == expected
    if args:  # nn.Flatten starts at dim 1 unless told
        assert cr.nn.Flatten(*args)(x).shape == expected
    y.sum().backward()
    assert x.grad.shape == shape


def test_flatten_refuses_start_after_end():
    with pytest.raises(RuntimeError, match="start_dim 1 after end_dim 0"):
        cr.ones(2, 3).flatten(1, 0)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize(("shape", "dim"), [((0, 3), -1), ((0, 3), 0), ((2, 0), -1), ((2, 0), 0)])
def test_softmax_of_zero_size_tensors(name, shape, dim):
    x = cr.zeros(*shape, requires_grad=True)
    y = getattr(x, name)(dim)
    assert y.shape == shape and y.dtype == np.float32
    y.sum().backward()
    assert x.grad.shape == shape
    assert getattr(cr.functional, name)(x, dim).shape == shape


def test_squeeze_a_tuple_of_dims():
    x = cr.ones(1, 2, 1, requires_grad=True)
    assert x.squeeze((0, 2)).shape == (2,)
    assert x.squeeze((0, 1)).shape == (2, 1)  # dim 1 has size 2: kept
    assert x.squeeze([-1]).shape == (1, 2)
    assert x.squeeze(()).shape == (1, 2, 1)
    x.squeeze((0, 2)).sum().backward()
    assert x.grad.shape == (1, 2, 1)
    with pytest.raises(RuntimeError, match="name one dimension twice"):
        x.squeeze((0, -3))
    with pytest.raises(IndexError, match="out of range"):
        x.squeeze((0, 3))


def test_cat_refuses_zero_dim_tensors_and_stack_takes_them():
    with pytest.raises(RuntimeError, match=r"zero-dimensional tensor \(at position 1\)"):
        cr.cat([cr.ones(2), cr.tensor(1.0)])
    assert cr.stack([cr.tensor(1.0), cr.tensor(2.0)]).tolist() == [1.0, 2.0]


@needs_torch
def test_edge_case_errors_match_torchs_kind():
    """Where PyTorch refuses, chainrule refuses with the same exception type."""
    torch = _torch()
    programs = [
        lambda m: m.cat([m.ones(2), m.tensor(1.0)]),
        lambda m: m.tensor([1, 2]).mean(),
        lambda m: m.ones(2, 3).flatten(1, 0),
        lambda m: m.ones(1, 2).squeeze((0, -2)),
        lambda m: m.tensor(3.0).sum(1),
        lambda m: m.ones(3)[5],
        lambda m: m.ones(3)[::-1],
        lambda m: m.ones(2, 2) @ m.ones(2, 2, dtype=m.float64),
        lambda m: m.tensor(1.0).squeeze(1),
        lambda m: m.nn.Flatten()(m.tensor(1.0)),
        lambda m: m.tensor(1.0).transpose(1, 0),
        lambda m: m.ones(2, 3).T.view(6),
        lambda m: m.cat([m.ones(2, 3), m.zeros(0)], 2),
    ]
    for program in programs:
        with pytest.raises(Exception) as theirs:
            program(torch)
        with pytest.raises(theirs.type):
            program(cr)


# ---------------------------------------------------------------------------- identity and views
# Whether a shape op returns its input itself (PyTorch's flatten of a dimension alone, to()
# with nothing to change) or a new tensor (PyTorch's views: every other shape op, even one
# that changes nothing). It shows in is_leaf, and in what an in-place change reaches.
IDENTITY = {
    "flatten of 1-d": ((3,), lambda m, x: x.flatten(), True),
    "flatten of one dim": ((1, 2), lambda m, x: m.flatten(x, 1, -1), True),
    "flatten 1..1": ((2, 3, 4), lambda m, x: m.flatten(x, 1, 1), True),
    "nn.Flatten of 2-d": ((3, 3), lambda m, x: m.nn.Flatten()(x), True),
    "to its own dtype": ((2, 3), lambda m, x: x.to(m.float32), True),
    "flatten of 0-d": ((), lambda m, x: x.flatten(), False),
    "flatten of 2-d": ((2, 3), lambda m, x: x.flatten(), False),
    "nn.Flatten of 3-d": ((3, 3, 2), lambda m, x: m.nn.Flatten()(x), False),
    "squeeze a dim of size 2": ((2, 3), lambda m, x: x.squeeze(0), False),
    "squeeze(-1) of 0-d": ((), lambda m, x: x.squeeze(-1), False),
    "squeeze(()) ": ((1, 3), lambda m, x: x.squeeze(()), False),
    "squeeze() with no 1s": ((2, 3), lambda m, x: x.squeeze(), False),
    "T of 0-d": ((), lambda m, x: x.T, False),
    "T of 1-d": ((3,), lambda m, x: x.T, False),
    "transpose(0, 0)": ((2, 3), lambda m, x: x.transpose(0, 0), False),
    "reshape to its shape": ((2, 3), lambda m, x: x.reshape(2, 3), False),
    "view as its shape": ((2, 3), lambda m, x: x.view(2, 3), False),
    "permute(0, 1)": ((2, 3), lambda m, x: x.permute(0, 1), False),
    "unsqueeze": ((2, 3), lambda m, x: x.unsqueeze(0), False),
}


@pytest.mark.parametrize("case", IDENTITY.values(), ids=list(IDENTITY))
def test_shape_ops_return_the_input_itself_exactly_where_torch_does(case):
    shape, program, itself = case
    x = cr.ones(shape, requires_grad=True)
    y = program(cr, x)
    assert (y is x) == itself
    assert y.is_leaf == itself and y.requires_grad
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones(shape, np.float32))
    if HAS_TORCH:
        torch = _torch()
        t = torch.ones(shape, requires_grad=True)
        with warnings.catch_warnings():  # PyTorch deprecates .T of other than 2 dims
            warnings.simplefilter("ignore", UserWarning)
            assert (program(torch, t) is t) == itself


@pytest.mark.parametrize("transpose", [lambda z, a, b: z.transpose(a, b), cr.transpose])
def test_transpose_of_0d_and_1d_tensors_takes_dims_0_and_minus_1(transpose):
    z = cr.tensor(1.5, requires_grad=True)
    y = transpose(z, -1, 0)
    assert y.shape == () and y.item() == 1.5 and not y.is_leaf
    (y * 3).backward()
    assert z.grad.item() == 3.0
    v = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = transpose(v, 0, -1)
    assert w.tolist() == [1.0, 2.0, 3.0] and not w.is_leaf
    (w * cr.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert v.grad.tolist() == [1.0, 2.0, 3.0]
    for x, dims in [(z, (1, 0)), (v, (0, 1)), (cr.ones(2, 3), (2, 0)), (cr.ones(2, 3), (0, -3))]:
        with pytest.raises(IndexError, match="out of range"):
            transpose(x, *dims)


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
def test_to_an_integer_or_bool_dtype_leaves_the_graph(dtype):
    x = cr.tensor([[1.7, -2.2], [0.0, 3.9]], requires_grad=True)
    y = x.to(np.dtype(dtype))
    assert y.dtype == np.dtype(dtype)
    assert not y.requires_grad and y.is_leaf and y.grad_fn is None
    np.testing.assert_array_equal(y.numpy(), np.array([[1.7, -2.2], [0.0, 3.9]]).astype(dtype))
    if HAS_TORCH:
        torch = _torch()
        t = torch.tensor([[1.7, -2.2], [0.0, 3.9]], requires_grad=True).to(getattr(torch, dtype))
        assert (t.requires_grad, t.is_leaf) == (y.requires_grad, y.is_leaf)
        np.testing.assert_array_equal(t.numpy(), y.numpy())


def test_to_another_float_dtype_keeps_the_graph():
    x = cr.tensor([1.5, -2.0], requires_grad=True)
    y = x.to(cr.float64)
    assert y.requires_grad and not y.is_leaf
    (y * cr.tensor([2.0, 3.0], dtype=cr.float64)).sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.tolist() == [2.0, 3.0]


def test_cat_takes_an_empty_1d_tensor_beside_any_shape_as_torch_does():
    empty = cr.zeros(0, requires_grad=True)
    m = cr.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    for dim in (0, 1, -1):
        joined = cr.cat([empty, m, empty], dim)
        assert joined.shape == (2, 3) and joined.tolist() == m.tolist()
    assert cr.cat([cr.zeros(0, dtype=cr.float64), m], 1).dtype == np.float64
    assert cr.cat([cr.zeros(0, dtype=cr.int64), m], 1).dtype == np.float32
    (cr.cat([empty, m], 1) * cr.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum().backward()
    assert empty.grad.shape == (0,)
    assert m.grad.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    nothing = cr.cat([empty, empty], 3)  # no other tensor to say which dims there are
    assert nothing.shape == (0,) and nothing.requires_grad
    with pytest.raises(IndexError, match="out of range"):
        cr.cat([m, empty], 2)
    if HAS_TORCH:
        torch = _torch()
        t = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        assert torch.cat([torch.zeros(0), t, torch.zeros(0)], 1).tolist() == m.tolist()
        assert torch.cat([torch.zeros(0), torch.zeros(0)], 3).shape == (0,)


def test_view_refuses_a_layout_that_needs_a_copy_and_reshape_makes_one():
    m = cr.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    for refused in (lambda: m.T.view(6), lambda: m.T.view(-1), lambda: m[:, ::2].view(4)):
        with pytest.raises(RuntimeError, match=r"use \.reshape\(\.\.\.\) instead"):
            refused()
    assert m.T.reshape(6).tolist() == [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]
    assert m.T.flatten().tolist() == [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]
    viewed = m.T.view(3, 1, 2)  # dims of the transpose kept whole: no copy needed
    assert viewed.tolist() == [[[1.0, 4.0]], [[2.0, 5.0]], [[3.0, 6.0]]]
    assert m[:, 1].view(2, 1).tolist() == [[2.0], [5.0]]
    assert cr.zeros(0, 3).T.view(-1).shape == (0,)
    (viewed * cr.tensor([[[1.0, 2.0]], [[3.0, 4.0]], [[5.0, 6.0]]])).sum().backward()
    assert m.grad.tolist() == [[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]]


@needs_torch
def test_view_refuses_exactly_where_torch_does():
    torch = _torch()
    rng = np.random.default_rng(5)
    for _ in range(300):
        shape = tuple(rng.integers(1, 5, size=rng.integers(1, 4)))
        order = tuple(rng.permutation(len(shape)))
        step = tuple(slice(None, None, int(rng.integers(1, 3))) for _ in shape)
        data = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
        ours, theirs = cr.tensor(data).permute(order)[step], torch.tensor(data).permute(order)[step]
        size = int(np.prod(ours.shape))
        split = [d for d in range(1, size + 1) if size % d == 0]
        target = (int(rng.choice(split)), -1)
        try:
            expected = theirs.view(target).numpy()
        except RuntimeError:
            with pytest.raises(RuntimeError, match="reshape"):
                ours.view(target)
        else:
            np.testing.assert_array_equal(ours.view(target).numpy(), expected)


def test_contiguous_is_the_tensor_itself_or_a_copy_in_the_graph_as_in_torch():
    m = cr.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    assert m.is_contiguous() and m.contiguous() is m
    t = m.T
    assert not t.is_contiguous() and not m[:, ::2].is_contiguous()
    copy = t.contiguous()
    assert copy is not t and copy.is_contiguous() and not copy.is_leaf
    flat = copy.view(-1)
    assert flat.tolist() == [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]
    (flat * cr.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])).sum().backward()
    assert m.grad.tolist() == [[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]]
    if HAS_TORCH:
        torch = _torch()
        tm = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
        assert tm.contiguous() is tm and not tm.T.is_contiguous()
        assert tm.T.contiguous().view(-1).tolist() == flat.tolist()


# ---------------------------------------------------------------------------- bools and integers
def _functional(m: Any) -> Any:
    return m.functional if m is cr else m.nn.functional


def test_dtype_names_are_pytorchs():
    names = {
        "bool": "bool",
        "uint8": "uint8",
        "int8": "int8",
        "int16": "int16",
        "short": "int16",
        "int": "int32",
        "int32": "int32",
        "long": "int64",
        "int64": "int64",
        "half": "float16",
        "float16": "float16",
        "float": "float32",
        "float32": "float32",
        "double": "float64",
        "float64": "float64",
    }
    for name, dtype in names.items():
        assert cr.zeros(2, dtype=getattr(cr, name)).dtype == np.dtype(dtype), name
    # `from chainrule import *` must not hide Python's own bool, int and float.
    assert {"bool", "int", "float"}.isdisjoint(cr.__all__)
    assert {"long", "half", "double", "int8", "uint8"} <= set(cr.__all__)


# (the program; the dtype and values PyTorch 2.13 gives)
CONVERSIONS: dict[str, tuple[Callable[[Any], Any], str, list[Any]]] = {
    "long": (lambda m: m.tensor([1.7, -1.7, 300.0]).long(), "int64", [1, -1, 300]),
    "int": (lambda m: m.tensor([1.7, -1.7, 300.0]).int(), "int32", [1, -1, 300]),
    "half": (lambda m: m.tensor([1, 2]).half(), "float16", [1.0, 2.0]),
    "bool": (lambda m: m.tensor([0.0, 0.5, -2.0]).bool(), "bool", [False, True, True]),
    "to(bool)": (lambda m: m.tensor([0.0, 0.5]).to(m.bool), "bool", [False, True]),
    "float of long": (lambda m: m.tensor([1, 2]).long().float(), "float32", [1.0, 2.0]),
}


@pytest.mark.parametrize("case", CONVERSIONS, ids=list(CONVERSIONS))
def test_conversion_methods(case):
    program, dtype, values = CONVERSIONS[case]
    result = program(cr)
    assert _name(result.dtype) == dtype
    assert result.tolist() == values


@needs_torch
@pytest.mark.parametrize("case", CONVERSIONS, ids=list(CONVERSIONS))
def test_conversion_methods_match_torch(case):
    program, _, _ = CONVERSIONS[case]
    ours, theirs = program(cr), program(_torch())
    assert _name(ours.dtype) == _name(theirs.dtype)
    assert ours.tolist() == theirs.tolist()


def _float_functions(m: Any) -> dict[str, Callable[[Any], Any]]:
    F = _functional(m)
    return {
        "exp": lambda x: x.exp(),
        "cr.exp": lambda x: m.exp(x),
        "log": lambda x: x.log(),
        "sqrt": lambda x: m.sqrt(x),
        "tanh": lambda x: m.tanh(x),
        "F.tanh": lambda x: F.tanh(x),
        "nn.Tanh": lambda x: m.nn.Tanh()(x),
        "sigmoid": lambda x: x.sigmoid(),
        "F.sigmoid": lambda x: F.sigmoid(x),
        "nn.Sigmoid": lambda x: m.nn.Sigmoid()(x),
    }


_REFERENCE = {"exp": np.exp, "log": np.log, "sqrt": np.sqrt, "tanh": np.tanh}
_REFERENCE["sigmoid"] = lambda x: 1 / (1 + np.exp(-x))


@pytest.mark.parametrize("dtype", ["bool", "int64", "int32", "uint8"])
@pytest.mark.parametrize("name", list(_float_functions(cr)))
def test_float_functions_of_integers_and_bools_are_float32(name, dtype):
    """As in PyTorch: NumPy would give float16 for bool and uint8, float64 for int64."""
    data = [True, False] if dtype == "bool" else [1, 2, 0]
    x = cr.tensor(data, dtype=getattr(cr, dtype))
    with np.errstate(divide="ignore"):
        result = _float_functions(cr)[name](x)
        expected = _REFERENCE[name.split(".")[-1].lower()](np.array(data, dtype=np.float32))
    assert result.dtype == np.float32
    np.testing.assert_allclose(result.numpy(), expected, rtol=1e-6)


@needs_torch
@pytest.mark.parametrize("dtype", ["bool", "int64", "int32", "uint8"])
@pytest.mark.parametrize("name", list(_float_functions(cr)))
def test_float_functions_of_integers_and_bools_match_torch(name, dtype):
    torch = _torch()
    data = [True, False] if dtype == "bool" else [1, 2, 0]
    theirs = _float_functions(torch)[name](torch.tensor(data, dtype=getattr(torch, dtype)))
    with np.errstate(divide="ignore"):  # NumPy warns of log(0); PyTorch does not
        ours = _float_functions(cr)[name](cr.tensor(data, dtype=getattr(cr, dtype)))
    assert _name(ours.dtype) == _name(theirs.dtype)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def _bools(m: Any, *shape: int) -> Any:
    return m.zeros(*shape) > 0.5


# (the program; the exception PyTorch 2.13 raises) for what PyTorch refuses of bools and integers
REFUSED: dict[str, tuple[Callable[[Any], Any], type[Exception]]] = {
    "relu(bool)": (lambda m: _bools(m, 2).relu(), RuntimeError),
    "F.relu(bool)": (lambda m: _functional(m).relu(_bools(m, 2)), RuntimeError),
    "nn.ReLU(bool)": (lambda m: m.nn.ReLU()(_bools(m, 2)), RuntimeError),
    "abs(bool)": (lambda m: _bools(m, 2).abs(), NotImplementedError),
    "leaky_relu(bool)": (lambda m: _functional(m).leaky_relu(_bools(m, 2)), NotImplementedError),
    "leaky_relu(int64)": (
        lambda m: _functional(m).leaky_relu(m.tensor([-1, 2]), 1.5),
        NotImplementedError,
    ),
    "softmax(int64)": (lambda m: m.tensor([1, 2]).softmax(0), NotImplementedError),
    "F.softmax(bool)": (lambda m: _functional(m).softmax(_bools(m, 2), dim=0), NotImplementedError),
    "nn.Softmax(int32)": (
        lambda m: m.nn.Softmax(-1)(m.tensor([1, 2], dtype=m.int32)),
        NotImplementedError,
    ),
    "log_softmax(int64)": (lambda m: m.tensor([[0, 3]]).log_softmax(0), NotImplementedError),
    "F.log_softmax(bool)": (
        lambda m: _functional(m).log_softmax(_bools(m, 2), dim=0),
        NotImplementedError,
    ),
    "nn.LogSoftmax(uint8)": (
        lambda m: m.nn.LogSoftmax(0)(m.tensor([1, 2], dtype=m.uint8)),
        NotImplementedError,
    ),
    "argmax(bool)": (lambda m: _bools(m, 2).argmax(), RuntimeError),
    "argmin(0-d bool)": (lambda m: m.tensor(True).argmin(0), RuntimeError),
    "bool @ bool (dot)": (lambda m: _bools(m, 2) @ _bools(m, 2), NotImplementedError),
    "bool @ bool (matrices)": (lambda m: _bools(m, 2, 1) @ _bools(m, 1, 2), NotImplementedError),
    "bool @ bool (matrix, vector)": (lambda m: _bools(m, 2, 3) @ _bools(m, 3), NotImplementedError),
    "bool @ bool (batched)": (lambda m: _bools(m, 2, 2, 2) @ _bools(m, 2, 2), NotImplementedError),
    "cr.matmul(bool, bool)": (
        lambda m: m.matmul(_bools(m, 3), _bools(m, 3, 2)),
        NotImplementedError,
    ),
    "bool - 1": (lambda m: _bools(m, 2) - 1, RuntimeError),
    "1.0 - bool": (lambda m: 1.0 - _bools(m, 2), RuntimeError),
    "float32 - bool": (lambda m: m.ones(2) - _bools(m, 2), RuntimeError),
    "bool - float32": (lambda m: _bools(m, 2) - m.ones(2), RuntimeError),
    "int64 - 0-d bool": (lambda m: m.tensor([1, 2]) - m.tensor(True), RuntimeError),
    "float32 - True": (lambda m: m.ones(2) - True, RuntimeError),
    "True - float32": (lambda m: True - m.ones(2), RuntimeError),
    "bool - bool": (lambda m: _bools(m, 2) - _bools(m, 2), RuntimeError),
    "empty bool - 1": (lambda m: _bools(m, 0) - 1, RuntimeError),
    "sub(bool)": (lambda m: m.ones(2).sub(_bools(m, 2)), RuntimeError),
    "bce_with_logits(bool target)": (
        lambda m: _functional(m).binary_cross_entropy_with_logits(m.zeros(2), _bools(m, 2)),
        RuntimeError,
    ),
    "BCEWithLogitsLoss(int64 target)": (
        lambda m: m.nn.BCEWithLogitsLoss()(m.zeros(2), m.tensor([0, 1])),
        RuntimeError,
    ),
    "bool ** bool": (lambda m: _bools(m, 2) ** _bools(m, 2), NotImplementedError),
    "True ** bool": (lambda m: True ** _bools(m, 2), NotImplementedError),
    "int64 ** -1": (lambda m: m.tensor([1, 2]) ** -1, RuntimeError),
    "empty int64 ** -2": (lambda m: m.zeros(0, dtype=m.int64) ** -2, RuntimeError),
    "bool ** -1": (lambda m: _bools(m, 2) ** -1, RuntimeError),
    "full(3, 2)": (lambda m: m.full(3, 2), TypeError),
    "~float32": (lambda m: ~m.ones(2), TypeError),
}


@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
def test_what_pytorch_refuses_of_bools_and_integers_is_refused(case):
    program, error = REFUSED[case]
    with pytest.raises(error, match=r"bool|floating.point|negative integer powers|tuple|~"):
        program(cr)


@needs_torch
@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
def test_what_pytorch_refuses_of_bools_and_integers_matches_torch(case):
    program, error = REFUSED[case]
    with pytest.raises(Exception) as theirs:
        program(_torch())
    assert theirs.type is error
    with pytest.raises(theirs.type):
        program(cr)


def test_a_refused_subtraction_in_place_changes_nothing():
    x = cr.tensor([1.0, 2.0])
    for change in (lambda: x.sub_(True), lambda: x.__isub__(cr.tensor([True, False]))):
        with pytest.raises(RuntimeError, match="subtraction with a bool"):
            change()
        assert x.tolist() == [1.0, 2.0]
    mask = cr.tensor([True, False])
    assert (~mask).tolist() == [False, True]  # what the error suggests instead of 1 - mask
    assert (~cr.tensor([0, -2])).tolist() == [-1, 1]


# (the program; the dtype and values PyTorch 2.13 gives) where the dtype rules let an op pass
ALLOWED: dict[str, tuple[Callable[[Any], Any], str, list[Any]]] = {
    "relu(int64)": (lambda m: m.tensor([-1, 2]).relu(), "int64", [0, 2]),
    "abs(int32)": (lambda m: m.tensor([-1, 2], dtype=m.int32).abs(), "int32", [1, 2]),
    "argmax(int64)": (lambda m: m.tensor([1, 5, 2]).argmax(), "int64", 1),
    "int64 @ int64": (lambda m: m.tensor([[1, 2]]) @ m.tensor([[3], [4]]), "int64", [[11]]),
    "softmax(empty int64)": (lambda m: m.zeros(0, 2, dtype=m.int64).softmax(0), "int64", []),
    "log_softmax(empty bool)": (lambda m: _bools(m, 2, 0).log_softmax(-1), "bool", [[], []]),
    "empty bool matrices": (lambda m: _bools(m, 2, 0) @ _bools(m, 0, 3), "bool", [[False] * 3] * 2),
    "bool matrix @ empty": (lambda m: _bools(m, 0, 4) @ _bools(m, 4, 1), "bool", []),
    "bool + bool": (lambda m: m.tensor([True]) + m.tensor([True]), "bool", [True]),
    "~bool": (lambda m: ~m.tensor([True, False]), "bool", [False, True]),
    "full((3,), 2)": (lambda m: m.full((3,), 2), "int64", [2, 2, 2]),
    "full([2], True)": (lambda m: m.full([2], True), "bool", [True, True]),
    "zeros(3)": (lambda m: m.zeros(3), "float32", [0.0, 0.0, 0.0]),
}


@pytest.mark.parametrize("case", ALLOWED, ids=list(ALLOWED))
def test_what_pytorch_allows_of_bools_and_integers(case):
    program, dtype, values = ALLOWED[case]
    result = program(cr)
    assert _name(result.dtype) == dtype
    assert result.tolist() == values


@needs_torch
@pytest.mark.parametrize("case", ALLOWED, ids=list(ALLOWED))
def test_what_pytorch_allows_of_bools_and_integers_matches_torch(case):
    program, _, _ = ALLOWED[case]
    ours, theirs = program(cr), program(_torch())
    assert _name(ours.dtype) == _name(theirs.dtype)
    assert ours.tolist() == theirs.tolist()


# (the program; the dtype and values PyTorch 2.13 gives): integer powers are exact, a negative
# exponent in a tensor gives the integer part (0, or ±1 for a base of ±1), as in PyTorch.
POWERS: dict[str, tuple[Callable[[Any], Any], str, list[Any]]] = {
    "(-1) ** int64": (lambda m: (-1) ** m.tensor([-3, -2, 0, 3]), "int64", [-1, 1, 1, -1]),
    "2 ** int64": (lambda m: 2 ** m.tensor([-3, 0, 2]), "int64", [0, 1, 4]),
    "0 ** int64": (lambda m: 0 ** m.tensor([-1, 0, 2]), "int64", [0, 1, 0]),
    "(-2) ** int64": (lambda m: (-2) ** m.tensor([-1, -2, 3]), "int64", [0, 0, -8]),
    "int64 ** 0-d int64": (
        lambda m: m.tensor([2, 1, -1, 0]) ** m.tensor(-2),
        "int64",
        [0, 1, 1, 0],
    ),
    "int32 ** int64": (
        lambda m: m.tensor([2, 1, -1, -1], dtype=m.int32) ** m.tensor(-3),
        "int32",
        [0, 1, -1, -1],
    ),
    "int64 ** int8": (lambda m: m.tensor([1, 2]) ** m.tensor([-1], dtype=m.int8), "int64", [1, 0]),
    "bool ** int64": (lambda m: m.tensor([True, False]) ** m.tensor([-1, 2]), "int64", [1, 0]),
    "int64 ** 3": (lambda m: m.tensor([-2, 3]) ** 3, "int64", [-8, 27]),
    "bool ** True": (lambda m: m.tensor([True, False]) ** True, "bool", [True, False]),
    "bool ** False": (lambda m: m.tensor([True, False]) ** False, "bool", [True, True]),
    "int64 ** True": (lambda m: m.tensor([1, -2]) ** True, "int64", [1, -2]),
    "2.0 ** int64": (lambda m: 2.0 ** m.tensor([-1, 2]), "float32", [0.5, 4.0]),
}


@pytest.mark.parametrize("case", POWERS, ids=list(POWERS))
def test_integer_powers(case):
    program, dtype, values = POWERS[case]
    result = program(cr)
    assert _name(result.dtype) == dtype
    assert result.tolist() == values


@needs_torch
@pytest.mark.parametrize("case", POWERS, ids=list(POWERS))
def test_integer_powers_match_torch(case):
    program, _, _ = POWERS[case]
    ours, theirs = program(cr), program(_torch())
    assert _name(ours.dtype) == _name(theirs.dtype)
    assert ours.tolist() == theirs.tolist()


def _zero_to_the_power(m: Any, base_is_tensor: bool) -> Any:
    """The gradient of sum(w * 0 ** x) with respect to x."""
    x = m.tensor([-1.5, -0.5, 0.0, 0.5, 2.0], requires_grad=True)
    w = m.tensor([1.0, -1.0, 1.0, -1.0, 1.0])
    base = m.zeros(5) if base_is_tensor else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):  # 0 ** -1.5 is inf, as it should be
        ((base**x) * w).sum().backward()
    return x.grad


@pytest.mark.parametrize("base_is_tensor", [False, True])
def test_gradient_of_zero_to_a_tensor_power(base_is_tensor):
    """d(0**x)/dx = 0**x * log(0): PyTorch takes the limit 0 where x >= 0 and keeps the
    product where x < 0, inf * -inf = -inf."""
    grad = _zero_to_the_power(cr, base_is_tensor)
    assert grad.tolist() == [-np.inf, np.inf, 0.0, 0.0, 0.0]


@needs_torch
@pytest.mark.parametrize("base_is_tensor", [False, True])
def test_gradient_of_zero_to_a_tensor_power_matches_torch(base_is_tensor):
    ours = _zero_to_the_power(cr, base_is_tensor)
    theirs = _zero_to_the_power(_torch(), base_is_tensor)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
