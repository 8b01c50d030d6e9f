"""The figures under the timeline, all from the simulator's trace."""

from __future__ import annotations

from collections.abc import Mapping

from core.problem import Objective, SchedulingProblem
from core.trace import Trace
from core.units import format_bytes, format_seconds


def best_single_device_s(stats: Mapping[str, object]) -> float | None:
    """The best single-device serial time a solver or comparison reported, if any."""
    for key in ("best_single_device_s", "best_single_device_time_s", "single_device_s"):
        value = stats.get(key)
        if isinstance(value, int | float):
            return float(value)
    compare = stats.get("compare")
    if isinstance(compare, Mapping):
        times = [v for v in compare.values() if isinstance(v, int | float)]
        return min(times) if times else None
    return None


def summary_rows(problem: SchedulingProblem, trace: Trace, stats: Mapping[str, object]) -> list[tuple[str, str]]:
    rows = [
        ("serial time", format_seconds(trace.serial_time_s)),
        ("makespan (overlapped)", format_seconds(trace.makespan_s)),
        ("recomputations", str(trace.recompute_count)),
        ("copies / pages", f"{trace.copy_count} / {trace.page_count}"),
        ("energy", f"{trace.energy_j:.4g} J (dynamic {trace.dynamic_energy_j:.4g} J)"),
    ]
    for m, memory in enumerate(problem.system.memories):
        rows.append((f"peak {memory.name}",
                     f"{format_bytes(trace.peak_bytes[m])} of {format_bytes(problem.budgets_bytes[m])}"))
    single = best_single_device_s(stats)
    if single and problem.objective is Objective.TIME:
        rows.append(("gain over best single device", f"{single / trace.serial_time_s:.2f}×"))
    return rows


def summary_html(problem: SchedulingProblem, trace: Trace, stats: Mapping[str, object]) -> str:
    rows = summary_rows(problem, trace, stats)
    lines = []
    for start in range(0, len(rows), 5):
        cells = "".join(f"<td style='padding-right:16px'><b>{k}</b>: {v}</td>" for k, v in rows[start:start + 5])
        lines.append(f"<tr>{cells}</tr>")
    return f"<table>{''.join(lines)}</table>"
