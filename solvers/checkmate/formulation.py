"""The Checkmate stage MILP on one device, tightened (FORMULATIONS.md section 1; no solver library here).

Same decisions as the published model (:mod:`solvers.checkmate.published`): ``R[t,i]`` node i is
computed in stage t, ``S[t,i]`` buffer i is a checkpoint at the start of stage t, frontier-advancing
stages (``R[t,t] = 1``, nothing above the frontier), ``U[t,k]`` memory in use after computing k. Memory
convention (the simulator's and :func:`core.stages.decode_stages`'): node k's output is allocated
while its inputs are resident and the budget is checked then; the inputs k was the last reader of
in its stage are freed after it, which is charged when the next node of the stage is allocated.

Changes that keep the optimum and shrink the model:

1. ``FREE[t,i,k]`` is continuous with only its upper bounds, disaggregated: ``FREE <= R[t,k]``,
   ``FREE <= 1 - S[t+1,i]``, ``FREE <= 1 - R[t,j]`` for every later reader j of i in the stage.
   Freeing less than allowed only overstates memory, so for integral R, S a FREE vector exists
   exactly when the true memory fits; the published ``kappa`` rows and every FREE binary go. (The LP
   is at least as tight: ``1 - R[t,j]`` for each j is stronger than ``1 - sum_j R[t,j] / kappa``.)
2. Pairs no optimum needs are left out (:mod:`solvers.checkmate.reduce`): ``R[t,i]`` and ``S[t,i]``
   after the last stage that can read i, ``R[t,i]`` of nodes that are never recomputed, and the
   checkpoints those nodes must be are fixed to 1 (their dependency rows go).
3. ``U`` rows exist only where a node can be computed (between two computations memory only falls);
   ``FREE`` columns only where a free is possible (not for a kept checkpoint or an input of the
   frontier node, which is computed last in its stage).

4. One valid inequality per stage that the LP does not imply (``carry``, see :func:`_carry`).

Frees of a node's *own* output are not modelled: in an optimum every non-frontier node computed in a
stage is read later in it or kept, and the frontier node is last, so the decoder's extra frees never
change a budget check there (the model's memory is the decoder's in every optimum, and never below it).

Optional restriction ``recomputable`` (a mask): only those nodes may be recomputed. It changes the
optimum in general; :mod:`solvers.checkmate.pipeline` uses it only where it provably does not.
"""

from __future__ import annotations

import numpy as np

from solvers.checkmate.model import ModelBuilder, StageModel, memory_limit, memory_scale
from solvers.checkmate.reduce import Instance, forced_until, last_read, recompute_mask

INF = float("inf")


def build_stage_model(instance: Instance, recomputable: np.ndarray | None = None) -> StageModel:
    """The tightened stage model of ``instance`` (see the module docstring)."""
    mask = recompute_mask(instance)
    if recomputable is not None:
        mask &= np.asarray(recomputable, dtype=bool)
    last = last_read(instance, mask)
    until = forced_until(instance, mask)
    b = ModelBuilder(instance.n)
    _columns(b, instance, mask, last, until)
    first = len(b.row_lower)
    _dependencies(b, instance, until)
    b.close_family("dependencies: R[t,k] <= R[t,i] + S[t,i]", first)
    first = len(b.row_lower)
    _persistence(b, instance, until)
    b.close_family("persistence: S[t+1,i] <= S[t,i] + R[t,i]", first)
    scale = memory_scale(instance.capacity)
    mem = instance.sizes / scale
    limit = memory_limit(instance.capacity, scale)
    first = len(b.row_lower)
    frees = [_free_columns(b, instance, t, until) for t in range(instance.n)]
    b.close_family("free bounds: FREE <= R[t,k], 1 - S[t+1,i], 1 - R[t,j]", first)
    first = len(b.row_lower)
    for t in range(instance.n):
        _memory(b, instance, t, frees[t], mem, limit, scale)
    b.close_family("memory: U[t,k] = U[t,prev] + M_k R[t,k] - sum M_i FREE[t,i,prev] <= budget", first)
    first = len(b.row_lower)
    for t in range(instance.n - 1):
        _carry(b, instance, t, mem, limit, scale)
    b.close_family("carry: M_t + sum_{deps(t)} M_i + sum_{i<t, other} M_i S[t+1,i] <= budget", first)
    return b.finish(mem, scale, "tightened")


