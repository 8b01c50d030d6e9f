"""The published Checkmate MILP, written plainly (FORMULATIONS.md section 1, Jain et al., MLSys 2020).

Binary ``R[t,i]``, ``S[t,i]`` and ``FREE[t,i,k]`` for every stage and edge, continuous ``U[t,k]`` for
every stage and position, frontier-advancing stages, the ``num_hazards`` / ``kappa`` linearisation of
FREE, and the memory recurrence over every k = 0..n-1. Nothing is left out and no bound is tightened.
It is here for cross-checks (same optimum as :mod:`solvers.checkmate.formulation` on every graph) and
as the baseline of ``bench/bench_checkmate.py``; solve it with ``params={"formulation": "published"}``.
Memory convention as in the tightened model: only inputs are freed, after their last reader.
"""

from __future__ import annotations

import numpy as np

from solvers.checkmate.model import ModelBuilder, StageModel, memory_limit, memory_scale
from solvers.checkmate.reduce import Instance

INF = float("inf")


def build_published_model(instance: Instance) -> StageModel:
    """The published model of ``instance`` (every variable present; fixed ones by their bounds)."""
    if (instance.extra > 0).any():
        raise ValueError("the published model has no fused nodes; build it from an unfused instance")
    n = instance.n
    scale = memory_scale(instance.capacity)
    mem = instance.sizes / scale
    limit = memory_limit(instance.capacity, scale)
    b = ModelBuilder(n)
    edges = [(i, k) for k in range(n) for i in instance.deps[k]]
    for t in range(n):
        for i in range(n):
            # Frontier-advancing stages: R[t,t] = 1, R[t,i] = 0 for i > t, S[t,i] = 0 for i >= t.
            b.R[t, i] = b.col(float(instance.costs[i]), 1.0 if i == t else 0.0, 1.0 if i <= t else 0.0, True)
            b.S[t, i] = b.col(0.0, 0.0, 1.0 if i < t else 0.0, True)
    free = np.array([[b.col(0.0, 0.0, 1.0, True) for _ in edges] for _ in range(n)], dtype=np.int64)
    U = np.array([[b.col(0.0, 0.0, limit, False) for _ in range(n)] for _ in range(n)], dtype=np.int64)
    b.frees.extend((int(free[t, e]), t, i, k) for t in range(n) for e, (i, k) in enumerate(edges))
    b.memory.extend((int(U[t, k]), t, k) for t in range(n) for k in range(n))
    first = len(b.row_lower)
    for t in range(n):
        for i, k in edges:
            b.row([(int(b.R[t, k]), 1.0), (int(b.R[t, i]), -1.0), (int(b.S[t, i]), -1.0)], -INF, 0.0)
    b.close_family("dependencies: R[t,k] <= R[t,i] + S[t,i]", first)
    first = len(b.row_lower)
    for t in range(n - 1):
        for i in range(n):
            b.row([(int(b.S[t + 1, i]), 1.0), (int(b.S[t, i]), -1.0), (int(b.R[t, i]), -1.0)], -INF, 0.0)
    b.close_family("persistence: S[t+1,i] <= S[t,i] + R[t,i]", first)
    first = len(b.row_lower)
    for t in range(n):
        _free_rows(b, instance, t, edges, free[t])
    b.close_family("FREE: 1 - FREE <= num_hazards, kappa (1 - FREE) >= num_hazards", first)
    first = len(b.row_lower)
    for t in range(n):
        _memory_rows(b, instance, t, edges, free[t], U[t], mem)
    b.close_family("memory: U[t,0] = M_0 R[t,0] + sum M_i S[t,i]; U[t,k+1] = U[t,k] + ... <= budget", first)
    return b.finish(mem, scale, "published")


def _free_rows(b: ModelBuilder, inst: Instance, t: int, edges: list[tuple[int, int]], free: np.ndarray) -> None:
    n = inst.n
    for e, (i, k) in enumerate(edges):
        later = [j for j in inst.users[i] if j > k]
        kappa = len(later) + 2
        # num_hazards = 1 + sum(c * x for c, x in hazard)
        hazard = [(int(b.R[t, k]), -1.0)] + [(int(b.R[t, j]), 1.0) for j in later]
        if t + 1 < n:
            hazard.append((int(b.S[t + 1, i]), 1.0))
        f = int(free[e])
        # 1 - FREE <= num_hazards
        b.row([(f, -1.0)] + [(c, -v) for c, v in hazard], -INF, 0.0)
        # kappa (1 - FREE) >= num_hazards
        b.row([(f, float(kappa)), *hazard], -INF, kappa - 1.0)


def _memory_rows(
    b: ModelBuilder, inst: Instance, t: int, edges: list[tuple[int, int]], free: np.ndarray, U: np.ndarray,
    mem: np.ndarray,
) -> None:
    n = inst.n
    start = [(int(U[0]), 1.0), (int(b.R[t, 0]), -float(mem[0]))]
    start += [(int(b.S[t, i]), -float(mem[i])) for i in range(n)]
    b.row(start, 0.0, 0.0)
    by_reader: dict[int, list[int]] = {}
    for e, (_i, k) in enumerate(edges):
        by_reader.setdefault(k, []).append(e)
    for k in range(n - 1):
        terms = [(int(U[k + 1]), 1.0), (int(U[k]), -1.0), (int(b.R[t, k + 1]), -float(mem[k + 1]))]
        terms += [(int(free[e]), float(mem[edges[e][0]])) for e in by_reader.get(k, [])]
        b.row(terms, 0.0, 0.0)
