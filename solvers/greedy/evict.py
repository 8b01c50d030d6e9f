"""Eviction: DTR's score, the cost of getting a buffer back, and making room in a memory.

DTR (Kirisame et al. 2021) evicts the resident buffer with the lowest ``cost / (size * staleness)``.
Here ``cost`` is the cheapest way back into the memory: a copy from another memory holding it, a page
out now and in later through a storage memory, or recomputation, priced like DTR's evicted
neighbourhood (the buffer, the missing ancestors its rebuild would redo, and its evicted children
still waiting for it). Staleness counts steps since last use. Candidates compete only within the
safest rank present (:meth:`GreedyState.rank`), and only the stalest few of each pool group are
scored (:mod:`solvers.greedy.pool`).
"""

from __future__ import annotations

from solvers.greedy.state import GreedyState, Stuck

#: Stalest buffers scored per pool bucket when looking for a victim.
PER_BUCKET = 3
#: Missing ancestors walked when pricing a rebuild.
WALK_LIMIT = 32


def recompute_cost(state: GreedyState, node: int, memory: int) -> float:
    """Cost of bringing ``node`` back into ``memory`` by recomputation (DTR's evicted neighbourhood).

    The buffer itself, every missing ancestor its rebuild would have to redo (walked back until
    resident buffers, at most :data:`WALK_LIMIT` of them; a longer walk is charged double), and its
    evicted children that still wait for it.
    """
    t = state.tables
    cheapest = t.cheapest[memory]
    cost = cheapest[node] + _missing_ancestors_cost(state, node, memory)
    counted = state.counted
    for user in t.users[node]:
        if user >= state.frontier:
            break  # users ascend; the rest are not computed yet
        if counted[user]:  # evicted and waiting: rebuilding it would now rebuild this one too
            cost += cheapest[user]
    return cost


def _missing_ancestors_cost(state: GreedyState, node: int, memory: int) -> float:
    t = state.tables
    cheapest, deps, held, bit = t.cheapest[memory], t.deps, state.held, 1 << memory
    cost = 0.0
    seen = {node}
    stack = [node]
    while stack:
        for dep in deps[stack.pop()]:
            if held[dep] & bit or dep in seen:
                continue
            seen.add(dep)
            cost += cheapest[dep]
            if len(seen) > WALK_LIMIT:
                return 2 * cost
            if not held[dep]:  # resident elsewhere: a copy, or at worst a rebuild from there
                stack.append(dep)
    return cost


def way_back(state: GreedyState, node: int, memory: int) -> tuple[float, int | None]:
    """The cheapest way to get ``node`` back into ``memory`` once evicted from it.

    Returns ``(cost, storage)``: page out to memory ``storage`` before dropping when that is the
    cheapest way (``None``: just drop, a copy elsewhere or recomputation brings it back).
    """
    t = state.tables
    best, target = recompute_cost(state, node, memory), None
    for other in state.memories_holding(node):
        link = t.links.get((other, memory))
        if other != memory and link is not None and t.copy_cost[link][node] < best:
            best, target = t.copy_cost[link][node], None
    size = t.sizes[node]
    for storage in t.storage:
        out, back = t.links.get((memory, storage)), t.links.get((storage, memory))
        if out is None or back is None or state.resident(node, storage) or state.room(storage) < size:
            continue
        cost = t.copy_cost[out][node] + t.copy_cost[back][node]
        if cost < best:
            best, target = cost, storage
    return best, target


def choose_victim(state: GreedyState, memory: int) -> tuple[int, int | None] | None:
    """The unpinned resident buffer of ``memory`` with the lowest DTR score, and how to evict it.

    Only buffers of the safest rank present compete (see :meth:`GreedyState.rank`): a buffer that
    comes back by a copy or one recomputation is always preferred to one whose rebuild would chain
    through other evicted buffers, and those to one whose inputs are gone. Deep chains are what
    make a rebuild need more memory at once than the budget holds (DTR locks such buffers).
    Buffers the operation under way will read soon (``spared``) go only when nothing else is left.
    """
    best: tuple[float, int, int | None] | None = None
    sizes = state.tables.sizes
    pool, pinned = state.pools[memory], state.pinned[memory]
    candidates = pool.best_rank(pinned, PER_BUCKET, state.spared[memory]) or pool.best_rank(pinned, PER_BUCKET)
    for node in candidates:
        cost, target = way_back(state, node, memory)
        score = cost / (sizes[node] * state.staleness(node, memory))
        if best is None or score < best[0]:
            best = (score, node, target)
    return None if best is None else (best[1], best[2])


def make_room(state: GreedyState, memory: int, size: int) -> None:
    """Evict from ``memory`` until ``size`` more bytes fit its budget; :class:`Stuck` when it cannot."""
    while state.usage[memory] + size > state.budget[memory]:
        if state.is_storage[memory]:
            raise Stuck(f"storage memory {memory} is full")
        victim = choose_victim(state, memory)
        if victim is None:
            raise Stuck(f"nothing left to evict in memory {memory}")
        evict(state, victim[0], memory, victim[1])


def evict(state: GreedyState, node: int, memory: int, storage: int | None) -> None:
    """Drop ``node`` from ``memory``, paging it out to ``storage`` first when given."""
    if storage is not None:
        state.copy(node, memory, storage)
    state.free(node, memory)
    state.counters.evictions += 1


def price_per_byte(state: GreedyState, memory: int) -> float:
    """What evicting from ``memory`` costs per byte now: the cheapest way back among the candidates.

    Placement uses it to weigh a device whose memory is full against one that needs copies.
    """
    sizes = state.tables.sizes
    prices = [way_back(state, node, memory)[0] / sizes[node]
              for node in state.pools[memory].best_rank(state.pinned[memory], PER_BUCKET)]
    return min(prices, default=float("inf"))
