"""The hand-written NumPy reference: each workload's epoch as seed 001/002's matrix formulas,
written out, in float32, with plain functions and arrays (no graph, no objects).

This is the floor for a library on NumPy: the same matrix products a library must do, with
none of its bookkeeping. It is written to be good NumPy, so that the floor is honest: batches
are views, activations and deltas are updated in place, and each gradient is scaled by the
learning rate in place before it is subtracted (``W -= lr * dW`` without a second
temporary). The arithmetic is the library's and PyTorch's (the learning rate multiplies the
gradient, not the delta), so the three losses agree to rounding.

For a batch of n samples, with a = the activations entering a layer and z = a @ W.T + b::

    output delta, MSE after a sigmoid   d = 2 (y - t) / (n · outputs) · y (1 - y)
    output delta, softmax cross-entropy d = (softmax(z) - onehot(t)) / n
    delta one layer back                d' = (d @ W) · f'(z')   (sigmoid: a(1 - a); ReLU: a > 0)
    gradients                           dW = d.T @ a,  db = d summed over the batch
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .inputs import Problem
from .workloads import CNN_KERNEL, Workload

Params = list[np.ndarray]
"""Weight, bias, weight, bias, ... of the layers with parameters, trained in place."""


def _sigmoid_(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z)), computed in z's own memory."""
    np.negative(z, out=z)
    np.exp(z, out=z)
    z += 1
    return np.reciprocal(z, out=z)


