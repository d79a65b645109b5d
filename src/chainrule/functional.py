"""Stateless functions for building networks: activations, the linear map, and losses.

``import chainrule.functional as F``, as in PyTorch. Layers in ``chainrule.nn`` call these.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._backend import as_array, xp_of
from .ops.conv import Conv2d, MaxPool2d
from .ops.dropout import Dropout
from .ops.linear import Linear
from .ops.loss import BCEWithLogits, BinaryCrossEntropy, MeanSquaredError, SoftmaxCrossEntropy
from .promotion import promote_types
from .tensor import Tensor, wrap
from .versions import borrow_versions

_REDUCTIONS = ("mean", "sum", "none")


def _not_a_tensor(where: str, argument: str, value: Any) -> TypeError:
    """The error for a list, array or number passed where ``where`` needs a Tensor."""
    return TypeError(
        f"{where}: argument {argument!r} must be a Tensor, not {type(value).__name__}; "
        "make one with cr.tensor(...)"
    )


def _check_tensor(where: str, argument: str, value: Any) -> None:
    if not isinstance(value, Tensor):
        raise _not_a_tensor(where, argument, value)


def relu(x: Tensor) -> Tensor:
    _check_tensor("relu", "x", x)
    return x.relu()


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    _check_tensor("leaky_relu", "x", x)
    return x.leaky_relu(negative_slope)


def sigmoid(x: Tensor) -> Tensor:
    _check_tensor("sigmoid", "x", x)
    return x.sigmoid()


def tanh(x: Tensor) -> Tensor:
    _check_tensor("tanh", "x", x)
    return x.tanh()


def softmax(x: Tensor, dim: int = -1) -> Tensor:
    _check_tensor("softmax", "x", x)
    return x.softmax(dim)


def log_softmax(x: Tensor, dim: int = -1) -> Tensor:
    _check_tensor("log_softmax", "x", x)
    return x.log_softmax(dim)


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weight.T + bias, in one op;  x (..., in), weight (out, in), bias (out,)."""
    _check_tensor("linear", "x", x)
    if x.shape[-1:] != weight.shape[1:]:
        raise ValueError(
            f"linear: input of shape {x.shape} does not fit weight of shape {weight.shape}; "
            f"the input's last dimension must be {weight.shape[1]}"
        )
    return Linear.apply(x, weight, bias)


def one_hot(labels: Tensor, num_classes: int) -> Tensor:
    """Class indices (N,) as rows of an identity matrix (N, num_classes), float32, on the
    labels' device."""
    indices = as_array(labels.data if isinstance(labels, Tensor) else labels)
    return wrap(xp_of(indices).eye(num_classes, dtype=np.float32)[indices])


# ------------------------------------------------------------------------------ losses


