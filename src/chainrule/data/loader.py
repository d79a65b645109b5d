"""``DataLoader``: a dataset in batches, shuffled afresh each epoch if asked."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .. import random
from .._backend import Device, as_device, device_of, to_device, xp_of
from ..tensor import Tensor, to_array, wrap
from .dataset import Dataset, Subset, TensorDataset

Batch = tuple[Tensor, ...] | Tensor


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size`` samples.

    Each batch stacks the samples' items along a new first dimension: a dataset of
    ``(input, target)`` samples gives ``(inputs, targets)`` tuples of tensors, a dataset of
    single items gives tensors. A ``TensorDataset`` (or a ``Subset`` of one, as
    ``random_split`` makes) is batched by indexing each of its arrays once per batch;
    unshuffled, its batches are views of those arrays, as NumPy slices are, not copies.

    With ``shuffle=True`` each epoch (each ``iter(loader)``) draws a new permutation from
    ``generator``, or from chainrule's global generator when None, at the moment ``iter`` is
    called: ``cr.manual_seed`` makes the order reproducible, and restoring the generator's
    state with ``cr.set_rng_state`` before an epoch repeats that epoch's order. The last
    batch is smaller when ``batch_size`` does not divide the dataset, unless ``drop_last``.

    ``device`` (``"cuda"``, say: the model's device) is where batches are delivered; each
    batch is copied there as it is made. When None, batches stay where the data is.

    ``shard=(rank, world_size)``, for data-parallel training: ``batch_size`` is the global
    batch, and this loader delivers only process ``rank``'s share of each one, a contiguous
    slice (the first ``n % world_size`` processes get one sample more; a share may be empty
    when a batch has fewer samples than processes). Every process must draw the same order:
    the same seed, or the same ``generator``. ``len`` is the number of global batches.
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        generator: np.random.Generator | None = None,
        device: str | Device | None = None,
        shard: tuple[int, int] | None = None,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer):
            raise TypeError(f"batch_size must be a positive integer, got {batch_size!r}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.generator = generator
        self.device = None if device is None else as_device(device)
        if shard is not None and not _is_shard(shard):
            raise ValueError(
                "shard must be (rank, world_size), two ints with 0 <= rank < world_size, "
                f"got {shard!r}"
            )
        self.shard = None if shard is None else (int(shard[0]), int(shard[1]))

    def __len__(self) -> int:
        """The number of batches in one epoch."""
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[Batch]:
        n = len(self.dataset)
        order = None
        if self.shuffle:
            generator = random.default_generator() if self.generator is None else self.generator
            order = generator.permutation(n)
        size = self.batch_size
        bounds = [(start, min(start + size, n)) for start in range(0, len(self) * size, size)]
        if self.shard is not None:
            bounds = [_share(start, stop, *self.shard) for start, stop in bounds]
        source = _tensor_source(self.dataset)
        if source is None:
            batches = self._collated(order, bounds)
        else:
            arrays, indices = source
            if order is None:
                order = indices
            elif indices is not None:
                order = indices[order]
            batches = _sliced(arrays, order, bounds)
        return batches if self.device is None else _moved(batches, self.device)

    def _collated(self, order: np.ndarray | None, bounds: list[tuple[int, int]]) -> Iterator[Batch]:
        for start, stop in bounds:
            positions = range(start, stop) if order is None else order[start:stop].tolist()
            if positions:
                yield _collate([self.dataset[i] for i in positions])
            else:  # an empty share: a batch of no samples, shaped like one of one
                one = _collate([self.dataset[0]])
                yield (
                    tuple(wrap(t.data[:0]) for t in one)
                    if isinstance(one, tuple)
                    else wrap(one.data[:0])
                )

    def __repr__(self) -> str:
        return (
            f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, "
            f"batch_size={self.batch_size}, shuffle={self.shuffle}, drop_last={self.drop_last})"
        )


def _is_shard(shard: Any) -> bool:
    """Whether ``shard`` is a (rank, world_size) pair of ints with 0 <= rank < world_size."""
    if not isinstance(shard, tuple | list) or len(shard) != 2:
        return False
    whole = all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in shard)
    return whole and 0 <= shard[0] < shard[1]


def _share(start: int, stop: int, rank: int, world_size: int) -> tuple[int, int]:
    """Process ``rank``'s contiguous slice of the batch ``start:stop``."""
    base, extra = divmod(stop - start, world_size)
    first = start + rank * base + min(rank, extra)
    return first, first + base + (rank < extra)


def _tensor_source(dataset: Dataset) -> tuple[list[np.ndarray], np.ndarray | None] | None:
    """The arrays of a ``TensorDataset`` under any ``Subset``s, and the indices into them
    that those subsets compose to (None for the whole dataset); None for other datasets.

    Subclasses that override ``__getitem__`` are left to the per-sample path.
    """
    indices = None
    while type(dataset).__getitem__ is Subset.__getitem__:
        indices = dataset.indices if indices is None else dataset.indices[indices]
        dataset = dataset.dataset
    if type(dataset).__getitem__ is not TensorDataset.__getitem__:
        return None
    return [t.data for t in dataset.tensors], indices


def _sliced(
    arrays: list[np.ndarray],
    order: np.ndarray | None,
    bounds: list[tuple[int, int]],
) -> Iterator[tuple[Tensor, ...]]:
    """Batches of ``arrays``: rows ``order[start:stop]`` (a copy), or the view ``start:stop``
    when ``order`` is None."""
    if order is not None and arrays:
        order = to_device(order, device_of(arrays[0]))  # a GPU array is indexed from its GPU
    for start, stop in bounds:
        rows = slice(start, stop) if order is None else order[start:stop]
        yield tuple([wrap(array[rows]) for array in arrays])


def _moved(batches: Iterator[Batch], device: Device) -> Iterator[Batch]:
    """``batches`` with every tensor copied to ``device`` (left alone if it is there)."""
    for batch in batches:
        if isinstance(batch, Tensor):
            yield _to(batch, device)
        else:
            yield tuple(_to(tensor, device) for tensor in batch)


def _to(tensor: Tensor, device: Device) -> Tensor:
    return wrap(to_device(tensor.data, device))


def _collate(samples: Sequence[Any]) -> Batch:
    """One batch from a list of samples: item ``k`` of every sample stacked into a tensor."""
    first = samples[0]
    if isinstance(first, tuple | list):
        return tuple(_stack([sample[k] for sample in samples]) for k in range(len(first)))
    return _stack(samples)


def _stack(items: Sequence[Any]) -> Tensor:
    arrays = [item.data if isinstance(item, Tensor) else to_array(item) for item in items]
    try:
        return wrap(xp_of(arrays[0]).stack(arrays))
    except ValueError:
        shapes = sorted({a.shape for a in arrays}, key=str)
        raise ValueError(
            f"DataLoader cannot stack samples of different shapes {shapes} into one batch; "
            "make every sample's items the same shape, or use batch_size=1"
        ) from None
