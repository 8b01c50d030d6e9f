"""Solver "checkmate-scip": the one-device stage MILP solved by SCIP (the only pyscipopt import here).

SCIP runs through ``optimizeNogil`` so that a window or a watcher thread keeps running. An event
handler reports each new incumbent (read with ``getSolObjVal(getBestSol())``: inside a BESTSOLFOUND
event ``getPrimalbound`` still reports the previous one) and the dual bound as nodes are solved
(throttled). Building, cancel and reading results: :mod:`solvers.scip_common`.
"""

from __future__ import annotations

import time

from pyscipopt import SCIP_EVENTTYPE, Eventhdlr, Model

from core.problem import SchedulingProblem
from solvers.base import CancelToken, ProgressCallback, SolveOptions, SolveResult
from solvers.checkmate.milp import MilpOutcome, MilpRequest, ProgressThrottle
from solvers.checkmate.model import StageModel
from solvers.checkmate.pipeline import solve_with
from solvers.scip_common import dual_bound, new_scip, solve_model

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
    # An objective limit would refuse a start at the cutoff: with a start, the start is the cutoff.
    cutoff = request.cutoff if request.warm_start is None else None
    cut_off = cutoff is not None

    def prepare(scip: Model) -> None:
        if cutoff is not None:
            scip.setObjlimit(float(cutoff))
        scip.includeEventhdlr(_Events(ProgressThrottle(request.on_progress)), "progress", "incumbents and bounds")

    ran = solve_model(scip, model, time_limit_s=request.time_limit_s, started_at=started_at, cancel=request.cancel,
                      warm_start=request.warm_start, prepare=prepare)
    no_solution = ran.status == "infeasible" and ran.x is None
    return MilpOutcome(
        x=ran.x, objective=model.objective(ran.x) if ran.x is not None else None,
        bound=ran.bound, optimal=ran.status in ("optimal", "gaplimit"),
        infeasible=no_solution and not cut_off, cancelled=ran.cancelled,
        exhausted=no_solution and cut_off, status=f"SCIP: {ran.status}",
        wall_s=time.perf_counter() - started_at,
    )
