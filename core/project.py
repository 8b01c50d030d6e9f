"""Project files: the whole work in one versioned JSON file that loses nothing.

A project holds the model reference (path relative to the project file where possible, dimension
bindings, optimizer, and the model file's SHA-256), the system, the budgets, the solver settings, the
results (each a self-contained schedule document, so a result still replays if the model changes)
and the sweeps. Writes are atomic (temporary file, then rename): a crash during a save never leaves
a half-written project. A project whose model file moved loads all the same and says so
(:attr:`LoadedProject.model_missing`) so the window can ask for the model.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import RematError
from core.export.schedule_json import check_document
from core.jsonfile import atomic_write_text

FORMAT = "remat-studio.project"
VERSION = 1
SUFFIX = ".rsproj"


@dataclass(frozen=True)
class Project:
    """Everything a session needs to come back exactly as it was."""

    model_path: Path
    dims: dict[str, int] = field(default_factory=dict)
    optimizer: str = "sgd"
    model_sha256: str = ""
    system: dict[str, Any] | None = None
    budgets_bytes: dict[str, int] = field(default_factory=dict)
    solver: dict[str, Any] = field(default_factory=dict)
    #: Schedule documents (core.export.schedule_json.schedule_document) with a ``label`` in ``meta``.
    results: tuple[dict[str, Any], ...] = ()
    sweeps: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class LoadedProject:
    project: Project
    #: True when the model file is not where the project says: ask the user for it.
    model_missing: bool
    #: True when the model file exists but its content changed since the project was saved.
    model_changed: bool


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _model_reference(model_path: Path, project_path: Path) -> str:
    model_path = Path(model_path).resolve()
    try:
        return os.path.relpath(model_path, project_path.resolve().parent)
    except ValueError:  # another drive on Windows
        return str(model_path)


def project_document(project: Project, path: Path) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "model": {
            "path": _model_reference(project.model_path, Path(path)),
            "dims": dict(project.dims),
            "optimizer": project.optimizer,
            "sha256": project.model_sha256,
        },
        "system": project.system,
        "budgets_bytes": dict(project.budgets_bytes),
        "solver": dict(project.solver),
        "results": list(project.results),
        "sweeps": list(project.sweeps),
    }


def save_project(path: Path, project: Project) -> None:
    """Write ``project`` to ``path`` atomically."""
    document = project_document(project, Path(path))
    atomic_write_text(path, json.dumps(document, indent=1, allow_nan=False) + "\n")


def load_project(path: Path) -> LoadedProject:
    """Read a project file; a truncated or foreign file raises :class:`RematError` naming it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RematError(f"{path}: no such project file") from None
    except OSError as exc:
        raise RematError(f"{path}: cannot read the project: {exc.strerror or exc}") from exc
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise RematError(
            f"{path}: the project file is truncated or not valid JSON (line {getattr(exc, 'lineno', '?')}); "
            "open the recovery copy if one is offered"
        ) from None
    return _from_document(document, path)


def _from_document(document: Any, path: Path) -> LoadedProject:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise RematError(f"{path}: not a Remat Studio project (expected \"format\": \"{FORMAT}\")")
    if document.get("version") != VERSION:
        raise RematError(f"{path}: project version {document.get('version')!r} is not supported (expected {VERSION})")
    model = _field(document, "model", dict, path)
    reference = Path(_field(model, "path", str, path, "model.path"))
    model_path = reference if reference.is_absolute() else (path.resolve().parent / reference)
    results = tuple(_field(document, "results", list, path))
    for index, result in enumerate(results):
        check_document(result, f"{path}: results[{index}]")
    project = Project(
        model_path=model_path,
        dims={str(k): int(v) for k, v in _field(model, "dims", dict, path, "model.dims").items()},
        optimizer=str(model.get("optimizer", "sgd")),
        model_sha256=str(model.get("sha256", "")),
        system=document.get("system"),
        budgets_bytes={str(k): int(v) for k, v in _field(document, "budgets_bytes", dict, path).items()},
        solver=dict(_field(document, "solver", dict, path)),
        results=results,
        sweeps=tuple(_field(document, "sweeps", list, path)),
    )
    missing = not model_path.exists()
    changed = bool(not missing and project.model_sha256 and file_sha256(model_path) != project.model_sha256)
    return LoadedProject(project, model_missing=missing, model_changed=changed)


def _field(doc: dict[str, Any], key: str, kind: type, path: Path, name: str | None = None) -> Any:
    if key not in doc:
        raise RematError(f"{path}: field {name or key!r} is missing")
    value = doc[key]
    if not isinstance(value, kind):
        raise RematError(f"{path}: field {name or key!r} should be a {kind.__name__}, got {type(value).__name__}")
    return value
