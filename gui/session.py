"""The session: the one object that holds the window's state and announces every change.

Widgets take the session in ``__init__``, connect to its signals there, render in ``_on_<signal>``
slots and change state only through its methods. Nothing here draws.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6 import QtCore, QtGui

from core.errors import RematError
from core.graph import TrainingGraph, min_feasible_budget, no_recompute_peak
from core.problem import Objective, SchedulingProblem, build_problem
from core.system import System
from core.units import format_bytes
from gui.session_commands import SetBudgetCommand, SetSystemCommand
from gui.solve_runner import SolveRunner
from gui.worker import FunctionWorker
from solvers import Progress, SolveOptions, SolveResult, SolveStatus

log = logging.getLogger(__name__)

Loader = Callable[[Path, dict[str, int]], Any]


def default_loader(path: Path, dims: dict[str, int]) -> Any:
    """``core.model_io.open_model``, imported when first used (ONNX loads only then)."""
    from core.model_io import open_model

    return open_model(path, dims or None)


def default_system() -> System:
    """The first bundled preset, or a plain one-GPU machine when no preset is installed."""
    try:
        from core.system_io import list_presets, load_system

        presets = list(list_presets())
        if presets:
            first = presets[0]
            return load_system(getattr(first, "name", first))  # type: ignore[arg-type]
    except (ImportError, RematError, OSError):
        log.info("no device preset available; using a plain one-GPU machine")
    from core.system import Device, Memory

    return System(name="one GPU (generic)", devices=(Device("gpu", "gpu", "hbm", 100e12, 1.5e12, 5e-6, 0.5, 300, 50),),
                  memories=(Memory("hbm", 40 * 1024**3),))


@dataclasses.dataclass(frozen=True)
class SolveRecord:
    """One finished solve: the problem it answered and the simulator-checked result."""

    solver: str
    problem: SchedulingProblem
    result: SolveResult


class Session(QtCore.QObject):
    """Model, machine, budgets, the last solve and the selection."""

    model_loading = QtCore.Signal(str)  # path
    model_changed = QtCore.Signal()
    system_changed = QtCore.Signal()
    budgets_changed = QtCore.Signal()
    solve_started = QtCore.Signal(str)  # solver name
    solve_progress = QtCore.Signal(object)  # Progress
    solve_running = QtCore.Signal(bool)
    result_changed = QtCore.Signal()
    selection_changed = QtCore.Signal(int)  # node id, -1 for none
    error = QtCore.Signal(str, str)  # title, message
    status = QtCore.Signal(str)

    def __init__(self, parent: QtCore.QObject | None = None, *, loader: Loader = default_loader,
                 runner: SolveRunner | None = None, system: System | None = None) -> None:
        super().__init__(parent)
        self._loader = loader
        self.runner = runner or SolveRunner(self)
        self.undo_stack = QtGui.QUndoStack(self)
        self.model_path: Path | None = None
        self.loaded: Any = None
        self.graph: TrainingGraph | None = None
        self.system: System = system or default_system()
        self.budgets: dict[str, int] = {}
        self.objective = Objective.TIME
        self.record: SolveRecord | None = None
        self.selected = -1
        self.last_progress: Progress | None = None
        self._loading: FunctionWorker | None = None
        self._pending_solver = ""
        self._pending_problem: SchedulingProblem | None = None
        self.runner.progress.connect(self._on_runner_progress)
        self.runner.finished.connect(self._on_runner_finished)
        self.runner.failed.connect(self._on_runner_failed)
        self.runner.running_changed.connect(self.solve_running.emit)

    # -- model -------------------------------------------------------------------------------
    def open_model(self, path: str | Path, dims: dict[str, int] | None = None) -> None:
        """Load ``path`` off the GUI thread; ``model_changed`` or ``error`` follows. State is kept on error."""
        if self._loading is not None:
            self.error.emit("Busy", "A model is still loading; wait for it to finish.")
            return
        path = Path(path)
        self.model_loading.emit(str(path))
        self.status.emit(f"Opening {path.name}…")
        worker = FunctionWorker(self._loader, path, dict(dims or {}))
        worker.returned.connect(lambda loaded: self._on_loaded(path, loaded))
        worker.errored.connect(lambda exc: self._on_load_failed(path, exc))
        self._loading = worker
        worker.start()

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
        self.selected = -1
        self.model_changed.emit()
        self.budgets_changed.emit()
        self.result_changed.emit()
        self.status.emit(f"Opened {path.name}: {len(self.graph.nodes)} training nodes")

    def _on_loaded(self, path: Path, loaded: Any) -> None:
        self._loading = None
        self.set_loaded(path, loaded)

    def _on_load_failed(self, path: Path, exc: BaseException) -> None:
        self._loading = None
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
        """Install ``system`` without an undo step (undo commands call this)."""
        self.system = system
        self.budgets = dict(budgets) if budgets is not None else self._initial_budgets(
            {k: v for k, v in self.budgets.items()})
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

    def set_objective(self, objective: Objective) -> None:
        self.objective = Objective(objective)

    def memory_marks(self) -> tuple[int, int]:
        """(smallest feasible budget, no-recomputation peak) of the open graph, 0s without one."""
        if self.graph is None:
            return 0, 0
        return min_feasible_budget(self.graph), no_recompute_peak(self.graph)

    def build_problem(self, time_limit_s: float | None = None) -> SchedulingProblem:
        if self.graph is None:
            raise RematError("no model is open: open an ONNX model or a training-graph JSON file first")
        return build_problem(self.graph, self.system, dict(self.budgets), objective=self.objective,
                             time_limit_s=time_limit_s)

    # -- solving ----------------------------------------------------------------------------
    def solve(self, solver: str, options: SolveOptions | None = None) -> bool:
        """Start ``solver`` in a child process. Returns False (and emits ``error``) when it cannot start."""
        if self.runner.is_running:
            self.error.emit("Solver busy", "A solve is already running: cancel it or wait for it.")
            return False
        try:
            problem = self.build_problem()
            self._check_budgets(problem)
        except RematError as exc:
            self.error.emit("Cannot solve", str(exc))
            return False
        self._pending_solver, self._pending_problem = solver, problem
        self.last_progress = None
        self.runner.start(solver, problem, options or SolveOptions())
        self.solve_started.emit(solver)
        self.status.emit(f"Solving with {solver}…")
        return True

    def _check_budgets(self, problem: SchedulingProblem) -> None:
        """Answer an infeasible budget at once with the number the user needs."""
        smallest, peak = self.memory_marks()
        for index in set(problem.device_memory):
            name = problem.memory_name(index)
            budget = problem.budgets_bytes[index]
            if budget < smallest:
                raise RematError(
                    f"the budget of memory {name!r} ({format_bytes(budget)}) is below the smallest feasible "
                    f"budget of this model ({format_bytes(smallest)}: largest single-node working set plus "
                    f"static memory); raise it to at least {format_bytes(smallest)} "
                    f"(no recomputation needs {format_bytes(peak)})")

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
                self.error.emit("No schedule", _no_schedule_text(result))
            return
        self.record = SolveRecord(result.solver, problem, result)
        self.result_changed.emit()
        self.status.emit(f"{result.solver}: {result.status.value}, serial time "
                         f"{result.trace.serial_time_s:.4g} s, {result.trace.recompute_count} recomputations")

    def _on_runner_failed(self, message: str) -> None:
        self.status.emit("Solver failed")
        self.error.emit("Solver error", f"{message}\n\nThe previous result stays shown.")

    # -- selection --------------------------------------------------------------------------
    def select_node(self, node: int) -> None:
        node = int(node)
        if self.graph is None or not -1 <= node < len(self.graph.nodes):
            node = -1
        if node != self.selected:
            self.selected = node
            self.selection_changed.emit(node)

    def shutdown(self) -> None:
        self.runner.shutdown()


def _no_schedule_text(result: SolveResult) -> str:
    texts = {
        SolveStatus.INFEASIBLE: "No schedule fits these budgets. Raise a budget or add a memory to page to.",
        SolveStatus.NO_SOLUTION: "The solver stopped before it found a schedule. Give it more time.",
    }
    head = texts.get(result.status, f"The solver ended with status {result.status.value}.")
    return f"{head}\n\n{result.message}".strip() + "\n\nThe previous result stays shown."
