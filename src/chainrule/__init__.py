"""chainrule: neural networks by backpropagation, on NumPy, with PyTorch's habits.

>>> import chainrule as cr
>>> x = cr.tensor([[0.05, 0.10]], requires_grad=True)
>>> (x * x).sum().backward()
>>> x.grad
tensor([[0.1, 0.2]])
"""

# _threads first: it sets the BLAS threads of a process under mpirun before NumPy loads.
from . import _threads, cuda, data, distributed, functional, nn, onnx, optim  # noqa: F401
from ._backend import (
    Device,
    DeviceError,
    bool_,
    double,
    float16,
    float32,
    float64,
    half,
    int8,
    int16,
    int32,
    int64,
    long,
    short,
    uint8,
)
from ._backend import Device as device
from .creation import arange, eye, full, ones, ones_like, rand, randn, tensor, zeros, zeros_like
from .errors import UserError
from .function import Function, detect_anomaly, enable_grad, is_grad_enabled, no_grad
from .gradcheck import GradcheckError, gradcheck, numerical_grad
from .promotion import promote_types, result_type
from .random import get_rng_state, manual_seed, set_rng_state
from .replay import CompileWarning, ReplayMismatch, compile
from .serialization import (
    SerializationError,
    load,
    load_checkpoint,
    load_metadata,
    save,
    save_checkpoint,
)
from .tensor import Tensor
from .tensor_functions import (
    abs,
    argmax,
    argmin,
    cat,
    clamp,
    clip,
    concatenate,
    exp,
    flatten,
    leaky_relu,
    log,
    log_softmax,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    permute,
    relu,
    reshape,
    sigmoid,
    softmax,
    sqrt,
    squeeze,
    stack,
    sum,
    tanh,
    transpose,
    unsqueeze,
    where,
)

# PyTorch's dtype names that are also Python's types: left out of __all__, so that
# ``from chainrule import *`` keeps Python's bool, float and int.
bool = bool_
float = float32
int = int32

__version__ = "0.1.0"

__all__ = [
    "CompileWarning",
    "Device",
    "DeviceError",
    "Function",
    "GradcheckError",
    "ReplayMismatch",
    "SerializationError",
    "Tensor",
    "UserError",
    "__version__",
    "abs",
    "arange",
    "argmax",
    "argmin",
    "bool_",
    "cat",
    "clamp",
    "clip",
    "compile",
    "concatenate",
    "cuda",
    "data",
    "detect_anomaly",
    "device",
    "distributed",
    "double",
    "enable_grad",
    "exp",
    "eye",
    "flatten",
    "float16",
    "float32",
    "float64",
    "full",
    "functional",
    "get_rng_state",
    "gradcheck",
    "half",
    "int8",
    "int16",
    "int32",
    "int64",
    "is_grad_enabled",
    "leaky_relu",
    "load",
    "load_checkpoint",
    "load_metadata",
    "log",
    "log_softmax",
    "long",
    "manual_seed",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "nn",
    "no_grad",
    "numerical_grad",
    "ones",
    "ones_like",
    "onnx",
    "optim",
    "permute",
    "promote_types",
    "rand",
    "randn",
    "relu",
    "reshape",
    "result_type",
    "save",
    "save_checkpoint",
    "set_rng_state",
    "short",
    "sigmoid",
    "softmax",
    "sqrt",
    "squeeze",
    "stack",
    "sum",
    "tanh",
    "tensor",
    "transpose",
    "uint8",
    "unsqueeze",
    "where",
    "zeros",
    "zeros_like",
]
