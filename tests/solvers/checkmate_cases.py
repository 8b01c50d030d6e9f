"""Small one-device cases shared by the Checkmate conformance tests (graphs, budgets, revolve)."""

from __future__ import annotations

import math
import random

import solvers
from core.graph import TrainingGraph, min_feasible_budget, no_recompute_peak
from core.problem import SchedulingProblem
from tests.helpers import chain_training_graph, make_graph, one_device_problem


def exact_single_device() -> list[str]:
    """Every registered, available exact solver for one device."""
    return [s.name for s in solvers.solvers() if s.exact and not s.multi_device and s.availability()[0]]


def random_graph(seed: int, n: int, *, zero_costs: bool = False) -> TrainingGraph:
    """A random DAG of ``n`` nodes: sizes 10..50, costs 1..6 (some 0 with ``zero_costs``), 0-3 inputs."""
    rng = random.Random(seed)
    sizes = [rng.randint(1, 5) * 10 for _ in range(n)]
    deps = [tuple(sorted(rng.sample(range(i), min(i, rng.choice([1, 1, 2, 2, 3]))))) if i else () for i in range(n)]
    costs = [float(rng.randint(0 if zero_costs else 1, 6)) for _ in range(n)]
    return make_graph(sizes, deps, costs, name=f"random{seed}")


def budgets(graph: TrainingGraph) -> list[int]:
    """The smallest feasible budget, one in between, and the largest one below the peak."""
    low, peak = min_feasible_budget(graph), no_recompute_peak(graph)
    return sorted({low, (low + peak) // 2, peak - 1} - {peak})


def small_cases() -> list[tuple[str, SchedulingProblem]]:
    """(id, problem) for random DAGs of 4..8 nodes and chain training graphs of 5 and 7 nodes."""
    graphs = [random_graph(seed, 4 + seed % 5, zero_costs=seed % 4 == 3) for seed in range(20)]
    graphs += [chain_training_graph(2), chain_training_graph(3)]
    return [(f"{g.name}-b{b}", one_device_problem(g, b)) for g in graphs for b in budgets(g)]


def revolve_evaluations(steps: int, slots: int) -> int:
    """Least forward-step evaluations to reverse a chain of ``steps`` with ``slots`` checkpoints.

    Griewank & Walther (ACM TOMS 2000): with r the least integer such that C(c + r, c) >= l, the
    optimum is ``r l - C(c + r, c + 1)``; c = 1 gives l(l-1)/2 and c >= l - 1 gives l - 1.
    """
    r = 0
    while math.comb(slots + r, slots) < steps:
        r += 1
    return r * steps - math.comb(slots + r, slots + 1)


def revolve_optimum(length: int, buffers: int) -> float:
    """Optimal serial time of ``chain_training_graph(length)`` (unit costs) in ``buffers`` buffer slots.

    The mapping, checked against exhaustive search: forward nodes f_0..f_{L-1} and the loss are the
    l = L + 1 steps of Griewank's chain (the graph input x_0 is free: f_0 reads nothing), and the
    backward node of f_i reads f_i = x_{i+1}, which is what the adjoint of step i + 2 reads. Revolve's
    in-place steps need one state; here computing a node holds its input and its output at once, and
    the gradient being carried is one more buffer: ``buffers = c + 2`` (x_0's checkpoint is free).
    Revolve does not count the last step (the loss, combined with its adjoint); the schedule also
    runs the loss once and the L backward nodes once each.
    """
    return float(revolve_evaluations(length + 1, buffers - 2) + 1 + length)
