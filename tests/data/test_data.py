"""chainrule.data: datasets, the loader, splits, the IDX and CSV readers, built-in datasets."""

import dataclasses
import gzip
import hashlib
import urllib.request

import numpy as np
import pytest

import chainrule as cr
import chainrule.data as data
from chainrule.data import mnist_datasets
from chainrule.data.download import fetch
from conftest import SHARED_DATA


def numbered(n, features=3):
    """A TensorDataset whose sample i has input row [i, i, ...] and label i."""
    inputs = np.repeat(np.arange(n, dtype=np.float32)[:, None], features, axis=1)
    return data.TensorDataset(cr.tensor(inputs), cr.tensor(np.arange(n)))


def epoch_labels(loader):
    return np.concatenate([labels.numpy() for _, labels in loader])


class Pairs(data.Dataset):
    """The samples of ``numbered`` served one by one, as a user-written dataset would."""

    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        return np.full(3, i, dtype=np.float32), i

    def __len__(self):
        return self.n


# ----------------------------------------------------------------------------- DataLoader
def test_batches_keep_order_and_the_last_one_is_partial():
    loader = data.DataLoader(numbered(10), batch_size=4)
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    assert [len(labels) for _, labels in batches] == [4, 4, 2]
    assert all(isinstance(t, cr.Tensor) for batch in batches for t in batch)
    assert batches[0][0].shape == (4, 3) and batches[0][0].dtype == cr.float32
    assert batches[0][1].dtype == cr.int64
    np.testing.assert_array_equal(epoch_labels(loader), np.arange(10))
    np.testing.assert_array_equal(batches[2][0].numpy(), [[8, 8, 8], [9, 9, 9]])


def test_drop_last_drops_the_partial_batch():
    loader = data.DataLoader(numbered(10), batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert [len(labels) for _, labels in loader] == [4, 4]
    assert len(data.DataLoader(numbered(8), batch_size=4, drop_last=True)) == 2
    assert len(data.DataLoader(numbered(3), batch_size=4, drop_last=True)) == 0


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True])
def test_batch_size_must_be_a_positive_integer(batch_size):
    with pytest.raises((ValueError, TypeError), match="batch_size"):
        data.DataLoader(numbered(4), batch_size=batch_size)


def test_shuffle_gives_a_permutation_different_each_epoch():
    cr.manual_seed(0)
    loader = data.DataLoader(numbered(50), batch_size=7, shuffle=True)
    first, second = epoch_labels(loader), epoch_labels(loader)
    np.testing.assert_array_equal(np.sort(first), np.arange(50))
    np.testing.assert_array_equal(np.sort(second), np.arange(50))
    assert not np.array_equal(first, np.arange(50))
    assert not np.array_equal(first, second)


def test_shuffled_batches_keep_inputs_and_labels_together():
    for inputs, labels in data.DataLoader(numbered(20), batch_size=6, shuffle=True):
        np.testing.assert_array_equal(inputs.numpy()[:, 0], labels.numpy())


def test_manual_seed_reproduces_the_shuffle():
    loader = data.DataLoader(numbered(50), batch_size=8, shuffle=True)
    cr.manual_seed(123)
    run_a = [epoch_labels(loader) for _ in range(2)]
    cr.manual_seed(123)
    run_b = [epoch_labels(loader) for _ in range(2)]
    np.testing.assert_array_equal(run_a, run_b)


def test_restoring_the_rng_state_repeats_the_next_epoch():
    cr.manual_seed(7)
    loader = data.DataLoader(numbered(50), batch_size=8, shuffle=True)
    epoch_labels(loader)
    state = cr.get_rng_state()
    expected = epoch_labels(loader)
    cr.randn(5)  # other draws in between do not matter once the state is restored
    cr.set_rng_state(state)
    np.testing.assert_array_equal(epoch_labels(loader), expected)


def test_the_order_is_drawn_when_the_epoch_starts():
    loader = data.DataLoader(numbered(50), batch_size=8, shuffle=True)
    cr.manual_seed(1)
    epoch = iter(loader)
    cr.manual_seed(2)  # reseeding after iter() does not change the epoch already begun
    first = np.concatenate([labels.numpy() for _, labels in epoch])
    cr.manual_seed(1)
    np.testing.assert_array_equal(epoch_labels(loader), first)


