"""Child-process entry points used by the solve-runner tests (same signature as the real one).

They run in a spawned child: keep them free of Qt.
"""

from __future__ import annotations

import os
import time
from typing import Any


def plain_schedule_result(problem: Any, solver: str = "plain") -> Any:
    """Every node once in order, frees after last use, replayed by the simulator."""
    from core.simulate import simulate
    from core.stages import decode_stages, plain_stages
    from solvers import SolveResult, SolveStatus

    R, S = plain_stages(problem.graph)
    schedule = decode_stages(problem, R, S)
    trace = simulate(problem, schedule)
    return SolveResult(SolveStatus.FEASIBLE, solver, schedule=schedule, objective=trace.serial_time_s, trace=trace)


def plain_target(name: str, problem: Any, options: Any, queue: Any, cancel: Any) -> None:
    from solvers import Progress

    for i in range(3):
        queue.put(("progress", Progress(elapsed_s=0.01 * i, incumbent=10.0 - i, bound=5.0 + i)))
    queue.put(("result", plain_schedule_result(problem, name)))


def until_cancelled_target(name: str, problem: Any, options: Any, queue: Any, cancel: Any) -> None:
    from solvers import Progress, SolveResult, SolveStatus

    started = time.monotonic()
    queue.put(("progress", Progress(elapsed_s=0.0, incumbent=1.0)))
    while not cancel.is_set() and time.monotonic() - started < 60:
        time.sleep(0.01)
    queue.put(("result", SolveResult(SolveStatus.CANCELLED, name, message="stopped on request")))


def ignores_cancel_target(name: str, problem: Any, options: Any, queue: Any, cancel: Any) -> None:
    from solvers import Progress

    queue.put(("progress", Progress(elapsed_s=0.0, message="busy")))
    time.sleep(60)


def crash_target(name: str, problem: Any, options: Any, queue: Any, cancel: Any) -> None:
    os._exit(3)


def busy_target(name: str, problem: Any, options: Any, queue: Any, cancel: Any) -> None:
    """Holds its own interpreter's GIL for ~2.5 s of pure-Python work, then returns a plain result."""
    from solvers import Progress

    started = time.monotonic()
    total = 0
    while time.monotonic() - started < 2.5:
        total += sum(range(10_000))
        queue.put(("progress", Progress(elapsed_s=time.monotonic() - started, incumbent=float(total % 97))))
    queue.put(("result", plain_schedule_result(problem, name)))
