"""Run a registered solver and verify what it returns with the simulator."""

from __future__ import annotations

import dataclasses
import logging
import math
import time

from core.problem import Objective, SchedulingProblem
from core.simulate import simulate
from solvers.base import CancelToken, ProgressCallback, SolveOptions, SolveResult, SolveStatus
from solvers.registry import get

log = logging.getLogger(__name__)

#: Relative tolerance between a solver's objective and the simulator's figure.
OBJECTIVE_RTOL = 1e-6


def run(
    name: str,
    problem: SchedulingProblem,
    options: SolveOptions | None = None,
    *,
    on_progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> SolveResult:
    """Run solver ``name`` on ``problem``; the result carries the simulator's trace of its schedule.

    A schedule the simulator rejects, or whose objective disagrees with the simulator, turns the
    result into an ERROR naming the first violation: invalid schedules never reach the user.
    """
    info = get(name)
    available, reason = info.availability()
    if not available:
        return SolveResult(SolveStatus.ERROR, name, message=f"solver {name!r} is unavailable: {reason}")
    if problem.n_devices > 1 and not info.multi_device:
        log.info("solver %s plans on one device; it will pick the best single device", name)
    started = time.perf_counter()
    result = info.load()(
        problem, options or SolveOptions(), on_progress=on_progress, cancel=cancel
    )
    if not result.wall_s:
        result = dataclasses.replace(result, wall_s=time.perf_counter() - started)
    if result.schedule is None:
        return result
    return _verified(problem, result)


def _verified(problem: SchedulingProblem, result: SolveResult) -> SolveResult:
    assert result.schedule is not None
    trace = simulate(problem, result.schedule)
    if not trace.ok:
        first = trace.violations[0]
        return dataclasses.replace(
            result,
            status=SolveStatus.ERROR,
            trace=trace,
            message=f"solver {result.solver!r} returned an invalid schedule: {first.message}",
        )
    simulated = trace.serial_time_s if problem.objective is Objective.TIME else trace.dynamic_energy_j
    if result.objective is not None and not math.isclose(
        result.objective, simulated, rel_tol=OBJECTIVE_RTOL, abs_tol=1e-9
    ):
        return dataclasses.replace(
            result,
            status=SolveStatus.ERROR,
            trace=trace,
            message=(
                f"solver {result.solver!r} reports objective {result.objective:.6g} but the simulator "
                f"measures {simulated:.6g} for its schedule"
            ),
        )
    return dataclasses.replace(result, objective=simulated, trace=trace)
