"""What the baseline schedulers share: proofs of infeasibility, the trivial bound, the result record.

The baselines (``no-remat``, ``chen-sqrt``, ``greedy``) never claim more than they know: a budget is
INFEASIBLE only when a one-line argument proves that no schedule exists
(:func:`core.feasibility.infeasibility_reason`), a schedule is OPTIMAL
only when it reaches the trivial lower bound, and every schedule is replayed by the simulator before
it is returned (callers such as the MILP warm start use these solvers without :func:`solvers.run`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

import numpy as np

from core.feasibility import local_need_bytes
from core.problem import Objective, SchedulingProblem
from core.schedule import Schedule
from core.simulate import simulate
from core.trace import Trace
from solvers.base import Progress, ProgressCallback, SolveResult, SolveStatus, relative_gap

log = logging.getLogger(__name__)


def objective_table(problem: SchedulingProblem) -> np.ndarray:
    """Per-node, per-device cost in the objective's units (seconds or joules)."""
    if problem.objective is Objective.TIME:
        return problem.costs.compute_time_s
    return problem.costs.compute_energy_j


def trivial_lower_bound(problem: SchedulingProblem) -> float:
    """Every node runs at least once, each on its cheapest device; copies cost nothing.

    A valid lower bound on the serial time (TIME) and on the dynamic energy (ENERGY) of any schedule.
    """
    table = objective_table(problem)
    return float(table.min(axis=1).sum()) if problem.n_nodes and problem.n_devices else 0.0


def smallest_feasible_budget(problem: SchedulingProblem) -> int:
    """Bytes below which no schedule exists: the largest working set (and weights) plus static memory.

    With several device memories, each node needs room in one of them; the figure is the largest,
    over nodes, of the smallest such requirement (:func:`core.graph.min_feasible_budget` on one device).
    """
    memories = sorted(set(problem.device_memory))
    if not problem.n_nodes:
        return min((problem.static_bytes[m] for m in memories), default=0)
    return max(
        min(problem.static_bytes[m] + local_need_bytes(problem, node.id, m) for m in memories)
        for node in problem.graph.nodes
    )


def min_budget_message(problem: SchedulingProblem) -> str:
    return f"no schedule exists below {smallest_feasible_budget(problem)} bytes (largest working set plus static)"


def objective_of(problem: SchedulingProblem, trace: Trace) -> float:
    return trace.serial_time_s if problem.objective is Objective.TIME else trace.dynamic_energy_j


def within_time_limit(problem: SchedulingProblem, serial_time_s: float) -> bool:
    """Whether a serial time respects the problem's time limit (energy objective only)."""
    limit = problem.time_limit_s
    if problem.objective is not Objective.ENERGY or limit is None:
        return True
    return serial_time_s <= limit * (1 + 1e-9)


def no_schedule(
    problem: SchedulingProblem, solver: str, status: SolveStatus, message: str, started: float,
    on_progress: ProgressCallback | None, stats: Mapping[str, object] | None = None,
) -> SolveResult:
    """A result without a schedule (INFEASIBLE, NO_SOLUTION, CANCELLED), with a final progress report."""
    elapsed = time.perf_counter() - started
    bound = trivial_lower_bound(problem) if status is not SolveStatus.INFEASIBLE else None
    if on_progress is not None:
        on_progress(Progress(elapsed, None, bound, None, message))
    return SolveResult(status, solver, bound=bound, wall_s=elapsed, message=message, stats=dict(stats or {}))


def verified_result(
    problem: SchedulingProblem, solver: str, schedule: Schedule, started: float,
    on_progress: ProgressCallback | None, stats: Mapping[str, object] | None = None, message: str = "",
    *, mip_gap: float = 1e-9,
) -> SolveResult:
    """Replay ``schedule``; an invalid one becomes an ERROR (a bug), never a result.

    The status is OPTIMAL when the objective is within ``mip_gap`` of the trivial lower bound (a
    proof), else FEASIBLE; a schedule over the time limit of an energy problem is not returned
    (NO_SOLUTION).
    """
    trace = simulate(problem, schedule)
    elapsed = time.perf_counter() - started
    if not trace.ok:
        log.error("%s built an invalid schedule: %s", solver, trace.violations[0].message)
        return SolveResult(SolveStatus.ERROR, solver, wall_s=elapsed,
                           message=f"internal error, invalid schedule: {trace.violations[0].message}")
    if not within_time_limit(problem, trace.serial_time_s):
        return no_schedule(problem, solver, SolveStatus.NO_SOLUTION,
                           f"the best schedule found takes {trace.serial_time_s:g} s, over the time limit "
                           f"of {problem.time_limit_s:g} s", started, on_progress, stats)
    objective = objective_of(problem, trace)
    bound = trivial_lower_bound(problem)
    gap = relative_gap(objective, bound)
    optimal = gap is not None and gap <= mip_gap
    status = SolveStatus.OPTIMAL if optimal else SolveStatus.FEASIBLE
    if on_progress is not None:
        on_progress(Progress(elapsed, objective, bound, gap, message or status.value.lower()))
    return SolveResult(status, solver, schedule=schedule, objective=objective, bound=bound, gap=gap,
                       wall_s=elapsed, message=message, trace=trace, stats=dict(stats or {}))
