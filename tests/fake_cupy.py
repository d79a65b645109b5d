"""A strict stand-in for CuPy, so the GPU code paths run and are checked on machines without one.

Tests install it as ``sys.modules["cupy"]``. Its arrays keep a NumPy array inside a type of
their own and behave as CuPy's do wherever chainrule could go wrong:

- they refuse implicit conversion to NumPy (``np.asarray`` raises ``TypeError``), so a
  GPU array that leaks into NumPy code fails instead of silently crossing devices;
- its functions and operators refuse NumPy arrays mixed with its own, as CuPy's do;
- NumPy's functions and ufuncs refuse its arrays. CuPy itself dispatches some of them;
  the stand-in is stricter on purpose, because chainrule must call the array module that
  owns its inputs, never NumPy by name;
- reductions give 0-d arrays, not scalars; ``.get()`` and ``asnumpy`` copy back to NumPy
  (``COPIES_TO_HOST`` counts them);
- it has ``GPUS`` devices (1 unless a test sets it), a current one (``cuda.Device(n).use()``
  or ``with cuda.Device(n)``) on which new arrays are made, and arrays that know theirs;
- ``use_nccl()`` gives it ``cupy.cuda.nccl`` (below), as a CuPy built with NCCL has.

It computes nothing on a GPU and measures nothing: it shows that the code is routed
through the array module, and that its numbers match the CPU's.
"""

from __future__ import annotations

import ctypes
import operator
import os
import sys
import types
from collections.abc import Callable
from typing import Any

import numpy as np

float16, float32, float64 = np.float16, np.float32, np.float64
int32, int64, bool_ = np.int32, np.int64, np.bool_


GPUS = 1
COPIES_TO_HOST = 0


class ndarray:
    """A "GPU" array: a NumPy array that only this module's functions may touch, on the
    device that was current when it was made."""

    __slots__ = ("_array", "_device")
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, array: np.ndarray) -> None:
        self._array = array
        self._device = _current[-1]

    @property
    def device(self) -> _DeviceContext:
        return _DeviceContext(self._device, check=False)

    @property
    def data(self) -> types.SimpleNamespace:
        """CuPy's memory pointer: ``.ptr``, the address, here of the NumPy array's values
        (noted with this array's device, for the stand-in NCCL to check)."""
        address = self._array.__array_interface__["data"][0]
        _devices_at[address] = self._device
        return types.SimpleNamespace(ptr=address)

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
        global COPIES_TO_HOST
        COPIES_TO_HOST += 1
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


_current = [0]
"""The current device, last; ``with cuda.Device(n)`` adds one for its block."""

_devices_at: dict[int, int] = {}
"""The device of the array at each address handed out as ``.data.ptr``."""


class _DeviceContext:
    def __init__(self, index: int | None = None, check: bool = True) -> None:
        index = _current[-1] if index is None else index
        if check and not 0 <= index < GPUS:
            raise RuntimeError(f"no CUDA device {index} (this stand-in has {GPUS})")
        self.id = index

    def __enter__(self) -> _DeviceContext:
        _current.append(self.id)
        return self

    def __exit__(self, *exc: object) -> None:
        _current.pop()

    def use(self) -> None:
        _current[-1] = self.id

    def synchronize(self) -> None:
        return None


def _pci_bus_id(index: int) -> str:
    _DeviceContext(index)
    return f"0000:{index + 1:02x}:00.0"


__version__ = "stand-in"
random = types.SimpleNamespace(default_rng=_Generator)
cuda = types.SimpleNamespace(
    runtime=types.SimpleNamespace(
        getDeviceCount=lambda: GPUS,
        deviceGetPCIBusId=_pci_bus_id,
        getDeviceProperties=lambda index: {
            "name": b"CuPy stand-in",
            "totalGlobalMem": 2**34,
            "major": 9,
            "minor": 0,
        },
    ),
    Device=_DeviceContext,
    get_current_stream=lambda: types.SimpleNamespace(ptr=0),  # the default stream's
)


class NcclError(RuntimeError):
    pass


