"""trace_metrics: known figures on hand-made schedules."""

from __future__ import annotations

import json

import pytest

from core.metrics import recompute_overhead, trace_metrics
from core.simulate import simulate
from tests.core.test_export_schedule_json import (
    SCHEDULE_CASES,
    checkpointed_chain_case,
    plain_case,
    recompute_case,
    two_device_case,
)


def test_plain_schedule_figures() -> None:
    problem, schedule = plain_case()
    trace = simulate(problem, schedule)
    metrics = trace_metrics(problem, trace)
    assert metrics == {
        "serial_time_s": pytest.approx(7.0), "makespan_s": pytest.approx(7.0),
        "energy_j": pytest.approx(70.0), "dynamic_energy_j": pytest.approx(70.0),
        "peak_bytes": {"ram": 150}, "budget_bytes": {"ram": 10**12},
        "compute_count": 7, "recompute_count": 0, "copy_count": 0, "page_count": 0, "remote_read_count": 0,
        "recompute_overhead": 0.0, "step_count": len(schedule.steps), "violation_count": 0,
    }


def test_recompute_overhead_is_recompute_time_over_each_node_once() -> None:
    # costs 2, 3, 5; node 0 (cost 2) is computed twice: 12 / 10 - 1
    problem, schedule = recompute_case()
    metrics = trace_metrics(problem, simulate(problem, schedule))
    assert metrics["recompute_count"] == 1
    assert metrics["recompute_overhead"] == pytest.approx(0.2)


def test_checkpointed_chain_overhead_matches_serial_time() -> None:
    # every node costs 1 s: the overhead is (serial time - node count) / node count
    problem, schedule = checkpointed_chain_case()
    metrics = trace_metrics(problem, simulate(problem, schedule))
    n = problem.n_nodes
    assert metrics["recompute_count"] == metrics["serial_time_s"] - n
    assert metrics["recompute_overhead"] == pytest.approx((metrics["serial_time_s"] - n) / n)


def test_two_device_counts_and_memories() -> None:
    problem, schedule = two_device_case()
    trace = simulate(problem, schedule)
    metrics = trace_metrics(problem, trace)
    assert (metrics["compute_count"], metrics["copy_count"], metrics["page_count"]) == (4, 2, 2)
    assert metrics["peak_bytes"] == {"ram": 18 * 10**8, "vram": 9 * 10**8, "disk": 4 * 10**8}
    assert metrics["budget_bytes"] == {"ram": 2 * 10**9, "vram": 10**9, "disk": 10**12}
    assert metrics["makespan_s"] < metrics["serial_time_s"]
    assert metrics["energy_j"] > metrics["dynamic_energy_j"]  # the GPU idles part of the step


@pytest.mark.parametrize("name", sorted(SCHEDULE_CASES))
def test_metrics_are_plain_json(name: str) -> None:
    problem, schedule = SCHEDULE_CASES[name]()
    metrics = trace_metrics(problem, simulate(problem, schedule))
    assert json.loads(json.dumps(metrics, allow_nan=False)) == metrics


def test_overhead_of_an_empty_trace_is_zero() -> None:
    problem, _ = recompute_case()
    from core.schedule import Schedule

    assert recompute_overhead(simulate(problem, Schedule(()))) == 0.0
