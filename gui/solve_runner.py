"""Solves in a child process, so a solver that holds the GIL, crashes or ignores a cancel can never
freeze or kill the window.

The child (``multiprocessing`` spawn context) receives the pickled :class:`SchedulingProblem`, runs
``solvers.run`` and streams :class:`solvers.Progress` back through a queue (:mod:`gui.solve_child`).
A watcher (:class:`gui.worker.FunctionWorker`) reads the queue off the GUI thread and its relayed
signals reach the GUI thread. Cancel sets a shared event; a child still alive after
``cancel_grace_s`` is terminated.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue as queue_module
import threading
from collections.abc import Callable
from typing import Any

from PySide6 import QtCore

from gui.solve_child import solve_in_child
from gui.worker import FunctionWorker
from solvers import SolveOptions, SolveResult, SolveStatus

log = logging.getLogger(__name__)

#: How long the watcher waits for a message before checking that the child is still alive.
POLL_S = 0.1


class SolverCrashed(RuntimeError):
    """The child ended without sending a result (native crash, killed, ``os._exit``)."""


class SolverFailed(RuntimeError):
    """The solver raised in the child; the message carries the child's traceback summary."""


def watch_child(process: Any, messages: Any, report: Callable[[object], None]) -> Any:
    """Relay progress until the child sends its result; raise if it fails or dies without one.

    An ``("interim", value)`` message is a result good enough to keep: returned if the child then
    dies (terminated during an optional second phase, such as the single-device comparison).
    """
    interim: Any = None
    while True:
        try:
            message = messages.get(timeout=POLL_S)
        except queue_module.Empty:
            if process.is_alive():
                continue
            try:  # the result may still be in the pipe when the process has just exited
                message = messages.get(timeout=0.5)
            except queue_module.Empty:
                process.join(timeout=1.0)
                if interim is not None:
                    return interim
                raise SolverCrashed(
                    f"the solver process ended without a result (exit code {process.exitcode})") from None
        kind = message[0]
        if kind == "progress":
            report(message[1])
        elif kind == "interim":
            interim = message[1]
        elif kind == "result":
            process.join(timeout=5.0)
            return message[1]  # type: ignore[no-any-return]
        else:
            process.join(timeout=5.0)
            raise SolverFailed(message[1])


def launch_and_watch(process: Any, messages: Any, report: Callable[[object], None],
                     launched: threading.Event | None = None) -> Any:
    """Start the child, then :func:`watch_child` (both in the watcher thread).

    A spawned child reads its pickled arguments through a pipe only once its interpreter is up; the
    parent blocks writing them until then (100-200 ms on a busy machine), so that happens here, off
    the GUI thread.
    """
    try:
        process.start()
    finally:
        if launched is not None:
            launched.set()
    return watch_child(process, messages, report)


class SolveRunner(QtCore.QObject):
    """Start, watch and cancel one solve at a time in a child process.

    Signals (all emitted in the GUI thread): ``progress(Progress)``, ``finished(SolveResult)``
    (a cancelled solve finishes with status CANCELLED), ``failed(str)``, ``running_changed(bool)``.
    """

    progress = QtCore.Signal(object)
    finished = QtCore.Signal(object)
    failed = QtCore.Signal(str)
    running_changed = QtCore.Signal(bool)

    def __init__(self, parent: QtCore.QObject | None = None, *, target: Callable[..., None] = solve_in_child,
                 cancel_grace_s: float = 3.0) -> None:
        super().__init__(parent)
        self._target = target
        self._cancel_grace_s = cancel_grace_s
        self._process: Any = None
        self._cancel: Any = None
        self._watcher: FunctionWorker | None = None
        self._launched = threading.Event()
        self._solver = ""
        self._cancelled = False
        self._kill_timer = QtCore.QTimer(self)
        self._kill_timer.setSingleShot(True)
        self._kill_timer.timeout.connect(self._terminate_if_alive)

    @property
    def is_running(self) -> bool:
        return self._watcher is not None

    @property
    def process(self) -> Any:
        return self._process

    def start(self, name: str, problem: object, options: SolveOptions, **extra: Any) -> None:
        """Start solver ``name`` on ``problem`` in a fresh child process.

        ``extra`` keyword arguments go to the child target (the default one takes ``compare_single``).
        """
        if self.is_running:
            raise RuntimeError("a solve is already running")
        context = multiprocessing.get_context("spawn")
        messages = context.Queue()
        self._cancel = context.Event()
        self._solver = name
        self._cancelled = False
        self._process = context.Process(
            target=self._target, args=(name, problem, options, messages, self._cancel),
            kwargs={k: v for k, v in extra.items() if v}, name=f"solve:{name}", daemon=True,
        )
        self._launched = threading.Event()
        watcher = FunctionWorker(launch_and_watch, self._process, messages, report=True, owner=self,
                                 launched=self._launched)
        watcher.progressed.connect(self.progress.emit)
        watcher.returned.connect(self._on_returned)
        watcher.errored.connect(self._on_errored)
        self._watcher = watcher
        watcher.start()
        self.running_changed.emit(True)

    def cancel(self) -> None:
        """Ask the solver to stop (keeping its incumbent); terminate it after the grace period."""
        if not self.is_running or self._cancel is None:
            return
        self._cancelled = True
        self._cancel.set()
        self._kill_timer.start(int(self._cancel_grace_s * 1000))

    def shutdown(self) -> None:
        """Stop at once (the window is closing): no grace period, no signals afterwards."""
        self._kill_timer.stop()
        if self._watcher is not None:
            self._launched.wait(timeout=10.0)  # the watcher may be starting the child right now
        if self._process is not None and self._process.is_alive():
            if self._cancel is not None:
                self._cancel.set()
            self._process.terminate()
            self._process.join(timeout=2.0)

    def _terminate_if_alive(self) -> None:
        if self._process is not None and self._process.is_alive():
            log.info("solver %s did not stop within %.1f s: terminating it", self._solver, self._cancel_grace_s)
            self._process.terminate()

    def _done(self) -> None:
        self._kill_timer.stop()
        self._watcher = None
        self.running_changed.emit(False)

    def _on_returned(self, result: Any) -> None:
        self._done()
        self.finished.emit(result)

    def _on_errored(self, exc: BaseException) -> None:
        self._done()
        if isinstance(exc, SolverCrashed) and self._cancelled:
            self.finished.emit(SolveResult(SolveStatus.CANCELLED, self._solver,
                                           message="cancelled: the solver was stopped before it returned"))
            return
        if isinstance(exc, SolverCrashed | SolverFailed):
            self.failed.emit(f"solver {self._solver!r} failed: {exc}")
        else:
            self.failed.emit(f"watching solver {self._solver!r} failed: {type(exc).__name__}: {exc}")
