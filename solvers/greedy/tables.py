"""Per-problem lookups of the greedy scheduler, as plain Python lists (it reads them millions of times)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.graph import working_set_bytes
from core.problem import SchedulingProblem
from core.stages import last_uses


@dataclass(frozen=True)
class Tables:
    """Everything the greedy scheduler looks up, indexed ``[device][node]`` or ``[link][node]``.

    ``cost`` and ``copy_cost`` are in the units the scheduler decides by (seconds or joules);
    ``time`` and ``copy_time`` are always seconds, for the time limit and the overlapped estimates.
    """

    n: int
    sizes: tuple[int, ...]
    deps: tuple[tuple[int, ...], ...]  # unique, ascending
    users: tuple[tuple[int, ...], ...]
    last_use: tuple[int, ...]
    working_set: tuple[int, ...]
    device_memory: tuple[int, ...]
    memory_devices: tuple[tuple[int, ...], ...]
    storage: tuple[int, ...]
    links: dict[tuple[int, int], int]
    time: tuple[tuple[float, ...], ...]
    energy: tuple[tuple[float, ...], ...]
    cost: tuple[tuple[float, ...], ...]
    copy_time: tuple[tuple[float, ...], ...]
    copy_cost: tuple[tuple[float, ...], ...]
    #: ``cheapest[m][i]``: the lowest decision cost of node i on any device computing from memory m.
    cheapest: tuple[tuple[float, ...], ...]
    #: ``min_time_after[k]``: serial time of nodes k.. once each on their fastest device.
    min_time_after: tuple[float, ...]


def build_tables(problem: SchedulingProblem, *, decide_by_energy: bool) -> Tables:
    """Lookups of ``problem``; decisions weigh energy when ``decide_by_energy``, else time."""
    graph, costs = problem.graph, problem.costs
    n = problem.n_nodes
    time = costs.compute_time_s.T
    energy = costs.compute_energy_j.T
    cost = energy if decide_by_energy else time
    copy_cost = costs.copy_energy_j if decide_by_energy else costs.copy_time_s
    memory_devices = tuple(
        tuple(d for d in range(problem.n_devices) if problem.device_memory[d] == m)
        for m in range(problem.n_memories)
    )
    cheapest = tuple(
        tuple(cost[list(devices)].min(axis=0).tolist()) if devices else (0.0,) * n
        for devices in memory_devices
    )
    fastest = costs.compute_time_s.min(axis=1) if n else np.zeros(0)
    after = np.concatenate([np.cumsum(fastest[::-1])[::-1], [0.0]]) if n else np.zeros(1)
    return Tables(
        n=n,
        sizes=tuple(node.size_bytes for node in graph.nodes),
        deps=tuple(tuple(sorted(set(node.deps))) for node in graph.nodes),
        users=graph.users,
        last_use=tuple(last_uses(graph).tolist()),
        working_set=tuple(working_set_bytes(graph, i) for i in range(n)),
        device_memory=problem.device_memory,
        memory_devices=memory_devices,
        storage=problem.storage_memories,
        links=copy_links(problem),
        time=_rows(time), energy=_rows(energy), cost=_rows(cost),
        copy_time=_rows(costs.copy_time_s), copy_cost=_rows(copy_cost),
        cheapest=cheapest,
        min_time_after=tuple(after.tolist()),
    )


def copy_links(problem: SchedulingProblem) -> dict[tuple[int, int], int]:
    """``(src, dst) -> link`` for the links buffers may be copied along (not read-only ones)."""
    return {
        pair: k for pair, k in problem.link_index.items()
        if getattr(problem.system.links[k], "allows_copies", True)
    }


def _rows(array: np.ndarray) -> tuple[tuple[float, ...], ...]:
    return tuple(tuple(row) for row in np.asarray(array, dtype=float).tolist())
