"""Solver "milp-scip": the several-device MILP solved by SCIP (the only pyscipopt import here).

SCIP runs through ``optimizeNogil`` so that a window or a watcher thread keeps running; a
BESTSOLFOUND event handler reports each new incumbent (read with ``getSolObjVal(getBestSol())``:
inside the event, ``getPrimalbound`` still reports the previous one), and a cancel calls
``interruptSolve``, which keeps the incumbent.
"""

from __future__ import annotations

import contextlib
import threading

import numpy as np
from pyscipopt import SCIP_EVENTTYPE, Eventhdlr, Model, quicksum

from core.problem import SchedulingProblem
from solvers.base import CancelToken, ProgressCallback, SolveOptions, SolveResult
from solvers.multidevice.arrays import MultiDeviceMilp
from solvers.multidevice.pipeline import BackendRequest, MilpOutcome, solve_with

NAME = "milp-scip"
CANCEL_POLL_S = 0.05


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
                      problem, options, on_progress, cancel)


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
        self.request.report(float(incumbent), float(model.getDualbound()), "SCIP incumbent")


def _run_scip(milp: MultiDeviceMilp, request: BackendRequest, options: SolveOptions) -> MilpOutcome:
    model = Model("multidevice")
    model.hideOutput()
    model.setParam("limits/time", float(request.time_limit_s))
    model.setParam("limits/gap", float(request.mip_gap))
    model.setParam("randomization/randomseedshift", int(request.seed))
    for key, value in options.params.items():
        model.setParam(str(key), value)
    columns = _build(model, milp, request.cost_scale)
    if request.warm_start is not None:
        solution = model.createSol()
        for var, value in zip(columns, request.warm_start, strict=True):
            model.setSolVal(solution, var, float(value))
        model.addSol(solution, free=True)
    if request.on_progress is not None:
        model.includeEventhdlr(_Incumbents(request), "incumbents", "reports new incumbents")
    cancelled = _optimize(model, request.cancel)
    status = model.getStatus()
    x = None
    if model.getNSols() > 0:
        best = model.getBestSol()
        x = np.array([model.getSolVal(best, var) for var in columns])
    bound = model.getDualbound()
    return MilpOutcome(
        x, float(bound) if np.isfinite(bound) else None, status == "optimal", status == "infeasible",
        cancelled or status == "userinterrupt", f"SCIP: {status}",
    )


def _build(model: Model, milp: MultiDeviceMilp, cost_scale: float) -> list[object]:
    columns = [
        model.addVar(name=f"x{j}", vtype="B" if milp.integral[j] and milp.col_upper[j] == 1 else
                     ("I" if milp.integral[j] else "C"),
                     lb=float(milp.col_lower[j]), ub=float(milp.col_upper[j]), obj=float(milp.cost[j] * cost_scale))
        for j in range(milp.n_cols)
    ]
    A = milp.matrix
    for r in range(milp.n_rows):
        start, stop = A.indptr[r], A.indptr[r + 1]
        expr = quicksum(float(v) * columns[c] for c, v in zip(A.indices[start:stop], A.data[start:stop], strict=True))
        lo, hi = milp.row_lower[r], milp.row_upper[r]
        if lo == hi:
            model.addCons(expr == float(lo))
        elif np.isfinite(lo) and np.isfinite(hi):
            model.addCons(float(lo) <= (expr <= float(hi)))
        elif np.isfinite(hi):
            model.addCons(expr <= float(hi))
        else:
            model.addCons(expr >= float(lo))
    return columns


def _optimize(model: Model, cancel: CancelToken | None) -> bool:
    """Run SCIP without holding the GIL; a watcher thread interrupts it on cancel. True if cancelled."""
    done = threading.Event()
    stopped = threading.Event()

    def watch() -> None:
        assert cancel is not None
        while not cancel.is_set():
            if done.wait(CANCEL_POLL_S):
                return
        stopped.set()
        # SCIP ignores an interrupt that arrives before it starts solving: repeat until it stops.
        while True:
            # Not yet in a stage that accepts interrupts: try again shortly.
            with contextlib.suppress(Exception):
                model.interruptSolve()
            if done.wait(CANCEL_POLL_S):
                return

    watcher = threading.Thread(target=watch, name="scip-cancel-watch", daemon=True) if cancel else None
    if watcher is not None:
        watcher.start()
    try:
        model.optimizeNogil()
    finally:
        done.set()
        if watcher is not None:
            watcher.join()
    return stopped.is_set()
