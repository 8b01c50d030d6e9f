"""The published Checkmate MILP on HiGHS through SciPy, as written: the baseline of the benchmarks.

The model is :func:`solvers.checkmate.published.build_published_model` (binary R, S and FREE for
every stage and edge, continuous U, the ``kappa`` linearisation of FREE, Jain et al., MLSys 2020)
built from unscaled bytes and costs, solved by ``scipy.optimize.milp`` with no reduction, no
threshold and no warm start, in the caller's process. Its schedule is decoded and replayed by the
simulator, so its objective is checked independently of the solvers it is compared with.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from core.problem import SchedulingProblem
from core.simulate import simulate
from core.stages import decode_stages
from solvers.checkmate.published import build_published_model
from solvers.checkmate.reduce import build_instance


@dataclass(frozen=True)
class PlainOutcome:
    status: str  # "optimal", "feasible", "infeasible", "no_solution"
    objective: float | None  # simulated serial time of the decoded schedule
    bound: float | None
    wall_s: float
    n_vars: int


def solve_plain(problem: SchedulingProblem, time_limit_s: float, mip_gap: float = 1e-6) -> PlainOutcome:
    """Solve the published model of a one-device ``problem`` (device 0, memory 0)."""
    started = time.perf_counter()
    costs = problem.costs.compute_time_s[:, 0]
    capacity = problem.budgets_bytes[0] - problem.static_bytes[0]
    model = build_published_model(build_instance(problem.graph, costs, capacity, exact_scaling=False))
    res = milp(
        model.cost, constraints=LinearConstraint(model.matrix, model.row_lower, model.row_upper),
        integrality=model.integral.astype(int), bounds=Bounds(model.col_lower, model.col_upper),
        options={"time_limit": time_limit_s, "disp": False, "mip_rel_gap": mip_gap},
    )
    wall = time.perf_counter() - started
    bound = getattr(res, "mip_dual_bound", None)
    if res.x is None:
        return PlainOutcome("infeasible" if res.status == 2 else "no_solution", None, bound, wall, model.n_cols)
    R, S = model.decode(np.asarray(res.x))
    trace = simulate(problem, decode_stages(problem, R, S))
    if not trace.ok:
        raise AssertionError(f"the published model's schedule fails the simulator: {trace.violations[0].message}")
    status = "optimal" if res.status == 0 else "feasible"
    return PlainOutcome(status, trace.serial_time_s, bound, wall, model.n_cols)
