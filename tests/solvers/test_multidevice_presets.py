"""Several devices and paging on the bundled presets (resources/devices), with figures from them.

- Desktop (CPU + GPU over PCIe) with the bundled MLP sample: the GPU's memory cannot hold the
  training step, not even its weights; the plan splits the weights over both memories, uses both
  devices and beats the best single device by well over 20 %.
- Raspberry Pi 4 with its SD card, Cortex-M with its flash: at tight budgets the plan pages what
  costs less to page than to recompute, and the energy objective pages more than the time objective
  because the storage's joules per byte are cheap next to the CPU's watts.
"""

from __future__ import annotations

import json

import pytest

import solvers
from cli import main
from core.graph import min_feasible_budget, no_recompute_peak
from core.model_io import open_model
from core.paths import MODELS_DIR
from core.problem import Objective, build_problem
from core.system_io import load_system
from core.trace import StepRole
from solvers.base import SolveOptions, SolveStatus
from solvers.compare import best_single_device
from tests.solvers.multidevice_cases import chain_graph

OPTIONS = SolveOptions(time_limit_s=60)
MB = 1_000_000


def _lanes(result, *roles: StepRole) -> set[str]:  # type: ignore[no-untyped-def]
    return {t.lane for t in result.trace.timings if t.role in roles}


def _desktop_mlp():  # type: ignore[no-untyped-def]
    graph = open_model(MODELS_DIR / "mlp_bs64.onnx").training
    return build_problem(graph, load_system("desktop"), {"vram": int(0.6 * no_recompute_peak(graph))})


def test_gpu_memory_cannot_hold_the_mlp_step_alone() -> None:
    problem = _desktop_mlp()
    vram = problem.system.memories[1].name
    assert vram == "vram" and problem.place_parameters
    assert problem.total_static_bytes > problem.budgets_bytes[1]  # not even the weights fit
    alone = solvers.run("milp-highs", problem.restricted_to_device(1), OPTIONS)
    assert alone.status is SolveStatus.INFEASIBLE


@pytest.mark.parametrize("backend", ["milp-highs", "milp-scip"])
def test_desktop_plan_uses_both_devices_and_beats_the_best_single_one(backend: str) -> None:
    problem = _desktop_mlp()
    result = solvers.run(backend, problem, OPTIONS)
    assert result.status is SolveStatus.OPTIMAL, result.message
    assert _lanes(result, StepRole.COMPUTE, StepRole.RECOMPUTE) == {"cpu", "gpu"}
    assert _lanes(result, StepRole.COPY) <= {"ram->vram", "vram->ram"} and result.trace.copy_count > 0
    assert {memory for _node, memory in result.schedule.placement} == {0, 1}  # weights in both memories
    comparison = best_single_device(problem, OPTIONS, solver="checkmate-highs")
    assert comparison.best is not None and comparison.best.device == "cpu"
    gain = comparison.gain(result.objective)
    assert gain is not None and gain >= 0.2


