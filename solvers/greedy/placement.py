"""Placement: on which device the next node runs (list scheduling over the devices that can hold it).

Each device that can hold the node's working set is priced as the node's cost there, plus bringing
its missing inputs into that memory (a copy or page-in along a link, or a recomputation), plus the
eviction it would force (bytes over the budget times the memory's current price per byte). Time
objective: the lowest priced time wins, ties going to the device that would finish first in the
overlapped timeline (its queue and its inputs' ready times), so identical devices share the work.
Energy objective: the lowest priced energy wins while the time limit leaves slack for it; once the
slack is gone, the time rule takes over. The other devices follow as fallbacks.
"""

from __future__ import annotations

from dataclasses import dataclass

from solvers.greedy.evict import price_per_byte
from solvers.greedy.materialize import best_fetch
from solvers.greedy.state import GreedyState


@dataclass(frozen=True)
class Estimate:
    """What running a node on one device would cost, take and finish at."""

    device: int
    cost: float  # decision units (seconds or joules)
    time_s: float  # serial seconds
    finish_s: float  # overlapped timeline


def estimate(state: GreedyState, node: int, device: int, prices: dict[int, float]) -> Estimate | None:
    """Price ``node`` on ``device``; None when its memory cannot hold the node at all."""
    t = state.tables
    memory = t.device_memory[device]
    if not state.weights_here(node, memory) or state.static[memory] + t.working_set[node] > state.budget[memory]:
        return None
    cost, time_s = t.cost[device][node], t.time[device][node]
    need = t.sizes[node]
    start = state.device_free_s[device]
    for dep in t.deps[node]:
        if state.resident(dep, memory):
            start = max(start, state.ready_s[(dep, memory)])
            continue
        need += t.sizes[dep]
        fetch = best_fetch(state, dep, memory)
        if fetch is not None and fetch[1] <= t.cost[device][dep]:
            link = t.links[(fetch[0], memory)]
            cost += fetch[1]
            time_s += t.copy_time[link][dep]
            start = max(start, state.ready_s[(dep, fetch[0])] + t.copy_time[link][dep])
        else:
            cost += t.cost[device][dep]
            time_s += t.time[device][dep]
    over = need - state.room(memory)
    if over > 0:
        if memory not in prices:
            prices[memory] = price_per_byte(state, memory)
        if prices[memory] == float("inf"):
            return None  # nothing evictable: this device would be stuck
        cost += over * prices[memory]
    return Estimate(device, cost, time_s, start + t.time[device][node])


def device_order(state: GreedyState, node: int, *, by_energy: bool, time_limit_s: float | None) -> list[int]:
    """Devices to try for ``node``, best first (see the module docstring)."""
    if len(state.device_free_s) == 1:
        return [0]  # nothing to choose (infeasibility_reason has checked the working sets)
    prices: dict[int, float] = {}
    options = [e for d in range(len(state.device_free_s)) if (e := estimate(state, node, d, prices)) is not None]
    if len(options) <= 1:
        return [e.device for e in options]
    by_time = sorted(options, key=lambda e: (e.time_s if by_energy else e.cost, e.finish_s, e.device))
    if not by_energy:
        return [e.device for e in by_time]
    by_cost = sorted(options, key=lambda e: (e.cost, e.time_s, e.device))
    if time_limit_s is None:
        return [e.device for e in by_cost]
    t = state.tables
    fastest_here = t.min_time_after[node] - t.min_time_after[node + 1]
    slack = time_limit_s - state.serial_s - t.min_time_after[node]
    if by_cost[0].time_s - fastest_here <= slack:
        return [e.device for e in by_cost]
    return [e.device for e in by_time]
