"""What both HiGHS backends share (checkmate-highs, milp-highs): a quiet instance, options, the model.

- ``highspy.Highs()`` writes its banner to standard output: highspy 1.16 runs a HiGHS call inside its
  constructor, before any option can be set, and that would corrupt ``main.py solve --json``. The
  constructor runs with file descriptor 1 pointed at ``/dev/null`` (a millisecond; progress and logs
  go to standard error), and logging is off from then on.
- Both model records (:class:`solvers.checkmate.model.StageModel`,
  :class:`solvers.multidevice.arrays.MultiDeviceMilp`) carry the same arrays, passed as one
  ``HighsLp``.
- Cancel is heard in HiGHS's own interrupt callbacks (MIP, simplex, interior point) and answered
  within a second even while HiGHS is in a phase without callbacks (:func:`run`).
- HiGHS 1.16 with presolve has answered a feasible start given through ``setSolution`` with
  "Optimal", the start itself as the solution and an objective and bound below the true optimum:
  :func:`trusted` tells whether HiGHS's objective agrees with the vector it returned.
"""

from __future__ import annotations

import logging
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import highspy
import numpy as np

from core.errors import RematError
from solvers.array_model import MilpArrays
from solvers.base import CancelToken

log = logging.getLogger(__name__)


@contextmanager
def _stdout_to_devnull() -> Iterator[None]:
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def new_highs(*, time_limit_s: float, mip_gap: float, threads: int, seed: int,
              params: Mapping[str, object] = {}) -> highspy.Highs:
    """A fresh, silent ``highspy.Highs`` with the solve's limits and the user's library options.

    Raises RematError naming an option HiGHS refuses (unknown name or wrong type).
    """
    with _stdout_to_devnull():
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", max(0.05, float(time_limit_s)))
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    h.setOptionValue("threads", int(threads))
    h.setOptionValue("random_seed", int(seed))
    for key, value in params.items():
        if not isinstance(value, bool | int | float | str):
            raise RematError(f"HiGHS option {key!r} must be a bool, number or string, not {value!r}")
        if h.setOptionValue(str(key), value) != highspy.HighsStatus.kOk:
            raise RematError(f"HiGHS refused option {key!r} = {value!r} (unknown name or wrong type)")
    return h


def pass_model(h: highspy.Highs, model: MilpArrays, time_limit_s: float, started_at: float, *,
               integral: bool = True, cost_scale: float = 1.0) -> None:
    """Give ``model`` to ``h``, charging the time spent building it (``started_at`` on the
    ``time.perf_counter()`` clock) to the time limit: HiGHS's clock starts when it starts solving,
    and assembling a large model in Python takes a good part of a second."""
    h.passModel(highs_lp(model, integral=integral, cost_scale=cost_scale))
    left = float(time_limit_s) - (time.perf_counter() - started_at)
    h.setOptionValue("time_limit", max(0.05, left - WRAP_UP_S))


def highs_lp(model: MilpArrays, *, integral: bool = True, cost_scale: float = 1.0) -> highspy.HighsLp:
    """``model`` as a ``HighsLp`` (integrality dropped with ``integral=False``: the LP relaxation)."""
    lp = highspy.HighsLp()
    lp.num_col_ = len(model.cost)
    lp.num_row_ = len(model.row_lower)
    lp.col_cost_ = model.cost * cost_scale
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


def trusted(reported: float, actual: float | None) -> bool:
    """Whether HiGHS's reported objective agrees with the objective of the vector it returned."""
    return actual is None or abs(actual - reported) <= 1e-6 * max(1.0, abs(actual))


@dataclass
class RunOutcome:
    """How a HiGHS run ended. ``finished`` False: cancelled, or past its deadline, while HiGHS could
    not stop yet (presolve ignores interrupts); it stops on its own later, and ``h`` must not be
    touched any more. ``timed_out``: it was the deadline, not a cancel."""

    cancelled: bool
    finished: bool = True
    timed_out: bool = False
    #: The last MIP dual bound HiGHS reported in a callback (what is left of it when not finished).
    dual_bound: float | None = None


