"""Independent exhaustive searches for tiny one-device problems (FORMULATIONS.md section 6.4).

Both count memory exactly as :mod:`core.simulate` does (a node's output is allocated while its inputs
are resident, the budget is checked then) and share no code with the solvers.

* :func:`stage_optimum`: the Checkmate schedule class. Stage t computes a set C of earlier nodes again
  and then node t for the first time, all in id order; the state between stages is the set of
  checkpoints. A dynamic programme over (stage, checkpoint set) tries every C and every next
  checkpoint set, with frees as early as possible (after a buffer's last reader in the stage).
* :func:`unrestricted_optimum`: every sequence of compute and free steps (Dijkstra over
  (computed at least once, resident) states); ``first_in_order`` makes first computations follow ids.
"""

from __future__ import annotations

import heapq
import itertools

import numpy as np

from core.problem import SchedulingProblem


class _Tiny:
    """The problem's data as plain lists (device 0, memory 0)."""

    def __init__(self, problem: SchedulingProblem) -> None:
        graph = problem.graph
        self.n = len(graph.nodes)
        self.deps = [sorted(set(node.deps)) for node in graph.nodes]
        self.size = [node.size_bytes for node in graph.nodes]
        self.cost = [float(c) for c in problem.costs.compute_time_s[:, 0]]
        self.room = problem.budgets_bytes[0] - problem.static_bytes[0]
        reach = list(range(self.n))
        for i in range(self.n - 1, -1, -1):
            for j in range(i + 1, self.n):
                if i in self.deps[j]:
                    reach[i] = max(reach[i], reach[j])
        #: Largest id among i and its descendants: after that stage nothing can need buffer i.
        self.reach = reach


def _subsets(items: list[int]) -> list[frozenset[int]]:
    return [frozenset(c) for r in range(len(items) + 1) for c in itertools.combinations(items, r)]


def _stage_fits(p: _Tiny, t: int, start: frozenset[int], redo: frozenset[int], keep: frozenset[int]) -> bool:
    """Whether stage t (checkpoints ``start``, recomputing ``redo``, keeping ``keep``) fits the budget."""
    order = [*sorted(redo), t]
    readers: dict[int, int] = {}
    for k in order:
        for d in p.deps[k]:
            readers[d] = k
    resident = {b for b in start if b in readers or b in keep}
    for k in order:
        if any(d not in resident for d in p.deps[k]):
            return False
        if sum(p.size[b] for b in resident) + p.size[k] > p.room:
            return False
        resident.add(k)
        for b in [*p.deps[k], k]:
            # Last reader in this stage (or, for k itself, no reader after it) and not kept.
            if readers.get(b, k) == k and b not in keep:
                resident.discard(b)
    return True


def stage_optimum(problem: SchedulingProblem) -> float | None:
    """Least serial time over the stage schedule class, or None when no stage schedule fits."""
    p = _Tiny(problem)
    layer: dict[frozenset[int], float] = {frozenset(): 0.0}
    for t in range(p.n):
        nxt: dict[frozenset[int], float] = {}
        for start, cost in layer.items():
            for redo in _subsets([i for i in range(t) if i not in start]):
                stage_cost = cost + sum(p.cost[i] for i in redo) + p.cost[t]
                useful = [b for b in sorted(start | redo | {t}) if p.reach[b] >= t + 1]
                for keep in _subsets(useful):
                    if stage_cost < nxt.get(keep, np.inf) and _stage_fits(p, t, start, redo, keep):
                        nxt[keep] = stage_cost
        layer = nxt
    return min(layer.values(), default=None)


def unrestricted_optimum(problem: SchedulingProblem, *, first_in_order: bool = False) -> float | None:
    """Least serial time over all compute/free step sequences, or None when nothing fits."""
    p = _Tiny(problem)
    everything = (1 << p.n) - 1
    start = (0, 0)  # (computed at least once, resident), as bit masks
    best = {start: 0.0}
    queue = [(0.0, start)]
    while queue:
        cost, (done, resident) = heapq.heappop(queue)
        if done == everything:
            return cost
        if cost > best[(done, resident)]:
            continue
        used = sum(p.size[b] for b in range(p.n) if resident >> b & 1)
        moves = [((done, resident & ~(1 << b)), 0.0) for b in range(p.n) if resident >> b & 1]
        for k in range(p.n):
            if resident >> k & 1 or any(not resident >> d & 1 for d in p.deps[k]):
                continue
            if first_in_order and not done >> k & 1 and done != (1 << k) - 1:
                continue
            if used + p.size[k] <= p.room:
                moves.append(((done | 1 << k, resident | 1 << k), p.cost[k]))
        for state, step in moves:
            if cost + step < best.get(state, np.inf):
                best[state] = cost + step
                heapq.heappush(queue, (cost + step, state))
    return None
