"""Convolution and max pooling over images (N, C, H, W), without a loop over pixels.

A kh×kw window at stride (sh, sw) visits every output position. ``_im2col`` lays each
window out as a column, one strided copy per kernel offset, so the convolution becomes one
matrix product with the weight flattened to (out, C·kh·kw). Going back, ``_col2im`` adds
each kernel offset's gradients onto the input with one strided add: kh·kw array calls
each way, on the CPU or the GPU alike. Max pooling walks the same kernel offsets,
comparing all windows at once. ``stride`` and ``padding`` are pairs (rows, columns) here;
``chainrule.functional`` checks and normalises what the user passes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .._backend import xp_of
from ..function import Function

Pair = tuple[int, int]


def _offsets(kernel: Pair, stride: Pair, out_size: Pair) -> Iterator[tuple[slice, slice]]:
    """For each kernel offset (i, j), row-major: the rows and columns of the padded input that
    offset (i, j) of every window covers, i, i + sh, ..., one per output row (and so for j)."""
    (kh, kw), (sh, sw), (oh, ow) = kernel, stride, out_size
    for i in range(kh):
        for j in range(kw):
            yield slice(i, i + sh * (oh - 1) + 1, sh), slice(j, j + sw * (ow - 1) + 1, sw)


def _pad(x: Any, padding: Pair, value: float = 0.0) -> Any:
    """``x`` (N, C, H, W) with ``padding`` rows and columns of ``value`` on each side."""
    ph, pw = padding
    if not (ph or pw):
        return x
    return xp_of(x).pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def _unpad(x: Any, padding: Pair) -> Any:
    ph, pw = padding
    if not (ph or pw):
        return x
    return x[:, :, ph : x.shape[2] - ph, pw : x.shape[3] - pw]


def _im2col(x: Any, kernel: Pair, stride: Pair) -> tuple[Any, Pair]:
    """The windows of ``x`` (N, C, H, W) as columns (N, C·kh·kw, OH·OW), and (OH, OW).

    Each kernel offset (i, j) is one strided slice of ``x``, copied into row
    c·kh·kw + i·kw + j of every sample: the order of the flattened weight.
    """
    (kh, kw), (sh, sw) = kernel, stride
    n, c, h, w = x.shape
    out_size = ((h - kh) // sh + 1, (w - kw) // sw + 1)
    cols = xp_of(x).empty((n, c, kh * kw, *out_size), dtype=x.dtype)
    for k, (rows, columns) in enumerate(_offsets(kernel, stride, out_size)):
        cols[:, :, k] = x[:, :, rows, columns]
    return cols.reshape(n, c * kh * kw, out_size[0] * out_size[1]), out_size


def _col2im(cols: Any, shape: tuple[int, ...], kernel: Pair, stride: Pair, out_size: Pair) -> Any:
    """The inverse of ``_im2col`` for gradients: columns (N, C·kh·kw, OH·OW) summed back onto
    an input of ``shape`` (N, C, H, W), where overlapping windows add up."""
    n, c = shape[:2]
    cols = cols.reshape(n, c, kernel[0] * kernel[1], *out_size)
    x = xp_of(cols).zeros(shape, dtype=cols.dtype)
    for k, (rows, columns) in enumerate(_offsets(kernel, stride, out_size)):
        x[:, :, rows, columns] += cols[:, :, k]
    return x


class Conv2d(Function):
    """y[n, o] = Σ_{c,i,j} weight[o, c, i, j] · x_pad[n, c, sh·h + i, sw·w + j] + bias[o].

    x (N, C, H, W), weight (O, C, kh, kw), bias (O,) or None -> y (N, O, OH, OW), with
    OH = (H + 2·ph - kh) // sh + 1 (and so for OW). The product is the flattened weight
    (O, C·kh·kw) times each sample's columns (C·kh·kw, OH·OW), batched over N in one
    ``matmul`` call, so y comes out in (N, O, OH·OW) order and needs no transpose. The
    columns are kept for the weight's gradient.
    """

    formula = "dW = Σ_n g_n @ cols_nᵀ;  db = Σ g;  dx = col2im(Wᵀ @ g)"
    replay_by_call = True

    @staticmethod
    def forward(ctx: Function, x: Any, weight: Any, bias: Any, stride: Pair, padding: Pair) -> Any:
        padded = _pad(x, padding)
        cols, out_size = _im2col(padded, weight.shape[2:], stride)
        y = weight.reshape(weight.shape[0], -1) @ cols
        if bias is not None:
            y += bias[:, None]
        ctx.save_for_backward(cols, weight)
        ctx.padded_shape, ctx.stride, ctx.padding = padded.shape, stride, padding
        return y.reshape(x.shape[0], weight.shape[0], *out_size)

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, Any, Any, None, None]:
        cols, weight = ctx.saved_tensors
        need_x, need_w, need_b, _, _ = ctx.needs_input_grad
        n, out_channels, oh, ow = g.shape
        g = g.reshape(n, out_channels, oh * ow)
        gw = (g @ cols.transpose(0, 2, 1)).sum(axis=0).reshape(weight.shape) if need_w else None
        gb = g.sum(axis=(0, 2)) if need_b else None
        gx = None
        if need_x:
            gcols = weight.reshape(out_channels, -1).T @ g
            kernel = weight.shape[2:]
            gx = _col2im(gcols, ctx.padded_shape, kernel, ctx.stride, (oh, ow))
            gx = _unpad(gx, ctx.padding)
        return gx, gw, gb, None, None


class MaxPool2d(Function):
    """y[n, c, h, w] = max of the kh×kw window of x_pad at (sh·h, sw·w); padding is -inf.

    x (N, C, H, W) -> y (N, C, OH, OW), OH = (H + 2·ph - kh) // sh + 1. The gradient of each
    window goes to one position, its first maximum in row-major order, as in PyTorch: tied
    maxima do not share it (unlike ``Tensor.max``), so the two libraries' gradients agree.
    NaN propagates to the output (which position then gets the gradient may differ from
    PyTorch's). The windows are compared one kernel offset at a time,
    all windows at once; only the argmax offsets (one small integer per window) are kept.
    When the windows tile the input exactly (stride = kernel, no padding, H and W divisible),
    each input element belongs to one window, and the backward writes it once, unzeroed.
    """

    formula = "dx = g at each window's (first) maximum, else 0"
    replay_by_call = True

    @staticmethod
    def forward(ctx: Function, x: Any, kernel: Pair, stride: Pair, padding: Pair) -> Any:
        padded = _pad(x, padding, -np.inf)
        (kh, kw), (sh, sw) = kernel, stride
        out_size = ((padded.shape[2] - kh) // sh + 1, (padded.shape[3] - kw) // sw + 1)
        offsets = _offsets(kernel, stride, out_size)
        rows, columns = next(offsets)
        best = padded[:, :, rows, columns].copy()
        xp = xp_of(x)
        argmax = xp.zeros(best.shape, dtype=np.min_scalar_type(kh * kw - 1))
        for k, (rows, columns) in enumerate(offsets, start=1):
            candidate = padded[:, :, rows, columns]
            # where(candidate > best, k, argmax) as arithmetic: NumPy's masked writes are
            # several times slower. Strict > keeps the first of tied maxima.
            argmax += (candidate > best) * (k - argmax)
            xp.maximum(best, candidate, out=best)
        ctx.save_for_backward(argmax)
        ctx.input_shape, ctx.kernel, ctx.stride, ctx.padding = x.shape, kernel, stride, padding
        return best

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, None, None, None]:
        (argmax,) = ctx.saved_tensors
        n, c, h, w = ctx.input_shape
        (kh, kw), (ph, pw) = ctx.kernel, ctx.padding
        padded_shape = (n, c, h + 2 * ph, w + 2 * pw)
        tiled = ctx.stride == ctx.kernel and not (ph or pw) and h % kh == 0 and w % kw == 0
        xp = xp_of(g)
        gx = xp.empty(padded_shape, g.dtype) if tiled else xp.zeros(padded_shape, g.dtype)
        for k, (rows, columns) in enumerate(_offsets(ctx.kernel, ctx.stride, g.shape[2:])):
            if tiled:
                xp.multiply(g, argmax == k, out=gx[:, :, rows, columns])
            else:
                gx[:, :, rows, columns] += g * (argmax == k)
        return _unpad(gx, ctx.padding), None, None, None
