"""Opening model files: ONNX, node-link graphs, the project's graph format, and every mistake."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.errors import RematError
from core.graph import NodeKind
from core.model_io import open_model
from core.paths import DEFAULT_SAMPLE_MODEL, MODELS_DIR, RESOURCES
from tests.core.test_nodelink import checkmate_doc


def test_onnx_sample() -> None:
    loaded = open_model(DEFAULT_SAMPLE_MODEL)
    assert loaded.model is not None and loaded.system is None and loaded.budgets == {}
    assert len(loaded.training.forward_nodes()) == len(loaded.model.operators) == 68
    assert loaded.training.static_bytes > 2 * loaded.model.param_bytes


def test_onnx_dims_and_optimizer() -> None:
    loaded = open_model(MODELS_DIR / "gpt2_small_dynamic.onnx", {"batch": 2, "sequence": 16}, optimizer="adam")
    assert loaded.dims == {"batch": 2, "sequence": 16} and loaded.optimizer == "adam"
    assert loaded.training.optimizer == "adam"
    params = loaded.model.param_bytes  # type: ignore[union-attr]
    assert loaded.training.static_bytes >= 4 * params


def test_nodelink_file(tmp_path: Path) -> None:
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(checkmate_doc()))
    loaded = open_model(path)
    assert loaded.model is None and len(loaded.training.nodes) == 5
    assert loaded.training.nodes[2].kind is NodeKind.LOSS


def test_graph_file_carries_its_problem() -> None:
    loaded = open_model(RESOURCES / "examples" / "xengine" / "multi_tiny.json")
    assert loaded.system is not None and len(loaded.system.devices) == 2
    assert loaded.budgets == {"mem0": 5_000_000, "mem1": 5_000_000}


@pytest.mark.parametrize(("content", "message"), [
    ('{"format": "remat-studio.schedule", "version": 1}', "is a schedule file, not a model"),
    ('{"hello": "world"}', "not a model file this program reads"),
    ('{"nodes": [', "is not valid JSON"),
    ("", "is not valid JSON"),
])
def test_json_that_is_not_a_model(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "x.json"
    path.write_text(content)
    with pytest.raises(RematError, match=message):
        open_model(path)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(RematError, match="model file not found"):
        open_model(tmp_path / "absent.onnx")
    with pytest.raises(RematError, match="is a folder"):
        open_model(tmp_path)


def test_dims_on_a_graph_file_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(checkmate_doc()))
    with pytest.raises(RematError, match="--dim applies to ONNX models only"):
        open_model(path, {"batch": 2})


def test_truncated_onnx_file(tmp_path: Path) -> None:
    path = tmp_path / "cut.onnx"
    path.write_bytes(DEFAULT_SAMPLE_MODEL.read_bytes()[:5000])
    with pytest.raises(RematError, match="is not an ONNX model"):
        open_model(path)
