"""chainrule: neural networks by backpropagation, on NumPy, with PyTorch's habits.

>>> import chainrule as cr
>>> x = cr.tensor([[0.05, 0.10]], requires_grad=True)
>>> (x * x).sum().backward()
>>> x.grad
tensor([[0.1, 0.2]])
"""

from . import cuda, data, functional, nn, optim
from ._backend import Device, DeviceError, bool_, float16, float32, float64, int32, int64
from ._backend import Device as device
from .creation import arange, eye, full, ones, ones_like, rand, randn, tensor, zeros, zeros_like
from .function import Function, detect_anomaly, enable_grad, is_grad_enabled, no_grad
from .gradcheck import GradcheckError, gradcheck, numerical_grad
from .random import get_rng_state, manual_seed, set_rng_state
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
    mean,
    min,
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

__version__ = "0.1.0"

__all__ = [
    "Device",
    "DeviceError",
    "Function",
    "GradcheckError",
    "SerializationError",
    "Tensor",
    "__version__",
    "abs",
    "arange",
    "argmax",
    "argmin",
    "bool_",
    "cat",
    "clamp",
    "clip",
    "concatenate",
    "cuda",
    "data",
    "detect_anomaly",
    "device",
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
    "int32",
    "int64",
    "is_grad_enabled",
    "leaky_relu",
    "load",
    "load_checkpoint",
    "load_metadata",
    "log",
    "log_softmax",
    "manual_seed",
    "matmul",
    "max",
    "mean",
    "min",
    "nn",
    "no_grad",
    "numerical_grad",
    "ones",
    "ones_like",
    "optim",
    "permute",
    "rand",
    "randn",
    "relu",
    "reshape",
    "save",
    "save_checkpoint",
    "set_rng_state",
    "sigmoid",
    "softmax",
    "sqrt",
    "squeeze",
    "stack",
    "sum",
    "tanh",
    "tensor",
    "transpose",
    "unsqueeze",
    "where",
    "zeros",
    "zeros_like",
]
