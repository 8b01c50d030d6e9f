"""Conformance of every registered exact one-device solver (FORMULATIONS.md section 6).

Oracles: exhaustive search in the same schedule class (:func:`stage_optimum`), the bounds every
schedule obeys, revolve on chains, and the simulator (``solvers.run`` replays every schedule and
turns an objective that differs from the simulated serial time into an ERROR).

What exhaustive search over *all* compute/free sequences shows (documented, asserted below): it is
never worse than the stage class, and strictly better on about half of the random DAGs, always by
computing nodes for the first time in another topological order; restricted to first computations
in id order it equals the stage optimum on every case here. The stage class loses nothing but the
fixed topological order of the graph.
"""

from __future__ import annotations

import itertools

import pytest

import solvers
from core.graph import min_feasible_budget, no_recompute_peak
from core.problem import SchedulingProblem
from core.schedule import Compute
from solvers.base import SolveOptions, SolveStatus
from tests.helpers import chain_training_graph, one_device_problem
from tests.solvers.brute_force import stage_optimum, unrestricted_optimum
from tests.solvers.checkmate_cases import (
    exact_single_device,
    random_graph,
    revolve_evaluations,
    revolve_optimum,
    small_cases,
)

EXACT = exact_single_device()
CASES = small_cases()
EXACT_OPTIONS = SolveOptions(time_limit_s=60.0, mip_gap=0.0)


def _ids(cases: list[tuple[str, SchedulingProblem]]) -> list[str]:
    return [name for name, _ in cases]


@pytest.fixture(scope="module")
def stage_optima() -> dict[str, float | None]:
    return {name: stage_optimum(problem) for name, problem in CASES}


def test_at_least_two_exact_solvers_are_registered() -> None:
    assert {"checkmate-highs", "checkmate-scip"} <= set(EXACT)


@pytest.mark.parametrize("solver", EXACT)
@pytest.mark.parametrize(("name", "problem"), CASES, ids=_ids(CASES))
def test_agrees_with_exhaustive_search(solver: str, name: str, problem: SchedulingProblem,
                                       stage_optima: dict[str, float | None]) -> None:
    expected = stage_optima[name]
    result = solvers.run(solver, problem, EXACT_OPTIONS)
    if expected is None:
        assert result.status is SolveStatus.INFEASIBLE, result.message
        return
    assert result.status is SolveStatus.OPTIMAL, result.message
    assert result.objective == pytest.approx(expected)
    assert result.objective == pytest.approx(result.trace.serial_time_s)
    assert result.bound == pytest.approx(expected) and result.gap == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("solver", EXACT)
@pytest.mark.parametrize(("name", "problem"), CASES[::3], ids=_ids(CASES[::3]))
def test_published_formulation_has_the_same_optimum(solver: str, name: str, problem: SchedulingProblem,
                                                    stage_optima: dict[str, float | None]) -> None:
    options = SolveOptions(time_limit_s=60.0, mip_gap=0.0, params={"formulation": "published"})
    result = solvers.run(solver, problem, options)
    expected = stage_optima[name]
    if expected is None:
        assert result.status is SolveStatus.INFEASIBLE
    else:
        assert result.status is SolveStatus.OPTIMAL and result.objective == pytest.approx(expected)


@pytest.mark.parametrize(("name", "problem"), CASES, ids=_ids(CASES))
def test_stage_class_against_all_step_sequences(name: str, problem: SchedulingProblem,
                                                stage_optima: dict[str, float | None]) -> None:
    stage = stage_optima[name]
    anything = unrestricted_optimum(problem)
    in_order = unrestricted_optimum(problem, first_in_order=True)
    assert (anything is None) == (stage is None) == (in_order is None)
    if stage is not None:
        assert anything <= stage + 1e-9
        assert in_order == pytest.approx(stage)


@pytest.mark.parametrize("solver", EXACT)
def test_budget_at_the_peak_is_every_node_once_without_a_milp(solver: str) -> None:
    graph = random_graph(7, 8)
    result = solvers.run(solver, one_device_problem(graph, no_recompute_peak(graph)), EXACT_OPTIONS)
    assert result.status is SolveStatus.OPTIMAL
    assert result.objective == pytest.approx(sum(n.cost_s for n in graph.nodes))
    assert result.trace.recompute_count == 0 and "rounds" not in result.stats