def _affine(a: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """z = a @ W.T + b, the bias added in place."""
    z = a @ w.T
    z += b
    return z


def _softmax_(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax in z's own memory, shifted by each row's maximum for stability."""
    z -= z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def _ce_delta_(z: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(softmax(z) - onehot(labels)) / n, in z's own memory."""
    p = _softmax_(z)
    p[np.arange(len(labels)), labels] -= 1
    p *= 1 / len(labels)
    return p


def _mse_delta(y: np.ndarray, t: np.ndarray) -> np.ndarray:
    """2 (y - t) / y.size · y (1 - y): the MSE (mean over every element) through a sigmoid."""
    d = y - t
    d *= 2 / y.size
    d *= y
    d *= 1 - y
    return d


def _step_(w: np.ndarray, b: np.ndarray, d: np.ndarray, a: np.ndarray, lr: float) -> None:
    """W -= lr · d.T @ a;  b -= lr · Σ d, in place."""
    dw = d.T @ a
    dw *= lr
    w -= dw
    db = d.sum(axis=0)
    db *= lr
    b -= db


def _sigmoid_mse_epoch(p: Params, x: np.ndarray, t: np.ndarray, lr: float, batch: int) -> None:
    """Workloads (a) and (e): sigmoid hidden and output layers, MSE."""
    w1, b1, w2, b2 = p
    for start in range(0, len(x), batch):
        xb, tb = x[start : start + batch], t[start : start + batch]
        a1 = _sigmoid_(_affine(xb, w1, b1))
        y = _sigmoid_(_affine(a1, w2, b2))
        d2 = _mse_delta(y, tb)
        d1 = d2 @ w2
        d1 *= a1
        d1 *= 1 - a1
        _step_(w2, b2, d2, a1, lr)
        _step_(w1, b1, d1, xb, lr)


def _sigmoid_ce_epoch(p: Params, x: np.ndarray, t: np.ndarray, lr: float, batch: int) -> None:
    """Workload (b): a sigmoid hidden layer, softmax cross-entropy of the output logits."""
    w1, b1, w2, b2 = p
    for start in range(0, len(x), batch):
        xb, tb = x[start : start + batch], t[start : start + batch]
        a1 = _sigmoid_(_affine(xb, w1, b1))
        d2 = _ce_delta_(_affine(a1, w2, b2), tb)
        d1 = d2 @ w2
        d1 *= a1
        d1 *= 1 - a1
        _step_(w2, b2, d2, a1, lr)
        _step_(w1, b1, d1, xb, lr)


def _relu_ce_epoch(p: Params, x: np.ndarray, t: np.ndarray, lr: float, batch: int) -> None:
    """Workload (c): two ReLU hidden layers, softmax cross-entropy of the output logits."""
    w1, b1, w2, b2, w3, b3 = p
    for start in range(0, len(x), batch):
        xb, tb = x[start : start + batch], t[start : start + batch]
        a1 = np.maximum(_affine(xb, w1, b1), 0)
        a2 = np.maximum(_affine(a1, w2, b2), 0)
        d3 = _ce_delta_(_affine(a2, w3, b3), tb)
        d2 = d3 @ w3
        d2 *= a2 > 0
        d1 = d2 @ w2
        d1 *= a1 > 0
        _step_(w3, b3, d3, a2, lr)
        _step_(w2, b2, d2, a1, lr)
        _step_(w1, b1, d1, xb, lr)


def _im2col(x: np.ndarray) -> np.ndarray:
    """The 3×3 windows of x (n, 1, 28, 28) as columns (9, 4·n·13·13), in one copy of a strided
    view. The 26×26 window positions are ordered by their place in their 2×2 pooling block
    first, (row parity, column parity, n, row // 2, column // 2), so that after the
    convolution the four candidates of every pooling window lie in four contiguous blocks."""
    n, side = len(x), x.shape[-1] - CNN_KERNEL + 1
    windows = sliding_window_view(x[:, 0], (CNN_KERNEL, CNN_KERNEL), axis=(1, 2))
    windows = windows.reshape(n, side // 2, 2, side // 2, 2, CNN_KERNEL, CNN_KERNEL)
    return np.ascontiguousarray(windows.transpose(5, 6, 2, 4, 0, 1, 3)).reshape(CNN_KERNEL**2, -1)


def _cnn_forward(p: Params, x: np.ndarray) -> tuple[np.ndarray, ...]:
    """Convolution as one matrix product over all windows, ReLU, 2×2 max pooling as the
    maximum of four blocks, flattening in PyTorch's (channel, row, column) order, the linear
    layer.

    Returns the columns (9, 4·n·169), the ReLU'd maps (8, 4, n, 13, 13), the pooled maps
    (8, n, 13, 13), the flattened features (n, 1352) and the logits (n, 10).
    """
    wc, bc, wl, bl = p
    n, half = len(x), (x.shape[-1] - CNN_KERNEL + 1) // 2
    cols = _im2col(x)
    maps = wc.reshape(len(wc), -1) @ cols
    maps += bc[:, None]
    np.maximum(maps, 0, out=maps)
    maps = maps.reshape(len(wc), 4, n, half, half)
    pooled = np.maximum(maps[:, 0], maps[:, 1])
    for k in (2, 3):
        np.maximum(pooled, maps[:, k], out=pooled)
    features = pooled.transpose(1, 0, 2, 3).reshape(n, -1)
    return cols, maps, pooled, features, _affine(features, wl, bl)


def _cnn_epoch(p: Params, x: np.ndarray, t: np.ndarray, lr: float, batch: int) -> None:
    """Workload (d). Max pooling's gradient goes to every candidate equal to its window's
    maximum, and ReLU's to none where that maximum is 0. PyTorch picks the first of tied
    maxima instead; the two differ only where two float32 convolution outputs of one window
    are exactly equal and positive: once in the 60,000 images of the full epoch."""
    wc, bc, wl, bl = p
    for start in range(0, len(x), batch):
        xb, tb = x[start : start + batch], t[start : start + batch]
        cols, maps, pooled, features, logits = _cnn_forward(p, xb)
        d = _ce_delta_(logits, tb)
        channels, n, half, _ = pooled.shape
        d_pooled = (d @ wl).reshape(n, channels, half, half).transpose(1, 0, 2, 3)
        d_pooled *= pooled > 0
        d_maps = np.empty_like(maps)
        for k in range(4):
            np.equal(maps[:, k], pooled, out=d_maps[:, k])
        d_maps *= d_pooled[:, None]
        _step_(wl, bl, d, features, lr)
        _step_(wc.reshape(channels, -1), bc, d_maps.reshape(channels, -1).T, cols.T, lr)


_EPOCHS = {
    ("vectors", "sigmoid", "mse"): _sigmoid_mse_epoch,
    ("xor", "sigmoid", "mse"): _sigmoid_mse_epoch,
    ("vectors", "sigmoid", "ce"): _sigmoid_ce_epoch,
    ("vectors", "relu", "ce"): _relu_ce_epoch,
    ("images", "relu", "ce"): _cnn_epoch,
}


def _kind(workload: Workload) -> tuple[str, str, str]:
    return workload.data, workload.plan[1].kind, workload.loss


def prepare_data(workload: Workload, problem: Problem) -> tuple[np.ndarray, np.ndarray]:
    """The arrays themselves: the epoch slices them in order."""
    return problem.inputs, problem.targets


def build(workload: Workload, problem: Problem) -> Params:
    """Fresh, writable copies of the initial weights."""
    return [array.copy() for pair in problem.weights for array in pair]


def train_epoch(workload: Workload, params: Params, data: Any) -> None:
    """One epoch of SGD on ``data`` = (inputs, targets), in order, updating ``params``."""
    x, t = data
    _EPOCHS[_kind(workload)](params, x, t, workload.lr, workload.batch)


def evaluation_loss(workload: Workload, params: Params, x: np.ndarray, t: np.ndarray) -> float:
    """The mean loss of the network on (x, t), as the library's and PyTorch's losses define it."""
    if workload.data == "images":
        logits = _cnn_forward(params, x)[-1]
    else:
        a = x
        for i in range(0, len(params), 2):
            a = _affine(a, params[i], params[i + 1])
            if i + 2 < len(params) or workload.loss == "mse":
                a = _sigmoid_(a) if workload.plan[1].kind == "sigmoid" else np.maximum(a, 0)
        if workload.loss == "mse":
            return float(np.mean((a - t) ** 2))
        logits = a
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(t)), t].mean())
