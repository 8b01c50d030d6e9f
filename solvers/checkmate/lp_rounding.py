"""Solver "lp-rounding": Checkmate's two-phase approximation, and the exact solvers' LP start.

Phase 1 solves the LP relaxation of the tightened stage model (:mod:`solvers.checkmate.formulation`);
its value is a lower bound for every stage schedule. Phase 2 rounds the checkpoint matrix S, by
thresholds 0.05..0.95 and by randomized rounding (``S[t,i] = 1`` with probability ``S*[t,i]``, seeded),
takes the cheapest R for each rounded S in closed form (:func:`core.stages.closed_form_r`), and
keeps the cheapest schedule the simulator accepts. Fast, but it may find nothing that fits: the exact
solvers use it as one start among several, never alone.

Parameters (``options.params``): ``samples`` (randomized roundings, default 24).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import numpy as np

from core.problem import SchedulingProblem
from solvers.base import (
    CancelToken,
    Progress,
    ProgressCallback,
    SolveOptions,
    SolveResult,
    SolveStatus,
    relative_gap,
)
from solvers.checkmate.formulation import BUILD_S_PER_COLUMN, MAX_COLUMNS, build_stage_model, estimated_columns
from solvers.checkmate.milp import LpOutcome, MilpRequest
from solvers.checkmate.model import StageModel
from solvers.checkmate.space import Candidate, StageSpace, best_device, lift, one_device, precheck

NAME = "lp-rounding"
THRESHOLDS = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
DEFAULT_SAMPLES = 24

LpSolver = Callable[[StageModel, MilpRequest], LpOutcome]


def solve(
    problem: SchedulingProblem,
    options: SolveOptions,
    *,
    on_progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> SolveResult:
    """The best rounded-LP schedule on the best single device (see the module docstring)."""
    started = time.perf_counter()
    device = best_device(problem)
    sub = one_device(problem, device)
    early = precheck(NAME, problem, sub, device, started)
    if early is not None:
        return early
    space = StageSpace.build(sub)
    left_s = max(0.0, options.time_limit_s - (time.perf_counter() - started))
    request = MilpRequest(time_limit_s=left_s, threads=options.threads, cancel=cancel)
    candidates, lp_value = lp_start(space, request, seed=options.seed,
                                    samples=int(options.params.get("samples", DEFAULT_SAMPLES)))  # type: ignore[call-overload]
    bound = None if lp_value is None else lp_value * space.instance.cost_unit
    wall = time.perf_counter() - started
    cancelled = cancel is not None and cancel.is_set()
    if not candidates:
        status = SolveStatus.CANCELLED if cancelled else SolveStatus.NO_SOLUTION
        message = ("no rounding of the LP relaxation fits the budget" if lp_value is not None else
                   "LP not solved within the time limit (or its model too large to build)")
        return SolveResult(status, NAME, bound=bound, wall_s=wall, message=message)
    best = min(candidates, key=lambda c: c.value)
    bound = min(bound, best.value) if bound is not None else None
    gap = relative_gap(best.value, bound)
    if on_progress is not None:
        on_progress(Progress(wall, best.value, bound, gap, f"best rounding: {best.source}"))
    status = SolveStatus.CANCELLED if cancelled else (
        SolveStatus.OPTIMAL if gap is not None and gap <= options.mip_gap else SolveStatus.FEASIBLE)
    memory = problem.device_memory[device]
    return SolveResult(status, NAME, lift(space.schedule_of(best), device, memory), best.value, bound,
                       gap, wall, f"{best.source}; LP bound {bound}", stats={"device": device,
                                                                            "roundings": len(candidates)})


def lp_solver() -> LpSolver | None:
    """The LP solver to use (HiGHS), or None when it is not installed."""
    try:
        from solvers.checkmate.highs_backend import solve_lp
    except ImportError:
        return None
    return solve_lp


def lp_start(space: StageSpace, request: MilpRequest, *, seed: int = 0,
             samples: int = DEFAULT_SAMPLES) -> tuple[list[Candidate], float | None]:
    """Valid rounded-LP candidates and the LP value (scaled units; None when the LP was not solved).

    Everything (building the model, the LP, the roundings) fits in ``request.time_limit_s``: the
    roundings stop when it is spent, keeping those already checked.
    """
    solver = lp_solver()
    if solver is None:
        return [], None
    deadline = time.perf_counter() + request.time_limit_s
    columns = estimated_columns(space.instance, space.recomputable)
    if columns > MAX_COLUMNS or columns * BUILD_S_PER_COLUMN > request.time_limit_s:
        return [], None  # the model could not even be built in time
    model = build_stage_model(space.instance, space.recomputable)
    left = deadline - time.perf_counter()
    if left <= 0:
        return [], None
    lp = solver(model, dataclasses.replace(request, time_limit_s=left))
    if lp.x is None or lp.objective is None:
        return [], None
    fractional = np.zeros((model.n, model.n))
    has_s = model.S >= 0
    fractional[has_s] = lp.x[model.S[has_s]]
    candidates: list[Candidate] = []
    for S, source in rounded(fractional, np.random.default_rng(seed), samples):
        if (request.cancel is not None and request.cancel.is_set()) or time.perf_counter() > deadline:
            break
        candidate = space.evaluate(None, S, source)
        if candidate is not None:
            candidates.append(candidate)
    return candidates, lp.objective


def rounded(fractional: np.ndarray, rng: np.random.Generator, samples: int) -> list[tuple[np.ndarray, str]]:
    """Distinct roundings of a fractional S: by each threshold, then randomized."""
    seen: set[bytes] = set()
    out: list[tuple[np.ndarray, str]] = []
    draws = [(fractional >= 1.0 - 1e-9, "LP (integral S)")]
    draws += [(fractional >= theta, f"LP threshold {theta:g}") for theta in THRESHOLDS]
    draws += [(rng.random(fractional.shape) < fractional, f"LP randomized #{k}") for k in range(samples)]
    for S, source in draws:
        key = np.packbits(S).tobytes()
        if key not in seen:
            seen.add(key)
            out.append((S, source))
    return out
