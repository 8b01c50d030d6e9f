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

from core.problem import Objective, SchedulingProblem
from core.schedule import Schedule
from solvers.base import CancelToken, Progress, ProgressCallback, SolveOptions, SolveResult, SolveStatus
from solvers.greedy.evict import make_room
from solvers.greedy.materialize import Pins, make_inputs_resident
from solvers.greedy.placement import device_order
from solvers.greedy.state import GiveUp, GreedyState, Stuck
from solvers.greedy.tables import build_tables
from solvers.heuristic_common import infeasibility_reason, min_budget_message, no_schedule, verified_result

log = logging.getLogger(__name__)

NAME = "greedy"
#: Nodes between two looks at the cancel token, the clock and the progress callback.
CHECK_EVERY = 64
PROGRESS_EVERY_S = 0.5
#: Tries of one node on one device after running out of memory (each must make progress).
RETRIES = 8


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

    With the energy objective, a pass that decides by energy comes first; if it fails or breaks the
    time limit, a pass that decides by time follows.
    """
    started = time.perf_counter()
    reason = infeasibility_reason(problem)
    if reason is not None:
        return no_schedule(problem, NAME, SolveStatus.INFEASIBLE, reason, started, on_progress)
    passes = [True, False] if problem.objective is Objective.ENERGY else [False]
    failures: list[str] = []
    for by_energy in passes:
        run = _one_pass(problem, by_energy, options, started, on_progress, cancel)
        if run.cancelled:
            return no_schedule(problem, NAME, SolveStatus.CANCELLED, "cancelled", started, on_progress)
        if run.schedule is None:
            failures.append(run.failure)
            continue
        result = verified_result(problem, NAME, run.schedule, started, on_progress, run.stats,
                                 mip_gap=options.mip_gap)
        if result.schedule is not None:
            return result  # the time-led fallback could only spend more energy
        failures.append(result.message)
    status = SolveStatus.ERROR if any(f.startswith("internal error") for f in failures) else SolveStatus.NO_SOLUTION
    return no_schedule(problem, NAME, status, "; ".join(failures), started, on_progress)


def _one_pass(
    problem: SchedulingProblem, by_energy: bool, options: SolveOptions, started: float,
    on_progress: ProgressCallback | None, cancel: CancelToken | None,
) -> _Run:
    tables = build_tables(problem, decide_by_energy=by_energy)
    state = GreedyState(problem, tables)
    state.make_room = make_room
    state.deadline = started + options.time_limit_s
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
            return _Run(failure=f"greedy gave up at node {problem.graph.nodes[node].name!r}: {give_up}; "
                        "try a larger budget or an exact solver")
        if not placed:
            return _Run(failure=_stuck_message(problem, node))
        _free_dead(state, node)
    return _Run(schedule=Schedule(tuple(state.steps)), stats=_stats(problem, state, by_energy))


def _place(state: GreedyState, node: int, by_energy: bool, limit: float | None) -> bool:
    """Run ``node`` on the first device of its order where memory can be made; False if none."""
    return any(_try_device(state, node, device)
               for device in device_order(state, node, by_energy=by_energy, time_limit_s=limit))


def _try_device(state: GreedyState, node: int, device: int) -> bool:
    """Run ``node`` on ``device``; after running out of memory, try again while that makes progress.

    A failed try leaves the inputs it did rebuild resident (unpinned), so the next try has less to
    rebuild at once; it stops when a try ends with no fewer inputs missing than the one before.
    """
    memory = state.tables.device_memory[device]
    missing = _missing_inputs(state, node, memory)
    for _ in range(RETRIES):
        pins = Pins(memory)
        try:
            make_inputs_resident(state, node, device, pins)
            state.compute(node, device)
            return True
        except Stuck as stuck:
            log.debug("greedy: node %d does not fit on device %d (%s)", node, device, stuck)
        finally:
            pins.release_all(state)
        now_missing = _missing_inputs(state, node, memory)
        if now_missing >= missing:
            return False
        missing = now_missing
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


def _stats(problem: SchedulingProblem, state: GreedyState, by_energy: bool) -> dict[str, object]:
    c = state.counters
    return {
        "decided_by": "energy" if by_energy else "time",
        "evictions": c.evictions,
        "recomputations": c.recomputations,
        "copies": c.copies,
        "page_outs": c.page_outs,
        "page_ins": c.page_ins,
        "computes_per_device": {problem.device_name(d): count for d, count in enumerate(c.per_device)},
        "devices_used": sum(1 for count in c.per_device if count),
        "steps": len(state.steps),
    }
