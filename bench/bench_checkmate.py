"""Exact schedules side by side with the published formulation: the one benchmark harness.

``.venv/bin/python -m bench.bench_checkmate [--graphs NAME ...] [--fractions 0.8 0.9] [--time-limit S]
[--reference-limit S] [--solver NAME] [--repeat N] [--skip-reference] [--two-device] [--markdown FILE]``

In one process and one run, for each training graph (every graph of ../shared/benchmarks/graphs and
the bundled sample models) and each budget (a fraction of the no-recomputation peak, on one device;
of the part above the static memory for the sample models, :func:`benchmark_budget`):

* the plain re-implementation of the published Checkmate MILP (:mod:`bench.plain_checkmate_ref`,
  HiGHS through SciPy, no reduction, no warm start), limited to ``--reference-limit`` seconds;
* the project's exact pipeline (``--solver``, default :data:`BEST`), limited to ``--time-limit``;
* the heuristics greedy and lp-rounding on the same case.

Each row gives the status, the simulated objective (every schedule is replayed by the simulator),
its overhead over computing every node once, the proven gap, the wall time (the median over
``--repeat`` runs) and, for the exact pipeline, the reference's time over its own (only where the
reference finished: proved its optimum or infeasibility). ``--two-device`` (or ``--only-two-device``)
adds the two-device case: the ResNet-18 sample on the desktop preset (CPU + GPU over PCIe) with the
GPU's memory at 80 % and 90 % of the step's peak (the budgets of the one-device cases) and at a
tighter 60 %, solved by the multi-device MILPs; its overhead is over every node once on its fastest
device. Timings on a shared machine are noisy: rerun the figures that matter (``--repeat 3``).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import solvers
from bench.graph_files import BENCHMARK_GRAPHS, load_graph
from bench.plain_checkmate_ref import solve_plain
from core.graph import TrainingGraph, no_recompute_peak
from core.model_io import open_model
from core.paths import MODELS_DIR
from core.problem import SchedulingProblem, build_problem
from core.system import Device, Memory, System
from core.system_io import load_system
from solvers.base import SolveOptions, SolveResult

#: The project's best exact one-device pipeline (the portfolio races HiGHS and SCIP on two cores).
BEST = "checkmate-portfolio"
FRACTIONS = (0.8, 0.9)
HEURISTICS = ("greedy", "lp-rounding")
#: The sample models whose training graphs are benchmarked too (the GPT-2 graphs are left out:
#: their stage models have millions of columns; see docs/benchmarks.md).
SAMPLE_MODELS = ("mlp_bs64", "vgg11_bs32", "resnet18_bs32", "resnet50_bs32", "unet_bs8")
#: Relative gap every exact solve (the reference included) is asked to close.
MIP_GAP = 1e-9
TWO_DEVICE_MODEL, TWO_DEVICE_FRACTIONS = "resnet18_bs32", (0.8, 0.9, 0.6)
TWO_DEVICE_SOLVERS = ("milp-highs", "milp-scip")


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


def graph_names() -> list[str]:
    """Every benchmark graph, then the sample models (``model:NAME``)."""
    shared = sorted(p.stem for p in BENCHMARK_GRAPHS.glob("*.json")) if BENCHMARK_GRAPHS.is_dir() else []
    return shared + [f"model:{m}" for m in SAMPLE_MODELS]


def graph_file(name: str) -> Path:
    """The file behind a graph name: a benchmark graph, or ``model:NAME`` for a bundled ONNX model."""
    if name.startswith("model:"):
        return MODELS_DIR / f"{name.removeprefix('model:')}.onnx"
    return BENCHMARK_GRAPHS / f"{name}.json"


def training_graph(name: str) -> TrainingGraph:
    if name.startswith("model:"):
        return open_model(MODELS_DIR / f"{name.removeprefix('model:')}.onnx").training
    return load_graph(BENCHMARK_GRAPHS / f"{name}.json")


def benchmark_budget(graph: TrainingGraph, fraction: float) -> int:
    """The static memory plus ``fraction`` of the rest of the no-recomputation peak.

    The benchmark graphs have no static memory: this is ``fraction`` of their peak, as in the
    literature. A sample model's weights, gradients and optimizer state stay whatever the schedule
    (MLP: 95 % of its peak), so a fraction of the whole peak would leave no room for activations.
    """
    static = graph.static_bytes
    return static + int((no_recompute_peak(graph) - static) * fraction)


def benchmark_problem(name: str, fraction: float) -> SchedulingProblem:
    """One device with the graph's own costs (roofline costs for the sample models) and the
    :func:`benchmark_budget` of ``fraction``."""
    graph = training_graph(name)
    budget = benchmark_budget(graph, fraction)
    system = System(name="bench", devices=(Device("dev", "gpu", "mem", peak_flops=1e12, mem_bandwidth_bytes_s=1e11),),
                    memories=(Memory("mem", 10**15),))
    return build_problem(graph, system, {"mem": budget})


def two_device_problem(fraction: float) -> SchedulingProblem:
    """The two-device case: the GPU's memory at ``fraction`` of the step's no-recomputation peak."""
    graph = training_graph(f"model:{TWO_DEVICE_MODEL}")
    return build_problem(graph, load_system("desktop"), {"vram": int(fraction * no_recompute_peak(graph))})


def _median_run(run: Callable[[], SolveResult], repeat: int) -> tuple[SolveResult, float]:
    """The result of the run of median wall time over ``repeat`` runs."""
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        runs.append((time.perf_counter() - started, result))
    runs.sort(key=lambda r: r[0])
    wall, result = runs[len(runs) // 2]
    return result, wall


def _row(name: str, fraction: float, solver: str, result: SolveResult, wall: float, base: float,
         ratio: float | None = None) -> Row:
    if result.schedule is not None and (result.trace is None or not result.trace.ok):
        raise AssertionError(f"{solver} on {name}: its schedule fails the simulator")
    overhead = None if result.objective is None else result.objective / base - 1.0
    return Row(name, fraction, solver, result.status.value, result.objective, overhead, result.gap, wall, ratio)


def run_case(name: str, fraction: float, *, time_limit_s: float, reference_limit_s: float, solver: str,
             reference: bool, heuristics: bool, repeat: int) -> list[Row]:
    problem = benchmark_problem(name, fraction)
    base = float(problem.costs.compute_time_s[:, 0].sum())  # every node once
    rows: list[Row] = []
    ratio_base = None
    if reference:
        walls, ref = [], None
        for _ in range(repeat):
            ref = solve_plain(problem, reference_limit_s, mip_gap=MIP_GAP)
            walls.append(ref.wall_s)
        assert ref is not None
        ref_wall = statistics.median(walls)
        # a ratio only against a reference that finished (proved optimal or infeasible)
        ratio_base = ref_wall if ref.status in ("optimal", "infeasible") else None
        gap = None if ref.objective is None or ref.bound is None else max(0.0, 1 - ref.bound / ref.objective)
        rows.append(Row(name, fraction, "published (SciPy/HiGHS)", ref.status, ref.objective,
                        None if ref.objective is None else ref.objective / base - 1.0, gap, ref_wall))
    options = SolveOptions(time_limit_s=time_limit_s, mip_gap=MIP_GAP)
    result, wall = _median_run(lambda: solvers.run(solver, problem, options), repeat)
    rows.append(_row(name, fraction, solver, result, wall, base, None if ratio_base is None else ratio_base / wall))
    for heuristic in HEURISTICS if heuristics else ():
        result, wall = _median_run(lambda h=heuristic: solvers.run(h, problem, options), 1)
        rows.append(_row(name, fraction, heuristic, result, wall, base))
    return rows


def run_two_device(fraction: float, time_limit_s: float, repeat: int) -> list[Row]:
    problem = two_device_problem(fraction)
    base = float(problem.costs.compute_time_s.min(axis=1).sum())  # every node once, each on its fastest device
    options = SolveOptions(time_limit_s=time_limit_s, mip_gap=1e-4)
    rows = []
    for solver in TWO_DEVICE_SOLVERS:
        result, wall = _median_run(lambda s=solver: solvers.run(s, problem, options), repeat)
        rows.append(_row(f"model:{TWO_DEVICE_MODEL} (desktop)", fraction, solver, result, wall, base))
    return rows


def _fmt(value: float | None, spec: str) -> str:
    width = int(spec.split(".")[0] or 0)
    return "-".rjust(width) if value is None else format(value, spec)


def print_table(rows: Sequence[Row]) -> None:
    header = f"{'graph':30} {'budget':>6} {'solver':25} {'status':11} {'objective':>17} {'overhead':>9} " \
             f"{'gap':>8} {'wall s':>8} {'ref/this':>8}"
    print(header)
    print("-" * len(header))
    for r in rows:
        overhead = _fmt(None if r.overhead is None else 100 * r.overhead, "8.4f")
        print(f"{r.graph:30} {r.fraction:>6.0%} {r.solver:25} {r.status:11} {_fmt(r.objective, '17.14g')} "
              f"{overhead}% {_fmt(r.gap, '8.1e')} {r.wall_s:8.2f} {_fmt(r.ratio, '8.1f')}", flush=True)


def markdown_table(rows: Sequence[Row]) -> str:
    lines = ["| graph | budget | solver | status | objective | overhead | gap | wall s | ref/this |",
             "|---|---:|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        overhead = "-" if r.overhead is None else f"{100 * r.overhead:.3f} %"
        lines.append(f"| {r.graph} | {r.fraction:.0%} | {r.solver} | {r.status} | {_fmt(r.objective, '.8g')} | "
                     f"{overhead} | {_fmt(r.gap, '.1e')} | {r.wall_s:.2f} | {_fmt(r.ratio, '.1f')} |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graphs", nargs="*", help="graph names (default: every benchmark graph and sample model)")
    parser.add_argument("--fractions", nargs="*", type=float, default=list(FRACTIONS),
                        help="budgets as fractions of the no-recomputation peak (default 0.8 0.9)")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per solve of ours (default 60)")
    parser.add_argument("--reference-limit", type=float, default=600.0,
                        help="seconds for the published model (default 600)")
    parser.add_argument("--solver", default=BEST, help=f"the exact pipeline to measure (default {BEST})")
    parser.add_argument("--repeat", type=int, default=1, help="runs per solve; the median wall time is shown")
    parser.add_argument("--skip-reference", action="store_true", help="do not run the published model")
    parser.add_argument("--no-heuristics", action="store_true", help="do not run greedy and lp-rounding")
    parser.add_argument("--two-device", action="store_true", help="add the two-device ResNet-18 case")
    parser.add_argument("--only-two-device", action="store_true", help="run the two-device case alone")
    parser.add_argument("--two-device-fractions", nargs="*", type=float, default=list(TWO_DEVICE_FRACTIONS),
                        help="GPU budgets as fractions of the peak (default 0.8 0.9 0.6)")
    parser.add_argument("--two-device-limit", type=float, default=120.0, help="seconds for it (default 120)")
    parser.add_argument("--markdown", type=Path, help="also write the table as Markdown to this file")
    args = parser.parse_args(argv)
    names = [] if args.only_two_device else args.graphs or graph_names()
    unknown = [name for name in names if not graph_file(name).is_file()]
    if unknown:
        parser.error(f"no graph {', '.join(map(repr, unknown))}: choose among {', '.join(graph_names())}")
    rows: list[Row] = []
    for name in names:
        for fraction in args.fractions:
            case_rows = run_case(name, fraction, time_limit_s=args.time_limit,
                                 reference_limit_s=args.reference_limit, solver=args.solver,
                                 reference=not args.skip_reference, heuristics=not args.no_heuristics,
                                 repeat=max(1, args.repeat))
            print_table(case_rows)
            print()
            rows += case_rows
    for fraction in args.two_device_fractions if args.two_device or args.only_two_device else ():
        case_rows = run_two_device(fraction, args.two_device_limit, max(1, args.repeat))
        print_table(case_rows)
        print()
        rows += case_rows
    print("all cases")
    print_table(rows)
    if args.markdown is not None:
        args.markdown.write_text(markdown_table(rows))


if __name__ == "__main__":
    main()
