"""save/load in the safetensors format, checkpoints, atomic writes, and corrupt files."""

import json
import os
import struct
import tempfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import chainrule as cr
from chainrule import serialization
from chainrule.serialization import (
    SerializationError,
    load,
    load_checkpoint,
    load_metadata,
    save,
    save_checkpoint,
)

DTYPES = [
    np.bool_,
    np.uint8,
    np.int8,
    np.uint16,
    np.int16,
    np.float16,
    np.uint32,
    np.int32,
    np.float32,
    np.uint64,
    np.int64,
    np.float64,
    np.complex64,
]
SHAPES = [(), (0,), (2, 0, 3), (5,), (2, 3, 4)]


def _random_array(rng, dtype, shape):
    """Arbitrary bit patterns of ``dtype`` (NaNs and infinities included for floats)."""
    if np.dtype(dtype) == np.bool_:
        return rng.random(shape) < 0.5
    raw = rng.integers(0, 256, size=int(np.prod(shape)) * np.dtype(dtype).itemsize, dtype=np.uint8)
    return raw.view(dtype).reshape(shape)


def _raw_file(header, data=b""):
    """A safetensors file built by hand: 8-byte length, header text, data."""
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def _assert_same(loaded, expected):
    assert isinstance(loaded, cr.Tensor)
    assert loaded.dtype == expected.dtype
    assert loaded.shape == expected.shape
    assert loaded.numpy().tobytes() == expected.tobytes()


# --------------------------------------------------------------------------- round trips
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda dtype: np.dtype(dtype).name)
def test_round_trip_keeps_dtype_shape_and_bytes(tmp_path, dtype):
    rng = np.random.default_rng(0)
    arrays = {f"t{i}": _random_array(rng, dtype, shape) for i, shape in enumerate(SHAPES)}
    save(arrays, tmp_path / "t.safetensors")
    loaded = load(tmp_path / "t.safetensors")
    assert list(loaded) == list(arrays)
    for name, array in arrays.items():
        _assert_same(loaded[name], array)


def test_mixed_dtypes_keep_their_order_and_every_tensor_is_aligned(tmp_path):
    rng = np.random.default_rng(1)
    arrays = {f"{np.dtype(d).name}": _random_array(rng, d, (3,)) for d in reversed(DTYPES)}
    path = tmp_path / "mixed.safetensors"
    save(arrays, path)
    raw = path.read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + length])
    assert (8 + length) % 8 == 0
    for name, array in arrays.items():
        assert header[name]["data_offsets"][0] % array.dtype.itemsize == 0
    loaded = load(path)
    assert list(loaded) == list(arrays)
    for name, array in arrays.items():
        _assert_same(loaded[name], array)
        assert loaded[name].numpy().flags.aligned
        assert loaded[name].numpy().flags.writeable


@settings(max_examples=25, deadline=None)
@given(
    arrays=st.dictionaries(
        st.text(min_size=1, max_size=8).filter(lambda name: name != "__metadata__"),
        hnp.arrays(st.sampled_from(DTYPES), hnp.array_shapes(min_dims=0, max_dims=3, min_side=0)),
        max_size=4,
    )
)
def test_any_arrays_round_trip(arrays):
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "any.safetensors")
        save(arrays, path)
        loaded = load(path)
    assert list(loaded) == list(arrays)
    for name, array in arrays.items():
        _assert_same(loaded[name], array)


def test_tensors_and_awkward_arrays_are_saved_by_value(tmp_path):
    weight = cr.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    big_endian = np.arange(4, dtype=">i4")
    save({"weight": weight, "transposed": weight.numpy().T, "be": big_endian}, tmp_path / "a")
    loaded = load(tmp_path / "a")
    np.testing.assert_array_equal(loaded["weight"].numpy(), weight.numpy())
    np.testing.assert_array_equal(loaded["transposed"].numpy(), weight.numpy().T)
    np.testing.assert_array_equal(loaded["be"].numpy(), [0, 1, 2, 3])
    assert loaded["be"].dtype == np.int32
    assert not loaded["weight"].requires_grad


