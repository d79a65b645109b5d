"""Data for training: datasets, the loader that batches them, and built-in datasets.

>>> import chainrule.data as data
>>> train = data.digits(train=True)
>>> inputs, labels = next(iter(data.DataLoader(train, batch_size=32, shuffle=True)))
>>> inputs.shape, labels.shape
((32, 64), (32,))

Nothing here touches the network unless a loader is called with ``download=True``.
"""

from .builtin import csv, digits, xor
from .dataset import Dataset, Subset, TensorDataset, random_split
from .files import DatasetError
from .idx import read_idx, write_idx
from .loader import DataLoader
from .mnist_datasets import fashion_mnist, mnist

__all__ = [
    "DataLoader",
    "Dataset",
    "DatasetError",
    "Subset",
    "TensorDataset",
    "csv",
    "digits",
    "fashion_mnist",
    "mnist",
    "random_split",
    "read_idx",
    "write_idx",
    "xor",
]