#: How long a cancelled run may take to stop before the caller goes on without it.
CANCEL_GRACE_S = 0.5
#: How long past its deadline a run may take to stop before the caller goes on without it. HiGHS
#: checks its own time limit rarely in some phases: on a 55,000-column stage model it once returned
#: after 10.1 s for a 6 s limit, with no LP iteration done.
DEADLINE_GRACE_S = 0.25
#: HiGHS's own time limit ends this much before the caller's deadline: stopping at its limit
#: takes it a few tenths of a second on a 119,000-column model (the deadline should not cut that).
WRAP_UP_S = 0.25


def run(h: highspy.Highs, cancel: CancelToken | None,
        on_bound: Callable[[float, float], None] | None = None, deadline: float = math.inf,
        on_improving: Callable[[object], None] | None = None) -> RunOutcome:
    """Run HiGHS; cancel is heard in its interrupt callbacks and answered within a second.

    HiGHS runs in a worker thread (it releases the GIL). Its interrupt callbacks (MIP, simplex,
    interior point) stop it when ``cancel`` is set or the ``deadline`` (``time.perf_counter()``
    clock) has passed; when it is in a phase without callbacks (presolve can take seconds on large
    models) the caller stops waiting after :data:`CANCEL_GRACE_S` (:data:`DEADLINE_GRACE_S` past the
    deadline) and HiGHS is left to stop at its next callback. ``on_bound(primal, dual)`` hears the
    MIP bounds each time HiGHS checks for an interrupt, ``on_improving(event)`` each improving
    solution; neither hears anything from a run the caller stopped waiting for.
    """
    stopped = threading.Event()
    listening = threading.Event()  # cleared when the caller goes on without HiGHS
    listening.set()
    bounds: list[float] = []

    def interrupt(event: object) -> None:
        if not listening.is_set():
            event.interrupt()  # type: ignore[attr-defined]
        elif cancel is not None and cancel.is_set():
            stopped.set()
            event.interrupt()  # type: ignore[attr-defined]
        elif time.perf_counter() > deadline:
            event.interrupt()  # type: ignore[attr-defined]

    def mip_interrupt(event: object) -> None:
        interrupt(event)
        if not listening.is_set():
            return
        out = event.data_out  # type: ignore[attr-defined]
        if math.isfinite(out.mip_dual_bound):
            bounds[:] = [float(out.mip_dual_bound)]
        if on_bound is not None:
            on_bound(float(out.mip_primal_bound), float(out.mip_dual_bound))

    h.cbSimplexInterrupt.subscribe(interrupt)
    h.cbIpmInterrupt.subscribe(interrupt)
    h.cbMipInterrupt.subscribe(mip_interrupt)
    if on_improving is not None:
        callback = on_improving
        h.cbMipImprovingSolution.subscribe(lambda event: callback(event) if listening.is_set() else None)
    if cancel is not None and cancel.is_set():
        return RunOutcome(cancelled=True)
    worker = threading.Thread(target=h.run, name="highs", daemon=True)
    worker.start()
    cancelled_at: float | None = None
    while worker.is_alive():
        worker.join(0.05)
        if cancel is not None and cancel.is_set():
            cancelled_at = cancelled_at or time.perf_counter()
            if worker.is_alive() and time.perf_counter() - cancelled_at > CANCEL_GRACE_S:
                listening.clear()
                return RunOutcome(cancelled=True, finished=False, dual_bound=_last(bounds))
        elif worker.is_alive() and time.perf_counter() > deadline + DEADLINE_GRACE_S:
            log.info("HiGHS is %.2f s past its deadline; going on without it", time.perf_counter() - deadline)
            listening.clear()
            return RunOutcome(cancelled=False, finished=False, timed_out=True, dual_bound=_last(bounds))
    return RunOutcome(cancelled=stopped.is_set() or cancelled_at is not None, dual_bound=_last(bounds))


def _last(values: list[float]) -> float | None:
    return values[-1] if values else None