def test_an_explicit_generator_is_used_instead_of_the_global_one():
    cr.manual_seed(0)
    state = cr.get_rng_state()
    orders = [
        epoch_labels(
            data.DataLoader(
                numbered(30), batch_size=4, shuffle=True, generator=np.random.default_rng(5)
            )
        )
        for _ in range(2)
    ]
    np.testing.assert_array_equal(orders[0], orders[1])
    assert cr.get_rng_state() == state


def test_a_user_dataset_is_stacked_like_the_tensor_dataset_fast_path():
    cr.manual_seed(3)
    slow = list(data.DataLoader(Pairs(11), batch_size=4, shuffle=True))
    cr.manual_seed(3)
    fast = list(data.DataLoader(numbered(11), batch_size=4, shuffle=True))
    assert len(slow) == len(fast) == 3
    for (slow_x, slow_y), (fast_x, fast_y) in zip(slow, fast, strict=True):
        assert slow_x.dtype == fast_x.dtype and slow_y.dtype == fast_y.dtype
        np.testing.assert_array_equal(slow_x.numpy(), fast_x.numpy())
        np.testing.assert_array_equal(slow_y.numpy(), fast_y.numpy())


def test_single_item_samples_give_tensor_batches():
    class Squares(data.Dataset):
        def __getitem__(self, i):
            return float(i * i)

        def __len__(self):
            return 5

    batches = list(data.DataLoader(Squares(), batch_size=2))
    assert isinstance(batches[0], cr.Tensor) and batches[0].dtype == cr.float32
    np.testing.assert_array_equal(batches[2].numpy(), [16.0])


def test_samples_of_different_shapes_cannot_be_batched():
    class Ragged(data.Dataset):
        def __getitem__(self, i):
            return np.zeros(i + 1), 0

        def __len__(self):
            return 3

    with pytest.raises(ValueError, match=r"different shapes.*\(1,\).*\(2,\)"):
        list(data.DataLoader(Ragged(), batch_size=3))


def test_a_tensor_dataset_subclass_with_its_own_getitem_is_respected():
    class Doubled(data.TensorDataset):
        def __getitem__(self, i):
            inputs, labels = super().__getitem__(i)
            return inputs * 2, labels

    ds = Doubled(np.ones((4, 2), dtype=np.float32), np.arange(4))
    inputs, _ = next(iter(data.DataLoader(ds, batch_size=4)))
    np.testing.assert_array_equal(inputs.numpy(), np.full((4, 2), 2.0))


# ----------------------------------------------------------------------------- datasets, splits
def test_tensor_dataset_reads_samples_side_by_side():
    ds = numbered(5)
    assert len(ds) == 5
    inputs, label = ds[3]
    np.testing.assert_array_equal(inputs.numpy(), [3, 3, 3])
    assert label.item() == 3 and not inputs.requires_grad


def test_tensor_dataset_needs_one_first_dimension():
    with pytest.raises(ValueError, match=r"same first dimension.*\(4, 2\), \(3, 1\)"):
        data.TensorDataset(cr.zeros(4, 2), cr.zeros(3, 1))
    with pytest.raises(ValueError, match="at least one tensor"):
        data.TensorDataset()
    with pytest.raises(ValueError, match="0-d"):
        data.TensorDataset(cr.zeros(3), cr.tensor(1.0))


def test_the_base_dataset_must_be_subclassed():
    with pytest.raises(NotImplementedError, match="__getitem__"):
        data.Dataset()[0]
    with pytest.raises(NotImplementedError, match="__len__"):
        len(data.Dataset())


def test_random_split_by_counts_is_disjoint_and_complete():
    cr.manual_seed(0)
    parts = data.random_split(numbered(10), [6, 3, 1])
    assert [len(p) for p in parts] == [6, 3, 1]
    labels = [int(p[i][1].item()) for p in parts for i in range(len(p))]
    assert sorted(labels) == list(range(10))
    assert labels != list(range(10))


def test_random_split_by_fractions_gives_leftovers_to_the_first_parts():
    assert [len(p) for p in data.random_split(numbered(10), [0.8, 0.2])] == [8, 2]
    assert [len(p) for p in data.random_split(numbered(5), [0.5, 0.5])] == [3, 2]
    assert [len(p) for p in data.random_split(numbered(10), [0.34, 0.33, 0.33])] == [4, 3, 3]


def test_random_split_is_reproducible_with_a_generator():
    def split():
        parts = data.random_split(numbered(20), [15, 5], generator=np.random.default_rng(9))
        return [p.indices.tolist() for p in parts]

    assert split() == split()