def test_metadata_is_kept(tmp_path):
    save({"x": np.zeros(1)}, tmp_path / "m", metadata={"format": "pt", "note": "héllo"})
    assert load_metadata(tmp_path / "m") == {"format": "pt", "note": "héllo"}
    assert list(load(tmp_path / "m")) == ["x"]


# --------------------------------------------------------------------------- the format by hand
def test_header_of_a_tiny_tensor_byte_by_byte(tmp_path):
    path = tmp_path / "tiny.safetensors"
    save({"w": np.array([1.0, -2.0], dtype=np.float32)}, path)
    header = b'{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}' + b"  "  # pad to 56
    expected = b"\x38\x00\x00\x00\x00\x00\x00\x00" + header + b"\x00\x00\x80\x3f\x00\x00\x00\xc0"
    assert path.read_bytes() == expected


def test_reads_a_file_written_by_hand(tmp_path):
    header = {
        "scalar": {"dtype": "I64", "shape": [], "data_offsets": [0, 8]},
        "__metadata__": {"format": "pt"},
        "empty": {"dtype": "F32", "shape": [0, 4], "data_offsets": [8, 8]},
        "flags": {"dtype": "BOOL", "shape": [2], "data_offsets": [10, 12]},
        "half": {"dtype": "F16", "shape": [1], "data_offsets": [8, 10]},
    }
    data = struct.pack("<q", -7) + struct.pack("<e", 0.5) + b"\x01\x00"
    (tmp_path / "h").write_bytes(_raw_file(header, data))
    loaded = load(tmp_path / "h")
    assert list(loaded) == ["scalar", "empty", "flags", "half"]
    assert loaded["scalar"].shape == () and loaded["scalar"].item() == -7
    assert loaded["empty"].shape == (0, 4) and loaded["empty"].dtype == np.float32
    assert loaded["flags"].tolist() == [True, False]
    assert loaded["half"].dtype == np.float16 and loaded["half"].tolist() == [0.5]
    assert load_metadata(tmp_path / "h") == {"format": "pt"}


# --------------------------------------------------------------------------- interop
def test_safetensors_reads_our_file(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    rng = np.random.default_rng(2)
    arrays = {np.dtype(d).name: _random_array(rng, d, (2, 3)) for d in DTYPES[:-1]}
    arrays["scalar"], arrays["empty"] = np.float32(3.5).reshape(()), np.zeros((0, 2))
    save(arrays, tmp_path / "ours.safetensors", metadata={"format": "np"})
    theirs = safetensors_numpy.load_file(tmp_path / "ours.safetensors")
    assert theirs.keys() == arrays.keys()
    for name, array in arrays.items():
        assert theirs[name].dtype == array.dtype and theirs[name].shape == array.shape
        assert theirs[name].tobytes() == array.tobytes()
    with safetensors_numpy.safe_open(tmp_path / "ours.safetensors", "np") as file:
        assert file.metadata() == {"format": "np"}


def test_we_read_a_safetensors_file(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    rng = np.random.default_rng(3)
    arrays = {np.dtype(d).name: _random_array(rng, d, (4, 1)) for d in DTYPES[:-1]}
    arrays["scalar"] = np.array(7, dtype=np.int64)
    safetensors_numpy.save_file(arrays, tmp_path / "theirs.safetensors", metadata={"k": "v"})
    loaded = load(tmp_path / "theirs.safetensors")
    assert loaded.keys() == arrays.keys()
    for name, array in arrays.items():
        _assert_same(loaded[name], array)
    assert load_metadata(tmp_path / "theirs.safetensors") == {"k": "v"}


def _torch_mlp(seed):
    torch = pytest.importorskip("torch")
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2)), torch


def test_torch_state_dict_round_trips_through_our_files(tmp_path):
    net, torch = _torch_mlp(0)
    save({name: t.numpy() for name, t in net.state_dict().items()}, tmp_path / "net")
    loaded = load(tmp_path / "net")
    assert {name: t.shape for name, t in loaded.items()} == {
        "0.weight": (3, 4),
        "0.bias": (3,),
        "2.weight": (2, 3),
        "2.bias": (2,),
    }
    fresh, _ = _torch_mlp(1)
    fresh.load_state_dict({name: torch.from_numpy(t.numpy()) for name, t in loaded.items()})
    x = torch.randn(5, 4)
    assert torch.equal(fresh(x), net(x))


