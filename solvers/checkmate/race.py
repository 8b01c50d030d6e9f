"""A backend that races several backends on the same stage model, one thread each (no solver library here).

HiGHS and SCIP both release the GIL while they search, so on a machine with two cores two of them
run side by side. Each gets the whole request with ``threads=1``; the first to *prove* something
(optimal within the gap, infeasible, or nothing below the cutoff) stops the others through a shared
stop token that their own cancel paths hear. A part that does not stop within
:data:`STRAGGLER_GRACE_S` (a library in a phase without interrupt checks) is left to stop on its
own, and the race answers without it. What the race answers is sound because each part is:

* the best vector any backend found (every one satisfies the same model);
* the largest dual bound any of them proved (each is a lower bound of the same model, also when it
  was stopped early);
* ``optimal``/``infeasible``/``exhausted`` only from a backend that proved it.

MILP solve times vary by a factor of two or more between solvers and seeds on these models
(random layered n=100 at 80 %, exact round: HiGHS 18-26 s by seed, SCIP 24 s), so the race takes
the faster of two draws.

Library options: a key ``"highs:NAME"`` goes to the HiGHS part as ``NAME``, ``"scip:NAME"`` to the
SCIP part; other keys are refused (one library's option would be unknown to the other).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Mapping, Sequence

from core.errors import RematError
from solvers.base import CancelToken
from solvers.checkmate.milp import Backend, MilpOutcome, MilpRequest
from solvers.checkmate.model import StageModel

log = logging.getLogger(__name__)


class _Either:
    """Set when the user cancels or the race is decided."""

    def __init__(self, user: CancelToken | None, stop: threading.Event) -> None:
        self.user, self.stop = user, stop

    def is_set(self) -> bool:
        return self.stop.is_set() or (self.user is not None and self.user.is_set())


def split_params(params: Mapping[str, object], names: Sequence[str]) -> list[dict[str, object]]:
    """``{"highs:presolve": "off"}`` -> one option dict per backend name; RematError for other keys."""
    parts: list[dict[str, object]] = [{} for _ in names]
    for key, value in params.items():
        prefix, _, option = str(key).partition(":")
        if not option or prefix not in names:
            raise RematError(f"library option {key!r}: with several backends, prefix it with one of "
                             f"{', '.join(n + ':' for n in names)} (for example 'highs:presolve')")
        parts[list(names).index(prefix)][option] = value
    return parts


#: Models smaller than this are solved by the first backend alone (they take milliseconds).
RACE_MIN_COLUMNS = 5000
#: Once the race is decided (or past its deadline), how long the others may take to stop before the
#: race answers without them. SCIP in presolve on a 139,000-column model heard the stop only at its
#: own time limit: ResNet50 at 80 % was proven by HiGHS at 39.5 s and answered at 45 s.
STRAGGLER_GRACE_S = 0.5
#: How often the race looks at its parts.
POLL_S = 0.05


def race(backends: Mapping[str, Backend], min_columns: int = RACE_MIN_COLUMNS) -> Backend:
    """A backend that runs ``backends`` (name -> backend) side by side and answers as described above.

    Models of fewer than ``min_columns`` columns go to the first backend alone.
    """
    names = list(backends)

    def run(model: StageModel, request: MilpRequest) -> MilpOutcome:
        if model.n_cols < min_columns:
            first = split_params(request.params, names)[0]
            return backends[names[0]](model, dataclasses.replace(request, params=first))
        stop = threading.Event()
        either = _Either(request.cancel, stop)
        lock = threading.Lock()
        report = request.on_progress

        def progress(incumbent: float | None, bound: float | None, message: str) -> None:
            if report is not None:
                with lock:  # one report at a time, in time order
                    report(incumbent, bound, message)

        params = split_params(request.params, names)
        outcomes: list[MilpOutcome | None] = [None] * len(names)
        errors: list[BaseException] = []

        def one(index: int, backend: Backend) -> None:
            part = dataclasses.replace(request, threads=1, cancel=either, params=params[index],
                                       seed=request.seed + index, on_progress=progress)
            try:
                outcome = backend(model, part)
            except BaseException as error:  # reported to the caller below, never lost in the thread
                errors.append(error)
                stop.set()
                return
            outcomes[index] = outcome
            if outcome.optimal or outcome.infeasible or outcome.exhausted:
                stop.set()

        threads = [threading.Thread(target=one, args=(k, backends[name]), name=f"race-{name}", daemon=True)
                   for k, name in enumerate(names)]
        for thread in threads:
            thread.start()
        _wait(threads, either, deadline=time.perf_counter() + request.time_limit_s)
        if errors:
            raise errors[0]
        user_cancelled = request.cancel is not None and request.cancel.is_set()
        return combine([o for o in outcomes if o is not None], names, user_cancelled)

    return run


def _wait(threads: Sequence[threading.Thread], decided: _Either, deadline: float) -> None:
    """Until every part has answered, or the race is decided or past ``deadline`` and the others had
    :data:`STRAGGLER_GRACE_S` to stop: a straggler is left to stop on its own (its answer is not used)."""
    while any(thread.is_alive() for thread in threads):
        if decided.is_set() or time.perf_counter() > deadline:
            ends = time.perf_counter() + STRAGGLER_GRACE_S
            for thread in threads:
                thread.join(max(0.0, ends - time.perf_counter()))
            late = [thread.name for thread in threads if thread.is_alive()]
            if late:
                log.info("race answered without %s (still stopping)", ", ".join(late))
            return
        threads[0].join(POLL_S)


def combine(outcomes: Sequence[MilpOutcome], names: Sequence[str], user_cancelled: bool) -> MilpOutcome:
    """The race's answer from its parts' (see the module docstring)."""
    with_x = [o for o in outcomes if o.x is not None and o.objective is not None]
    best = min(with_x, key=lambda o: o.objective) if with_x else None  # type: ignore[arg-type, return-value]
    bounds = [o.bound for o in outcomes if o.bound is not None]
    prover = next((o for o in outcomes if o.optimal or o.infeasible or o.exhausted), None)
    optimal = prover is not None and prover.optimal and best is not None
    status = "; ".join(o.status for o in outcomes) or "no backend answered"
    return MilpOutcome(
        x=None if best is None else best.x, objective=None if best is None else best.objective,
        bound=max(bounds) if bounds else None, optimal=optimal,
        infeasible=prover is not None and prover.infeasible and best is None,
        cancelled=user_cancelled and prover is None,
        exhausted=prover is not None and prover.exhausted and best is None,
        status=f"race [{status}]", wall_s=max((o.wall_s for o in outcomes), default=0.0),
    )
