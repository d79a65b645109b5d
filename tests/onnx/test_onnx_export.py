"""``cr.onnx.export``: random stacks of every layer it knows, run in ONNX Runtime and in
onnx's reference evaluator, against chainrule's own forward; the file's IR version, batch
dimension and names; and each mistake as one line."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.onnx.layers import LAYERS

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx.reference import ReferenceEvaluator  # noqa: E402

STACKS = 6
"""Random stacks, two of each kind: images, sequences (N, C, L) and vectors."""


def _activation(rng: np.random.Generator) -> nn.Module:
    kind = rng.integers(6)
    if kind == 0:
        # A slope float32 holds exactly: ONNX keeps it as a float32 attribute.
        return nn.LeakyReLU(int(rng.integers(1, 32)) / 64)
    if kind == 1:
        return nn.Dropout(0.5)
    return (nn.ReLU, nn.Sigmoid, nn.Tanh, nn.Identity)[kind - 2]()


def _batch_norm(rng: np.random.Generator, features: int) -> nn.BatchNorm1d:
    """A BatchNorm1d with running statistics (and affine parameters) far from 0 and 1."""
    layer = nn.BatchNorm1d(features, affine=bool(rng.integers(2)))
    layer.running_mean.data[...] = rng.normal(size=features)
    layer.running_var.data[...] = rng.uniform(0.5, 2.0, size=features)
    if layer.affine:
        layer.weight.data[...] = rng.normal(size=features)
        layer.bias.data[...] = rng.normal(size=features)
    return layer


def _shape_after(layers: list[nn.Module], shape: tuple[int, ...]) -> tuple[int, ...]:
    model = nn.Sequential(*layers).eval()
    with cr.no_grad():
        return model(cr.zeros(*shape)).shape


def _softmax(rng: np.random.Generator, rank: int) -> nn.Module:
    kind = nn.Softmax if rng.integers(2) else nn.LogSoftmax
    dim = int(rng.integers(1, rank))
    return kind(dim - rank if rng.integers(2) else dim)  # negative dims too


def _image_stack(rng: np.random.Generator) -> tuple[list[nn.Module], tuple[int, ...]]:
    shape = (2, int(rng.integers(1, 4)), 7, 9)
    layers: list[nn.Module] = []
    for _ in range(2):
        channels = _shape_after(layers, shape)[1]
        kernel = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        stride = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
        padding = (int(rng.integers(0, 2)), int(rng.integers(0, 2)))
        bias = bool(rng.integers(2))
        out = int(rng.integers(1, 5))
        layers += [nn.Conv2d(channels, out, kernel, stride, padding, bias), _activation(rng)]
        if min(_shape_after(layers, shape)[2:]) >= 2:
            layers.append(
                nn.MaxPool2d(2, stride=int(rng.integers(1, 3)), padding=int(rng.integers(2)))
            )
    features = int(np.prod(_shape_after([*layers, nn.Flatten()], shape)[1:]))
    hidden, classes = int(rng.integers(2, 6)), int(rng.integers(2, 5))
    layers += [nn.Flatten(), nn.Linear(features, hidden), _batch_norm(rng, hidden)]
    layers += [_activation(rng), nn.Linear(hidden, classes), _softmax(rng, 2)]
    return layers, shape


def _sequence_stack(rng: np.random.Generator) -> tuple[list[nn.Module], tuple[int, ...]]:
    channels, length, width = (int(n) for n in rng.integers(2, 5, size=3))
    flatten = (nn.Flatten(), nn.Flatten(0), nn.Flatten(1, 2), nn.Flatten(-2, -2))[rng.integers(4)]
    layers = [
        _batch_norm(rng, channels),
        _activation(rng),
        nn.Linear(length, width),  # on (N, C, L): MatMul, not Gemm
        nn.Sequential(nn.Linear(width, width, bias=False), _activation(rng)),
        _softmax(rng, 3),
        flatten,
    ]
    return layers, (2, channels, length)


def _vector_stack(rng: np.random.Generator) -> tuple[list[nn.Module], tuple[int, ...]]:
    sizes = [int(n) for n in rng.integers(2, 7, size=3)]
    layers = [
        nn.Linear(sizes[0], sizes[1], bias=bool(rng.integers(2))),
        _batch_norm(rng, sizes[1]),
        _activation(rng),
        nn.Sequential(nn.Dropout(0.3), nn.Linear(sizes[1], sizes[2]), _activation(rng)),
        _softmax(rng, 2),
    ]
    return layers, (2, sizes[0])


def random_stack(seed: int) -> tuple[nn.Sequential, tuple[int, ...]]:
    """A seeded random model and the shape of its example input (a batch of 2), with its
    modules' training flags drawn too: export must compute what eval() computes anyway."""
    rng = np.random.default_rng(seed)
    cr.manual_seed(seed)
    layers, shape = (_image_stack, _sequence_stack, _vector_stack)[seed % 3](rng)
    model = nn.Sequential(*layers)
    for module in model.modules():
        module.training = bool(rng.integers(2))
    return model, shape


