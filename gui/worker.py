"""One worker template for off-thread work: run a function, emit its result or its error.

Follows superqt's ``FunctionWorker``: the function runs in a Python thread; its return value, its
exception and any progress it reports are relayed to the GUI thread through queued connections to
this object (which lives in the GUI thread), so every public signal is emitted in the GUI thread and
may be connected to anything, lambdas included. No exception is ever lost: it arrives as ``errored``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6 import QtCore

log = logging.getLogger(__name__)

#: Workers still running: kept alive here so a worker nobody holds is not collected mid-flight.
_RUNNING: set[FunctionWorker] = set()


class FunctionWorker(QtCore.QObject):
    """Run ``fn(*args, **kwargs)`` off the GUI thread.

    With ``report=True`` the function also receives ``report=callable``; each call emits
    ``progressed`` (in the GUI thread) with the value passed.
    """

    started = QtCore.Signal()
    progressed = QtCore.Signal(object)
    returned = QtCore.Signal(object)
    errored = QtCore.Signal(object)  # the exception instance
    finished = QtCore.Signal()

    _relay_done = QtCore.Signal(object, object)
    _relay_progress = QtCore.Signal(object)

    def __init__(self, fn: Callable[..., Any], *args: Any, report: bool = False, **kwargs: Any) -> None:
        super().__init__()
        self._fn = fn
        self._args = args
        self._kwargs = dict(kwargs)
        if report:
            self._kwargs["report"] = self._relay_progress.emit
        queued = QtCore.Qt.ConnectionType.QueuedConnection
        self._relay_done.connect(self._on_done, queued)
        self._relay_progress.connect(self._on_progress, queued)
        self._thread: threading.Thread | None = None

    @property
    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> FunctionWorker:
        """Start the function in a daemon thread (a window closing never waits on it)."""
        _RUNNING.add(self)
        self.started.emit()
        self._thread = threading.Thread(target=self._run, name=f"worker:{getattr(self._fn, '__name__', 'fn')}",
                                        daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            value = self._fn(*self._args, **self._kwargs)
        except BaseException as exc:
            log.debug("worker %s raised", self._fn, exc_info=True)
            self._relay_done.emit(None, exc)
        else:
            self._relay_done.emit(value, None)

    @QtCore.Slot(object)
    def _on_progress(self, value: object) -> None:
        self.progressed.emit(value)

    @QtCore.Slot(object, object)
    def _on_done(self, value: object, exc: object) -> None:
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
