"""Solver "checkmate-portfolio": the exact one-device pipeline with HiGHS and SCIP racing on each MILP.

Same pipeline as "checkmate-highs" (:mod:`solvers.checkmate.pipeline`); every model of at least
:data:`solvers.checkmate.race.RACE_MIN_COLUMNS` columns is solved by HiGHS and SCIP side by side,
one thread each, and the first proof ends both (:mod:`solvers.checkmate.race`). Library options take
the backend's name as a prefix: ``{"highs:presolve": "off", "scip:limits/nodes": 1000}``.
"""

from __future__ import annotations

from core.problem import SchedulingProblem
from solvers.base import CancelToken, ProgressCallback, SolveOptions, SolveResult
from solvers.checkmate.milp import Backend
from solvers.checkmate.pipeline import solve_with
from solvers.checkmate.race import race

NAME = "checkmate-portfolio"


def backend() -> Backend:
    """HiGHS and SCIP racing (each backend module is the only importer of its library)."""
    from solvers.checkmate.highs_backend import run_milp as highs
    from solvers.checkmate.scip_backend import run_milp as scip

    return race({"highs": highs, "scip": scip})


def solve(
    problem: SchedulingProblem,
    options: SolveOptions,
    *,
    on_progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> SolveResult:
    """Optimal rematerialization on one device, HiGHS and SCIP racing (see the module docstring)."""
    return solve_with(NAME, backend(), problem, options, on_progress, cancel)
