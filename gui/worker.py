"""One worker template for off-thread work: run a function, emit its result or its error.

The function runs in a Python thread that never touches Qt: its return value, its exception and
any progress it reports go into a thread-safe queue, and a timer of this object (which lives in the
GUI thread) drains that queue and emits the public signals. So every signal is emitted in the GUI
thread and may be connected to anything, lambdas included, and no Qt object is ever used from two
threads (signals emitted from a plain Python thread, relayed by queued connections, crashed the test
suite now and then in garbage collection). No exception is ever lost: it arrives as ``errored``.
"""

from __future__ import annotations

import collections
import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6 import QtCore

log = logging.getLogger(__name__)

#: Workers still running: kept alive here so a worker nobody holds is not collected mid-flight.
_RUNNING: set[FunctionWorker] = set()

#: How often the GUI thread looks for news from a running worker (milliseconds).
POLL_MS = 10

_PROGRESS, _DONE = "progress", "done"


class FunctionWorker(QtCore.QObject):
    """Run ``fn(*args, **kwargs)`` off the GUI thread.

    With ``report=True`` the function also receives ``report=callable``; each call emits
    ``progressed`` (in the GUI thread) with the value passed, in the order of the calls.
    """

    started = QtCore.Signal()
    progressed = QtCore.Signal(object)
    returned = QtCore.Signal(object)
    errored = QtCore.Signal(object)  # the exception instance
    finished = QtCore.Signal()

    def __init__(self, fn: Callable[..., Any], *args: Any, report: bool = False, **kwargs: Any) -> None:
        super().__init__()
        self._fn = fn
        self._args = args
        self._kwargs = dict(kwargs)
        # deque.append is atomic: the worker thread's only way to speak to the GUI thread
        self._news: collections.deque[tuple[str, object, object]] = collections.deque()
        if report:
            self._kwargs["report"] = self._report
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._drain)
        self._thread: threading.Thread | None = None
        self._done = False

    @property
    def is_running(self) -> bool:
        return self._thread is not None and not self._done

    def start(self) -> FunctionWorker:
        """Start the function in a daemon thread (a window closing never waits on it)."""
        _RUNNING.add(self)
        self.started.emit()
        self._thread = threading.Thread(target=self._run, name=f"worker:{getattr(self._fn, '__name__', 'fn')}",
                                        daemon=True)
        self._timer.start()
        self._thread.start()
        return self

    def _report(self, value: object) -> None:
        self._news.append((_PROGRESS, value, None))

    def _run(self) -> None:
        try:
            value = self._fn(*self._args, **self._kwargs)
        except BaseException as exc:
            log.debug("worker %s raised", self._fn, exc_info=True)
            self._news.append((_DONE, None, exc))
        else:
            self._news.append((_DONE, value, None))

    @QtCore.Slot()
    def _drain(self) -> None:
        while self._news and not self._done:
            kind, value, exc = self._news.popleft()
            if kind == _PROGRESS:
                self.progressed.emit(value)
            else:
                self._finish(value, exc)

    def _finish(self, value: object, exc: object) -> None:
        self._done = True
        self._timer.stop()
        try:
            if exc is not None:
                self.errored.emit(exc)
            else:
                self.returned.emit(value)
        finally:
            _RUNNING.discard(self)
            self.finished.emit()


def run_in_thread(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> FunctionWorker:
    """Create a :class:`FunctionWorker` for ``fn``; connect its signals, then call ``start()``."""
    return FunctionWorker(fn, *args, **kwargs)
