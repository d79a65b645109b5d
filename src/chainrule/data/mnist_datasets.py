"""MNIST and Fashion-MNIST from their standard IDX files, downloaded only when asked."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..tensor import wrap
from .dataset import TensorDataset
from .download import fetch
from .files import DatasetError, PathLike
from .idx import read_idx

_FILES = {
    True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


class FilesNotFoundError(DatasetError):
    """A dataset's files are not in the folder given. ``dataset``, ``files``, ``folder`` and
    ``url`` say which are missing, where they were looked for and where ``download=True``
    fetches them from, so that a program can say what to do in its own words."""

    def __init__(self, dataset: str, files: list[str], folder: Path, url: str) -> None:
        self.dataset, self.files, self.folder, self.url = dataset, files, folder, url
        super().__init__(
            f"{dataset} files not found: put {self.wanted} in {folder}, or pass "
            f"download=True to fetch them from {url}"
        )

    @property
    def wanted(self) -> str:
        """The missing files as a sentence names them: ``a(.gz) and b(.gz)``."""
        return " and ".join(f"{name}(.gz)" for name in self.files)


@dataclass(frozen=True)
class _Source:
    """Where a dataset's four ``.gz`` files are published, and their published MD5 sums."""

    name: str
    mirrors: tuple[str, ...]
    md5: dict[str, str]


# The MD5 sums of the .gz files as torchvision's MNIST loader lists them (yann.lecun.com
# publishes none); ossci-datasets is torchvision's mirror.
_MNIST = _Source(
    "MNIST",
    (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ),
    {
        "train-images-idx3-ubyte": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte": "ec29112dd5afa0611ce80d1b7f02629c",
    },
)

# The download links and MD5 sums published in the Fashion-MNIST README
# (https://github.com/zalandoresearch/fashion-mnist#get-the-data).
_FASHION_MNIST = _Source(
    "Fashion-MNIST",
    (
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ),
    {
        "train-images-idx3-ubyte": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte": "bb300cfdad3c16e7a12a480ee83cd310",
    },
)


def mnist(root: PathLike, train: bool = True, download: bool = False) -> TensorDataset:
    """The MNIST handwritten digits: 60,000 training or 10,000 test images.

    Reads ``train-images-idx3-ubyte`` and ``train-labels-idx1-ubyte`` (or the ``t10k-``
    pair when ``train`` is False) from the folder ``root``, each either gzip-compressed
    (with ``.gz`` after the name) or raw. Returns a ``TensorDataset`` of images, float32 of
    shape (N, 784) scaled to [0, 1], and labels, int64 of shape (N,) in 0–9.

    ``download=True`` first fetches whichever of the four ``.gz`` files are missing from
    ``root`` (creating it), checking each against its published MD5 sum. Nothing is ever
    downloaded otherwise. Raises ``DatasetError`` naming the file when one is missing,
    malformed, or fails its checksum.
    """
    return _load(_MNIST, Path(root), train, download)


def fashion_mnist(root: PathLike, train: bool = True, download: bool = False) -> TensorDataset:
    """Zalando's Fashion-MNIST: 28×28 grey images of 10 kinds of clothing, in MNIST's files.

    The same files, layout, arguments and return value as ``mnist``; labels 0–9 are
    T-shirt/top, trouser, pullover, dress, coat, sandal, shirt, sneaker, bag, ankle boot.
    """
    return _load(_FASHION_MNIST, Path(root), train, download)


def _load(source: _Source, root: Path, train: bool, download: bool) -> TensorDataset:
    if download:
        _download_missing(source, root)
    images_name, labels_name = _FILES[bool(train)]
    images_path, labels_path = _find(root, images_name), _find(root, labels_name)
    missing = [
        name
        for name, path in ((images_name, images_path), (labels_name, labels_path))
        if path is None
    ]
    if missing:
        raise FilesNotFoundError(source.name, missing, root.resolve(), source.mirrors[0])
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.dtype != np.uint8 or images.shape[1:] != (28, 28):
        raise DatasetError(
            f"{images_path}: expected uint8 images of shape (N, 28, 28) (IDX magic 2051), "
            f"found {images.dtype} values of shape {images.shape}"
        )
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise DatasetError(
            f"{labels_path}: expected uint8 labels of shape (N,) (IDX magic 2049), "
            f"found {labels.dtype} values of shape {labels.shape}"
        )
    if len(images) != len(labels):
        raise DatasetError(
            f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} labels"
        )
    if labels.size and labels.max() > 9:
        raise DatasetError(f"{labels_path}: label {labels.max()} is outside 0-9")
    inputs = images.reshape(len(images), 28 * 28).astype(np.float32) / np.float32(255)
    return TensorDataset(wrap(inputs), wrap(labels.astype(np.int64)))


def _find(root: Path, name: str) -> Path | None:
    """``root/name.gz`` or ``root/name``, whichever exists (the compressed one first)."""
    for candidate in (root / f"{name}.gz", root / name):
        if candidate.is_file():
            return candidate
    return None


def _download_missing(source: _Source, root: Path) -> None:
    """Fetch each of the source's files that ``root`` lacks; if one cannot be fetched, say
    which files to put where by hand."""
    root.mkdir(parents=True, exist_ok=True)
    missing = [name for name in source.md5 if _find(root, name) is None]
    for name in missing:
        urls = [f"{mirror}{name}.gz" for mirror in source.mirrors]
        try:
            fetch(urls, root / f"{name}.gz", source.md5[name])
        except DatasetError as error:
            still_missing = ", ".join(f"{n}.gz" for n in missing if _find(root, n) is None)
            raise DatasetError(
                f"{error}. To install them by hand (offline, say), download {still_missing} "
                f"and put them in {root.resolve()}"
            ) from None
