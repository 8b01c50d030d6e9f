"""What both MILP backends share: pre-check, model, warm start, decoding and the result record.

A backend is a function ``(milp, request) -> MilpOutcome``; it knows its library and nothing about
schedules. Nothing here imports a solver library. The single-device backends could share
:class:`BackendRequest`, :class:`MilpOutcome` and :func:`status_of` as they are.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from core.feasibility import infeasibility_reason
from core.problem import SchedulingProblem
from core.schedule import Schedule
from solvers.base import (
    CancelToken,
    Progress,
    ProgressCallback,
    SolveOptions,
    SolveResult,
    SolveStatus,
    relative_gap,
)
from solvers.greedy import warm_start_schedule
from solvers.multidevice.arrays import MultiDeviceMilp
from solvers.multidevice.decode import decode_plan, plan_from_vector, plan_objective
from solvers.multidevice.encode import plain_plan, plan_from_schedule, vector_from_plan
from solvers.multidevice.formulation import build_milp

log = logging.getLogger(__name__)

#: Seconds kept back from the backend's limit for its own stop (SCIP frees a 119,000-column model in
#: about 0.5 s after its limit), decoding and the simulator's check.
FINISH_RESERVE_S = 1.0
#: Share of the time limit the exact one-device start may use, and the least time worth giving it.
ONE_DEVICE_SHARE = 0.2
ONE_DEVICE_MIN_S = 2.0


@dataclass(frozen=True)
class BackendRequest:
    """How to run one solve. Costs are multiplied by ``cost_scale`` inside the solver only."""

    time_limit_s: float
    mip_gap: float
    threads: int
    seed: int
    warm_start: np.ndarray | None
    cost_scale: float
    started: float
    on_progress: ProgressCallback | None = None
    cancel: CancelToken | None = None

    def report(self, incumbent: float | None, bound: float | None, message: str) -> None:
        """Send a progress report in the problem's units (the solver works in scaled units)."""
        if self.on_progress is None:
            return
        inc = None if incumbent is None else incumbent / self.cost_scale
        bnd = None if bound is None or not np.isfinite(bound) else bound / self.cost_scale
        self.on_progress(Progress(time.perf_counter() - self.started, inc, bnd, relative_gap(inc, bnd), message))


@dataclass(frozen=True)
class MilpOutcome:
    """A backend's answer: best column vector (None if none), dual bound in scaled units, proof."""

    x: np.ndarray | None
    bound: float | None
    optimal: bool
    infeasible: bool
    cancelled: bool
    status: str


Backend = Callable[[MultiDeviceMilp, BackendRequest], MilpOutcome]
#: A one-device solver with the signature of every solver (:mod:`solvers.base`).
OneDeviceSolve = Callable[..., SolveResult]


def solve_with(
    name: str,
    backend: Backend,
    problem: SchedulingProblem,
    options: SolveOptions,
    on_progress: ProgressCallback | None,
    cancel: CancelToken | None,
    one_device: OneDeviceSolve | None = None,
) -> SolveResult:
    """Pre-check, build, warm-start, run ``backend`` and decode: the whole several-device solve.

    ``one_device`` (the backend library's exact one-device solver) adds its schedule on the best
    single device to the starts, with a share of the time limit.
    """
    started = time.perf_counter()
    refused = precheck(problem)
    if refused is not None:
        return SolveResult(SolveStatus.INFEASIBLE, name, message=refused, wall_s=time.perf_counter() - started)
    milp = build_milp(problem)
    build_s = time.perf_counter() - started
    warm, warm_source = warm_start(problem, milp, options, cancel=cancel, one_device=one_device,
                                   on_progress=_since(started, on_progress))
    scale = cost_scale(milp)
    # The backend gets what the model build and the starts left, less the time to decode and check.
    left = options.time_limit_s - (time.perf_counter() - started) - FINISH_RESERVE_S
    request = BackendRequest(
        time_limit_s=max(0.1, left), mip_gap=options.mip_gap,
        threads=options.threads, seed=options.seed, warm_start=warm, cost_scale=scale,
        started=started, on_progress=on_progress, cancel=cancel,
    )
    if warm is not None:
        request.report(float(milp.cost @ warm) * scale, None, f"warm start ({warm_source})")
    outcome = backend(milp, request)
    x = outcome.x if outcome.x is not None else warm
    stats: dict[str, object] = {**milp.stats(), "build_s": round(build_s, 4), "warm_start": warm_source,
                                "backend_status": outcome.status}
    wall = time.perf_counter() - started
    if x is None:
        return SolveResult(_empty_status(outcome), name, wall_s=wall, stats=stats,
                           message=_empty_message(outcome, options))
    plan = plan_from_vector(milp, x)
    objective = plan_objective(problem, plan)
    bound = None if outcome.bound is None or not np.isfinite(outcome.bound) else outcome.bound / scale
    if bound is not None:
        bound = min(bound, objective)
    status = status_of(outcome, relative_gap(objective, bound), options.mip_gap)
    stats.update(_plan_stats(problem, plan))
    return SolveResult(status, name, schedule=decode_plan(problem, plan), objective=objective, bound=bound,
                       gap=relative_gap(objective, bound), wall_s=wall, stats=stats,
                       message=f"{outcome.status}; {stats['columns']} columns, {stats['rows']} rows")