@pytest.mark.parametrize(
    ("lengths", "message"),
    [([6, 3], "sum to 9"), ([0.5, 0.4], "not 1"), ([11, -1], "negative")],
)
def test_random_split_rejects_lengths_that_do_not_fit(lengths, message):
    with pytest.raises(ValueError, match=message):
        data.random_split(numbered(10), lengths)


def test_a_loader_over_nested_subsets_reads_the_right_samples():
    cr.manual_seed(4)
    train, _ = data.random_split(numbered(40), [30, 10])
    inner, _ = data.random_split(train, [0.5, 0.5])
    expected = [int(inner[i][1].item()) for i in range(len(inner))]
    assert epoch_labels(data.DataLoader(inner, batch_size=4)).tolist() == expected
    shuffled = epoch_labels(data.DataLoader(inner, batch_size=4, shuffle=True))
    assert sorted(shuffled.tolist()) == sorted(expected)
    for inputs, labels in data.DataLoader(inner, batch_size=4, shuffle=True):
        np.testing.assert_array_equal(inputs.numpy()[:, 0], labels.numpy())


# ----------------------------------------------------------------------------- IDX files
@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize(
    "array",
    [
        np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4),
        np.array([-3, 0, 7], dtype=np.int8),
        np.array([[-300, 2], [3, 30000]], dtype=np.int16),
        np.array([-(2**31), 2**31 - 1], dtype=np.int32),
        np.array([[0.5, -1.25]], dtype=np.float32),
        np.array([np.pi], dtype=np.float64),
    ],
    ids=["uint8", "int8", "int16", "int32", "float32", "float64"],
)
def test_idx_round_trip(tmp_path, array, suffix):
    path = tmp_path / f"values.idx{suffix}"
    data.write_idx(path, array)
    assert path.read_bytes().startswith(b"\x1f\x8b") == (suffix == ".gz")
    read = data.read_idx(path)
    assert read.dtype == array.dtype and read.dtype.isnative
    np.testing.assert_array_equal(read, array)


def test_read_idx_follows_the_format_written_by_hand(tmp_path):
    path = tmp_path / "labels-idx1-ubyte"
    path.write_bytes(bytes.fromhex("00000801 00000003 070201"))  # magic 2049, 3 uint8 labels
    np.testing.assert_array_equal(data.read_idx(path), [7, 2, 1])
    path.write_bytes(bytes.fromhex("00000c02 00000001 00000002 fffffffe 00000100"))  # int32
    np.testing.assert_array_equal(data.read_idx(path), [[-2, 256]])


def test_write_idx_writes_the_mnist_image_magic_number(tmp_path):
    path = tmp_path / "images"
    data.write_idx(path, np.zeros((5, 28, 28), dtype=np.uint8))
    assert path.read_bytes()[:16] == bytes.fromhex("00000803 00000005 0000001c 0000001c")


def test_write_idx_rejects_dtypes_idx_cannot_hold(tmp_path):
    with pytest.raises(ValueError, match="int64"):
        data.write_idx(tmp_path / "x", np.arange(3))


def _gzip_truncated(valid):
    return gzip.compress(valid)[:-12]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x00\x00", "too short"),
        (b"PK\x03\x04" + bytes(20), "not an IDX file"),
        (bytes.fromhex("00000701 00000001 05"), "unknown IDX data type"),
        (bytes.fromhex("00000803 00000002 0000"), "truncated IDX header"),
        (bytes.fromhex("00000801 00000003 0702"), r"truncated.*\(3,\)"),
        (bytes.fromhex("00000801 00000002 070201"), "trailing bytes"),
        (_gzip_truncated(bytes.fromhex("00000801 00000003 070201")), "gzip"),
    ],
    ids=["short", "magic", "type", "header", "data", "trailing", "gzip"],
)
def test_corrupt_idx_files_raise_an_error_naming_the_file(tmp_path, content, message):
    path = tmp_path / "broken-idx1-ubyte"
    path.write_bytes(content)
    with pytest.raises(data.DatasetError, match=message) as raised:
        data.read_idx(path)
    assert str(path) in str(raised.value)
    assert "\n" not in str(raised.value)
    assert isinstance(raised.value, ValueError)


