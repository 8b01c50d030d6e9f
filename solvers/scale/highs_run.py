"""Solve a :class:`StageModel` with HiGHS: warm start, progress, cancel, time limit (highspy only here)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import highspy
import numpy as np

from solvers.base import CancelToken, Progress, ProgressCallback
from solvers.scale.stage_model import StageModel

log = logging.getLogger(__name__)


@dataclass
class MilpOutcome:
    """What HiGHS returned: the best vector (or None), its objective, the dual bound, proof status."""

    x: np.ndarray | None
    objective: float | None
    bound: float | None
    optimal: bool
    infeasible: bool
    cancelled: bool
    status: str
    #: The search finished without finding a solution (below the cutoff, if one was given).
    exhausted: bool = False


def solve_stage_model(
    model: StageModel,
    *,
    time_limit_s: float,
    mip_gap: float = 1e-6,
    threads: int = 1,
    seed: int = 0,
    warm_start: np.ndarray | None = None,
    objective_cutoff: float | None = None,
    cost_unit: float = 1.0,
    on_progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    started: float | None = None,
) -> MilpOutcome:
    """Run HiGHS on ``model``.

    ``cost_unit`` divides the objective inside HiGHS (numerics); every value returned and reported is
    in the original units. ``objective_cutoff``: only solutions below it are searched for (an
    incumbent the caller already holds); when none exists the outcome is ``exhausted``.
    """
    started = time.perf_counter() if started is None else started
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", max(0.1, float(time_limit_s)))
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    h.setOptionValue("threads", int(threads))
    h.setOptionValue("random_seed", int(seed))
    if objective_cutoff is not None:
        # Only solutions strictly better than the incumbent are of interest.
        h.setOptionValue("objective_bound", float(objective_cutoff) / cost_unit)
    h.passModel(_lp(model, cost_unit))
    if warm_start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = list(warm_start)
        sol.value_valid = True
        h.setSolution(sol)
    if on_progress is not None:
        def improving(event: object) -> None:
            out = event.data_out  # type: ignore[attr-defined]
            on_progress(Progress(time.perf_counter() - started, float(out.objective_function_value) * cost_unit,
                                 float(out.mip_dual_bound) * cost_unit, float(out.mip_gap), "HiGHS incumbent"))
        h.cbMipImprovingSolution.subscribe(improving)
    cancelled = _run(h, cancel)
    info = h.getInfo()
    status = h.modelStatusToString(h.getModelStatus())
    has_x = info.primal_solution_status == 2
    x = np.array(h.getSolution().col_value) if has_x else None
    objective = float(info.objective_function_value) * cost_unit if has_x else None
    bound = float(info.mip_dual_bound) * cost_unit if np.isfinite(info.mip_dual_bound) else None
    finished = status in ("Optimal", "Infeasible", "Objective bound")
    return MilpOutcome(
        x, objective, bound, status == "Optimal", status == "Infeasible", cancelled, status,
        exhausted=finished and not has_x,
    )


def _run(h: highspy.Highs, cancel: CancelToken | None) -> bool:
    """Solve, polling ``cancel`` from this thread while HiGHS runs (it releases the GIL)."""
    if cancel is None:
        h.run()
        return False
    h.HandleUserInterrupt = True
    h.startSolve()
    stopped = False
    done = threading.Event()

    def watch() -> None:
        nonlocal stopped
        while not done.wait(0.05):
            if cancel.is_set():
                stopped = True
                h.cancelSolve()
                return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    h.wait()
    done.set()
    watcher.join()
    return stopped


def _lp(model: StageModel, cost_unit: float) -> highspy.HighsLp:
    lp = highspy.HighsLp()
    lp.num_col_ = model.n_cols
    lp.num_row_ = len(model.row_lower)
    lp.col_cost_ = model.cost / cost_unit
    lp.col_lower_ = model.col_lower
    lp.col_upper_ = model.col_upper
    lp.row_lower_ = np.where(np.isfinite(model.row_lower), model.row_lower, -highspy.kHighsInf)
    lp.row_upper_ = np.where(np.isfinite(model.row_upper), model.row_upper, highspy.kHighsInf)
    A = model.matrix.tocsc()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr
    lp.a_matrix_.index_ = A.indices
    lp.a_matrix_.value_ = A.data
    lp.integrality_ = [highspy.HighsVarType.kInteger if f else highspy.HighsVarType.kContinuous
                       for f in model.integral]
    return lp
