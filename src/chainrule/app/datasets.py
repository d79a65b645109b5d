"""The data sets ``chainrule`` knows by name (``--data``): the built-in digits and XOR, MNIST
and Fashion-MNIST folders, and CSV files, as classification data for an MLP."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import data
from ..data.mnist_datasets import FilesNotFoundError
from ..errors import UserError
from .files import user_files

DATA_SPECS = "digits, xor, mnist:DIR, fashion-mnist:DIR or csv:TRAIN.csv[,TEST.csv]"
"""The data ``--data`` can name, as ``--help`` and its errors say it."""


@dataclass
class DataBundle:
    """A training set, a test set, and how to describe them."""

    name: str
    train: data.TensorDataset
    test: data.TensorDataset
    features: int
    classes: int
    note: str = ""


def _as_classification(dataset: data.TensorDataset) -> data.TensorDataset:
    """Inputs flattened to (N, features) float32, labels as int64 class indices (N,)."""
    inputs, labels = dataset.tensors[:2]
    x = inputs.numpy().reshape(len(inputs), -1).astype(np.float32, copy=False)
    y = labels.numpy()
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    return data.TensorDataset(x, y.astype(np.int64))


def _split(dataset: data.TensorDataset, first: int) -> tuple[data.TensorDataset, ...]:
    arrays = [t.numpy() for t in dataset.tensors]
    return (
        data.TensorDataset(*(a[:first] for a in arrays)),
        data.TensorDataset(*(a[first:] for a in arrays)),
    )


def _idx_folder(
    name: str, reader: Callable[..., data.TensorDataset], folder: str, download: bool
) -> DataBundle:
    try:
        test = reader(folder, train=False, download=download)
    except data.DatasetError as error:
        raise _in_command_words(error) from None
    try:
        train = reader(folder, train=True)
        note = ""
    except data.DatasetError as error:
        if len(test) < 10_000:
            raise _in_command_words(error) from None
        train, test = _split(test, 8_000)
        note = (
            f"no training files in {folder}: training on the first 8,000 test images and "
            "evaluating on the last 2,000"
        )
    return DataBundle(name, _as_classification(train), _as_classification(test), 0, 10, note)


def _in_command_words(error: data.DatasetError) -> UserError:
    """The library's error, its missing-files one saying what to do on the command line."""
    if not isinstance(error, FilesNotFoundError):
        return error
    return UserError(
        f"{error.dataset} files not found: put {error.wanted} in {error.folder}, or add "
        f"--download to fetch them from {error.url}"
    )


@user_files()
def load_data(spec: str, seed: int = 0, download: bool = False) -> DataBundle:
    """The data named by ``spec``, one of ``DATA_SPECS`` (for csv without a test file, a
    fixed 20% of TRAIN is held out); ``download`` fetches the MNIST files a folder lacks."""
    kind, _, where = spec.partition(":")
    if download and kind not in ("mnist", "fashion-mnist"):
        raise UserError(
            f"--download fetches mnist:DIR and fashion-mnist:DIR, not --data {spec}; leave it out"
        )
    if kind == "digits" and not where:
        train, test = data.digits(train=True), data.digits(train=False)
        bundle = DataBundle("digits", _as_classification(train), _as_classification(test), 0, 10)
    elif kind == "xor" and not where:
        points = _as_classification(data.xor())
        bundle = DataBundle("xor", points, points, 0, 2)
    elif kind in ("mnist", "fashion-mnist") and where:
        reader = data.mnist if kind == "mnist" else data.fashion_mnist
        bundle = _idx_folder(kind, reader, where, download)
    elif kind == "csv" and where:
        train_path, _, test_path = where.partition(",")
        train = _as_classification(data.csv(train_path))
        if test_path:
            test = _as_classification(data.csv(test_path))
        else:
            order = np.random.default_rng(seed).permutation(len(train))
            shuffled = data.TensorDataset(*(t.numpy()[order] for t in train.tensors))
            train, test = _split(shuffled, len(train) - max(1, len(train) // 5))
        labels = np.concatenate([train.tensors[1].numpy(), test.tensors[1].numpy()])
        bundle = DataBundle(f"csv:{where}", train, test, 0, max(int(labels.max()) + 1, 2))
    else:
        raise UserError(f"unknown --data {spec!r}; use {DATA_SPECS}")
    bundle.features = bundle.train.tensors[0].shape[1]
    return bundle
