"""Open any model file the app accepts, as a training graph: the one entry point for the window and CLI.

- ``.onnx``: the forward data path (:mod:`core.onnx_import`), its training graph
  (:mod:`core.training`), and this CPU's measured node times when a calibration file lies beside it.
- ``.json`` in the project's graph format (``remat-studio.graph``, :mod:`core.graph_json`), which may
  also carry a system, budgets and an objective.
- ``.json`` node-link training graphs of the rematerialization literature (:mod:`core.nodelink`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from core.errors import RematError
from core.graph import ModelGraph, TrainingGraph
from core.jsonfile import read_json
from core.problem import Objective
from core.system import System

#: Suffixes :func:`open_model` reads, for file dialogs and messages.
MODEL_SUFFIXES = (".onnx", ".json")


@dataclass(frozen=True)
class LoadedModel:
    """An opened model file.

    ``model`` is the forward ONNX graph (None for graph files). ``system``, ``budgets`` and
    ``objective`` are what a graph file prescribes (None / empty when it prescribes nothing).
    """

    path: Path
    training: TrainingGraph
    model: ModelGraph | None = None
    system: System | None = None
    budgets: dict[str, int] = field(default_factory=dict)
    objective: Objective | None = None
    time_limit_s: float | None = None
    dims: dict[str, int] = field(default_factory=dict)
    optimizer: str = "sgd"


def open_model(path: str | Path, dims: Mapping[str, int] | None = None, optimizer: str = "sgd") -> LoadedModel:
    """Open ``path`` (see the module docstring); RematError naming the file for anything wrong with it.

    ``dims`` binds the named dimensions of an ONNX model (``{"batch": 32}``); ``optimizer`` (sgd,
    momentum, adam) decides the static memory of an ONNX model's training graph.
    """
    path = Path(path)
    dims = dict(dims or {})
    if not path.exists():
        raise RematError(f"model file not found: {path}")
    if path.is_dir():
        raise RematError(f"{path} is a folder; open an .onnx or .json model file")
    if path.suffix.lower() == ".json":
        if dims:
            raise RematError(f"{path}: --dim applies to ONNX models only; a graph file has fixed sizes")
        return _open_json(path, optimizer)
    return _open_onnx(path, dims, optimizer)


def _open_onnx(path: Path, dims: dict[str, int], optimizer: str) -> LoadedModel:
    from core.calibration import apply_calibration, find_calibration
    from core.onnx_import import load_onnx
    from core.training import build_training_graph

    model = load_onnx(path, dims)
    training = build_training_graph(model, optimizer)
    calibration, warning = find_calibration(path, dims)
    if calibration is not None:
        training = apply_calibration(training, calibration)
    if warning:
        training = replace(training, warnings=(*training.warnings, warning))
    return LoadedModel(path=path, training=training, model=model, dims=dict(model.dims), optimizer=optimizer)


def _open_json(path: Path, optimizer: str) -> LoadedModel:
    from core.graph_json import graph_from_document, is_graph_document
    from core.nodelink import is_nodelink, nodelink_graph

    document = read_json(path, "model file")
    if is_graph_document(document):
        doc = graph_from_document(document, str(path), name=path.stem)
        return LoadedModel(path=path, training=doc.graph, system=doc.system, budgets=dict(doc.budgets_bytes),
                           objective=doc.objective, time_limit_s=doc.time_limit_s, optimizer=optimizer)
    if is_nodelink(document):
        return LoadedModel(path=path, training=nodelink_graph(document, str(path), name=path.stem),
                           optimizer=optimizer)
    if isinstance(document, dict) and document.get("format") == "remat-studio.schedule":
        raise RematError(f"{path} is a schedule file, not a model: check it with `main.py validate {path}`")
    raise RematError(
        f"{path}: not a model file this program reads: expected a Remat Studio graph file (field format "
        "'remat-studio.graph', see docs/graph-format.md) or a node-link training graph (fields 'nodes' "
        "and 'links')")
