"""Stateless functions for building networks: activations, the linear map, and losses.

``import chainrule.functional as F``, as in PyTorch. Layers in ``chainrule.nn`` call these.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._backend import is_floating
from .ops.linear import Linear
from .ops.loss import BCEWithLogits, BinaryCrossEntropy, SoftmaxCrossEntropy
from .tensor import Tensor

_REDUCTIONS = ("mean", "sum", "none")


def relu(x: Tensor) -> Tensor:
    return x.relu()


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    return x.leaky_relu(negative_slope)


def sigmoid(x: Tensor) -> Tensor:
    return x.sigmoid()


def tanh(x: Tensor) -> Tensor:
    return x.tanh()


def softmax(x: Tensor, dim: int = -1) -> Tensor:
    return x.softmax(dim)


def log_softmax(x: Tensor, dim: int = -1) -> Tensor:
    return x.log_softmax(dim)


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weight.T + bias, in one op;  x (..., in), weight (out, in), bias (out,)."""
    if x.shape[-1:] != weight.shape[1:]:
        raise ValueError(
            f"linear: input of shape {x.shape} does not fit weight of shape {weight.shape}; "
            f"the input's last dimension must be {weight.shape[1]}"
        )
    return Linear.apply(x, weight, bias)


def one_hot(labels: Tensor, num_classes: int) -> Tensor:
    """Class indices (N,) as rows of an identity matrix (N, num_classes), float32."""
    indices = np.asarray(labels.data if isinstance(labels, Tensor) else labels)
    return Tensor._from_op(np.eye(num_classes, dtype=np.float32)[indices], None)


# ------------------------------------------------------------------------------ losses


def _check_reduction(reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, not {reduction!r}")


def _check_same_shape(loss: str, prediction: Tensor, target: Any) -> None:
    if prediction.shape != np.shape(target):
        raise ValueError(
            f"{loss}: prediction has shape {prediction.shape} but target has shape "
            f"{np.shape(target)}; they must match"
        )


def _reduce(per_element: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return per_element.mean()
    if reduction == "sum":
        return per_element.sum()
    return per_element


def _target_array(target: Any) -> np.ndarray:
    return np.asarray(target.data if isinstance(target, Tensor) else target)


def mse_loss(prediction: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error: reduce((prediction - target)²)."""
    _check_reduction(reduction)
    _check_same_shape("mse_loss", prediction, target)
    return _reduce((prediction - target) ** 2, reduction)


def binary_cross_entropy(prediction: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """-(t log p + (1 - t) log(1 - p)) for probabilities p; each log is clamped at -100 as in
    PyTorch, so p = 0 or 1 gives a large finite loss and a finite gradient."""
    _check_reduction(reduction)
    _check_same_shape("binary_cross_entropy", prediction, target)
    return BinaryCrossEntropy.apply(
        prediction, _target_array(target).astype(prediction.dtype), reduction
    )


def binary_cross_entropy_with_logits(
    logits: Tensor, target: Any, reduction: str = "mean"
) -> Tensor:
    """Binary cross-entropy of sigmoid(logits), computed stably in one op."""
    _check_reduction(reduction)
    _check_same_shape("binary_cross_entropy_with_logits", logits, target)
    return BCEWithLogits.apply(logits, _target_array(target).astype(logits.dtype), reduction)


def cross_entropy(logits: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy of logits (N, C) against class indices (N,) or class
    probabilities (N, C), fused so that its gradient is (softmax - target) / N."""
    _check_reduction(reduction)
    labels = _target_array(target)
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy: logits must have shape (N, C), not {logits.shape}")
    if labels.shape == logits.shape and is_floating(labels.dtype):
        return SoftmaxCrossEntropy.apply(logits, labels.astype(logits.dtype), reduction)
    _check_class_indices("cross_entropy", logits, labels)
    return SoftmaxCrossEntropy.apply(logits, labels, reduction)


def nll_loss(log_probs: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class indices (N,) under log-probabilities (N, C)."""
    _check_reduction(reduction)
    labels = _target_array(target)
    if log_probs.ndim != 2:
        raise ValueError(f"nll_loss: input must have shape (N, C), not {log_probs.shape}")
    _check_class_indices("nll_loss", log_probs, labels)
    return _reduce(-log_probs[np.arange(len(labels)), labels], reduction)


def _check_class_indices(loss: str, scores: Tensor, labels: np.ndarray) -> None:
    n, classes = scores.shape
    if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"{loss}: target must be class indices of shape ({n},) or probabilities of shape "
            f"{scores.shape}, not {labels.dtype} of shape {labels.shape}"
        )
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(
            f"{loss}: class index {int(labels.max() if labels.max() >= classes else labels.min())}"
            f" is out of range for {classes} classes"
        )
