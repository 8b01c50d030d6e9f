"""Budgets no schedule can meet, found without solving (FORMULATIONS.md section 6, trivial bounds).

A node runs with its inputs and its output resident in the memory of the device that runs it, next
to whatever static memory that memory holds. If no device memory has room for some node's working
set, no schedule exists, whatever the solver: the window, the command line and every solver answer
that at once, with the budget that would fit.
"""

from __future__ import annotations

from core.graph import working_set_bytes
from core.problem import Objective, SchedulingProblem
from core.units import format_bytes


def _direct_targets(problem: SchedulingProblem) -> set[int]:
    """Memories a direct-access link leads into."""
    names = [m.name for m in problem.system.memories]
    return {names.index(link.dst) for link in problem.system.links if link.direct_access}


def _weights(problem: SchedulingProblem, node: int) -> int:
    """Parameter state that must sit beside node ``node`` when the schedule places parameters."""
    owner = problem.parameter_owner[node] if problem.place_parameters else None
    return 0 if owner is None else problem.graph.nodes[owner].param_state_bytes


def local_need_bytes(problem: SchedulingProblem, node: int, memory: int) -> int:
    """Bytes node ``node`` needs in ``memory`` to run there: its working set (or only its output when
    a direct-access link leads into that memory: its inputs may then stay where they are), and the
    parameter state of its operator when the schedule places parameters."""
    if memory in _direct_targets(problem):
        return problem.graph.nodes[node].size_bytes + _weights(problem, node)
    return working_set_bytes(problem.graph, node) + _weights(problem, node)


def smallest_feasible_budget(problem: SchedulingProblem, memory: int) -> int:
    """The least budget of ``memory`` under which any node could run there (static memory included)."""
    largest = max((local_need_bytes(problem, n.id, memory) for n in problem.graph.nodes), default=0)
    return problem.static_bytes[memory] + largest


def fastest_possible_time_s(problem: SchedulingProblem) -> float:
    """Serial time of every node once on its fastest device: no schedule is faster."""
    if not problem.n_nodes or not problem.n_devices:
        return 0.0
    return float(problem.costs.compute_time_s.min(axis=1).sum())


def infeasibility_reason(problem: SchedulingProblem) -> str | None:
    """Why no schedule can exist, proven without searching, or None.

    Three proofs: static memory alone over a memory's budget; a node whose working set (and weights)
    fits in no device memory, naming the budget that would fit; with the energy objective, a time
    limit below the fastest possible serial time.
    """
    for m in range(problem.n_memories):
        if problem.static_bytes[m] > problem.budgets_bytes[m]:
            return (f"the static memory (parameters, gradients, optimizer state, input batch) alone needs "
                    f"{format_bytes(problem.static_bytes[m])} in memory {problem.memory_name(m)!r}, over its "
                    f"budget of {format_bytes(problem.budgets_bytes[m])}; raise that budget")
    compute = sorted(set(problem.device_memory))
    direct = _direct_targets(problem)
    room = {m: problem.budgets_bytes[m] - problem.static_bytes[m] for m in compute}
    for node in problem.graph.nodes:
        need = working_set_bytes(problem.graph, node.id) + _weights(problem, node.id)
        alone = node.size_bytes + _weights(problem, node.id)
        if any((alone if m in direct else need) <= room[m] for m in compute):
            continue
        m = min(compute, key=lambda k: smallest_feasible_budget(problem, k) - problem.budgets_bytes[k])
        fits = smallest_feasible_budget(problem, m)
        name = problem.memory_name(m)
        return (f"node {node.name!r} needs {format_bytes(need)} for its inputs, output and weights at once, and "
                f"no device memory has room for it: the smallest feasible budget of memory {name!r} is "
                f"{format_bytes(fits)} ({fits} bytes; its budget is {format_bytes(problem.budgets_bytes[m])})")
    if problem.objective is Objective.ENERGY and problem.time_limit_s is not None:
        fastest = fastest_possible_time_s(problem)
        if fastest > problem.time_limit_s * (1 + 1e-9):
            return (f"the time limit of {problem.time_limit_s:g} s is below the fastest possible step "
                    f"({fastest:g} s, every node once on its fastest device); raise the time limit")
    return None
