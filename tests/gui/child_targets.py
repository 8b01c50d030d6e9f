"""Child-process entry points used by the solve-runner tests (same signature as the real one).

They run in a spawned child: keep them free of Qt.
"""

from __future__ import annotations

import os
import time
from typing import Any


def plain_schedule_result(problem: Any, solver: str = "plain") -> Any:
    """The no-recomputation schedule from ``solvers.run`` (simulator-checked), under ``solver``'s name."""
    import dataclasses

    import solvers

    result = solvers.run("no-remat", problem, solvers.SolveOptions())
    return dataclasses.replace(result, solver=solver)


def plain_target(name: str, problem: Any, options: Any, queue: Any, cancel: Any, **_extra: Any) -> None:
    from solvers import Progress

    for i in range(3):
        queue.put(("progress", Progress(elapsed_s=0.01 * i, incumbent=10.0 - i, bound=5.0 + i)))
    queue.put(("result", plain_schedule_result(problem, name)))


def until_cancelled_target(name: str, problem: Any, options: Any, queue: Any, cancel: Any, **_extra: Any) -> None:
    from solvers import Progress, SolveResult, SolveStatus

    started = time.monotonic()
    queue.put(("progress", Progress(elapsed_s=0.0, incumbent=1.0)))
    while not cancel.is_set() and time.monotonic() - started < 60:
        time.sleep(0.01)
    queue.put(("result", SolveResult(SolveStatus.CANCELLED, name, message="stopped on request")))


def ignores_cancel_target(name: str, problem: Any, options: Any, queue: Any, cancel: Any, **_extra: Any) -> None:
    from solvers import Progress

    queue.put(("progress", Progress(elapsed_s=0.0, message="busy")))
    time.sleep(60)


def crash_target(name: str, problem: Any, options: Any, queue: Any, cancel: Any, **_extra: Any) -> None:
    os._exit(3)


def busy_target(name: str, problem: Any, options: Any, queue: Any, cancel: Any, **_extra: Any) -> None:
    """Holds its own interpreter's GIL for ~2.5 s of pure-Python work, then returns a plain result."""
    from solvers import Progress

    started = time.monotonic()
    total = 0
    while time.monotonic() - started < 2.5:
        total += sum(range(10_000))
        queue.put(("progress", Progress(elapsed_s=time.monotonic() - started, incumbent=float(total % 97))))
    queue.put(("result", plain_schedule_result(problem, name)))


def interim_then_hang_target(name: str, problem: Any, options: Any, queue: Any, cancel: Any,
                             compare_single: bool = False) -> None:
    """Sends its solve as an interim result, then never finishes its second phase."""
    from solvers import Progress

    assert compare_single
    queue.put(("interim", plain_schedule_result(problem, name)))
    queue.put(("progress", Progress(elapsed_s=0.1, message="comparing…")))
    time.sleep(60)


def sweep_two_then_wait_target(name: str, job: Any, options: Any, queue: Any, cancel: Any) -> None:
    """Solves the first two points of a sweep for real, then waits to be cancelled."""
    from solvers.sweep import run_sweep

    problem, suffix = job.problems[0]
    points = run_sweep(problem, job.fractions[:2], job.solvers[:1], options, series_suffix=suffix,
                       on_point=lambda point: queue.put(("progress", point)))
    started = time.monotonic()
    while not cancel.is_set() and time.monotonic() - started < 60:
        time.sleep(0.01)
    queue.put(("result", points))
