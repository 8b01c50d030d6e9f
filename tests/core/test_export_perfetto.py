"""Perfetto / Chrome trace: valid Trace Event Format, one track per device and link, memory counters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.export import write_perfetto
from core.export.perfetto import PROCESS_NAME, track_names
from core.problem import SchedulingProblem
from core.simulate import simulate
from core.trace import StepRole, Trace
from tests.core.test_export_schedule_json import SCHEDULE_CASES, two_device_case

REQUIRED = {
    "M": {"name", "ph", "pid", "tid", "args"},
    "X": {"name", "cat", "ph", "ts", "dur", "pid", "tid", "args"},
    "C": {"name", "ph", "ts", "pid", "args"},
}


def _export(tmp_path: Path, name: str) -> tuple[SchedulingProblem, Trace, dict]:
    problem, schedule = SCHEDULE_CASES[name]()
    trace = simulate(problem, schedule)
    assert trace.ok, trace.violations
    path = tmp_path / "trace.json"
    write_perfetto(path, problem, trace)
    return problem, trace, json.loads(path.read_text())


@pytest.mark.parametrize("name", sorted(SCHEDULE_CASES))
def test_every_event_has_the_fields_of_its_phase(tmp_path: Path, name: str) -> None:
    _, _, document = _export(tmp_path, name)
    assert document["displayTimeUnit"] == "ms"
    for event in document["traceEvents"]:
        assert REQUIRED[event["ph"]] <= set(event), event
        if event["ph"] in "XC":
            assert isinstance(event["ts"], float | int) and event["ts"] >= 0
        if event["ph"] == "X":
            assert event["dur"] >= 0
        if event["ph"] == "C":
            assert all(isinstance(v, int) for v in event["args"].values())


@pytest.mark.parametrize("name", sorted(SCHEDULE_CASES))
def test_one_thread_per_device_and_link(tmp_path: Path, name: str) -> None:
    problem, _, document = _export(tmp_path, name)
    meta = [e for e in document["traceEvents"] if e["ph"] == "M"]
    (process,) = [e for e in meta if e["name"] == "process_name"]
    assert process["args"]["name"] == PROCESS_NAME
    threads = [(e["tid"], e["args"]["name"]) for e in meta if e["name"] == "thread_name"]
    expected = [d.name for d in problem.system.devices] + [f"{l.src}->{l.dst}" for l in problem.system.links]
    assert sorted(name for _, name in threads) == sorted(expected)
    assert len({tid for tid, _ in threads}) == len(threads) == len(track_names(problem))


def test_steps_become_complete_events_on_their_lane(tmp_path: Path) -> None:
    problem, trace, document = _export(tmp_path, "two_devices")
    threads = {e["tid"]: e["args"]["name"] for e in document["traceEvents"] if e["name"] == "thread_name"}
    spans = [e for e in document["traceEvents"] if e["ph"] == "X"]
    timed = [t for t in trace.timings if t.role is not StepRole.FREE]
    assert len(spans) == len(timed)
    for span, timing in zip(spans, timed, strict=True):
        assert threads[span["tid"]] == timing.lane
        assert span["name"] == problem.graph.nodes[timing.node].name
        assert span["ts"] == pytest.approx(timing.start_s * 1e6)
        assert span["dur"] == pytest.approx(timing.duration_s * 1e6)
        assert span["args"]["role"] == span["cat"] == timing.role.value
        assert span["args"]["bytes"] == problem.graph.nodes[timing.node].size_bytes
    assert {s["cat"] for s in spans} == {"compute", "copy", "page_out", "page_in"}


def test_recomputations_are_marked(tmp_path: Path) -> None:
    _, trace, document = _export(tmp_path, "recompute")
    roles = [e["args"]["role"] for e in document["traceEvents"] if e["ph"] == "X"]
    assert roles.count("recompute") == trace.recompute_count == 1


@pytest.mark.parametrize("name", sorted(SCHEDULE_CASES))
def test_memory_counters_follow_the_simulator(tmp_path: Path, name: str) -> None:
    problem, trace, document = _export(tmp_path, name)
    counters = [e for e in document["traceEvents"] if e["ph"] == "C"]
    for memory, curve in enumerate(trace.memory_curves):
        mine = [e for e in counters if e["name"] == f"memory {problem.memory_name(memory)}"]
        assert [e["args"]["bytes"] for e in mine] == [used for _, used in curve]
        assert max(e["args"]["bytes"] for e in mine) == trace.peak_bytes[memory]
        times = [e["ts"] for e in mine]
        assert times == sorted(times)
        assert times[-1] <= trace.makespan_s * 1e6 + 1e-6


def test_write_is_strict_json(tmp_path: Path) -> None:
    problem, schedule = two_device_case()
    path = tmp_path / "t.json"
    write_perfetto(path, problem, simulate(problem, schedule))
    json.loads(path.read_text(), parse_constant=lambda c: pytest.fail(f"non-standard constant {c}"))
