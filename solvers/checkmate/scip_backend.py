"""Solver "checkmate-scip": the one-device stage MILP solved by SCIP (the only pyscipopt import here).

SCIP runs through ``optimizeNogil`` so that a window or a watcher thread keeps running. An event
handler reports each new incumbent (read with ``getSolObjVal(getBestSol())``: inside a BESTSOLFOUND
event ``getPrimalbound`` still reports the previous one) and the dual bound as nodes are solved
(throttled). Building, cancel and reading results: :mod:`solvers.scip_common`.
"""

from __future__ import annotations

import time

from pyscipopt import SCIP_EVENTTYPE, Eventhdlr

from core.problem import SchedulingProblem
from solvers.base import CancelToken, ProgressCallback, SolveOptions, SolveResult
from solvers.checkmate.milp import MilpOutcome, MilpRequest, ProgressThrottle
from solvers.checkmate.model import StageModel
from solvers.checkmate.pipeline import solve_with
from solvers.scip_common import (
    add_start,
    best_solution,
    build,
    dual_bound,
    limit_to_time_left,
    new_scip,
    optimize,
    started,
)

NAME = "checkmate-scip"


def solve(
    problem: SchedulingProblem,
    options: SolveOptions,
    *,
    on_progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> SolveResult:
    """Optimal rematerialization on one device with SCIP (see :mod:`solvers.checkmate.pipeline`).

    ``options.params``: the pipeline's keys (documented there); every other key is passed to SCIP as
    parameter name -> value (for example ``presolving/maxrounds``).
    """
    return solve_with(NAME, run_milp, problem, options, on_progress, cancel)


class _Events(Eventhdlr):  # type: ignore[misc]
    """Reports new incumbents and, throttled, the dual bound after solved nodes."""

    def __init__(self, throttle: ProgressThrottle) -> None:
        super().__init__()
        self.throttle = throttle

    def eventinit(self) -> None:
        self.model.catchEvent(SCIP_EVENTTYPE.BESTSOLFOUND | SCIP_EVENTTYPE.NODESOLVED, self)

    def eventexit(self) -> None:
        self.model.dropEvent(SCIP_EVENTTYPE.BESTSOLFOUND | SCIP_EVENTTYPE.NODESOLVED, self)

    def eventexec(self, event: object) -> None:
        model = self.model
        if event.getType() == SCIP_EVENTTYPE.BESTSOLFOUND:  # type: ignore[attr-defined]
            value = model.getSolObjVal(model.getBestSol())
            self.throttle.incumbent(float(value), dual_bound(model), "SCIP incumbent")
        else:
            primal = model.getPrimalbound() if model.getNSols() > 0 else None
            self.throttle.bound(primal, dual_bound(model), "SCIP bound")


def run_milp(model: StageModel, request: MilpRequest) -> MilpOutcome:
    """Solve ``model`` as a MILP under ``request`` (see :class:`solvers.checkmate.milp.MilpRequest`)."""
    started_at = time.perf_counter()
    scip = new_scip("checkmate", time_limit_s=request.time_limit_s, mip_gap=request.mip_gap, seed=request.seed,
                    params=request.params)
    columns = build(scip, model, cancel=request.cancel, deadline=started_at + request.time_limit_s)
    if columns is not None:
        limit_to_time_left(scip, request.time_limit_s, started_at)
        if request.cutoff is not None and request.warm_start is None:
            scip.setObjlimit(float(request.cutoff))
        if request.warm_start is not None:
            add_start(scip, columns, request.warm_start)
        scip.includeEventhdlr(_Events(ProgressThrottle(request.on_progress)), "progress", "incumbents and bounds")
    user_cancelled = request.cancel is not None and request.cancel.is_set()
    if columns is None:  # cancelled, or out of time, while building
        return MilpOutcome(None, None, None, False, False, user_cancelled, False,
                           "SCIP: not started" if user_cancelled else "SCIP: out of time building the model",
                           time.perf_counter() - started_at)
    cancelled = optimize(scip, request.cancel, deadline=started_at + request.time_limit_s)
    if not started(scip):
        return MilpOutcome(None, None, None, False, False, True, False, "SCIP: not started",
                           time.perf_counter() - started_at)
    status = scip.getStatus()
    x = best_solution(scip, columns)
    bound = dual_bound(scip)
    no_solution = status == "infeasible" and x is None
    cut_off = request.cutoff is not None and request.warm_start is None
    return MilpOutcome(
        x=x, objective=model.objective(x) if x is not None else None,
        bound=bound, optimal=status in ("optimal", "gaplimit"),
        infeasible=no_solution and not cut_off, cancelled=cancelled,
        exhausted=no_solution and cut_off, status=f"SCIP: {status}",
        wall_s=time.perf_counter() - started_at,
    )
