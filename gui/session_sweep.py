"""The session's budget sweep: solve over a range of budgets in a child process, keep every point.

Owned by the :class:`gui.session.Session` (``session.sweeps``). Points arrive one by one and are
kept whatever happens next (cancel, a crash in the child). Each point with a schedule can be opened
as a result of the session. The numbers are :meth:`solvers.sweep.SweepPoint.row`, exactly what
``main.py sweep`` writes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6 import QtCore

from core.errors import RematError
from core.feasibility import infeasibility_reason
from core.system import System
from gui.session_types import SolveRecord
from gui.solve_runner import SolveRunner
from gui.sweep_child import SweepJob, sweep_in_child
from solvers import SolveOptions, SolveResult, SolveStatus
from solvers.sweep import SweepPoint, with_budget_fraction

if TYPE_CHECKING:
    from gui.session import Session

log = logging.getLogger(__name__)


class SweepSession(QtCore.QObject):
    """Signals: ``started(int)`` (points expected), ``point_added(int)`` (its index), ``finished(str)``
    (what happened), ``running_changed(bool)``, ``cleared()``."""

    started = QtCore.Signal(int)
    point_added = QtCore.Signal(int)
    finished = QtCore.Signal(str)
    running_changed = QtCore.Signal(bool)
    cleared = QtCore.Signal()

    def __init__(self, session: Session, runner: SolveRunner | None = None) -> None:
        super().__init__(session)
        self.session = session
        self.runner = runner or SolveRunner(self, target=sweep_in_child)
        self.points: list[SweepPoint] = []
        #: Per point: its schedule as a session result (None when the point has no schedule).
        self.records: list[SolveRecord | None] = []
        self.expected = 0
        self._cancelled = False
        self._problems: dict[str, object] = {}
        self.runner.progress.connect(self._on_point)
        self.runner.finished.connect(self._on_finished)
        self.runner.failed.connect(self._on_failed)
        self.runner.running_changed.connect(self.running_changed.emit)

    @property
    def is_running(self) -> bool:
        return self.runner.is_running

    def rows(self) -> list[dict[str, object]]:
        """The points as the command line writes them."""
        return [p.row() for p in self.points]

    def start(self, fractions: Sequence[float], solver_names: Sequence[str], systems: Sequence[System] = (),
              options: SolveOptions | None = None) -> bool:
        """Sweep the budget ``fractions`` (of the no-recomputation peak) with each solver on each machine.

        ``systems`` empty: the session's machine. False (and an ``error`` from the session) when it
        cannot start; the previous sweep is then kept.
        """
        session = self.session
        if self.runner.is_running:
            session.error.emit("Sweep busy", "A sweep is already running: cancel it or wait for it.")
            return False
        try:
            job = self._job(tuple(sorted(set(fractions))), tuple(solver_names), tuple(systems) or (session.system,))
        except RematError as exc:
            session.error.emit("Cannot sweep", f"{exc}\n\nThe previous sweep is kept.")
            return False
        self.clear()
        self._cancelled = False
        self.expected = len(job.fractions) * len(job.solvers) * len(job.problems)
        self._problems = {suffix: problem for problem, suffix in job.problems}
        self.runner.start("sweep", job, options or session.settings.options())
        self.started.emit(self.expected)
        session.status.emit(f"Sweeping {self.expected} points…")
        return True

    def _job(self, fractions: tuple[float, ...], solver_names: tuple[str, ...],
             systems: tuple[System, ...]) -> SweepJob:
        if not fractions or any(f <= 0 for f in fractions):
            raise RematError("give at least one positive budget fraction (of the no-recomputation peak)")
        if not solver_names:
            raise RematError("choose at least one solver")
        problems = []
        for system in systems:
            problem = self.session.build_problem(system=system)
            # the sweep's largest budget must be feasible at all, or every point would fail the same way
            reason = infeasibility_reason(with_budget_fraction(problem, max(fractions)))
            if reason is not None:
                raise RematError(f"on {system.name}: {reason}")
            problems.append((problem, f" @ {system.name}" if len(systems) > 1 else ""))
        return SweepJob(fractions, solver_names, tuple(problems))

    def cancel(self) -> None:
        """Stop the sweep; the points solved so far stay."""
        if self.runner.is_running:
            self._cancelled = True
            self.session.status.emit("Cancelling the sweep…")
            self.runner.cancel()

    def clear(self) -> None:
        self.points, self.records, self.expected = [], [], 0
        self.cleared.emit()

    def set_points(self, points: Sequence[SweepPoint], records: Sequence[SolveRecord | None]) -> None:
        """Install a finished sweep (a project file does this)."""
        self.clear()
        self.points, self.records = list(points), list(records)
        self.expected = len(self.points)
        for index in range(len(self.points)):
            self.point_added.emit(index)
        self.finished.emit(f"{len(self.points)} points")

    def shutdown(self) -> None:
        self.runner.shutdown()

    def _on_point(self, point: SweepPoint) -> None:
        self.points.append(point)
        self.records.append(self._record(point))
        self.session.mark_dirty()
        self.point_added.emit(len(self.points) - 1)

    def _record(self, point: SweepPoint) -> SolveRecord | None:
        suffix = point.series[len(point.solver):]
        base = self._problems.get(suffix)
        if point.result.schedule is None or point.result.trace is None or base is None:
            return None
        problem = with_budget_fraction(base, point.fraction)  # type: ignore[arg-type]
        label = f"sweep {point.series} at {100 * point.fraction:.0f} % of peak"
        return SolveRecord(point.solver, problem, point.result, label, source="sweep")

    def _on_finished(self, value: object) -> None:
        kept = len(self.points)
        if self._cancelled or (isinstance(value, SolveResult) and value.status is SolveStatus.CANCELLED):
            text = f"cancelled: {kept} of {self.expected} points kept"
        elif kept < self.expected:
            text = f"stopped: {kept} of {self.expected} points"
        else:
            text = f"done: {kept} points"
        self.finished.emit(text)
        self.session.status.emit(f"Sweep {text}")

    def _on_failed(self, message: str) -> None:
        text = f"failed after {len(self.points)} of {self.expected} points"
        self.finished.emit(text)
        self.session.error.emit("Sweep failed", f"{message}\n\nThe {len(self.points)} points solved so far are kept.")

    def open_point(self, index: int) -> bool:
        """Show point ``index``'s schedule as a result of the session (added once, then reused)."""
        record = self.records[index] if 0 <= index < len(self.records) else None
        if record is None:
            return False
        if record in self.session.results:
            self.session.show_result(self.session.results.index(record))
        else:
            self.session.add_result(record)
        return True

    def find_point(self, series: str, fraction: float) -> int:
        """Index of the point of ``series`` nearest to ``fraction``, or -1."""
        best, index = float("inf"), -1
        for i, point in enumerate(self.points):
            if point.series == series and abs(point.fraction - fraction) < best:
                best, index = abs(point.fraction - fraction), i
        return index