#: Stage models beyond this many columns are not built (about 10 s and 3 million rows in Python).
MAX_COLUMNS = 1_000_000
#: Seconds per column to build a stage model in Python (measured: ResNet50, 140,000 columns in 2 s).
BUILD_S_PER_COLUMN = 1.5e-5


def estimated_columns(instance: Instance, recomputable: np.ndarray | None = None) -> int:
    """About how many columns :func:`build_stage_model` makes (an upper estimate, computed in O(n + E))."""
    mask = recompute_mask(instance)
    if recomputable is not None:
        mask &= np.asarray(recomputable, dtype=bool)
    span = last_read(instance, mask) - np.arange(instance.n)
    recomputed = np.where(mask, span, 0)
    inputs = np.array([len(d) for d in instance.deps])
    return int(instance.n + 2 * recomputed.sum() + span.sum() + (recomputed * inputs).sum() + instance.n)


def _columns(b: ModelBuilder, inst: Instance, mask: np.ndarray, last: np.ndarray, until: np.ndarray) -> None:
    for t in range(inst.n):
        # Frontier: R[t,t] = 1 (kept as a fixed column so that R decodes uniformly).
        b.R[t, t] = b.col(float(inst.costs[t]), 1.0, 1.0, True)
        for i in range(t):
            if mask[i] and last[i] >= t:
                b.R[t, i] = b.col(float(inst.costs[i]), 0.0, 1.0, True)
            if last[i] >= t:
                b.S[t, i] = b.col(0.0, 1.0 if until[i] >= t else 0.0, 1.0, True)


def _dependencies(b: ModelBuilder, inst: Instance, until: np.ndarray) -> None:
    for t in range(inst.n):
        for k in np.flatnonzero(b.R[t] >= 0):
            for i in inst.deps[k]:
                if until[i] >= t:
                    continue  # a fixed checkpoint: the row holds trivially
                terms = [(int(b.R[t, k]), 1.0), (int(b.S[t, i]), -1.0)]
                if b.R[t, i] >= 0:
                    terms.append((int(b.R[t, i]), -1.0))
                b.row(terms, -INF, 0.0)


def _persistence(b: ModelBuilder, inst: Instance, until: np.ndarray) -> None:
    for t in range(inst.n - 1):
        for i in np.flatnonzero(b.S[t + 1] >= 0):
            if i == t or until[i] >= t + 1:
                continue  # computed in this stage as its frontier, or a fixed checkpoint throughout
            terms = [(int(b.S[t + 1, i]), 1.0), (int(b.S[t, i]), -1.0)]
            if b.R[t, i] >= 0:
                terms.append((int(b.R[t, i]), -1.0))
            b.row(terms, -INF, 0.0)


def _free_columns(
    b: ModelBuilder, inst: Instance, t: int, until: np.ndarray
) -> dict[int, list[tuple[int, int]]]:
    """``FREE[t,i,k]`` for every computable k < t and input i that may die after it: k -> [(col, i)]."""
    after: dict[int, list[tuple[int, int]]] = {}
    for k in np.flatnonzero(b.R[t, :t] >= 0):
        for i in inst.deps[k]:
            if until[i] >= t + 1 or t in inst.users[i]:
                continue  # kept for the next stage, or read by the frontier node after k
            f = b.col(0.0, 0.0, 1.0, False)
            b.frees.append((f, t, i, int(k)))
            after.setdefault(int(k), []).append((f, i))
            b.row([(f, 1.0), (int(b.R[t, k]), -1.0)], -INF, 0.0)
            if t + 1 < inst.n and b.S[t + 1, i] >= 0:
                b.row([(f, 1.0), (int(b.S[t + 1, i]), 1.0)], -INF, 1.0)
            for j in inst.users[i]:
                if k < j <= t and b.R[t, j] >= 0:
                    b.row([(f, 1.0), (int(b.R[t, j]), 1.0)], -INF, 1.0)
    return after


