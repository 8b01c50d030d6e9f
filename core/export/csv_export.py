"""The steps of a replayed schedule as CSV, one row per step, for spreadsheets and pandas."""

from __future__ import annotations

import csv
import io
import os

from core.jsonfile import atomic_write_text
from core.problem import SchedulingProblem
from core.schedule import Compute, Copy
from core.trace import Trace

COLUMNS = (
    "index", "role", "node", "node_name", "lane", "device", "memory",
    "start_s", "end_s", "serial_start_s", "duration_s", "energy_j", "bytes",
)


def csv_rows(problem: SchedulingProblem, trace: Trace) -> list[dict[str, object]]:
    """One dict per step, keyed by :data:`COLUMNS`.

    ``lane`` is the simulator's lane (device, ``src->dst`` link, or memory for frees); ``device`` is
    the computing device (empty for copies and frees); ``memory`` is where the step allocates
    (compute: the device's memory, copy: the destination) or frees. Times are seconds: ``start_s``
    and ``end_s`` in the overlapped timeline, ``serial_start_s`` in the serial one.
    """
    rows: list[dict[str, object]] = []
    for timing in trace.timings:
        step = trace.schedule.steps[timing.index]
        node = problem.graph.nodes[timing.node] if 0 <= timing.node < problem.n_nodes else None
        device, memory = "", ""
        if isinstance(step, Compute) and 0 <= step.device < problem.n_devices:
            device = problem.device_name(step.device)
            memory = problem.memory_name(problem.device_memory[step.device])
        elif isinstance(step, Copy) and 0 <= step.dst < problem.n_memories:
            memory = problem.memory_name(step.dst)
        elif not isinstance(step, Compute | Copy) and 0 <= step.memory < problem.n_memories:
            memory = problem.memory_name(step.memory)
        rows.append({
            "index": timing.index, "role": timing.role.value, "node": timing.node,
            "node_name": node.name if node else "", "lane": timing.lane, "device": device,
            "memory": memory, "start_s": timing.start_s, "end_s": timing.end_s,
            "serial_start_s": timing.serial_start_s, "duration_s": timing.duration_s,
            "energy_j": timing.energy_j, "bytes": node.size_bytes if node else 0,
        })
    return rows


def write_csv(path: str | os.PathLike[str], problem: SchedulingProblem, trace: Trace) -> None:
    """Write one row per step of ``trace`` (header :data:`COLUMNS`) to ``path``, atomically."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(csv_rows(problem, trace))
    atomic_write_text(path, buffer.getvalue())
