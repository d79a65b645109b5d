"""Small datasets that need no download: XOR, the UCI digits shipped with chainrule, and
MNIST-style CSV files."""

from __future__ import annotations

from importlib import resources

import numpy as np

from ..tensor import wrap
from .dataset import TensorDataset
from .files import PathLike
from .labeled_csv import read_labeled_csv

_DIGITS_TRAIN = 1437  # 1,437 of the 1,797 digits train, the other 360 test
_DIGITS_SPLIT_SEED = 0  # fixes the split forever, whatever the global generator's state


def xor() -> TensorDataset:
    """The four XOR points: inputs float32 (4, 2), targets float32 (4, 1).

    The targets are floats with a trailing dimension of 1, the shape a one-output network
    with a sigmoid and ``nn.BCELoss`` expects (as in lecture 8 of Boostcourse's PyTorch course).
    """
    inputs = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    targets = np.array([[0], [1], [1], [0]], dtype=np.float32)
    return TensorDataset(wrap(inputs), wrap(targets))


def digits(train: bool = True) -> TensorDataset:
    """The UCI 8×8 handwritten digits, shipped with chainrule (no download).

    1,797 images of digits 0–9 (about 180 of each) by E. Alpaydin and C. Kaynak, CC BY 4.0;
    see ``chainrule/data/README.md``. Returns a ``TensorDataset`` of inputs, float32 of
    shape (N, 64) (the 8×8 image row by row, block counts 0–16 divided by 16, so in [0, 1]),
    and labels, int64 of shape (N,).

    The split is fixed: the rows are shuffled once with a permutation of seed 0 (its own
    generator, untouched by ``cr.manual_seed``), then ``train=True`` gives the first 1,437
    and ``train=False`` the other 360. A split by position in the file would put the last
    writers' digits only in the test part, a harder, writer-disjoint test.
    """
    with resources.as_file(resources.files(__package__) / "digits.csv.gz") as path:
        labels, pixels = read_labeled_csv(path)
    order = np.random.default_rng(_DIGITS_SPLIT_SEED).permutation(len(labels))
    rows = order[:_DIGITS_TRAIN] if train else order[_DIGITS_TRAIN:]
    return _labeled(pixels[rows], labels[rows], 16)


def csv(path: PathLike) -> TensorDataset:
    """A CSV file of lines ``label,pixel,pixel,...`` (integers, no header), raw or gzip: the
    format of the ``mnist_train.csv`` files of *Make Your Own Neural Network*.

    Returns a ``TensorDataset`` of inputs, float32 of shape (N, P) with the pixels divided
    by 255, and labels, int64 of shape (N,). Raises ``DatasetError`` naming the file and
    row when a value is not an integer in 0–255 or the rows differ in length.
    """
    labels, pixels = read_labeled_csv(path)
    return _labeled(pixels, labels, 255)


def _labeled(pixels: np.ndarray, labels: np.ndarray, full_scale: int) -> TensorDataset:
    inputs = pixels.astype(np.float32) / np.float32(full_scale)
    return TensorDataset(wrap(inputs), wrap(labels.astype(np.int64)))
