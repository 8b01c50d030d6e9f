"""What runs in the solve child process. Imports nothing from Qt: the child only solves.

Messages put on the queue, in order: any number of ``("progress", Progress)``, at most one
``("interim", SolveResult)`` (the solve's result, before the optional single-device comparison),
then exactly one of ``("result", SolveResult)`` or ``("error", message, traceback_text)``. A child
that dies without sending either (a native crash, ``os._exit``) is detected by the parent from its
exit code.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import traceback
from typing import Any

#: Progress reports are thinned to at most one per this many seconds (the last one always goes).
PROGRESS_INTERVAL_S = 0.05

log = logging.getLogger(__name__)


def solve_in_child(name: str, problem: Any, options: Any, queue: Any, cancel: Any, *,
                   compare_single: bool = False) -> None:
    """Entry point of the child: ``solvers.run`` with progress streamed through ``queue``.

    With ``compare_single`` (and a schedule), the problem is also solved on each device alone and
    the result's stats carry ``single_device`` and ``gain_over_best_single``.
    """
    try:
        import solvers

        last_sent = [0.0]

        def on_progress(progress: Any) -> None:
            now = time.monotonic()
            if now - last_sent[0] >= PROGRESS_INTERVAL_S:
                last_sent[0] = now
                queue.put(("progress", progress))

        result = solvers.run(name, problem, options, on_progress=on_progress, cancel=cancel)
        if compare_single and result.schedule is not None and not cancel.is_set():
            queue.put(("interim", result))
            queue.put(("progress", solvers.Progress(elapsed_s=result.wall_s, incumbent=result.objective,
                                                    message="comparing with each device alone…")))
            result = with_single_device_comparison(problem, options, result)
        queue.put(("result", result))
    except BaseException as exc:  # every failure goes back as a message, never as a silent exit
        queue.put(("error", f"{type(exc).__name__}: {exc}", traceback.format_exc()))


def with_single_device_comparison(problem: Any, options: Any, result: Any) -> Any:
    """``result`` with the best single-device comparison in its stats."""
    from solvers.compare import best_single_device

    comparison = best_single_device(problem, options)
    stats = {**dict(result.stats), "single_device": comparison.as_dict(),
             "gain_over_best_single": comparison.gain(result.objective)}
    return dataclasses.replace(result, stats=stats)
