"""What runs in the solve child process. Imports nothing from Qt: the child only solves.

Messages put on the queue, in order: any number of ``("progress", Progress)``, then exactly one of
``("result", SolveResult)`` or ``("error", message, traceback_text)``. A child that dies without
sending either (a native crash, ``os._exit``) is detected by the parent from its exit code.
"""

from __future__ import annotations

import time
import traceback
from typing import Any

#: Progress reports are thinned to at most one per this many seconds (the last one always goes).
PROGRESS_INTERVAL_S = 0.05


def solve_in_child(name: str, problem: Any, options: Any, queue: Any, cancel: Any) -> None:
    """Entry point of the child: ``solvers.run`` with progress streamed through ``queue``."""
    try:
        import solvers

        last_sent = [0.0]

        def on_progress(progress: Any) -> None:
            now = time.monotonic()
            if now - last_sent[0] >= PROGRESS_INTERVAL_S:
                last_sent[0] = now
                queue.put(("progress", progress))

        result = solvers.run(name, problem, options, on_progress=on_progress, cancel=cancel)
        queue.put(("result", result))
    except BaseException as exc:  # every failure goes back as a message, never as a silent exit
        queue.put(("error", f"{type(exc).__name__}: {exc}", traceback.format_exc()))
