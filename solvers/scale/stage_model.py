"""A tightened Checkmate stage model, built as sparse arrays (no solver library here).

Same decisions as FORMULATIONS.md section 1 (``R[t,i]`` computed in stage t, ``S[t,i]`` checkpoint at
the start of stage t, frontier-advancing stages, ``U`` memory after each computation), with three
changes that keep the optimum of the published model and make it much smaller for a MILP solver:

1. ``FREE[t,i,k]`` is continuous with only its *upper* bounds, disaggregated:
   ``FREE <= R[t,k]``, ``FREE <= 1 - S[t+1,i]``, ``FREE <= 1 - R[t,j]`` for every later reader j of i.
   Freeing less than allowed only overstates memory, so for integral R, S a feasible FREE exists iff
   the true memory fits; the published ``kappa`` rows (which force FREE = 1) and all FREE binaries go.
2. Useless pairs are removed: with ``D(i)`` the largest id among i and its descendants, ``R[t,i]`` and
   ``S[t,i]`` are fixed to 0 when ``D(i) < t``. A buffer or computation in stage t that no node >= t
   depends on can be dropped from any schedule without raising cost or memory (drop such entries from
   the last stage backwards), so some optimal solution has them at 0.
3. ``U`` rows exist only at nodes that can be computed in a stage; between two computations memory
   only falls.

Optional *restriction* ``recomputable`` (a mask): ``R[t,i] = 0`` for i < t where the mask is False.
It changes the optimum in general; :mod:`solvers.scale.pipeline` uses it only with a cost threshold
under which it provably does not (see there).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from core.graph import TrainingGraph


@dataclass
class StageModel:
    """Arrays of one MILP: columns R, S (binary) then FREE, U (continuous); rows lower/upper bounded."""

    n: int
    r_col: np.ndarray  # (n, n) column of R[t, i] or -1
    s_col: np.ndarray  # (n, n) column of S[t, i] or -1
    cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integral: np.ndarray  # bool per column
    matrix: sp.csc_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    free_cols: list[tuple[int, int, int, int]]  # (col, t, i, k)
    u_cols: list[tuple[int, int, int]]  # (col, t, k)
    mem_scale: float

    @property
    def n_cols(self) -> int:
        return len(self.cost)


def descendant_reach(graph: TrainingGraph) -> np.ndarray:
    """``D[i]``: the largest id among i and every node that depends on i (directly or not)."""
    n = len(graph.nodes)
    reach = np.arange(n)
    users = graph.users
    for i in range(n - 1, -1, -1):
        for j in users[i]:
            reach[i] = max(reach[i], reach[j])
    return reach


class _Builder:
    def __init__(self) -> None:
        self.cost: list[float] = []
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.integral: list[bool] = []
        self.rows: list[int] = []
        self.cols: list[int] = []
        self.vals: list[float] = []
        self.row_lower: list[float] = []
        self.row_upper: list[float] = []

    def col(self, cost: float, lower: float, upper: float, integral: bool) -> int:
        self.cost.append(cost)
        self.lower.append(lower)
        self.upper.append(upper)
        self.integral.append(integral)
        return len(self.cost) - 1

    def row(self, terms: list[tuple[int, float]], lower: float, upper: float) -> None:
        r = len(self.row_lower)
        for c, v in terms:
            self.rows.append(r)
            self.cols.append(c)
            self.vals.append(v)
        self.row_lower.append(lower)
        self.row_upper.append(upper)


def build_stage_model(
    graph: TrainingGraph, costs: np.ndarray, capacity_bytes: int, *, recomputable: np.ndarray | None = None
) -> StageModel:
    """The tightened model for one device: ``capacity_bytes`` = budget minus static memory."""
    n = len(graph.nodes)
    sizes = np.array([node.size_bytes for node in graph.nodes], dtype=np.int64)
    scale = float(max(1, np.gcd.reduce(np.append(sizes[sizes > 0], max(capacity_bytes, 1)))))
    cap = capacity_bytes / scale
    # Normalise memory rows to O(1) coefficients: exact arithmetic is kept by the gcd, the rest is
    # for the solver's tolerances (the decoded schedule is checked by the simulator).
    unit = max(cap, 1.0)
    mem = sizes / scale / unit
    cap_n = cap / unit
    reach = descendant_reach(graph)
    deps = [sorted(set(node.deps)) for node in graph.nodes]
    users = graph.users
    allowed = np.ones(n, dtype=bool) if recomputable is None else np.asarray(recomputable, dtype=bool)
    b = _Builder()
    r_col = -np.ones((n, n), dtype=np.int64)
    s_col = -np.ones((n, n), dtype=np.int64)
    for t in range(n):
        for i in range(t + 1):
            if i != t and (reach[i] < t or not allowed[i]):
                continue
            low = 1.0 if i == t else 0.0
            r_col[t, i] = b.col(float(costs[i]), low, 1.0, True)
        for i in range(t):
            if reach[i] >= t:
                s_col[t, i] = b.col(0.0, 0.0, 1.0, True)
    free_cols: list[tuple[int, int, int, int]] = []
    u_cols: list[tuple[int, int, int]] = []
    for t in range(n):
        _stage_rows(b, t, n, r_col, s_col, deps, users, mem, cap_n, free_cols, u_cols)
    matrix = sp.csc_matrix((b.vals, (b.rows, b.cols)), shape=(len(b.row_lower), len(b.cost)))
    return StageModel(
        n, r_col, s_col, np.array(b.cost), np.array(b.lower), np.array(b.upper), np.array(b.integral),
        matrix, np.array(b.row_lower), np.array(b.row_upper), free_cols, u_cols, scale * unit,
    )


def _stage_rows(
    b: _Builder, t: int, n: int, r_col: np.ndarray, s_col: np.ndarray, deps: list[list[int]],
    users: tuple[tuple[int, ...], ...], mem: np.ndarray, cap: float,
    free_cols: list[tuple[int, int, int, int]], u_cols: list[tuple[int, int, int]],
) -> None:
    inf = float("inf")
    computed = [k for k in range(t + 1) if r_col[t, k] >= 0]
    # Dependencies: R[t,k] <= R[t,i] + S[t,i].
    for k in computed:
        for i in deps[k]:
            terms = [(int(r_col[t, k]), 1.0)]
            if r_col[t, i] >= 0:
                terms.append((int(r_col[t, i]), -1.0))
            if s_col[t, i] >= 0:
                terms.append((int(s_col[t, i]), -1.0))
            b.row(terms, -inf, 0.0)
    # Persistence: S[t+1,i] <= S[t,i] + R[t,i].
    if t + 1 < n:
        for i in range(t + 1):
            if s_col[t + 1, i] >= 0:
                terms = [(int(s_col[t + 1, i]), 1.0)]
                if s_col[t, i] >= 0:
                    terms.append((int(s_col[t, i]), -1.0))
                if r_col[t, i] >= 0:
                    terms.append((int(r_col[t, i]), -1.0))
                b.row(terms, -inf, 0.0)
    # Memory: U after each computable node, frees of the previous node's inputs charged before it.
    prev_u = -1
    prev_k = -1
    for k in computed:
        u = b.col(0.0, 0.0, cap, False)
        u_cols.append((u, t, k))
        terms = [(u, 1.0), (int(r_col[t, k]), -float(mem[k]))]
        if prev_u < 0:
            terms += [(int(s_col[t, i]), -float(mem[i])) for i in range(t) if s_col[t, i] >= 0]
        else:
            terms.append((prev_u, -1.0))
            for i in deps[prev_k]:
                f = _free_col(b, t, i, prev_k, n, r_col, s_col, users)
                free_cols.append((f, t, i, prev_k))
                terms.append((f, float(mem[i])))
        b.row(terms, 0.0, 0.0)
        prev_u, prev_k = u, k


def _free_col(
    b: _Builder, t: int, i: int, k: int, n: int, r_col: np.ndarray, s_col: np.ndarray,
    users: tuple[tuple[int, ...], ...],
) -> int:
    """FREE[t,i,k] in [0, 1] with its upper bounds (it may free i only if nothing later needs it)."""
    inf = float("inf")
    f = b.col(0.0, 0.0, 1.0, False)
    b.row([(f, 1.0), (int(r_col[t, k]), -1.0)], -inf, 0.0)
    if t + 1 < n and s_col[t + 1, i] >= 0:
        b.row([(f, 1.0), (int(s_col[t + 1, i]), 1.0)], -inf, 1.0)
    for j in users[i]:
        if k < j <= t and r_col[t, j] >= 0:
            b.row([(f, 1.0), (int(r_col[t, j]), 1.0)], -inf, 1.0)
    return f


def solution_vector(model: StageModel, R: np.ndarray, S: np.ndarray) -> np.ndarray | None:
    """A full column vector for integral R, S (FREE at its largest allowed value, U by recurrence).

    Returns None when R or S uses a pair the model fixes to 0.
    """
    x = np.zeros(model.n_cols)
    if (R & (model.r_col < 0)).any() or (S & (model.s_col < 0)).any():
        return None
    x[model.r_col[R]] = 1.0
    x[model.s_col[S]] = 1.0
    A = model.matrix.tocsr()
    # FREE: its largest value under its own rows (all of the form f + sum(+-x) <= ub).
    at = model.matrix.T.tocsr()
    for col, _t, _i, _k in model.free_cols:
        best = 1.0
        for r in at.indices[at.indptr[col]:at.indptr[col + 1]]:
            lo, hi = A.indptr[r], A.indptr[r + 1]
            other = sum(A.data[p] * x[A.indices[p]] for p in range(lo, hi) if A.indices[p] != col)
            best = min(best, model.row_upper[r] - other)
        x[col] = max(0.0, best)
    # U: each U row is an equality U - (others) = 0, rows in creation order follow stage order.
    for col, _t, _k in model.u_cols:
        for r in at.indices[at.indptr[col]:at.indptr[col + 1]]:
            lo, hi = A.indptr[r], A.indptr[r + 1]
            if model.row_lower[r] == 0.0 == model.row_upper[r] and A.data[list(A.indices[lo:hi]).index(col) + lo] == 1.0:
                x[col] = -sum(A.data[p] * x[A.indices[p]] for p in range(lo, hi) if A.indices[p] != col)
                break
    return x


def decode_vector(model: StageModel, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """R and S (boolean, n x n) from a solution vector."""
    R = np.zeros((model.n, model.n), dtype=bool)
    S = np.zeros((model.n, model.n), dtype=bool)
    mask_r = model.r_col >= 0
    mask_s = model.s_col >= 0
    R[mask_r] = x[model.r_col[mask_r]] > 0.5
    S[mask_s] = x[model.s_col[mask_s]] > 0.5
    return R, S
