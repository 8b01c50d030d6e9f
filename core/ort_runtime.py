"""onnxruntime on this CPU: the one module that imports ``onnxruntime``.

It takes serialized models (bytes or a path), never ``onnx`` objects, so that :mod:`core.onnx_import`
stays the only module that imports ``onnx``.
"""

from __future__ import annotations

import bisect
import json
import logging
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from core.errors import RematError

log = logging.getLogger(__name__)

#: onnxruntime type strings -> numpy dtypes, for zero inputs.
_ORT_TYPES: dict[str, type] = {
    "tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(float16)": np.float16,
    "tensor(int64)": np.int64, "tensor(int32)": np.int32, "tensor(int16)": np.int16,
    "tensor(int8)": np.int8, "tensor(uint8)": np.uint8, "tensor(bool)": np.bool_,
}


def create_session(
    model: bytes | str | Path, *, enable_profiling: bool = False, profile_prefix: str | None = None,
) -> ort.InferenceSession:
    """A CPU session with graph optimizations off, so node names stay one-to-one with the file."""
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.log_severity_level = 3
    if enable_profiling:
        options.enable_profiling = True
        if profile_prefix:
            options.profile_file_prefix = profile_prefix
    source = str(model) if isinstance(model, Path) else model
    try:
        return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph types
        raise RematError(f"onnxruntime cannot load the model: {exc}") from exc


def zero_feeds(
    session: ort.InferenceSession, shapes: Mapping[str, tuple[int, ...]] | None = None,
) -> dict[str, np.ndarray]:
    """Zero-filled inputs for ``session``: shapes from ``shapes`` or from the model's static dims.

    Zeros are valid everywhere a model reads an input: token ids index row 0 of an embedding,
    masks are all-false, images are black.
    """
    feeds: dict[str, np.ndarray] = {}
    for arg in session.get_inputs():
        shape = (shapes or {}).get(arg.name) or tuple(arg.shape)
        if not all(isinstance(d, int) and d >= 0 for d in shape):
            raise RematError(f"input {arg.name!r} has no static shape ({arg.shape}); bind its dimensions")
        dtype = _ORT_TYPES.get(arg.type)
        if dtype is None:
            raise RematError(f"input {arg.name!r} has type {arg.type}, which cannot be filled with zeros")
        feeds[arg.name] = np.zeros(shape, dtype=dtype)
    return feeds


def run_for_shapes(
    model: bytes, shapes: Mapping[str, tuple[int, ...]] | None = None,
) -> dict[str, tuple[tuple[int, ...], str]]:
    """Run ``model`` once on zeros; return ``{output name: (shape, numpy dtype name)}``.

    The caller makes every tensor whose shape it needs a graph output first.
    """
    session = create_session(model)
    feeds = zero_feeds(session, shapes)
    names = [o.name for o in session.get_outputs()]
    try:
        values = session.run(names, feeds)
    except Exception as exc:
        raise RematError(f"onnxruntime could not run the model on zero inputs: {exc}") from exc
    result: dict[str, tuple[tuple[int, ...], str]] = {}
    for name, value in zip(names, values, strict=True):
        if isinstance(value, np.ndarray):
            result[name] = (tuple(int(d) for d in value.shape), value.dtype.name)
    log.info("onnxruntime fallback measured %d tensor shapes", len(result))
    return result


def profile_node_times(
    model: bytes, runs: int, *, warmup: int = 1, shapes: Mapping[str, tuple[int, ...]] | None = None,
) -> list[dict[str, float]]:
    """Run ``model`` on zeros ``warmup + runs`` times with profiling on; per-node seconds of each run.

    Returns one ``{onnx node name: seconds}`` per profiled run (warm-up runs dropped). A node that
    runs several times in one run (the body of a Loop) is summed over that run. The profile file is
    written to a temporary folder that is deleted before returning.
    """
    with tempfile.TemporaryDirectory(prefix="remat-profile-") as folder:
        session = create_session(model, enable_profiling=True, profile_prefix=str(Path(folder) / "profile"))
        feeds = zero_feeds(session, shapes)
        try:
            for _ in range(warmup + runs):
                session.run(None, feeds)
        except Exception as exc:  # onnxruntime raises its own Fail/RuntimeException types
            raise RematError(f"onnxruntime could not run the model on zero inputs: {exc}") from exc
        finally:
            profile_file = Path(session.end_profiling())
        events = json.loads(profile_file.read_text(encoding="utf-8"))
        del session
    return node_times_per_run(events)[warmup:]


def node_times_per_run(events: list[dict[str, Any]]) -> list[dict[str, float]]:
    """Split onnxruntime profile events into runs; per run, seconds per node name.

    Kernel events are named ``<node>_kernel_time`` and carry ``ts``/``dur`` in microseconds; each
    ``model_run`` session event spans one ``InferenceSession.run``.
    """
    spans = sorted((e["ts"], e["ts"] + e["dur"]) for e in events
                   if e.get("cat") == "Session" and e.get("name") == "model_run")
    starts = [start for start, _ in spans]
    runs: list[dict[str, float]] = [{} for _ in spans]
    for event in events:
        name = event.get("name", "")
        if event.get("cat") != "Node" or not name.endswith(_KERNEL_SUFFIX):
            continue
        index = bisect.bisect_right(starts, event["ts"]) - 1
        if index < 0 or event["ts"] > spans[index][1]:
            continue  # outside any run (session setup); nothing to attribute it to
        node = name[: -len(_KERNEL_SUFFIX)]
        runs[index][node] = runs[index].get(node, 0.0) + event["dur"] * 1e-6
    return runs


_KERNEL_SUFFIX = "_kernel_time"
