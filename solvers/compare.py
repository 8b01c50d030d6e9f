"""The best single-device comparison: the same problem on each device alone (XEngine's headline metric).

A multi-device schedule is worth its copies only if it beats every device working alone on the same
graph, budget and objective. :func:`best_single_device` solves ``problem.restricted_to_device(d)``
for every device ``d`` with one solver (by default the first exact single-device solver that can
run here, else ``greedy``), each through :func:`solvers.run`, so every figure is simulator-checked.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from core.problem import SchedulingProblem
from solvers.base import CancelToken, SolveOptions, SolveStatus
from solvers.registry import solvers
from solvers.runner import run

log = logging.getLogger(__name__)

#: Used when no exact single-device solver can run here.
FALLBACK_SOLVER = "greedy"


@dataclass(frozen=True)
class SingleDeviceResult:
    """One device alone: its solver's status and objective (None without a schedule)."""

    device: str
    solver: str
    status: SolveStatus
    objective: float | None
    wall_s: float
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"device": self.device, "solver": self.solver, "status": self.status.value,
                "objective": self.objective, "wall_s": round(self.wall_s, 4), "message": self.message}


@dataclass(frozen=True)
class SingleDeviceComparison:
    """Every device alone, in the system's device order."""

    results: tuple[SingleDeviceResult, ...]

    @property
    def best(self) -> SingleDeviceResult | None:
        """The lowest objective among the devices that have a schedule (first device on ties)."""
        scheduled = [r for r in self.results if r.objective is not None]
        return min(scheduled, key=lambda r: r.objective or 0.0) if scheduled else None

    def gain(self, objective: float | None) -> float | None:
        """``1 - objective / best``: the fraction saved over the best single device (negative: lost).

        None when either side is missing or the best objective is zero.
        """
        best = self.best
        if objective is None or best is None or not best.objective:
            return None
        return 1.0 - objective / best.objective

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: every device's row and the best one."""
        best = self.best
        return {"results": [r.as_dict() for r in self.results],
                "best": None if best is None else best.as_dict()}


def default_solver() -> str:
    """The first exact single-device solver of the registry that is installed and importable."""
    for info in solvers():
        if not info.exact or info.multi_device:
            continue
        available, reason = info.availability()
        if not available:
            log.info("single-device comparison: %s unavailable (%s)", info.name, reason)
            continue
        try:
            info.load()
        except (ImportError, AttributeError) as exc:
            log.info("single-device comparison: %s cannot be loaded (%s)", info.name, exc)
            continue
        return info.name
    return FALLBACK_SOLVER


def best_single_device(
    problem: SchedulingProblem,
    options: SolveOptions,
    *,
    solver: str | None = None,
    cancel: CancelToken | None = None,
) -> SingleDeviceComparison:
    """Solve ``problem`` on each device alone with ``solver`` (default: :func:`default_solver`).

    Devices not reached because of ``cancel`` are reported as CANCELLED without a schedule.
    """
    name = solver or default_solver()
    results: list[SingleDeviceResult] = []
    for device in range(problem.n_devices):
        device_name = problem.device_name(device)
        if cancel is not None and cancel.is_set():
            results.append(SingleDeviceResult(device_name, name, SolveStatus.CANCELLED, None, 0.0, "cancelled"))
            continue
        started = time.perf_counter()
        result = run(name, problem.restricted_to_device(device), options, cancel=cancel)
        valid = result.schedule is not None and result.status.has_schedule_possible  # ERROR keeps a bad one
        objective = result.objective if valid else None
        results.append(SingleDeviceResult(device_name, name, result.status, objective,
                                          result.wall_s or time.perf_counter() - started, result.message))
    return SingleDeviceComparison(tuple(results))
