"""Solver "milp-highs": the several-device MILP solved by HiGHS (the only highspy import here).

Progress comes from HiGHS's improving-solution callback; cancel is heard in HiGHS's interrupt
callbacks (:func:`solvers.highs_common.run`) and keeps the incumbent.
"""

from __future__ import annotations

import time

import highspy
import numpy as np

from core.problem import SchedulingProblem
from solvers.base import CancelToken, ProgressCallback, SolveOptions, SolveResult
from solvers.checkmate import highs_backend as one_device
from solvers.highs_common import new_highs, pass_model, run, trusted
from solvers.multidevice.arrays import MultiDeviceMilp
from solvers.multidevice.pipeline import BackendRequest, MilpOutcome, solve_with

NAME = "milp-highs"


def solve(
    problem: SchedulingProblem,
    options: SolveOptions,
    *,
    on_progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> SolveResult:
    """Plan ``problem`` on all its devices, memories and links with HiGHS (see :mod:`solvers.base`).

    ``options.params`` is passed to HiGHS as option name -> value (for example ``presolve``).
    """
    return solve_with(NAME, lambda milp, request: _run_highs(milp, request, options),
                      problem, options, on_progress, cancel,
                      one_device=one_device.solve)


def _run_highs(milp: MultiDeviceMilp, request: BackendRequest, options: SolveOptions) -> MilpOutcome:
    started = time.perf_counter()
    h = new_highs(time_limit_s=request.time_limit_s, mip_gap=request.mip_gap, threads=request.threads,
                  seed=request.seed, params=options.params)
    pass_model(h, milp, request.time_limit_s, started, cost_scale=request.cost_scale)
    if request.warm_start is not None:
        solution = highspy.HighsSolution()
        solution.col_value = list(request.warm_start)
        solution.value_valid = True
        h.setSolution(solution)

    latest: list[np.ndarray] = []

    def improving(event: object) -> None:
        out = event.data_out  # type: ignore[attr-defined]
        latest[:] = [np.array(out.mip_solution)]
        request.report(float(out.objective_function_value), float(out.mip_dual_bound), "HiGHS incumbent")

    ran = run(h, request.cancel, deadline=started + request.time_limit_s, on_improving=improving)
    if not ran.finished:  # cancelled or out of time where HiGHS cannot stop: its last incumbent is ours
        return MilpOutcome(latest[0] if latest else None, ran.dual_bound, False, False, ran.cancelled,
                           "HiGHS: time limit reached (still stopping)" if ran.timed_out else "HiGHS: cancelled")
    cancelled = ran.cancelled
    info = h.getInfo()
    status = h.modelStatusToString(h.getModelStatus())
    has_x = info.primal_solution_status == 2
    x = np.array(h.getSolution().col_value) if has_x else None
    bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else None
    # HiGHS can answer a start given by setSolution with a false "Optimal" (see solvers.highs_common).
    agrees = trusted(float(info.objective_function_value),
                     None if x is None else float(milp.cost @ x) * request.cost_scale)
    if not agrees:
        bound = None
    return MilpOutcome(x, bound, status == "Optimal" and agrees, status == "Infeasible", cancelled,
                       f"HiGHS: {status}" + ("" if agrees else " (objective disagrees with its solution: not trusted)"))
