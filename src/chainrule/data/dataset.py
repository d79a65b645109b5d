"""Datasets: anything indexable with a length; tensors held side by side; subsets and splits."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import numpy as np

from .. import random
from ..tensor import Tensor, wrap


class Dataset:
    """A sized collection of samples: ``dataset[i]`` is sample ``i``, ``len(dataset)`` counts
    them. Subclasses define both; a sample is usually a tuple such as ``(input, target)``."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")


def _shared(data: Any) -> Tensor:
    """``data`` as a tensor; a NumPy array is wrapped, not copied (as ``torch.from_numpy``
    would), so a large data set is held in memory once."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        return wrap(data)
    return Tensor(data)


class TensorDataset(Dataset):
    """Tensors of equal first dimension, read side by side: sample ``i`` is
    ``(tensors[0][i], tensors[1][i], ...)``.

    NumPy arrays are shared, not copied; nested lists are converted to tensors. Samples are
    read from the data without recording a graph. ``DataLoader`` batches a ``TensorDataset``
    by indexing each array once per batch, with no per-sample Python work.
    """

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        self.tensors = tuple(_shared(t) for t in tensors)
        shapes = [t.shape for t in self.tensors]
        if any(len(shape) == 0 for shape in shapes):
            raise ValueError(
                f"TensorDataset got a 0-d tensor among shapes {shapes}; every tensor needs a "
                "first dimension that counts the samples"
            )
        if len({shape[0] for shape in shapes}) > 1:
            raise ValueError(
                "TensorDataset tensors must have the same first dimension (the number of "
                f"samples); got shapes {', '.join(map(str, shapes))}"
            )

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(wrap(t.data[index]) for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64)
        if self.indices.ndim != 1:
            raise ValueError(f"Subset indices must be 1-d, got shape {self.indices.shape}")

    def __getitem__(self, index: int) -> Any:
        return self.dataset[int(self.indices[index])]

    def __len__(self) -> int:
        return len(self.indices)


def random_split(
    dataset: Dataset,
    lengths: Sequence[int | float],
    generator: np.random.Generator | None = None,
) -> list[Subset]:
    """Split ``dataset`` at random into non-overlapping ``Subset``s of the given ``lengths``.

    ``lengths`` are either counts summing to ``len(dataset)`` or, if any is a float, fractions
    summing to 1: each part gets ``floor(fraction * len(dataset))`` samples and the leftover
    samples go one each to the first parts, as in PyTorch. The permutation is drawn from
    ``generator``, or from chainrule's global generator (see ``cr.manual_seed``) when None.
    """
    n = len(dataset)
    if any(isinstance(length, bool) or not isinstance(length, numbers.Real) for length in lengths):
        raise TypeError(f"random_split lengths must be numbers, got {list(lengths)}")
    if any(length < 0 for length in lengths):
        raise ValueError(f"random_split lengths must not be negative, got {list(lengths)}")
    if all(isinstance(length, numbers.Integral) for length in lengths):
        counts = [int(length) for length in lengths]
        if sum(counts) != n:
            raise ValueError(
                f"random_split lengths {counts} sum to {sum(counts)}, but the dataset has "
                f"{n} samples; pass counts summing to {n} or fractions summing to 1"
            )
    else:
        if not math.isclose(sum(lengths), 1.0):
            raise ValueError(f"random_split fractions {list(lengths)} sum to {sum(lengths)}, not 1")
        counts = [math.floor(n * fraction) for fraction in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
    order = (random.default_generator() if generator is None else generator).permutation(n)
    bounds = np.cumsum([0, *counts])
    return [Subset(dataset, order[start:stop]) for start, stop in pairwise(bounds)]
