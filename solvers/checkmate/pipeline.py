"""The exact one-device pipeline both backends run ("checkmate-highs", "checkmate-scip").

1. **One device** (:mod:`solvers.checkmate.space`): a problem with several devices is planned on its
   best single device; the steps name that device in the original problem.
2. **Pre-check** (:func:`solvers.checkmate.space.precheck`, FORMULATIONS.md section 6): a budget
   below the largest working set plus static memory is INFEASIBLE at once, with that number; a
   budget that holds the no-recomputation peak gets the plain order, OPTIMAL, without a MILP.
3. **Starts**: the given warm start, the greedy solver's schedule, the eviction heuristic and the
   rounded LP relaxation (whose value is also a lower bound); the cheapest valid one is the incumbent.
4. **Threshold rounds** (:mod:`solvers.checkmate.rounds`): the tightened model restricted to the
   nodes whose cost is below a threshold, an exact restriction once the threshold reaches the
   incumbent's overhead.
5. **Statuses**: OPTIMAL only when the relative gap is proven within ``mip_gap``; FEASIBLE with the
   gap when a limit stopped it; NO_SOLUTION when none was found; INFEASIBLE only when the
   unrestricted model was proven empty; CANCELLED keeps the incumbent.

Optimality is relative to the Checkmate schedule class (frontier-advancing stages in the graph's
fixed topological order), which is what the bound and gap prove.

Parameters (``options.params``; every other key goes to the backend library):
``formulation`` ("tightened", default, or "published": the published model in one solve, no
reductions, for cross-checks); ``theta0`` (first threshold as a fraction of the every-node-once cost,
default 0.0025; 0: the exact round only); ``theta_growth`` (default sqrt 2); ``starts`` (False: no
greedy, eviction or LP starts); ``samples`` (randomized LP roundings); ``fuse_elementwise`` (True:
fuse cheap element-wise chains, not exact, see :mod:`solvers.checkmate.fuse`); ``max_columns``
(default one million: larger stage models are not built, the best start is returned as FEASIBLE).
"""

from __future__ import annotations

import time

from core.problem import SchedulingProblem
from solvers.base import CancelToken, ProgressCallback, SolveOptions, SolveResult
from solvers.checkmate.milp import Backend
from solvers.checkmate.rounds import Search
from solvers.checkmate.space import StageSpace, best_device, one_device, precheck

PIPELINE_KEYS = frozenset({
    "formulation", "theta0", "theta_growth", "starts", "samples", "fuse_elementwise", "max_columns", "focus",
    "focus_fractions",
})


def solve_with(
    name: str,
    backend: Backend,
    problem: SchedulingProblem,
    options: SolveOptions,
    on_progress: ProgressCallback | None,
    cancel: CancelToken | None,
) -> SolveResult:
    """Pre-check, start, run the rounds with ``backend`` and decode: the whole one-device solve."""
    started = time.perf_counter()
    device = best_device(problem)
    sub = one_device(problem, device)
    early = precheck(name, problem, sub, device, started)
    if early is not None:
        return early
    space = _space(sub, options)
    search = Search(name, space, options, started, on_progress, cancel,
                    {k: v for k, v in options.params.items() if k not in PIPELINE_KEYS})
    search.stats["device"] = problem.device_name(device)
    if options.params.get("formulation", "tightened") == "published":
        search.published(backend)
    else:
        if options.params.get("starts", True):
            search.start(device, problem.device_memory[device])
        if options.params.get("focus", True):
            search.focused(backend)
        search.rounds(backend)
    return search.result(device, problem.device_memory[device])


def _space(sub: SchedulingProblem, options: SolveOptions) -> StageSpace:
    if options.params.get("fuse_elementwise"):
        from solvers.checkmate.fuse import fuse_elementwise

        fusion = fuse_elementwise(sub)
        if fusion is not None:
            return StageSpace.build(sub, fusion.problem, fusion.extra_bytes, fusion.expand)
    return StageSpace.build(sub)
