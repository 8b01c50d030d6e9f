"""The published XEngine model (cvxpy + SCIP) against the published optima and the linear model."""

from __future__ import annotations

import random

import pytest

import solvers
from solvers.base import SolveOptions, SolveStatus
from solvers.multidevice.xengine_reference import instance_from_case, instance_from_problem, solve_reference
from tests.solvers.multidevice_cases import xengine_cases, xengine_problem

CASES = {case["name"]: case for case in xengine_cases()}


def _param(name: str) -> object:
    slow = len(CASES[name]["memory"]) > 3
    return pytest.param(name, marks=pytest.mark.slow) if slow else name


@pytest.mark.parametrize("name", [_param(name) for name in CASES])
def test_reference_reproduces_published_optimum(name: str) -> None:
    result = solve_reference(instance_from_case(CASES[name]))
    assert result.objective == pytest.approx(CASES[name]["expected"])


@pytest.mark.slow
def test_reference_with_summed_memory_rows_gives_xengines_own_16() -> None:
    """The published code bounds only the total over devices: multi_skip_copy then costs 16."""
    result = solve_reference(instance_from_case(CASES["multi_skip_copy"]), memory="published")
    assert result.objective == pytest.approx(16.0)


def _random_chain_case(seed: int, n: int = 5) -> dict:
    """Two devices, a chain (one consumer per buffer, so per-edge and per-buffer copies agree), ample memory."""
    rng = random.Random(seed)
    edges = [[i, i + 1] for i in range(n - 1)]
    copy = [{"edge": e, "from": a, "to": 1 - a, "cost": rng.randint(1, 6)} for e in range(n - 1) for a in (0, 1)]
    return {
        "name": f"chain{seed}", "edges": edges,
        "cost": [[rng.randint(1, 10) for _ in range(n)] for _ in range(2)],
        "memory": [float(rng.randint(1, 4) * 1_000_000) for _ in range(n)],
        "copy": copy, "budget": [1e9, 1e9], "expected": None,
    }


@pytest.mark.parametrize("seed", range(4))
def test_linear_model_agrees_with_reference_without_memory_pressure(seed: int) -> None:
    case = _random_chain_case(seed)
    problem = xengine_problem(case)
    linear = solvers.run("milp-highs", problem, SolveOptions(time_limit_s=60))
    reference = solve_reference(instance_from_problem(problem))
    assert linear.status is SolveStatus.OPTIMAL
    assert linear.objective == pytest.approx(reference.objective)


@pytest.mark.parametrize("name", ["multi_skip", "multi_linear"])
def test_linear_model_never_costs_more_than_reference_with_ample_memory(name: str) -> None:
    """One copy may serve several consumers here; XEngine pays per edge and per stage."""
    case = dict(CASES[name], budget=[1e9, 1e9])
    problem = xengine_problem(case)
    linear = solvers.run("milp-highs", problem, SolveOptions(time_limit_s=60))
    reference = solve_reference(instance_from_problem(problem))
    assert linear.objective <= reference.objective + 1e-9
