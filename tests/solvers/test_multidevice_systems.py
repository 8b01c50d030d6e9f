"""Several devices and paging on small hand-made systems with figures chosen to make a point.

- CPU + GPU: the GPU's memory cannot hold the training step without recomputation; the plan uses
  both devices (two cheap-on-CPU operators run there, activations wait in host RAM) and beats the
  best single device, each single device solved by the same MILP restricted to it.
- Raspberry-Pi-like board with an SD card: paging an expensive operator's small output costs less
  time than recomputing it, a cheap operator's large output is recomputed instead; with the energy
  objective (SD transfers cost far fewer joules than CPU seconds) everything is paged and the step
  is slower: the two objectives pick different schedules, as the figures say they should.
- Microcontroller with flash: paging where recomputation would cost more.
"""

from __future__ import annotations

import dataclasses

import pytest

import solvers
from core.graph import min_feasible_budget, no_recompute_peak
from core.problem import Objective
from core.system import Link
from core.trace import StepRole
from solvers.base import SolveOptions, SolveStatus
from tests.solvers.multidevice_cases import chain_graph, cpu_gpu_system, problem_on, storage_system

MB = 1_000_000
OPTIONS = SolveOptions(time_limit_s=60)


def _cpu_gpu_problem():  # type: ignore[no-untyped-def]
    graph = chain_graph([100 * MB] * 6, {
        "cpu": [0.4, 0.4, 0.004, 0.4, 0.004, 0.4],
        "gpu": [0.02, 0.02, 0.03, 0.02, 0.03, 0.02],
    })
    system = cpu_gpu_system(gpu_bytes=300 * MB, cpu_bytes=10**10)
    system = dataclasses.replace(system, links=(Link("ram", "vram", 16e9, 0.0, 1e-10),
                                                Link("vram", "ram", 16e9, 0.0, 1e-10)))
    return problem_on(graph, system, {"vram": 300 * MB})


def test_gpu_memory_alone_is_too_small_without_recomputation() -> None:
    problem = _cpu_gpu_problem()
    assert no_recompute_peak(problem.graph) > problem.budgets_bytes[1]


@pytest.mark.parametrize("backend", ["milp-highs", "milp-scip"])
def test_cpu_gpu_plan_uses_both_devices_and_beats_each_alone(backend: str) -> None:
    problem = _cpu_gpu_problem()
    result = solvers.run(backend, problem, OPTIONS)
    assert result.status is SolveStatus.OPTIMAL, result.message
    lanes = {t.lane for t in result.trace.timings if t.role in (StepRole.COMPUTE, StepRole.RECOMPUTE)}
    assert lanes == {"cpu", "gpu"}
    assert {t.lane for t in result.trace.timings if t.role is StepRole.COPY} == {"ram->vram", "vram->ram"}
    singles = [solvers.run(backend, problem.restricted_to_device(d), OPTIONS) for d in range(2)]
    best = min(r.objective for r in singles if r.schedule is not None)
    gain = 1.0 - result.objective / best
    assert result.objective == pytest.approx(0.359)
    assert best == pytest.approx(0.78)
    assert gain > 0.5


def _pi_problem(objective: Objective, budget_mb: int = 24, time_limit_s: float | None = None):  # type: ignore[no-untyped-def]
    graph = chain_graph([8 * MB, 4 * MB, 8 * MB, 4 * MB, 8 * MB], {"cpu": [0.3, 1.0, 0.3, 1.0, 0.3]})
    # Cortex-A72-like board at 4 W; SD card at 40 MB/s and 2.5 nJ per byte.
    system = storage_system("pi-like", 10**10, 4.0, 40e6, 2.5e-9)
    return problem_on(graph, system, {"ram": budget_mb * MB}, objective=objective, time_limit_s=time_limit_s)


def _pages(result) -> list[int]:  # type: ignore[no-untyped-def]
    return sorted(t.node for t in result.trace.timings if t.role is StepRole.PAGE_OUT)


