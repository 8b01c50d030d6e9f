"""The greedy scheduler's memory state: what is resident where, pins, eviction pools, and the steps.

Every change goes through :meth:`GreedyState.compute`, :meth:`GreedyState.copy` and
:meth:`GreedyState.free`, which emit the step and keep usage, clocks and pools in line with what
:func:`core.simulate.simulate` will replay.
"""

from __future__ import annotations

import math
import time
from bisect import bisect_left
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from core.problem import SchedulingProblem
from core.schedule import Compute, Copy, Free, Step
from solvers.base import CancelToken
from solvers.greedy.pool import CandidatePool, cost_bucket
from solvers.greedy.tables import Tables


class Stuck(Exception):
    """No unpinned buffer is left to evict in a memory: this placement cannot go on."""


class GiveUp(Exception):
    """The pass is thrashing (too many recomputations), out of time or cancelled: no schedule."""

    def __init__(self, reason: str, *, cancelled: bool = False) -> None:
        super().__init__(reason)
        self.cancelled = cancelled


@dataclass
class Counters:
    """Figures reported in the result's ``stats``."""

    evictions: int = 0
    page_outs: int = 0
    page_ins: int = 0
    copies: int = 0
    recomputations: int = 0
    per_device: list[int] = field(default_factory=list)


