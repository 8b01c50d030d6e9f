"""What both SCIP backends share (checkmate-scip, milp-scip): the model, parameters, a cancellable run.

SCIP runs through ``optimizeNogil`` so that a window or a watcher thread keeps running. Cancel: a
watcher thread calls ``interruptSolve`` (repeatedly: SCIP ignores an interrupt that arrives before it
solves), which keeps the incumbent; building a large model takes seconds in Python, so the build
looks at the cancel token too. Asking SCIP for solutions or bounds before it started crashes it:
:func:`started` tells whether that is safe.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from pyscipopt import SCIP_STAGE, Model, Variable, quicksum

from core.errors import RematError
from solvers.array_model import MilpArrays
from solvers.base import CancelToken

#: How often the watcher thread looks at the cancel token, in seconds.
CANCEL_POLL_S = 0.05
#: Rows added between two looks at the cancel token while building.
ROWS_PER_CHECK = 2000


def new_scip(name: str, *, time_limit_s: float, mip_gap: float, seed: int,
             params: Mapping[str, object] = {}) -> Model:
    """A silent SCIP model with the solve's limits and the user's parameters (RematError names a bad one)."""
    scip = Model(name)
    scip.hideOutput()
    scip.setParam("limits/time", max(0.05, float(time_limit_s)))
    scip.setParam("limits/gap", float(mip_gap))
    scip.setParam("randomization/randomseedshift", int(seed))
    for key, value in params.items():
        try:
            scip.setParam(str(key), value)
        except (LookupError, TypeError, ValueError) as error:
            raise RematError(f"SCIP parameter {key!r} = {value!r} was refused: {error}") from error
    return scip


def build(scip: Model, model: MilpArrays, *, cost_scale: float = 1.0,
          cancel: CancelToken | None = None, deadline: float = math.inf) -> list[Variable] | None:
    """Add ``model``'s columns and rows to ``scip``; None when ``cancel`` was set while building, or
    when the ``deadline`` (``time.perf_counter()`` clock) passed: building a large model row by row
    in Python takes seconds, and a model not built in time cannot be solved in time."""
    columns = [
        scip.addVar(name=f"x{j}", vtype=("B" if model.col_upper[j] <= 1 else "I") if model.integral[j] else "C",
                    lb=float(model.col_lower[j]), ub=float(model.col_upper[j]), obj=float(model.cost[j] * cost_scale))
        for j in range(len(model.cost))
    ]
    A: sp.csr_matrix = model.matrix.tocsr()
    for r in range(len(model.row_lower)):
        if r % ROWS_PER_CHECK == 0 and ((cancel is not None and cancel.is_set()) or time.perf_counter() > deadline):
            return None
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


def limit_to_time_left(scip: Model, time_limit_s: float, started_at: float) -> None:
    """Charge the time spent building (in Python, seconds on large models) to the time limit.

    SCIP's clock starts when it starts solving; without this a 5 s request took 7 s on a
    55,000-column stage model.
    """
    left = float(time_limit_s) - (time.perf_counter() - started_at)
    scip.setParam("limits/time", max(0.05, left))


def add_start(scip: Model, columns: list[Variable], x: np.ndarray) -> None:
    """Give SCIP a feasible start."""
    solution = scip.createSol()
    for var, value in zip(columns, x, strict=True):
        scip.setSolVal(solution, var, float(value))
    scip.addSol(solution, free=True)


#: How long past its deadline SCIP may run on before it is interrupted (its own time limit should
#: have stopped it: this is for the phases where it checks the clock rarely).
DEADLINE_GRACE_S = 0.25


def optimize(scip: Model, cancel: CancelToken | None, deadline: float = math.inf) -> bool:
    """Run SCIP without holding the GIL; a watcher thread interrupts it on cancel, or once it is
    :data:`DEADLINE_GRACE_S` past ``deadline`` (``time.perf_counter()`` clock) without having
    stopped at its own time limit. True if the user cancelled (a deadline is not a cancel)."""
    if cancel is None and math.isinf(deadline):
        scip.optimizeNogil()
        return False
    done = threading.Event()

    def due() -> bool:
        return (cancel is not None and cancel.is_set()) or time.perf_counter() > deadline + DEADLINE_GRACE_S

    def watch() -> None:
        while not due():
            if done.wait(CANCEL_POLL_S):
                return
        while True:
            with contextlib.suppress(Exception):  # not yet in a stage that accepts interrupts
                scip.interruptSolve()
            if done.wait(CANCEL_POLL_S):
                return

    watcher = threading.Thread(target=watch, name="scip-cancel", daemon=True)
    watcher.start()
    try:
        if not due():
            scip.optimizeNogil()
    finally:
        done.set()
        watcher.join()
    return cancel is not None and cancel.is_set()


def started(scip: Model) -> bool:
    """Whether SCIP got far enough that its solutions and bounds may be read."""
    return bool(scip.getStage() >= SCIP_STAGE.TRANSFORMED)


def dual_bound(scip: Model) -> float | None:
    """SCIP's dual bound, or None while it has none (SCIP says -1e20, its infinity, which is finite
    to numpy: read as a bound it made a gap of 1e20 on the two-device ResNet-18 case). Before the
    solve has started there is none (and asking SCIP then crashes it)."""
    if not started(scip):
        return None
    bound = float(scip.getDualbound())
    return None if not np.isfinite(bound) or scip.isInfinity(abs(bound)) else bound


def best_solution(scip: Model, columns: list[Variable]) -> np.ndarray | None:
    if scip.getNSols() == 0:
        return None
    best = scip.getBestSol()
    return np.array([scip.getSolVal(best, var) for var in columns])


@dataclass(frozen=True)
class ScipRun:
    """How one SCIP solve of an array model ended: SCIP's status (or "not started", "out of time
    building the model"), the best column vector and the dual bound (None without), and whether
    the user cancelled."""

    status: str
    x: np.ndarray | None
    bound: float | None
    cancelled: bool


def solve_model(scip: Model, model: MilpArrays, *, time_limit_s: float, started_at: float,
                cancel: CancelToken | None, cost_scale: float = 1.0, warm_start: np.ndarray | None = None,
                prepare: Callable[[Model], None] | None = None) -> ScipRun:
    """Build ``model`` into ``scip``, start it from ``warm_start``, let ``prepare`` add what the
    caller needs (event handlers, an objective limit), and solve within ``time_limit_s`` counted
    from ``started_at`` (``time.perf_counter()``), building included, hearing ``cancel``."""
    deadline = started_at + time_limit_s
    columns = build(scip, model, cost_scale=cost_scale, cancel=cancel, deadline=deadline)
    if columns is None:  # cancelled, or out of time, while building
        user_cancelled = cancel is not None and cancel.is_set()
        return ScipRun("not started" if user_cancelled else "out of time building the model", None, None,
                       user_cancelled)
    limit_to_time_left(scip, time_limit_s, started_at)
    if warm_start is not None:
        add_start(scip, columns, warm_start)
    if prepare is not None:
        prepare(scip)
    cancelled = optimize(scip, cancel, deadline=deadline)
    if not started(scip):
        return ScipRun("not started", None, None, True)
    return ScipRun(str(scip.getStatus()), best_solution(scip, columns), dual_bound(scip), cancelled)