def _recomputed(result) -> list[int]:  # type: ignore[no-untyped-def]
    return sorted(t.node for t in result.trace.timings if t.role is StepRole.RECOMPUTE)


def test_time_objective_pages_what_is_cheaper_to_page_and_recomputes_the_rest() -> None:
    result = solvers.run("milp-highs", _pi_problem(Objective.TIME), OPTIONS)
    assert result.status is SolveStatus.OPTIMAL
    graph = result.trace and _pi_problem(Objective.TIME).graph
    paged = _pages(result)
    assert paged and all(graph.nodes[i].size_bytes == 4 * MB for i in paged)  # 1 s to compute, 0.2 s to page
    assert _recomputed(result) and all(graph.nodes[i].size_bytes == 8 * MB for i in _recomputed(result))
    assert {t.lane for t in result.trace.timings if t.role is StepRole.PAGE_IN} == {"sd->ram"}
    assert result.objective == pytest.approx(10.0)


@pytest.mark.parametrize("backend", ["milp-highs", "milp-scip"])
def test_energy_and_time_objectives_pick_different_schedules(backend: str) -> None:
    by_time = solvers.run(backend, _pi_problem(Objective.TIME), OPTIONS)
    by_energy = solvers.run(backend, _pi_problem(Objective.ENERGY), OPTIONS)
    assert by_time.status is by_energy.status is SolveStatus.OPTIMAL
    assert by_time.trace.schedule != by_energy.trace.schedule
    assert not _recomputed(by_energy) and len(_pages(by_energy)) > len(_pages(by_time))
    assert by_energy.trace.serial_time_s > by_time.trace.serial_time_s
    assert by_energy.trace.dynamic_energy_j < by_time.trace.dynamic_energy_j
    assert by_energy.objective == pytest.approx(by_energy.trace.dynamic_energy_j)


def test_energy_objective_respects_the_time_limit_paging_included() -> None:
    unlimited = solvers.run("milp-highs", _pi_problem(Objective.ENERGY), OPTIONS)
    limit = 10.1
    limited = solvers.run("milp-highs", _pi_problem(Objective.ENERGY, time_limit_s=limit), OPTIONS)
    assert unlimited.trace.serial_time_s > limit
    assert limited.status is SolveStatus.OPTIMAL
    assert limited.trace.serial_time_s <= limit + 1e-9
    assert unlimited.objective < limited.objective


def test_time_limit_below_the_fastest_step_is_infeasible_at_once() -> None:
    result = solvers.run("milp-highs", _pi_problem(Objective.ENERGY, time_limit_s=1.0), OPTIONS)
    assert result.status is SolveStatus.INFEASIBLE and "time limit" in result.message


def test_microcontroller_pages_to_flash_instead_of_recomputing_a_slow_layer() -> None:
    KB = 1000
    graph = chain_graph([16 * KB, 2 * KB, 16 * KB, 16 * KB], {"cpu": [0.01, 0.5, 0.01, 0.01]})
    # Cortex-M4-like at 0.1 W; external flash at 2 MB/s: 1 ms to page the slow layer's 2 kB out.
    system = storage_system("mcu-like", 10**6, 0.1, 2e6, 5e-9, storage_name="flash")
    budget = {"ram": min_feasible_budget(graph)}
    result = solvers.run("milp-highs", problem_on(graph, system, budget), OPTIONS)
    assert result.status is SolveStatus.OPTIMAL
    assert 1 in _pages(result) and 1 not in _recomputed(result)
    assert {t.lane for t in result.trace.timings if t.role is StepRole.PAGE_OUT} == {"ram->flash"}
    # Without the flash the same budget forces recomputing the slow layer, twice.
    bare = dataclasses.replace(system, memories=system.memories[:1], links=())
    alone = solvers.run("milp-highs", problem_on(graph, bare, budget), OPTIONS)
    assert alone.status is SolveStatus.OPTIMAL and _recomputed(alone).count(1) == 2
    assert result.objective < alone.objective - 0.9
