"""Batch normalisation: each feature normalised by batch statistics while training, and by
running estimates of them when evaluating."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import functional as F
from .._backend import Device
from ..tensor import Tensor
from .module import Module
from .parameter import Parameter


class BatchNorm1d(Module):
    """y = (x - mean) / sqrt(var + eps) · weight + bias, per feature;  x (N, C) or (N, C, L).

    In training, mean and (biased) var are the batch's, over N (and L), and the buffers
    ``running_mean`` / ``running_var`` move towards them by ``momentum`` (towards the
    unbiased var, as PyTorch does; ``momentum=None`` makes them a plain average over all
    batches so far); ``num_batches_tracked`` counts the batches. In evaluation the running
    statistics are used, unless ``track_running_stats`` is False, which keeps no buffers and
    always uses the batch's. ``weight`` starts at 1 and ``bias`` at 0. State-dict keys
    match PyTorch's. The layer composes tensor ops (``F.batch_norm``) rather than a fused
    op: autograd derives the gradient through the batch statistics, with no hand-written
    backward to get wrong, and batch norm is not in the benchmarked networks; fuse it if a
    benchmark ever shows it costs.
    """

    training_matters = True

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device: str | Device | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        self.weight = Parameter(np.ones(num_features, dtype=np.float32)) if affine else None
        self.bias = Parameter(np.zeros(num_features, dtype=np.float32)) if affine else None
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, np.float32)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, np.float32)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.to(device=device, dtype=dtype)

    def reset_running_stats(self) -> None:
        """Forget the running statistics: mean 0, var 1, no batches tracked."""
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim not in (2, 3) or x.shape[1] != self.num_features:
            raise ValueError(
                f"BatchNorm1d(num_features={self.num_features}) expects input "
                f"(N, {self.num_features}) or (N, {self.num_features}, L), got {x.shape}"
            )
        momentum = self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            if momentum is None:
                momentum = 1 / int(self.num_batches_tracked.data)
        return F.batch_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            training=self.training or not self.track_running_stats,
            momentum=0.0 if momentum is None else momentum,
            eps=self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, track_running_stats={self.track_running_stats}"
        )
