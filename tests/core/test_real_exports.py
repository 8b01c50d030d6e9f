"""Real PyTorch exports (small but structurally faithful) through the importer.

Each model is exported with torch.onnx.export at opset 17 (training mode: BatchNorm and Dropout as in
training), its weights moved to external data and deleted (architecture only). The importer must
find exactly the parameters torch counts, and every shape it reports must equal what onnxruntime
measures when it runs the same file on zeros.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

import onnx  # noqa: E402

from core import ort_runtime  # noqa: E402
from core.onnx_import import load_onnx, runnable_model_bytes  # noqa: E402
from tests.core import torch_models as tm  # noqa: E402
from tests.core.torch_export import HAVE_ONNXSCRIPT, export_architecture_only  # noqa: E402

pytestmark = [pytest.mark.torch, pytest.mark.slow]

IMAGE = (2, 3, 64, 64)
TOKENS = (2, 16)


def _cases() -> dict[str, tuple]:
    img, ids = torch.zeros(IMAGE), torch.zeros(TOKENS, dtype=torch.long)
    return {
        "resnet": (lambda: tm.ResNet((1, 1, 1, 1), width=8, num_classes=10), (img,), ["input"]),
        "vgg": (lambda: tm.VGG((8, "M", 16, "M"), hidden=32, num_classes=10),
                (torch.zeros(2, 3, 28, 28),), ["input"]),
        "mobilenet_v2": (lambda: tm.MobileNet(False, 10, depth=0.34), (img,), ["input"]),
        "efficientnet": (lambda: tm.MobileNet(True, 10, depth=0.34), (img,), ["input"]),
        "densenet": (lambda: tm.DenseNet((2, 2), growth=8, init=16, num_classes=10), (img,), ["input"]),
        "fcn": (lambda: tm.FCN((1, 1, 1, 1), width=8), (img,), ["input"]),
        "vit": (lambda: tm.ViT(64, 16, 64, 4, 2, 10), (img,), ["input"]),
        "bert": (lambda: tm.TextEncoder(100, 64, 4, 2, 32), (ids, torch.ones(TOKENS, dtype=torch.long)),
                 ["input_ids", "attention_mask"]),
        "gpt": (lambda: tm.GPTDecoder(100, 64, 4, 2, 32), (ids,), ["input_ids"]),
    }


CASES = sorted(_cases())


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, int]]:
    """Every case exported once (legacy exporter): path and torch's parameter count."""
    torch.manual_seed(0)
    out = tmp_path_factory.mktemp("exports")
    result = {}
    for name, (make, args, names) in _cases().items():
        model = make()
        path = export_architecture_only(model, args, out / f"{name}.onnx", input_names=names)
        result[name] = (path, sum(p.numel() for p in model.parameters()))
    return result


@pytest.mark.parametrize("name", CASES)
def test_parameter_count_matches_torch(exports: dict, name: str) -> None:
    path, torch_params = exports[name]
    graph = load_onnx(path)
    assert graph.param_count == torch_params
    assert graph.unknown_op_types == ()
    assert not [w for w in graph.warnings if "running the model" in w]  # folding was enough
    assert graph.onnx_node_count > len(graph.operators) > 0


@pytest.mark.parametrize("name", CASES)
def test_shapes_match_onnxruntime(exports: dict, name: str) -> None:
    path, _ = exports[name]
    graph = load_onnx(path)
    model = onnx.load_from_string(runnable_model_bytes(path))
    wanted = [t.name for op in graph.operators for t in op.outputs]
    present = {o.name for o in model.graph.output}
    model.graph.output.extend(onnx.ValueInfoProto(name=n) for n in wanted if n not in present)
    measured = ort_runtime.run_for_shapes(model.SerializeToString())
    for op in graph.operators:
        for tensor in op.outputs:
            assert measured[tensor.name][0] == tensor.shape, (op.name, tensor.name)


@pytest.mark.parametrize("name", CASES)
def test_inspect_json_on_every_export(exports: dict, name: str, capsys: pytest.CaptureFixture[str]) -> None:
    from cli import main

    path, torch_params = exports[name]
    assert main(["inspect", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["param_count"] == torch_params and report["unknown_op_types"] == []
    assert report["data_path_op_count"] < report["training_node_count"] <= 2 * report["data_path_op_count"] + 1
    assert report["min_feasible_budget_bytes"] <= report["no_recompute_peak_bytes"]


def test_module_scopes_resolve_against_named_modules(exports: dict) -> None:
    path, _ = exports["resnet"]
    modules = dict(tm.ResNet((1, 1, 1, 1), width=8, num_classes=10).named_modules())
    graph = load_onnx(path)
    scoped = [op for op in graph.operators if op.module_scope]
    assert len(scoped) >= 0.9 * len(graph.operators)
    assert all(op.module_scope in modules for op in scoped)
    assert any(op.module_scope == "layer1.0.conv1" for op in graph.operators)


def test_batch_dim_binds_on_a_real_export(tmp_path: Path) -> None:
    model = tm.ResNet((1, 1, 1, 1), width=8, num_classes=10)
    path = export_architecture_only(model, (torch.zeros(IMAGE),), tmp_path / "r.onnx", input_names=["input"],
                                    dynamic_axes={"input": {0: "batch"}})
    small, large = load_onnx(path, {"batch": 2}), load_onnx(path, {"batch": 6})
    # BatchNorm's running statistics (extra outputs in training mode) do not grow with the batch.
    first = [(a.outputs[0].size_bytes, b.outputs[0].size_bytes) for a, b in zip(small.operators, large.operators,
                                                                                 strict=True)]
    assert all(big == 3 * little for little, big in first)
    assert sum(op.flops for op in large.operators) == pytest.approx(3 * sum(op.flops for op in small.operators))


@pytest.mark.skipif(not HAVE_ONNXSCRIPT, reason="the dynamo exporter needs onnxscript, not installed")
@pytest.mark.parametrize("name", ["resnet", "vit"])
def test_dynamo_exports(tmp_path: Path, name: str) -> None:
    """torch.export-based exporter, unoptimized: parameters match and name_scopes give module paths."""
    make, args, names = _cases()[name]
    model = make()
    path = export_architecture_only(model, args, tmp_path / f"{name}.onnx", input_names=names, dynamo=True,
                                    optimize=False)
    graph = load_onnx(path)
    assert graph.param_count == sum(p.numel() for p in model.parameters())
    modules = dict(model.named_modules())
    # Every operator maps to a module; ops of the model's own forward map to the root ("").
    assert all(op.module_scope in modules for op in graph.operators)
    assert sum(bool(op.module_scope) for op in graph.operators) >= 0.8 * len(graph.operators)
    assert all(op.cost_known for op in graph.operators)


@pytest.mark.skipif(not HAVE_ONNXSCRIPT, reason="the dynamo exporter needs onnxscript, not installed")
def test_dynamo_optimized_export_imports(tmp_path: Path) -> None:
    make, args, names = _cases()["resnet"]
    path = export_architecture_only(make(), args, tmp_path / "r.onnx", input_names=names, dynamo=True)
    graph = load_onnx(path)
    assert graph.operators and graph.unknown_op_types == ()
    assert any(op.module_scope.startswith("layer1.0") for op in graph.operators)
