"""Project files from the window: save the whole session, reopen it, ask for a model that moved.

What is saved (:mod:`core.project`): the model reference with its dimension bindings, the machine,
the budgets, the solver settings, every result (each a self-contained schedule document) and the
sweep. Reading a project, opening its model and replaying its results all happen off the GUI thread;
the session is changed only when everything is read, so a bad file leaves the session as it was.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6 import QtCore

from core.errors import RematError
from core.export.problem_json import problem_from_document
from core.export.schedule_json import check_schedule_matches, schedule_from_document
from core.graph import TrainingGraph
from core.problem import Objective
from core.project import LoadedProject, Project, file_sha256, load_project, save_project
from core.simulate import simulate
from gui.session_types import SolveRecord, SolverSettings
from solvers import SolveResult, SolveStatus
from solvers.sweep import SweepPoint

if TYPE_CHECKING:
    from gui.session import Session

log = logging.getLogger(__name__)


@dataclass
class ProjectBundle:
    """Everything read from a project file, ready to install (made off the GUI thread)."""

    path: Path
    loaded: LoadedProject
    model_path: Path | None = None
    model: Any = None
    system: Any = None
    records: list[SolveRecord] = field(default_factory=list)
    sweep_points: list[SweepPoint] = field(default_factory=list)
    sweep_records: list[SolveRecord | None] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def record_from_document(document: dict[str, Any], graph: TrainingGraph | None, where: str) -> SolveRecord:
    """A result of a project file, replayed by the simulator.

    When the document was made for ``graph`` (same names, sizes, dependencies) the result is tied to
    it, so the views colour the open model by it; otherwise it keeps the document's own graph.
    """
    problem = problem_from_document(document, where)
    if graph is not None:
        candidate = dataclasses.replace(problem, graph=graph)
        try:
            check_schedule_matches(candidate, document)
            problem = candidate
        except RematError as exc:
            log.info("%s: kept with its own graph (%s)", where, exc)
    schedule = schedule_from_document(document, problem, where)
    trace = simulate(problem, schedule)
    if not trace.ok:
        raise RematError(f"{where}: the stored schedule does not replay ({trace.violations[0].message})")
    meta = document.get("meta", {})
    objective = trace.serial_time_s if problem.objective is Objective.TIME else trace.dynamic_energy_j
    result = SolveResult(SolveStatus(meta.get("status", "FEASIBLE")), str(meta.get("solver", "")), schedule,
                         objective, meta.get("bound"), meta.get("gap"), float(meta.get("wall_s") or 0.0),
                         str(meta.get("message", "")), trace, stats=dict(meta.get("stats") or {}))
    return SolveRecord(result.solver, problem, result, str(meta.get("label", "")), str(meta.get("source", "project")),
                       _document=document)


def read_project_bundle(path: Path, model_override: Path | None, loader: Callable[..., Any]) -> ProjectBundle:
    """Read ``path``, open its model (or ``model_override``) and replay its results (worker thread)."""
    loaded = load_project(path)
    bundle = ProjectBundle(Path(path), loaded)
    if loaded.model_missing and model_override is None:
        return bundle  # the window asks where the model is now
    project = loaded.project
    if project.system:
        from core.system_io import system_from_dict

        bundle.system = system_from_dict(project.system, f"{path}: system")
    bundle.model_path = Path(model_override or project.model_path)
    bundle.model = loader(bundle.model_path, dict(project.dims))
    graph = bundle.model.training
    for index, document in enumerate(project.results):
        try:
            bundle.records.append(record_from_document(document, graph, f"{path}: results[{index}]"))
        except RematError as exc:
            bundle.skipped.append(str(exc))
    if project.sweeps:
        _read_sweep(bundle, project.sweeps[-1], graph)
    return bundle


def _read_sweep(bundle: ProjectBundle, sweep: dict[str, Any], graph: TrainingGraph) -> None:
    documents = list(sweep.get("results", []))
    for index, row in enumerate(sweep.get("rows", [])):
        document = documents[index] if index < len(documents) else None
        record = None
        if document is not None:
            try:
                record = record_from_document(document, graph, f"{bundle.path}: sweep point {index}")
            except RematError as exc:
                bundle.skipped.append(str(exc))
        result = record.result if record else SolveResult(SolveStatus(row["status"]), str(row["solver"]))
        bundle.sweep_points.append(SweepPoint(
            series=str(row["series"]), solver=str(row["solver"]), fraction=float(row["fraction"]),
            budget_bytes=int(row["budget_bytes"]), status=SolveStatus(row["status"]), objective=row["objective"],
            overhead=row["overhead"], peak_bytes=row["peak_bytes"], wall_s=float(row["wall_s"]),
            reused_previous=bool(row["reused_previous"]), result=result))
        bundle.sweep_records.append(record)


class ProjectFiles(QtCore.QObject):
    """``session.projects``: save and open project files.

    Signals: ``opened(str)``, ``saved(str)``, ``model_missing(str, str)`` (project file, where the
    model was: ask the user, then call :meth:`open` again with ``model_path``), ``failed(str, str)``
    (project file, message; the session is unchanged).
    """

    opened = QtCore.Signal(str)
    saved = QtCore.Signal(str)
    model_missing = QtCore.Signal(str, str)
    failed = QtCore.Signal(str, str)

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.session = session
        self._sha: tuple[Path, float, str] | None = None

    # -- saving ------------------------------------------------------------------------------
    def project(self) -> Project:
        """The session as a :class:`core.project.Project`."""
        session = self.session
        if session.model_path is None or session.graph is None:
            raise RematError("there is nothing to save yet: open a model first")
        from core.system_io import system_to_dict

        model = str(session.model_path)
        sweep = session.sweeps
        sweeps = ({"rows": sweep.rows(), "results": [r.document(model) if r else None for r in sweep.records]},
                  ) if sweep.points else ()
        loaded = session.loaded
        shown = session.results.index(session.record) if session.record in session.results else -1
        return Project(
            model_path=session.model_path, dims=dict(getattr(loaded, "dims", {}) or {}),
            optimizer=str(getattr(loaded, "optimizer", "sgd")), model_sha256=self._model_sha256(session.model_path),
            system=system_to_dict(session.system), budgets_bytes=dict(session.budgets),
            solver={**session.settings.as_dict(), "shown_result": shown},
            results=tuple(r.document(model) for r in session.results), sweeps=sweeps)

    def _model_sha256(self, path: Path) -> str:
        mtime = path.stat().st_mtime if path.exists() else -1.0
        if self._sha is None or self._sha[:2] != (path, mtime):
            self._sha = (path, mtime, file_sha256(path) if path.exists() else "")
        return self._sha[2]

    def save(self, path: str | Path, *, as_copy: bool = False) -> bool:
        """Write the project to ``path`` (atomically). ``as_copy``: an autosave, the session stays dirty."""
        path = Path(path)
        try:
            save_project(path, self.project())
        except (RematError, OSError, ValueError) as exc:
            if not as_copy:
                self.session.error.emit("Cannot save the project", f"{path}\n\n{exc}\n\nNothing was changed.")
            return False
        if not as_copy:
            self.session.project_path = path
            self.session.mark_dirty(False)
            self.saved.emit(str(path))
            self.session.status.emit(f"Saved {path.name}")
        return True

    # -- opening -----------------------------------------------------------------------------
    def open(self, path: str | Path, model_path: str | Path | None = None, *, recovered: bool = False) -> bool:
        """Read ``path`` off the GUI thread; the session changes only once all of it is read."""
        path = Path(path)
        override = Path(model_path) if model_path else None
        started = self.session.load_in_background(
            read_project_bundle, (path, override, self.session._loader),
            lambda bundle: self._install(bundle, recovered), lambda exc: self._on_failed(path, exc))
        if started:
            self.session.status.emit(f"Opening project {path.name}…")
        return started

    def _on_failed(self, path: Path, exc: BaseException) -> None:
        what = str(exc) if isinstance(exc, RematError) else f"{type(exc).__name__}: {exc}"
        self.session.status.emit(f"Could not open {path.name}")
        self.failed.emit(str(path), f"{what}\n\nThe work open now stays as it is.")

    def _install(self, bundle: ProjectBundle, recovered: bool) -> None:
        session, project = self.session, bundle.loaded.project
        if bundle.model is None:
            self.model_missing.emit(str(bundle.path), str(project.model_path))
            return
        system = bundle.system or session.system
        session.set_loaded(bundle.model_path, bundle.model)
        session.apply_system(system, {**session.budgets, **project.budgets_bytes})
        session.undo_stack.clear()
        session.set_settings(SolverSettings.from_dict(project.solver))
        session.set_results(bundle.records, int(project.solver.get("shown_result", -1)))
        if bundle.sweep_points:
            session.sweeps.set_points(bundle.sweep_points, bundle.sweep_records)
        moved = bundle.model_path != project.model_path
        session.project_path = None if recovered else bundle.path
        session.mark_dirty(recovered or moved)
        self.opened.emit(str(bundle.path))
        notes = [f"{len(bundle.records)} results"]
        if bundle.loaded.model_changed:
            notes.append("the model file changed since the project was saved")
        if bundle.skipped:
            notes.append(f"{len(bundle.skipped)} stored schedules skipped: {bundle.skipped[0]}")
        session.status.emit(f"Opened project {bundle.path.name}: " + "; ".join(notes))
