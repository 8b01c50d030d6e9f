"""The figures under the timeline, all from the simulator's trace."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.problem import Objective, SchedulingProblem
from core.trace import Trace
from core.units import format_bytes, format_seconds


def single_device_text(stats: Mapping[str, object], objective: Objective = Objective.TIME) -> str | None:
    """"23.5 % (gpu alone: 12.30 ms)" from the single-device comparison in a result's stats, if any.

    The comparison (:func:`solvers.compare.best_single_device`, run in the solve's child process)
    leaves ``gain_over_best_single`` (a fraction) and ``single_device`` (its ``as_dict()``).
    """
    gain = stats.get("gain_over_best_single")
    if not isinstance(gain, int | float):
        return None
    best = _best_single_row(stats.get("single_device"))
    text = f"{100 * gain:.1f} %"
    if best is not None:
        value = best["objective"]
        shown = format_seconds(value) if objective is Objective.TIME else f"{value:.4g} J"
        text += f" ({best['device']} alone: {shown})"
    return text


def _best_single_row(comparison: object) -> Mapping[str, Any] | None:
    if not isinstance(comparison, Mapping):
        return None
    rows = [r for r in comparison.get("results", []) or []
            if isinstance(r, Mapping) and isinstance(r.get("objective"), int | float) and "device" in r]
    return min(rows, key=lambda r: r["objective"]) if rows else None


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
    single = single_device_text(stats, problem.objective)
    if single is not None:
        rows.append(("gain over best single device", single))
    elif problem.n_devices > 1:
        rows.append(("gain over best single device", "— (not computed: Solver panel, compare with each device alone)"))
    return rows


def summary_html(problem: SchedulingProblem, trace: Trace, stats: Mapping[str, object]) -> str:
    rows = summary_rows(problem, trace, stats)
    lines = []
    for start in range(0, len(rows), 5):
        cells = "".join(f"<td style='padding-right:16px'><b>{k}</b>: {v}</td>" for k, v in rows[start:start + 5])
        lines.append(f"<tr>{cells}</tr>")
    return f"<table>{''.join(lines)}</table>"
