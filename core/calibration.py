"""Measured node times on this CPU: profiling with onnxruntime, calibration files, applying them.

``main.py calibrate MODEL`` profiles the model and writes ``<model file name>.calibration.json``
beside it. Opening the model later finds that file (:func:`find_calibration`) when it was made for
the same model bytes and dims, and :func:`apply_calibration` gives the training graph's nodes their
measured times on the device named ``this-cpu``. Every other device keeps the roofline.

onnxruntime is reached only through :mod:`core.ort_runtime`, ONNX only through :mod:`core.onnx_import`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import RematError
from core.graph import NodeKind, TrainingGraph, TrainingNode

log = logging.getLogger(__name__)

CALIBRATION_FORMAT = "remat-studio.calibration"
CALIBRATION_VERSION = 1
#: The device measured times belong to (the ``this-cpu`` preset's device).
CALIBRATED_DEVICE = "this-cpu"
#: The profiler's resolution: shorter kernels are stored as this, so no measured time is zero.
MIN_TIME_S = 1e-6
#: Below this share of forward nodes matched, opening the model warns that most costs are estimates.
MIN_MATCHED_SHARE = 0.9
#: Backward/forward time ratio when FLOP counts cannot give one (about 2x for matmul and conv).
DEFAULT_BACKWARD_RATIO = 2.0


@dataclass(frozen=True)
class Calibration:
    """Per-node CPU times of one model file at one binding of its dims."""

    model_file: str
    model_sha256: str
    dims: tuple[tuple[str, int], ...]
    runs: int
    device: str
    cpu: str
    node_times_s: tuple[tuple[str, float], ...]

    def times(self) -> dict[str, float]:
        return dict(self.node_times_s)


# ---------------------------------------------------------------------------------------------- profiling


def profile_onnx(path: str | Path, dims: Mapping[str, int] | None, runs: int) -> dict[str, float]:
    """Per-node CPU times of the ONNX model at ``path``: the median over ``runs`` profiled runs.

    One warm-up run comes first (it allocates and packs weights). Graph optimizations are off so
    that names stay one-to-one with the file's nodes; missing external weights are replaced by
    zeros, so architecture-only files work.

    Returns
    -------
    dict
        ``{onnx node name: seconds}``, every time at least :data:`MIN_TIME_S`.
    """
    from core import ort_runtime
    from core.onnx_import import runnable_model_bytes

    if runs < 1:
        raise RematError(f"runs must be at least 1 (got {runs}); for example --runs 5")
    model = runnable_model_bytes(path, dict(dims or {}))
    per_run = ort_runtime.profile_node_times(model, runs, warmup=1)
    times = median_node_times(per_run)
    log.info("%s: profiled %d nodes over %d runs, %.6f s in all", path, len(times), runs, sum(times.values()))
    return times


def median_node_times(per_run: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """Median per node over runs; a node missing from a run took no time in it.

    Times below :data:`MIN_TIME_S` (the profiler's resolution) become :data:`MIN_TIME_S`.
    """
    names = dict.fromkeys(name for run in per_run for name in run)
    return {name: max(MIN_TIME_S, statistics.median(run.get(name, 0.0) for run in per_run)) for name in names}


# ---------------------------------------------------------------------------------------------- files


def sidecar_path(model_path: str | Path) -> Path:
    """Where the calibration of ``model_path`` lives by default: ``<model file name>.calibration.json``."""
    model_path = Path(model_path)
    return model_path.with_name(model_path.name + ".calibration.json")


def calibrate_model(
    path: str | Path, dims: Mapping[str, int] | None, runs: int = 5, out: str | Path | None = None,
) -> Path:
    """Profile the model at ``path`` and write its calibration file; return that file's path.

    The file goes to ``out`` or beside the model (:func:`sidecar_path`), written atomically.
    """
    from core.host import describe_this_cpu
    from core.jsonfile import atomic_write_text

    path = Path(path)
    if not path.is_file():
        raise RematError(f"model file {path} does not exist; give the path of an ONNX model")
    times = profile_onnx(path, dims, runs)
    calibration = Calibration(
        model_file=path.name, model_sha256=_sha256(path), dims=_dims(dims), runs=runs,
        device=CALIBRATED_DEVICE, cpu=describe_this_cpu(), node_times_s=tuple(sorted(times.items())),
    )
    target = Path(out) if out is not None else sidecar_path(path)
    atomic_write_text(target, json.dumps(calibration_to_dict(calibration), indent=2) + "\n")
    log.info("wrote calibration of %s (%d nodes) to %s", path, len(times), target)
    return target


def calibration_to_dict(calibration: Calibration) -> dict[str, Any]:
    return {
        "format": CALIBRATION_FORMAT, "version": CALIBRATION_VERSION,
        "model_file": calibration.model_file, "model_sha256": calibration.model_sha256,
        "dims": dict(calibration.dims), "runs": calibration.runs, "device": calibration.device,
        "cpu": calibration.cpu, "node_times_s": dict(calibration.node_times_s),
    }


def read_calibration(path: str | Path) -> Calibration:
    """Read a calibration file; :class:`RematError` naming the file and the field when it is malformed."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RematError(f"{path}: cannot read the calibration file ({exc}); run `main.py calibrate MODEL` "
                         "again") from exc
    if not isinstance(doc, dict) or doc.get("format") != CALIBRATION_FORMAT:
        raise RematError(f"{path}: field format: not a {CALIBRATION_FORMAT} file")
    if doc.get("version") != CALIBRATION_VERSION:
        raise RematError(f"{path}: field version: {doc.get('version')!r} is not supported (expected "
                         f"{CALIBRATION_VERSION}); run `main.py calibrate MODEL` again")
    text_fields = {key: _typed(doc, key, str, path) for key in ("model_file", "model_sha256", "device", "cpu")}
    dims = _typed(doc, "dims", dict, path)
    times = _typed(doc, "node_times_s", dict, path)
    for key, value in {**{f"dims/{k}": v for k, v in dims.items()}, "runs": doc.get("runs")}.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise RematError(f"{path}: field {key}: {value!r} is not a positive integer")
    for name, value in times.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise RematError(f"{path}: field node_times_s/{name}: {value!r} is not a positive number of seconds")
    return Calibration(
        model_file=text_fields["model_file"], model_sha256=text_fields["model_sha256"],
        dims=tuple(sorted(dims.items())), runs=doc["runs"], device=text_fields["device"],
        cpu=text_fields["cpu"], node_times_s=tuple((str(k), float(v)) for k, v in times.items()),
    )


