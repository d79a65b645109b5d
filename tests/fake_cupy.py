"""A strict stand-in for CuPy, so the GPU code paths run and are checked on machines without one.

Tests install it as ``sys.modules["cupy"]``. Its arrays keep a NumPy array inside a type of
their own and behave as CuPy's do wherever chainrule could go wrong:

- they refuse implicit conversion to NumPy (``np.asarray`` raises ``TypeError``), so a
  GPU array that leaks into NumPy code fails instead of silently crossing devices;
- its functions and operators refuse NumPy arrays mixed with its own, as CuPy's do;
- NumPy's functions and ufuncs refuse its arrays. CuPy itself dispatches some of them;
  the stand-in is stricter on purpose, because chainrule must call the array module that
  owns its inputs, never NumPy by name;
- reductions give 0-d arrays, not scalars; ``.get()`` and ``asnumpy`` copy back to NumPy.

It computes nothing on a GPU and measures nothing: it shows that the code is routed
through the array module, and that its numbers match the CPU's.
"""

from __future__ import annotations

import operator
import sys
import types
from collections.abc import Callable
from typing import Any

import numpy as np

float16, float32, float64 = np.float16, np.float32, np.float64
int32, int64, bool_ = np.int32, np.int64, np.bool_


class _DeviceId:
    id = 0


class ndarray:
    """A "GPU" array: a NumPy array that only this module's functions may touch."""

    __slots__ = ("_array",)
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, array: np.ndarray) -> None:
        self._array = array

    device = _DeviceId()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise TypeError(
            "Implicit conversion to a NumPy array is not allowed. "
            "Please use `.get()` to construct a NumPy array explicitly."
        )

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        raise TypeError(f"numpy.{ufunc.__name__}.{method} called on a GPU array")

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        raise TypeError(f"numpy.{func.__name__} called on a GPU array")

    def get(self) -> np.ndarray:
        return self._array.copy()

    def __getattr__(self, name: str) -> Any:
        # NumPy reads __array_interface__ and __array_struct__ before __array__: passing
        # those through would let np.asarray copy a GPU array silently.
        if name.startswith("__"):
            raise AttributeError(f"'ndarray' object has no attribute {name!r}")
        attribute = getattr(self._array, name)
        return _on_gpu(attribute) if callable(attribute) else _wrap(attribute)

    def __getitem__(self, key: Any) -> Any:
        return _wrap(self._array[_unwrap(key)])

    def __setitem__(self, key: Any, value: Any) -> None:
        self._array[_unwrap(key)] = _unwrap(value)

    def __len__(self) -> int:
        return len(self._array)

    def __iter__(self) -> Any:
        return (_wrap(row) for row in self._array)

    def __bool__(self) -> bool:
        return bool(self._array)

    def __float__(self) -> float:
        return float(self._array)

    def __int__(self) -> int:
        return int(self._array)

    def __repr__(self) -> str:
        return repr(self._array)


def _unwrap(value: Any) -> Any:
    if isinstance(value, ndarray):
        return value._array
    if isinstance(value, np.ndarray):
        raise TypeError(f"Unsupported type {type(value)}")
    if isinstance(value, tuple | list):
        return type(value)(_unwrap(v) for v in value)
    if isinstance(value, dict):
        return {k: _unwrap(v) for k, v in value.items()}
    return value


