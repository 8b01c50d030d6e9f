"""Stage matrices (Checkmate's R and S) and their decoding into a step list.

Stage t computes the frontier node t (``R[t, t] = 1``) and whatever it must recompute first.
``R[t, i]``: node i is computed in stage t. ``S[t, i]``: buffer i is resident at the start of stage t
(a checkpoint). Every stage-based solver decodes through :func:`decode_stages`, so all of them share
one memory convention (see :mod:`core.simulate`).
"""

from __future__ import annotations

import numpy as np

from core.graph import TrainingGraph
from core.problem import SchedulingProblem
from core.schedule import Compute, Free, Schedule, Step


def last_uses(graph: TrainingGraph) -> np.ndarray:
    """``last[i]``: the largest id of a node reading i (i itself when nothing reads it)."""
    last = np.arange(len(graph.nodes))
    for node in graph.nodes:
        for dep in node.deps:
            last[dep] = max(last[dep], node.id)
    return last


def plain_stages(graph: TrainingGraph) -> tuple[np.ndarray, np.ndarray]:
    """R and S of the plain order: each node once, every buffer kept until its last reader."""
    n = len(graph.nodes)
    R = np.eye(n, dtype=bool)
    last = last_uses(graph)
    t = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    S = (i < t) & (last[None, :] >= t)
    return R, S


def closed_form_r(graph: TrainingGraph, S: np.ndarray) -> np.ndarray:
    """The cheapest R for a given S (Checkmate's ``solve_r_opt``).

    Start from the frontier (R = I); compute in stage t every node that becomes a checkpoint of
    stage t + 1 without being one in stage t; then scan each stage backwards and compute every
    dependency of a computed node that is not a checkpoint of that stage.
    """
    T, n = S.shape
    R = np.zeros((T, n), dtype=bool)
    R[np.arange(T), np.arange(T)] = True
    R[:-1] |= S[1:] & ~S[:-1]
    for t in range(T):
        for k in range(t, -1, -1):
            if R[t, k]:
                for dep in graph.nodes[k].deps:
                    if not S[t, dep]:
                        R[t, dep] = True
    return R


def decode_stages(
    problem: SchedulingProblem,
    R: np.ndarray,
    S: np.ndarray,
    device: int = 0,
    *,
    free_own_output: bool = True,
) -> Schedule:
    """Turn stage matrices into Compute/Free steps on one device.

    Within stage t nodes run in id order. A buffer is freed right after the last node of the stage
    that reads it, unless it is a checkpoint of stage t + 1; a node's own output is freed right after
    it runs when nothing later in the stage reads it and it is not kept (``free_own_output``).
    Checkpoints no longer needed are freed at the start of the stage, and anything left that is not a
    checkpoint of the next stage is freed at its end. Computing a buffer that is already resident is
    skipped (it would cost nothing in the MILP only for zero-cost nodes).
    """
    graph = problem.graph
    memory = problem.device_memory[device]
    T = R.shape[0]
    steps: list[Step] = []
    resident: set[int] = set()
    for t in range(T):
        keep_next = S[t + 1] if t + 1 < T else np.zeros(R.shape[1], dtype=bool)
        computed = [int(k) for k in np.flatnonzero(R[t])]
        last_reader: dict[int, int] = {}
        for k in computed:
            for dep in graph.nodes[k].deps:
                last_reader[dep] = k
        for buf in sorted(resident):
            if buf not in last_reader and not keep_next[buf] and buf not in computed:
                steps.append(Free(buf, memory))
                resident.discard(buf)
        for k in computed:
            if k in resident:
                continue
            steps.append(Compute(k, device))
            resident.add(k)
            dead = [d for d in dict.fromkeys(graph.nodes[k].deps) if last_reader.get(d) == k]
            if free_own_output and k not in last_reader:
                dead.append(k)
            for buf in dead:
                if buf in resident and not keep_next[buf]:
                    steps.append(Free(buf, memory))
                    resident.discard(buf)
        for buf in sorted(resident):
            if not keep_next[buf]:
                steps.append(Free(buf, memory))
                resident.discard(buf)
    return Schedule(tuple(steps))


def stage_cost(problem: SchedulingProblem, R: np.ndarray, device: int = 0) -> float:
    """Sum of compute times of every R entry on ``device`` (the stage MILP's objective)."""
    return float((R * problem.costs.compute_time_s[:, device][None, :]).sum())