def test_pytorch_loads_our_file_with_safetensors_torch(tmp_path):
    safetensors_torch = pytest.importorskip("safetensors.torch")
    net, torch = _torch_mlp(0)
    save({name: t.numpy() for name, t in net.state_dict().items()}, tmp_path / "net")
    fresh, _ = _torch_mlp(1)
    fresh.load_state_dict(safetensors_torch.load_file(tmp_path / "net"))
    x = torch.randn(5, 4)
    assert torch.equal(fresh(x), net(x))


def _chainrule_mlp():
    """A chainrule module tree named like torch's Sequential(Linear(4, 3), ReLU(), Linear(3, 2))."""
    from chainrule.nn.module import Module
    from chainrule.nn.parameter import Parameter

    class Affine(Module):
        def __init__(self, n_in, n_out):
            super().__init__()
            self.weight = Parameter(cr.randn(n_out, n_in))
            self.bias = Parameter(cr.randn(n_out))

    model = Module()
    model.add_module("0", Affine(4, 3))
    model.add_module("1", Module())
    model.add_module("2", Affine(3, 2))
    return model


def test_chainrule_state_dict_and_torch_state_dict_move_both_ways(tmp_path):
    net, torch = _torch_mlp(0)
    save({name: t.numpy() for name, t in net.state_dict().items()}, tmp_path / "torch")
    model = _chainrule_mlp()
    model.load_state_dict(load(tmp_path / "torch"))
    save(model.state_dict(), tmp_path / "chainrule")
    fresh, _ = _torch_mlp(1)
    saved = load(tmp_path / "chainrule")
    fresh.load_state_dict({name: torch.from_numpy(t.numpy()) for name, t in saved.items()})
    for name, tensor in net.state_dict().items():
        assert torch.equal(fresh.state_dict()[name], tensor)


# --------------------------------------------------------------------------- checkpoints
def _optimizer_state():
    """A state dict of PyTorch's structure, as an Adam/SGD mix would have it."""
    return {
        "state": {
            0: {"step": 3, "exp_avg": cr.tensor([0.5, -0.25]), "exp_avg_sq": np.ones((2, 2))},
            2: {"step": 3, "momentum_buffer": None},
        },
        "param_groups": [
            {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "amsgrad": False, "params": [0, 1, 2]}
        ],
    }


def _model_state():
    return {"0.weight": cr.tensor([[1.0, 2.0]]), "0.bias": cr.tensor([0.5])}


