"""The fast exact pipeline for one device ("checkmate-fast").

1. Pre-check (FORMULATIONS.md section 6): below the largest working set -> INFEASIBLE at once; at or
   above the no-recomputation peak -> the plain order, OPTIMAL.
2. Every schedule computes each node at least once, so ``cost >= L0 = sum c_i`` and a schedule that
   recomputes node i costs at least ``L0 + c_i``. Hence, for a threshold ``theta``, the model
   ``P(theta)`` in which only nodes with ``c_i < theta`` may be recomputed loses nothing below
   ``L0 + theta``: for its dual bound ``B`` (``B`` = incumbent when it proves no better solution),
   ``min(B, L0 + theta)`` is a lower bound of the *unrestricted* stage model.
3. Rounds: solve ``P(theta)`` (the tightened stage model of :mod:`solvers.scale.stage_model`, warm
   started with the incumbent and cut off at its value); if its optimum V has ``V - L0 <= theta`` it is
   optimal for the full model; else raise theta to ``V - L0`` (x4 when ``P(theta)`` has no schedule)
   and solve again. On the benchmark graphs the optimal overhead is well under 2 %, so P(theta) lets
   only a few cheap nodes be recomputed and is a fraction of the published model's size.

``bound`` is always a valid lower bound of the Checkmate stage model (frontier-advancing stages), so
``gap`` is proven relative to that model; ``L0`` alone bounds every schedule.

Parameters (``options.params``): ``theta0`` (first threshold as a fraction of ``L0``, default 0.0025).
"""

from __future__ import annotations

import logging
import time

import numpy as np

from core.graph import min_feasible_budget, no_recompute_peak
from core.problem import Objective, SchedulingProblem
from core.schedule import Schedule
from core.simulate import simulate
from core.stages import closed_form_r, decode_stages, plain_stages
from solvers.base import (
    CancelToken,
    Progress,
    ProgressCallback,
    SolveOptions,
    SolveResult,
    SolveStatus,
    relative_gap,
)
from solvers.scale.highs_run import solve_stage_model
from solvers.scale.stage_model import build_stage_model, decode_vector, solution_vector

log = logging.getLogger(__name__)
NAME = "checkmate-fast"

Incumbent = tuple[float, np.ndarray, np.ndarray]