def _check_reduction(reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, not {reduction!r}")


def _check_loss_args(loss: str, name: str, prediction: Any, target: Any, reduction: str) -> None:
    """Raise unless ``prediction`` (the argument called ``name``) and ``target`` are Tensors,
    as PyTorch requires (a list or an array is refused, naming what to pass), and
    ``reduction`` is known."""
    if isinstance(prediction, Tensor) and isinstance(target, Tensor) and reduction in _REDUCTIONS:
        return  # the usual case, without the calls that say what is wrong
    _check_tensor(loss, name, prediction)
    _check_tensor(loss, "target", target)
    _check_reduction(reduction)


def _check_floating(loss: str, argument: str, tensor: Tensor) -> None:
    if tensor.dtype.kind != "f":
        raise RuntimeError(
            f"{loss}: {argument} must be floating point, not {tensor.dtype}; "
            "convert it with .float()"
        )


def _check_same_shape(loss: str, prediction: Tensor, target: Tensor) -> None:
    if prediction.shape != target.shape:
        raise ValueError(
            f"{loss}: prediction has shape {prediction.shape} but target has shape "
            f"{target.shape}; they must match"
        )


def _reduce(per_element: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        if not per_element.numel():  # NaN, silently, as in PyTorch (NumPy's mean would warn)
            return per_element.sum() * math.nan
        return per_element.mean()
    if reduction == "sum":
        return per_element.sum()
    return per_element


def mse_loss(prediction: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean squared error: reduce((prediction - target)²), in the dtype PyTorch promotes the
    two to (float32 with an int64 target stays float32; with a float64 one, float64)."""
    _check_loss_args("mse_loss", "prediction", prediction, target, reduction)
    p, t = prediction.data, target.data
    if p.shape != t.shape:
        _check_same_shape("mse_loss", prediction, target)
    if p.dtype != t.dtype:
        dtype = promote_types(p.dtype, t.dtype)
        prediction, target = _converted(prediction, dtype), _converted(target, dtype)
        p = prediction.data
    if p.dtype.kind != "f":
        _check_floating("mse_loss", "prediction or target", prediction)
    return MeanSquaredError.apply(prediction, target, reduction)


def _converted(tensor: Tensor, dtype: Any) -> Tensor:
    """``tensor`` in ``dtype``, in the graph; a copy counts the original's versions, as
    PyTorch's op saves the original (its backward refuses one changed in place since)."""
    converted = tensor.to(dtype)
    if converted is not tensor:
        borrow_versions(converted.data, tensor.data)
    return converted


def binary_cross_entropy(prediction: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """-(t log p + (1 - t) log(1 - p)) for probabilities p; each log is clamped at -100 as in
    PyTorch, so p = 0 or 1 gives a large finite loss and a finite gradient. A p or a target
    outside [0, 1] (or NaN) is refused, as PyTorch does, and so is a target of another
    dtype."""
    _check_loss_args("binary_cross_entropy", "prediction", prediction, target, reduction)
    _check_same_shape("binary_cross_entropy", prediction, target)
    _check_floating("binary_cross_entropy", "prediction", prediction)
    if target.dtype != prediction.dtype:
        raise RuntimeError(
            f"binary_cross_entropy: target is {target.dtype} but prediction is "
            f"{prediction.dtype}; they must have the same dtype: convert the target with "
            ".to(prediction.dtype)"
        )
    _check_bce_inputs(prediction.data, target.data)
    return BinaryCrossEntropy.apply(prediction, target, reduction)


def _check_bce_inputs(prediction: Any, target: Any) -> None:
    """Raise unless every element of the arrays ``prediction`` and ``target`` lies in [0, 1],
    as PyTorch's BCE requires (``cr.compile``'s replay makes the same check)."""
    _check_probabilities(
        "prediction",
        prediction,
        "pass probabilities (after a sigmoid), or logits to binary_cross_entropy_with_logits",
    )
    _check_probabilities("target", target, "pass probabilities, or labels 0 and 1")


def _check_probabilities(argument: str, values: Any, advice: str) -> None:
    """Raise unless every element of the array ``values`` lies in [0, 1]."""
    inside = (values >= 0) & (values <= 1)  # False for NaN too
    if not inside.all():
        raise ValueError(
            f"binary_cross_entropy: all elements of the {argument} should be between 0 and 1, "
            f"found {values[~inside].reshape(-1)[0].item()}; {advice}"
        )


def binary_cross_entropy_with_logits(
    logits: Tensor, target: Tensor, reduction: str = "mean"
) -> Tensor:
    """Binary cross-entropy of sigmoid(logits), computed stably in one op. The target must be
    floating point; the loss has its dtype, as in PyTorch (float64 logits with a float32
    target give a float32 loss)."""
    loss = "binary_cross_entropy_with_logits"
    _check_loss_args(loss, "logits", logits, target, reduction)
    _check_same_shape(loss, logits, target)
    _check_floating(loss, "logits", logits)
    _check_floating(loss, "target", target)
    return BCEWithLogits.apply(logits, target, reduction)


def cross_entropy(logits: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy of logits (N, C) against class indices (N,) or class
    probabilities (N, C): -sum_c target_nc * log softmax(logits_n)_c for any weights
    target_nc, as in PyTorch, fused so that its gradient is (softmax - target) / N when each
    row of the target sums to 1. With probabilities the loss is in the dtype PyTorch
    promotes the two to."""
    _check_loss_args("cross_entropy", "logits", logits, target, reduction)
    scores, labels = logits.data, target.data
    if scores.ndim != 2:
        raise ValueError(f"cross_entropy: logits must have shape (N, C), not {scores.shape}")
    if scores.dtype.kind != "f":
        _check_floating("cross_entropy", "logits", logits)
    if labels.shape == scores.shape and labels.dtype.kind == "f":
        return SoftmaxCrossEntropy.apply(logits, target, reduction)
    _check_class_indices("cross_entropy", scores.shape, labels, probabilities_too=True)
    return SoftmaxCrossEntropy.apply(logits, labels, reduction)


def nll_loss(log_probs: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class indices (N,) under log-probabilities (N, C)."""
    _check_loss_args("nll_loss", "log_probs", log_probs, target, reduction)
    if log_probs.ndim != 2:
        raise ValueError(f"nll_loss: input must have shape (N, C), not {log_probs.shape}")
    _check_floating("nll_loss", "log_probs", log_probs)
    labels = target.data
    _check_class_indices("nll_loss", log_probs.shape, labels, probabilities_too=False)
    return _reduce(-log_probs[xp_of(labels).arange(len(labels)), labels], reduction)


def _check_class_indices(
    loss: str, shape: tuple[int, ...], labels: Any, probabilities_too: bool
) -> None:
    """Raise unless ``labels`` are class indices (N,) in range for scores of ``shape`` (N, C);
    the message offers probabilities (N, C) as well when the loss takes them (``cr.compile``'s
    replay makes the same check)."""
    n, classes = shape
    if labels.shape != (n,) or labels.dtype.kind not in "iu":
        alternative = f" or probabilities of shape {shape}" if probabilities_too else ""
        raise ValueError(
            f"{loss}: target must be class indices of shape ({n},){alternative}, "
            f"not {labels.dtype} of shape {labels.shape}"
        )
    if labels.size:
        low, high = labels.min(), labels.max()  # methods: CuPy's ufuncs may lack reduce
        if low < 0 or high >= classes:
            raise ValueError(
                f"{loss}: class index {int(high if high >= classes else low)} is out of range "
                f"for {classes} classes"
            )


# ------------------------------------------------------------------------------ images


def _pair(value: int | tuple[int, int], name: str) -> tuple[int, int]:
    """``3`` and ``(3, 3)`` both mean 3 rows and 3 columns (of a kernel, stride or padding)."""
    pair = (value, value) if isinstance(value, int | np.integer) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, int | np.integer) for v in pair):
        raise TypeError(f"{name} must be an int or a pair of ints, not {value!r}")
    return int(pair[0]), int(pair[1])


def _check_window(
    op: str,
    shape: tuple[int, ...],
    kernel: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
) -> None:
    """Raise if a sliding window cannot run over an input of ``shape`` (N, C, H, W)."""
    if min(kernel) < 1 or min(stride) < 1:
        raise ValueError(f"{op}: kernel size and stride must be positive, got {kernel}, {stride}")
    if min(padding) < 0:
        raise ValueError(f"{op}: padding must be non-negative, got {padding}")
    height, width = shape[2] + 2 * padding[0], shape[3] + 2 * padding[1]
    if kernel[0] > height or kernel[1] > width:
        raise ValueError(
            f"{op}: kernel {kernel[0]}×{kernel[1]} is larger than the padded input "
            f"{height}×{width} (input of shape {shape}, padding {padding})"
        )


def conv2d(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
) -> Tensor:
    """2-D convolution (a cross-correlation, as in PyTorch), in one op.

    x (N, C, H, W), weight (O, C, kH, kW), bias (O,) -> (N, O, OH, OW), where
    OH = (H + 2·padding - kH) // stride + 1 and so for OW; ``stride`` and ``padding`` are
    an int or a (rows, columns) pair. An unbatched input (C, H, W) gives (O, OH, OW).
    """
    _check_tensor("conv2d", "x", x)
    if x.ndim == 3:
        return conv2d(x.unsqueeze(0), weight, bias, stride, padding).squeeze(0)
    if weight.ndim != 4:
        raise ValueError(
            f"conv2d: weight must have shape (out_channels, in_channels, kH, kW), "
            f"not {weight.shape}"
        )
    if x.ndim != 4 or x.shape[1] != weight.shape[1]:
        raise ValueError(
            f"conv2d: weight of shape {weight.shape} expects input (N, {weight.shape[1]}, H, W), "
            f"got {x.shape}"
        )
    if bias is not None and bias.shape != weight.shape[:1]:
        raise ValueError(
            f"conv2d: bias of shape {bias.shape} does not fit weight of shape {weight.shape}; "
            f"it must be ({weight.shape[0]},)"
        )
    stride, padding = _pair(stride, "stride"), _pair(padding, "padding")
    _check_window("conv2d", x.shape, weight.shape[2:], stride, padding)
    return Conv2d.apply(x, weight, bias, stride, padding)


def max_pool2d(
    x: Tensor,
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] | None = None,
    padding: int | tuple[int, int] = 0,
) -> Tensor:
    """The maximum of each kH×kW window: x (N, C, H, W) -> (N, C, OH, OW), with
    OH = (H + 2·padding - kH) // stride + 1; ``stride`` defaults to the kernel size.

    The gradient of each window goes to its first maximum (row-major), as in PyTorch.
    Padding counts as -inf and may be at most half the kernel. (C, H, W) gives (C, OH, OW).
    """
    _check_tensor("max_pool2d", "x", x)
    if x.ndim == 3:
        return max_pool2d(x.unsqueeze(0), kernel_size, stride, padding).squeeze(0)
    if x.ndim != 4:
        raise ValueError(f"max_pool2d expects input (N, C, H, W) or (C, H, W), got {x.shape}")
    kernel = _pair(kernel_size, "kernel_size")
    stride = kernel if stride is None else _pair(stride, "stride")
    padding = _pair(padding, "padding")
    if 2 * padding[0] > kernel[0] or 2 * padding[1] > kernel[1]:
        raise ValueError(
            f"max_pool2d: padding {padding} must be at most half the kernel size {kernel}"
        )
    _check_window("max_pool2d", x.shape, kernel, stride, padding)
    return MaxPool2d.apply(x, kernel, stride, padding)


# ------------------------------------------------------------------------------ regularisation


def batch_norm(
    x: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel of x (N, C, *) to zero mean and unit variance, then scale by
    ``weight`` (C,) and shift by ``bias`` (C,).

    In training the statistics are the batch's, over every dimension but C (the biased
    variance, as PyTorch), and ``running_mean`` / ``running_var`` (C,), when given, move
    towards them by ``momentum``, in place: running = (1 - momentum)·running +
    momentum·batch, with the unbiased variance for ``running_var``. Otherwise the running
    statistics are used. Composed from tensor ops (a dozen), so autograd derives the
    gradient through the batch statistics too; a fused op would save a few passes over the
    activations, worth its hand-written backward only if a benchmark shows it matters.
    """
    _check_tensor("batch_norm", "x", x)
    if x.ndim < 2:
        raise ValueError(f"batch_norm expects input (N, C) or (N, C, *), got {x.shape}")
    channels = x.shape[1]
    axes = (0, *range(2, x.ndim))
    shape = (1, channels) + (1,) * (x.ndim - 2)
    per_channel = {
        "running_mean": running_mean,
        "running_var": running_var,
        "weight": weight,
        "bias": bias,
    }
    for name, tensor in per_channel.items():
        if tensor is not None and tensor.shape != (channels,):
            raise ValueError(
                f"batch_norm: {name} of shape {tensor.shape} does not fit input of shape "
                f"{x.shape}; it must be ({channels},)"
            )
    if training:
        count = x.data.size // channels
        if count < 2:
            raise ValueError(
                f"batch_norm in training needs more than 1 value per channel, got input of "
                f"shape {x.shape}"
            )
        mean = x.mean(axes, keepdim=True)
        centred = x - mean
        var = (centred * centred).mean(axes, keepdim=True)
        y = centred / (var + eps).sqrt()
        if running_mean is not None:
            batch_mean = mean.data.reshape(channels)
            running_mean.data[...] = (1 - momentum) * running_mean.data + momentum * batch_mean
        if running_var is not None:
            unbiased = var.data.reshape(channels) * (count / (count - 1))
            running_var.data[...] = (1 - momentum) * running_var.data + momentum * unbiased
    else:
        if running_mean is None or running_var is None:
            raise ValueError(
                "batch_norm outside training needs running_mean and running_var; "
                "pass them, or training=True to use the batch's statistics"
            )
        std = xp_of(running_var.data).sqrt(running_var.data + eps)
        y = (x - running_mean.data.reshape(shape)) / std.reshape(shape)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1 / (1 - p), so the
    expected value is unchanged; the identity outside training or when p is 0.

    The mask is drawn on x's device from its seeded generator (``cr.manual_seed``); p = 1
    gives zeros.
    """
    _check_tensor("dropout", "x", x)
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0.0
    return Dropout.apply(x, p)
