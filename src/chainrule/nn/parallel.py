"""``nn.parallel.DistributedDataParallel``: the same model on every process, each computing
gradients on its share of a global batch, averaged across processes after ``backward()``.

The average is weighted by samples. One small allreduce first sums every process's count
``n_r`` into the global batch's ``N``; then each process scales its gradient (the mean over
its share) by its share of the samples, ``n_r / N``, and one allreduce sums them: the mean
gradient of the global batch. So a global batch split unevenly (the last of an epoch) gives
the gradient one process computes on the whole batch, up to float rounding; where the shares
are equal and their number a power of two, the scaling is exact and the result is the plain
mean of the processes' gradients to the last bit. Every process receives the same sums, so
all hold the same bits.
"""

from __future__ import annotations

import operator
import time
from typing import Any

import numpy as np

from .. import distributed
from .._backend import device_of, xp_of
from ..function import Function, is_grad_enabled, queue_after_backward
from ..tensor import Tensor, wrap
from .module import Module


class _Reducer:
    """The gradients of ``params`` averaged across processes, one allreduce per dtype and
    device (a float32 model: one per step). Where the gradients already lie end to end in
    one array, as a compiled step keeps them (``replay.flat``), that array is scaled and
    travels as it is; else they are packed into a flat buffer of the reducer's own, scaled
    on the way, and unpacked after. A GPU buffer is packed on its GPU and travels through
    NCCL, GPU to GPU, or through host memory (``distributed.gpu_transport``). ``seconds``:
    time spent in the allreduce."""

    def __init__(self, names: list[str], params: list[Tensor]) -> None:
        self.names = names
        self.params = params
        by_kind: dict[Any, list[int]] = {}
        for index, p in enumerate(params):
            by_kind.setdefault((p.data.dtype, str(device_of(p.data))), []).append(index)
        self.buffers: list[tuple[Any, list[tuple[int, int, int]]]] = []
        for indices in by_kind.values():
            spans, start = [], 0
            for index in indices:
                size = params[index].data.size
                spans.append((index, start, start + size))
                start += size
            first = params[indices[0]].data
            self.buffers.append((xp_of(first).empty(start, first.dtype), spans))
        self.shares: dict[int, _Share] = {}
        self.laid: dict[int, tuple[list[Any], Any]] = {}
        self.seconds = 0.0

    def share(self, samples: int) -> _Share:
        """The effect for a share of ``samples`` samples: one object per size, so that a
        compiled step (whose batch size is fixed) keeps calling the same one."""
        if samples not in self.shares:
            self.shares[samples] = _Share(self, samples)
        return self.shares[samples]

    def reduce(self, grads: list[Any], samples: int) -> None:
        """Replace ``grads`` (of ``params``, in order), in place, by the sample-weighted mean
        of every process's."""
        for name, g in zip(self.names, grads, strict=True):
            if g is None:
                raise distributed.DistributedError(
                    f"DistributedDataParallel: the parameter {name} has no gradient after "
                    "backward(); every process must use every parameter that requires one"
                )
        started = time.perf_counter()  # the counts' allreduce is where a faster process waits
        total = int(distributed.sum_over_ranks([samples])[0])
        self.seconds += time.perf_counter() - started
        if not total:
            raise distributed.DistributedError(
                "DistributedDataParallel: no process had samples in this step; a step needs "
                "at least one sample in the global batch",
                on_every_rank=True,
            )
        for position, (buffer, spans) in enumerate(self.buffers):
            views = [grads[index] for index, _, _ in spans]
            flat = self._laid_end_to_end(position, views)
            share = buffer.dtype.type(samples / total)
            if flat is None:
                for g, (_, start, stop) in zip(views, spans, strict=True):
                    _scale(g, share, buffer[start:stop].reshape(g.shape))
            else:
                _scale(flat, share, flat)
            started = time.perf_counter()
            distributed.all_reduce(buffer if flat is None else flat)
            self.seconds += time.perf_counter() - started
            if flat is None:
                for g, (_, start, stop) in zip(views, spans, strict=True):
                    g[...] = buffer[start:stop].reshape(g.shape)

    def _laid_end_to_end(self, position: int, views: list[Any]) -> Any:
        """The one flat NumPy array that ``views`` (the gradients of buffer ``position``'s
        parameters) are, in order, end to end and covering all of it, or None. A compiled
        step passes the same views every time: they are looked at once."""
        seen, flat = self.laid.get(position, ((), None))
        if len(seen) == len(views) and all(map(operator.is_, seen, views)):
            return flat
        flat = _laid_end_to_end(views)
        if flat is not None:  # kept only then: eager gradients are not held past their step
            self.laid[position] = views, flat
        return flat


def _laid_end_to_end(arrays: list[Any]) -> Any:
    """The one flat NumPy array that ``arrays`` are views of, in order, end to end and
    covering all of it, or None."""
    base = arrays[0].base
    if type(base) is not np.ndarray or base.ndim != 1 or not base.flags.c_contiguous:
        return None
    address = base.__array_interface__["data"][0]
    for a in arrays:
        if a.base is not base or not a.flags.c_contiguous:
            return None
        if a.__array_interface__["data"][0] != address:
            return None
        address += a.nbytes
    return base if address == base.__array_interface__["data"][0] + base.nbytes else None


