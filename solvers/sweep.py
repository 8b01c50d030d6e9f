"""Budget sweeps: how much slower a training step gets as memory is cut (Checkmate's headline curve).

Points are solved from the smallest budget to the largest. A schedule that fits a smaller budget
fits every larger one, so each point starts from the previous point's schedule (as a warm start for
the exact solvers, and as a fallback for every solver when it is better): the curve of each solver is
then monotone non-increasing by construction of what is reported, and every reported schedule is
still replayed by the simulator at its own budget.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from core.errors import RematError
from core.graph import no_recompute_peak
from core.problem import Objective, SchedulingProblem
from core.simulate import simulate
from solvers.base import CancelToken, SolveOptions, SolveResult, SolveStatus
from solvers.runner import run

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepPoint:
    """One solved budget of one solver (``series``: the solver, or ``solver @ system``)."""

    series: str
    solver: str
    fraction: float
    budget_bytes: int
    status: SolveStatus
    objective: float | None
    overhead: float | None
    peak_bytes: int | None
    wall_s: float
    reused_previous: bool
    result: SolveResult

    def row(self) -> dict[str, object]:
        """The CSV/JSON row: the same numbers the window plots."""
        return {
            "series": self.series, "solver": self.solver, "fraction": round(self.fraction, 6),
            "budget_bytes": self.budget_bytes, "status": self.status.value, "objective": self.objective,
            "overhead": self.overhead, "peak_bytes": self.peak_bytes, "wall_s": round(self.wall_s, 4),
            "reused_previous": self.reused_previous,
        }


def parse_fractions(spec: str) -> tuple[float, ...]:
    """``"0.5:1.0:0.05"`` -> 0.5, 0.55, ..., 1.0; ``"0.6,0.8,1"`` -> those values."""
    try:
        if ":" in spec:
            start, stop, step = (float(p) for p in spec.split(":"))
            if step <= 0 or stop < start:
                raise ValueError
            count = round((stop - start) / step) + 1
            values = [round(start + i * step, 10) for i in range(count)]
        else:
            values = [float(p) for p in spec.split(",") if p.strip()]
    except ValueError:
        raise RematError(
            f"--budgets {spec!r}: write START:STOP:STEP (e.g. 0.5:1.0:0.05) or a list such as 0.6,0.8,1.0"
        ) from None
    if not values or any(v <= 0 for v in values):
        raise RematError(f"--budgets {spec!r}: fractions must be positive")
    return tuple(sorted(set(values)))


def with_budget_fraction(problem: SchedulingProblem, fraction: float) -> SchedulingProblem:
    """``problem`` with every compute memory's budget at ``fraction`` of the no-recomputation peak."""
    budget = int(fraction * no_recompute_peak(problem.graph))
    compute = set(problem.device_memory)
    budgets = tuple(budget if m in compute else b for m, b in enumerate(problem.budgets_bytes))
    return dataclasses.replace(problem, budgets_bytes=budgets)


def baseline_cost(problem: SchedulingProblem) -> float:
    """Each node once on the best single device: the denominator of the overhead."""
    table = problem.costs.compute_time_s if problem.objective is Objective.TIME else problem.costs.compute_energy_j
    return float(table.sum(axis=0).min())


def run_sweep(
    problem: SchedulingProblem,
    fractions: Sequence[float],
    solver_names: Sequence[str],
    options: SolveOptions | None = None,
    *,
    on_point: Callable[[SweepPoint], None] | None = None,
    cancel: CancelToken | None = None,
    series_suffix: str = "",
) -> list[SweepPoint]:
    """Solve ``problem`` at each budget fraction with each solver; partial results on cancel."""
    options = options or SolveOptions()
    points: list[SweepPoint] = []
    base = baseline_cost(problem)
    for name in solver_names:
        previous: SolveResult | None = None
        for fraction in sorted(fractions):
            if cancel is not None and cancel.is_set():
                return points
            point = _solve_point(problem, name, fraction, options, previous, base, series_suffix, cancel)
            if point.result.schedule is not None:
                previous = point.result
            points.append(point)
            if on_point is not None:
                on_point(point)
    return points


def _solve_point(
    problem: SchedulingProblem, name: str, fraction: float, options: SolveOptions,
    previous: SolveResult | None, base: float, suffix: str, cancel: CancelToken | None,
) -> SweepPoint:
    at_budget = with_budget_fraction(problem, fraction)
    started = time.perf_counter()
    warm = dataclasses.replace(options, warm_start=previous.schedule) if previous and previous.schedule else options
    result = run(name, at_budget, warm, cancel=cancel)
    reused = False
    if previous is not None and previous.schedule is not None and _better(previous, result):
        trace = simulate(at_budget, previous.schedule)
        if trace.ok:
            log.info("%s at %.3f: the schedule of the smaller budget is better; keeping it", name, fraction)
            status = SolveStatus.FEASIBLE if result.status is not SolveStatus.OPTIMAL else result.status
            result = dataclasses.replace(previous, status=status, trace=trace, wall_s=result.wall_s)
            reused = True
    objective = result.objective if result.schedule is not None else None
    return SweepPoint(
        series=name + suffix, solver=name, fraction=fraction,
        budget_bytes=max(at_budget.budgets_bytes[m] for m in set(at_budget.device_memory)),
        status=result.status, objective=objective,
        overhead=(objective / base - 1) if objective is not None and base > 0 else None,
        peak_bytes=max(result.trace.peak_bytes) if result.trace is not None else None,
        wall_s=time.perf_counter() - started, reused_previous=reused, result=result,
    )


def _better(previous: SolveResult, current: SolveResult) -> bool:
    if previous.objective is None:
        return False
    return current.schedule is None or current.objective is None or previous.objective < current.objective - 1e-12