def find_calibration(
    model_path: str | Path, dims: Mapping[str, int] | None,
) -> tuple[Calibration | None, str | None]:
    """The calibration file beside ``model_path`` if it matches the model bytes and ``dims``.

    Returns ``(calibration, None)`` on a match, ``(None, None)`` when there is no file and
    ``(None, warning)`` when a file exists but is unreadable or was made for other dims or another
    version of the model; the warning says to calibrate again.
    """
    model_path = Path(model_path)
    sidecar = sidecar_path(model_path)
    if not sidecar.is_file():
        return None, None
    again = f"run `main.py calibrate {model_path}` again"
    try:
        calibration = read_calibration(sidecar)
    except RematError as exc:
        return None, f"calibration ignored: {exc}"
    if calibration.model_sha256 != _sha256(model_path):
        return None, f"calibration file {sidecar} was made for another version of the model: {again}"
    if calibration.dims != _dims(dims):
        made = ", ".join(f"{k}={v}" for k, v in calibration.dims) or "no dims"
        return None, f"calibration file {sidecar} was made for other dims ({made}): {again} with these dims"
    return calibration, None


# ---------------------------------------------------------------------------------------------- applying


def apply_calibration(graph: TrainingGraph, calibration: Calibration | Mapping[str, float]) -> TrainingGraph:
    """A copy of ``graph`` whose nodes carry measured times for the calibrated device.

    Forward nodes whose ``onnx_name`` was measured get that time. A backward node gets its forward
    node's time scaled by their FLOP ratio (:data:`DEFAULT_BACKWARD_RATIO` when either count is
    unknown). Other nodes keep their roofline costs. When fewer than :data:`MIN_MATCHED_SHARE` of the
    forward nodes match, a warning is appended to the graph's warnings.
    """
    if isinstance(calibration, Calibration):
        times, device, label = calibration.times(), calibration.device, f"calibration of {calibration.model_file}"
    else:
        times, device, label = dict(calibration), CALIBRATED_DEVICE, "calibration"
    measured: dict[int, float] = {
        node.id: times[node.onnx_name] for node in graph.nodes
        if node.kind is NodeKind.FORWARD and node.onnx_name and node.onnx_name in times
    }
    nodes = tuple(_calibrated(node, graph, measured, device) for node in graph.nodes)
    warnings = graph.warnings
    forward = len(graph.forward_nodes())
    if forward and len(measured) < MIN_MATCHED_SHARE * forward:
        warnings += (f"{label} matched {len(measured)} of {forward} forward nodes; the others keep "
                     "roofline estimates (was the model re-exported? run `main.py calibrate MODEL` again)",)
    return dataclasses.replace(graph, nodes=nodes, warnings=warnings)


def _calibrated(node: TrainingNode, graph: TrainingGraph, measured: Mapping[int, float], device: str) -> TrainingNode:
    if node.id in measured:
        time_s = measured[node.id]
    elif node.kind is NodeKind.BACKWARD and node.forward_id is not None and node.forward_id in measured:
        forward = graph.nodes[node.forward_id]
        known = node.flops > 0 and forward.flops > 0
        time_s = measured[forward.id] * (node.flops / forward.flops if known else DEFAULT_BACKWARD_RATIO)
    else:
        return node
    kept = tuple((name, cost) for name, cost in node.device_cost_s if name != device)
    costs = (*kept, (device, time_s))
    return dataclasses.replace(node, device_cost_s=costs)


# ---------------------------------------------------------------------------------------------- helpers


def _dims(dims: Mapping[str, int] | None) -> tuple[tuple[str, int], ...]:
    return tuple(sorted((str(k), int(v)) for k, v in (dims or {}).items()))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as exc:
        raise RematError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return digest.hexdigest()


def _typed(doc: Mapping[str, Any], key: str, kind: type, path: Path) -> Any:
    value = doc.get(key)
    if not isinstance(value, kind):
        raise RematError(f"{path}: field {key}: expected {kind.__name__}, found {type(value).__name__}; "
                         "run `main.py calibrate MODEL` again")
    return value
