"""What runs in a sweep's child process (no Qt): :func:`solvers.sweep.run_sweep` per machine.

Same message protocol as :mod:`gui.solve_child`: each finished point goes out as
``("progress", SweepPoint)`` as soon as it is solved (so a cancelled or crashed sweep keeps them),
then ``("result", [SweepPoint, ...])`` or ``("error", message, traceback_text)``.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SweepJob:
    """The budgets and solvers of a sweep, and one problem per machine (``suffix`` names its series)."""

    fractions: tuple[float, ...]
    solvers: tuple[str, ...]
    problems: tuple[tuple[Any, str], ...]  # (SchedulingProblem, series suffix)


def sweep_in_child(name: str, job: SweepJob, options: Any, queue: Any, cancel: Any) -> None:
    """Entry point of the child (signature of every runner target; ``name`` is only a label)."""
    try:
        from solvers.sweep import run_sweep

        points: list[Any] = []
        for problem, suffix in job.problems:
            if cancel.is_set():
                break
            points += run_sweep(problem, job.fractions, job.solvers, options, cancel=cancel, series_suffix=suffix,
                                on_point=lambda point: queue.put(("progress", point)))
        queue.put(("result", points))
    except BaseException as exc:  # every failure goes back as a message, never as a silent exit
        queue.put(("error", f"{type(exc).__name__}: {exc}", traceback.format_exc()))
