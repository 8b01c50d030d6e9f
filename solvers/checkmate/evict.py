"""A fast eviction heuristic: run the nodes in id order, evict by look-ahead, rematerialize on demand.

One of the exact pipeline's first incumbents: its schedules are in the stage form (frontier nodes in
id order, recomputations of a stage in id order before its frontier). Each frontier node k is made
runnable by recomputing (recursively) whatever of its inputs was evicted; when memory is short, the
resident buffer with the smallest ``recompute cost / (bytes * distance to its next use)`` is evicted
(Belady's rule weighted by cost, as in DTR). Buffers no later frontier node reads are freed after
each frontier node. The schedule is valid by construction and checked by the simulator anyway.
"""

from __future__ import annotations

import math
import time

import numpy as np

from core.graph import TrainingGraph
from core.schedule import Compute, Free, Schedule, Step


class _OutOfTime(Exception):
    pass


class _OutOfMemory(Exception):
    """Nothing left to evict while making ``frontier`` runnable; ``missing``: what it had to rebuild."""

    def __init__(self, frontier: int, missing: frozenset[int]) -> None:
        super().__init__(frontier)
        self.frontier, self.missing = frontier, missing


class _Evictor:
    def __init__(self, graph: TrainingGraph, costs: np.ndarray, capacity: int, device: int, memory: int,
                 size_power: float, sticky: frozenset[int] = frozenset()) -> None:
        self.sticky = sticky
        self.deps = [sorted(set(node.deps)) for node in graph.nodes]
        self.size = [node.size_bytes for node in graph.nodes]
        self.costs, self.capacity, self.device, self.memory = costs, capacity, device, memory
        self.size_power = size_power
        self.readers = graph.users  # ascending ids
        self.resident: set[int] = set()
        self.pinned: dict[int, int] = {}
        self.used = 0
        self.steps: list[Step] = []
        self.frontier = 0

    def next_use(self, i: int) -> int:
        for j in self.readers[i]:
            if j >= self.frontier:
                return j
        return len(self.size) + 1

    def score(self, i: int) -> float:
        rebuild = self.costs[i] + sum(self.costs[d] for d in self.deps[i] if d not in self.resident)
        distance = max(self.next_use(i) - self.frontier, 1)
        return float(rebuild) / (max(self.size[i], 1) ** self.size_power * distance)

    def free(self, i: int) -> None:
        self.resident.discard(i)
        self.used -= self.size[i]
        self.steps.append(Free(i, self.memory))

    def make_room(self, need: int) -> None:
        while self.used + need > self.capacity:
            candidates = [i for i in self.resident if not self.pinned.get(i) and i not in self.sticky]
            if not candidates:
                candidates = [i for i in self.resident if not self.pinned.get(i)]
            if not candidates:
                raise _OutOfMemory(self.frontier, self.missing(self.frontier))
            self.free(min(candidates, key=self.score))

    def missing(self, k: int) -> frozenset[int]:
        """The ancestors of k that are not resident, down to the first resident ones."""
        found: set[int] = set()
        stack = [d for d in self.deps[k] if d not in self.resident]
        while stack:
            m = stack.pop()
            if m not in found:
                found.add(m)
                stack.extend(d for d in self.deps[m] if d not in self.resident)
        return frozenset(found)

    def ensure(self, k: int) -> None:
        """Make k resident: recompute its missing ancestors in id order, each pinned until consumed."""
        need: set[int] = set()
        stack = [k]
        while stack:
            m = stack.pop()
            if m in self.resident or m in need:
                continue
            need.add(m)
            stack.extend(self.deps[m])
        order = sorted(need)
        for m in order:
            for d in self.deps[m]:
                self.pinned[d] = self.pinned.get(d, 0) + 1
        for m in order:
            self.make_room(self.size[m])
            self.steps.append(Compute(m, self.device))
            self.resident.add(m)
            self.used += self.size[m]
            for d in self.deps[m]:
                self.pinned[d] -= 1

    def run(self, deadline: float) -> Schedule:
        n = len(self.size)
        last = [max(self.readers[i], default=i) for i in range(n)]
        for k in range(n):
            if k % 32 == 0 and time.perf_counter() > deadline:
                raise _OutOfTime
            self.frontier = k
            self.ensure(k)
            for i in sorted(self.resident):
                if last[i] <= k:
                    self.free(i)
        return Schedule(tuple(self.steps))


#: Runs of the rule, each keeping more buffers until their next use, before giving up.
MAX_RETRIES = 40


def evict_schedule(
    graph: TrainingGraph, costs: np.ndarray, capacity: int, *, device: int = 0, memory: int = 0,
    size_power: float = 1.0, retries: int = MAX_RETRIES, deadline: float = math.inf,
) -> Schedule | None:
    """A valid schedule within ``capacity`` bytes (budget minus static), or None if the rule got stuck.

    When a run gets stuck (rebuilding a node's evicted ancestors in id order needs more memory than
    there is), the evicted ancestors it had to rebuild become *sticky* (evicted only when nothing
    else can go) and the rule runs again, up to ``retries`` times. None once past ``deadline``
    (``time.perf_counter()`` clock).
    """
    sticky: frozenset[int] = frozenset()
    for _ in range(retries + 1):
        try:
            return _Evictor(graph, costs, capacity, device, memory, size_power, sticky).run(deadline)
        except _OutOfMemory as stuck:
            if stuck.missing <= sticky:
                return None
            sticky |= stuck.missing
        except (RecursionError, _OutOfTime):
            return None
    return None


def schedule_cost(schedule: Schedule, costs: np.ndarray) -> float:
    return float(sum(costs[s.node] for s in schedule.steps if isinstance(s, Compute)))
