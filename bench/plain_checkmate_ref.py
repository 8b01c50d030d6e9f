"""The published Checkmate MILP, written plainly, on HiGHS through SciPy: the baseline of the benchmarks.

Variables and rows exactly as FORMULATIONS.md section 1 (Jain et al., MLSys 2020): binary R[t,i],
S[t,i], FREE[t,i,k] for every stage and edge, continuous U[t,k], frontier-advancing stages, the
``num_hazards`` / ``kappa`` linearisation of FREE, memory recurrence over every k = 0..t. No
reduction, no warm start: this is what the fast pipeline is measured against (same process).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from core.graph import TrainingGraph


@dataclass
class PlainOutcome:
    status: str  # "optimal", "feasible", "infeasible", "no_solution"
    objective: float | None
    bound: float | None
    R: np.ndarray | None
    S: np.ndarray | None
    wall_s: float
    n_vars: int


def solve_plain(graph: TrainingGraph, costs: np.ndarray, capacity_bytes: int, time_limit_s: float) -> PlainOutcome:
    """Solve the published model; ``capacity_bytes`` is the budget minus static memory."""
    started = time.perf_counter()
    n = len(graph.nodes)
    deps = [sorted(set(node.deps)) for node in graph.nodes]
    users = graph.users
    mem = np.array([node.size_bytes for node in graph.nodes], dtype=float)
    scale = float(mem.max())  # same units for every row, as the published code normalises
    mem, cap = mem / scale, capacity_bytes / scale
    ncol = 0

    def block(count: int) -> int:
        nonlocal ncol
        start, ncol = ncol, ncol + count
        return start

    r0, s0 = block(n * n), block(n * n)
    edges = [(i, k) for k in range(n) for i in deps[k]]
    f0 = block(n * len(edges))
    u0 = block(n * n)
    R = lambda t, i: r0 + t * n + i  # noqa: E731
    S = lambda t, i: s0 + t * n + i  # noqa: E731
    F = lambda t, e: f0 + t * len(edges) + e  # noqa: E731
    U = lambda t, k: u0 + t * n + k  # noqa: E731
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    lo: list[float] = []
    hi: list[float] = []

    def row(terms: list[tuple[int, float]], lower: float, upper: float) -> None:
        for c, v in terms:
            rows.append(len(lo))
            cols.append(c)
            vals.append(v)
        lo.append(lower)
        hi.append(upper)

    inf = np.inf
    lower = np.zeros(ncol)
    upper = np.ones(ncol)
    upper[u0:] = cap
    for t in range(n):
        lower[R(t, t)] = 1.0
        upper[[R(t, i) for i in range(t + 1, n)]] = 0.0
        upper[[S(t, i) for i in range(t, n)]] = 0.0
    upper[[S(0, i) for i in range(n)]] = 0.0
    for t in range(n):
        for i, k in edges:
            row([(R(t, k), 1.0), (R(t, i), -1.0), (S(t, i), -1.0)], -inf, 0.0)
        if t + 1 < n:
            for i in range(n):
                row([(S(t + 1, i), 1.0), (S(t, i), -1.0), (R(t, i), -1.0)], -inf, 0.0)
        row([(U(t, 0), 1.0), (R(t, 0), -mem[0])] + [(S(t, i), -mem[i]) for i in range(n)], 0.0, 0.0)
        for e, (i, k) in enumerate(edges):
            later = [j for j in users[i] if j > k]
            kappa = len(later) + 2
            hazard = [(R(t, k), -1.0)] + ([(S(t + 1, i), 1.0)] if t + 1 < n else []) + [(R(t, j), 1.0) for j in later]
            # 1 - FREE <= num_hazards;  kappa (1 - FREE) >= num_hazards  (num_hazards = 1 + sum(hazard)).
            row([(F(t, e), -1.0)] + [(c, -v) for c, v in hazard], -inf, 0.0)
            row([(F(t, e), kappa)] + hazard, -inf, kappa - 1.0)
        by_k: dict[int, list[int]] = {}
        for e, (_i, k) in enumerate(edges):
            by_k.setdefault(k, []).append(e)
        for k in range(n - 1):
            terms = [(U(t, k + 1), 1.0), (U(t, k), -1.0), (R(t, k + 1), -mem[k + 1])]
            terms += [(F(t, e), mem[edges[e][0]]) for e in by_k.get(k, [])]
            row(terms, 0.0, 0.0)
    cost = np.zeros(ncol)
    for t in range(n):
        cost[R(t, 0):R(t, 0) + n] = costs
    integrality = np.ones(ncol)
    integrality[u0:] = 0
    A = sp.csr_matrix((vals, (rows, cols)), shape=(len(lo), ncol))
    res = milp(cost, constraints=LinearConstraint(A, lo, hi), integrality=integrality,
               bounds=Bounds(lower, upper), options={"time_limit": time_limit_s, "disp": False})
    wall = time.perf_counter() - started
    bound = getattr(res, "mip_dual_bound", None)
    if res.x is None:
        status = "infeasible" if res.status == 2 else "no_solution"
        return PlainOutcome(status, None, bound, None, None, wall, ncol)
    x = res.x
    Rm = x[r0:r0 + n * n].reshape(n, n) > 0.5
    Sm = x[s0:s0 + n * n].reshape(n, n) > 0.5
    status = "optimal" if res.status == 0 else "feasible"
    return PlainOutcome(status, float(res.fun), bound, Rm, Sm, wall, ncol)
