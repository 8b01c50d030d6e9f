"""The several-device MILP's starts: the exact one-device schedule joins greedy and the plain plans.

A fast GPU with a small memory beside a slow CPU: recomputing on the GPU beats every use of the CPU,
and at this budget the greedy heuristic finds no GPU schedule (its best start is the CPU alone, fifty
times slower). The exact one-device pipeline finds the GPU schedule, and the MILP starts from it.
"""

from __future__ import annotations

import threading

import pytest

import solvers
from core.problem import SchedulingProblem
from solvers.base import SolveOptions, SolveStatus
from solvers.checkmate import highs_backend as one_device
from solvers.multidevice.formulation import build_milp
from solvers.multidevice.pipeline import ONE_DEVICE_MIN_S, ONE_DEVICE_SHARE, warm_start
from tests.solvers.multidevice_cases import chain_graph, cpu_gpu_system, problem_on

OPTIONS = SolveOptions(time_limit_s=30)


def _gpu_recomputes() -> SchedulingProblem:
    graph = chain_graph([10, 20, 30, 10, 40, 20], {"cpu": [50.0] * 6, "gpu": [1.0] * 6})
    return problem_on(graph, cpu_gpu_system(111, 10**9))


def test_one_device_schedule_is_the_start_when_greedy_has_only_the_slow_device() -> None:
    problem = _gpu_recomputes()
    milp = build_milp(problem)
    alone = solvers.run("checkmate-highs", problem, OPTIONS)
    assert alone.status is SolveStatus.OPTIMAL and alone.trace is not None and alone.trace.ok
    without, source_without = warm_start(problem, milp, OPTIONS)
    assert without is not None and source_without == "plain on cpu"
    with_it, source = warm_start(problem, milp, OPTIONS, one_device=one_device.solve)
    assert with_it is not None and source == "one device"
    assert float(milp.cost @ with_it) == pytest.approx(alone.objective)
    assert float(milp.cost @ with_it) < float(milp.cost @ without)


@pytest.mark.parametrize("backend", ["milp-highs", "milp-scip"])
def test_several_device_optimum_is_never_worse_than_the_one_device_one(backend: str) -> None:
    problem = _gpu_recomputes()
    result = solvers.run(backend, problem, OPTIONS)
    alone = solvers.run("checkmate-highs", problem, OPTIONS)
    assert result.status is SolveStatus.OPTIMAL and result.trace is not None and result.trace.ok
    assert result.objective <= alone.objective + 1e-9
    assert result.stats["warm_start"] in {"one device", "greedy"}


def test_one_device_start_is_skipped_when_its_share_of_the_limit_is_too_short() -> None:
    problem = _gpu_recomputes()
    short = SolveOptions(time_limit_s=0.9 * ONE_DEVICE_MIN_S / ONE_DEVICE_SHARE)
    _, source = warm_start(problem, build_milp(problem), short, one_device=one_device.solve)
    assert source == "plain on cpu"


def test_one_device_start_reports_incumbents_but_never_its_bound() -> None:
    problem = _gpu_recomputes()
    reports = []
    warm_start(problem, build_milp(problem), OPTIONS, one_device=one_device.solve, on_progress=reports.append)
    ours = [r for r in reports if r.message.startswith("one-device start")]
    assert ours and all(r.incumbent is not None and r.bound is None and r.gap is None for r in ours)


def test_cancelled_starts_still_give_the_plain_plans() -> None:
    problem = _gpu_recomputes()
    cancel = threading.Event()
    cancel.set()
    x, source = warm_start(problem, build_milp(problem), OPTIONS, cancel=cancel, one_device=one_device.solve)
    assert x is not None and source == "plain on cpu"  # the plain plans need no solver