# ----------------------------------------------------------------------------- MNIST files
def write_mnist(root, prefix="t10k", n=5, gz=True, images=None, labels=None):
    """Write a small MNIST-format image/label pair; return the images and labels."""
    rng = np.random.default_rng(0)
    if images is None:
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    if labels is None:
        labels = rng.integers(0, 10, n).astype(np.uint8)
    suffix = ".gz" if gz else ""
    data.write_idx(root / f"{prefix}-images-idx3-ubyte{suffix}", images)
    data.write_idx(root / f"{prefix}-labels-idx1-ubyte{suffix}", labels)
    return images, labels


@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "raw"])
def test_mnist_reads_small_files(tmp_path, gz):
    images, labels = write_mnist(tmp_path, "train", gz=gz)
    ds = data.mnist(tmp_path)
    inputs, targets = ds.tensors
    assert inputs.shape == (5, 784) and inputs.dtype == cr.float32
    assert targets.shape == (5,) and targets.dtype == cr.int64
    np.testing.assert_allclose(inputs.numpy(), images.reshape(5, 784) / 255, rtol=1e-6)
    np.testing.assert_array_equal(targets.numpy(), labels)
    with pytest.raises(data.DatasetError, match="t10k-images-idx3-ubyte"):
        data.mnist(tmp_path, train=False)


def test_fashion_mnist_reads_the_same_layout(tmp_path):
    _, labels = write_mnist(tmp_path, "t10k", n=3)
    ds = data.fashion_mnist(tmp_path, train=False)
    assert len(ds) == 3
    np.testing.assert_array_equal(ds.tensors[1].numpy(), labels)


@pytest.mark.parametrize(
    ("kwargs", "bad_file", "message"),
    [
        ({"images": np.zeros(5, dtype=np.uint8)}, "images", r"\(N, 28, 28\).*\(5,\)"),
        ({"images": np.zeros((5, 28, 28), dtype=np.float32)}, "images", "float32"),
        ({"labels": np.zeros((5, 1), dtype=np.uint8)}, "labels", r"shape \(N,\)"),
        ({"labels": np.zeros(4, dtype=np.uint8)}, "images", "5 images.*4 labels"),
        ({"labels": np.full(5, 10, dtype=np.uint8)}, "labels", "label 10"),
    ],
    ids=["labels-as-images", "dtype", "label-shape", "counts", "label-range"],
)
def test_mnist_rejects_files_that_are_not_mnist(tmp_path, kwargs, bad_file, message):
    write_mnist(tmp_path, **kwargs)
    with pytest.raises(data.DatasetError, match=message) as raised:
        data.mnist(tmp_path, train=False)
    assert f"t10k-{bad_file}-idx" in str(raised.value)


def test_mnist_without_its_files_says_what_to_put_where(tmp_path):
    with pytest.raises(data.DatasetError) as raised:
        data.mnist(tmp_path / "nowhere", train=True, download=False)
    message = str(raised.value)
    assert "train-images-idx3-ubyte" in message and "train-labels-idx1-ubyte" in message
    assert str((tmp_path / "nowhere").resolve()) in message and "download=True" in message
    assert not (tmp_path / "nowhere").exists()


MNIST_SHARED = SHARED_DATA / "mnist"


