"""The result of replaying a schedule: timings, memory over time, totals, or violations.

Every number the user sees about a schedule comes from a :class:`Trace` made by
:func:`core.simulate.simulate`, never from a solver's own objective.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.schedule import Schedule


class StepRole(StrEnum):
    COMPUTE = "compute"  # first computation of a node
    RECOMPUTE = "recompute"
    COPY = "copy"  # between two compute memories
    PAGE_OUT = "page_out"  # into a storage memory
    PAGE_IN = "page_in"  # out of a storage memory
    REMOTE_READ = "remote_read"  # an input read over a direct-access link by a compute
    FREE = "free"


@dataclass(frozen=True)
class StepTiming:
    """When one step runs, on which lane, and what it is.

    ``lane`` is a device name for computes, ``"src->dst"`` for copies and remote reads, a memory
    name for frees. ``start_s``/``end_s`` are in the overlapped timeline (each device and link a
    queue); ``serial_start_s`` is the sum of the durations of all earlier steps. A compute's
    ``duration_s`` and ``energy_j`` include its remote reads (listed in :attr:`Trace.remote_reads`).
    """

    index: int
    role: StepRole
    node: int
    lane: str
    start_s: float
    end_s: float
    serial_start_s: float
    duration_s: float
    energy_j: float


@dataclass(frozen=True)
class Violation:
    """Why a step cannot run (or what the schedule never did)."""

    kind: str  # "input_not_resident", "budget_exceeded", "never_computed", "not_resident", ...
    step: int | None
    node: int | None
    memory: int | None
    message: str


@dataclass(frozen=True, eq=False)
class Trace:
    """Replay of a schedule against a problem.

    memory_curves[m] is a tuple of (step index, bytes in memory m after that step), starting with
    (-1, static bytes); peaks include static memory and the output allocated by a running compute.
    """

    schedule: Schedule
    timings: tuple[StepTiming, ...]
    serial_time_s: float
    makespan_s: float
    energy_j: float  # step energy plus idle power of every device over the makespan
    dynamic_energy_j: float  # step energy only: the energy objective of the solvers
    peak_bytes: tuple[int, ...]
    memory_curves: tuple[tuple[tuple[int, int], ...], ...]
    compute_count: int
    recompute_count: int
    copy_count: int
    page_count: int
    violations: tuple[Violation, ...]
    #: Inputs read over direct-access links, one timing each (``index`` is the reading compute's step).
    remote_reads: tuple[StepTiming, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.violations