def solve(
    problem: SchedulingProblem,
    options: SolveOptions,
    *,
    on_progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> SolveResult:
    """Optimal (or proven-gap) rematerialization on the best single device; see the module docstring."""
    started = time.perf_counter()
    device = _best_device(problem)
    early = _precheck(problem, device)
    if early is not None:
        return early
    costs = _costs(problem, device)
    memory = problem.device_memory[device]
    capacity = problem.budgets_bytes[memory] - problem.static_bytes[memory]
    rounds = _Rounds(problem, device, costs, capacity, options, started, on_progress, cancel)
    return rounds.run()


class _Rounds:
    """State of the threshold rounds of one solve (incumbent, proven bound, statistics)."""

    def __init__(
        self, problem: SchedulingProblem, device: int, costs: np.ndarray, capacity: int,
        options: SolveOptions, started: float, on_progress: ProgressCallback | None,
        cancel: CancelToken | None,
    ) -> None:
        self.problem, self.device, self.costs, self.capacity = problem, device, costs, capacity
        self.options, self.started, self.on_progress, self.cancel = options, started, on_progress, cancel
        self.trivial = float(costs.sum())
        self.bound = self.trivial
        self.best: Incumbent | None = None
        self.unit = _cost_unit(costs)
        self.stats: dict[str, object] = {"device": device, "trivial_bound": self.trivial, "rounds": []}

    def left_s(self) -> float:
        return self.options.time_limit_s - (time.perf_counter() - self.started)

    def run(self) -> SolveResult:
        theta = float(self.options.params.get("theta0", 0.0025)) * max(self.trivial, 1e-300)  # type: ignore[arg-type]
        cancelled = False
        while True:
            full = bool((self.costs < theta).all())
            outcome = self.round(theta, full)
            cancelled = outcome.cancelled
            if self.proven() or cancelled or self.left_s() <= 0.2 or full:
                break
            if not (outcome.optimal or outcome.exhausted):
                break  # time limit inside the round
            if self.best is None:
                theta *= 4.0
            else:
                theta = max(theta * 1.5, self.best[0] - self.trivial + 1e-12 * self.trivial)
        return self.result(cancelled)

    def round(self, theta: float, full: bool):  # type: ignore[no-untyped-def]
        mask = self.costs < theta
        model = build_stage_model(self.problem.graph, self.costs, self.capacity, recomputable=mask)
        warm = solution_vector(model, self.best[1], self.best[2]) if self.best is not None else None
        outcome = solve_stage_model(
            model, time_limit_s=max(self.left_s(), 0.2), mip_gap=self.options.mip_gap,
            threads=self.options.threads, seed=self.options.seed, warm_start=warm,
            objective_cutoff=self.best[0] if self.best is not None and warm is None else None,
            cost_unit=self.unit, on_progress=self._relay(theta, full), cancel=self.cancel, started=self.started,
        )
        if outcome.x is not None:
            candidate = _evaluate(self.problem, self.device, *decode_vector(model, outcome.x))
            if candidate is not None and (self.best is None or candidate[0] < self.best[0]):
                self.best = candidate
        model_bound = outcome.bound if outcome.bound is not None else -np.inf
        if outcome.exhausted:
            model_bound = self.best[0] if self.best is not None else np.inf
        elif outcome.optimal and outcome.objective is not None:
            model_bound = max(model_bound, outcome.objective)
        round_bound = model_bound if full else min(model_bound, self.trivial + theta)
        self.bound = max(self.bound, round_bound)
        self.stats["rounds"].append({  # type: ignore[attr-defined]
            "theta": theta, "recomputable": int(mask.sum()), "cols": model.n_cols,
            "rows": len(model.row_lower), "status": outcome.status, "objective": outcome.objective,
            "bound": round_bound, "elapsed_s": time.perf_counter() - self.started,
        })
        log.info("round theta=%.6g: %s, bound %.6g", theta, outcome.status, self.bound)
        return outcome

    def proven(self) -> bool:
        if self.best is None:
            return False
        gap = relative_gap(self.best[0], self.bound)
        return gap is not None and gap <= max(self.options.mip_gap, 1e-9)

    def _relay(self, theta: float, full: bool) -> ProgressCallback | None:
        if self.on_progress is None:
            return None
        report = self.on_progress

        def relay(p: Progress) -> None:
            bound = p.bound if full or p.bound is None else min(p.bound, self.trivial + theta)
            bound = max(self.bound, bound) if bound is not None else self.bound
            inc = p.incumbent if self.best is None or p.incumbent is None else min(p.incumbent, self.best[0])
            report(Progress(p.elapsed_s, inc, bound, relative_gap(inc, bound), f"threshold {theta:.4g}"))
        return relay

    def result(self, cancelled: bool) -> SolveResult:
        return _result(self.problem, self.device, self.best, self.bound, self.proven(), self.started,
                       self.stats, "cancelled" if cancelled else "", cancelled=cancelled)


def _cost_unit(costs: np.ndarray) -> float:
    """Divide costs by their gcd when they are integers, else scale the largest to 1000."""
    positive = costs[costs > 0]
    if len(positive) == 0:
        return 1.0
    if np.all(np.abs(positive - np.round(positive)) < 1e-9) and positive.max() < 2**62:
        return float(np.gcd.reduce(np.round(positive).astype(np.int64)))
    return float(positive.max() / 1000.0)


def _evaluate(
    problem: SchedulingProblem, device: int, R: np.ndarray, S: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray] | None:
    """Simulated cost of (R, S), trying the closed-form cheapest R for S first."""
    for candidate in (closed_form_r(problem.graph, S), R):
        trace = simulate(problem, decode_stages(problem, candidate, S, device=device))
        if trace.ok:
            value = trace.serial_time_s if problem.objective is Objective.TIME else trace.dynamic_energy_j
            return float(value), candidate, S
    return None


def _result(
    problem: SchedulingProblem, device: int, best: tuple[float, np.ndarray, np.ndarray] | None,
    bound: float, proven: bool, started: float, stats: dict[str, object], message: str,
    *, cancelled: bool = False,
) -> SolveResult:
    wall = time.perf_counter() - started
    if best is None:
        status = SolveStatus.CANCELLED if cancelled else SolveStatus.NO_SOLUTION
        return SolveResult(status, NAME, bound=bound, wall_s=wall, message=message, stats=stats)
    objective, R, S = best
    schedule: Schedule = decode_stages(problem, R, S, device=device)
    gap = relative_gap(objective, bound)
    status = SolveStatus.CANCELLED if cancelled else (SolveStatus.OPTIMAL if proven else SolveStatus.FEASIBLE)
    return SolveResult(status, NAME, schedule, objective, min(bound, objective), gap, wall, message, stats=stats)


def _costs(problem: SchedulingProblem, device: int) -> np.ndarray:
    table = problem.costs.compute_time_s if problem.objective is Objective.TIME else problem.costs.compute_energy_j
    return np.asarray(table[:, device], dtype=float)


def _best_device(problem: SchedulingProblem) -> int:
    return int(np.argmin([_costs(problem, d).sum() for d in range(problem.n_devices)]))


def _precheck(problem: SchedulingProblem, device: int) -> SolveResult | None:
    memory = problem.device_memory[device]
    budget, static = problem.budgets_bytes[memory], problem.static_bytes[memory]
    graph = problem.graph
    smallest = min_feasible_budget(graph) - graph.static_bytes + static
    if budget < smallest:
        return SolveResult(
            SolveStatus.INFEASIBLE, NAME,
            message=(f"budget {budget} bytes of memory {problem.memory_name(memory)!r} is below the smallest "
                     f"feasible budget {smallest} bytes (largest working set of one node plus static memory)"),
            stats={"min_feasible_budget": smallest},
        )
    if budget >= no_recompute_peak(graph) - graph.static_bytes + static:
        R, S = plain_stages(graph)
        value = float(_costs(problem, device).sum())
        return SolveResult(SolveStatus.OPTIMAL, NAME, decode_stages(problem, R, S, device=device), value,
                           value, 0.0, message="the budget holds the no-recomputation peak: each node once")
    return None
