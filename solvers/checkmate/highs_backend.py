"""Solver "checkmate-highs": the one-device stage MILP solved by HiGHS (the only highspy import here).

HiGHS releases the GIL while it runs. A start is given to HiGHS as a cutoff (``objective_bound``),
never with ``setSolution``: on these models HiGHS 1.16 with presolve answered a feasible start with
"Optimal", the start itself as the solution and an objective and dual bound below the true optimum
(FCN8 at 80 %, threshold round); the cutoff prunes as well and gave correct answers. An "Optimal"
whose objective disagrees with the returned vector is not trusted (neither its optimality nor its
bound). Cancel and progress go through HiGHS's own callbacks in the
solving thread: the interrupt callbacks (MIP, simplex, IPM) check the cancel token and stop the
solve, keeping the incumbent; the improving-solution callback reports each incumbent with the dual
bound, and the MIP interrupt callback reports the bound as it moves (throttled). No extra thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import highspy
import numpy as np

from core.problem import SchedulingProblem
from solvers.base import CancelToken, ProgressCallback, SolveOptions, SolveResult
from solvers.checkmate.milp import LpOutcome, MilpOutcome, MilpRequest, ProgressThrottle
from solvers.checkmate.model import StageModel
from solvers.checkmate.pipeline import solve_with
from solvers.highs_common import RunOutcome, new_highs, pass_model, run, trusted

log = logging.getLogger(__name__)
NAME = "checkmate-highs"


def solve(
    problem: SchedulingProblem,
    options: SolveOptions,
    *,
    on_progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> SolveResult:
    """Optimal rematerialization on one device with HiGHS (see :mod:`solvers.checkmate.pipeline`).

    ``options.params``: the pipeline's keys (documented there); every other key is passed to HiGHS
    as option name -> value (for example ``presolve``).
    """
    return solve_with(NAME, run_milp, problem, options, on_progress, cancel)


def run_milp(model: StageModel, request: MilpRequest) -> MilpOutcome:
    """Solve ``model`` as a MILP under ``request`` (see :class:`solvers.checkmate.milp.MilpRequest`)."""
    started = time.perf_counter()
    h = _highs(request)
    pass_model(h, model, request.time_limit_s, started)
    if request.cutoff is not None:
        h.setOptionValue("objective_bound", float(request.cutoff))
    throttle = ProgressThrottle(request.on_progress)

    latest: list[np.ndarray] = []

    def improving(event: object) -> None:
        out = event.data_out  # type: ignore[attr-defined]
        latest[:] = [np.array(out.mip_solution)]
        throttle.incumbent(float(out.objective_function_value), float(out.mip_dual_bound), "HiGHS incumbent")

    ran = _run(h, request, throttle, deadline=started + request.time_limit_s, on_improving=improving)
    if not ran.finished:  # cancelled or out of time where HiGHS cannot stop: its last incumbent is ours
        x = latest[0] if latest else None
        return MilpOutcome(x=x, objective=None if x is None else model.objective(x), bound=ran.dual_bound,
                           optimal=False, infeasible=False, cancelled=ran.cancelled, exhausted=False,
                           status="HiGHS: time limit reached (still stopping)" if ran.timed_out else "HiGHS: cancelled",
                           wall_s=time.perf_counter() - started)
    cancelled = ran.cancelled
    info = h.getInfo()
    status = h.modelStatusToString(h.getModelStatus())
    has_x = info.primal_solution_status == 2
    x = np.array(h.getSolution().col_value) if has_x else None
    objective = model.objective(x) if x is not None else None
    bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else None
    agrees = trusted(float(info.objective_function_value), objective)
    if not agrees:
        log.warning("HiGHS reports objective %.10g for a solution of objective %.10g (%s): result not trusted",
                    info.objective_function_value, objective, status)
        bound = None
    no_solution = status == "Infeasible" and not has_x
    return MilpOutcome(
        x=x, objective=objective, bound=bound,
        optimal=status == "Optimal" and agrees, infeasible=no_solution and request.cutoff is None,
        cancelled=cancelled, exhausted=no_solution and request.cutoff is not None,
        status=f"HiGHS: {status}", wall_s=time.perf_counter() - started,
    )


def solve_lp(model: StageModel, request: MilpRequest) -> LpOutcome:
    """The LP relaxation of ``model`` (integrality dropped), with the request's limits and cancel."""
    started = time.perf_counter()
    h = _highs(request)
    pass_model(h, model, request.time_limit_s, started, integral=False)
    ran = _run(h, request, ProgressThrottle(None), deadline=started + request.time_limit_s)
    if not ran.finished:
        return LpOutcome(None, None, "HiGHS LP: time limit reached" if ran.timed_out else "HiGHS LP: cancelled")
    status = h.modelStatusToString(h.getModelStatus())
    if status != "Optimal":
        return LpOutcome(None, None, f"HiGHS LP: {status}")
    return LpOutcome(np.array(h.getSolution().col_value), float(h.getInfo().objective_function_value),
                     "HiGHS LP: Optimal")


def _highs(request: MilpRequest) -> highspy.Highs:
    return new_highs(time_limit_s=request.time_limit_s, mip_gap=request.mip_gap, threads=request.threads,
                     seed=request.seed, params=request.params)


def _run(h: highspy.Highs, request: MilpRequest, throttle: ProgressThrottle, deadline: float,
         on_improving: Callable[[object], None] | None = None) -> RunOutcome:
    """Run HiGHS; cancel and ``deadline`` are heard in its interrupt callbacks (see
    :func:`solvers.highs_common.run`)."""
    return run(h, request.cancel, lambda primal, dual: throttle.bound(primal, dual, "HiGHS bound"), deadline,
               on_improving)