def test_cli_reports_the_gain_over_the_best_single_device(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["solve", str(MODELS_DIR / "mlp_bs64.onnx"), "--system", "desktop", "--budget", "vram=0.6",
                 "--solver", "milp-highs", "--compare-single", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["status"] == "OPTIMAL"
    assert report["gain_over_best_single"] >= 0.2
    rows = {row["device"]: row for row in report["single_device"]["results"]}
    assert rows["gpu"]["status"] == "INFEASIBLE" and rows["cpu"]["status"] == "OPTIMAL"


def _pi_problem(objective: Objective):  # type: ignore[no-untyped-def]
    # Slow layers (1 s) with 4 MB outputs, fast ones (0.3 s) with 8 MB outputs.
    graph = chain_graph([8 * MB, 4 * MB, 8 * MB, 4 * MB, 8 * MB], {"cpu": [0.3, 1.0, 0.3, 1.0, 0.3]})
    return build_problem(graph, load_system("raspberry-pi4"), {"ram": 24 * MB}, objective=objective)


def _paged(result) -> list[int]:  # type: ignore[no-untyped-def]
    return sorted(t.node for t in result.trace.timings if t.role is StepRole.PAGE_OUT)


def _recomputed(result) -> list[int]:  # type: ignore[no-untyped-def]
    return sorted(t.node for t in result.trace.timings if t.role is StepRole.RECOMPUTE)


def test_raspberry_pi_pages_the_slow_layers_to_the_sd_card() -> None:
    problem = _pi_problem(Objective.TIME)
    assert no_recompute_peak(problem.graph) > problem.budgets_bytes[0]
    result = solvers.run("milp-highs", problem, OPTIONS)
    assert result.status is SolveStatus.OPTIMAL
    sizes = [n.size_bytes for n in problem.graph.nodes]
    # 4 MB costs 0.2 s out and 0.09 s back in over the card: cheaper than a 1 s recomputation.
    assert _paged(result) and all(sizes[i] == 4 * MB for i in _paged(result))
    assert all(sizes[i] == 8 * MB for i in _recomputed(result))
    assert _lanes(result, StepRole.PAGE_OUT) == {"ram->sd"} and _lanes(result, StepRole.PAGE_IN) == {"sd->ram"}


@pytest.mark.parametrize("backend", ["milp-highs", "milp-scip"])
def test_raspberry_pi_energy_and_time_objectives_pick_different_schedules(backend: str) -> None:
    by_time = solvers.run(backend, _pi_problem(Objective.TIME), OPTIONS)
    by_energy = solvers.run(backend, _pi_problem(Objective.ENERGY), OPTIONS)
    assert by_time.status is by_energy.status is SolveStatus.OPTIMAL
    # 8 MB to the card and back: 0.36 J against 1.9 J of CPU for recomputing a fast layer.
    assert len(_paged(by_energy)) > len(_paged(by_time)) and not _recomputed(by_energy)
    assert by_energy.trace.serial_time_s > by_time.trace.serial_time_s
    assert by_energy.trace.dynamic_energy_j < by_time.trace.dynamic_energy_j


def test_microcontroller_pages_to_flash_where_recomputing_costs_more() -> None:
    KB = 1000
    # A slow layer (2 s on the MCU) with a small output, cheap layers with larger ones.
    graph = chain_graph([120 * KB, 8 * KB, 120 * KB, 120 * KB], {"mcu": [0.05, 2.0, 0.05, 0.05]})
    system = load_system("cortex-m")
    budget = {"sram": min_feasible_budget(graph)}
    result = solvers.run("milp-highs", build_problem(graph, system, budget), OPTIONS)
    assert result.status is SolveStatus.OPTIMAL
    assert 1 in _paged(result) and 1 not in _recomputed(result)
    assert _lanes(result, StepRole.PAGE_OUT) == {"sram->flash"}
    without_flash = solvers.run("checkmate-highs", build_problem(graph, system, budget).restricted_to_device(0),
                                OPTIONS)
    assert without_flash.status is SolveStatus.OPTIMAL and 1 in _recomputed(without_flash)
    assert result.objective < without_flash.objective - 1.0


@pytest.mark.parametrize("backend", ["milp-highs", "milp-scip"])
def test_cancel_before_the_solve_starts_keeps_the_warm_start(backend: str) -> None:
    import threading

    cancel = threading.Event()
    cancel.set()
    result = solvers.run(backend, _desktop_mlp(), OPTIONS, cancel=cancel)
    assert result.status is SolveStatus.CANCELLED
    assert result.schedule is None or result.trace.ok


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["milp-highs", "milp-scip"])
def test_cancel_from_another_thread_stops_a_long_solve_within_two_seconds(backend: str) -> None:
    import threading
    import time

    graph = open_model(MODELS_DIR / "resnet18_bs32.onnx").training
    problem = build_problem(graph, load_system("desktop"), {"vram": int(0.55 * no_recompute_peak(graph))})
    cancel = threading.Event()
    cancelled_at: list[float] = []

    def fire() -> None:
        cancelled_at.append(time.perf_counter())
        cancel.set()

    def progress(report) -> None:  # type: ignore[no-untyped-def]
        # One second after the first incumbent (the warm start), while the solver works.
        if report.incumbent is not None and not cancelled_at and not hasattr(progress, "timer"):
            progress.timer = threading.Timer(1.0, fire)  # type: ignore[attr-defined]
            progress.timer.start()  # type: ignore[attr-defined]

    result = solvers.run(backend, problem, SolveOptions(time_limit_s=300), on_progress=progress, cancel=cancel)
    stopped = time.perf_counter()
    assert cancelled_at and result.status is SolveStatus.CANCELLED, result.message
    assert result.schedule is not None and result.trace.ok  # the incumbent is kept
    assert stopped - cancelled_at[0] < 2.0
