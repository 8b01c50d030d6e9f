"""What a backend is given and what it answers (no solver library here).

A backend is a function ``(model, request) -> MilpOutcome`` that knows its library and nothing about
schedules. Every value crossing this boundary is in the model's scaled units.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from solvers.base import CancelToken
from solvers.checkmate.model import StageModel

#: ``(incumbent, bound, message)`` in model units; either value may be unknown (None).
MilpProgress = Callable[[float | None, float | None, str], None]

#: Bound-only progress reports are sent at most this often (incumbents are always sent).
PROGRESS_INTERVAL_S = 0.5


@dataclass(frozen=True)
class MilpRequest:
    """How to run one solve.

    ``cutoff``: only solutions of objective at most this are of interest (an incumbent the caller
    already holds, given whenever there is one); when the search ends without one, the outcome is
    ``exhausted``. ``warm_start``: that incumbent as a column vector, when it fits the model; a
    backend may use either or both. ``params`` go to the library as option name -> value.
    """

    time_limit_s: float
    mip_gap: float = 1e-6
    threads: int = 1
    seed: int = 0
    warm_start: np.ndarray | None = None
    cutoff: float | None = None
    on_progress: MilpProgress | None = None
    cancel: CancelToken | None = None
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class MilpOutcome:
    """A backend's answer: best vector (None if none), its objective, the proven dual bound.

    ``optimal``: proven within the requested gap. ``infeasible``: proven that no solution exists
    (without a cutoff). ``exhausted``: the search ended with no solution at or below the cutoff.
    """

    x: np.ndarray | None
    objective: float | None
    bound: float | None
    optimal: bool
    infeasible: bool
    cancelled: bool
    exhausted: bool
    status: str
    wall_s: float = 0.0


@dataclass(frozen=True)
class LpOutcome:
    """The LP relaxation's optimum (None when it was not solved to optimality)."""

    x: np.ndarray | None
    objective: float | None
    status: str


Backend = Callable[[StageModel, MilpRequest], MilpOutcome]


class ProgressThrottle:
    """Passes incumbents through and bound-only reports at most every :data:`PROGRESS_INTERVAL_S`."""

    def __init__(self, report: MilpProgress | None) -> None:
        self.report = report
        self.last = -float("inf")
        self.last_bound: float | None = None

    def incumbent(self, value: float, bound: float | None, message: str) -> None:
        if self.report is not None:
            self.last = time.perf_counter()
            self.report(value, _finite(bound), message)

    def bound(self, incumbent: float | None, bound: float | None, message: str) -> None:
        now = time.perf_counter()
        bound = _finite(bound)
        if self.report is None or now - self.last < PROGRESS_INTERVAL_S or bound == self.last_bound:
            return
        self.last, self.last_bound = now, bound
        self.report(_finite(incumbent), bound, message)


def _finite(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)
