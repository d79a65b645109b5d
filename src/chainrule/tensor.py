"""``Tensor``: an array, the gradient it receives, and the edge to the op that made it.

Operators and methods are written here, in the class body; each one is a call to an op
in ``chainrule.ops``, where the forward and the local derivative live side by side.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from ._backend import (
    CPU,
    Device,
    as_array,
    as_device,
    as_gpu,
    default_float,
    device_of,
    is_array,
    is_floating,
    is_gpu_array,
    to_device,
    to_numpy,
    xp_of,
)
from .promotion import result_type

Axis = int | Sequence[int] | None


def to_array(data: Any, dtype: Any = None) -> np.ndarray:
    """A fresh array from ``data``, with PyTorch's dtype inference.

    Python floats become float32 (the default float); arrays keep their dtype; integers
    become int64 and booleans bool, unless ``dtype`` says otherwise. GPU arrays (and the
    data of GPU tensors) stay on their GPU.
    """
    if isinstance(data, Tensor):
        data = data.data
    if is_gpu_array(data):
        return data.astype(dtype or data.dtype, copy=True)
    if isinstance(data, np.ndarray | np.generic):
        return np.array(data, dtype=dtype)
    try:
        array = np.array(data, dtype=dtype)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"cannot make a tensor from {type(data).__name__}: {error}; "
            "pass numbers, nested lists of numbers, or a NumPy array"
        ) from None
    if array.dtype == object or array.dtype.kind in "USV":
        raise TypeError(
            f"cannot make a tensor from {type(data).__name__} holding {array.dtype} values; "
            "pass numbers, nested lists of numbers, or a NumPy array"
        )
    if dtype is None and array.dtype == np.float64:
        array = array.astype(default_float)
    return array


def parse_to_args(
    args: tuple[Any, ...], dtype: Any = None, device: str | Device | None = None
) -> tuple[Device | None, np.dtype | None]:
    """The device and dtype that ``to(...)`` asks for, from PyTorch's spellings: a device
    (``"cuda"``, ``"cpu"``, a ``Device``), a dtype, both, or a tensor to match. A string is
    always a device, as in PyTorch, so ``to("mps")`` is refused as an unknown device."""
    for arg in args:
        if isinstance(arg, Tensor):
            device, dtype = arg.device, arg.dtype
        elif isinstance(arg, Device | str):
            device = arg
        else:
            dtype = arg
    return (
        None if device is None else as_device(device),
        None if dtype is None else np.dtype(dtype),
    )


def _check_can_require_grad(dtype: np.dtype) -> None:
    if not is_floating(dtype):
        raise TypeError(
            f"only floating-point tensors can require gradients, and this one is {dtype}; "
            "make it with dtype=cr.float32 or convert it with .float()"
        )


def _resolve_axis(dim: Axis, axis: Axis) -> Axis:
    """PyTorch's ``dim`` or NumPy's ``axis``, whichever was given."""
    if axis is None:
        return tuple(dim) if isinstance(dim, list) else dim
    if dim is not None:
        raise TypeError("pass dim or axis, not both")
    return tuple(axis) if isinstance(axis, list) else axis


def _reduced_axis(axis: Axis, ndim: int) -> Axis:
    """The dimensions a reduction runs over, in NumPy's terms: all of them for None or for
    an empty tuple (as PyTorch reads ``dim=()``); a 0-d tensor takes dim 0 or -1, as in
    PyTorch, which reduce nothing."""
    if axis is None or axis == ():
        return None
    if ndim == 0:
        for dim in axis if isinstance(axis, tuple) else (axis,):
            _dim(dim, 1)
        return None
    return axis


def _extremum_axis(axis: Axis, ndim: int) -> Axis:
    """The dimensions ``max`` or ``min`` reduce, as ``_reduced_axis``; but a dim given for a
    0-d tensor reduces none, (), not all: PyTorch's ``amax``, whose gradient at a NaN is
    NaN, where ``max()`` sends it to the NaN."""
    reduced = _reduced_axis(axis, ndim)
    return () if reduced is None and ndim == 0 and axis not in (None, ()) else reduced


def _normalised_axis(dim: int, ndim: int) -> Axis:
    """The one dimension softmax normalises along, checked even for a tensor without
    elements, as PyTorch does (dim 0 or -1 for a 0-d tensor)."""
    _dim(dim, max(ndim, 1))
    return _reduced_axis(dim, ndim)


def _dim(dim: int, ndim: int) -> int:
    """``dim`` as an index in [0, ndim), counting from the end when negative, as in PyTorch."""
    if not -ndim <= dim < ndim:
        raise IndexError(f"dimension {dim} is out of range (expected {-ndim} to {ndim - 1})")
    return dim % ndim


def _shape_args(shape: tuple[Any, ...]) -> tuple[int, ...]:
    """``reshape(2, 3)`` and ``reshape((2, 3))`` both mean the shape (2, 3)."""
    if len(shape) == 1 and isinstance(shape[0], Sequence | np.ndarray):
        return tuple(shape[0])
    return shape


def _operand(value: Any) -> Any:
    """The other side of a binary operator: a Tensor, an ndarray, or a Python number.

    NumPy scalars become Python numbers so that, as in PyTorch, ``x * np.float64(2)``
    stays float32 when ``x`` is.
    """
    if isinstance(value, np.generic):  # before float: np.float64 subclasses float
        return value.item()
    if isinstance(value, Tensor | np.ndarray | int | float):
        return value
    return Tensor(value)


# For each Python number type, the kinds of dtype its value joins without changing them.
_FITS = {float: "fc", int: "iufc", bool: "biufc"}


def _promoted(a: Any, b: Any, true_division: bool = False) -> tuple[Any, Any]:
    """The operands of a binary operator (one is a Tensor) converted to the dtype PyTorch
    computes it in (see ``chainrule.promotion``); true division of integers is in the
    default float. Gradients come back to each input in its own dtype.

    A Python number stays as it is: NumPy reads it in the other side's dtype. An ndarray
    is left to NumPy's rules, as PyTorch leaves ``tensor * ndarray`` to NumPy.
    """
    # The common case first, and cheaply: nothing to convert (this runs on every operator).
    if isinstance(a, Tensor):
        kind = a.data.dtype.kind
        fits = (
            a.data.dtype == b.data.dtype
            if isinstance(b, Tensor)
            else kind in _FITS.get(type(b), "")
        )
    else:
        kind = b.data.dtype.kind
        fits = kind in _FITS.get(type(a), "")
    if fits and (kind in "fc" or not true_division):
        return a, b
    a, b = _operand(a), _operand(b)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return a, b
    dtype = result_type(a, b)
    if true_division and dtype.kind in "biu":
        dtype = default_float
    return _cast(a, dtype), _cast(b, dtype)


def _cast(value: Any, dtype: np.dtype) -> Any:
    """``value`` in ``dtype``: a Tensor through ``Cast`` (so its gradient comes back in its
    own dtype), an array by ``astype``; a Python number as it is. A converted tensor counts
    the versions of the original, which is what PyTorch's op saves."""
    if isinstance(value, Tensor):
        if value.data.dtype == dtype:
            return value
        converted = Cast.apply(value, dtype)
        borrow_versions(converted.data, value.data)
        return converted
    if hasattr(value, "astype") and value.dtype != dtype:
        return value.astype(dtype)
    return value


