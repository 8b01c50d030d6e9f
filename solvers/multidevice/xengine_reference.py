"""XEngine's published model, kept as a reference for small graphs (cvxpy, solved by SCIP).

This is the only module that imports cvxpy. It follows the published formulation: per device d,
Checkmate's R, S, U and FREE (one per edge), a helper ``Z = R or S``, an input may be read from any
device, and every edge (u, v) in every stage pays ``copy(e, d -> d') * R[d',t,v] * Z[d,t,u]`` for
each device d holding u while v runs on d'. cvxpy refuses that product of two variables as non-DCP,
so it is written with an auxiliary ``W >= R + Z - 1, W >= 0`` (exact: the cost is positive and
minimized); the model is then a MILP with the same optimum as the published MIQP.

Where the published model differs from :mod:`solvers.multidevice.formulation` on purpose:

- a copied input is never counted in the reading device's memory (here: never anywhere but where it
  was computed), and it cannot be kept there for a later stage;
- copies are charged per edge and stage, again for every device that holds the producer;
- ``memory="published"`` sums the memory-start and FREE rows over devices as the published code
  does (only the total is bounded); ``"per_device"`` writes them per device. The published
  recurrence reads a stale index (past the end of the size vector); both modes use the intended
  size of the freed buffer instead. The published test data store the copy matrix with source and
  destination swapped; instances here are given the right way round (``from`` -> ``to``).
"""

from __future__ import annotations

from dataclasses import dataclass

import cvxpy as cp
import numpy as np

from core.problem import SchedulingProblem


@dataclass(frozen=True)
class XEngineInstance:
    """XEngine's input: edges (u, v), cost[d][i], memory[i] bytes, budget[d], per-edge copy costs."""

    edges: tuple[tuple[int, int], ...]
    cost: tuple[tuple[float, ...], ...]
    memory: tuple[float, ...]
    budget: tuple[float, ...]
    #: ``(edge index, from device, to device) -> time``; absent means 0.
    copy: dict[tuple[int, int, int], float]


@dataclass(frozen=True)
class ReferenceResult:
    status: str
    objective: float | None
    R: np.ndarray | None = None
    S: np.ndarray | None = None


def instance_from_case(case: dict) -> XEngineInstance:
    """An instance of the shared oracle file (``edges``, ``cost``, ``memory``, ``budget``, ``copy``)."""
    copy = {(int(c["edge"]), int(c["from"]), int(c["to"])): float(c["cost"]) for c in case["copy"]}
    return XEngineInstance(
        edges=tuple((int(u), int(v)) for u, v in case["edges"]),
        cost=tuple(tuple(float(c) for c in row) for row in case["cost"]),
        memory=tuple(float(m) for m in case["memory"]), budget=tuple(float(b) for b in case["budget"]),
        copy=copy,
    )


def instance_from_problem(problem: SchedulingProblem) -> XEngineInstance:
    """XEngine's view of a problem with one memory per device and no storage (times, not energy)."""
    if sorted(problem.device_memory) != list(range(problem.n_memories)):
        raise ValueError("the XEngine model needs exactly one memory per device and no storage")
    edges = tuple((dep, node.id) for node in problem.graph.nodes for dep in dict.fromkeys(node.deps))
    copy: dict[tuple[int, int, int], float] = {}
    for e, (u, _v) in enumerate(edges):
        for (src, dst), link in problem.link_index.items():
            a, b = problem.device_memory.index(src), problem.device_memory.index(dst)
            copy[(e, a, b)] = float(problem.costs.copy_time_s[link, u])
    free = [problem.budgets_bytes[m] - problem.static_bytes[m] for m in problem.device_memory]
    return XEngineInstance(
        edges=edges, cost=tuple(tuple(problem.costs.compute_time_s[:, d]) for d in range(problem.n_devices)),
        memory=tuple(float(n.size_bytes) for n in problem.graph.nodes), budget=tuple(float(b) for b in free),
        copy=copy,
    )


def solve_reference(instance: XEngineInstance, *, memory: str = "per_device", time_limit_s: float = 60.0,
                    pinned: tuple[np.ndarray, np.ndarray] | None = None,
                    nonnegative_memory: bool = True) -> ReferenceResult:
    """Solve the published model with SCIP through cvxpy. ``memory``: "per_device" or "published".

    ``pinned`` fixes R and S (arrays of shape (devices, T, T)) to evaluate one schedule.
    ``nonnegative_memory=False`` drops the rows ``U >= 0``: the published FREE rows subtract a remote
    input's size from the reader's memory, which never held it, and these rows then forbid schedules
    that are valid on real devices.
    """
    model = _Model(instance, summed=(memory == "published"), nonnegative_memory=nonnegative_memory)
    objective = model.objective()  # builds the copy terms the rows refer to
    rows = model.constraints()
    if pinned is not None:
        rows += [model.R[d] == pinned[0][d] for d in range(model.D)]
        rows += [model.S[d] == pinned[1][d] for d in range(model.D)]
    problem = cp.Problem(cp.Minimize(objective), rows)
    problem.solve(solver=cp.SCIP, scip_params={"limits/time": float(time_limit_s)})
    if problem.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        return ReferenceResult(str(problem.status), None)
    R = np.stack([np.asarray(r.value) > 0.5 for r in model.R])
    S = np.stack([np.asarray(s.value) > 0.5 for s in model.S])
    return ReferenceResult(str(problem.status), float(problem.value), R, S)