def _scale(g: Any, share: Any, out: Any) -> None:
    """``out`` = ``g`` times ``share`` (of the global batch's samples: 0 gives zeros, whatever
    ``g`` holds; 1, a process alone, leaves ``g`` as it is)."""
    if share == 1:
        if out is not g:
            out[...] = g
    elif share:
        xp_of(g).multiply(g, share, out=out)
    else:
        out[...] = 0


class _Share:
    """The allreduce of one process's gradients from a share of ``samples`` samples: the
    effect the backward walk runs once it has finished (``queue_after_backward``)."""

    def __init__(self, reducer: _Reducer, samples: int) -> None:
        self.reducer = reducer
        self.samples = samples

    def __call__(self, grads: list[Any]) -> None:
        self.reducer.reduce(grads, self.samples)

    def __repr__(self) -> str:
        return f"<allreduce of gradients from {self.samples} samples>"


class _SyncGradients(Function):
    """y = x; its backward queues the allreduce of the model's gradients for the end of the
    walk, when every gradient is complete."""

    formula = "dx = g (then the gradients are averaged across processes)"
    makes_views = True
    replay_on_gpu = True  # its forms write nothing NumPy-specific

    @staticmethod
    def forward(ctx: Function, x: Any, share: _Share) -> Any:
        ctx.share = share
        return x.view()

    @staticmethod
    def backward(ctx: Function, g: Any) -> tuple[Any, None]:
        queue_after_backward(ctx.share, ctx.share.reducer.params)
        return g, None

    @staticmethod
    def replay_forward(e: Any, op: Any) -> None:
        """``cr.compile``'s replay: the view; the allreduce is replayed where the walk ran
        it, after the backward (``replay.build``)."""
        y = e.local("v")
        e.line(f"{y} = {e.arg(op, 0)}.view()")
        e.out(op, y)

    @staticmethod
    def replay_backward(e: Any, op: Any, g: str, into: list, grads: list) -> list:
        return [g, None]


class DistributedDataParallel(Module):
    """``module`` trained data-parallel: in every process, ``loss.backward()`` of a loss
    computed from this wrapper's output leaves in each parameter's ``.grad`` the average of
    every process's gradient, weighted by the samples each had (the first dimension of
    forward's first tensor argument). Then every process takes the same optimizer step and
    all stay identical.

    Made in every process after ``cr.distributed.init_process_group()``: it checks that all
    have the same parameter and buffer names, shapes and dtypes, and the same parameters
    requiring gradients (one line naming the mismatch, on every process, if not), and copies
    rank 0's values to the others. The
    optimizer's state is each process's own: give every process rank 0's with
    ``cr.distributed.broadcast_optimizer_state``. Works under ``cr.compile``: the allreduce
    is part of the replayed step. On a GPU, gradients travel through NCCL where CuPy has it,
    else through host memory.
    """

    def __init__(self, module: Module) -> None:
        super().__init__()
        self.module = module
        named = list(module.named_parameters())
        buffers = list(module.named_buffers())
        distributed.check_same_layout([*named, *buffers], "the model's parameters and buffers")
        trained = [(name, p) for name, p in named if p.requires_grad]
        # The gradient buffer holds these alone: another set on one rank would misalign it.
        distributed.check_same_layout(trained, "the parameters that require gradients")
        for _, tensor in [*named, *buffers]:
            distributed.broadcast(tensor, src=0)
        self._reducer = _Reducer([name for name, _ in trained], [p for _, p in trained])

    @property
    def allreduce_seconds(self) -> float:
        """Seconds this process has spent inside the gradient allreduce (waiting included);
        through NCCL, the seconds to queue it on the GPU's stream, which runs it later."""
        return self._reducer.seconds

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        out = self.module(*inputs, **kwargs)
        if not is_grad_enabled() or not self._reducer.params:
            return out
        if not isinstance(out, Tensor):
            raise TypeError(
                "DistributedDataParallel: the module must return one tensor, got "
                f"{type(out).__name__}"
            )
        first = next((x for x in (*inputs, *kwargs.values()) if isinstance(x, Tensor)), None)
        if first is None or not first.shape:
            raise TypeError("DistributedDataParallel: forward needs a batch tensor argument")
        return _SyncGradients.apply(out, self._reducer.share(len(first)))

    def join_without_samples(self) -> None:
        """Take part in a step with no samples (a process whose share of a small last batch
        is empty), instead of forward and backward: its gradients become the average of the
        other processes'. Then take the optimizer step as usual."""
        grads = []
        for p in self._reducer.params:
            if p.grad is None:
                p.grad = wrap(xp_of(p.data).zeros_like(p.data))
            grads.append(p.grad.data)
        self._reducer.reduce(grads, 0)
