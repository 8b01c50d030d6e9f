"""The ``inspect`` report: what a model is made of and the memory figures that bound any schedule."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from core.errors import RematError
from core.graph import TrainingGraph, min_feasible_budget, no_recompute_peak
from core.units import format_bytes, format_seconds

#: Profiled runs for ``inspect --profile`` (the median per node is kept).
PROFILE_RUNS = 3


def inspect_model(
    path: str | Path, dims: Mapping[str, int] | None = None, optimizer: str = "sgd", profile: bool = False,
) -> dict[str, Any]:
    """Operator counts, parameters, memory figures and warnings of the model at ``path``.

    Returns a JSON-ready dict with the keys ``model, source, onnx_node_count, data_path_op_count,
    training_node_count, param_count, param_bytes, activation_bytes, static_bytes,
    no_recompute_peak_bytes, min_feasible_budget_bytes, forward_flops, unknown_op_types, warnings,
    dims, op_type_counts, wall_s`` (plus ``profiled_nodes, profile_total_s`` with ``profile``).
    ONNX-only figures are ``None`` for training-graph JSON files.
    """
    from core.model_io import open_model

    start = time.perf_counter()
    loaded = open_model(Path(path), dict(dims or {}), optimizer)
    training: TrainingGraph = loaded.training
    model = loaded.model
    forward = training.forward_nodes()
    if model is not None:
        op_types = Counter(op.op_type for op in model.operators)
        activation_bytes = model.activation_bytes
        flops = sum(op.flops for op in model.operators)
    else:
        op_types = Counter(node.op_type for node in forward)
        activation_bytes = sum(node.size_bytes for node in forward)
        flops = sum(node.flops for node in forward)
    warnings = [*(model.warnings if model else ()), *training.warnings]
    report: dict[str, Any] = {
        "model": model.name if model else training.name,
        "source": str(path),
        "onnx_node_count": model.onnx_node_count if model else None,
        "data_path_op_count": len(model.operators) if model else None,
        "training_node_count": len(training.nodes),
        "param_count": model.param_count if model else None,
        "param_bytes": model.param_bytes if model else training.param_bytes,
        "activation_bytes": activation_bytes,
        "static_bytes": training.static_bytes,
        "no_recompute_peak_bytes": no_recompute_peak(training),
        "min_feasible_budget_bytes": min_feasible_budget(training),
        "forward_flops": flops,
        "optimizer": optimizer,
        "unknown_op_types": list(model.unknown_op_types if model else ()),
        "warnings": list(dict.fromkeys(warnings)),
        "dims": dict(model.dims) if model else dict(dims or {}),
        "op_type_counts": dict(op_types.most_common()),
    }
    if profile:
        report.update(_profile(Path(path), dict(dims or {}), model is not None))
    report["wall_s"] = round(time.perf_counter() - start, 3)
    return report


def _profile(path: Path, dims: dict[str, int], is_onnx: bool) -> dict[str, Any]:
    """Measured per-node CPU times from onnxruntime (:func:`core.calibration.profile_onnx`)."""
    if not is_onnx:
        raise RematError(f"{path}: --profile needs an ONNX model (it runs the model with onnxruntime)")
    from core.calibration import profile_onnx

    node_times = profile_onnx(path, dims, PROFILE_RUNS)
    times = dict(node_times)
    return {"profiled_nodes": len(times), "profile_total_s": float(sum(times.values()))}


def format_inspect(report: Mapping[str, Any]) -> str:
    """The report as a few aligned lines for a terminal."""
    rows: list[tuple[str, str]] = [("model", f"{report['model']}  ({report['source']})")]
    if report.get("dims"):
        rows.append(("dims", ", ".join(f"{k}={v}" for k, v in report["dims"].items())))
    if report.get("onnx_node_count") is not None:
        rows.append(("ONNX nodes", f"{report['onnx_node_count']:,} in the file, "
                                   f"{report['data_path_op_count']:,} on the data path"))
    rows.append(("training graph", f"{report['training_node_count']:,} nodes (forward, loss, backward)"))
    if report.get("param_count") is not None:
        rows.append(("parameters", f"{report['param_count']:,} ({format_bytes(report['param_bytes'])})"))
    rows += [
        ("forward FLOPs", f"{report['forward_flops'] / 1e9:,.2f} GFLOP"),
        ("activations", format_bytes(report["activation_bytes"])),
        ("static memory", f"{format_bytes(report['static_bytes'])} (parameters, gradients, "
                          f"{report.get('optimizer', 'sgd')} state)"),
        ("no-recompute peak", format_bytes(report["no_recompute_peak_bytes"])),
        ("smallest budget", f"{format_bytes(report['min_feasible_budget_bytes'])} "
                            "(no schedule fits below this)"),
    ]
    counts = report.get("op_type_counts") or {}
    if counts:
        top = ", ".join(f"{k} {v}" for k, v in list(counts.items())[:8])
        more = f", +{len(counts) - 8} more types" if len(counts) > 8 else ""
        rows.append(("operators", top + more))
    if "profile_total_s" in report:
        rows.append(("profiled CPU time", f"{format_seconds(report['profile_total_s'])} over "
                                          f"{report['profiled_nodes']} nodes"))
    width = max(len(k) for k, _ in rows)
    lines = [f"{k:<{width}}  {v}" for k, v in rows]
    if report.get("unknown_op_types"):
        lines.append(f"{'unknown ops':<{width}}  {', '.join(report['unknown_op_types'])} "
                     "(costs are estimates)")
    lines += [f"warning: {w}" for w in report.get("warnings", ())]
    return "\n".join(lines)