def _memory(
    b: ModelBuilder, inst: Instance, t: int, frees_after: dict[int, list[tuple[int, int]]], mem: np.ndarray,
    limit: float, scale: float,
) -> None:
    prev_u = -1
    prev_k = -1
    for k in np.flatnonzero(b.R[t] >= 0):
        u = b.col(0.0, 0.0, limit, False)
        b.memory.append((u, t, int(k)))
        terms = [(u, 1.0), (int(b.R[t, k]), -float(mem[k]))]
        if prev_u < 0:
            terms += [(int(b.S[t, i]), -float(mem[i])) for i in np.flatnonzero(b.S[t] >= 0)]
        else:
            terms.append((prev_u, -1.0))
            terms += [(f, float(mem[i])) for f, i in frees_after.get(prev_k, [])]
        b.row(terms, 0.0, 0.0)
        if inst.extra[k] > 0:
            # A fused node also holds its intermediate buffers while it runs.
            b.row([(u, 1.0), (int(b.R[t, k]), float(inst.extra[k]) / scale)], -INF, limit)
        prev_u, prev_k = u, int(k)


def _carry(b: ModelBuilder, inst: Instance, t: int, mem: np.ndarray, limit: float, scale: float) -> None:
    """When the frontier node t is allocated, its inputs and every checkpoint of stage t + 1 are resident.

    Valid for every integral solution (a checkpoint i < t of stage t + 1 was computed before t or held
    since the stage began, and is not freed), and not implied by the LP of the other rows: a half
    checkpoint there may be half freed before t. It tightens the LP bound (random layered n=100 at
    80 %: 48,275 -> 48,347 of the optimum 48,866) and cut HiGHS's solve from 112 s to 34 s.
    """
    deps = set(inst.deps[t])
    held = float(mem[t]) + sum(float(mem[i]) for i in deps) + float(inst.extra[t]) / scale
    terms = []
    for i in np.flatnonzero(b.S[t + 1, :t] >= 0):
        if i in deps:
            continue
        if b.lower[int(b.S[t + 1, i])] >= 1.0:
            held += float(mem[i])  # a fixed checkpoint
        else:
            terms.append((int(b.S[t + 1, i]), float(mem[i])))
    if terms:
        b.row(terms, -INF, limit - held)


def solution_vector(model: StageModel, deps: tuple[tuple[int, ...], ...], R: np.ndarray,
                    S: np.ndarray) -> np.ndarray | None:
    """A full column vector for integral ``R``, ``S``: FREE where the decoder frees, U by recurrence.

    Returns None when ``R`` or ``S`` uses a pair the model leaves out or fixes otherwise, or when the
    memory it implies does not fit the model's rows (then it is no start for this model).
    """
    if (R & (model.R < 0)).any() or (S & (model.S < 0)).any():
        return None
    x = np.zeros(model.n_cols)
    x[model.R[R]] = 1.0
    x[model.S[S]] = 1.0
    if (x < model.col_lower - 1e-9).any():
        return None
    for f, t, i, k in model.frees:
        later = any(R[t, j] and i in deps[j] for j in range(k + 1, t + 1))
        kept = t + 1 < model.n and S[t + 1, i]
        x[f] = 1.0 if R[t, k] and not kept and not later else 0.0
    _fill_memory(model, x, R, S)
    if (x > model.col_upper + 1e-9).any():
        return None
    return x


def _fill_memory(model: StageModel, x: np.ndarray, R: np.ndarray, S: np.ndarray) -> None:
    """``U`` columns by the memory recurrence of :func:`_memory`."""
    freed: dict[tuple[int, int], float] = {}
    for f, t, i, k in model.frees:
        freed[(int(t), int(k))] = freed.get((int(t), int(k)), 0.0) + x[f] * model.mem[i]
    prev_t, prev_k, used = -1, -1, 0.0
    for u, t, k in model.memory:
        if t != prev_t:
            used = float(model.mem[S[t]].sum())
        else:
            used -= freed.get((int(t), prev_k), 0.0)
        used += model.mem[k] * R[t, k]
        x[u] = used
        prev_t, prev_k = int(t), int(k)
