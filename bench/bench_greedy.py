"""Baseline schedulers on every benchmark graph: greedy against chen-sqrt and no-remat.

Run with ``.venv/bin/python -m bench.bench_greedy [--fractions 0.8,0.9] [--repeat 3]``. For each
graph and budget (a fraction of the graph's no-recomputation peak) it prints each solver's status,
wall time (best of ``--repeat``, simulator check included), overhead (serial cost over the sum of
costs, minus one) and recomputation count; then greedy on long chains. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import time

from bench.graph_files import load_graph
from core.graph import TrainingGraph, no_recompute_peak
from core.paths import BENCHMARK_GRAPHS
from core.problem import SchedulingProblem, build_problem
from solvers import SolveOptions, SolveResult, run
from tests.helpers import chain_training_graph, one_device_system

GRAPHS = BENCHMARK_GRAPHS
SOLVERS = ("greedy", "chen-sqrt", "no-remat")


def problem_at(graph: TrainingGraph, fraction: float) -> SchedulingProblem:
    return build_problem(graph, one_device_system(), {"ram": int(fraction * no_recompute_peak(graph))})


def timed(name: str, problem: SchedulingProblem, repeat: int) -> tuple[SolveResult, float]:
    """The result of ``name`` and its best wall time over ``repeat`` runs."""
    best = float("inf")
    result: SolveResult | None = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run(name, problem, SolveOptions(time_limit_s=120))
        best = min(best, time.perf_counter() - started)
    assert result is not None
    return result, best


def cell(result: SolveResult, wall_s: float, base: float) -> str:
    if result.objective is None or result.trace is None:
        return f"{result.status.value:<11} {wall_s:7.3f}s {'-':>9} {'-':>6}"
    overhead = result.objective / base - 1 if base > 0 else 0.0
    return f"{result.status.value:<11} {wall_s:7.3f}s {100 * overhead:8.2f}% {result.trace.recompute_count:6d}"


def graph_rows(fractions: list[float], repeat: int) -> None:
    header = "".join(f" | {name:<11} {'wall':>8} {'overhead':>9} {'recomp':>6}" for name in SOLVERS)
    print(f"{'graph':<24} {'nodes':>5} {'budget':>6}{header}")
    for path in sorted(GRAPHS.glob("*.json")):
        graph = load_graph(path)
        for fraction in fractions:
            problem = problem_at(graph, fraction)
            base = float(problem.costs.compute_time_s[:, 0].sum())
            cells = [cell(*timed(name, problem, repeat), base) for name in SOLVERS]
            print(f"{graph.name:<24} {len(graph.nodes):5d} {100 * fraction:5.0f}%" + "".join(f" | {c}" for c in cells))


def chain_rows(lengths: list[int], fractions: list[float], repeat: int) -> None:
    print("\ngreedy on long chains (forward length l: 2l + 1 nodes)")
    for length in lengths:
        graph = chain_training_graph(length)
        for fraction in fractions:
            result, wall_s = timed("greedy", problem_at(graph, fraction), repeat)
            print(f"chain l={length:<6} {len(graph.nodes):6d} nodes {100 * fraction:5.0f}%  "
                  + cell(result, wall_s, float(len(graph.nodes))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fractions", default="0.8,0.9", help="budgets as fractions of the peak")
    parser.add_argument("--repeat", type=int, default=3, help="runs per cell; the best wall time is shown")
    args = parser.parse_args()
    fractions = [float(f) for f in args.fractions.split(",")]
    if GRAPHS.is_dir():
        graph_rows(fractions, args.repeat)
    else:
        print(f"no benchmark graphs at {GRAPHS}")
    chain_rows([1000, 5000], [0.5, 0.9], args.repeat)


if __name__ == "__main__":
    main()
