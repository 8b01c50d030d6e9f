"""The solver contract: one signature, one result record, one status table.

A solver is a function ``solve(problem, options, *, on_progress, cancel) -> SolveResult``. Infeasible
budgets and time limits are statuses, never exceptions. ``objective`` is in the problem's units:
serial step time in seconds (time objective) or dynamic energy in joules (energy objective), and must
equal what :func:`core.simulate.simulate` computes for the returned schedule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from core.schedule import Schedule
from core.trace import Trace


class SolveStatus(StrEnum):
    OPTIMAL = "OPTIMAL"  # proven optimal (within the requested relative gap)
    FEASIBLE = "FEASIBLE"  # a valid schedule, optimality not proven (gap reported)
    INFEASIBLE = "INFEASIBLE"  # proven: no schedule fits the budgets
    NO_SOLUTION = "NO_SOLUTION"  # stopped (time limit) before any schedule was found
    CANCELLED = "CANCELLED"  # the user cancelled; the incumbent, if any, is kept
    ERROR = "ERROR"  # the solver failed; ``message`` says how

    @property
    def has_schedule_possible(self) -> bool:
        return self in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE, SolveStatus.CANCELLED)


class CancelToken(Protocol):
    """Anything with ``is_set()``: ``threading.Event`` or ``multiprocessing.Event``."""

    def is_set(self) -> bool: ...


@dataclass(frozen=True)
class Progress:
    """One progress report while a solver runs (values in the objective's units)."""

    elapsed_s: float
    incumbent: float | None = None
    bound: float | None = None
    gap: float | None = None
    message: str = ""

    def describe(self, separator: str = "  ") -> str:
        """One line for people: ``2.50 s  incumbent 14.2  bound 13.9  gap 2.11 %  HiGHS incumbent``."""
        parts = [f"{self.elapsed_s:.2f} s"]
        if self.incumbent is not None:
            parts.append(f"incumbent {self.incumbent:.6g}")
        if self.bound is not None:
            parts.append(f"bound {self.bound:.6g}")
        if self.gap is not None:
            parts.append(f"gap {100 * self.gap:.2f} %")
        if self.message:
            parts.append(self.message)
        return separator.join(parts)


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True)
class SolveOptions:
    time_limit_s: float = 60.0
    #: Stop when the relative gap (incumbent - bound) / incumbent is at most this.
    mip_gap: float = 1e-6
    threads: int = 1
    seed: int = 0
    warm_start: Schedule | None = None
    #: Solver-specific settings, documented by each solver.
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class SolveResult:
    status: SolveStatus
    solver: str
    schedule: Schedule | None = None
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    wall_s: float = 0.0
    message: str = ""
    #: Filled by :func:`solvers.run`: the simulator's replay of ``schedule``.
    trace: Trace | None = None
    #: Extra figures a solver reports (model size, best single-device results, ...).
    stats: Mapping[str, object] = field(default_factory=dict)


SolveFn = Callable[..., SolveResult]


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """``(objective - bound) / |objective|``, 0 when both are 0, None when either is unknown."""
    if objective is None or bound is None:
        return None
    if objective == 0:
        return 0.0 if bound >= 0 else None
    return max(0.0, (objective - bound) / abs(objective))
