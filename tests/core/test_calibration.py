"""Calibration: real per-node CPU times from onnxruntime, sidecar files, and applying them to costs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from onnx import helper

from cli import main
from core import ort_runtime
from core.calibration import (
    CALIBRATED_DEVICE,
    DEFAULT_BACKWARD_RATIO,
    MIN_TIME_S,
    Calibration,
    apply_calibration,
    calibrate_model,
    find_calibration,
    median_node_times,
    profile_onnx,
    read_calibration,
    sidecar_path,
)
from core.costs import build_cost_table
from core.errors import RematError
from core.graph import NodeKind, TrainingGraph, TrainingNode
from core.onnx_import import load_onnx
from core.paths import MODELS_DIR
from core.system import Device, Memory, System
from core.system_io import load_system
from tests.core.onnx_cases import control_flow, save, vi

MLP = MODELS_DIR / "mlp_bs64.onnx"


@pytest.fixture(scope="module")
def mlp_times() -> dict[str, float]:
    return profile_onnx(MLP, {}, 3)


@pytest.fixture
def mlp_copy(tmp_path: Path) -> Path:
    return Path(shutil.copy(MLP, tmp_path / "mlp.onnx"))


# ---------------------------------------------------------------------------------------------- profiling


def test_profile_covers_every_data_path_node_with_positive_times(mlp_times: dict[str, float]) -> None:
    operators = load_onnx(MLP).operators
    assert {op.name for op in operators} <= set(mlp_times)
    assert all(t >= MIN_TIME_S for t in mlp_times.values())
    gemm = max(mlp_times[op.name] for op in operators if op.op_type == "Gemm")
    relu = max(mlp_times[op.name] for op in operators if op.op_type == "Relu")
    assert gemm > relu  # a 1024x1024 matmul costs more than an element-wise max


def test_unnamed_nodes_get_the_importers_generated_names(tmp_path: Path) -> None:
    n = helper.make_node
    path = save(tmp_path, [n("Relu", ["x"], ["a"]), n("Sigmoid", ["a"], ["b"], name="sig"), n("Relu", ["b"], ["y"])],
                [vi("x", [4, 8])], [vi("y", [4, 8])], name="unnamed")
    times = profile_onnx(path, {}, 1)
    assert {op.name for op in load_onnx(path).operators} == {"Relu_0", "sig", "Relu_2"} <= set(times)


def test_loop_body_is_profiled_and_loop_includes_it(tmp_path: Path) -> None:
    times = profile_onnx(control_flow(tmp_path), {}, 1)
    assert {"/fc/MatMul", "/If", "/Loop", "/Relu"} <= set(times)
    body = [name for name in times if name.startswith("Add_")]
    assert body and times["/Loop"] >= times[body[0]]


def test_architecture_only_files_run_on_zero_weights(tmp_path: Path) -> None:
    from tests.core.onnx_cases import weight

    n = helper.make_node
    path = save(tmp_path, [n("MatMul", ["x", "W"], ["y"], name="/fc/MatMul")], [vi("x", [2, 3])], [vi("y", [2, 4])],
                [weight("W", [3, 4], external=True)], name="no_weights")
    assert set(profile_onnx(path, {}, 1)) == {"/fc/MatMul"}


def test_profile_files_are_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # let TMPDIR take effect for this test
    profile_onnx(MLP, {}, 1)
    assert list(tmp_path.iterdir()) == []


def test_runs_must_be_positive() -> None:
    with pytest.raises(RematError, match="at least 1"):
        profile_onnx(MLP, {}, 0)


def _event(name: str, ts: int, dur: int, cat: str = "Node") -> dict[str, object]:
    return {"cat": cat, "name": name, "ts": ts, "dur": dur}


def test_events_are_split_by_run_and_repeats_summed() -> None:
    events = [
        _event("session_initialization", 0, 50, "Session"),
        _event("model_run", 100, 100, "Session"), _event("model_run", 300, 100, "Session"),
        _event("a_kernel_time", 110, 10), _event("body_kernel_time", 130, 5), _event("body_kernel_time", 140, 7),
        _event("a_kernel_time", 310, 30), _event("a_fence_before", 305, 1),
    ]
    runs = ort_runtime.node_times_per_run(events)
    assert runs == [pytest.approx({"a": 10e-6, "body": 12e-6}), pytest.approx({"a": 30e-6})]


def test_median_over_runs() -> None:
    runs = [{"a": 1.0, "b": 4.0}, {"a": 3.0, "b": 5.0}, {"a": 2.0}, {"a": 100.0, "b": 6.0}]
    # a: median of 1, 3, 2, 100 = 2.5; b is missing from one run, which counts as 0: median of 4, 5, 0, 6.
    assert median_node_times(runs) == {"a": 2.5, "b": 4.5}
    assert median_node_times([{"tiny": 0.0}]) == {"tiny": MIN_TIME_S}


# ---------------------------------------------------------------------------------------------- files


def test_calibrate_writes_a_matching_sidecar(mlp_copy: Path) -> None:
    path = calibrate_model(mlp_copy, {}, runs=2)
    assert path == sidecar_path(mlp_copy) == mlp_copy.with_name("mlp.onnx.calibration.json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert (doc["format"], doc["version"], doc["model_file"], doc["runs"]) == ("remat-studio.calibration", 1,
                                                                                 "mlp.onnx", 2)
    assert doc["device"] == CALIBRATED_DEVICE and doc["cpu"]
    calibration, warning = find_calibration(mlp_copy, {})
    assert warning is None and calibration == read_calibration(path)
    assert {op.name for op in load_onnx(mlp_copy).operators} <= set(calibration.times())


def test_sidecar_for_other_model_bytes_is_refused(mlp_copy: Path) -> None:
    calibrate_model(mlp_copy, {}, runs=1)
    mlp_copy.write_bytes(mlp_copy.read_bytes() + b"\0")
    calibration, warning = find_calibration(mlp_copy, {})
    assert calibration is None and "another version of the model" in warning  # type: ignore[operator]
    assert "main.py calibrate" in warning  # type: ignore[operator]


def test_sidecar_for_other_dims_is_refused(mlp_copy: Path) -> None:
    calibrate_model(mlp_copy, {}, runs=1)
    calibration, warning = find_calibration(mlp_copy, {"batch": 8})
    assert calibration is None and "other dims" in warning  # type: ignore[operator]


def test_no_sidecar_is_no_warning(mlp_copy: Path) -> None:
    assert find_calibration(mlp_copy, {}) == (None, None)


def test_corrupt_sidecar_is_a_warning_and_a_named_error(mlp_copy: Path) -> None:
    sidecar_path(mlp_copy).write_text('{"format": "remat-studio.calibration", "version": 1, "model_file": 3}')
    calibration, warning = find_calibration(mlp_copy, {})
    assert calibration is None and "field model_file" in warning  # type: ignore[operator]
    with pytest.raises(RematError, match=r"calibration\.json: field model_file"):
        read_calibration(sidecar_path(mlp_copy))


def test_calibrate_command_writes_to_out(mlp_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = mlp_copy.parent / "times.json"
    assert main(["calibrate", str(mlp_copy), "--runs", "1", "--out", str(out)]) == 0
    assert str(out) in capsys.readouterr().out and read_calibration(out).runs == 1
    assert main(["calibrate", str(mlp_copy.parent / "absent.onnx")]) == 2


# ---------------------------------------------------------------------------------------------- applying


def _node(i: int, kind: NodeKind, onnx_name: str = "", flops: float = 0.0, forward_id: int | None = None,
          device_cost_s: tuple[tuple[str, float], ...] = ()) -> TrainingNode:
    return TrainingNode(id=i, name=f"n{i}", kind=kind, op_type="Op", size_bytes=10, deps=(i - 1,) if i else (),
                        flops=flops, bytes_accessed=100.0, forward_id=forward_id, onnx_name=onnx_name,
                        device_cost_s=device_cost_s)


def small_graph() -> TrainingGraph:
    """f0 (conv), f1 (relu), f2 (not measured), loss, b2, b1, b0 (b0 has twice f0's FLOPs)."""
    nodes = (
        _node(0, NodeKind.FORWARD, "/conv", flops=1e9, device_cost_s=(("this-cpu", 9.0), ("gpu", 1.0))),
        _node(1, NodeKind.FORWARD, "/relu"),
        _node(2, NodeKind.FORWARD, "/new", flops=1e6),
        _node(3, NodeKind.LOSS),
        _node(4, NodeKind.BACKWARD, flops=2e6, forward_id=2),
        _node(5, NodeKind.BACKWARD, forward_id=1),
        _node(6, NodeKind.BACKWARD, flops=2e9, forward_id=0),
    )
    return TrainingGraph(name="small", nodes=nodes)


CALIBRATION = Calibration(model_file="small.onnx", model_sha256="0" * 64, dims=(), runs=3, device="this-cpu",
                          cpu="test CPU", node_times_s=(("/conv", 0.004), ("/relu", 0.001), ("/gone", 1.0)))


def this_cpu_system() -> System:
    return System(name="t", devices=(Device("this-cpu", "cpu", "ram", 1e10, 1e10, 1e-6, 0.5, 10.0, 1.0),
                                     Device("gpu", "gpu", "ram", 1e13, 1e12)), memories=(Memory("ram", 10**9),))


def test_apply_calibration_sets_measured_and_scaled_backward_times() -> None:
    graph = small_graph()
    calibrated = apply_calibration(graph, CALIBRATION)
    times = dict(calibrated.nodes[0].device_cost_s)
    assert times == {"gpu": 1.0, "this-cpu": 0.004}  # replaced for this-cpu, kept for the GPU
    assert calibrated.nodes[1].device_cost_s == (("this-cpu", 0.001),)
    assert calibrated.nodes[6].device_cost_s == (("this-cpu", pytest.approx(0.008)),)  # 2x the FLOPs
    assert calibrated.nodes[5].device_cost_s == (("this-cpu", pytest.approx(0.001 * DEFAULT_BACKWARD_RATIO)),)
    for unmatched in (2, 3, 4):
        assert calibrated.nodes[unmatched] == graph.nodes[unmatched]
    assert graph.nodes[1].device_cost_s == ()  # the input graph is unchanged


def test_apply_calibration_changes_the_cost_table_on_this_cpu_only() -> None:
    graph, system = small_graph(), this_cpu_system()
    before = build_cost_table(graph, system).compute_time_s
    after = build_cost_table(apply_calibration(graph, CALIBRATION), system).compute_time_s
    np.testing.assert_allclose(after[[0, 1, 5, 6], 0], [0.004, 0.001, 0.002, 0.008])
    np.testing.assert_array_equal(after[[2, 3, 4], 0], before[[2, 3, 4], 0])  # roofline kept
    np.testing.assert_array_equal(after[:, 1], before[:, 1])  # other devices untouched


def test_few_matches_warn_and_many_do_not() -> None:
    calibrated = apply_calibration(small_graph(), CALIBRATION)  # 2 of 3 forward nodes
    assert len(calibrated.warnings) == 1 and "matched 2 of 3 forward nodes" in calibrated.warnings[0]
    full = dict(CALIBRATION.node_times_s) | {"/new": 0.002}
    assert apply_calibration(small_graph(), full).warnings == ()


def test_real_calibration_applies_to_the_this_cpu_preset(mlp_times: dict[str, float]) -> None:
    operators = load_onnx(MLP).operators
    nodes = tuple(TrainingNode(id=i, name=op.name, kind=NodeKind.FORWARD, op_type=op.op_type,
                               size_bytes=op.output_bytes, deps=(i - 1,) if i else (), flops=op.flops,
                               bytes_accessed=op.bytes_accessed, onnx_name=op.name)
                  for i, op in enumerate(operators))
    graph = apply_calibration(TrainingGraph(name="mlp", nodes=nodes), mlp_times)
    assert graph.warnings == ()
    table = build_cost_table(graph, load_system("this-cpu"))
    np.testing.assert_allclose(table.compute_time_s[:, 0], [mlp_times[op.name] for op in operators])
