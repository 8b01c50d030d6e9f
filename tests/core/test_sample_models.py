"""The bundled sample models: they import, match published parameter counts and FLOPs, stay small."""

from __future__ import annotations

import filecmp
from collections import Counter
from pathlib import Path

import pytest

from core.onnx_import import load_onnx
from core.paths import DEFAULT_SAMPLE_MODEL, MODELS_DIR
from scripts import make_sample_models

SAMPLES = sorted(make_sample_models.SAMPLES)
STATIC_SAMPLES = [name for name in SAMPLES if "dynamic" not in name]


def _unet_params() -> int:
    """U-Net by hand: double 3x3 conv + BN blocks, 2x2 transposed convs, 1x1 head."""
    def double(cin: int, cout: int) -> int:
        return 9 * cin * cout + 9 * cout * cout + 2 * 2 * cout

    blocks = [(3, 64), (64, 128), (128, 256), (256, 512), (512, 1024),
              (1024, 512), (512, 256), (256, 128), (128, 64)]
    ups = [(1024, 512), (512, 256), (256, 128), (128, 64)]
    return sum(double(a, b) for a, b in blocks) + sum(4 * a * b + b for a, b in ups) + 64 * 2 + 2


#: Published counts (torchvision, HF GPT-2) or counted by hand; BN running statistics excluded.
PARAMS = {
    "mlp_bs64.onnx": 784 * 1024 + 1024 + 1024 * 1024 + 1024 + 1024 * 512 + 512 + 512 * 10 + 10,
    "vgg11_bs32.onnx": 132_863_336,
    "resnet18_bs32.onnx": 11_689_512,
    "resnet50_bs32.onnx": 25_557_032,
    "gpt2_small_bs8.onnx": 124_439_808,
    "gpt2_small_dynamic.onnx": 124_439_808,
    "unet_bs8.onnx": _unet_params(),
}

#: Published multiply-accumulates per 224x224 image (GMAC): ResNet-18 1.82, ResNet-50 4.11, VGG-11 7.61.
GMAC_PER_IMAGE = {"resnet18_bs32.onnx": 1.82, "resnet50_bs32.onnx": 4.11, "vgg11_bs32.onnx": 7.61}


def _load(name: str):  # type: ignore[no-untyped-def]
    dims = {"batch": 8, "sequence": 512} if "dynamic" in name else None
    return load_onnx(MODELS_DIR / name, dims)


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_imports_with_exact_parameter_count(name: str) -> None:
    graph = _load(name)
    assert graph.param_count == PARAMS[name]
    assert graph.param_bytes == 4 * PARAMS[name]
    assert graph.opset == 17
    assert graph.unknown_op_types == () and graph.warnings == ()
    assert all(op.cost_known and op.outputs and op.outputs[0].size_bytes > 0 for op in graph.operators)


@pytest.mark.parametrize("name", SAMPLES)
def test_samples_are_small_and_architecture_only(name: str) -> None:
    assert (MODELS_DIR / name).stat().st_size < 1024 * 1024
    assert not list(MODELS_DIR.glob("*.bin"))


@pytest.mark.parametrize(("name", "gmac"), sorted(GMAC_PER_IMAGE.items()))
def test_cnn_flops_match_published_macs(name: str, gmac: float) -> None:
    graph = _load(name)
    batch = graph.graph_inputs[0].shape[0]
    macs_per_image = sum(op.flops for op in graph.operators if op.op_type in ("Conv", "Gemm")) / 2 / batch
    assert macs_per_image / 1e9 == pytest.approx(gmac, rel=0.01)


def test_default_sample_opens_without_dims() -> None:
    graph = load_onnx(DEFAULT_SAMPLE_MODEL)
    assert graph.graph_inputs[0].shape == (32, 3, 224, 224)
    counts = Counter(op.op_type for op in graph.operators)
    assert counts["Conv"] == 20 and counts["Add"] == 8  # 8 basic blocks, 3 downsample convs
    conv = next(op for op in graph.operators if op.name == "/layer1/layer1.0/conv1/Conv")
    assert conv.module_scope == "layer1.0.conv1"


def test_gpt2_has_realistic_shape_arithmetic() -> None:
    graph = _load("gpt2_small_bs8.onnx")
    assert graph.onnx_node_count > 1000
    counts = Counter(op.op_type for op in graph.operators)
    assert counts["LayerNormalization"] == 25 and counts["Softmax"] == 12 and counts["Split"] == 12
    assert counts["MatMul"] == 2 * 12 + 1 and counts["Gemm"] == 4 * 12
    assert not {"Shape", "Constant", "Concat", "Reshape", "Range"} & set(counts)
    assert graph.operators[-1].outputs[0].shape == (8, 512, 50257)


def test_dynamic_sample_binds_named_dims() -> None:
    graph = load_onnx(MODELS_DIR / "gpt2_small_dynamic.onnx", {"batch": 2, "sequence": 128})
    assert graph.graph_inputs[0].shape == (2, 128)
    assert graph.operators[-1].outputs[0].shape == (2, 128, 50257)
    assert len(graph.operators) == len(_load("gpt2_small_bs8.onnx").operators)


def test_unet_has_skip_concats_and_transposed_convs() -> None:
    counts = Counter(op.op_type for op in _load("unet_bs8.onnx").operators)
    assert counts["Concat"] == 4 and counts["ConvTranspose"] == 4


def test_generator_reproduces_committed_files(tmp_path: Path) -> None:
    assert make_sample_models.main([str(tmp_path)]) == 0
    for name in SAMPLES:
        assert filecmp.cmp(tmp_path / name, MODELS_DIR / name, shallow=False), name
