"""Figures of a replayed schedule, as one plain dict (what the CLI prints and exports store).

Every figure comes from a :class:`core.trace.Trace` made by the simulator, never from a solver.
"""

from __future__ import annotations

from core.problem import SchedulingProblem
from core.trace import StepRole, Trace


def recompute_overhead(trace: Trace) -> float:
    """Extra compute time spent on recomputation, relative to computing every node once.

    Defined as Checkmate and Moccasin report it: (compute cost of the schedule) / (cost of each node
    computed once) - 1, where "once" means the first computation of each node on the device that
    ran it. Equivalently: the sum of recompute durations over the sum of first-compute durations.
    Copies and paging are not compute and do not count. 0.0 when nothing was computed.
    """
    first = sum(t.duration_s for t in trace.timings if t.role is StepRole.COMPUTE)
    again = sum(t.duration_s for t in trace.timings if t.role is StepRole.RECOMPUTE)
    return again / first if first > 0 else 0.0


def trace_metrics(problem: SchedulingProblem, trace: Trace) -> dict[str, object]:
    """The headline figures of ``trace``, replayed against ``problem``.

    Returns
    -------
    dict
        ``serial_time_s`` (sum of step durations), ``makespan_s`` (overlapped timeline),
        ``energy_j`` (steps plus idle power), ``dynamic_energy_j`` (steps only),
        ``peak_bytes`` and ``budget_bytes`` (dicts keyed by memory name, static memory included),
        ``compute_count``, ``recompute_count``, ``copy_count``, ``page_count``, ``remote_read_count``,
        ``recompute_overhead`` (see :func:`recompute_overhead`), ``step_count`` and
        ``violation_count``. Plain Python numbers only, so the dict goes into JSON as it is.
    """
    names = [m.name for m in problem.system.memories]
    return {
        "serial_time_s": float(trace.serial_time_s),
        "makespan_s": float(trace.makespan_s),
        "energy_j": float(trace.energy_j),
        "dynamic_energy_j": float(trace.dynamic_energy_j),
        "peak_bytes": {name: int(peak) for name, peak in zip(names, trace.peak_bytes, strict=True)},
        "budget_bytes": {name: int(b) for name, b in zip(names, problem.budgets_bytes, strict=True)},
        "compute_count": int(trace.compute_count),
        "recompute_count": int(trace.recompute_count),
        "copy_count": int(trace.copy_count),
        "page_count": int(trace.page_count),
        "remote_read_count": len(trace.remote_reads),
        "recompute_overhead": float(recompute_overhead(trace)),
        "step_count": len(trace.schedule.steps),
        "violation_count": len(trace.violations),
    }