class _Model:
    def __init__(self, inst: XEngineInstance, *, summed: bool, nonnegative_memory: bool = True) -> None:
        self.inst, self.summed, self.nonnegative = inst, summed, nonnegative_memory
        self.D, self.T, self.E = len(inst.cost), len(inst.memory), len(inst.edges)
        D, T, E = self.D, self.T, self.E
        # Memory in units of the largest budget keeps SCIP's numbers small.
        self.scale = max(inst.budget)
        self.R = [cp.Variable((T, T), boolean=True) for _ in range(D)]
        self.S = [cp.Variable((T, T), boolean=True) for _ in range(D)]
        self.Z = [cp.Variable((T, T), boolean=True) for _ in range(D)]
        self.U = [cp.Variable((T, T)) for _ in range(D)]
        self.F = [cp.Variable((T, E), boolean=True) for _ in range(D)] if E else []
        self.copy_terms: list[tuple[float, cp.Variable]] = []

    def objective(self) -> cp.Expression:
        inst = self.inst
        total = sum(cp.sum(self.R[d] @ np.array(inst.cost[d])) for d in range(self.D))
        self.W = []
        for (e, src, dst), cost in sorted(inst.copy.items()):
            if cost <= 0 or src == dst:
                continue
            u, v = inst.edges[e]
            # W[t] = R[dst,t,v] * Z[src,t,u] (the published quadratic term, linearized below).
            w = cp.Variable(self.T, nonneg=True)
            self.W.append((w, dst, v, src, u))
            total = total + cost * cp.sum(w)
        return total

    def constraints(self) -> list[cp.Constraint]:
        inst, D, T = self.inst, self.D, self.T
        R, S, Z, U = self.R, self.S, self.Z, self.U
        upper = np.triu(np.ones((T, T)), 1)
        upper_diag = np.triu(np.ones((T, T)))
        rows: list[cp.Constraint] = []
        for w, dst, v, src, u in self.W:
            rows.append(w >= R[dst][:, v] + Z[src][:, u] - 1)
        for d in range(D):
            rows += [Z[d] <= R[d] + S[d], Z[d] >= R[d], Z[d] >= S[d]]
            rows += [cp.multiply(R[d], upper) == 0, cp.multiply(S[d], upper_diag) == 0]
            rows.append(S[d][1:, :] <= S[d][:-1, :] + R[d][:-1, :])
            rows.append(U[d] <= inst.budget[d] / self.scale)
            if self.nonnegative:
                rows.append(U[d] >= 0)
        diag = cp.sum([cp.diag(R[d]) for d in range(D)], axis=0) if D > 1 else cp.diag(R[0])
        rows += [diag >= 1, cp.sum(diag) == T]
        any_device = [sum(R[d][:, u] + S[d][:, u] for d in range(D)) for u in range(T)]
        for u, v in inst.edges:
            rows += [R[d][:, v] <= any_device[u] for d in range(D)]
        return rows + self._free_rows() + self._memory_rows()

    def _hazards(self, d: int, t: int, i: int, k: int) -> tuple[cp.Expression, int]:
        later = [j for (a, j) in self.inst.edges if a == i and j > k]
        hazards = 1 - self.R[d][t, k] + sum(self.R[d][t, j] for j in later)
        if t + 1 < self.T:
            hazards = hazards + self.S[d][t + 1, i]
        return hazards, len(later) + (2 if t + 1 < self.T else 1)

    def _free_rows(self) -> list[cp.Constraint]:
        rows: list[cp.Constraint] = []
        groups = [list(range(self.D))] if self.summed else [[d] for d in range(self.D)]
        for t in range(self.T):
            for e, (i, k) in enumerate(self.inst.edges):
                for group in groups:
                    ones = sum(1 - self.F[d][t, e] for d in group)
                    hazard = [self._hazards(d, t, i, k) for d in group]
                    total = sum(h for h, _ in hazard)
                    rows.append(ones <= total)
                    rows.append(sum(m * (1 - self.F[d][t, e]) for d, (_, m) in zip(group, hazard, strict=True))
                                >= total)
        return rows

    def _memory_rows(self) -> list[cp.Constraint]:
        inst, T = self.inst, self.T
        size = np.array(inst.memory) / self.scale
        rows: list[cp.Constraint] = []
        groups = [list(range(self.D))] if self.summed else [[d] for d in range(self.D)]
        for t in range(T):
            for group in groups:
                start = sum(self.U[d][t, 0] for d in group)
                held = sum(self.R[d][t, 0] * size[0] + self.S[d][t, :] @ size for d in group)
                rows.append(start == held)
        for d in range(self.D):
            for k in range(T - 1):
                freed = sum(size[i] * self.F[d][:, e] for e, (i, j) in enumerate(inst.edges) if j == k)
                rows.append(self.U[d][:, k + 1] == self.U[d][:, k] + self.R[d][:, k + 1] * size[k + 1] - freed)
        return rows
