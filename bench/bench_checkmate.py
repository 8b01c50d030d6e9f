"""Exact one-device rematerialization on the benchmark graphs: the published model vs our solvers.

``.venv/bin/python -m bench.bench_checkmate [--time-limit S] [--graphs NAME ...] [--skip-reference]``

For each graph and budget (a fraction of the no-recomputation peak): the plain re-implementation of
the published Checkmate MILP (:mod:`bench.plain_checkmate_ref`, HiGHS through SciPy, same process),
every registered exact one-device solver, and the heuristics (greedy, lp-rounding). Each row gives
the status, the simulated objective, its overhead over every-node-once, the proven gap, the wall
time and, for exact solvers, the ratio of the reference's time to theirs. Timings on a shared machine
are noisy: rerun the figures that matter.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import solvers
from bench.graph_files import load_graph
from bench.plain_checkmate_ref import solve_plain
from core.graph import no_recompute_peak
from core.problem import SchedulingProblem, build_problem
from core.system import Device, Memory, System
from solvers.base import SolveOptions

GRAPHS_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks" / "graphs"
CASES = (
    ("vgg16_bs256_train", 0.9), ("vgg16_bs256_train", 0.8),
    ("fcn8_vgg_bs32_train", 0.8), ("fcn8_vgg_bs32_train", 0.9),
    ("random_layered_n100", 0.8), ("random_layered_n100", 0.9),
)
HEURISTICS = ("greedy", "lp-rounding")
#: Relative gap every exact solve (the reference included) must close.
MIP_GAP = 1e-9


@dataclass(frozen=True)
class Row:
    graph: str
    fraction: float
    solver: str
    status: str
    objective: float | None
    overhead: float | None
    gap: float | None
    wall_s: float
    ratio: float | None = None


def benchmark_problem(name: str, fraction: float) -> SchedulingProblem:
    """One device with the graph's own costs and ``fraction`` of the no-recomputation peak as budget."""
    graph = load_graph(GRAPHS_DIR / f"{name}.json")
    budget = int(no_recompute_peak(graph) * fraction)
    system = System(name="bench", devices=(Device("dev", "gpu", "mem", peak_flops=1e12, mem_bandwidth_bytes_s=1e11),),
                    memories=(Memory("mem", 10**15),))
    return build_problem(graph, system, {"mem": budget})


def run_case(name: str, fraction: float, time_limit_s: float, reference: bool) -> list[Row]:
    problem = benchmark_problem(name, fraction)
    every_node_once = float(problem.costs.compute_time_s[:, 0].sum())

    def overhead(value: float | None) -> float | None:
        return None if value is None else value / every_node_once - 1.0

    rows: list[Row] = []
    ref_wall = None
    if reference:
        ref = solve_plain(problem, time_limit_s, mip_gap=MIP_GAP)
        ref_wall = ref.wall_s
        gap = None if ref.objective is None or ref.bound is None else max(0.0, 1 - ref.bound / ref.objective)
        rows.append(Row(name, fraction, "published (SciPy/HiGHS)", ref.status, ref.objective,
                        overhead(ref.objective), gap, ref.wall_s))
    exact = [s.name for s in solvers.solvers() if s.exact and not s.multi_device and s.availability()[0]]
    for solver in [*exact, *HEURISTICS]:
        started = time.perf_counter()
        result = solvers.run(solver, problem, SolveOptions(time_limit_s=time_limit_s, mip_gap=MIP_GAP))
        wall = time.perf_counter() - started
        ratio = ref_wall / wall if ref_wall is not None and solver in exact and wall > 0 else None
        rows.append(Row(name, fraction, solver, result.status.value, result.objective, overhead(result.objective),
                        result.gap, wall, ratio))
    return rows


def _fmt(value: float | None, spec: str) -> str:
    width = int(spec.split(".")[0] or 0)
    return "-".rjust(width) if value is None else format(value, spec)


def print_table(rows: list[Row]) -> None:
    header = f"{'graph':22} {'budget':>6} {'solver':25} {'status':11} {'objective':>17} {'overhead':>9} " \
             f"{'gap':>8} {'wall s':>8} {'ref/this':>8}"
    print(header)
    print("-" * len(header))
    for r in rows:
        overhead = _fmt(None if r.overhead is None else 100 * r.overhead, "8.4f")
        print(f"{r.graph:22} {r.fraction:>6.0%} {r.solver:25} {r.status:11} {_fmt(r.objective, '17.14g')} "
              f"{overhead}% {_fmt(r.gap, '8.1e')} {r.wall_s:8.2f} {_fmt(r.ratio, '8.1f')}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=600.0, help="seconds per solve (default 600)")
    parser.add_argument("--graphs", nargs="*", help="graph names to run (default: all benchmark cases)")
    parser.add_argument("--skip-reference", action="store_true", help="do not run the published model")
    args = parser.parse_args()
    if not GRAPHS_DIR.is_dir():
        raise SystemExit(f"benchmark graphs not found in {GRAPHS_DIR}")
    rows: list[Row] = []
    for name, fraction in CASES:
        if args.graphs and name not in args.graphs:
            continue
        case_rows = run_case(name, fraction, args.time_limit, not args.skip_reference)
        print_table(case_rows)
        print()
        rows += case_rows
    print("all cases")
    print_table(rows)


if __name__ == "__main__":
    main()