class _NcclCommunicator:
    """What NCCL's communicator does, between the real MPI processes of a test: made by
    every process at once (with the same unique id, its own rank, on its current device,
    which no other process of its machine may use), it sums and broadcasts the values at
    the device addresses it is given, through mpi4py. ``nccl.CALLS`` counts its calls."""

    def __init__(self, ndev: int, comm_id: Any, rank: int) -> None:
        from mpi4py import MPI

        self._mpi, self._world = MPI, MPI.COMM_WORLD
        self._device = _current[-1]
        place = (MPI.Get_processor_name(), self._device)
        everyone = self._world.allgather((comm_id, rank, place))
        if any(other != comm_id for other, _, _ in everyone):
            raise NcclError("NCCL_ERROR_INVALID_ARGUMENT: the processes have different ids")
        if sorted(r for _, r, _ in everyone) != list(range(ndev)) or ndev != len(everyone):
            raise NcclError("NCCL_ERROR_INVALID_ARGUMENT: ranks are not 0 to ndev - 1")
        if len({p for _, _, p in everyone}) < ndev:
            raise NcclError("NCCL_ERROR_INVALID_USAGE: Duplicate GPU detected")
        nccl.CALLS["NcclCommunicator"] += 1

    def _values(self, ptr: int, count: int, datatype: int, stream: int) -> np.ndarray:
        if not isinstance(ptr, int) or not isinstance(stream, int):
            raise TypeError("NCCL takes addresses as ints")
        if _devices_at.get(ptr) != self._device:
            raise NcclError("NCCL_ERROR_INVALID_ARGUMENT: the buffer is not on my device")
        dtype = np.dtype(_NCCL_TYPES[datatype])
        memory = (ctypes.c_char * (count * dtype.itemsize)).from_address(ptr)
        return np.frombuffer(memory, dtype)

    def allReduce(self, sendbuf, recvbuf, count, datatype, op, stream) -> None:
        received = self._values(recvbuf, count, datatype, stream)
        sent = self._values(sendbuf, count, datatype, stream)
        mpi_op = getattr(self._mpi, ("SUM", "PROD", "MAX", "MIN")[op])
        mine = self._mpi.IN_PLACE if sendbuf == recvbuf else sent
        self._world.Allreduce(mine, received, op=mpi_op)
        nccl.CALLS["allReduce"] += 1

    def bcast(self, buff, count, datatype, root, stream) -> None:
        self._world.Bcast(self._values(buff, count, datatype, stream), root=root)
        nccl.CALLS["bcast"] += 1


_NCCL_TYPES = [
    *(np.int8, np.uint8, np.int32, np.uint32, np.int64, np.uint64),
    *(np.float16, np.float32, np.float64),
]
"""NCCL's datatypes, in the order of their numbers."""

nccl = types.SimpleNamespace(
    NCCL_SUM=0,
    NCCL_PROD=1,
    NCCL_MAX=2,
    NCCL_MIN=3,
    **{f"NCCL_{np.dtype(t).name.upper()}": n for n, t in enumerate(_NCCL_TYPES)},
    NcclError=NcclError,
    NcclCommunicator=_NcclCommunicator,
    get_unique_id=lambda: tuple(os.urandom(16)),  # older CuPy's form; newer gives bytes
    CALLS={"NcclCommunicator": 0, "allReduce": 0, "bcast": 0},
)


def use_nccl(library: bool = True) -> None:
    """Let ``from cupy.cuda import nccl`` find the stand-in's (without this call it raises
    ImportError, as in a CuPy built without NCCL); with ``library=False``, a module that says
    ``available = False`` and has nothing else, as CuPy's where the NCCL library is missing
    (a pip wheel's)."""
    module = nccl if library else types.SimpleNamespace(available=False)
    cuda.nccl = module
    sys.modules["cupy.cuda"] = cuda  # type: ignore[assignment]
    sys.modules["cupy.cuda.nccl"] = module  # type: ignore[assignment]


def __getattr__(name: str) -> Any:
    attribute = getattr(np, name)
    if isinstance(attribute, np.ufunc):
        return _Ufunc(attribute)
    if callable(attribute) and not isinstance(attribute, type):
        return _on_gpu(attribute)
    return attribute


_this = sys.modules[__name__]
