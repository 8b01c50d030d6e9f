"""Solver "milp-highs": the several-device MILP solved by HiGHS (the only highspy import here).

Progress comes from HiGHS's improving-solution callback; cancel sets HiGHS's user interrupt from a
watcher thread (HiGHS releases the GIL while it runs) and keeps the incumbent.
"""

from __future__ import annotations

import threading

import highspy
import numpy as np

from core.problem import SchedulingProblem
from solvers.base import CancelToken, ProgressCallback, SolveOptions, SolveResult
from solvers.highs_quiet import new_highs
from solvers.multidevice.arrays import MultiDeviceMilp
from solvers.multidevice.pipeline import BackendRequest, MilpOutcome, solve_with

NAME = "milp-highs"
#: How often the watcher thread looks at the cancel token, in seconds.
CANCEL_POLL_S = 0.05


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
                      problem, options, on_progress, cancel)


def _run_highs(milp: MultiDeviceMilp, request: BackendRequest, options: SolveOptions) -> MilpOutcome:
    h = new_highs()
    h.setOptionValue("time_limit", float(request.time_limit_s))
    h.setOptionValue("mip_rel_gap", float(request.mip_gap))
    h.setOptionValue("threads", int(request.threads))
    h.setOptionValue("random_seed", int(request.seed))
    for key, value in options.params.items():
        h.setOptionValue(str(key), value)
    h.passModel(_lp(milp, request.cost_scale))
    if request.warm_start is not None:
        solution = highspy.HighsSolution()
        solution.col_value = list(request.warm_start)
        solution.value_valid = True
        h.setSolution(solution)

    def improving(event: object) -> None:
        out = event.data_out  # type: ignore[attr-defined]
        request.report(float(out.objective_function_value), float(out.mip_dual_bound), "HiGHS incumbent")

    h.cbMipImprovingSolution.subscribe(improving)
    cancelled = _run(h, request.cancel)
    info = h.getInfo()
    status = h.modelStatusToString(h.getModelStatus())
    has_x = info.primal_solution_status == 2
    x = np.array(h.getSolution().col_value) if has_x else None
    bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else None
    return MilpOutcome(x, bound, status == "Optimal", status == "Infeasible", cancelled, f"HiGHS: {status}")


def _run(h: highspy.Highs, cancel: CancelToken | None) -> bool:
    """Solve; a watcher thread turns ``cancel`` into HiGHS's user interrupt. True if cancelled."""
    if cancel is None:
        h.run()
        return False
    h.HandleUserInterrupt = True
    h.startSolve()
    stopped = threading.Event()
    done = threading.Event()

    def watch() -> None:
        while not cancel.is_set():
            if done.wait(CANCEL_POLL_S):
                return
        stopped.set()
        h.cancelSolve()

    watcher = threading.Thread(target=watch, name="highs-cancel-watch", daemon=True)
    watcher.start()
    h.wait()
    done.set()
    watcher.join()
    return stopped.is_set()


def _lp(milp: MultiDeviceMilp, cost_scale: float) -> highspy.HighsLp:
    lp = highspy.HighsLp()
    lp.num_col_ = milp.n_cols
    lp.num_row_ = milp.n_rows
    lp.col_cost_ = milp.cost * cost_scale
    lp.col_lower_ = milp.col_lower
    lp.col_upper_ = milp.col_upper
    lp.row_lower_ = np.where(np.isfinite(milp.row_lower), milp.row_lower, -highspy.kHighsInf)
    lp.row_upper_ = np.where(np.isfinite(milp.row_upper), milp.row_upper, highspy.kHighsInf)
    A = milp.matrix.tocsc()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr
    lp.a_matrix_.index_ = A.indices
    lp.a_matrix_.value_ = A.data
    lp.integrality_ = [highspy.HighsVarType.kInteger if f else highspy.HighsVarType.kContinuous
                       for f in milp.integral]
    return lp
