"""``no-remat``: every node once, in id order, on the best single device; nothing is recomputed.

Buffers are freed right after their last reader, so the peak is :func:`core.graph.no_recompute_peak`
(plus whatever static memory the chosen device's memory holds). The schedule is the one
``decode_stages(problem, *plain_stages(graph), device)`` produces, built here in linear time because
the stage matrices are quadratic in the number of nodes.
"""

from __future__ import annotations

import time

from core.feasibility import infeasibility_reason
from core.graph import no_recompute_peak
from core.problem import SchedulingProblem
from core.schedule import Compute, Free, Schedule, Step
from core.stages import last_uses
from solvers.base import CancelToken, ProgressCallback, SolveOptions, SolveResult, SolveStatus
from solvers.heuristic_common import (
    no_schedule,
    objective_table,
    verified_result,
    within_time_limit,
)

NAME = "no-remat"


def plain_schedule(problem: SchedulingProblem, device: int) -> Schedule:
    """Each node once in id order on ``device``; inputs freed after their last reader.

    A node nobody reads is freed right after it runs. Identical, step for step, to decoding
    :func:`core.stages.plain_stages` with :func:`core.stages.decode_stages`.
    """
    graph = problem.graph
    memory = problem.device_memory[device]
    last = last_uses(graph)
    steps: list[Step] = []
    for node in graph.nodes:
        steps.append(Compute(node.id, device))
        steps.extend(Free(dep, memory) for dep in dict.fromkeys(node.deps) if last[dep] == node.id)
        if last[node.id] == node.id:
            steps.append(Free(node.id, memory))
    return Schedule(tuple(steps))


def plain_peak_bytes(problem: SchedulingProblem, device: int) -> int:
    """Peak of :func:`plain_schedule` in the memory of ``device``, static memory included."""
    memory = problem.device_memory[device]
    return no_recompute_peak(problem.graph) - problem.graph.static_bytes + problem.static_bytes[memory]


def solve(
    problem: SchedulingProblem,
    options: SolveOptions,
    *,
    on_progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> SolveResult:
    """The plain schedule on the cheapest device whose budget holds it (see the module docstring).

    INFEASIBLE only when no schedule at all can fit (:func:`infeasibility_reason`); when only the
    plain one does not, NO_SOLUTION with the bytes it needs.
    """
    started = time.perf_counter()
    reason = infeasibility_reason(problem)
    if reason is not None:
        return no_schedule(problem, NAME, SolveStatus.INFEASIBLE, reason, started, on_progress)
    table = objective_table(problem)
    times = problem.costs.compute_time_s.sum(axis=0)
    fitting = [
        d for d in range(problem.n_devices)
        if plain_peak_bytes(problem, d) <= problem.budgets_bytes[problem.device_memory[d]]
        and within_time_limit(problem, float(times[d]))
    ]
    if not fitting:
        return no_schedule(problem, NAME, SolveStatus.NO_SOLUTION, _why_not(problem), started, on_progress)
    best = min(fitting, key=lambda d: (float(table[:, d].sum()), d))
    stats = {"device": problem.device_name(best), "peak_bytes": plain_peak_bytes(problem, best)}
    return verified_result(problem, NAME, plain_schedule(problem, best), started, on_progress, stats,
                           mip_gap=options.mip_gap)


def _why_not(problem: SchedulingProblem) -> str:
    needs = min(
        plain_peak_bytes(problem, d) - problem.budgets_bytes[problem.device_memory[d]]
        for d in range(problem.n_devices)
    )
    if needs <= 0:  # memory fits somewhere, so the time limit is what fails
        return (f"every node once takes longer than the time limit of {problem.time_limit_s:g} s on "
                "every single device; raise the time limit or use a multi-device solver")
    peak = min(plain_peak_bytes(problem, d) for d in range(problem.n_devices))
    return (f"without recomputation the schedule needs {peak} bytes ({needs} over the budget); "
            "raise the budget or use a recomputing solver")
