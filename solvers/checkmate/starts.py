"""First schedules for the exact solvers: the user's, the greedy solver's, the eviction heuristic's.

Each is mapped to stage matrices only when it fits the stage form (otherwise skipped) and counts
only after the simulator accepts its decoding. The LP-rounding start lives in
:mod:`solvers.checkmate.lp_rounding`. A start that fails never fails the solve.
"""

from __future__ import annotations

import logging
import math
import time

from core.schedule import Schedule
from solvers.base import CancelToken, SolveOptions
from solvers.checkmate.evict import evict_schedule
from solvers.checkmate.space import Candidate, StageSpace, lower, stages_from_schedule
from solvers.greedy import warm_start_schedule

log = logging.getLogger(__name__)

#: Time the greedy solver may take to give a start, in seconds.
GREEDY_TIME_S = 5.0


def schedule_starts(space: StageSpace, options: SolveOptions, device: int, memory: int,
                    cancel: CancelToken | None = None, deadline: float = math.inf) -> list[Candidate]:
    """Valid candidates from the given warm start, the greedy solver and the eviction rule.

    The eviction rule is skipped, or stopped, once past ``deadline`` (``time.perf_counter()``).
    """
    found: list[Candidate | None] = []
    if options.warm_start is not None:
        found.append(space.from_schedule(lower(options.warm_start, device, memory), "given"))
    found.append(space.from_schedule(greedy_schedule(space, cancel), "greedy"))
    capacity = space.problem.budgets_bytes[0] - space.problem.static_bytes[0]
    for power in (1.0, 0.5):
        if time.perf_counter() > deadline or (cancel is not None and cancel.is_set()):
            break
        evicted = evict_schedule(space.stage_problem.graph, space.instance.costs, capacity, size_power=power,
                                 deadline=deadline)
        found.append(_evaluated(space, evicted, f"eviction (size^{power:g})"))
    return [c for c in found if c is not None]


def greedy_schedule(space: StageSpace, cancel: CancelToken | None = None) -> Schedule | None:
    """The greedy solver's schedule of the one-device problem, when it finds one."""
    return warm_start_schedule(space.problem, cancel, GREEDY_TIME_S)


def _evaluated(space: StageSpace, schedule: Schedule | None, source: str) -> Candidate | None:
    """An eviction schedule of the stage graph as a candidate (its steps index the stage problem)."""
    if schedule is None:
        return None
    stages = stages_from_schedule(space.instance.n, schedule)
    return None if stages is None else space.evaluate(*stages, source)