class GreedyState:
    """Mutable scheduling state of one greedy run (private to :mod:`solvers.greedy`)."""

    def __init__(self, problem: SchedulingProblem, tables: Tables) -> None:
        self.tables = tables
        n, n_mem = tables.n, problem.n_memories
        self.held = [0] * n  # bit m set: resident in memory m
        self.static = list(problem.static_bytes)
        self.usage = list(problem.static_bytes)
        self.budget = list(problem.budgets_bytes)
        self.pinned: list[dict[int, int]] = [{} for _ in range(n_mem)]
        #: Resident inputs of the nodes being rebuilt, not pinned yet: evicted only as a last resort.
        self.spared: list[dict[int, int]] = [{} for _ in range(n_mem)]
        self.pools = [CandidatePool() for _ in range(n_mem)]
        self.last_access = [[0] * n for _ in range(n_mem)]
        self.computed = [False] * n
        #: ``waiting[i]``: users of i that are evicted everywhere yet still needed (they need i back).
        self.waiting = [0] * n
        self.counted = [False] * n  # i is one of its parents' ``waiting`` users
        self.steps: list[Step] = []
        self.tick = 0
        self.frontier = 0
        self.serial_s = 0.0
        self.device_free_s = [0.0] * problem.n_devices
        self.link_free_s = [0.0] * len(problem.system.links)
        self.ready_s: dict[tuple[int, int], float] = {}
        self.counters = Counters(per_device=[0] * problem.n_devices)
        self.is_storage = [m in tables.storage for m in range(n_mem)]
        #: Memories with a way out to storage and back: any buffer there can be paged.
        self.pageable = [
            any((m, s) in tables.links and (s, m) in tables.links for s in tables.storage) for m in range(n_mem)
        ]
        #: Staleness as the distance to the next reader instead of the time since the last use.
        self.look_ahead = False
        #: Limits that turn a thrashing pass into :class:`GiveUp` (set by the driver).
        self.max_recomputations = 8 * n + 1000
        self.deadline = math.inf
        self.cancel: CancelToken | None = None
        #: Called to make room: ``make_room(state, memory, bytes)``; set by the driver.
        self.make_room: Callable[[GreedyState, int, int], None] = _no_eviction
        #: With parameter placement: the node whose weights each node needs, and where they live
        #: for the whole step (decided before the first step: the simulator counts them from the start).
        self.owner: tuple[int | None, ...] = problem.parameter_owner if problem.place_parameters else (None,) * n
        self.weights_home: dict[int, int] = plan_weights(problem, tables) if problem.place_parameters else {}
        for owner, memory in self.weights_home.items():
            self.static[memory] += problem.graph.nodes[owner].param_state_bytes
            self.usage[memory] += problem.graph.nodes[owner].param_state_bytes

    # -- queries -------------------------------------------------------------------------------

    def resident(self, node: int, memory: int) -> bool:
        return bool(self.held[node] >> memory & 1)

    def memories_holding(self, node: int) -> Iterator[int]:
        bits, m = self.held[node], 0
        while bits:
            if bits & 1:
                yield m
            bits >>= 1
            m += 1

    def needed(self, node: int) -> bool:
        """Read by a frontier node to come, or by the recomputation of an evicted buffer that is.

        A buffer is freed as soon as this turns false; while an evicted live buffer depends on it,
        it is kept (evictable), so rebuilding that buffer does not have to reach far back.
        """
        return self.tables.last_use[node] >= self.frontier or self.waiting[node] > 0

    def refresh(self, start: int) -> None:
        """Bring ``waiting`` up to date after ``start`` was evicted everywhere, came back, or died.

        Iterative: a parent that stops being needed is freed (or, if already gone, passes the news
        on to its own parents).
        """
        t = self.tables
        work = [start]
        while work:
            node = work.pop()
            want = self.computed[node] and not self.held[node] and self.needed(node)
            if want == self.counted[node]:
                continue
            self.counted[node] = want
            self.rerank_users(node)
            for dep in t.deps[node]:
                self.waiting[dep] += 1 if want else -1
                if self.held[dep] and self.waiting[dep] == (1 if want else 0):
                    self.rerank(dep)
                if want and self.waiting[dep] == 1 and not self.held[dep]:
                    work.append(dep)  # it may now be needed by a waiting buffer
                elif not want and not self.needed(dep):
                    if not self.held[dep]:
                        work.append(dep)
                    elif not self.is_pinned(dep):
                        self.free_everywhere(dep)

    def rank(self, node: int, memory: int) -> int:
        """How safely ``node`` comes back once evicted from ``memory`` (lower is safer).

        0: by a copy (paging, or a copy held elsewhere), or by one recomputation from resident
        inputs that no other evicted buffer waits on; 1: by recomputations through evicted but
        rebuildable buffers (a chain); 2: some input is gone for good (a long rebuild from far back).
        """
        if self.pageable[memory] or self.held[node] & ~(1 << memory):
            return 0
        held, counted = self.held, self.counted
        deps = self.tables.deps[node]
        if not self.waiting[node] and all(held[dep] for dep in deps):
            return 0
        return 1 if all(held[dep] or counted[dep] for dep in deps) else 2

    def rerank(self, node: int) -> None:
        for memory in self.memories_holding(node):
            if node in self.pools[memory]:
                self.pools[memory].move(node, self.rank(node, memory))

    def rerank_users(self, node: int) -> None:
        """Ranks of the resident readers of ``node`` after it appeared, vanished or was counted."""
        held = self.held
        for user in self.tables.users[node]:
            if held[user]:
                self.rerank(user)

    def staleness(self, node: int, memory: int) -> int:
        """DTR's staleness (steps since ``node`` was last used in ``memory``), or with ``look_ahead``
        the number of frontier nodes until its next reader (buffers kept only for rebuilds: the end)."""
        if not self.look_ahead:
            return max(1, self.tick - self.last_access[memory][node])
        users = self.tables.users[node]
        index = bisect_left(users, self.frontier)
        following = users[index] if index < len(users) else self.tables.n
        return max(1, following - self.frontier)

    def weights_here(self, node: int, memory: int) -> bool:
        """Whether ``node`` may run in ``memory``: the weights of its operator live there."""
        owner = self.owner[node]
        return owner is None or self.weights_home[owner] == memory

    def is_pinned(self, node: int) -> bool:
        return any(node in pins for pins in self.pinned)

    def room(self, memory: int) -> int:
        return self.budget[memory] - self.usage[memory]

    # -- pins ----------------------------------------------------------------------------------

    def pin(self, node: int, memory: int) -> None:
        pins = self.pinned[memory]
        pins[node] = pins.get(node, 0) + 1

    def unpin(self, node: int, memory: int) -> None:
        _decrement(self.pinned[memory], node)

    def spare(self, node: int, memory: int) -> None:
        spared = self.spared[memory]
        spared[node] = spared.get(node, 0) + 1

    def unspare(self, node: int, memory: int) -> None:
        _decrement(self.spared[memory], node)

    # -- steps ---------------------------------------------------------------------------------

    def compute(self, node: int, device: int) -> None:
        """Run ``node`` on ``device`` (its inputs must be resident there and pinned)."""
        t = self.tables
        memory = t.device_memory[device]
        self.make_room(self, memory, t.sizes[node])
        recompute = self.computed[node]
        start = self.device_free_s[device]
        for dep in t.deps[node]:
            start = max(start, self.ready_s[(dep, memory)])
            self._access(dep, memory)
        duration = t.time[device][node]
        self.device_free_s[device] = start + duration
        self.computed[node] = True
        self._allocate(node, memory, start + duration)
        self.steps.append(Compute(node, device))
        self.serial_s += duration
        if recompute:
            self.counters.recomputations += 1
            self._check_work()
        self.counters.per_device[device] += 1

    def copy(self, node: int, src: int, dst: int) -> None:
        """Copy ``node`` from ``src`` to ``dst`` along their link (a page-out when ``dst`` is storage)."""
        t = self.tables
        link = t.links[(src, dst)]
        self.make_room(self, dst, t.sizes[node])
        start = max(self.link_free_s[link], self.ready_s[(node, src)])
        duration = t.copy_time[link][node]
        self.link_free_s[link] = start + duration
        self._access(node, src)
        self._allocate(node, dst, start + duration)
        self.steps.append(Copy(node, src, dst))
        self.serial_s += duration
        if self.is_storage[dst]:
            self.counters.page_outs += 1
        elif self.is_storage[src]:
            self.counters.page_ins += 1
        else:
            self.counters.copies += 1

    def free(self, node: int, memory: int) -> None:
        """Release ``node`` in ``memory``; when that was its last copy, its parents are told."""
        self.held[node] &= ~(1 << memory)
        self.usage[memory] -= self.tables.sizes[node]
        self.pools[memory].remove(node)
        self.steps.append(Free(node, memory))
        if self.held[node]:
            self.rerank(node)  # one copy fewer elsewhere
        else:
            self.rerank_users(node)
            self.refresh(node)

    def free_everywhere(self, node: int) -> None:
        for memory in list(self.memories_holding(node)):
            self.free(node, memory)

    def _allocate(self, node: int, memory: int, ready: float) -> None:
        size = self.tables.sizes[node]
        first = not self.held[node]
        self.held[node] |= 1 << memory
        self.usage[memory] += size
        self.ready_s[(node, memory)] = ready
        self.tick += 1
        self.last_access[memory][node] = self.tick
        if size > 0:  # evicting an empty buffer frees nothing
            key = (self.rank(node, memory), cost_bucket(self.tables.cheapest[memory][node], size))
            self.pools[memory].add(node, key, self.tick)
        if first:
            self.rerank_users(node)
            if self.counted[node]:
                self.refresh(node)
        else:
            self.rerank(node)  # one copy more elsewhere

    def _check_work(self) -> None:
        count = self.counters.recomputations
        if count > self.max_recomputations:
            raise GiveUp(f"more than {self.max_recomputations} recomputations: the heuristic thrashes at "
                         "this budget")
        if count % 256 == 0:  # a single node's rebuilds can be long: look at the clock and the user
            if self.cancel is not None and self.cancel.is_set():
                raise GiveUp("cancelled", cancelled=True)
            if time.perf_counter() > self.deadline:
                raise GiveUp("out of time")

    def _access(self, node: int, memory: int) -> None:
        self.tick += 1
        self.last_access[memory][node] = self.tick
        self.pools[memory].touch(node, self.tick)