def evaluated(model: nn.Module, x: np.ndarray) -> np.ndarray:
    """What the model computes on ``x`` in evaluation, its training flags left as they were."""
    flags = [(m, m.training) for m in model.modules()]
    model.eval()
    with cr.no_grad():
        y = model(cr.tensor(x)).numpy()
    for module, training in flags:
        module.training = training
    return y


def in_onnxruntime(path, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def in_the_reference_evaluator(path, x: np.ndarray) -> np.ndarray:
    evaluator = ReferenceEvaluator(str(path))
    return evaluator.run(None, {evaluator.input_names[0]: x})[0]


def test_the_random_stacks_hold_every_layer_that_export_knows():
    kinds = {type(m) for seed in range(STACKS) for m in random_stack(seed)[0].modules()}
    assert set(LAYERS) | {nn.Sequential} <= kinds


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("seed", range(STACKS))
def test_a_random_stack_runs_in_both_runtimes_as_in_chainrule(seed, dtype, tmp_path):
    model, shape = random_stack(seed)
    model.to(dtype=dtype)
    flags = [m.training for m in model.modules()]
    state = {name: t.numpy().copy() for name, t in model.state_dict().items()}
    path = tmp_path / "stack.onnx"
    cr.onnx.export(model, cr.zeros(*shape, dtype=dtype), path)
    assert [m.training for m in model.modules()] == flags  # left as they were
    for name, t in model.state_dict().items():  # no running statistic moved
        np.testing.assert_array_equal(t.numpy(), state[name], err_msg=name)
    onnx.checker.check_model(onnx.load(path), full_check=True)
    x = np.random.default_rng(100 + seed).normal(size=(5, *shape[1:])).astype(dtype)  # not 2
    expected = evaluated(model, x)
    tolerance = (
        {"rtol": 1e-5, "atol": 1e-6} if dtype == np.float32 else {"rtol": 1e-10, "atol": 1e-12}
    )
    got = in_the_reference_evaluator(path, x)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, expected, **tolerance)
    if dtype == np.float64 and any(isinstance(m, nn.Conv2d) for m in model.modules()):
        return  # ONNX Runtime's CPU provider has no float64 Conv
    got = in_onnxruntime(path, x)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, expected, **tolerance)


def _digits_like(tmp_path, **options):
    """A small float32 classifier exported with ``options``: (model, path, ModelProto)."""
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    path = tmp_path / "small.onnx"
    return model, path, cr.onnx.export(model, cr.zeros(1, 4), path, **options)


def _dims(value) -> list:
    """The dims of a graph input or output: names, sizes, or None where neither is set."""
    return [
        d.dim_param or (d.dim_value if d.HasField("dim_value") else None)
        for d in value.type.tensor_type.shape.dim
    ]


def _oldest_ir_version_of(opset: int) -> int:
    """The IR version of the first onnx release whose default opset reaches ``opset``, read
    from onnx's own table of releases."""
    return min(
        ir for _, ir, default_opset, *_ in onnx.helper.VERSION_TABLE if default_opset >= opset
    )


@pytest.mark.parametrize("opset", [13, 17, None])
def test_the_file_carries_the_oldest_ir_version_of_its_opset(opset, tmp_path):
    opset = opset or onnx.defs.onnx_opset_version()  # None: the newest onnx knows
    model, path, proto = _digits_like(tmp_path, opset_version=opset)
    saved = onnx.load(path)
    assert saved.SerializeToString() == proto.SerializeToString()
    assert [(o.domain, o.version) for o in saved.opset_import] == [("", opset)]
    assert saved.ir_version == _oldest_ir_version_of(opset)
    onnx.checker.check_model(saved, full_check=True)
    if opset <= 17:
        x = np.ones((3, 4), np.float32)
        np.testing.assert_allclose(in_onnxruntime(path, x), evaluated(model, x), rtol=1e-6)


def test_opset_17_is_the_default_and_ir_version_8_carries_it(tmp_path):
    _, path, _ = _digits_like(tmp_path)
    saved = onnx.load(path)
    assert (saved.opset_import[0].version, saved.ir_version) == (17, 8)  # not onnx.IR_VERSION
    assert (saved.producer_name, saved.producer_version) == ("chainrule", cr.__version__)


