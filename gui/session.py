"""The session: the one object that holds the window's state and announces every change.

Widgets take the session in ``__init__``, connect to its signals there, render in ``_on_<signal>``
slots and change state only through its methods. Nothing here draws. The sweep lives in
``session.sweeps`` (:mod:`gui.session_sweep`) and project files in ``session.projects``
(:mod:`gui.project_io`); both change the session only through its methods.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6 import QtCore, QtGui

from core.errors import RematError
from core.feasibility import infeasibility_reason, smallest_feasible_budget
from core.graph import TrainingGraph, min_feasible_budget, no_recompute_peak
from core.problem import Objective, SchedulingProblem, build_problem
from core.system import System
from gui.session_commands import SetBudgetCommand, SetSystemCommand
from gui.session_defaults import default_loader, default_system, no_schedule_text
from gui.session_results import ResultsMixin
from gui.session_types import SolveRecord, SolverSettings, default_solver, record_label
from gui.solve_runner import SolveRunner
from gui.worker import FunctionWorker
from solvers import Progress, SolveOptions, SolveResult, SolveStatus

log = logging.getLogger(__name__)

Loader = Callable[[Path, dict[str, int]], Any]
__all__ = ["Session", "SolveRecord", "SolverSettings", "default_loader", "default_system"]



class Session(ResultsMixin, QtCore.QObject):
    """Model, machine, budgets, solver settings, the results, the selection."""

    model_loading = QtCore.Signal(str)  # path
    model_changed = QtCore.Signal()
    system_changed = QtCore.Signal()
    budgets_changed = QtCore.Signal()
    settings_changed = QtCore.Signal()
    solve_started = QtCore.Signal(str)  # solver name
    solve_progress = QtCore.Signal(object)  # Progress
    solve_running = QtCore.Signal(bool)
    result_changed = QtCore.Signal()  # the result shown (``record``)
    results_changed = QtCore.Signal()  # the list of results
    selection_changed = QtCore.Signal(int)  # node id, -1 for none
    dirty_changed = QtCore.Signal(bool)
    error = QtCore.Signal(str, str)  # title, message
    status = QtCore.Signal(str)

    def __init__(self, parent: QtCore.QObject | None = None, *, loader: Loader = default_loader,
                 runner: SolveRunner | None = None, system: System | None = None,
                 sweep_runner: SolveRunner | None = None) -> None:
        super().__init__(parent)
        from gui.project_io import ProjectFiles
        from gui.session_sweep import SweepSession

        self._loader = loader
        self.runner = runner or SolveRunner(self)
        self.undo_stack = QtGui.QUndoStack(self)
        self.model_path: Path | None = None
        self.loaded: Any = None
        self.graph: TrainingGraph | None = None
        self.system: System = system or default_system()
        self.budgets: dict[str, int] = {}
        self.settings = SolverSettings(solver=default_solver(len(self.system.devices) > 1))
        self.results: list[SolveRecord] = []
        self.record: SolveRecord | None = None
        self.selected = -1
        self.last_progress: Progress | None = None
        self.project_path: Path | None = None
        self.dirty = False
        #: Counts changes worth saving (the autosave writes when it moved).
        self.revision = 0
        self._loading: FunctionWorker | None = None
        self._pending_solver = ""
        self._pending_problem: SchedulingProblem | None = None
        self._marks_problem: tuple[tuple[int, int], SchedulingProblem] | None = None
        self.sweeps = SweepSession(self, sweep_runner)
        self.projects = ProjectFiles(self)
        self.runner.progress.connect(self._on_runner_progress)
        self.runner.finished.connect(self._on_runner_finished)
        self.runner.failed.connect(self._on_runner_failed)
        self.runner.running_changed.connect(self.solve_running.emit)
        self.undo_stack.indexChanged.connect(self._on_undo_index)

    # -- model -------------------------------------------------------------------------------
    def open_model(self, path: str | Path, dims: dict[str, int] | None = None) -> None:
        """Load ``path`` off the GUI thread; ``model_changed`` or ``error`` follows. State is kept on error."""
        path = Path(path)
        if self.load_in_background(self._loader, (path, dict(dims or {})),
                                   lambda loaded: self.set_loaded(path, loaded),
                                   lambda exc: self._on_load_failed(path, exc)):
            self.model_loading.emit(str(path))
            self.status.emit(f"Opening {path.name}…")

    def load_in_background(self, fn: Callable[..., Any], args: tuple[Any, ...], done: Callable[[Any], None],
                           failed: Callable[[BaseException], None]) -> bool:
        """Run ``fn(*args)`` off the GUI thread, one load at a time (models and project files)."""
        if self._loading is not None:
            self.error.emit("Busy", "A model is still loading; wait for it to finish.")
            return False
        worker = FunctionWorker(fn, *args, owner=self)

        def finish(callback: Callable[[Any], None], value: Any) -> None:
            self._loading = None
            callback(value)

        worker.returned.connect(lambda value: finish(done, value))
        worker.errored.connect(lambda exc: finish(failed, exc))
        self._loading = worker
        worker.start()
        return True

    @property
    def is_loading(self) -> bool:
        return self._loading is not None

    def set_loaded(self, path: Path, loaded: Any) -> None:
        """Install an already loaded model (what ``open_model`` does when loading finishes)."""
        self.model_path = path
        self.loaded = loaded
        self.graph = loaded.training
        if getattr(loaded, "system", None) is not None:
            self.system = loaded.system
            self.undo_stack.clear()
            self.system_changed.emit()
        self.budgets = self._initial_budgets(dict(getattr(loaded, "budgets", {}) or {}))
        self.record = None
        self.results = []
        self.selected = -1
        self.project_path = None
        self.sweeps.clear()
        self.model_changed.emit()
        self.budgets_changed.emit()
        self.results_changed.emit()
        self.result_changed.emit()
        self.mark_dirty(False)  # a freshly opened model is nothing to lose yet
        self.status.emit(f"Opened {path.name}: {len(self.graph.nodes)} training nodes")

    def _on_load_failed(self, path: Path, exc: BaseException) -> None:
        what = str(exc) if isinstance(exc, RematError) else f"{type(exc).__name__}: {exc}"
        self.status.emit(f"Could not open {path.name}")
        self.error.emit("Cannot open model", f"{path}\n\n{what}\n\nThe previous model stays open.")

    def _initial_budgets(self, given: dict[str, int]) -> dict[str, int]:
        budgets = {m.name: m.effective_budget for m in self.system.memories}
        budgets.update({k: v for k, v in given.items() if k in budgets})
        return budgets

    # -- machine and budgets ----------------------------------------------------------------
    def set_system(self, system: System, text: str = "Change machine") -> None:
        """Replace the machine (undoable)."""
        if system != self.system:
            self.undo_stack.push(SetSystemCommand(self, self.system, dict(self.budgets), system, text))

    def apply_system(self, system: System, budgets: dict[str, int] | None = None) -> None:
        """Install ``system`` without an undo step (undo commands and project files call this)."""
        self.system = system
        self.budgets = dict(budgets) if budgets is not None else self._initial_budgets(dict(self.budgets))
        self.system_changed.emit()
        self.budgets_changed.emit()

    def set_budget(self, memory: str, size_bytes: int, *, drag: int | None = None) -> None:
        """Set the budget of ``memory``; calls sharing one ``drag`` id fold into one undo step."""
        if memory not in self.budgets:
            raise RematError(f"unknown memory {memory!r}; memories: {', '.join(self.budgets)}")
        size_bytes = int(size_bytes)
        if size_bytes <= 0:
            raise RematError(f"budget for {memory!r} must be positive")
        if size_bytes != self.budgets[memory]:
            self.undo_stack.push(SetBudgetCommand(self, memory, self.budgets[memory], size_bytes, drag))

    def apply_budget(self, memory: str, size_bytes: int) -> None:
        self.budgets[memory] = int(size_bytes)
        self.budgets_changed.emit()

    def set_settings(self, settings: SolverSettings) -> None:
        """Solver choice, limits and objective (what the solver panel shows)."""
        if settings != self.settings:
            self.settings = settings
            self.settings_changed.emit()
            self.mark_dirty()

    def set_objective(self, objective: Objective) -> None:
        import dataclasses

        self.set_settings(dataclasses.replace(self.settings, objective=Objective(objective)))

    @property
    def objective(self) -> Objective:
        return self.settings.objective

    def memory_marks(self, memory: str | None = None) -> tuple[int, int]:
        """(smallest feasible budget, no-recomputation peak), 0s without a model.

        For ``memory``: as if every node ran from it, with the static memory it holds (the first
        device's memory holds parameters and optimizer state). Without: for the whole graph.
        """
        if self.graph is None:
            return 0, 0
        if memory is None:
            return min_feasible_budget(self.graph), no_recompute_peak(self.graph)
        problem = self._problem_for_marks()
        names = [m.name for m in self.system.memories]
        if problem is None or memory not in names or names.index(memory) not in problem.device_memory:
            return 0, 0  # storage: nothing computes from it
        m = names.index(memory)
        static = problem.static_bytes[m]
        return smallest_feasible_budget(problem, m), static + no_recompute_peak(self.graph) - self.graph.static_bytes

    def _problem_for_marks(self) -> SchedulingProblem | None:
        assert self.graph is not None
        key = (id(self.graph), id(self.system))  # the marks depend on the machine, not on the budgets
        if self._marks_problem is None or self._marks_problem[0] != key:
            try:
                self._marks_problem = (key, self.build_problem())
            except RematError:
                return None
        return self._marks_problem[1]

    def build_problem(self, time_limit_s: float | None = None, system: System | None = None) -> SchedulingProblem:
        if self.graph is None:
            raise RematError("no model is open: open an ONNX model or a training-graph JSON file first")
        system = system or self.system
        budgets = {k: v for k, v in self.budgets.items() if k in {m.name for m in system.memories}}
        return build_problem(self.graph, system, budgets, objective=self.objective, time_limit_s=time_limit_s)

    # -- solving ----------------------------------------------------------------------------
    def solve(self, solver: str | None = None, options: SolveOptions | None = None) -> bool:
        """Start ``solver`` (default: the settings') in a child process; False (and ``error``) when it cannot."""
        if self.runner.is_running:
            self.error.emit("Solver busy", "A solve is already running: cancel it or wait for it.")
            return False
        solver = solver or self.settings.solver
        try:
            if not solver:
                raise RematError("choose a solver first")
            problem = self.build_problem()
            reason = infeasibility_reason(problem)
            if reason is not None:
                raise RematError(f"No schedule can fit these budgets: {reason}.")
        except RematError as exc:
            self.error.emit("Cannot solve", f"{exc}\n\nNothing was changed.")
            return False
        self._pending_solver, self._pending_problem = solver, problem
        self.last_progress = None
        compare = self.settings.compare_single and problem.n_devices > 1
        self.runner.start(solver, problem, options or self.settings.options(), compare_single=compare)
        self.solve_started.emit(solver)
        self.status.emit(f"Solving with {solver}…")
        return True

    def cancel_solve(self) -> None:
        if self.runner.is_running:
            self.status.emit("Cancelling…")
            self.runner.cancel()

    def _on_runner_progress(self, progress: Progress) -> None:
        self.last_progress = progress
        self.solve_progress.emit(progress)

    def _on_runner_finished(self, result: SolveResult) -> None:
        problem = self._pending_problem
        if result.status is SolveStatus.ERROR or result.schedule is None or result.trace is None or problem is None:
            self.status.emit(f"{result.solver}: {result.status.value}")
            if result.status is not SolveStatus.CANCELLED:
                self.error.emit("No schedule", no_schedule_text(result))
            return
        self.add_result(SolveRecord(result.solver, problem, result,
                                    record_label(len(self.results) + 1, result.solver, problem)))
        self.status.emit(f"{result.solver}: {result.status.value}, serial time "
                         f"{result.trace.serial_time_s:.4g} s, {result.trace.recompute_count} recomputations")

    def _on_runner_failed(self, message: str) -> None:
        self.status.emit("Solver failed")
        self.error.emit("Solver error", f"{message}\n\nThe previous result stays shown.")

    # -- selection, project state -----------------------------------------------------------
    def select_node(self, node: int) -> None:
        node = int(node)
        if self.graph is None or not -1 <= node < len(self.graph.nodes):
            node = -1
        if node != self.selected:
            self.selected = node
            self.selection_changed.emit(node)

    def mark_dirty(self, dirty: bool = True) -> None:
        """Something a project file holds changed (``dirty``), or was just saved (not ``dirty``)."""
        if dirty:
            self.revision += 1
        if dirty != self.dirty:
            self.dirty = dirty
            self.dirty_changed.emit(dirty)

    @QtCore.Slot(int)
    def _on_undo_index(self, _index: int) -> None:
        self.mark_dirty()  # an edit, an undo or a redo

    def shutdown(self) -> None:
        self.runner.shutdown()
        self.sweeps.shutdown()
