"""Schedules -> stage plans -> full column vectors of the MILP (warm starts).

A step list is encodable when nodes are first computed in id order (the frontier), when no node is
computed twice into one memory within a stage, and when every copy reads a buffer that was resident
at the start of the stage or computed into the source memory in it. The column vector is then checked
against every row; a warm start the model would reject is dropped (with a log line), never forced.
"""

from __future__ import annotations

import logging
import math

import numpy as np

from core.problem import SchedulingProblem
from core.schedule import Copy, Free, Schedule
from core.simulate import parameter_placement
from core.stages import last_uses
from solvers.multidevice.arrays import MultiDeviceMilp
from solvers.multidevice.decode import StagePlan

log = logging.getLogger(__name__)

#: Row activity tolerance when checking a warm start.
FEASIBILITY_TOL = 1e-6


def plan_from_schedule(problem: SchedulingProblem, schedule: Schedule) -> StagePlan | None:
    """Stage matrices of ``schedule``, or None when it does not fit the frontier-advancing form.

    Stage t runs from the step after node t-1's first compute (and the copies of t-1 that follow
    it) to node t's first compute; checkpoints are what is resident when stage t starts.
    """
    n, D, M = problem.n_nodes, problem.n_devices, problem.n_memories
    R = np.zeros((D, n, n), dtype=bool)
    S = np.zeros((M, n, n), dtype=bool)
    X = np.zeros((len(problem.link_index), n, n), dtype=bool)
    Y: set[tuple[int, int, int, int]] = set()
    resident: list[set[int]] = [set() for _ in range(M)]
    stage, just_advanced = 0, False
    for step in schedule.steps:
        if isinstance(step, Free):
            resident[step.memory].discard(step.node)
            continue
        if isinstance(step, Copy) and just_advanced and step.node == stage - 1:
            X[problem.link_index[(step.src, step.dst)], stage - 1, step.node] = True
            resident[step.dst].add(step.node)
            continue
        if stage >= n:
            return None
        if just_advanced:
            for m in range(M):
                S[m, stage, sorted(resident[m])] = True
            just_advanced = False
        if isinstance(step, Copy):
            if step.node >= stage:
                return None
            X[problem.link_index[(step.src, step.dst)], stage, step.node] = True
            resident[step.dst].add(step.node)
            continue
        memory = problem.device_memory[step.device]
        same_memory = [d for d in range(D) if problem.device_memory[d] == memory]
        if step.node > stage or R[same_memory, stage, step.node].any():
            return None
        R[step.device, stage, step.node] = True
        resident[memory].add(step.node)
        Y.update((problem.link_index[(src, memory)], stage, step.node, dep) for dep, src in step.remote)
        if step.node == stage:
            stage, just_advanced = stage + 1, True
    if stage != n:
        return None
    placement = tuple(sorted(parameter_placement(problem, schedule).items()))
    return StagePlan(R, S, X, frozenset(Y), placement)


def plain_plan(problem: SchedulingProblem, device: int) -> StagePlan:
    """Every node once on ``device``, each buffer kept until its last reader (no recomputation)."""
    n = problem.n_nodes
    R = np.zeros((problem.n_devices, n, n), dtype=bool)
    S = np.zeros((problem.n_memories, n, n), dtype=bool)
    R[device] = np.eye(n, dtype=bool)
    last = last_uses(problem.graph)
    t = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    S[problem.device_memory[device]] = (i < t) & (last[None, :] >= t)
    owners = sorted({o for o in problem.parameter_owner if o is not None}) if problem.place_parameters else []
    placement = tuple((o, problem.device_memory[device]) for o in owners)
    return StagePlan(R, S, np.zeros((len(problem.link_index), n, n), dtype=bool), placement=placement)


