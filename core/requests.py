"""From what a user asks for (model file, machine, budgets, objective) to a scheduling problem, and the
figures reported about a solve. Shared by the command line and the window.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.budgets import resolve_budgets
from core.errors import RematError
from core.feasibility import infeasibility_reason
from core.metrics import trace_metrics
from core.model_io import LoadedModel, open_model
from core.problem import Objective, SchedulingProblem, build_problem
from core.system import System
from core.trace import Trace
from core.units import format_bytes, format_seconds

#: The machine of a request that names none and whose model file prescribes none.
DEFAULT_SYSTEM = "this-cpu"


@dataclass(frozen=True)
class SolveRequest:
    """A solve as the user asked for it (names and strings, not yet resolved)."""

    model: Path
    dims: Mapping[str, int] = field(default_factory=dict)
    optimizer: str = "sgd"
    #: Preset name or system file; None: the model file's own system, else :data:`DEFAULT_SYSTEM`.
    system: str | Path | None = None
    #: ``--budget`` values: ``8GiB``, ``gpu=6GiB``, ``0.6`` (a fraction of the no-recomputation peak).
    budgets: Sequence[str] = ()
    #: "time" or "energy"; None: the model file's own objective, else time.
    objective: str | None = None
    #: Energy objective: allow this many times the fastest no-recomputation step time.
    time_ratio: float | None = None


def resolve_system(request_system: str | Path | None, loaded: LoadedModel) -> System:
    from core.system_io import load_system

    if request_system is None:
        return loaded.system if loaded.system is not None else load_system(DEFAULT_SYSTEM)
    return load_system(request_system)


def build_problem_for_request(request: SolveRequest, loaded: LoadedModel | None = None) -> SchedulingProblem:
    """Open the model (unless ``loaded`` is given), pick the system, resolve budgets and objective.

    Raises RematError for anything the user must fix, including budgets no schedule can meet (the
    message gives the smallest feasible budget).
    """
    loaded = loaded or open_model(request.model, request.dims, request.optimizer)
    system = resolve_system(request.system, loaded)
    budgets = dict(loaded.budgets) if request.system is None else {}
    budgets.update(resolve_budgets(loaded.training, system, list(request.budgets)))
    try:
        objective = Objective(request.objective) if request.objective else loaded.objective or Objective.TIME
    except ValueError:
        raise RematError(f"unknown objective {request.objective!r}; valid: time, energy") from None
    problem = build_problem(loaded.training, system, budgets, objective=objective)
    problem = _with_time_limit(problem, request.time_ratio, loaded.time_limit_s)
    reason = infeasibility_reason(problem)
    if reason is not None:
        raise RematError(f"no schedule can fit these budgets: {reason}")
    return problem


def _with_time_limit(problem: SchedulingProblem, ratio: float | None, given: float | None) -> SchedulingProblem:
    if ratio is None:
        return problem if given is None else _replace_limit(problem, given)
    if ratio < 1.0:
        raise RematError(f"--time-ratio {ratio:g}: must be at least 1 (a multiple of the fastest step time)")
    return _replace_limit(problem, ratio * fastest_plain_time_s(problem))


def _replace_limit(problem: SchedulingProblem, limit: float) -> SchedulingProblem:
    import dataclasses

    return dataclasses.replace(problem, time_limit_s=float(limit))


def fastest_plain_time_s(problem: SchedulingProblem) -> float:
    """Serial time of computing every node once on the fastest single device."""
    return float(problem.costs.compute_time_s.sum(axis=0).min())


def solve_report(problem: SchedulingProblem, result: Any, comparison: Any = None) -> dict[str, Any]:
    """The figures of one solve, JSON-ready: status, objective, bound, gap and the simulator's metrics.

    ``result`` is a :class:`solvers.base.SolveResult` and ``comparison`` a
    :class:`solvers.compare.SingleDeviceComparison` (or None); core does not import solvers, so both
    are read by attribute.
    """
    names = [m.name for m in problem.system.memories]
    report: dict[str, Any] = {
        "status": result.status.value, "solver": result.solver, "objective": result.objective,
        "objective_kind": problem.objective.value, "bound": result.bound, "gap": result.gap,
        "solve_wall_s": round(float(result.wall_s), 4), "message": result.message,
        "model": problem.graph.name, "system": problem.system.name,
        "budget_bytes": dict(zip(names, problem.budgets_bytes, strict=True)),
        "time_limit_s": problem.time_limit_s,
    }
    trace: Trace | None = result.trace
    if trace is not None:
        report.update(trace_metrics(problem, trace))
    report["stats"] = _plain(dict(result.stats))
    if comparison is not None:
        report["single_device"] = comparison.as_dict()
        gain = comparison.gain(result.objective) if trace is not None else None
        report["gain_over_best_single"] = gain
    return report


def _plain(value: Any) -> Any:
    """Make solver statistics JSON-ready (NumPy scalars, tuples, nested dicts)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    return value


def format_solve_report(report: Mapping[str, Any]) -> str:
    """A few lines for a terminal."""
    lines = [f"{report['solver']}: {report['status']}" + (f" ({report['message']})" if report.get("message") else "")]
    if "serial_time_s" in report:
        gap = "" if report.get("gap") is None else f", proven gap {100 * report['gap']:.2f} %"
        lines.append(f"step time {format_seconds(report['serial_time_s'])} serial, "
                     f"{format_seconds(report['makespan_s'])} overlapped; energy {report['energy_j']:.4g} J{gap}")
        lines.append(f"{report['compute_count']} computes, {report['recompute_count']} recomputes "
                     f"(overhead {100 * report['recompute_overhead']:.2f} %), {report['copy_count']} copies, "
                     f"{report['page_count']} pages")
        for name, peak in report["peak_bytes"].items():
            lines.append(f"  {name:<8} peak {format_bytes(peak)} of {format_bytes(report['budget_bytes'][name])}")
    for row in (report.get("single_device") or {}).get("results", []):
        value = "-" if row["objective"] is None else f"{row['objective']:.6g}"
        lines.append(f"  alone on {row['device']:<8} {row['status']:<11} objective {value}")
    if report.get("gain_over_best_single") is not None:
        lines.append(f"gain over the best single device: {100 * report['gain_over_best_single']:.2f} %")
    lines.append(f"solved in {report['solve_wall_s']:.2f} s")
    return "\n".join(lines)