def test_the_batch_dimension_is_free_and_the_names_are_pytorchs_defaults(tmp_path):
    model, path, proto = _digits_like(tmp_path)
    assert [(v.name, _dims(v)) for v in proto.graph.input] == [("input", ["batch", 4])]
    assert [(v.name, _dims(v)) for v in proto.graph.output] == [("output", ["batch", 2])]
    for batch in (1, 7):
        x = np.random.default_rng(batch).normal(size=(batch, 4)).astype(np.float32)
        np.testing.assert_allclose(in_onnxruntime(path, x), evaluated(model, x), rtol=1e-6)


def test_names_are_given_and_initializers_keep_the_state_dict_names(tmp_path):
    model, path, proto = _digits_like(tmp_path, input_names=["pixels"], output_names=("logits",))
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["pixels"]
    assert [o.name for o in session.get_outputs()] == ["logits"]
    assert [i.name for i in proto.graph.initializer] == list(model.state_dict())
    for init in proto.graph.initializer:
        array = onnx.numpy_helper.to_array(init)
        np.testing.assert_array_equal(array, model.state_dict()[init.name].numpy())


def test_a_flatten_from_dim_0_merges_the_batch_so_the_output_dimension_has_no_name(tmp_path):
    model = nn.Sequential(nn.Tanh(), nn.Flatten(0))
    proto = cr.onnx.export(model, cr.zeros(2, 3, 4), tmp_path / "f.onnx")
    assert _dims(proto.graph.output[0]) == [None]
    x = np.random.default_rng(0).normal(size=(5, 3, 4)).astype(np.float32)
    assert in_onnxruntime(tmp_path / "f.onnx", x).shape == (60,)


def test_a_model_with_no_layers_passes_its_input_through(tmp_path):
    proto = cr.onnx.export(nn.Sequential(), cr.zeros(2, 3), tmp_path / "empty.onnx")
    assert [n.op_type for n in proto.graph.node] == ["Identity"]
    x = np.arange(6, dtype=np.float32).reshape(3, 2)[:, :1].repeat(3, axis=1)
    np.testing.assert_array_equal(in_onnxruntime(tmp_path / "empty.onnx", x), x)


def test_a_model_in_training_exports_what_eval_computes_and_stays_in_training(tmp_path):
    cr.manual_seed(0)
    norm = _batch_norm(np.random.default_rng(0), 3)
    model = nn.Sequential(nn.Linear(4, 3), norm, nn.Dropout(0.9))  # in training, as built
    path = tmp_path / "training.onnx"
    cr.onnx.export(model, cr.ones(8, 4), path)
    assert all(m.training for m in model.modules())
    assert int(norm.num_batches_tracked.data) == 0
    x = np.random.default_rng(1).normal(size=(6, 4)).astype(np.float32)
    np.testing.assert_allclose(in_onnxruntime(path, x), evaluated(model, x), rtol=1e-5, atol=1e-6)


class Doubler(nn.Module):
    def forward(self, x):
        return x * 2


class WiderLinear(nn.Linear):
    """A subclass may compute anything: export refuses it rather than guess."""