def vector_from_plan(problem: SchedulingProblem, milp: MultiDeviceMilp, plan: StagePlan) -> np.ndarray | None:
    """The full column vector of ``plan`` (FREE and U derived), or None when a row rejects it."""
    x = np.zeros(milp.n_cols)
    for index, value in ((milp.R, plan.R), (milp.S, plan.S), (milp.X, plan.X)):
        if (value & (index < 0)).any():
            return None
        x[index[value]] = 1.0
    read_cols = {(int(link), int(t), int(k), int(i)): int(col) for col, link, t, k, i in milp.reads}
    if not plan.Y.issubset(read_cols):
        return None
    x[[read_cols[key] for key in plan.Y]] = 1.0
    if not _set_weights(problem, milp, plan, x):
        return None
    _fill_frees(problem, milp, plan, x)
    _fill_usage(problem, milp, x)
    activity = milp.matrix @ x
    ok_rows = (activity >= milp.row_lower - FEASIBILITY_TOL) & (activity <= milp.row_upper + FEASIBILITY_TOL)
    ok_cols = (x >= milp.col_lower - FEASIBILITY_TOL) & (x <= milp.col_upper + FEASIBILITY_TOL)
    if not ok_rows.all() or not ok_cols.all():
        bad = [name for name, a, b in milp.families if not ok_rows[a:b].all()]
        log.info("warm start rejected by rows: %s", ", ".join(bad) or "column bounds")
        return None
    return x


def _set_weights(problem: SchedulingProblem, milp: MultiDeviceMilp, plan: StagePlan, x: np.ndarray) -> bool:
    """P and Q of ``plan``'s placement; False when it places weights where the model cannot."""
    if not len(milp.weights):
        return True
    columns = {(int(m), int(o)): int(col) for col, m, o in milp.weights}
    for owner, memory in plan.placement:
        if (memory, owner) not in columns:
            return False
        x[columns[(memory, owner)]] = 1.0
        use = int(milp.weight_use[memory])
        x[use] += math.ceil(problem.graph.nodes[owner].param_state_bytes / milp.byte_unit)
    return True


def _fill_frees(problem: SchedulingProblem, milp: MultiDeviceMilp, plan: StagePlan, x: np.ndarray) -> None:
    users = problem.graph.users
    members = [np.array([problem.device_memory[d] == m for d in range(problem.n_devices)])
               for m in range(problem.n_memories)]
    arrive_link = {m: [k for (s, d), k in problem.link_index.items() if d == m] for m in range(problem.n_memories)}
    source = {link: src for (src, _dst), link in problem.link_index.items()}
    # (memory holding the buffer, stage, reader, buffer) of every remote read.
    remote = {(source[link], t, k, i) for link, t, k, i in plan.Y}
    n = problem.n_nodes
    for col, m, t, i, j in milp.frees:
        computed = plan.R[members[m], t]
        arrived = computed[:, i].any() or plan.X[arrive_link[m], t, i].any()
        if j == i:
            touched = arrived
        else:
            # A reader in m may have read i remotely: only a buffer that is here is freed here.
            here = arrived or (t > i and plan.S[m, t, i])
            touched = here and (computed[:, j].any() or (m, t, j, i) in remote)
        kept = t + 1 < n and plan.S[m, t + 1, i]
        later = any(computed[:, u].any() or (m, t, u, i) in remote for u in users[i] if j < u <= t)
        x[col] = 1.0 if touched and not kept and not later else 0.0


def _fill_usage(problem: SchedulingProblem, milp: MultiDeviceMilp, x: np.ndarray) -> None:
    """Solve each U row for its U column, position by position (the rows are a recurrence)."""
    A = milp.matrix.tocsc()
    for m, t, k in zip(*np.nonzero(milp.U >= 0), strict=True):
        col = int(milp.U[m, t, k])
        row = int(A.indices[A.indptr[col]:A.indptr[col + 1]][0])
        x[col] = 0.0
        start, stop = milp.matrix.indptr[row], milp.matrix.indptr[row + 1]
        cols, vals = milp.matrix.indices[start:stop], milp.matrix.data[start:stop]
        x[col] = -float(vals @ x[cols])
