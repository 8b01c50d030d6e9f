"""Stage solutions of the several-device MILP -> Compute/Copy/Free steps the simulator replays.

The step order is the model's: stage by stage; within a stage, position by position (node ids);
at position k the computes of node k, then the copies of buffer k, then the frees of every buffer
whose last touch in its memory was at k and that is not kept for the next stage. A buffer nobody
touches in a stage and that is not kept is freed at the start of the stage. So every memory holds at
most what the model's U rows count, and the serial time is the model's objective exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.problem import Objective, SchedulingProblem
from core.schedule import Compute, Copy, Free, Schedule, Step
from solvers.multidevice.arrays import MultiDeviceMilp


@dataclass(frozen=True, eq=False)
class StagePlan:
    """Boolean stage matrices: R (devices, T, n), S (memories, T, n), X (links, T, n), and the remote
    reads Y as ``(link, stage, reader, input)`` tuples."""

    R: np.ndarray
    S: np.ndarray
    X: np.ndarray
    Y: frozenset[tuple[int, int, int, int]] = frozenset()
    #: ``(owner node, memory)``: where each operator's weights live (problems that place them).
    placement: tuple[tuple[int, int], ...] = ()


def plan_from_vector(milp: MultiDeviceMilp, x: np.ndarray) -> StagePlan:
    """Round a solver's column vector to the boolean stage matrices."""
    def pick(index: np.ndarray) -> np.ndarray:
        values = np.where(index >= 0, x[np.maximum(index, 0)], 0.0)
        return values > 0.5

    reads = frozenset((int(link), int(t), int(k), int(i)) for col, link, t, k, i in milp.reads if x[col] > 0.5)
    placement = tuple(sorted((int(o), int(m)) for col, m, o in milp.weights if x[col] > 0.5))
    return StagePlan(pick(milp.R), pick(milp.S), pick(milp.X), reads, placement)


def plan_objective(problem: SchedulingProblem, plan: StagePlan) -> float:
    """Compute plus copy cost of ``plan`` in the problem's units (what the simulator measures)."""
    if problem.objective is Objective.ENERGY:
        costs = problem.costs
        total = _compute_and_copies(plan, costs.compute_energy_j, costs.copy_energy_j)
        return total + sum(float(costs.copy_energy_j[link, i]) for link, _t, _k, i in plan.Y)
    return plan_serial_time(problem, plan)


def plan_serial_time(problem: SchedulingProblem, plan: StagePlan) -> float:
    costs = problem.costs
    total = _compute_and_copies(plan, costs.compute_time_s, costs.copy_time_s)
    return total + sum(costs.read_time(link, k, i) for link, _t, k, i in plan.Y)


def _compute_and_copies(plan: StagePlan, compute: np.ndarray, copy: np.ndarray) -> float:
    total = sum(float(compute[i, d]) for d, _t, i in zip(*np.nonzero(plan.R), strict=True))
    total += sum(float(copy[link, i]) for link, _t, i in zip(*np.nonzero(plan.X), strict=True))
    return total


def decode_plan(problem: SchedulingProblem, plan: StagePlan) -> Schedule:
    """Turn ``plan`` into a step list (see the module docstring for the order)."""
    links = {link: pair for pair, link in problem.link_index.items()}
    steps: list[Step] = []
    resident: list[set[int]] = [set() for _ in range(problem.n_memories)]
    T = plan.R.shape[1]
    reads: dict[tuple[int, int, int], list[tuple[int, int]]] = {}
    for read_link, t, k, i in sorted(plan.Y):
        src, dst = links[read_link]
        reads.setdefault((t, k, dst), []).append((i, src))
    for t in range(T):
        keep = plan.S[:, t + 1] if t + 1 < T else np.zeros_like(plan.S[:, 0])
        last = _last_touches(problem, plan, t, links)
        dies_at: dict[int, list[tuple[int, int]]] = {}
        for key, position in sorted(last.items()):
            dies_at.setdefault(position, []).append(key)
        for m, bufs in enumerate(resident):
            for buf in sorted(bufs):
                if (m, buf) not in last and not keep[m, buf]:
                    steps.append(Free(buf, m))
                    bufs.discard(buf)
        for k in range(t + 1):
            for d in np.flatnonzero(plan.R[:, t, k]):
                memory = problem.device_memory[int(d)]
                steps.append(Compute(k, int(d), tuple(reads.get((t, k, memory), ()))))
                resident[memory].add(k)
            for link in np.flatnonzero(plan.X[:, t, k]):
                src, dst = links[int(link)]
                steps.append(Copy(k, src, dst))
                resident[dst].add(k)
            for m, buf in dies_at.get(k, ()):
                if buf in resident[m] and not keep[m, buf]:
                    steps.append(Free(buf, m))
                    resident[m].discard(buf)
        for m, bufs in enumerate(resident):
            for buf in sorted(bufs):
                if not keep[m, buf]:
                    steps.append(Free(buf, m))
                    bufs.discard(buf)
    return Schedule(tuple(steps), plan.placement)


def _last_touches(
    problem: SchedulingProblem, plan: StagePlan, t: int, links: dict[int, tuple[int, int]]
) -> dict[tuple[int, int], int]:
    """``(memory, buffer) -> last position`` in stage t at which the buffer arrives or is read there."""
    last: dict[tuple[int, int], int] = {}
    for k in range(t + 1):
        for d in np.flatnonzero(plan.R[:, t, k]):
            m = problem.device_memory[int(d)]
            last[(m, k)] = k
            for dep in problem.graph.nodes[k].deps:
                last[(m, dep)] = k
        for link in np.flatnonzero(plan.X[:, t, k]):
            src, dst = links[int(link)]
            last[(src, k)] = k
            last[(dst, k)] = max(last.get((dst, k), k), k)
    for read_link, stage, reader, i in plan.Y:
        if stage == t:
            src = links[read_link][0]
            last[(src, i)] = max(last.get((src, i), reader), reader)
    return last