def status_of(outcome: MilpOutcome, gap: float | None, mip_gap: float) -> SolveStatus:
    """OPTIMAL only when the backend proved it (or the bound closes the gap); CANCELLED keeps the incumbent."""
    if outcome.cancelled:
        return SolveStatus.CANCELLED
    if outcome.optimal or (gap is not None and gap <= mip_gap):
        return SolveStatus.OPTIMAL
    return SolveStatus.FEASIBLE


def _empty_status(outcome: MilpOutcome) -> SolveStatus:
    if outcome.infeasible:
        return SolveStatus.INFEASIBLE
    if outcome.cancelled:
        return SolveStatus.CANCELLED
    return SolveStatus.NO_SOLUTION


def _empty_message(outcome: MilpOutcome, options: SolveOptions) -> str:
    if outcome.infeasible:
        return "no schedule fits the budgets (proven by the solver); raise a budget or add a link"
    if outcome.cancelled:
        return "cancelled before any schedule was found"
    return f"no schedule found within {options.time_limit_s:g} s ({outcome.status})"


def cost_scale(milp: MultiDeviceMilp) -> float:
    """Scale that brings the largest objective coefficient to 1 (seconds and joules can be tiny)."""
    biggest = float(np.abs(milp.cost).max()) if milp.n_cols else 0.0
    return 1.0 / biggest if biggest > 0 else 1.0


def precheck(problem: SchedulingProblem) -> str | None:
    """A reason no schedule exists, found without solving, or None."""
    return infeasibility_reason(problem)


def warm_start(problem: SchedulingProblem, milp: MultiDeviceMilp, options: SolveOptions, *,
               cancel: CancelToken | None = None, one_device: OneDeviceSolve | None = None,
               on_progress: ProgressCallback | None = None) -> tuple[np.ndarray | None, str]:
    """The cheapest encodable start among the user's schedule, the greedy one, the exact one-device
    schedule and plain single-device plans."""
    candidates: list[tuple[str, Callable[[], Schedule | None]]] = [
        ("given", lambda: options.warm_start),
        ("greedy", lambda: warm_start_schedule(problem, cancel)),
        ("one device", lambda: one_device_schedule(problem, one_device, options.time_limit_s * ONE_DEVICE_SHARE,
                                                   cancel, on_progress)),
    ]
    best: tuple[float, np.ndarray, str] | None = None
    for source, make in candidates:
        schedule = make()
        if schedule is None:
            continue
        plan = plan_from_schedule(problem, schedule)
        x = None if plan is None else vector_from_plan(problem, milp, plan)
        if x is not None and (best is None or milp.cost @ x < best[0]):
            best = (float(milp.cost @ x), x, source)
    for device in range(problem.n_devices):
        x = vector_from_plan(problem, milp, plain_plan(problem, device))
        if x is not None and (best is None or milp.cost @ x < best[0]):
            best = (float(milp.cost @ x), x, f"plain on {problem.device_name(device)}")
    return (None, "none") if best is None else (best[1], best[2])


def one_device_schedule(problem: SchedulingProblem, one_device: OneDeviceSolve | None, time_limit_s: float,
                        cancel: CancelToken | None = None,
                        on_progress: ProgressCallback | None = None) -> Schedule | None:
    """``one_device``'s schedule (the exact one-device pipeline, on the best single device) within
    ``time_limit_s``, or None.

    Where recomputation pays and copies do not, this is often the several-device optimum already;
    the MILP then only has to prove it. Its incumbents are reported (they are schedules of
    ``problem``), its bounds are not (they bound the one-device problem only). Never raises: a
    failed start must not fail the solve.
    """
    if one_device is None or problem.n_devices < 2 or time_limit_s < ONE_DEVICE_MIN_S:
        return None
    try:
        result = one_device(problem, SolveOptions(time_limit_s=time_limit_s, threads=1), cancel=cancel,
                            on_progress=None if on_progress is None else _incumbents_only(on_progress))
    except Exception:
        log.exception("one-device warm start failed")
        return None
    return result.schedule


def _since(started: float, on_progress: ProgressCallback | None) -> ProgressCallback | None:
    """``on_progress`` with times counted from ``started`` (the whole solve) instead of the part's start."""
    if on_progress is None:
        return None
    callback = on_progress

    def report(progress: Progress) -> None:
        callback(dataclasses.replace(progress, elapsed_s=time.perf_counter() - started))
    return report


def _incumbents_only(on_progress: ProgressCallback) -> ProgressCallback:
    def report(progress: Progress) -> None:
        if progress.incumbent is not None:
            on_progress(Progress(progress.elapsed_s, progress.incumbent, None, None,
                                 f"one-device start: {progress.message}"))
    return report


def _plan_stats(problem: SchedulingProblem, plan: object) -> dict[str, object]:
    R, X = plan.R, plan.X  # type: ignore[attr-defined]
    per_device = R.sum(axis=(1, 2))
    recomputes = int(R.sum()) - problem.n_nodes
    storage = set(problem.storage_memories)
    links = {link: pair for pair, link in problem.link_index.items()}
    pages = sum(int(X[k].sum()) for k, (s, d) in links.items() if s in storage or d in storage)
    return {
        "computes_per_device": {problem.device_name(d): int(c) for d, c in enumerate(per_device)},
        "devices_used": int((per_device > 0).sum()),
        "recomputations": recomputes,
        "copies": int(X.sum()) - pages,
        "pages": pages,
        "remote_reads": len(plan.Y),  # type: ignore[attr-defined]
    }
