"""``greedy``: DTR-style eviction with list-scheduled placement on several devices, paging and energy.

Nodes are taken in id order. Each is placed (:mod:`solvers.greedy.placement`), its inputs are made
resident on that device (:mod:`solvers.greedy.materialize`), memory is made for its output by
evicting the lowest DTR score (:mod:`solvers.greedy.evict`), it runs, and every buffer it was the
last reader of is freed everywhere. When a device runs out of evictable memory, the node falls back
to the next device; a schedule is returned only after the simulator has replayed it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from core.feasibility import infeasibility_reason
from core.problem import Objective, SchedulingProblem
from core.schedule import Schedule
from solvers.base import CancelToken, Progress, ProgressCallback, SolveOptions, SolveResult, SolveStatus
from solvers.greedy.evict import make_room
from solvers.greedy.materialize import Pins, make_inputs_resident
from solvers.greedy.placement import device_order
from solvers.greedy.state import GiveUp, GreedyState, Stuck
from solvers.greedy.tables import build_tables
from solvers.heuristic_common import min_budget_message, no_schedule, verified_result

log = logging.getLogger(__name__)

NAME = "greedy"
#: Nodes between two looks at the cancel token, the clock and the progress callback.
CHECK_EVERY = 64
PROGRESS_EVERY_S = 0.5
#: Tries of one node on one device after running out of memory (each must make progress).
RETRIES = 8
#: Largest graph that gets the second (look-ahead) pass: it doubles the time of the larger ones.
LOOK_AHEAD_MAX_NODES = 4000


@dataclass
class _Run:
    """How one pass over the graph ended."""

    schedule: Schedule | None = None
    failure: str = ""
    cancelled: bool = False
    stats: dict[str, object] = field(default_factory=dict)


def solve(
    problem: SchedulingProblem,
    options: SolveOptions,
    *,
    on_progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> SolveResult:
    """Greedy schedule of ``problem`` (see the module docstring).

    A pass evicts by DTR's score; when it recomputed something (or failed) on a graph of at most
    :data:`LOOK_AHEAD_MAX_NODES` nodes, a second pass measures staleness as the distance to the
    next reader instead (the graph is known in advance), and the better schedule is kept. With the
    energy objective, passes that decide by energy come first; if none gives a schedule within the
    time limit, passes that decide by time follow.
    """
    started = time.perf_counter()
    reason = infeasibility_reason(problem)
    if reason is not None:
        return no_schedule(problem, NAME, SolveStatus.INFEASIBLE, reason, started, on_progress)
    failures: list[str] = []
    for by_energy in [True, False] if problem.objective is Objective.ENERGY else [False]:
        best: SolveResult | None = None
        for look_ahead in (False, True):
            if look_ahead and best is not None and (
                    best.stats.get("recomputations") == 0 or problem.n_nodes > LOOK_AHEAD_MAX_NODES):
                break
            run = _one_pass(problem, _Pass(by_energy, look_ahead), options, started, on_progress, cancel)
            if run.cancelled:
                return no_schedule(problem, NAME, SolveStatus.CANCELLED, "cancelled", started, on_progress)
            result = _checked(problem, run, options, started, failures)
            if result is not None and (best is None or (result.objective or 0.0) < (best.objective or 0.0)):
                best = result
        if best is not None:  # a time-led pass could only spend more energy
            _report(best, started, on_progress)
            return best
    status = SolveStatus.ERROR if any(f.startswith("internal error") for f in failures) else SolveStatus.NO_SOLUTION
    return no_schedule(problem, NAME, status, "; ".join(dict.fromkeys(failures)), started, on_progress)


@dataclass(frozen=True)
class _Pass:
    """How one pass decides: by energy or time, and staleness since the last or until the next use."""

    by_energy: bool
    look_ahead: bool


#: Time the greedy start of an exact solver may take.
WARM_START_TIME_S = 5.0


def warm_start_schedule(problem: SchedulingProblem, cancel: CancelToken | None = None,
                        time_limit_s: float = WARM_START_TIME_S) -> Schedule | None:
    """The greedy schedule of ``problem`` as an exact solver's first incumbent, or None.

    Never raises: a broken heuristic must not break the exact solve that asked for a start.
    """
    try:
        result = solve(problem, SolveOptions(time_limit_s=time_limit_s), on_progress=None, cancel=cancel)
    except Exception:
        log.exception("greedy warm start failed")
        return None
    return result.schedule


def _checked(
    problem: SchedulingProblem, run: _Run, options: SolveOptions, started: float, failures: list[str],
) -> SolveResult | None:
    """The simulator-checked result of a pass, or None (its failure noted in ``failures``)."""
    if run.schedule is None:
        failures.append(run.failure)
        return None
    result = verified_result(problem, NAME, run.schedule, started, None, run.stats, mip_gap=options.mip_gap)
    if result.schedule is None:
        failures.append(result.message)
        return None
    return result


def _report(result: SolveResult, started: float, on_progress: ProgressCallback | None) -> None:
    if on_progress is not None:
        on_progress(Progress(time.perf_counter() - started, result.objective, result.bound, result.gap,
                             f"greedy: {result.status.value.lower()}"))


def _one_pass(
    problem: SchedulingProblem, how: _Pass, options: SolveOptions, started: float,
    on_progress: ProgressCallback | None, cancel: CancelToken | None,
) -> _Run:
    by_energy = how.by_energy
    tables = build_tables(problem, decide_by_energy=by_energy)
    state = GreedyState(problem, tables)
    state.make_room = make_room
    state.look_ahead = how.look_ahead
    state.deadline = started + options.time_limit_s
    state.cancel = cancel
    limit = problem.time_limit_s if by_energy else None
    last_report = started
    for node in range(tables.n):
        if node % CHECK_EVERY == 0:
            now = time.perf_counter()
            if cancel is not None and cancel.is_set():
                return _Run(cancelled=True)
            if now - started > options.time_limit_s:
                return _Run(failure=f"time limit of {options.time_limit_s:g} s reached at node {node} of {tables.n}")
            if on_progress is not None and now - last_report > PROGRESS_EVERY_S:
                on_progress(Progress(now - started, message=f"greedy: node {node} of {tables.n}"))
                last_report = now
        state.frontier = node
        try:
            placed = _place(state, node, by_energy, limit)
        except GiveUp as give_up:
            if give_up.cancelled:
                return _Run(cancelled=True)
            return _Run(failure=f"greedy gave up at node {problem.graph.nodes[node].name!r}: {give_up}; "
                        "try a larger budget or an exact solver")
        if not placed:
            return _Run(failure=_stuck_message(problem, node))
        _free_dead(state, node)
    placement = tuple(sorted(state.weights_home.items()))
    return _Run(schedule=Schedule(tuple(state.steps), placement), stats=_stats(problem, state, how))


def _place(state: GreedyState, node: int, by_energy: bool, limit: float | None) -> bool:
    """Run ``node`` on the first device of its order where memory can be made; False if none."""
    return any(_try_device(state, node, device)
               for device in device_order(state, node, by_energy=by_energy, time_limit_s=limit))


def _try_device(state: GreedyState, node: int, device: int) -> bool:
    """Run ``node`` on ``device``; after running out of memory, try again while that makes progress.

    Tries alternate the order in which the node's inputs are made resident (missing ones first,
    then resident ones first). A failed try leaves what it rebuilt resident (unpinned), so the next
    has less to do at once; it stops after two tries in a row without fewer inputs missing.
    """
    memory = state.tables.device_memory[device]
    best = _missing_inputs(state, node, memory)
    stalled = 0
    for attempt in range(RETRIES):
        pins = Pins(memory)
        try:
            make_inputs_resident(state, node, device, pins, resident_first=attempt % 2 == 1)
            state.compute(node, device)
            return True
        except Stuck as stuck:
            log.debug("greedy: node %d does not fit on device %d (%s)", node, device, stuck)
        finally:
            pins.release_all(state)
        missing = _missing_inputs(state, node, memory)
        stalled = stalled + 1 if missing >= best else 0
        best = min(best, missing)
        if stalled == 2:
            return False
    return False


def _missing_inputs(state: GreedyState, node: int, memory: int) -> int:
    return sum(1 for dep in state.tables.deps[node] if not state.resident(dep, memory))


def _free_dead(state: GreedyState, node: int) -> None:
    """Free, everywhere, what ``node`` was the last reader of (and ``node`` itself if nobody reads it).

    Unless an evicted buffer still waits for it (see :meth:`GreedyState.needed`).
    """
    last = state.tables.last_use
    state.frontier = node + 1
    for dep in state.tables.deps[node]:
        if last[dep] == node and not state.needed(dep):
            state.free_everywhere(dep)
    if last[node] == node and not state.needed(node):
        state.free_everywhere(node)


def _stuck_message(problem: SchedulingProblem, node: int) -> str:
    name = problem.graph.nodes[node].name
    return (f"greedy ran out of evictable memory at node {name!r}: on every device that could hold it, "
            "the buffers it and its recomputations need at once do not fit; "
            f"{min_budget_message(problem)}; try a larger budget or an exact solver")


def _stats(problem: SchedulingProblem, state: GreedyState, how: _Pass) -> dict[str, object]:
    c = state.counters
    return {
        "decided_by": "energy" if how.by_energy else "time",
        "staleness": "steps to the next reader" if how.look_ahead else "steps since the last use (DTR)",
        "evictions": c.evictions,
        "recomputations": c.recomputations,
        "copies": c.copies,
        "page_outs": c.page_outs,
        "page_ins": c.page_ins,
        "computes_per_device": {problem.device_name(d): count for d, count in enumerate(c.per_device)},
        "devices_used": sum(1 for count in c.per_device if count),
        "steps": len(state.steps),
    }
