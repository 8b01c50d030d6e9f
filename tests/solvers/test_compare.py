"""The best single-device comparison: every device alone, through solvers.run, and the gain over it."""

from __future__ import annotations

import json
import threading

import pytest

import solvers
from core.graph import no_recompute_peak
from core.problem import build_problem
from solvers.base import SolveOptions, SolveStatus
from solvers.compare import SingleDeviceComparison, SingleDeviceResult, best_single_device, default_solver
from tests.helpers import chain_training_graph, two_device_system
from tests.solvers.baseline_cases import frugal_and_fast_system, roofline_chain


def test_default_solver_is_an_exact_single_device_solver_that_loads_or_greedy() -> None:
    name = default_solver()
    if name == "greedy":
        return
    info = solvers.get(name)
    assert info.exact and not info.multi_device and info.availability()[0]
    info.load()


def test_each_device_alone_and_the_best_of_them() -> None:
    problem = build_problem(roofline_chain(8), frugal_and_fast_system())
    comparison = best_single_device(problem, SolveOptions(), solver="no-remat")
    assert [r.device for r in comparison.results] == ["little", "big"]
    assert all(r.status is SolveStatus.OPTIMAL and r.solver == "no-remat" for r in comparison.results)
    times = problem.costs.compute_time_s.sum(axis=0)
    assert [r.objective for r in comparison.results] == pytest.approx(list(times))
    assert comparison.best is not None and comparison.best.device == "big"
    assert comparison.gain(comparison.best.objective) == pytest.approx(0.0)
    assert comparison.gain(0.5 * times[1]) == pytest.approx(0.5)
    assert comparison.gain(None) is None


def test_a_device_too_small_has_no_objective() -> None:
    graph = chain_training_graph(10)
    peak = no_recompute_peak(graph)
    problem = build_problem(graph, two_device_system(), {"ram": peak, "vram": peak // 2})
    comparison = best_single_device(problem, SolveOptions(), solver="no-remat")
    cpu, gpu = comparison.results
    assert cpu.objective is not None and gpu.objective is None
    assert gpu.status is SolveStatus.NO_SOLUTION and gpu.message
    assert comparison.best == cpu


def test_as_dict_is_json_ready() -> None:
    problem = build_problem(roofline_chain(6), frugal_and_fast_system())
    data = best_single_device(problem, SolveOptions(), solver="greedy").as_dict()
    again = json.loads(json.dumps(data))
    assert [row["device"] for row in again["results"]] == ["little", "big"]
    assert again["best"]["device"] == "big" and again["results"][0]["status"] == "OPTIMAL"


def test_two_devices_beat_the_best_one_when_memory_is_short() -> None:
    graph = chain_training_graph(30)
    budget = int(0.6 * no_recompute_peak(graph))
    problem = build_problem(graph, two_device_system(), {"ram": budget, "vram": budget})
    together = solvers.run("greedy", problem)
    comparison = best_single_device(problem, SolveOptions(), solver="greedy")
    gain = comparison.gain(together.objective)
    assert gain is not None and gain > 0  # one device alone has to recompute; two only copy


def test_cancelled_devices_are_reported_as_such() -> None:
    cancel = threading.Event()
    cancel.set()
    problem = build_problem(roofline_chain(6), frugal_and_fast_system())
    comparison = best_single_device(problem, SolveOptions(), solver="greedy", cancel=cancel)
    assert [r.status for r in comparison.results] == [SolveStatus.CANCELLED] * 2
    assert comparison.best is None and comparison.gain(1.0) is None


def test_a_zero_best_gives_no_gain() -> None:
    comparison = SingleDeviceComparison((SingleDeviceResult("cpu", "greedy", SolveStatus.OPTIMAL, 0.0, 0.1),))
    assert comparison.gain(1.0) is None


def test_the_default_solver_is_used_when_none_is_named() -> None:
    problem = build_problem(roofline_chain(6), frugal_and_fast_system())
    comparison = best_single_device(problem, SolveOptions(time_limit_s=30))
    assert {r.solver for r in comparison.results} == {default_solver()}
    assert comparison.best is not None and comparison.best.device == "big"
