"""Scheduling algorithms behind one contract (see :mod:`solvers.base`).

``solvers.run(name, problem, options, on_progress=..., cancel=...)`` runs a registered solver and
checks its schedule with the simulator: a schedule that violates a dependency or a budget is reported
as an ERROR, never passed on as a result.
"""

from __future__ import annotations

from solvers.base import (
    CancelToken,
    Progress,
    ProgressCallback,
    SolveOptions,
    SolveResult,
    SolveStatus,
)
from solvers.registry import SolverInfo, get, register, solvers
from solvers.runner import run

# Preference order: the first available exact solver is the default for one device.
register(SolverInfo(
    "checkmate-highs", "Checkmate MILP on one device, HiGHS (optimal rematerialization)",
    "solvers.checkmate.highs_backend:solve", exact=True, requires=("highspy",),
))
register(SolverInfo(
    "checkmate-scip", "Checkmate MILP on one device, SCIP (optimal rematerialization)",
    "solvers.checkmate.scip_backend:solve", exact=True, requires=("pyscipopt",),
))
register(SolverInfo(
    "checkmate-portfolio", "Checkmate MILP on one device, HiGHS and SCIP racing on two cores",
    "solvers.checkmate.portfolio_backend:solve", exact=True, requires=("highspy", "pyscipopt"),
))
register(SolverInfo(
    "milp-highs", "Several devices: placement, recomputation, copies and paging (MILP, HiGHS)",
    "solvers.multidevice.highs_backend:solve", exact=True, multi_device=True, paging=True,
    energy=True, requires=("highspy",),
))
register(SolverInfo(
    "milp-scip", "Several devices: placement, recomputation, copies and paging (MILP, SCIP)",
    "solvers.multidevice.scip_backend:solve", exact=True, multi_device=True, paging=True,
    energy=True, requires=("pyscipopt",),
))
register(SolverInfo(
    "lp-rounding", "Checkmate LP relaxation with rounding (fast approximation, one device)",
    "solvers.checkmate.lp_rounding:solve", requires=("highspy",),
))
register(SolverInfo(
    "greedy", "Greedy eviction (DTR-style) with list-scheduled placement on several devices",
    "solvers.greedy:solve", multi_device=True, paging=True, energy=True,
))
register(SolverInfo(
    "chen-sqrt", "Chen et al. sqrt(n) segment checkpointing on the best single device",
    "solvers.chen:solve",
))
register(SolverInfo(
    "no-remat", "No recomputation: every node once on the best single device",
    "solvers.baseline:solve",
))

__all__ = [
    "CancelToken",
    "Progress",
    "ProgressCallback",
    "SolveOptions",
    "SolveResult",
    "SolveStatus",
    "SolverInfo",
    "get",
    "register",
    "run",
    "solvers",
]
