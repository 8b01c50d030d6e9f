"""Solver "checkmate-scip": the one-device stage MILP solved by SCIP (the only pyscipopt import here).

SCIP runs through ``optimizeNogil`` so that a window or a watcher thread keeps running. An event
handler reports each new incumbent (read with ``getSolObjVal(getBestSol())``: inside a BESTSOLFOUND
event ``getPrimalbound`` still reports the previous one) and the dual bound as nodes are solved
(throttled). Cancel: a watcher thread calls ``interruptSolve``, which keeps the incumbent.
"""

from __future__ import annotations

import contextlib
import threading
import time

import numpy as np
from pyscipopt import SCIP_EVENTTYPE, SCIP_STAGE, Eventhdlr, Model, Variable, quicksum

from core.errors import RematError
from core.problem import SchedulingProblem
from solvers.base import CancelToken, ProgressCallback, SolveOptions, SolveResult
from solvers.checkmate.milp import MilpOutcome, MilpRequest, ProgressThrottle
from solvers.checkmate.model import StageModel
from solvers.checkmate.pipeline import solve_with

NAME = "checkmate-scip"
CANCEL_POLL_S = 0.05


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
            self.throttle.incumbent(float(value), float(model.getDualbound()), "SCIP incumbent")
        else:
            primal = model.getPrimalbound() if model.getNSols() > 0 else None
            self.throttle.bound(primal, float(model.getDualbound()), "SCIP bound")


def run_milp(model: StageModel, request: MilpRequest) -> MilpOutcome:
    """Solve ``model`` as a MILP under ``request`` (see :class:`solvers.checkmate.milp.MilpRequest`)."""
    started = time.perf_counter()
    scip = Model("checkmate")
    scip.hideOutput()
    scip.setParam("limits/time", max(0.05, float(request.time_limit_s)))
    scip.setParam("limits/gap", float(request.mip_gap))
    scip.setParam("randomization/randomseedshift", int(request.seed))
    for key, value in request.params.items():
        try:
            scip.setParam(str(key), value)
        except (LookupError, TypeError, ValueError) as error:
            raise RematError(f"SCIP parameter {key!r} = {value!r} was refused: {error}") from error
    columns = _build(scip, model)
    if request.cutoff is not None and request.warm_start is None:
        scip.setObjlimit(float(request.cutoff))
    if request.warm_start is not None:
        solution = scip.createSol()
        for var, value in zip(columns, request.warm_start, strict=True):
            scip.setSolVal(solution, var, float(value))
        scip.addSol(solution, free=True)
    scip.includeEventhdlr(_Events(ProgressThrottle(request.on_progress)), "progress", "incumbents and bounds")
    cancelled = _optimize(scip, request.cancel)
    if scip.getStage() < SCIP_STAGE.TRANSFORMED:
        # Cancelled before SCIP started: asking it for solutions or bounds now would crash it.
        return MilpOutcome(None, None, None, False, False, True, False, "SCIP: not started",
                           time.perf_counter() - started)
    status = scip.getStatus()
    x = None
    if scip.getNSols() > 0:
        best = scip.getBestSol()
        x = np.array([scip.getSolVal(best, var) for var in columns])
    bound = scip.getDualbound()
    no_solution = status == "infeasible" and x is None
    cut_off = request.cutoff is not None and request.warm_start is None
    return MilpOutcome(
        x=x, objective=model.objective(x) if x is not None else None,
        bound=float(bound) if np.isfinite(bound) else None, optimal=status in ("optimal", "gaplimit"),
        infeasible=no_solution and not cut_off, cancelled=cancelled or status == "userinterrupt",
        exhausted=no_solution and cut_off, status=f"SCIP: {status}",
        wall_s=time.perf_counter() - started,
    )


def _build(scip: Model, model: StageModel) -> list[Variable]:
    columns = [
        scip.addVar(name=f"x{j}", vtype=("B" if model.col_upper[j] <= 1 else "I") if model.integral[j] else "C",
                    lb=float(model.col_lower[j]), ub=float(model.col_upper[j]), obj=float(model.cost[j]))
        for j in range(model.n_cols)
    ]
    A = model.matrix
    for r in range(model.n_rows):
        start, stop = A.indptr[r], A.indptr[r + 1]
        expr = quicksum(float(v) * columns[c] for c, v in zip(A.indices[start:stop], A.data[start:stop], strict=True))
        lo, hi = model.row_lower[r], model.row_upper[r]
        if lo == hi:
            scip.addCons(expr == float(lo))
        elif np.isfinite(lo) and np.isfinite(hi):
            scip.addCons(float(lo) <= (expr <= float(hi)))
        elif np.isfinite(hi):
            scip.addCons(expr <= float(hi))
        else:
            scip.addCons(expr >= float(lo))
    return columns


def _optimize(scip: Model, cancel: CancelToken | None) -> bool:
    """Run SCIP without holding the GIL; a watcher thread interrupts it on cancel. True if cancelled."""
    if cancel is None:
        scip.optimizeNogil()
        return False
    done = threading.Event()
    stopped = threading.Event()

    def watch() -> None:
        while not cancel.is_set():
            if done.wait(CANCEL_POLL_S):
                return
        stopped.set()
        # SCIP ignores an interrupt that arrives before it starts solving: repeat until it stops.
        while True:
            with contextlib.suppress(Exception):  # not yet in a stage that accepts interrupts
                scip.interruptSolve()
            if done.wait(CANCEL_POLL_S):
                return

    watcher = threading.Thread(target=watch, name="checkmate-scip-cancel", daemon=True)
    watcher.start()
    try:
        if not cancel.is_set():
            scip.optimizeNogil()
    finally:
        done.set()
        watcher.join()
    return stopped.is_set()

