"""Chrome / Perfetto trace (Trace Event Format JSON): open it in ui.perfetto.dev or chrome://tracing.

One process, "Remat Studio schedule"; one thread (track) per device and per link; a complete event
(``"ph": "X"``) per compute, recompute, copy and page step of the overlapped timeline; one counter
(``"ph": "C"``) per memory with the bytes it holds.

Counter values are the simulator's memory curve (step order, static memory included), so they agree
with the peaks it reports. Each value is placed at the time its step happens in the overlapped
timeline, but never before the previous value of the same memory: the overlapped run may start a
later step earlier on another queue, and the memory figures follow step order (see
:mod:`core.simulate`).
"""

from __future__ import annotations

import json
import os
from typing import Any

from core.jsonfile import atomic_write_text
from core.problem import SchedulingProblem
from core.schedule import Compute, Copy
from core.trace import StepRole, Trace

PROCESS_NAME = "Remat Studio schedule"
PID = 1
#: Chrome's reserved colour names (Perfetto ignores them): one per role.
ROLE_COLOURS = {
    StepRole.COMPUTE: "thread_state_running",
    StepRole.RECOMPUTE: "terrible",
    StepRole.COPY: "rail_animation",
    StepRole.PAGE_OUT: "rail_load",
    StepRole.PAGE_IN: "rail_response",
    StepRole.REMOTE_READ: "rail_idle",
}
_US_PER_S = 1e6


def track_names(problem: SchedulingProblem) -> list[str]:
    """Track names in display order: devices, then links as ``src->dst`` (the simulator's lanes)."""
    devices = [d.name for d in problem.system.devices]
    return devices + [f"{link.src}->{link.dst}" for link in problem.system.links]


def _metadata_events(tracks: list[str]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = [
        {"ph": "M", "name": "process_name", "pid": PID, "tid": 0, "args": {"name": PROCESS_NAME}},
    ]
    for tid, name in enumerate(tracks, start=1):
        events.append({"ph": "M", "name": "thread_name", "pid": PID, "tid": tid, "args": {"name": name}})
        events.append({"ph": "M", "name": "thread_sort_index", "pid": PID, "tid": tid,
                       "args": {"sort_index": tid}})
    return events


def _step_events(problem: SchedulingProblem, trace: Trace, tids: dict[str, int]) -> list[dict[str, Any]]:
    events = []
    for timing in (*trace.timings, *trace.remote_reads):
        if timing.role is StepRole.FREE or timing.lane not in tids:
            continue  # frees take no time (they show in the counters); "?" lanes are broken steps
        node = problem.graph.nodes[timing.node]
        step = trace.schedule.steps[timing.index]
        args: dict[str, Any] = {"role": timing.role.value, "node": node.id, "step": timing.index,
                                "bytes": node.size_bytes, "energy_j": timing.energy_j,
                                "kind": node.kind.value, "op_type": node.op_type}
        if isinstance(step, Copy):
            args["src"] = problem.memory_name(step.src)
            args["dst"] = problem.memory_name(step.dst)
        elif timing.role is StepRole.REMOTE_READ:
            args["reader"] = problem.graph.nodes[step.node].name
        elif isinstance(step, Compute):
            args["memory"] = problem.memory_name(problem.device_memory[step.device])
        events.append({
            "name": node.name, "cat": timing.role.value, "ph": "X",
            # A compute's duration_s also counts its remote reads, which run on the link tracks.
            "ts": timing.start_s * _US_PER_S, "dur": (timing.end_s - timing.start_s) * _US_PER_S,
            "pid": PID, "tid": tids[timing.lane], "cname": ROLE_COLOURS[timing.role], "args": args,
        })
    return events


def _counter_events(problem: SchedulingProblem, trace: Trace) -> list[dict[str, Any]]:
    events = []
    for memory, curve in enumerate(trace.memory_curves):
        name = f"memory {problem.memory_name(memory)}"
        ts_us = 0.0
        for step_index, used in curve:
            if step_index >= 0:
                ts_us = max(ts_us, trace.timings[step_index].start_s * _US_PER_S)
            events.append({"name": name, "ph": "C", "ts": ts_us, "pid": PID, "args": {"bytes": used}})
    return events


def perfetto_document(problem: SchedulingProblem, trace: Trace) -> dict[str, Any]:
    """The trace as a dict: ``{"traceEvents": [...], "displayTimeUnit": "ms", "otherData": {...}}``."""
    tracks = track_names(problem)
    tids = {name: tid for tid, name in enumerate(tracks, start=1)}
    events = _metadata_events(tracks) + _step_events(problem, trace, tids) + _counter_events(problem, trace)
    budgets = {problem.memory_name(m): b for m, b in enumerate(problem.budgets_bytes)}
    return {
        "traceEvents": events,
        "displayTimeUnit": "ms",
        "otherData": {"model": problem.graph.name, "system": problem.system.name,
                      "serial_time_s": trace.serial_time_s, "makespan_s": trace.makespan_s,
                      "budget_bytes": budgets},
    }


def write_perfetto(path: str | os.PathLike[str], problem: SchedulingProblem, trace: Trace) -> None:
    """Write the Perfetto/Chrome trace of ``trace`` to ``path`` (atomically).

    Times are microseconds of the overlapped timeline (``ts``, ``dur``), as the format requires.
    """
    document = perfetto_document(problem, trace)
    atomic_write_text(path, json.dumps(document, allow_nan=False) + "\n")