def test_checkpoint_round_trip(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    save_checkpoint(
        path,
        model=_model_state(),
        optimizer=_optimizer_state(),
        epoch=7,
        best_loss=np.float32(0.25),
        history={"loss": [1.0, 0.5]},
    )
    ckpt = load_checkpoint(path)
    assert set(ckpt) == {"model", "optimizer", "epoch", "rng_state", "best_loss", "history"}
    assert list(ckpt["model"]) == ["0.weight", "0.bias"]
    for name, tensor in _model_state().items():
        _assert_same(ckpt["model"][name], tensor.numpy())
    state = ckpt["optimizer"]["state"]
    assert list(state) == [0, 2]
    _assert_same(state[0]["exp_avg"], np.array([0.5, -0.25], dtype=np.float32))
    _assert_same(state[0]["exp_avg_sq"], np.ones((2, 2)))
    assert state[0]["step"] == 3 and state[2] == {"step": 3, "momentum_buffer": None}
    assert ckpt["optimizer"]["param_groups"] == [
        {"lr": 1e-3, "betas": [0.9, 0.999], "eps": 1e-8, "amsgrad": False, "params": [0, 1, 2]}
    ]
    assert ckpt["epoch"] == 7 and ckpt["best_loss"] == 0.25
    assert ckpt["history"] == {"loss": [1.0, 0.5]}


def test_checkpoint_layout_is_a_plain_safetensors_file(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    save_checkpoint(path, model=_model_state(), optimizer=_optimizer_state(), epoch=1)
    assert list(load(path)) == [
        "model.0.weight",
        "model.0.bias",
        "optimizer.state.0.exp_avg",
        "optimizer.state.0.exp_avg_sq",
    ]
    record = json.loads(load_metadata(path)["chainrule.checkpoint"])
    assert record["version"] == 1 and record["model"] is True and record["epoch"] == 1
    assert record["optimizer"]["state"]["0"]["exp_avg"] == {
        "__tensor__": "optimizer.state.0.exp_avg"
    }


def test_safetensors_reads_a_checkpoint(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    save_checkpoint(tmp_path / "c", model=_model_state(), optimizer=_optimizer_state(), epoch=1)
    with safetensors_numpy.safe_open(tmp_path / "c", "np") as file:
        assert "chainrule.checkpoint" in file.metadata()
        np.testing.assert_array_equal(file.get_tensor("model.0.weight"), [[1.0, 2.0]])


def test_checkpoint_restores_the_random_stream(tmp_path):
    cr.manual_seed(123)
    cr.randn(4)
    save_checkpoint(tmp_path / "c", epoch=0)
    expected = cr.randn(3).numpy().copy()
    cr.randn(10)
    cr.manual_seed(999)
    cr.set_rng_state(load_checkpoint(tmp_path / "c")["rng_state"])
    np.testing.assert_array_equal(cr.randn(3).numpy(), expected)


def test_checkpoint_takes_objects_with_state_dict_and_restores_a_module(tmp_path):
    class Optimizer:
        def state_dict(self):
            return _optimizer_state()

    model = _chainrule_mlp()
    save_checkpoint(tmp_path / "c", model=model, optimizer=Optimizer(), epoch=2)
    ckpt = load_checkpoint(tmp_path / "c")
    other = _chainrule_mlp()
    other.load_state_dict(ckpt["model"])
    for name, tensor in model.state_dict().items():
        np.testing.assert_array_equal(other.state_dict()[name].numpy(), tensor.numpy())
    assert list(ckpt["optimizer"]["state"]) == [0, 2]


def test_checkpoint_without_model_or_optimizer(tmp_path):
    save_checkpoint(tmp_path / "c", model={}, note="empty model")
    ckpt = load_checkpoint(tmp_path / "c")
    assert ckpt["model"] == {} and ckpt["optimizer"] is None and ckpt["epoch"] is None
    assert ckpt["note"] == "empty model"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"weights": np.ones(2)}, r"weights is a ndarray.*\.tolist\(\)"),
        ({"table": {1: "a"}}, "JSON keys must be strings"),
        ({"optimizer": {"state": {}}}, "param_groups"),
        ({"optimizer": {"state": {"0": {}}, "param_groups": []}}, "parameter indices"),
        ({"optimizer": {"state": {0: {1: 2}}, "param_groups": []}}, r"names \(strings\)"),
        ({"model": [np.zeros(2)]}, "dict of tensors"),
        ({"optimizer": {"state": {}, "param_groups": [{"lr": cr.tensor(0.1)}]}}, "lr"),
    ],
)
def test_checkpoint_refuses_what_it_cannot_store_before_writing(tmp_path, kwargs, match):
    with pytest.raises(TypeError, match=match):
        save_checkpoint(tmp_path / "c", **kwargs)
    assert os.listdir(tmp_path) == []


def test_load_checkpoint_of_a_plain_file_says_so(tmp_path):
    save({"x": np.zeros(1)}, tmp_path / "plain")
    with pytest.raises(SerializationError, match="not a checkpoint; read it with load"):
        load_checkpoint(tmp_path / "plain")


@pytest.mark.parametrize(
    ("record", "match"),
    [
        ("{not json", "corrupt checkpoint record"),
        ("[1]", "no version"),
        ('{"version": 99}', "newer than this chainrule reads"),
        ('{"version": 1, "model": true}', "does not have the model"),
        (
            '{"version": 1, "model": true, "optimizer": null, "epoch": 1, "rng_state": {},'
            ' "extra": {"epoch": 2}}',
            "does not have the model",
        ),
        (
            '{"version": 1, "model": false, "epoch": 0, "rng_state": null, "extra": {},'
            ' "optimizer": {"state": {"0": {"m": {"__tensor__": "missing"}}}}}',
            "refers to tensor 'missing'",
        ),
        (
            '{"version": 1, "model": false, "epoch": 0, "rng_state": null, "extra": {},'
            ' "optimizer": null}',
            r"does not mention: \['model.x'\]",
        ),
    ],
)
def test_corrupt_checkpoint_record(tmp_path, record, match):
    path = tmp_path / "c"
    save({"model.x": np.zeros(1)}, path, metadata={"chainrule.checkpoint": record})
    with pytest.raises(SerializationError, match=match) as error:
        load_checkpoint(path)
    assert str(path) in str(error.value)


