"""Solver "milp-scip": the several-device MILP solved by SCIP (the only pyscipopt import here).

SCIP runs through ``optimizeNogil`` so that a window or a watcher thread keeps running; a
BESTSOLFOUND event handler reports each new incumbent (read with ``getSolObjVal(getBestSol())``:
inside the event, ``getPrimalbound`` still reports the previous one). Building, cancel and reading
results: :mod:`solvers.scip_common`.
"""

from __future__ import annotations

import time

from pyscipopt import SCIP_EVENTTYPE, Eventhdlr, Model

from core.problem import SchedulingProblem
from solvers.base import CancelToken, ProgressCallback, SolveOptions, SolveResult
from solvers.checkmate import scip_backend as one_device
from solvers.multidevice.arrays import MultiDeviceMilp
from solvers.multidevice.pipeline import BackendRequest, MilpOutcome, solve_with
from solvers.scip_common import dual_bound, new_scip, solve_model

NAME = "milp-scip"


def solve(
    problem: SchedulingProblem,
    options: SolveOptions,
    *,
    on_progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> SolveResult:
    """Plan ``problem`` on all its devices, memories and links with SCIP (see :mod:`solvers.base`).

    ``options.params`` is passed to SCIP as parameter name -> value (for example ``presolving/maxrounds``).
    """
    return solve_with(NAME, lambda milp, request: _run_scip(milp, request, options),
                      problem, options, on_progress, cancel,
                      one_device=one_device.solve)


class _Incumbents(Eventhdlr):  # type: ignore[misc]
    """Reports every new best solution through the request's progress callback."""

    def __init__(self, request: BackendRequest) -> None:
        super().__init__()
        self.request = request

    def eventinit(self) -> None:
        self.model.catchEvent(SCIP_EVENTTYPE.BESTSOLFOUND, self)

    def eventexit(self) -> None:
        self.model.dropEvent(SCIP_EVENTTYPE.BESTSOLFOUND, self)

    def eventexec(self, event: object) -> None:
        model = self.model
        incumbent = model.getSolObjVal(model.getBestSol())
        self.request.report(float(incumbent), dual_bound(model), "SCIP incumbent")


def _run_scip(milp: MultiDeviceMilp, request: BackendRequest, options: SolveOptions) -> MilpOutcome:
    started_at = time.perf_counter()
    scip = new_scip("multidevice", time_limit_s=request.time_limit_s, mip_gap=request.mip_gap, seed=request.seed,
                    params=options.params)

    def prepare(scip: Model) -> None:
        if request.on_progress is not None:
            scip.includeEventhdlr(_Incumbents(request), "incumbents", "reports new incumbents")

    ran = solve_model(scip, milp, time_limit_s=request.time_limit_s, started_at=started_at, cancel=request.cancel,
                      cost_scale=request.cost_scale, warm_start=request.warm_start, prepare=prepare)
    return MilpOutcome(ran.x, ran.bound, ran.status == "optimal", ran.status == "infeasible", ran.cancelled,
                       f"SCIP: {ran.status}")