_BOOL_NUMBERS = frozenset({bool, np.bool_})


def _is_bool(value: Any) -> bool:
    """Whether ``value`` is a bool tensor, array or number."""
    if isinstance(value, Tensor):
        return value.data.dtype.kind == "b"
    return type(value) in _BOOL_NUMBERS or (
        isinstance(value, np.ndarray) and value.dtype.kind == "b"
    )


def _check_not_bool_subtraction(a: Any, b: Any) -> None:
    """Refuse ``a - b`` with a bool operand, as PyTorch does: for a mask, ``1 - mask`` is
    usually meant as ``~mask``."""
    if _is_bool(a) or _is_bool(b):
        raise RuntimeError(
            "subtraction with a bool tensor or bool is not supported, as in PyTorch; to "
            "invert a mask use ~mask, else convert it first with .long() or .float()"
        )


class Tensor:
    """An n-dimensional array that can record the operations applied to it.

    ``requires_grad=True`` makes it a leaf whose ``.grad`` is filled by ``backward()``.
    Tensors made by ops on such tensors remember the op (``grad_fn``) and its inputs.
    """

    __slots__ = ("__weakref__", "_ctx", "data", "grad", "requires_grad")
    __array_ufunc__ = None  # ndarray <op> Tensor defers to Tensor's reflected operator
    __hash__ = object.__hash__  # == is elementwise, as in NumPy and PyTorch

    data: np.ndarray
    grad: Tensor | None
    requires_grad: bool
    _ctx: Any

    def __init__(
        self,
        data: Any,
        requires_grad: bool = False,
        dtype: Any = None,
        device: str | Device | None = None,
    ) -> None:
        self.data = to_array(data, dtype)
        if device is not None:
            self.data = to_device(self.data, as_device(device))
        self.grad = None
        self._ctx = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_()

    @staticmethod
    def _from_op(data: Any, ctx: Any) -> Tensor:
        """An op's result, not copied, made by the graph node ``ctx`` (None: outside the
        graph, as ``wrap`` makes it)."""
        tensor = object.__new__(Tensor)
        tensor.data = data if isinstance(data, np.ndarray) else as_array(data)
        tensor.grad = None
        tensor._ctx = ctx
        tensor.requires_grad = ctx is not None
        return tensor

    # ----------------------------------------------------------------- attributes
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def device(self) -> Device:
        """Where the data lives: ``cpu``, or ``cuda:N`` for a GPU."""
        return device_of(self.data)

    @property
    def is_cuda(self) -> bool:
        return is_gpu_array(self.data)

    @property
    def is_leaf(self) -> bool:
        """True unless the tensor was made by an op that recorded the graph."""
        return self._ctx is None

    @property
    def grad_fn(self) -> Any:
        """The op node that made this tensor (None for leaves), as in PyTorch."""
        return self._ctx

    @property
    def T(self) -> Tensor:
        """The tensor with its dimensions reversed (the transpose, for a matrix); of a 0-d
        or 1-d tensor, a new tensor with the same values, as PyTorch's view."""
        return Permute.apply(self, tuple(reversed(range(self.ndim))))

    def size(self, dim: int | None = None) -> tuple[int, ...] | int:
        """The shape, or the length of dimension ``dim``, as PyTorch's ``size``."""
        return self.data.shape if dim is None else self.data.shape[dim]

    def numel(self) -> int:
        """The number of elements."""
        return self.data.size

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor; use .item() to read its value")
        return self.data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        for i in range(len(self)):
            yield self[i]

    # ----------------------------------------------------------------- conversion
    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied); it never carries a gradient."""
        if Capture.recorder is not None:
            Capture.recorder.read("numpy()")
        self._check_on_cpu("numpy()")
        return self.data

    def _check_on_cpu(self, what: str) -> None:
        if is_gpu_array(self.data):
            raise TypeError(
                f"{what} needs a tensor on the CPU, and this one is on {self.device}; "
                "copy it there first with .cpu()"
            )

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if Capture.recorder is not None:
            Capture.recorder.read("conversion to a NumPy array")
        self._check_on_cpu("conversion to a NumPy array")
        if copy:
            return np.array(self.data, dtype=dtype)
        return self.data if dtype is None else self.data.astype(dtype, copy=False)

    def item(self) -> float | int | bool:
        """The value of a one-element tensor as a Python number."""
        if Capture.recorder is not None:
            Capture.recorder.read("item() (or float(), int())")
        if self.data.size != 1:
            raise ValueError(
                f"item() needs a tensor with one element, and this one has shape {self.shape}"
            )
        return self.data.item()

    def tolist(self) -> Any:
        if Capture.recorder is not None:
            Capture.recorder.read("tolist()")
        return self.data.tolist()

    def detach(self) -> Tensor:
        """The same data, cut from the graph: no gradient flows back through it."""
        return wrap(self.data)

    def retain_grad(self) -> Tensor:
        """Keep this non-leaf tensor's gradient in ``.grad`` after ``backward()``, as in
        PyTorch (leaves keep theirs anyway). ``chainrule.explain`` reads ∂E/∂(net input) and
        ∂E/∂(activation) of every neuron this way."""
        if self._ctx is None:
            if not self.requires_grad:
                raise RuntimeError("retain_grad() on a tensor that does not require grad")
            return self
        self._ctx.retained = self
        return self

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Make this leaf record operations for ``backward`` (in place, as in PyTorch)."""
        if self._ctx is not None:
            raise RuntimeError(
                "requires_grad can only be changed on a leaf tensor; use .detach() first"
            )
        if requires_grad:
            _check_can_require_grad(self.data.dtype)
        self.requires_grad = requires_grad
        return self

    def to(self, *args: Any, dtype: Any = None, device: str | Device | None = None) -> Tensor:
        """This tensor on another device and/or of another dtype, as PyTorch's ``to``:
        ``x.to("cuda")``, ``x.to(cr.float64)``, ``x.to("cpu", cr.float64)`` or ``x.to(other)``.

        Returns ``self`` when nothing changes; otherwise a copy that stays in the graph, so
        gradients flow back to this tensor's device and dtype. An integer or bool copy
        cannot carry a gradient, so it leaves the graph, as in PyTorch.
        """
        target, dtype = parse_to_args(args, dtype, device)
        result = self
        if dtype is not None and dtype != self.data.dtype:
            result = Cast.apply(result.detach() if dtype.kind in "biu" else result, dtype)
        if target is not None and target != device_of(result.data):
            result = ToDevice.apply(result, target)
        return result

    def cpu(self) -> Tensor:
        """This tensor on the CPU (itself if it is there already)."""
        return self.to(CPU)

    def cuda(self, device: int | str | Device | None = None) -> Tensor:
        """This tensor on a GPU: ``cuda:0`` unless ``device`` names another."""
        return self.to(as_gpu(device))

    # PyTorch's conversions by dtype name; each is ``to(dtype)``.
    def float(self) -> Tensor:
        return self.to(np.float32)

    def double(self) -> Tensor:
        return self.to(np.float64)

    def half(self) -> Tensor:
        return self.to(np.float16)

    def long(self) -> Tensor:
        return self.to(np.int64)

    def int(self) -> Tensor:
        return self.to(np.int32)

    def bool(self) -> Tensor:
        return self.to(np.bool_)

    def clone(self) -> Tensor:
        """A copy of the data that stays in the graph."""
        return Clone.apply(self)

    def __bool__(self) -> bool:
        if Capture.recorder is not None:
            Capture.recorder.read("bool()")
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a tensor with {self.data.size} elements is ambiguous; "
                "use .any() or .all()"
            )
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __repr__(self) -> str:
        body = np.array2string(to_numpy(self.data), separator=", ", prefix="tensor(")
        extras = []
        if is_gpu_array(self.data):
            extras.append(f"device='{self.device}'")
        if self.data.dtype not in (np.float32, np.int64, np.bool_):
            extras.append(f"dtype={self.data.dtype}")
        if self._ctx is not None:
            extras.append(f"grad_fn=<{type(self._ctx).__name__}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body, *extras]) + ")"

    # ----------------------------------------------------------------- autograd
    def backward(self, grad: Any = None, retain_graph: bool = False) -> None:
        """Fill ``.grad`` of every leaf this tensor depends on with d(self)/d(leaf).

        A one-element tensor (a loss) needs no ``grad``; any other needs ``grad`` of its
        own shape, the gradient of some scalar with respect to it. Gradients add up in
        ``.grad`` across calls until zeroed, as in PyTorch.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() on a tensor that does not require grad: no input of the "
                "computation had requires_grad=True (or it ran under cr.no_grad())"
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() on a tensor of shape {self.shape} needs grad= of that shape; "
                    "to differentiate a sum, call .sum().backward()"
                )
            seed = xp_of(self.data).empty(self.data.shape, self.data.dtype)
            seed.fill(1)  # np.ones, without its Python-level wrapper
        else:
            given = as_array(grad.data if isinstance(grad, Tensor) else grad)
            seed = to_device(given, self.device).astype(self.dtype)
            if seed.shape != self.shape:
                raise ValueError(
                    f"backward() got grad of shape {seed.shape} for a tensor of shape {self.shape}"
                )
        _backward(self, seed, retain_graph)

    # ----------------------------------------------------------------- arithmetic
    def __add__(self, other: Any) -> Tensor:
        return Add.apply(*_promoted(self, other))

    def __radd__(self, other: Any) -> Tensor:
        return Add.apply(*_promoted(other, self))

    def __sub__(self, other: Any) -> Tensor:
        _check_not_bool_subtraction(self, other)
        return Sub.apply(*_promoted(self, other))

    def __rsub__(self, other: Any) -> Tensor:
        _check_not_bool_subtraction(other, self)
        return Sub.apply(*_promoted(other, self))

    def __mul__(self, other: Any) -> Tensor:
        return Mul.apply(*_promoted(self, other))

    def __rmul__(self, other: Any) -> Tensor:
        return Mul.apply(*_promoted(other, self))

    def __truediv__(self, other: Any) -> Tensor:
        return Div.apply(*_promoted(self, other, true_division=True))

    def __rtruediv__(self, other: Any) -> Tensor:
        return Div.apply(*_promoted(other, self, true_division=True))

    def __pow__(self, exponent: Any) -> Tensor:
        return Pow.apply(*_promoted(self, exponent))

    def __rpow__(self, base: Any) -> Tensor:
        return Pow.apply(*_promoted(base, self))

    def __neg__(self) -> Tensor:
        return Neg.apply(self)

    def __pos__(self) -> Tensor:
        return self

    def __invert__(self) -> Tensor:
        """``~x``: the logical not of a bool tensor (a mask), the bitwise not of an integer
        one, as in PyTorch; no gradient."""
        if self.data.dtype.kind not in "biu":
            raise TypeError(
                f"~ needs a bool or integer tensor, and this one is {self.data.dtype}; "
                "for a mask of where x is 0, write x == 0"
            )
        return wrap(~self.data)

    def __matmul__(self, other: Any) -> Tensor:
        return MatMul.apply(self, _operand(other))

    def __rmatmul__(self, other: Any) -> Tensor:
        return MatMul.apply(_operand(other), self)

    add = __add__
    sub = __sub__
    mul = __mul__
    div = __truediv__
    pow = __pow__
    neg = __neg__
    matmul = __matmul__

    # ----------------------------------------------------------------- comparison (no gradient)
    def _compare(self, other: Any, compare: Callable[[Any, Any], Any]) -> Tensor:
        """``compare`` elementwise in the promoted dtype, as PyTorch compares."""
        a, b = _promoted(self, other)
        a, b = a.data, (b.data if isinstance(b, Tensor) else b)
        check_one_device("comparison", [a, b])
        return wrap(compare(a, b))

    def __lt__(self, other: Any) -> Tensor:
        return self._compare(other, operator.lt)

    def __le__(self, other: Any) -> Tensor:
        return self._compare(other, operator.le)

    def __gt__(self, other: Any) -> Tensor:
        return self._compare(other, operator.gt)

    def __ge__(self, other: Any) -> Tensor:
        return self._compare(other, operator.ge)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, operator.eq)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, operator.ne)

    lt, le, gt, ge, eq, ne = __lt__, __le__, __gt__, __ge__, __eq__, __ne__

    def any(self) -> Tensor:
        return wrap(self.data.any())

    def all(self) -> Tensor:
        return wrap(self.data.all())

    # ----------------------------------------------------------------- in place
    # PyTorch's rules (see ops/inplace.py): under no_grad, or when nothing needs a gradient,
    # the array changes where it lies and every alias sees it; a leaf that requires grad
    # refuses; on a tensor in the graph the change is recorded. Each returns the tensor.
    @property
    def _version(self) -> int:
        """How many times this tensor's data (shared with its views) was changed in place."""
        return version(self.data)

    def add_(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """self += alpha * other, in place."""
        operand, other = other, other if alpha == 1 else other * alpha
        return change_in_place(self, "add_", lambda t: t + other, operand=operand)

    def sub_(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """self -= alpha * other, in place."""
        operand, other = other, other if alpha == 1 else other * alpha
        return change_in_place(self, "sub_", lambda t: t - other, operand=operand)

    def mul_(self, other: Any) -> Tensor:
        return change_in_place(self, "mul_", lambda t: t * other, operand=other)

    def div_(self, other: Any) -> Tensor:
        return change_in_place(self, "div_", lambda t: t / other, operand=other)

    def pow_(self, exponent: Any) -> Tensor:
        return change_in_place(self, "pow_", lambda t: t**exponent, operand=exponent)

    __iadd__, __isub__, __imul__, __itruediv__, __ipow__ = add_, sub_, mul_, div_, pow_

    def neg_(self) -> Tensor:
        return change_in_place(self, "neg_", Tensor.neg)

    def exp_(self) -> Tensor:
        return change_in_place(self, "exp_", Tensor.exp)

    def log_(self) -> Tensor:
        return change_in_place(self, "log_", Tensor.log)

    def sqrt_(self) -> Tensor:
        return change_in_place(self, "sqrt_", Tensor.sqrt)

    def abs_(self) -> Tensor:
        return change_in_place(self, "abs_", Tensor.abs)

    def sigmoid_(self) -> Tensor:
        return change_in_place(self, "sigmoid_", Tensor.sigmoid)

    def tanh_(self) -> Tensor:
        return change_in_place(self, "tanh_", Tensor.tanh)

    def relu_(self) -> Tensor:
        return change_in_place(self, "relu_", Tensor.relu)

    def clip_(self, min: float | None = None, max: float | None = None) -> Tensor:
        """Limit the values to [min, max], in place."""
        return change_in_place(self, "clip_", lambda t: t.clip(min, max))

    clamp_ = clip_

    def copy_(self, src: Any) -> Tensor:
        """Overwrite the values with ``src`` (broadcast to this shape, converted to this
        dtype); the gradient goes to ``src``."""
        return change_in_place(
            self, "copy_", lambda t: Overwrite.apply(t, src), any_dtype=True, operand=src
        )

    def fill_(self, value: Any) -> Tensor:
        """Set every element to ``value``."""
        return change_in_place(self, "fill_", lambda t: Overwrite.apply(t, value), any_dtype=True)

    def zero_(self) -> Tensor:
        """Set every element to 0."""
        return self.copy_(0)

    def uniform_(self, a: float = 0.0, b: float = 1.0) -> Tensor:
        """Fill with samples from U[a, b) drawn from the seeded generator."""
        return self.copy_(rand(self.shape, dtype=self.dtype, device=self.device) * (b - a) + a)

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> Tensor:
        """Fill with samples from N(mean, std²) drawn from the seeded generator."""
        return self.copy_(randn(self.shape, dtype=self.dtype, device=self.device) * std + mean)

    def __setitem__(self, key: Any, value: Any) -> None:
        """``x[key] = value``: the values converted to x's dtype; recorded in the graph when
        x or ``value`` requires grad, as PyTorch does. With index tensors in the key, a
        tensor ``value`` must have x's dtype, as PyTorch requires."""
        key = _index_key(key, xp_of(self.data))
        check_not_a_view_made_under_no_grad(self, "x[key] = value")
        if isinstance(value, Tensor):
            check_assigned(self, key, value)
        if is_grad_enabled() and (
            self.requires_grad or (isinstance(value, Tensor) and value.requires_grad)
        ):
            change_in_place(self, "x[key] = value", lambda t: SetItem.apply(t, value, key), True)
            return
        check_one_device(
            "assignment", [self.data, value.data if isinstance(value, Tensor) else value]
        )
        self.data[key] = assignable(value.data) if isinstance(value, Tensor) else value
        written(self)

    # ----------------------------------------------------------------- reductions
    def _reduce(
        self, op: Any, dim: Axis, keepdim: bool, axis: Axis, keepdims: bool | None
    ) -> Tensor:
        """The one path of ``sum``, ``mean``, ``max`` and ``min``: PyTorch's ``dim`` and
        ``keepdim`` or NumPy's ``axis`` and ``keepdims``, read as ``_reduced_axis`` says, given
        to the reduction ``op``."""
        read = _extremum_axis if op is Max or op is Min else _reduced_axis
        axis = read(_resolve_axis(dim, axis), self.ndim)
        return op.apply(self, axis, keepdim if keepdims is None else keepdims)

    def sum(
        self,
        dim: Axis = None,
        keepdim: bool = False,
        *,
        axis: Axis = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        """Sum over ``dim`` (all dimensions when None)."""
        return self._reduce(Sum, dim, keepdim, axis, keepdims)

    def mean(
        self,
        dim: Axis = None,
        keepdim: bool = False,
        *,
        axis: Axis = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        """Mean over ``dim`` (all dimensions when None); NaN over no elements, as in
        PyTorch."""
        if not is_floating(self.data.dtype):
            raise RuntimeError(
                f"mean() needs a floating-point tensor, and this one is {self.data.dtype}; "
                "convert it first with .float()"
            )
        return self._reduce(Mean, dim, keepdim, axis, keepdims)

    def max(
        self,
        dim: Axis | Tensor = None,
        keepdim: bool = False,
        *,
        axis: Axis = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        """Largest values over ``dim``; tied maxima share the gradient equally. Given a
        tensor instead of a dim, the elementwise ``maximum``, as PyTorch's ``max(a, b)``.

        Returns the values only (like NumPy's ``max`` and PyTorch's ``amax``); use
        ``argmax`` for the positions.
        """
        if isinstance(dim, Tensor):
            return self.maximum(dim)
        return self._reduce(Max, dim, keepdim, axis, keepdims)

    def min(
        self,
        dim: Axis | Tensor = None,
        keepdim: bool = False,
        *,
        axis: Axis = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        """Smallest values over ``dim``; tied minima share the gradient equally. Given a
        tensor instead of a dim, the elementwise ``minimum``, as PyTorch's ``min(a, b)``."""
        if isinstance(dim, Tensor):
            return self.minimum(dim)
        return self._reduce(Min, dim, keepdim, axis, keepdims)

    def argmax(
        self, dim: int | None = None, keepdim: bool = False, *, axis: int | None = None
    ) -> Tensor:
        """Index of the largest value over ``dim`` (of the flattened tensor when None)."""
        check_not_bool(self.data, "argmax", RuntimeError)
        axis = _reduced_axis(_resolve_axis(dim, axis), self.ndim)
        return wrap(self.data.argmax(axis=axis, keepdims=keepdim))

    def argmin(
        self, dim: int | None = None, keepdim: bool = False, *, axis: int | None = None
    ) -> Tensor:
        """Index of the smallest value over ``dim`` (of the flattened tensor when None)."""
        check_not_bool(self.data, "argmin", RuntimeError)
        axis = _reduced_axis(_resolve_axis(dim, axis), self.ndim)
        return wrap(self.data.argmin(axis=axis, keepdims=keepdim))

    def maximum(self, other: Any) -> Tensor:
        """The larger of this tensor and ``other`` (which broadcasts), elementwise; where
        they tie, each gets half the gradient, as in PyTorch."""
        return Maximum.apply(*_promoted(self, other))

    def minimum(self, other: Any) -> Tensor:
        """The smaller of this tensor and ``other`` (which broadcasts), elementwise; where
        they tie, each gets half the gradient, as in PyTorch."""
        return Minimum.apply(*_promoted(self, other))

    # ----------------------------------------------------------------- elementwise
    def exp(self) -> Tensor:
        return Exp.apply(self)

    def log(self) -> Tensor:
        return Log.apply(self)

    def sqrt(self) -> Tensor:
        return Sqrt.apply(self)

    def abs(self) -> Tensor:
        return Abs.apply(self)

    def tanh(self) -> Tensor:
        return Tanh.apply(self)

    def sigmoid(self) -> Tensor:
        return Sigmoid.apply(self)

    def relu(self) -> Tensor:
        return ReLU.apply(self)

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        return LeakyReLU.apply(self, negative_slope)

    def clip(self, min: float | None = None, max: float | None = None) -> Tensor:
        """Values limited to [min, max]; the gradient passes where the input was inside.
        The result's dtype is promoted as for ``+``: an integer tensor clipped at 0.5 is
        float32."""
        if min is None and max is None:
            raise ValueError("clip() needs min, max, or both")
        dtype = result_type(self, *(bound for bound in (min, max) if bound is not None))
        return Clip.apply(_cast(self, dtype), min, max)

    clamp = clip

    def softmax(self, dim: int = -1, *, axis: int | None = None) -> Tensor:
        """exp(x) / sum(exp(x)) along ``dim``, computed without overflow."""
        return Softmax.apply(self, _normalised_axis(dim if axis is None else axis, self.ndim))

    def log_softmax(self, dim: int = -1, *, axis: int | None = None) -> Tensor:
        """log(softmax(x)) along ``dim``, computed without overflow or log(0)."""
        return LogSoftmax.apply(self, _normalised_axis(dim if axis is None else axis, self.ndim))

    # ----------------------------------------------------------------- shape
    def reshape(self, *shape: Any) -> Tensor:
        """The same elements in a new shape; one dimension may be -1."""
        return Reshape.apply(self, _shape_args(shape))

    def view(self, *shape: Any) -> Tensor:
        """The same elements in a new shape, sharing this tensor's data, as PyTorch's
        ``view``: refused where the data's layout (after a transpose or a strided slice)
        cannot be read in that shape without a copy, which ``reshape`` makes."""
        result = Reshape.apply(self, _shape_args(shape))
        data = self.data
        if (
            not data.flags.c_contiguous
            and data.size
            and not xp_of(data).may_share_memory(result.data, data)
        ):
            raise RuntimeError(
                f"view() cannot show a tensor of shape {self.shape} laid out as this one is "
                f"(transposed or sliced with a step) in shape {result.shape} without a copy; "
                "use .reshape(...) instead"
            )
        return result

    def is_contiguous(self) -> bool:
        """Whether the data lies in memory in row-major order without gaps, as ``view``
        needs to read it in any shape; a transpose or a slice with a step is not."""
        return bool(self.data.flags.c_contiguous)

    def contiguous(self) -> Tensor:
        """This tensor itself if it is contiguous, else a contiguous copy that stays in the
        graph, as in PyTorch: ``x.transpose(0, 1).contiguous().view(-1)``."""
        return self if self.data.flags.c_contiguous else Clone.apply(self)

    def permute(self, *dims: Any) -> Tensor:
        """The dimensions reordered: result dimension i is input dimension ``dims[i]``."""
        return Permute.apply(self, _shape_args(dims))

    def transpose(self, *dims: Any) -> Tensor:
        """Swap two dimensions (``transpose(0, 1)``, as PyTorch); with no arguments, reverse
        them all, and with one per dimension, permute them (as NumPy)."""
        dims = _shape_args(dims)
        if not dims:
            return self.T
        if len(dims) == 2:
            first, second = (_dim(d, max(self.ndim, 1)) for d in dims)
            order = list(range(self.ndim))
            if order:  # a 0-d tensor takes dims 0 and -1, and stays as it is
                order[first], order[second] = order[second], order[first]
            dims = tuple(order)
        return Permute.apply(self, dims)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge dimensions ``start_dim`` .. ``end_dim`` (inclusive) into one; a 0-d tensor
        becomes 1-d. Zero-size dimensions merge too: (0, 3) from dim 1 on stays (0, 3).
        Merging one dimension alone returns this tensor itself, as PyTorch does."""
        shape = self.shape
        start, end = _dim(start_dim, max(len(shape), 1)), _dim(end_dim, max(len(shape), 1))
        if start > end:
            raise RuntimeError(
                f"flatten() got start_dim {start_dim} after end_dim {end_dim}; "
                "start_dim must come first"
            )
        if not shape:
            return self.reshape(1)
        if start == end:
            return self
        return self.reshape(*shape[:start], math.prod(shape[start : end + 1]), *shape[end + 1 :])

    def squeeze(self, dim: int | Sequence[int] | None = None) -> Tensor:
        """Drop dimension ``dim`` (or each of a tuple of dims) if its size is 1; every
        size-1 dimension when None. A 0-d tensor takes dim 0 or -1, as in PyTorch. The
        result is a new tensor even when nothing is dropped, as PyTorch's view."""
        shape = self.shape
        if dim is None:
            return self.reshape(tuple(s for s in shape if s != 1))
        dims = tuple(dim) if isinstance(dim, Sequence) else (dim,)
        drop = {_dim(d, max(len(shape), 1)) for d in dims}
        if len(drop) != len(dims):
            raise RuntimeError(f"squeeze() got dims {dims} that name one dimension twice")
        return self.reshape(
            tuple(size for i, size in enumerate(shape) if size != 1 or i not in drop)
        )

    def unsqueeze(self, dim: int) -> Tensor:
        """Insert a dimension of size 1 at ``dim``."""
        dim = _dim(dim, self.ndim + 1)
        return self.reshape((*self.shape[:dim], 1, *self.shape[dim:]))

    def __getitem__(self, key: Any) -> Tensor:
        return GetItem.apply(self, _index_key(key, xp_of(self.data)))


def wrap(data: Any) -> Tensor:
    """A tensor over ``data`` itself, not a copy, outside any graph (no ``grad_fn``, no
    gradient required): how the library turns an array it has made into a Tensor.

    ``data`` is an array on any device, or a NumPy scalar, which becomes a 0-d array.
    """
    tensor = object.__new__(Tensor)
    tensor.data = data if isinstance(data, np.ndarray) else as_array(data)
    tensor.grad = None
    tensor._ctx = None
    tensor.requires_grad = False
    return tensor


def _index_key(key: Any, xp: Any) -> tuple[Any, ...]:
    """``key`` as a tuple of NumPy index parts on the device of the indexed tensor
    (``xp``), as PyTorch lets a CPU index pick from a GPU tensor: tensors and lists become
    arrays, NumPy scalars Python numbers, and a 0-d integer index an int.

    A short list holding lists, tensors, slices, None or ... is refused: PyTorch 2.13 reads
    it as a tuple of indices (deprecated), later versions as one index tensor.
    """
    if type(key) is tuple:
        return tuple([_index_part(part, xp) for part in key])
    if (
        type(key) is list
        and len(key) < 32
        and not all(type(k) in _NUMBERS for k in key)
        and any(k is None or isinstance(k, _SEQUENCE_INDEX) for k in key)
    ):
        raise IndexError(
            "an index that is a list of lists, tensors, slices, None or ... is ambiguous "
            "(PyTorch 2.13 reads it as a tuple, later versions as one index tensor); "
            "write x[tuple(index)] or x[cr.tensor(index)]"
        )
    return (_index_part(key, xp),)


_PLAIN_INDEX = {int, slice, type(None), type(Ellipsis)}
_NUMBERS = {int, bool, float}
_SEQUENCE_INDEX = (Sequence, slice, type(Ellipsis), Tensor, np.ndarray)


def _index_part(part: Any, xp: Any) -> Any:
    if type(part) in _PLAIN_INDEX:
        return part
    if isinstance(part, Tensor):
        part = part.data
    elif isinstance(part, list):
        part = np.asarray(part) if part else np.zeros(0, np.int64)
    elif isinstance(part, np.generic):
        return part.item()
    if is_array(part) and part.ndim == 0 and part.dtype.kind in "iu":
        return int(part)  # drops its dimension, as a Python int does
    if xp is not np and isinstance(part, np.ndarray):
        return xp.asarray(part)
    return part


# The ops need Tensor to exist, so they are imported after it.
from .creation import rand, randn  # noqa: E402
from .function import Capture, check_one_device, is_grad_enabled  # noqa: E402
from .function import backward as _backward  # noqa: E402
from .ops.activation import LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax  # noqa: E402
from .ops.arithmetic import Add, Div, Maximum, Minimum, Mul, Neg, Pow, Sub  # noqa: E402
from .ops.device import ToDevice  # noqa: E402
from .ops.dtype_rules import check_not_bool  # noqa: E402
from .ops.elementwise import Abs, Cast, Clip, Clone, Exp, Log, Sqrt, Tanh  # noqa: E402
from .ops.indexing import GetItem  # noqa: E402
from .ops.inplace import (  # noqa: E402
    Overwrite,
    SetItem,
    assignable,
    change_in_place,
    check_assigned,
    check_not_a_view_made_under_no_grad,
    written,
)
from .ops.matmul import MatMul  # noqa: E402
from .ops.reduction import Max, Mean, Min, Sum  # noqa: E402
from .ops.shape import Permute, Reshape  # noqa: E402
from .versions import borrow_versions, version  # noqa: E402