# --------------------------------------------------------------------------- atomic writes
@pytest.mark.parametrize("failure", [OSError("disk full"), KeyboardInterrupt()])
def test_a_write_that_fails_midway_leaves_the_old_file(tmp_path, monkeypatch, failure):
    path = tmp_path / "model.safetensors"
    save({"w": np.arange(4.0)}, path)

    def write_half_then_fail(file, array):
        file.write(array.reshape(-1).view(np.uint8)[: array.nbytes // 2])
        raise failure

    monkeypatch.setattr(serialization, "_write_array", write_half_then_fail)
    with pytest.raises(type(failure)):
        save({"w": np.ones(1000), "b": np.ones(10)}, path)
    np.testing.assert_array_equal(load(path)["w"].numpy(), np.arange(4.0))
    assert os.listdir(tmp_path) == ["model.safetensors"]


def test_a_failed_fsync_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    save_checkpoint(path, epoch=1)

    def fail(fd):
        raise OSError("I/O error")

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(OSError, match="I/O error"):
        save_checkpoint(path, epoch=2)
    assert load_checkpoint(path)["epoch"] == 1
    assert os.listdir(tmp_path) == ["model.safetensors"]


def test_a_failed_first_write_leaves_no_file(tmp_path, monkeypatch):
    def fail(file, array):
        raise OSError("disk full")

    monkeypatch.setattr(serialization, "_write_array", fail)
    with pytest.raises(OSError, match="disk full"):
        save({"w": np.ones(3)}, tmp_path / "new.safetensors")
    assert os.listdir(tmp_path) == []


def test_a_new_version_replaces_the_old(tmp_path):
    path = tmp_path / "model.safetensors"
    save({"w": np.zeros(100)}, path)
    save({"v": np.ones(1)}, path)
    assert list(load(path)) == ["v"]
    assert os.listdir(tmp_path) == ["model.safetensors"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_saved_files_get_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    save({"w": np.zeros(1)}, tmp_path / "w")
    assert os.stat(tmp_path / "w").st_mode & 0o777 == 0o666 & ~umask


# --------------------------------------------------------------------------- save's own errors
@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ((["w", "b"],), TypeError, r"a dict of tensors such as model.state_dict\(\), not list"),
        (({"a": [1.0, 2.0]},), TypeError, "'a' is a list"),
        (({"a": np.array(["text"])},), TypeError, "cannot store"),
        (({"a": np.zeros(2, dtype=np.complex128)},), TypeError, "cannot store"),
        (({1: np.zeros(2)},), TypeError, "names must be strings"),
        (({"__metadata__": np.zeros(2)},), ValueError, "reserved"),
        (({"a": np.zeros(2)}, {"version": 1}), TypeError, "strings to strings"),
    ],
)
def test_save_refuses_what_safetensors_cannot_hold(tmp_path, args, error, match):
    tensors, *metadata = args
    with pytest.raises(error, match=match):
        save(tensors, tmp_path / "x", *metadata)
    assert os.listdir(tmp_path) == []


def test_saving_a_module_points_to_its_state_dict(tmp_path):
    with pytest.raises(TypeError, match=r"model.state_dict\(\), not Module"):
        save(_chainrule_mlp(), tmp_path / "x")


# --------------------------------------------------------------------------- corrupt files
def _entry(dtype="F32", shape=(2,), offsets=(0, 8)):
    return {"dtype": dtype, "shape": list(shape), "data_offsets": list(offsets)}


CORRUPT = {
    "empty file": (b"", "truncated or not a safetensors file"),
    "garbage": (b"this is not a model file, only text\n", "not a safetensors file"),
    "pickle": (b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}q\x00.", r"torch\.save or pickle"),
    "zip": (b"PK\x03\x04\x00\x00\x08\x08" + bytes(60), r"torch\.save or pickle"),
    "header longer than file": (
        struct.pack("<Q", 1000) + b'{"a": 1}',
        "is truncated: header says 1000 bytes, file has 8",
    ),
    "bad json": (_raw_file(b'{"w": {"dtype": "F32",'), "corrupt header: Expecting"),
    "header not an object": (_raw_file(b"[1, 2]"), "header is not a JSON object"),
    "header not utf-8": (_raw_file(b'{"\xff": 1}'), "not UTF-8"),
    "deeply nested": (_raw_file(b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}"), "recursion"),
    "duplicate name": (
        _raw_file(b'{"w": 1, "w": 2}'),
        "'w' appears twice",
    ),
    "unknown dtype": (_raw_file({"w": _entry(dtype="F33")}, bytes(8)), "unknown dtype 'F33'"),
    "dtype not a string": (_raw_file({"w": _entry(dtype=["F32"])}, bytes(8)), "unknown dtype"),
    "bfloat16": (_raw_file({"w": _entry(dtype="BF16", shape=(4,))}, bytes(8)), "BF16"),
    "offsets out of bounds": (
        _raw_file({"w": _entry(shape=(200,), offsets=(0, 800))}, bytes(8)),
        "needs data bytes 0 to 800, file has 8",
    ),
    "offsets overlap": (
        _raw_file({"a": _entry(), "b": _entry(offsets=(4, 12))}, bytes(12)),
        "'b' overlaps 'a'",
    ),
    "gap between tensors": (
        _raw_file(
            {"a": _entry(shape=(1,), offsets=(0, 4)), "b": _entry(offsets=(8, 16))}, bytes(16)
        ),
        "data bytes 4 to 8",
    ),
    "bytes after the last tensor": (_raw_file({"w": _entry()}, bytes(12)), "4 bytes follow"),
    "shape disagrees with offsets": (_raw_file({"w": _entry(shape=(3,))}, bytes(8)), "span 8"),
    "negative size": (_raw_file({"w": _entry(shape=(-2,))}, bytes(8)), r"shape \[-2\]"),
    "reversed offsets": (_raw_file({"w": _entry(offsets=(8, 0))}, bytes(8)), "data_offsets"),
    "missing field": (_raw_file({"w": {"dtype": "F32"}}), "lacks dtype, shape or data_offsets"),
    "metadata not strings": (_raw_file({"__metadata__": {"a": 1}}), "__metadata__"),
    "bool byte 2": (_raw_file({"b": _entry("BOOL", (1,), (0, 1))}, b"\x02"), "BOOL"),
    "too many dimensions": (
        _raw_file({"w": _entry(shape=(1,) * 100, offsets=(0, 4))}, bytes(4)),
        "dimension",
    ),
}


@pytest.mark.parametrize(("content", "match"), CORRUPT.values(), ids=CORRUPT.keys())
def test_corrupt_files_raise_one_clear_error(tmp_path, content, match):
    path = tmp_path / "broken.safetensors"
    path.write_bytes(content)
    with pytest.raises(SerializationError, match=match) as error:
        load(path)
    message = str(error.value)
    assert message.startswith(str(path)) and "\n" not in message
    with pytest.raises(SerializationError):
        load_checkpoint(path)


def test_a_torch_save_file_is_refused_without_unpickling(tmp_path):
    torch = pytest.importorskip("torch")
    for zipped in (True, False):
        torch.save({"w": torch.ones(2)}, tmp_path / "w.pt", _use_new_zipfile_serialization=zipped)
        with pytest.raises(SerializationError, match=r"torch\.save or pickle file"):
            load(tmp_path / "w.pt")


@pytest.mark.parametrize("keep", [0, 5, 8, 20, 63, 70, -1])
def test_truncated_files_say_so(tmp_path, keep):
    path = tmp_path / "cut.safetensors"
    save({"w": np.arange(6.0), "b": np.ones(2, dtype=np.float32)}, path)
    content = path.read_bytes()
    path.write_bytes(content[:keep])
    with pytest.raises(SerializationError, match="truncated") as error:
        load(path)
    assert str(path) in str(error.value)


def test_serialization_error_is_a_value_error():
    assert issubclass(SerializationError, ValueError)
