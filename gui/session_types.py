"""Plain records the session holds: one finished solve, and the solver settings the user chose."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import solvers
from core.problem import Objective, SchedulingProblem
from core.units import format_bytes
from solvers import SolveOptions, SolveResult

#: Preferred default solver: fast, handles several devices and paging.
DEFAULT_SOLVER = "greedy"


@dataclass(frozen=True, eq=False)
class SolveRecord:
    """One finished solve: the problem it answered and the simulator-checked result.

    ``label`` names it in the results list; ``source`` says where it came from (a solve, a sweep
    point, a project file).
    """

    solver: str
    problem: SchedulingProblem
    result: SolveResult
    label: str = ""
    source: str = "solve"
    _document: dict[str, Any] = field(default_factory=dict, repr=False)

    def document(self, model_path: str | None = None) -> dict[str, Any]:
        """The self-contained schedule document of this result (made once, then reused)."""
        if not self._document:
            from core.export.schedule_json import schedule_document

            result = self.result
            assert result.schedule is not None and result.trace is not None
            self._document.update(schedule_document(self.problem, result.schedule, result.trace,
                                                    record_meta(self, model_path)))
        return self._document


def record_meta(record: SolveRecord, model_path: str | None = None) -> dict[str, Any]:
    """The ``meta`` block of a record's schedule document (what the schedule export writes too)."""
    result, problem = record.result, record.problem
    return {"solver": result.solver, "status": result.status.value, "wall_s": float(result.wall_s),
            "objective": result.objective, "bound": result.bound, "gap": result.gap, "message": result.message,
            "model": problem.graph.name, "model_path": model_path, "writer": "remat-studio window",
            "label": record.label, "source": record.source, "stats": _plain_stats(result.stats)}


def _plain_stats(stats: Any) -> Any:
    """Solver statistics as JSON data (NumPy scalars to numbers, tuples to lists, others to text)."""
    if isinstance(stats, dict) or hasattr(stats, "items"):
        return {str(k): _plain_stats(v) for k, v in stats.items()}
    if isinstance(stats, list | tuple):
        return [_plain_stats(v) for v in stats]
    if hasattr(stats, "item") and callable(stats.item):
        return stats.item()
    if stats is None or isinstance(stats, str | int | float | bool):
        return stats
    return str(stats)


def budget_text(problem: SchedulingProblem) -> str:
    """``vram 512.00 MiB`` for each compute memory: what distinguishes results of one model."""
    compute = sorted(set(problem.device_memory))
    return ", ".join(f"{problem.memory_name(m)} {format_bytes(problem.budgets_bytes[m])}" for m in compute)


def record_label(number: int, solver: str, problem: SchedulingProblem) -> str:
    return f"#{number} {solver} · {budget_text(problem)}"


@dataclass(frozen=True)
class SolverSettings:
    """What the solver panel shows; saved in project files."""

    solver: str = ""
    time_limit_s: float = 30.0
    gap_percent: float = 0.01
    objective: Objective = Objective.TIME
    #: Also solve on each device alone, for the "gain over the best single device" figure.
    compare_single: bool = True

    def options(self) -> SolveOptions:
        return SolveOptions(time_limit_s=self.time_limit_s, mip_gap=self.gap_percent / 100.0)

    def as_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "objective": self.objective.value}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SolverSettings:
        """Settings from a project file; unknown keys are ignored, missing ones keep their defaults."""
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if "objective" in values:
            values["objective"] = Objective(values["objective"])
        return dataclasses.replace(cls(), **values)


def default_solver(multi_device: bool) -> str:
    """:data:`DEFAULT_SOLVER` if available, else the first available one fit for the machine."""
    available = [info for info in solvers.solvers() if info.availability()[0]]
    if any(info.name == DEFAULT_SOLVER for info in available):
        return DEFAULT_SOLVER
    fitting = [info for info in available if info.multi_device or not multi_device] or available
    return fitting[0].name if fitting else ""