def _decrement(counts: dict[int, int], node: int) -> None:
    count = counts[node] - 1
    if count:
        counts[node] = count
    else:
        del counts[node]


def _no_eviction(state: GreedyState, memory: int, size: int) -> None:
    if state.usage[memory] + size > state.budget[memory]:
        raise Stuck(f"memory {memory} is full")


def plan_weights(problem: SchedulingProblem, tables: Tables) -> dict[int, int]:
    """Where each operator's weights live: beside its cheapest device that still has room.

    Operators are taken by decreasing cost (the ones that matter most choose first); a memory keeps
    room for the largest working set. An operator that fits nowhere goes where the most room is left
    (the pass then fails honestly if that is not enough).
    """
    nodes = problem.graph.nodes
    owners = sorted({o for o in problem.parameter_owner if o is not None})
    users: dict[int, list[int]] = {o: [] for o in owners}
    for node, owner in enumerate(problem.parameter_owner):
        if owner is not None:
            users[owner].append(node)
    reserve = max(tables.working_set, default=0)
    memories = sorted(set(tables.device_memory))
    room = {m: problem.budgets_bytes[m] - problem.static_bytes[m] - reserve for m in memories}
    cost = {(o, m): min(sum(tables.cost[d][k] for k in users[o]) for d in tables.memory_devices[m])
            for o in owners for m in memories}
    home: dict[int, int] = {}
    for owner in sorted(owners, key=lambda o: -min(cost[(o, m)] for m in memories)):
        size = nodes[owner].param_state_bytes
        fitting = [m for m in memories if room[m] >= size]
        m = min(fitting, key=lambda k: cost[(owner, k)]) if fitting else max(memories, key=room.__getitem__)
        home[owner] = m
        room[m] -= size
    return home
