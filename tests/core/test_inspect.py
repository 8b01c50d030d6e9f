"""The inspect report: keys, figures consistent with the imported graph, human text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.errors import RematError
from core.inspect import format_inspect, inspect_model
from core.paths import DEFAULT_SAMPLE_MODEL, MODELS_DIR

KEYS = {
    "model", "source", "onnx_node_count", "data_path_op_count", "training_node_count", "param_count",
    "param_bytes", "activation_bytes", "static_bytes", "no_recompute_peak_bytes",
    "min_feasible_budget_bytes", "unknown_op_types", "warnings", "dims", "op_type_counts",
}

def test_report_of_default_sample() -> None:
    report = inspect_model(DEFAULT_SAMPLE_MODEL)
    assert set(report) >= KEYS
    assert report["onnx_node_count"] == 69 and report["data_path_op_count"] == 68
    assert report["param_count"] == 11_689_512 and report["param_bytes"] == 4 * 11_689_512
    assert report["op_type_counts"]["Conv"] == 20
    # Training holds at least the parameters and their gradients (SGD without momentum).
    assert report["static_bytes"] >= 2 * report["param_bytes"]
    assert report["min_feasible_budget_bytes"] <= report["no_recompute_peak_bytes"]
    assert report["no_recompute_peak_bytes"] > report["static_bytes"]
    assert report["training_node_count"] > 2 * report["data_path_op_count"]
    json.dumps(report)  # JSON-ready


def test_adam_state_raises_static_memory() -> None:
    sgd = inspect_model(MODELS_DIR / "mlp_bs64.onnx", optimizer="sgd")
    adam = inspect_model(MODELS_DIR / "mlp_bs64.onnx", optimizer="adam")
    assert adam["static_bytes"] > sgd["static_bytes"]


def test_dims_reach_the_report() -> None:
    report = inspect_model(MODELS_DIR / "gpt2_small_dynamic.onnx", {"batch": 2, "sequence": 64})
    assert report["dims"] == {"batch": 2, "sequence": 64}
    assert report["param_count"] == 124_439_808


def test_unbound_dim_is_a_user_error() -> None:
    with pytest.raises(RematError, match="--dim sequence=VALUE"):
        inspect_model(MODELS_DIR / "gpt2_small_dynamic.onnx", {"batch": 2})


def _report(**extra: object) -> dict:
    report: dict = {
        "model": "m", "source": "m.onnx", "onnx_node_count": 1200, "data_path_op_count": 353,
        "training_node_count": 707, "param_count": 124_439_808, "param_bytes": 497_759_232,
        "activation_bytes": 2**30, "static_bytes": 2 * 497_759_232, "no_recompute_peak_bytes": 3 * 2**30,
        "min_feasible_budget_bytes": 2**30, "forward_flops": 1.1e12, "unknown_op_types": ["FancyNorm"],
        "warnings": ["no cost rule for op type 'FancyNorm'"], "dims": {"batch": 8},
        "op_type_counts": {"MatMul": 25, "Gemm": 48}, "optimizer": "sgd",
    }
    report.update(extra)
    return report


def test_format_shows_figures_and_warnings() -> None:
    text = format_inspect(_report())
    assert "1,200 in the file, 353 on the data path" in text
    assert "124,439,808 (474.70 MiB)" in text
    assert "3.00 GiB" in text and "batch=8" in text
    assert "FancyNorm (costs are estimates)" in text
    assert text.splitlines()[-1] == "warning: no cost rule for op type 'FancyNorm'"


def test_format_training_graph_file_without_onnx_figures() -> None:
    text = format_inspect(_report(onnx_node_count=None, data_path_op_count=None, param_count=None,
                                  unknown_op_types=[], warnings=[], dims={}))
    assert "ONNX nodes" not in text and "parameters" not in text.split("static")[0]
    assert "training graph" in text


def test_format_profile_line() -> None:
    assert "over 68 nodes" in format_inspect(_report(profiled_nodes=68, profile_total_s=0.25))


@pytest.fixture
def missing(tmp_path: Path) -> Path:
    return tmp_path / "absent.onnx"


def test_missing_model(missing: Path) -> None:
    with pytest.raises(RematError, match=r"absent\.onnx"):
        inspect_model(missing)
