"""How the exact one-device solvers behave around the solve: cancel, progress, limits, starts, devices."""

from __future__ import annotations

import dataclasses
import itertools
import threading
import time

import numpy as np
import pytest

import solvers
from core.errors import RematError
from core.graph import NodeKind, TrainingGraph, TrainingNode, min_feasible_budget, no_recompute_peak
from core.problem import Objective, SchedulingProblem, build_problem
from core.schedule import Compute, Free
from solvers.base import Progress, SolveOptions, SolveResult, SolveStatus
from tests.helpers import chain_training_graph, make_graph, one_device_problem, two_device_system
from tests.solvers.checkmate_cases import exact_single_device, random_graph

EXACT = exact_single_device()
#: Long chains in few buffers: the MILP proves nothing for many seconds (revolve's optimum is 120).
HARD = one_device_problem(chain_training_graph(30), 50)


def _solve_in_thread(solver: str, problem: SchedulingProblem, options: SolveOptions,
                     on_progress: object, cancel: threading.Event) -> tuple[threading.Thread, list[SolveResult]]:
    box: list[SolveResult] = []
    thread = threading.Thread(target=lambda: box.append(
        solvers.run(solver, problem, options, on_progress=on_progress, cancel=cancel)))  # type: ignore[arg-type]
    thread.start()
    return thread, box


@pytest.mark.parametrize("solver", EXACT)
def test_cancel_from_another_thread_stops_within_two_seconds_keeping_the_incumbent(solver: str) -> None:
    cancel = threading.Event()
    solving = threading.Event()
    searching = threading.Event()

    def on_progress(report: Progress) -> None:
        if report.message.startswith("solving") and "threshold inf" not in report.message:
            solving.set()
        if solving.is_set() and report.message.startswith(("HiGHS", "SCIP")):
            searching.set()

    thread, box = _solve_in_thread(solver, HARD, SolveOptions(time_limit_s=120.0), on_progress, cancel)
    assert solving.wait(30.0), "the MILP never started"
    searching.wait(5.0)  # the backend's first report (or cancel anyway, while it builds or presolves)
    asked = time.perf_counter()
    cancel.set()
    thread.join(10.0)
    assert time.perf_counter() - asked < 2.0
    result = box[0]
    assert result.status is SolveStatus.CANCELLED
    assert result.schedule is not None and result.trace.ok and result.objective == result.trace.serial_time_s
    assert result.bound is not None and result.bound <= result.objective


@pytest.mark.parametrize("solver", EXACT)
def test_progress_reports_incumbent_bound_and_gap(solver: str) -> None:
    reports: list[Progress] = []
    result = solvers.run(solver, HARD, SolveOptions(time_limit_s=2.0), on_progress=reports.append)
    complete = [r for r in reports if r.incumbent is not None and r.bound is not None]
    assert complete and all(r.gap == pytest.approx((r.incumbent - r.bound) / r.incumbent) for r in complete)
    assert all(b.elapsed_s >= a.elapsed_s for a, b in itertools.pairwise(reports))
    assert min(r.incumbent for r in complete) == pytest.approx(result.objective)
    assert max(r.bound for r in complete) <= result.objective + 1e-9


@pytest.mark.parametrize("solver", EXACT)
def test_time_limit_gives_feasible_with_its_gap(solver: str) -> None:
    result = solvers.run(solver, HARD, SolveOptions(time_limit_s=1.0))
    assert result.status is SolveStatus.FEASIBLE
    assert result.gap is not None and result.gap > 0 and result.bound < result.objective
    assert result.wall_s < 3.0


@pytest.mark.parametrize("solver", EXACT)
def test_without_starts_a_tiny_limit_is_never_called_optimal(solver: str) -> None:
    result = solvers.run(solver, HARD, SolveOptions(time_limit_s=0.2, params={"starts": False}))
    assert result.status in (SolveStatus.NO_SOLUTION, SolveStatus.FEASIBLE)
    assert (result.schedule is None) == (result.status is SolveStatus.NO_SOLUTION)