ERRORS = {
    "a module of the user's": (
        lambda: (
            nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), Doubler())),
            cr.zeros(1, 2),
        ),
        {},
        "cannot export Doubler (layer 1.1): export knows Sequential, Linear, Conv2d, MaxPool2d,",
    ),
    "a subclass of a layer it knows": (
        lambda: (WiderLinear(2, 2), cr.zeros(1, 2)),
        {},
        "cannot export WiderLinear (the model)",
    ),
    "no example input": (
        lambda: (nn.Linear(2, 2), None),
        {},
        "export needs an example input: a tensor whose first dimension is the batch, such as "
        "cr.zeros(1, 64) for a model of 64 inputs, not NoneType",
    ),
    "a 0-d example input": (
        lambda: (nn.ReLU(), cr.tensor(1.0)),
        {},
        "export needs an example input: ",
    ),
    "an array, not a tensor": (
        lambda: (nn.ReLU(), np.zeros((1, 2), np.float32)),
        {},
        "not ndarray",
    ),
    "an example input without a batch dimension": (
        lambda: (nn.Sequential(nn.ReLU(), nn.Linear(3, 2)), cr.zeros(3)),
        {},
        "Linear (layer 1) gets an input of shape (3,), which has no batch dimension; export "
        "needs a batched example input, so that it takes (N, in_features)",
    ),
    "an image without a batch dimension": (
        lambda: (nn.Conv2d(1, 1, 2), cr.zeros(1, 3, 3)),
        {},
        "so that it takes (N, C, H, W)",
    ),
    "an example input that does not fit": (
        lambda: (nn.Sequential(nn.Linear(3, 2)), cr.zeros(1, 4)),
        {},
        "the example input does not fit Linear (layer 0): Linear(in_features=3, out_features=2) "
        "got input of shape (1, 4); its last dimension must be 3",
    ),
    "an example input of another dtype": (
        lambda: (nn.Linear(3, 2), cr.zeros(1, 3, dtype=cr.float64)),
        {},
        "the example input is float64 and the model float32; give an input of the model's "
        "dtype (or make the model float64 with model.to(cr.float64))",
    ),
    "a model of two dtypes": (
        lambda: (nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 2).double()), cr.zeros(1, 3)),
        {},
        "the model holds float32 and float64 tensors; make it one dtype (model.float() or "
        "model.double())",
    ),
    "an integer model input": (
        lambda: (nn.ReLU(), cr.zeros(1, 3, dtype=cr.int64)),
        {},
        "export writes float32 or float64 models, not int64",
    ),
    "batch norm without running statistics": (
        lambda: (nn.BatchNorm1d(3, track_running_stats=False), cr.zeros(2, 3)),
        {},
        "BatchNorm1d (the model) keeps no running statistics (track_running_stats=False)",
    ),
    "an opset too old": (
        lambda: (nn.ReLU(), cr.zeros(1, 3)),
        {"opset_version": 12},
        "opset_version must be an int from 13 to ",
    ),
    "an opset that is not an int": (
        lambda: (nn.ReLU(), cr.zeros(1, 3)),
        {"opset_version": 17.0},
        "(the newest the installed onnx knows), not 17.0",
    ),
    "two input names": (
        lambda: (nn.ReLU(), cr.zeros(1, 3)),
        {"input_names": ["a", "b"]},
        "input_names must hold one non-empty name, for the one input",
    ),
    "an input named like a weight": (
        lambda: (nn.Sequential(nn.Linear(3, 2)), cr.zeros(1, 3)),
        {"input_names": ["0.weight"]},
        "the input name '0.weight' is already the name of a tensor in the graph; choose another",
    ),
    "one name for the input and the output": (
        lambda: (nn.ReLU(), cr.zeros(1, 3)),
        {"input_names": ["x"], "output_names": ["x"]},
        "the input and the output are both named 'x'",
    ),
}


@pytest.mark.parametrize("case", ERRORS)
def test_each_mistake_is_one_line_naming_it(case, tmp_path):
    build, options, expected = ERRORS[case]
    model, example = build()
    path = tmp_path / "model.onnx"
    with pytest.raises(cr.onnx.ExportError) as raised:
        cr.onnx.export(model, example, path, **options)
    message = str(raised.value)
    assert isinstance(raised.value, cr.UserError) and "\n" not in message
    assert expected in message
    assert list(tmp_path.iterdir()) == []  # nothing written


@pytest.mark.parametrize(
    "where, expected",
    [
        (
            "missing/model.onnx",
            "cannot save {path}: the folder {parent} does not exist; create it first (os.makedirs)",
        ),
        ("folder", "cannot write {path}: Is a directory"),
    ],
)
def test_a_path_that_cannot_be_written_is_one_line_and_leaves_nothing_behind(
    where, expected, tmp_path
):
    (tmp_path / "folder").mkdir()
    path = tmp_path / where
    with pytest.raises(cr.onnx.ExportError) as raised:
        cr.onnx.export(nn.ReLU(), cr.zeros(1, 2), path)
    assert str(raised.value) == expected.format(path=path, parent=path.parent)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder"]
    assert list((tmp_path / "folder").iterdir()) == []


def test_without_onnx_installed_export_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(cr.onnx.OnnxUnavailableError) as raised:
        cr.onnx.export(nn.ReLU(), cr.zeros(1, 2), tmp_path / "m.onnx")
    assert isinstance(raised.value, cr.UserError) and isinstance(raised.value, ImportError)
    assert str(raised.value).endswith('; pip install "chainrule[onnx]"')
    assert "\n" not in str(raised.value)


def test_a_model_on_the_gpu_exports_the_same_file_as_on_the_cpu(fake_gpu, tmp_path):
    model, shape = random_stack(0)
    on_cpu = cr.onnx.export(model, cr.zeros(*shape), tmp_path / "cpu.onnx")
    model.to("cuda")
    on_gpu = cr.onnx.export(model, cr.zeros(*shape, device="cuda"), tmp_path / "gpu.onnx")
    assert on_gpu.SerializeToString() == on_cpu.SerializeToString()