@pytest.mark.skipif(not (MNIST_SHARED / "t10k-images-idx3-ubyte.gz").exists(), reason="no data")
def test_real_mnist_test_set():
    inputs, labels = data.mnist(MNIST_SHARED, train=False).tensors
    assert inputs.shape == (10000, 784) and labels.shape == (10000,)
    assert inputs.numpy().min() == 0.0 and inputs.numpy().max() == 1.0
    assert labels.numpy()[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    counts = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert np.bincount(labels.numpy()).tolist() == counts


# ----------------------------------------------------------------------------- downloads
def md5_of(path):
    return hashlib.md5(path.read_bytes()).hexdigest()


def test_fetch_keeps_a_file_whose_checksum_matches(tmp_path):
    source = tmp_path / "published.gz"
    source.write_bytes(gzip.compress(b"payload"))
    dest = tmp_path / "dest.gz"
    fetch([source.as_uri()], dest, md5_of(source))
    assert dest.read_bytes() == source.read_bytes()


def test_fetch_rejects_a_file_whose_checksum_does_not_match(tmp_path):
    source = tmp_path / "published.gz"
    source.write_bytes(b"tampered")
    dest = tmp_path / "dest.gz"
    with pytest.raises(data.DatasetError, match="checksum mismatch") as raised:
        fetch([source.as_uri()], dest, "0" * 32)
    assert "dest.gz" in str(raised.value) and md5_of(source) in str(raised.value)
    assert list(tmp_path.iterdir()) == [source]  # nothing kept, not even a partial file


def test_fetch_tries_the_next_mirror(tmp_path):
    source = tmp_path / "published.gz"
    source.write_bytes(b"data")
    dest = tmp_path / "dest.gz"
    fetch([(tmp_path / "missing").as_uri(), source.as_uri()], dest, md5_of(source))
    assert dest.read_bytes() == b"data"


def test_two_processes_fetching_one_file_at_once_both_keep_it(tmp_path, monkeypatch):
    # Ranks of `mpirun ... --download` each fetch a missing file; a second process that
    # starts while the first is writing must not take its temporary file from under it.
    from chainrule.data import download

    source = tmp_path / "published.gz"
    source.write_bytes(b"0123456789" * 300_000)  # more than one read of 1 MiB
    dest = tmp_path / "dest.gz"
    opened = urllib.request.urlopen
    started = []

    def urlopen(url, timeout):
        response = opened(url, timeout=timeout)
        if not started:  # the first process, after its first read: the second one runs
            started.append(True)
            read = response.read

            def read_then_other_process(size):
                chunk = read(size)
                monkeypatch.setattr(download.os, "getpid", lambda: 424242)
                fetch([source.as_uri()], dest, md5_of(source))
                monkeypatch.undo()
                return chunk

            response.read = read_then_other_process
        return response

    monkeypatch.setattr(download.urllib.request, "urlopen", urlopen)
    fetch([source.as_uri()], dest, md5_of(source))
    assert dest.read_bytes() == source.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dest.gz", "published.gz"]


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """A local folder standing in for the MNIST mirrors, with its files' real MD5 sums."""
    folder = tmp_path / "mirror"
    folder.mkdir()
    write_mnist(folder, "train", n=4)
    write_mnist(folder, "t10k", n=3)
    sums = {path.name.removesuffix(".gz"): md5_of(path) for path in folder.iterdir()}
    source = dataclasses.replace(
        mnist_datasets._MNIST,
        mirrors=((tmp_path / "down").as_uri() + "/", folder.as_uri() + "/"),
        md5=sums,
    )
    monkeypatch.setattr(mnist_datasets, "_MNIST", source)
    return folder


def test_download_fetches_the_four_files_with_their_checksums(tmp_path, mirror):
    root = tmp_path / "new" / "root"
    ds = data.mnist(root, train=False, download=True)
    assert len(ds) == 3
    assert sorted(p.name for p in root.iterdir()) == sorted(p.name for p in mirror.iterdir())
    assert len(data.mnist(root, train=True)) == 4  # now present; no download needed


def test_download_rejects_a_wrong_checksum_and_keeps_nothing(tmp_path, mirror, monkeypatch):
    wrong = dict(mnist_datasets._MNIST.md5, **{"train-images-idx3-ubyte": "0" * 32})
    monkeypatch.setattr(
        mnist_datasets, "_MNIST", dataclasses.replace(mnist_datasets._MNIST, md5=wrong)
    )
    root = tmp_path / "root"
    with pytest.raises(data.DatasetError, match="checksum mismatch") as raised:
        data.mnist(root, download=True)
    assert "train-images-idx3-ubyte.gz" in str(raised.value)
    kept = [path.name for path in root.iterdir()]
    assert not any(name.startswith("train-images") or name.endswith(".part") for name in kept)


def test_download_offline_says_which_files_to_put_where(tmp_path, monkeypatch):
    offline = dataclasses.replace(mnist_datasets._MNIST, mirrors=((tmp_path / "no").as_uri(),))
    monkeypatch.setattr(mnist_datasets, "_MNIST", offline)
    root = tmp_path / "root"
    with pytest.raises(data.DatasetError) as raised:
        data.mnist(root, download=True)
    message = str(raised.value)
    assert "could not download train-images-idx3-ubyte.gz" in message
    for name in ("train-images", "train-labels", "t10k-images", "t10k-labels"):
        assert f"{name}-idx" in message
    assert str(root.resolve()) in message and "\n" not in message


# ----------------------------------------------------------------------------- CSV files
def test_csv_reads_label_then_pixels(tmp_path):
    path = tmp_path / "mnist_small.csv"
    path.write_text("5,0,255,51\n0,102,0,0\n9,1,2,3\n")
    inputs, labels = data.csv(path).tensors
    assert inputs.dtype == cr.float32 and labels.dtype == cr.int64
    expected = np.array([[0, 255, 51], [102, 0, 0], [1, 2, 3]]) / 255
    np.testing.assert_allclose(inputs.numpy(), expected, rtol=1e-6)
    assert labels.numpy().tolist() == [5, 0, 9]


def test_csv_reads_gzip(tmp_path):
    path = tmp_path / "mnist_small.csv.gz"
    path.write_bytes(gzip.compress(b"3,255,0\n"))
    inputs, labels = data.csv(path)[0]
    assert inputs.numpy().tolist() == [1.0, 0.0] and labels.item() == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("label,p1,p2\n1,2,3\n", "'label'"),
        ("1,2,256\n", "'256'"),
        ("1,2,0.5\n", "'0.5'"),
        ("1,2,3\n4,5\n", "number of columns"),
        ("", "empty"),
        ("1\n2\n", "at least one pixel"),
    ],
    ids=["header", "range", "float", "ragged", "empty", "no-pixels"],
)
def test_malformed_csv_raises_an_error_naming_the_file(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(data.DatasetError, match=message) as raised:
        data.csv(path)
    assert str(path) in str(raised.value) and "\n" not in str(raised.value)


@pytest.mark.skipif(not (SHARED_DATA / "mnist-csv").exists(), reason="no data")
def test_real_mnist_csv_sample():
    inputs, labels = data.csv(SHARED_DATA / "mnist-csv" / "mnist_train_100.csv").tensors
    assert inputs.shape == (100, 784) and inputs.numpy().max() == 1.0
    assert labels.numpy()[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]


# ----------------------------------------------------------------------------- built-in data
def test_xor_points():
    inputs, targets = data.xor().tensors
    assert inputs.shape == (4, 2) and targets.shape == (4, 1)
    assert inputs.dtype == targets.dtype == cr.float32
    x = inputs.numpy().astype(int)
    np.testing.assert_array_equal(targets.numpy()[:, 0], x[:, 0] ^ x[:, 1])


def test_digits_is_the_uci_data_split_80_20():
    train, test = data.digits(train=True), data.digits(train=False)
    assert (len(train), len(test)) == (1437, 360)
    inputs = np.concatenate([train.tensors[0].numpy(), test.tensors[0].numpy()])
    labels = np.concatenate([train.tensors[1].numpy(), test.tensors[1].numpy()])
    assert inputs.shape == (1797, 64) and inputs.dtype == np.float32
    assert labels.dtype == np.int64 and set(labels.tolist()) == set(range(10))
    assert inputs.min() == 0.0 and inputs.max() == 1.0
    np.testing.assert_array_equal(inputs * 16, np.round(inputs * 16))  # block counts 0..16
    assert all(170 <= count <= 190 for count in np.bincount(labels))
    first_row = [0, 0, 5, 13, 9, 1, 0, 0]  # the top row of the data set's first image, a 0
    matches = np.flatnonzero(((inputs[:, :8] * 16) == first_row).all(axis=1))
    assert 0 in labels[matches].tolist()
    assert (labels[:1437] != np.sort(labels[:1437])).any()  # shuffled, not sorted by class
    np.testing.assert_array_equal(data.digits().tensors[0].numpy(), train.tensors[0].numpy())


def test_digits_is_real_data_a_nearest_centroid_classifier_learns():
    train_x, train_y = (t.numpy() for t in data.digits(train=True).tensors)
    test_x, test_y = (t.numpy() for t in data.digits(train=False).tensors)
    centroids = np.stack([train_x[train_y == c].mean(axis=0) for c in range(10)])
    distances = ((test_x[:, None, :] - centroids[None]) ** 2).sum(axis=2)
    accuracy = (distances.argmin(axis=1) == test_y).mean()
    assert accuracy > 0.8
    assert np.bincount(test_y).min() >= 20  # every class is well represented in the test split


def test_tensor_dataset_shares_numpy_arrays_instead_of_copying():
    inputs = np.zeros((4, 3), dtype=np.float32)
    dataset = data.TensorDataset(inputs, np.arange(4))
    inputs[0, 0] = 7.0
    assert dataset[0][0].numpy()[0] == 7.0  # one copy of a large data set in memory, not two