@pytest.mark.parametrize("solver", EXACT)
def test_library_options_pass_through_and_unknown_ones_are_named(solver: str) -> None:
    problem = one_device_problem(chain_training_graph(4), 40)
    option = {"checkmate-highs": {"presolve": "off"}, "checkmate-scip": {"presolving/maxrounds": 0},
              "checkmate-portfolio": {"highs:presolve": "off", "scip:presolving/maxrounds": 0}}[solver]
    assert solvers.run(solver, problem, SolveOptions(params=option)).status is SolveStatus.OPTIMAL
    with pytest.raises(RematError, match="no_such_option"):
        solvers.run(solver, problem, SolveOptions(params={"no_such_option": 1}))


@pytest.mark.parametrize("solver", EXACT)
def test_models_too_large_to_build_return_the_best_start(solver: str) -> None:
    result = solvers.run(solver, HARD, SolveOptions(time_limit_s=10.0, params={"max_columns": 100}))
    assert result.status is SolveStatus.FEASIBLE and result.stats["rounds"] == []
    assert "too many to solve exactly" in result.message and result.trace.ok


@pytest.mark.parametrize("solver", EXACT)
def test_infeasible_above_the_working_set_is_proven_by_the_milp(solver: str) -> None:
    # Node 0 is random (never recomputed) and read last, so it is held while node 2 runs from node 1:
    # 45 bytes at once, although no single working set exceeds 35.
    graph = _graph_with_random_node([10, 25, 10, 10], [(), (), (1,), (0, 2)], random_node=0)
    assert min_feasible_budget(graph) == 35
    refused = solvers.run(solver, one_device_problem(graph, 40), SolveOptions(time_limit_s=10.0))
    assert refused.status is SolveStatus.INFEASIBLE and "raise the budget" in refused.message
    fits = solvers.run(solver, one_device_problem(graph, 45), SolveOptions(time_limit_s=10.0))
    assert fits.status is SolveStatus.OPTIMAL


def _graph_with_random_node(sizes: list[int], deps: list[tuple[int, ...]], random_node: int) -> TrainingGraph:
    base = make_graph(sizes, deps)
    nodes = tuple(dataclasses.replace(n, random=n.id == random_node) for n in base.nodes)
    return TrainingGraph(name="with-dropout", nodes=nodes)


@pytest.mark.parametrize("solver", EXACT)
def test_given_warm_start_is_used(solver: str) -> None:
    problem = one_device_problem(chain_training_graph(5), 40)
    first = solvers.run(solver, problem, SolveOptions(time_limit_s=30.0, mip_gap=0.0))
    again = solvers.run(solver, problem, SolveOptions(time_limit_s=30.0, mip_gap=0.0,
                                                      warm_start=first.schedule))
    assert again.stats["starts"]["given"] == pytest.approx(first.objective) == again.objective


@pytest.mark.parametrize("solver", EXACT)
def test_several_devices_plan_on_the_best_one_and_name_it(solver: str) -> None:
    graph = chain_training_graph(4)
    # The CPU's budget cannot hold a working set (3 buffers of 10 bytes): only the GPU can run it.
    problem = build_problem(graph, two_device_system(), {"ram": 20, "vram": 40})
    result = solvers.run(solver, problem, SolveOptions(time_limit_s=30.0, mip_gap=0.0))
    assert result.status is SolveStatus.OPTIMAL, result.message
    gpu, vram = 1, problem.device_memory[1]
    assert {s.device for s in result.schedule.steps if isinstance(s, Compute)} == {gpu}
    assert {s.memory for s in result.schedule.steps if isinstance(s, Free)} == {vram}
    assert result.trace.ok and result.stats["device"] == "gpu"


@pytest.mark.parametrize("solver", EXACT)
def test_random_nodes_are_never_recomputed(solver: str) -> None:
    base = chain_training_graph(4)
    nodes = tuple(dataclasses.replace(n, random=n.id == 1) for n in base.nodes)
    graph = TrainingGraph(name="dropout-chain", nodes=nodes)
    result = solvers.run(solver, one_device_problem(graph, 40), SolveOptions(time_limit_s=30.0, mip_gap=0.0))
    assert result.status is SolveStatus.OPTIMAL
    assert sum(1 for s in result.schedule.steps if isinstance(s, Compute) and s.node == 1) == 1


