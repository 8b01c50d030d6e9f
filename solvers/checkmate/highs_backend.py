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

import highspy
import numpy as np

from core.errors import RematError
from core.problem import SchedulingProblem
from solvers.base import CancelToken, ProgressCallback, SolveOptions, SolveResult
from solvers.checkmate.milp import LpOutcome, MilpOutcome, MilpRequest, ProgressThrottle
from solvers.checkmate.model import StageModel
from solvers.checkmate.pipeline import solve_with
from solvers.highs_quiet import new_highs

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
    h.passModel(_lp(model, integral=True))
    if request.cutoff is not None:
        h.setOptionValue("objective_bound", float(request.cutoff))
    throttle = ProgressThrottle(request.on_progress)

    def improving(event: object) -> None:
        out = event.data_out  # type: ignore[attr-defined]
        throttle.incumbent(float(out.objective_function_value), float(out.mip_dual_bound), "HiGHS incumbent")

    h.cbMipImprovingSolution.subscribe(improving)
    cancelled = _run(h, request, throttle)
    info = h.getInfo()
    status = h.modelStatusToString(h.getModelStatus())
    has_x = info.primal_solution_status == 2
    x = np.array(h.getSolution().col_value) if has_x else None
    objective = model.objective(x) if x is not None else None
    bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else None
    trusted = objective is None or abs(objective - info.objective_function_value) <= 1e-6 * max(1.0, abs(objective))
    if not trusted:
        log.warning("HiGHS reports objective %.10g for a solution of objective %.10g (%s): result not trusted",
                    info.objective_function_value, objective, status)
        bound = None
    no_solution = status == "Infeasible" and not has_x
    return MilpOutcome(
        x=x, objective=objective, bound=bound,
        optimal=status == "Optimal" and trusted, infeasible=no_solution and request.cutoff is None,
        cancelled=cancelled, exhausted=no_solution and request.cutoff is not None,
        status=f"HiGHS: {status}", wall_s=time.perf_counter() - started,
    )


def solve_lp(model: StageModel, request: MilpRequest) -> LpOutcome:
    """The LP relaxation of ``model`` (integrality dropped), with the request's limits and cancel."""
    h = _highs(request)
    h.passModel(_lp(model, integral=False))
    _run(h, request, ProgressThrottle(None))
    status = h.modelStatusToString(h.getModelStatus())
    if status != "Optimal":
        return LpOutcome(None, None, f"HiGHS LP: {status}")
    return LpOutcome(np.array(h.getSolution().col_value), float(h.getInfo().objective_function_value),
                     "HiGHS LP: Optimal")


def _highs(request: MilpRequest) -> highspy.Highs:
    h = new_highs()  # highspy prints a banner on standard output while it builds an instance
    h.setOptionValue("time_limit", max(0.05, float(request.time_limit_s)))
    h.setOptionValue("mip_rel_gap", float(request.mip_gap))
    h.setOptionValue("threads", int(request.threads))
    h.setOptionValue("random_seed", int(request.seed))
    for key, value in request.params.items():
        if not isinstance(value, bool | int | float | str):
            raise RematError(f"HiGHS option {key!r} must be a bool, number or string, not {value!r}")
        if h.setOptionValue(str(key), value) != highspy.HighsStatus.kOk:
            raise RematError(f"HiGHS refused option {key!r} = {value!r} (unknown name or wrong type)")
    return h


def _run(h: highspy.Highs, request: MilpRequest, throttle: ProgressThrottle) -> bool:
    """Run HiGHS in this thread; its interrupt callbacks poll ``cancel``. True if it was cancelled."""
    cancel = request.cancel
    stopped = False

    def interrupt(event: object) -> None:
        nonlocal stopped
        if cancel is not None and cancel.is_set():
            stopped = True
            event.interrupt()  # type: ignore[attr-defined]

    def mip_interrupt(event: object) -> None:
        interrupt(event)
        out = event.data_out  # type: ignore[attr-defined]
        throttle.bound(float(out.mip_primal_bound), float(out.mip_dual_bound), "HiGHS bound")

    h.cbSimplexInterrupt.subscribe(interrupt)
    h.cbIpmInterrupt.subscribe(interrupt)
    h.cbMipInterrupt.subscribe(mip_interrupt)
    if cancel is not None and cancel.is_set():
        return True
    h.run()
    return stopped


def _lp(model: StageModel, *, integral: bool) -> highspy.HighsLp:
    lp = highspy.HighsLp()
    lp.num_col_ = model.n_cols
    lp.num_row_ = model.n_rows
    lp.col_cost_ = model.cost
    lp.col_lower_ = model.col_lower
    lp.col_upper_ = model.col_upper
    lp.row_lower_ = np.where(np.isfinite(model.row_lower), model.row_lower, -highspy.kHighsInf)
    lp.row_upper_ = np.where(np.isfinite(model.row_upper), model.row_upper, highspy.kHighsInf)
    A = model.matrix.tocsc()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr
    lp.a_matrix_.index_ = A.indices
    lp.a_matrix_.value_ = A.data
    if integral:
        lp.integrality_ = [highspy.HighsVarType.kInteger if f else highspy.HighsVarType.kContinuous
                           for f in model.integral]
    return lp