def _wrap(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return ndarray(value)
    if isinstance(value, np.generic):
        return ndarray(np.asarray(value))
    if isinstance(value, tuple | list):
        return type(value)(_wrap(v) for v in value)
    return value


def _on_gpu(function: Callable[..., Any]) -> Callable[..., Any]:
    """A NumPy callable made to take and give this module's arrays, and only those."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return _wrap(function(*_unwrap(args), **_unwrap(kwargs)))

    return call


def _binary(op: Callable[[Any, Any], Any], reflected: bool = False) -> Callable[..., Any]:
    def method(self: ndarray, other: Any) -> Any:
        a, b = self._array, _unwrap(other)
        return _wrap(op(b, a) if reflected else op(a, b))

    return method


def _inplace(op: Callable[[Any, Any], Any]) -> Callable[..., Any]:
    def method(self: ndarray, other: Any) -> ndarray:
        self._array = op(self._array, _unwrap(other))
        return self

    return method


def _unary(op: Callable[[Any], Any]) -> Callable[..., Any]:
    def method(self: ndarray) -> Any:
        return _wrap(op(self._array))

    return method


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or"):
    _op = getattr(operator, _name + "_" if _name in ("and", "or") else _name)
    setattr(ndarray, f"__{_name}__", _binary(_op))
    setattr(ndarray, f"__r{_name}__", _binary(_op, reflected=True))
    setattr(ndarray, f"__i{_name}__", _inplace(getattr(operator, f"i{_name}")))
for _name in ("lt", "le", "gt", "ge", "eq", "ne"):
    setattr(ndarray, f"__{_name}__", _binary(getattr(operator, _name)))
for _name in ("neg", "pos", "abs", "invert"):
    setattr(ndarray, f"__{_name}__", _unary(getattr(operator, _name)))


# The ufunc methods CuPy has, and for which ufuncs (cupy/cupy#7082); ``outer`` is for all.
_METHODS = {
    "reduce": {"add", "multiply"},
    "accumulate": {"add"},
    "reduceat": {"add"},
    "at": {"add", "subtract", "maximum", "minimum", "bitwise_and", "bitwise_or", "bitwise_xor"},
}


class _Ufunc:
    """A NumPy ufunc on this module's arrays, with the methods (``at``, ``reduce``) that
    CuPy offers for it, and only those."""

    def __init__(self, ufunc: np.ufunc) -> None:
        self._ufunc = ufunc
        self.__name__ = ufunc.__name__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _on_gpu(self._ufunc)(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if self.__name__ not in _METHODS.get(name, {self.__name__}):
            raise NotImplementedError(f"`{self.__name__}.{name}` is not supported yet in CuPy")
        attribute = getattr(self._ufunc, name)
        return _on_gpu(attribute) if callable(attribute) else attribute


def _host(value: Any) -> Any:
    """What ``asarray`` copies from: NumPy arrays are welcome here, as in CuPy."""
    if isinstance(value, ndarray):
        return value._array
    if isinstance(value, tuple | list):
        return type(value)(_host(v) for v in value)
    return value


def asarray(value: Any, dtype: Any = None) -> ndarray:
    if isinstance(value, ndarray) and (dtype is None or value.dtype == dtype):
        return value
    return ndarray(np.array(_host(value), dtype=dtype))


def array(value: Any, dtype: Any = None, copy: bool = True) -> ndarray:
    return ndarray(np.array(_host(value), dtype=dtype))


def asnumpy(value: Any) -> np.ndarray:
    return value.get() if isinstance(value, ndarray) else np.asarray(value)


def where(condition: Any, x: Any, y: Any) -> Any:
    """As CuPy's: the condition must be an array (CuPy calls ``condition.astype``), so a
    Python bool fails here as it does there."""
    return _on_gpu(np.where)(condition.astype(np.bool_), x, y)


def get_array_module(*args: Any) -> types.ModuleType:
    return _this if any(isinstance(a, ndarray) for a in args) else np


def fuse(*args: Any, **kwargs: Any) -> Any:
    """Fusion compiles nothing here: the function runs as written, op by op."""
    if len(args) == 1 and callable(args[0]) and not kwargs:
        return args[0]
    return lambda function: function


class _Generator:
    def __init__(self, seed: Any = None) -> None:
        self._rng = np.random.default_rng(_unwrap(seed))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # copy.deepcopy asks before _rng is set
            raise AttributeError(name)
        return _on_gpu(getattr(self._rng, name))


class _DeviceContext:
    def __init__(self, index: int = 0) -> None:
        if index != 0:
            raise RuntimeError(f"no CUDA device {index} (this stand-in has one)")
        self.id = index

    def __enter__(self) -> _DeviceContext:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def synchronize(self) -> None:
        return None


__version__ = "stand-in"
random = types.SimpleNamespace(default_rng=_Generator)
cuda = types.SimpleNamespace(
    runtime=types.SimpleNamespace(
        getDeviceCount=lambda: 1,
        getDeviceProperties=lambda index: {
            "name": b"CuPy stand-in",
            "totalGlobalMem": 2**34,
            "major": 9,
            "minor": 0,
        },
    ),
    Device=_DeviceContext,
)


def __getattr__(name: str) -> Any:
    attribute = getattr(np, name)
    if isinstance(attribute, np.ufunc):
        return _Ufunc(attribute)
    if callable(attribute) and not isinstance(attribute, type):
        return _on_gpu(attribute)
    return attribute


_this = sys.modules[__name__]