@pytest.mark.parametrize("solver", EXACT)
def test_energy_objective_minimizes_dynamic_energy(solver: str) -> None:
    graph = chain_training_graph(5)
    budget = 40
    problem = build_problem(graph, one_device_problem(graph).system, {"ram": budget}, objective=Objective.ENERGY)
    result = solvers.run(solver, problem, SolveOptions(time_limit_s=30.0, mip_gap=0.0))
    assert result.status is SolveStatus.OPTIMAL
    assert result.objective == pytest.approx(result.trace.dynamic_energy_j)
    limited = build_problem(graph, problem.system, {"ram": budget}, objective=Objective.ENERGY, time_limit_s=100.0)
    refused = solvers.run(solver, limited, SolveOptions(time_limit_s=5.0))
    assert refused.status is SolveStatus.ERROR and "milp-highs" in refused.message


def _elementwise_graph(blocks: int = 3) -> TrainingGraph:
    """``blocks`` x (conv -> relu -> add), a last conv, the loss, and each convolution's backward node.

    A convolution's backward node reads the gradient and the convolution's input (the previous add).
    """
    spec: list[tuple[str, tuple[int, ...]]] = []
    conv_inputs: list[int | None] = []
    for _ in range(blocks + 1):
        conv_inputs.append(len(spec) - 1 if spec else None)
        spec.append(("Conv", (len(spec) - 1,) if spec else ()))
        if len(conv_inputs) <= blocks:
            spec += [("Relu", (len(spec) - 1,)), ("Add", (len(spec),))]
    spec.append(("Loss", (len(spec) - 1,)))
    for source in reversed(conv_inputs):
        spec.append(("ConvGrad", (len(spec) - 1,) + ((source,) if source is not None else ())))
    kinds = {"Loss": NodeKind.LOSS, "ConvGrad": NodeKind.BACKWARD}
    nodes = tuple(
        TrainingNode(id=i, name=f"{k.lower()}{i}", kind=kinds.get(k, NodeKind.FORWARD), op_type=k,
                     size_bytes=40 if k.startswith("Conv") else 5, deps=d,
                     cost_s=1.0 if k in ("Relu", "Add") else 10.0)
        for i, (k, d) in enumerate(spec)
    )
    return TrainingGraph(name="elementwise", nodes=nodes)


@pytest.mark.parametrize("solver", EXACT)
@pytest.mark.parametrize("budget", [90, 95])
def test_fusing_elementwise_chains_gives_valid_schedules_never_below_the_optimum(solver: str, budget: int) -> None:
    problem = one_device_problem(_elementwise_graph(5), budget)
    exact = solvers.run(solver, problem, SolveOptions(time_limit_s=30.0, mip_gap=0.0))
    fused = solvers.run(solver, problem, SolveOptions(time_limit_s=30.0, mip_gap=0.0,
                                                      params={"fuse_elementwise": True}))
    assert exact.status is fused.status is SolveStatus.OPTIMAL and fused.trace.ok
    assert fused.objective >= exact.objective - 1e-9
    assert fused.stats["rounds"][-1]["columns"] < exact.stats["rounds"][-1]["columns"]


def test_lp_rounding_is_a_solver_of_its_own() -> None:
    graph = random_graph(3, 8)
    problem = one_device_problem(graph, (no_recompute_peak(graph) * 9) // 10)
    result = solvers.run("lp-rounding", problem, SolveOptions(time_limit_s=10.0))
    assert result.status in (SolveStatus.FEASIBLE, SolveStatus.OPTIMAL, SolveStatus.NO_SOLUTION)
    if result.schedule is not None:
        assert result.trace.ok and result.bound <= result.objective
    assert np.isfinite(result.bound)