@pytest.mark.parametrize("solver", [*EXACT, "lp-rounding"])
def test_budget_below_the_largest_working_set_is_infeasible_at_once(solver: str) -> None:
    graph = chain_training_graph(40)
    need = min_feasible_budget(graph)
    result = solvers.run(solver, one_device_problem(graph, need - 1), EXACT_OPTIONS)
    assert result.wall_s < 0.01, "the pre-check answers without building a model"
    assert result.status is SolveStatus.INFEASIBLE
    assert str(need) in result.message and result.stats["min_feasible_budget"] == need


@pytest.mark.parametrize("solver", EXACT)
@pytest.mark.parametrize("seed", [2, 11])
def test_optimum_never_rises_with_the_budget(solver: str, seed: int) -> None:
    graph = random_graph(seed, 8)
    low, peak = min_feasible_budget(graph), no_recompute_peak(graph)
    values = []
    for budget in range(low, peak + 11, 10):
        result = solvers.run(solver, one_device_problem(graph, budget), EXACT_OPTIONS)
        values.append(result.objective if result.objective is not None else float("inf"))
    assert all(a >= b - 1e-9 for a, b in itertools.pairwise(values))
    assert values[-1] == pytest.approx(sum(n.cost_s for n in graph.nodes))


@pytest.mark.parametrize("solver", EXACT)
@pytest.mark.parametrize(("length", "buffers"), [(3, 3), (4, 4), (5, 4), (6, 3), (6, 5), (6, 8)])
def test_chain_matches_revolve(solver: str, length: int, buffers: int) -> None:
    result = solvers.run(solver, one_device_problem(chain_training_graph(length), 10 * buffers), EXACT_OPTIONS)
    assert result.status is SolveStatus.OPTIMAL
    assert result.objective == pytest.approx(revolve_optimum(length, buffers))


def test_revolve_formula_special_cases() -> None:
    for steps in range(2, 12):
        assert revolve_evaluations(steps, 1) == steps * (steps - 1) // 2
        assert revolve_evaluations(steps, steps - 1) == steps - 1


@pytest.mark.parametrize(("length", "buffers"), [(4, 3), (4, 4), (4, 5), (3, 6)])
def test_revolve_mapping_is_exact_by_exhaustive_search(length: int, buffers: int) -> None:
    problem = one_device_problem(chain_training_graph(length), 10 * buffers)
    assert stage_optimum(problem) == pytest.approx(revolve_optimum(length, buffers))


@pytest.mark.parametrize("solver", EXACT)
def test_recomputation_overhead_falls_as_revolve_predicts_on_a_longer_chain(solver: str) -> None:
    """Between budgets the ratio of overheads follows revolve (the robust check of section 6.1)."""
    length = 9
    overhead = {}
    for buffers in (5, 7):
        result = solvers.run(solver, one_device_problem(chain_training_graph(length), 10 * buffers), EXACT_OPTIONS)
        overhead[buffers] = result.objective - (2 * length + 1)
    expected = {b: revolve_optimum(length, b) - (2 * length + 1) for b in (5, 7)}
    assert overhead[5] / overhead[7] == pytest.approx(expected[5] / expected[7])


HEURISTICS = [s.name for s in solvers.solvers() if not s.exact and s.availability()[0]]


@pytest.mark.parametrize(("name", "problem"), CASES[1::3], ids=_ids(CASES[1::3]))
def test_lp_bound_is_below_the_optimum(name: str, problem: SchedulingProblem,
                                       stage_optima: dict[str, float | None]) -> None:
    result = solvers.run("lp-rounding", problem, EXACT_OPTIONS)
    optimum = stage_optima[name]
    assert optimum is None or result.bound is None or result.bound <= optimum + 1e-9
    if result.objective is not None:
        assert optimum is not None and result.objective >= optimum - 1e-9


@pytest.mark.parametrize("heuristic", HEURISTICS)
@pytest.mark.parametrize(("name", "problem"), CASES[1::3], ids=_ids(CASES[1::3]))
def test_optimum_is_below_every_heuristic(heuristic: str, name: str, problem: SchedulingProblem,
                                          stage_optima: dict[str, float | None]) -> None:
    result = solvers.run(heuristic, problem, SolveOptions(time_limit_s=10.0))
    if result.schedule is None:
        return
    assert result.status is not SolveStatus.ERROR, result.message
    # A heuristic may run the graph in another topological order, which the stage class cannot.
    in_order = _first_computations_in_order(result.schedule)
    floor = stage_optima[name] if in_order else unrestricted_optimum(problem)
    assert floor is not None and result.objective >= floor - 1e-9


def _first_computations_in_order(schedule: object) -> bool:
    seen: list[int] = []
    for step in schedule.steps:  # type: ignore[attr-defined]
        if isinstance(step, Compute) and step.node not in seen:
            seen.append(step.node)
    return seen == sorted(seen)
